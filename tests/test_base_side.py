"""The baseline side at a git ref, as real SAM projects have it.

Code identity is what the function runs: with ``CodeUri: .`` the folder holds the template
and ``samconfig.toml``, whose edits are no code change; code that is build output (not in git)
is unknown on both sides, with a note, until a synth command builds it on both sides. A base
that cannot be read makes the check neutral, named ``base (REF):path:line``, never the
temporary work tree; a broken new side is still the user's input error.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from support import Run, git, run_cli, validate
from template_builder import CODE_V1, CODE_V2, template

from reviewer.commands.action import main as action_main

pytestmark = pytest.mark.usefixtures("isolated_git")

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: app.handler
      Runtime: {runtime}
      Events:
        Queue:
          Type: SQS
          Properties: {{Queue: !GetAtt Queue.Arn}}
  Queue:
    Type: AWS::SQS::Queue
"""

#: What ``sam build`` does, as far as latest-guard reads it: each function's code is copied to
#: ``.aws-sam/build/<LogicalId>/`` (for ``CodeUri: .`` the whole project, template included,
#: but not ``.aws-sam`` itself), and ``.aws-sam/build/template.yaml`` names those folders.
STAND_IN_SAM_BUILD = """\
import re, shutil, sys
from pathlib import Path

root = Path.cwd()
build = root / ".aws-sam" / "build"
shutil.rmtree(build, ignore_errors=True)
build.mkdir(parents=True)
lines, current = [], None
for line in (root / "template.yaml").read_text(encoding="utf-8").splitlines():
    resource = re.match(r"^  (\\w+):\\s*$", line)
    current = resource.group(1) if resource else current
    code = re.match(r"^(\\s+)CodeUri:\\s*(\\S+)\\s*$", line)
    if code:
        source = (root / code.group(2)).resolve()
        if not source.is_dir():
            sys.exit(f"Build Failed: {code.group(2)} does not exist")
        shutil.copytree(source, build / current,
                        ignore=shutil.ignore_patterns(".aws-sam", ".git", ".gitignore"))
        line = f"{code.group(1)}CodeUri: {current}"
    lines.append(line)
(build / "template.yaml").write_text("\\n".join(lines) + "\\n", encoding="utf-8")
print("Build Succeeded")
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, code: str = ".") -> Path:
    """A SAM project as ``sam init`` lays it out, committed; the current directory."""
    root = tmp_path / "orders"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, {
        ".gitignore": ".aws-sam/\ndist/\n",
        "template.yaml": TEMPLATE.format(code=code, runtime="python3.12"),
        "app.py": "def handler(event, context):\n    return 1\n",
        "samconfig.toml": 'version = 0.1\n[default.deploy.parameters]\nstack_name = "orders"\n',
        "events/event.json": '{"Records": []}\n',
    })
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    monkeypatch.chdir(root)
    return root


def retemplate(root: Path, *, code: str = ".", runtime: str = "python3.13") -> None:
    """The template with a configuration change (Runtime) and, if asked, another CodeUri."""
    (root / "template.yaml").write_text(TEMPLATE.format(code=code, runtime=runtime), "utf-8")


def check(capsys: pytest.CaptureFixture[str], *extra: str) -> Run:
    run = run_cli(capsys, "check", "--baseline-ref", "HEAD", "-f", "json", *extra)
    if run.code != 2:
        validate(run.report)
    assert "latest-guard-baseline-" not in run.out + run.err, "names the temporary work tree"
    assert tempfile.gettempdir() + "/latest-guard" not in run.out + run.err
    return run


def rules(run: Run) -> list[tuple[str, str, list[str]]]:
    return [
        (f["rule"], f["resource"], [c["property"] for c in f["changes"]["code"]])
        for f in run.report["findings"]
    ]


def notes(run: Run) -> list[str]:
    return [note for stack in run.report["stacks"] for note in stack["notes"]]


# Code identity with CodeUri: . -------------------------------------------------------------


def test_code_uri_dot_a_template_edit_is_no_code_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, monkeypatch)
    retemplate(root)  # the folder of CodeUri: . holds this very file
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 0, run.err
    assert run.report["findings"] == []
    assert run.report["stacks"][0]["status"] == "compared"
    assert run.report["stacks"][0]["changed_functions"] == ["OrdersFn"]  # Runtime only


def test_code_uri_dot_a_code_edit_is_a_code_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, monkeypatch)
    retemplate(root)
    (root / "app.py").write_text("def handler(event, context):\n    return 2\n", "utf-8")
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 1, run.err
    assert rules(run) == [("LG001", "OrdersFn", ["Code"])]


def test_code_uri_dot_samconfig_and_other_template_edits_are_no_code_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, monkeypatch)
    retemplate(root)
    write(root, {
        "samconfig.toml": 'version = 0.1\n[default.deploy.parameters]\nstack_name = "orders"\n'
                          'region = "eu-west-1"\n',
        "pipeline/stack.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
    })
    git(root, "add", "pipeline/stack.yaml")  # tracked on the new side, hashed if it were code
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 0, run.err
    assert run.report["findings"] == []


# Code that is build output ----------------------------------------------------------------


def test_a_build_folder_missing_on_both_sides_is_a_note_not_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, monkeypatch, code="dist/")
    retemplate(root, code="dist/")
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 0, run.err
    assert may_race_on_unread_code(run) == ["OrdersFn"]
    (stack,) = run.report["stacks"]
    assert stack["status"] == "compared"
    (note,) = stack["notes"]
    assert note.startswith(
        "code not read for OrdersFn: CodeUri 'dist/' (template.yaml:7) exists on neither side, "
        "so a change of that code cannot be seen; build it on both sides: "
        "synth-command: sam build (CLI: --synth 'sam build')"
    )
    text = run_cli(capsys, "check", "--baseline-ref", "HEAD", "-t", "template.yaml")
    assert f"note: {note}" in text.out


def test_a_build_folder_only_the_new_side_has_is_unknown_code_not_a_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, monkeypatch, code="dist/")
    retemplate(root, code="dist/")
    write(root, {"dist/app.py": "def handler(event, context):\n    return 2\n"})  # built here
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 0, run.err
    # not compared: no race claimed from one side's code, only that it may race
    assert may_race_on_unread_code(run) == ["OrdersFn"]
    (note,) = notes(run)
    assert note.startswith(
        "code not read for OrdersFn: CodeUri 'dist/' (HEAD:template.yaml:7) does not exist at "
        "base (HEAD), so a change of that code cannot be seen"
    )


def test_a_code_folder_only_the_base_has_is_unknown_code_not_a_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, monkeypatch, code="src/")
    write(root, {"src/app.py": "def handler(event, context):\n    return 1\n"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "code in src")
    retemplate(root, code="src/")
    (root / "src" / "app.py").unlink()
    (root / "src").rmdir()
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 0, run.err
    assert may_race_on_unread_code(run) == ["OrdersFn"]
    (note,) = notes(run)
    assert "CodeUri 'src/' (template.yaml:7) does not exist on the new side (it does at base " \
           "(HEAD))" in note


def may_race_on_unread_code(run: Run) -> list[str]:
    """The functions with a may-race notice because their code could not be read (the
    template's configuration changes beside it); no other finding."""
    findings = run.report["findings"]
    assert all(f["rule"] == "LG001" and f["severity"] == "notice" for f in findings)
    assert all("the code could not be read (see the note)" in f["message"] for f in findings)
    return [f["resource"] for f in findings]


def stand_in_sam_build(tmp_path: Path) -> str:
    script = tmp_path / "sam-build.py"
    script.write_text(STAND_IN_SAM_BUILD, encoding="utf-8")
    return f"{sys.executable} {script}"


@pytest.mark.parametrize("code", [".", "dist/"])
def test_sam_build_on_both_sides_compares_the_built_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    code: str,
) -> None:
    """``.aws-sam/build/template.yaml`` read on both sides, found without --template."""
    root = project(tmp_path, monkeypatch)
    build = stand_in_sam_build(tmp_path)
    if code == "dist/":  # the build of the build: code that only a build makes
        build = f"mkdir -p dist && cp app.py dist/ && {build}"
        retemplate(root, code=code, runtime="python3.12")
        git(root, "commit", "-q", "-am", "code from dist")
    retemplate(root, code=code)
    config_only = check(capsys, "--synth", build)
    assert config_only.code == 0, config_only.err
    assert config_only.report["findings"] == []
    assert config_only.report["stacks"][0]["template"] == ".aws-sam/build/template.yaml"
    assert config_only.report["stacks"][0]["notes"] == []
    assert "running `" in config_only.err and "(base HEAD)" in config_only.err

    (root / "app.py").write_text("def handler(event, context):\n    return 2\n", "utf-8")
    both = check(capsys, "--synth", build)
    assert both.code == 1, both.err
    assert rules(both) == [("LG001", "OrdersFn", ["Code"])]


