"""A monorepo of services that each hold a ``template.yaml``: every stack is known by its path.

Three services, orders and billing changed (code and configuration together: LG001), shipping
unchanged. Whatever way the user names them (``--baseline-ref``, explicit baselines, a glob),
each changed stack gets its own finding, located in its own file.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from support import git, run_cli
from template_builder import CODE_V1, CODE_V2, template

pytestmark = pytest.mark.usefixtures("isolated_git")

SERVICES = ("orders", "billing", "shipping")
TEMPLATES = [f"services/{name}/template.yaml" for name in SERVICES]


def service(name: str, code: dict[str, str], mode: str) -> str:
    body = template({f"{name.title()}Fn": {"Code": code,
                                           "Environment": {"Variables": {"MODE": mode}}}})
    return json.dumps(body, indent=2)


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main holds the three services as deployed; orders and billing change in the work tree."""
    root = tmp_path / "shop"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for name in SERVICES:
        write(root, f"services/{name}/template.yaml", service(name, CODE_V1, "a"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    for name in ("orders", "billing"):
        write(root, f"services/{name}/template.yaml", service(name, CODE_V2, "b"))
    monkeypatch.chdir(root)
    return root


def findings(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (f["rule"], f["stack"], f["resource"], f["location"]["path"])
        for f in report["findings"]
    )


EXPECTED = [
    ("LG001", "billing/template", "BillingFn", "services/billing/template.yaml"),
    ("LG001", "orders/template", "OrdersFn", "services/orders/template.yaml"),
]


def template_args(paths: list[str]) -> list[str]:
    return [arg for path in paths for arg in ("-t", path)]


@pytest.mark.parametrize("order", [TEMPLATES, TEMPLATES[::-1]], ids=["listed", "reversed"])
def test_each_changed_service_gets_its_own_finding_against_a_git_ref(
    capsys: pytest.CaptureFixture[str], monorepo: Path, order: list[str]
) -> None:
    run = run_cli(capsys, "check", *template_args(order), "--baseline-ref", "main",
                  "--format", "json")
    assert run.code == 1
    assert findings(run.report) == EXPECTED
    assert sorted(s["name"] for s in run.report["stacks"]) == [
        "billing/template", "orders/template", "shipping/template"
    ]


def test_the_text_report_names_each_stack_by_its_path(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    run = run_cli(capsys, "check", *template_args(TEMPLATES), "--baseline-ref", "main")
    assert run.code == 1
    lines = run.out.splitlines()
    assert "orders/template" in lines and "billing/template" in lines
    assert "shipping/template" in lines
    assert "2 errors" in lines[-1]


def test_explicit_baselines_pair_by_their_path_from_their_own_folder(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    """The baselines are given in another order than the templates: paths pair them."""
    for name in SERVICES:
        write(monorepo, f"deployed/{name}/template.yaml", service(name, CODE_V1, "a"))
    baselines = [f"deployed/{name}/template.yaml" for name in ("shipping", "orders", "billing")]
    run = run_cli(capsys, "check", *template_args(TEMPLATES),
                  *[arg for b in baselines for arg in ("-b", b)], "--format", "json")
    assert run.code == 1
    assert findings(run.report) == EXPECTED


def test_explicit_baselines_of_other_names_pair_by_order(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    for name in SERVICES:
        write(monorepo, f"deployed/{name}.json", service(name, CODE_V1, "a"))
    baselines = [f"deployed/{name}.json" for name in SERVICES]
    run = run_cli(capsys, "check", *template_args(TEMPLATES),
                  *[arg for b in baselines for arg in ("-b", b)], "--format", "json")
    assert run.code == 1
    assert findings(run.report) == EXPECTED


def test_an_unchanged_twin_never_masks_a_changed_one(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    """Only orders changed; shipping, same file name, comes last."""
    write(monorepo, "services/billing/template.yaml", service("billing", CODE_V1, "a"))
    run = run_cli(capsys, "check", "-t", TEMPLATES[0], "-t", TEMPLATES[2],
                  "--baseline-ref", "main", "--format", "json")
    assert run.code == 1
    assert findings(run.report) == [EXPECTED[1]]


def test_files_of_one_name_in_two_folders_are_two_stacks(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    write(monorepo, "a/stack.json", service("orders", CODE_V2, "b"))
    write(monorepo, "b/stack.yaml", service("billing", CODE_V2, "b"))
    write(monorepo, "base/a/stack.json", service("orders", CODE_V1, "a"))
    write(monorepo, "base/b/stack.yaml", service("billing", CODE_V1, "a"))
    run = run_cli(capsys, "check", "-t", "a/stack.json", "-t", "b/stack.yaml",
                  "-b", "base/b/stack.yaml", "-b", "base/a/stack.json", "--format", "json")
    assert run.code == 1
    assert findings(run.report) == [
        ("LG001", "a/stack", "OrdersFn", "a/stack.json"),
        ("LG001", "b/stack", "BillingFn", "b/stack.yaml"),
    ]


def test_files_that_differ_by_suffix_only_keep_it_in_their_names(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    write(monorepo, "infra/stack.json", service("orders", CODE_V2, "b"))
    write(monorepo, "infra/stack.yaml", service("billing", CODE_V1, "a"))
    run = run_cli(capsys, "check", "-t", "infra/stack.json", "-t", "infra/stack.yaml",
                  "--format", "json")
    assert run.code == 0
    assert sorted(s["name"] for s in run.report["stacks"]) == ["stack.json", "stack.yaml"]


def test_two_stacks_that_cannot_be_told_apart_are_an_input_error(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    run = run_cli(capsys, "check", "-t", TEMPLATES[0], "-t", "services/../" + TEMPLATES[0],
                  "--baseline-ref", "main")
    assert run.code == 2
    assert run.out == ""
    assert run.err == (
        f"latest-guard: error: services/../{TEMPLATES[0]}: and {TEMPLATES[0]} are both stack "
        "template: two stacks that cannot be told apart\n"
    )


def test_a_lone_template_keeps_its_file_name(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    run = run_cli(capsys, "check", "-t", TEMPLATES[0], "--baseline-ref", "main",
                  "--format", "json")
    assert run.code == 1
    assert findings(run.report) == [
        ("LG001", "template", "OrdersFn", "services/orders/template.yaml")
    ]


# --- globs -----------------------------------------------------------------------------------


def test_a_glob_names_every_service_sorted(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    run = run_cli(capsys, "check", "-t", "services/*/template.yaml", "--baseline-ref", "main",
                  "--format", "json")
    assert run.code == 1
    assert findings(run.report) == EXPECTED
    assert [s["name"] for s in run.report["stacks"]] == [
        "billing/template", "orders/template", "shipping/template"
    ]


def test_a_glob_that_matches_nothing_is_an_input_error_naming_it(
    capsys: pytest.CaptureFixture[str], monorepo: Path
) -> None:
    run = run_cli(capsys, "check", "-t", "services/*/stack.yaml", "--baseline-ref", "main")
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        "latest-guard: error: services/*/stack.yaml: matches no file or directory\n"
    )


# --- the Action's template input -------------------------------------------------------------


def run_action(workspace: Path, template_input: str) -> tuple[int, str, dict[str, Any] | None]:
    """The Action in analyze mode (no GitHub API): exit status, log and the report written."""
    from reviewer.commands.action import main

    outputs = workspace.parent / "outputs"
    outputs.write_text("", encoding="utf-8")
    env = {
        "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(outputs), "INPUT_TEMPLATE": template_input,
        "INPUT_BASELINE": "git:main", "INPUT_MODE": "analyze",
    }
    log = io.StringIO()
    code = main(env, log)
    written = workspace / "latest-guard-report.json"
    report = json.loads(written.read_text(encoding="utf-8")) if written.is_file() else None
    return code, log.getvalue(), report


@pytest.mark.parametrize(
    "template_input", ["\n".join(TEMPLATES) + "\n", "services/*/template.yaml"],
    ids=["one-per-line", "glob"],
)
def test_the_action_finds_each_service_in_its_own_file(
    monorepo: Path, template_input: str
) -> None:
    code, log, report = run_action(monorepo, template_input)
    assert code == 0, log  # analyze mode: the publish run carries the verdict
    assert report is not None
    assert findings(report) == EXPECTED
    annotations = sorted(line.split(",title=")[0] for line in log.splitlines()
                         if line.startswith("::error file="))
    assert annotations == [
        "::error file=services/billing/template.yaml,line=3",
        "::error file=services/orders/template.yaml,line=3",
    ]


def test_the_action_names_a_glob_that_matches_nothing(monorepo: Path) -> None:
    code, log, report = run_action(monorepo, "services/*/stack.yaml")
    assert code == 2
    assert report is None
    assert "::error title=latest-guard::services/*/stack.yaml: matches no file or directory" in log


JOBS = """\
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/fn
      Code: {{S3Bucket: artifacts, S3Key: fn/{key}.zip}}
  FnVersion:
    Type: AWS::Lambda::Version
    Properties:
      FunctionName: !Ref Fn
  FnLive:
    Type: AWS::Lambda::Alias
    Properties:
      Name: live
      FunctionName: !Ref Fn
      FunctionVersion: !GetAtt FnVersion.Version
"""


def test_the_action_verifies_a_fix_in_a_service_named_by_its_path(monorepo: Path) -> None:
    """A version that is never published again: its fix, applied to a copy of the service's
    template, is checked to remove the finding (the copy's stack keeps the service's name)."""
    write(monorepo, "services/jobs/template.yaml", JOBS.format(key="1111"))
    git(monorepo, "add", "services/jobs")
    git(monorepo, "commit", "-q", "-m", "jobs")
    write(monorepo, "services/jobs/template.yaml", JOBS.format(key="2222"))
    code, log, report = run_action(monorepo, "services/*/template.yaml")
    assert (code, report is not None) == (0, True), log
    assert report is not None
    [jobs] = [f for f in report["findings"] if f["stack"] == "jobs/template"]
    assert jobs["location"]["path"] == "services/jobs/template.yaml"
    assert jobs["fix"]["verified"] is True
