"""Secret-bearing values never leave: a canary in every place a template keeps one.

Both sides of a change carry distinct canary values in environment variables, tags, parameter
defaults (a ``NoEcho`` one among them) and parameter overrides, and the change makes findings
about exactly those properties (an environment variable added and changed, a tag changed, a
parameter that feeds the environment). The test then collects everything latest-guard writes:

- ``check`` in every output format, with ``--debug`` logging, to stdout and to ``--output``;
- ``fix`` (the patch on stdout) and the fix written with ``--write`` as its summary says it;
- ``pre-commit`` on the staged template;
- the GitHub Action: every request body sent to the GitHub API (checked against GitHub's
  OpenAPI description by the local server), its log, outputs and job summary.

None of it may contain a canary. Keys (``DB_PASSWORD``, ``owner``, ``ApiKey``) may appear: they
are how a finding names what changed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from github_server import GitHubServer, GitHubState, Pull, PullFile, needs_openapi
from support import run_cli, validate
from test_github_action import REPOSITORY, Scenario

#: One canary per place and side; the test fails on any of them in any output.
CANARIES = {
    "env-old": "cnry-env-before-71c2",
    "env-new": "cnry-env-after-0d9e",
    "env-added": "cnry-env-added-5b43",
    "tag-old": "cnry-tag-before-a1f0",
    "tag-new": "cnry-tag-after-e8d2",
    "noecho-old": "cnry-noecho-before-3c7a",
    "noecho-new": "cnry-noecho-after-94be",
    "param-old": "cnry-param-before-2f61",
    "param-new": "cnry-param-after-c0d5",
    "override": "cnry-override-77aa",
}

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ApiKey:
    Type: String
    NoEcho: true
    Default: {noecho}
  Stage:
    Type: String
    Default: {param}
  Region:
    Type: String
    Default: eu-west-1
Resources:
  Orders:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/orders
      Code:
        S3Bucket: artifacts
        S3Key: orders/{code}.zip
      Environment:
        Variables:
          DB_PASSWORD: {env}
          API_KEY: !Ref ApiKey
          STAGE: !Ref Stage
          REGION: !Ref Region{added}
      Tags:
        - Key: owner
          Value: {tag}
  OrdersUrl:
    Type: AWS::Lambda::Url
    Properties:
      AuthType: NONE
      TargetFunctionArn: !GetAtt Orders.Arn
  Queue:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Orders
      EventSourceArn: !GetAtt Queue.Arn
"""


def _side(side: str) -> str:
    new = side == "new"
    return TEMPLATE.format(
        noecho=CANARIES["noecho-new" if new else "noecho-old"],
        param=CANARIES["param-new" if new else "param-old"],
        code="2222" if new else "1111",
        env=CANARIES["env-new" if new else "env-old"],
        added=f"\n          API_TOKEN: {CANARIES['env-added']}" if new else "",
        tag=CANARIES["tag-new" if new else "tag-old"],
    )


def _assert_clean(where: str, text: str) -> None:
    leaked = [name for name, value in CANARIES.items() if value in text]
    assert not leaked, f"{where} contains the canary values {leaked}"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    new, old = tmp_path / "template.yaml", tmp_path / "baseline.yaml"
    new.write_text(_side("new"), encoding="utf-8")
    old.write_text(_side("old"), encoding="utf-8")
    return new, old


@pytest.mark.parametrize("output_format", ["text", "json", "markdown", "sarif"])
def test_no_canary_in_any_report_or_log(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pair: tuple[Path, Path],
    output_format: str,
) -> None:
    new, old = pair
    written = tmp_path / f"report.{output_format}"
    args = ["check", "-t", new, "-b", old, "--parameter-overrides",
            f"Region={CANARIES['override']}", "--debug"]
    shown = run_cli(capsys, *args, "--format", output_format)
    saved = run_cli(capsys, *args, "--format", output_format, "--output", written)
    assert shown.code == saved.code == 1, shown.err
    if output_format == "json":
        report = json.loads(shown.out)
        validate(report)
        # The findings are about the very properties that hold the canaries.
        changed = {c["property"] for f in report["findings"] for side in f["changes"].values()
                   for c in side}
        assert {"Code", "Environment", "Tags"} <= changed, changed
    _assert_clean(f"{output_format} on stdout", shown.out)
    _assert_clean(f"{output_format} written to --output", written.read_text(encoding="utf-8"))
    _assert_clean("the --debug log", shown.err + saved.err)


def test_no_canary_in_the_fix_or_the_precommit_hook(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    pair: tuple[Path, Path],
) -> None:
    new, old = pair
    patch = run_cli(capsys, "fix", "-t", new, "-b", old)
    assert patch.code == 0, patch.err
    assert "+++ b/" in patch.out  # a patch was printed
    _assert_clean("the fix patch", patch.out + patch.err)
    phase_one = run_cli(capsys, "fix", "-t", new, "-b", old, "--phase-one")
    _assert_clean("the phase-one patch", phase_one.out + phase_one.err)
    written = run_cli(capsys, "fix", "-t", new, "-b", old, "--write")
    _assert_clean("fix --write", written.out + written.err)

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com",
           "-c", "commit.gpgsign=false"]
    (repo / "template.yaml").write_text(_side("old"), encoding="utf-8")
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "deployed"], check=True)
    (repo / "template.yaml").write_text(_side("new"), encoding="utf-8")
    subprocess.run([*git, "add", "-A"], check=True)
    monkeypatch.chdir(repo)
    hook = run_cli(capsys, "pre-commit", "template.yaml")
    assert hook.code == 1, hook.err
    _assert_clean("the pre-commit output", hook.out + hook.err)


@needs_openapi
def test_no_canary_in_any_request_to_github(tmp_path: Path) -> None:
    workspace = tmp_path / "repo"
    (workspace / "infra").mkdir(parents=True)
    git = ["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@example.com",
           "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (workspace / "infra" / "app.yaml").write_text(_side("old"), encoding="utf-8")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "deployed"], check=True)
    base = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    (workspace / "infra" / "app.yaml").write_text(_side("new"), encoding="utf-8")
    subprocess.run([*git, "commit", "-q", "-am", "change"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    diff = subprocess.run([*git, "diff", "-U3", base, head, "--", "infra/app.yaml"],
                          check=True, capture_output=True, text=True).stdout
    hunks = diff[diff.index("@@"):]

    state = GitHubState(REPOSITORY)
    with GitHubServer(state) as server:
        pull = state.add_pull(Pull(2, base, head, REPOSITORY))
        pull.files = [PullFile("infra/app.yaml", hunks)]
        scenario = Scenario(server, tmp_path, workspace, base_sha=base, head_sha=head)
        code = scenario.run(
            scenario.pull_request_event(), template="infra/app.yaml",
            parameter_overrides=f"Region={CANARIES['override']}",
        )
    assert code == 1, scenario.log  # the step fails with the check
    assert state.violations == [], "requests that GitHub's API description does not allow"
    assert state.reviews, "the review with the findings was posted"
    sent = [json.dumps(r.body) for r in state.requests]
    assert any("PASSWORD" in body for body in sent), sent  # keys are named (DB\\_PASSWORD)
    _assert_clean("requests to the GitHub API", "\n".join(sent))
    _assert_clean("the action's log", scenario.log)
    _assert_clean("the job summary", scenario.step_summary())
    _assert_clean("the step outputs", json.dumps(scenario.outputs()))