def test_sam_build_failing_at_base_is_a_missing_baseline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, monkeypatch, code="src/")  # no src/ at base: the build fails
    write(root, {"src/app.py": "def handler(event, context):\n    return 1\n"})
    retemplate(root, code="src/")
    run = check(capsys, "--synth", stand_in_sam_build(tmp_path))
    assert run.code == 0, run.err
    (stack,) = run.report["stacks"]
    assert stack["status"] == "baseline-missing"
    assert any("the synth command failed at base HEAD" in n for n in stack["notes"])


# A base that cannot be read ---------------------------------------------------------------


BROKEN = TEMPLATE.format(code=".", runtime="python3.12").replace(
    "      Handler: app.handler\n", "      Handler: [app.handler\n"
)


def broken_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str = BROKEN) -> Path:
    root = project(tmp_path, monkeypatch)
    (root / "template.yaml").write_text(text, encoding="utf-8")
    git(root, "commit", "-q", "-am", "broken")
    retemplate(root)  # this change repairs it
    return root


def test_a_base_that_cannot_be_parsed_is_neutral_and_named_the_git_way(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken_base(tmp_path, monkeypatch)
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 0, run.err
    (stack,) = run.report["stacks"]
    assert stack["status"] == "baseline-missing"
    (note,) = stack["notes"]
    assert note.startswith("base could not be read: base (HEAD):template.yaml:9: malformed YAML")
    assert note.endswith("; every stack compared as new")
    assert f"latest-guard: {note}" in run.err
    assert run.report["summary"]["baseline_missing"] == {
        "stacks": ["template"], "nothing_compared": True,
    }
    text = run_cli(capsys, "check", "--baseline-ref", "HEAD", "-t", "template.yaml")
    assert text.code == 0
    header, *_, warning, totals = text.out.splitlines()
    assert header.endswith("baseline: git HEAD (missing: nothing compared)")
    assert warning.startswith("▲ warning: nothing compared: the baseline of every stack is missing")
    assert totals.startswith("0 errors")
    markdown = run_cli(capsys, "check", "--baseline-ref", "HEAD", "-t", "template.yaml",
                       "-f", "markdown")
    assert "> [!WARNING]\n> **Nothing compared:** the baseline of every stack is missing" \
        in markdown.out


def test_a_base_sam_refuses_is_neutral_and_names_the_resource_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = TEMPLATE.format(code=".", runtime="python3.12").replace("Type: SQS", "Type: Fax")
    broken_base(tmp_path, monkeypatch, refused)
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 0, run.err
    (note,) = notes(run)
    assert note.startswith("base could not be read: base (HEAD):template.yaml:4: SAM transform "
                           "failed")


def step_outputs(path: Path) -> dict[str, str]:
    """The ``name<<DELIMITER`` blocks of a ``GITHUB_OUTPUT`` file."""
    blocks = re.findall(r"(?ms)^([\w-]+)<<(\S+)\n(.*?)\n\2$", path.read_text("utf-8"))
    return {name: value for name, _, value in blocks}


def test_a_broken_base_leaves_the_action_neutral_not_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = broken_base(tmp_path, monkeypatch)
    outputs = tmp_path / "outputs"
    log = tmp_path / "log"
    env = {
        "INPUT_MODE": "analyze", "INPUT_BASELINE": "git:HEAD", "INPUT_TEMPLATE": "template.yaml",
        "GITHUB_WORKSPACE": str(root), "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"), "PATH": "/usr/bin:/bin",
    }
    with log.open("w", encoding="utf-8") as stream:
        assert action_main(env, stream) == 0
    assert step_outputs(outputs)["conclusion"] == "neutral"
    report: dict[str, Any] = json.loads((root / "latest-guard-report.json").read_text("utf-8"))
    assert report["stacks"][0]["status"] == "baseline-missing"
    assert "base (HEAD):template.yaml:9" in report["stacks"][0]["notes"][0]
    assert "latest-guard-baseline-" not in log.read_text(encoding="utf-8")


def test_a_broken_new_side_is_still_an_input_error_naming_the_users_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, monkeypatch)
    (root / "template.yaml").write_text(BROKEN, encoding="utf-8")
    run = check(capsys, "-t", "template.yaml")
    assert run.code == 2
    assert run.err.startswith("latest-guard: error: template.yaml:9: malformed YAML")
    assert "base (" not in run.err


SAMCONFIG = """\
version = 0.1
[default.deploy.parameters]
parameter_overrides = "LogLevel={level}"
"""
LEVEL_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  LogLevel: {{Type: String, Default: WARN}}
Resources:
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment: {{Variables: {{LOG_LEVEL: !Ref LogLevel}}}}
"""


@pytest.mark.parametrize(("base_level", "head_level", "rules"), [
    ("INFO", "DEBUG", ["LG001"]),  # the samconfig edit reaches the environment with the code
    ("INFO", "INFO", []),  # a code change alone
])
def test_each_side_deploys_with_its_own_samconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    base_level: str, head_level: str, rules: list[str],
) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "template.yaml").write_text(LEVEL_TEMPLATE.format(), encoding="utf-8")
    (repo / "samconfig.toml").write_text(SAMCONFIG.format(level=base_level), encoding="utf-8")
    (repo / "src" / "app.py").write_text("def handler(e, c): return 1\n", encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "deployed")
    (repo / "samconfig.toml").write_text(SAMCONFIG.format(level=head_level), encoding="utf-8")
    (repo / "src" / "app.py").write_text("def handler(e, c): return 2\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    run = run_cli(capsys, "check", "-t", "template.yaml", "--baseline-ref", "HEAD", "-f", "json")
    validate(run.report)
    assert [f["rule"] for f in run.report["findings"]] == rules, run.err


# A base that can be read in part -----------------------------------------------------------


def racing(function: str, *, changed: bool, resources: dict[str, Any] | None = None) -> str:
    """A template whose ``function`` an SQS mapping invokes unqualified; ``changed``: its
    code and its runtime both changed (a race)."""
    body = template(
        {function: {"Code": CODE_V2 if changed else CODE_V1,
                    "Runtime": "python3.13" if changed else "python3.12"}},
        resources={
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
                "FunctionName": {"Ref": function},
                "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
            }},
            **(resources or {}),
        },
    )
    return json.dumps(body, indent=2) + "\n"


def unreadable(text: str) -> str:
    """``text`` cut short: malformed JSON from its fourth line on."""
    return "\n".join(text.splitlines()[:3]) + "\n"


def committed_then_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base: dict[str, str], head: dict[str, str]
) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, base)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    write(root, head)
    monkeypatch.chdir(root)
    return root


def stacks_by_name(run: Run) -> dict[str, dict[str, Any]]:
    return {stack["name"]: stack for stack in run.report["stacks"]}


def test_one_unreadable_template_of_a_directory_leaves_the_others_compared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = racing("BillingFn", changed=False)
    committed_then_changed(
        tmp_path, monkeypatch,
        {"infra/orders.json": racing("OrdersFn", changed=False),
         "infra/billing.json": unreadable(billing)},
        {"infra/orders.json": racing("OrdersFn", changed=True),
         "infra/billing.json": racing("BillingFn", changed=True)},
    )
    run = check(capsys, "-t", "infra")
    assert run.code == 1, run.err
    assert rules(run) == [("LG001", "OrdersFn", ["Code"])]  # judged: its base could be read
    stacks = stacks_by_name(run)
    assert stacks["orders"]["status"] == "compared"
    assert stacks["billing"]["status"] == "baseline-missing"
    (note,) = stacks["billing"]["notes"]
    assert note.startswith("base could not be read: base (HEAD):infra/billing.json:")
    assert note.endswith("; stack billing not compared (the rest of the app was)")
    assert run.report["summary"]["baseline_missing"] == {
        "stacks": ["billing"], "nothing_compared": False,
    }
    text = run_cli(capsys, "check", "--baseline-ref", "HEAD", "-t", "infra")
    assert "not compared: billing (baseline missing: see the notes)" in text.out
    assert "nothing compared" not in text.out
    markdown = run_cli(capsys, "check", "--baseline-ref", "HEAD", "-t", "infra", "-f", "markdown")
    assert "**Not compared:** the baseline of billing is missing" in markdown.out
    assert "LG001 latest-race" in markdown.out


def test_an_unreadable_template_of_the_new_side_is_still_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the base is read in part: the new side is the user's input."""
    committed_then_changed(
        tmp_path, monkeypatch,
        {"infra/orders.json": racing("OrdersFn", changed=False),
         "infra/billing.json": racing("BillingFn", changed=False)},
        {"infra/billing.json": unreadable(racing("BillingFn", changed=True))},
    )
    run = check(capsys, "-t", "infra")
    assert run.code == 2
    assert run.err.startswith("latest-guard: error: infra/billing.json:4: malformed JSON")
    assert len(run.err.splitlines()) == 1


def test_an_unreadable_nested_template_leaves_its_parent_compared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = {"Child": {"Type": "AWS::CloudFormation::Stack",
                       "Properties": {"TemplateURL": "jobs.json"}}}
    committed_then_changed(
        tmp_path, monkeypatch,
        {"stacks/main.json": racing("OrdersFn", changed=False, resources=child),
         "stacks/jobs.json": unreadable(racing("JobsFn", changed=False))},
        {"stacks/main.json": racing("OrdersFn", changed=True, resources=child),
         "stacks/jobs.json": racing("JobsFn", changed=True)},
    )
    run = check(capsys, "-t", "stacks/main.json")
    assert run.code == 1, run.err
    assert rules(run) == [("LG001", "OrdersFn", ["Code"])]
    stacks = stacks_by_name(run)
    assert stacks["main"]["status"] == "compared"
    assert stacks["main.Child"]["status"] == "baseline-missing"
    (note,) = stacks["main.Child"]["notes"]
    assert note.startswith("base could not be read: base (HEAD):stacks/jobs.json:")
    assert run.report["summary"]["baseline_missing"]["nothing_compared"] is False
    assert run.err.count("base could not be read") == 1


def test_one_unreadable_stack_of_a_cloud_assembly_leaves_the_others_compared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = json.dumps({"version": "36.0.0", "artifacts": {
        name: {"type": "aws:cloudformation:stack",
               "properties": {"templateFile": f"{name}.template.json"}}
        for name in ("Orders", "Billing")
    }})
    committed_then_changed(
        tmp_path, monkeypatch,
        {"cdk.out/manifest.json": manifest,
         "cdk.out/Orders.template.json": racing("OrdersFn", changed=False),
         "cdk.out/Billing.template.json": unreadable(racing("BillingFn", changed=False))},
        {"cdk.out/Orders.template.json": racing("OrdersFn", changed=True),
         "cdk.out/Billing.template.json": racing("BillingFn", changed=True)},
    )
    run = check(capsys, "-t", "cdk.out")
    assert run.code == 1, run.err
    assert rules(run) == [("LG001", "OrdersFn", ["Code"])]
    assert {n: s["status"] for n, s in stacks_by_name(run).items()} == {
        "Orders": "compared", "Billing": "baseline-missing",
    }
    assert run.report["summary"]["baseline_missing"] == {
        "stacks": ["Billing"], "nothing_compared": False,
    }
