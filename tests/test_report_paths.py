"""One rule for every path of a report: relative to the working directory (``-C``, default the
current directory) when the file is under it, a base commit's file the git way (``REF:path``),
whether the template was named on the command line or nested in another."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import Run, git, run_cli, validate
from template_builder import CODE_V1, CODE_V2, template

pytestmark = pytest.mark.usefixtures("isolated_git")

NESTING = {"Child": {"Type": "AWS::CloudFormation::Stack",
                     "Properties": {"TemplateURL": "child.json"}}}


def child(*, changed: bool) -> str:
    """A function that an SQS mapping invokes unqualified; ``changed``: code and runtime."""
    body = template(
        {"JobsFn": {"Code": CODE_V2 if changed else CODE_V1,
                    "Runtime": "python3.13" if changed else "python3.12"}},
        resources={
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
                "FunctionName": {"Ref": "JobsFn"},
                "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
            }},
        },
    )
    return json.dumps(body, indent=2) + "\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``app/parent.json`` nests ``app/child.json``, whose function races in the change."""
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "parent.json").write_text(json.dumps({"Resources": NESTING}), "utf-8")
    (root / "app" / "child.json").write_text(child(changed=False), "utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    (root / "app" / "child.json").write_text(child(changed=True), "utf-8")
    return root


def paths(run: Run) -> dict[str, Any]:
    validate(run.report)
    (finding,) = run.report["findings"]
    return {
        "stacks": {s["name"]: (s["template"], s["baseline"]) for s in run.report["stacks"]},
        "location": finding["location"]["path"],
        "patch": [line for line in (finding["fix"]["patch"] or "").splitlines()
                  if line.startswith(("--- ", "+++ "))],
    }


@pytest.mark.parametrize("where", ["-C", "cwd"])
def test_top_and_nested_templates_are_named_alike_from_the_working_directory(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, repo: Path, where: str
) -> None:
    if where == "-C":
        monkeypatch.chdir(repo.parent)  # outside the repository: -C leads into it
        folder = ["-C", "repo/app"]
    else:
        monkeypatch.chdir(repo / "app")
        folder = []
    run = run_cli(capsys, "check", *folder, "-t", "parent.json", "--baseline-ref", "HEAD",
                  "--synth", "true", "-f", "json")
    assert run.code == 1, run.err
    assert paths(run) == {
        "stacks": {"parent": ("parent.json", "HEAD:app/parent.json"),
                   "parent.Child": ("child.json", "HEAD:app/child.json")},
        "location": "child.json",
        "patch": ["--- a/child.json", "+++ b/child.json"],
    }
    # Both synth commands are named by the same folder of the repository.
    assert "running `true` in app (base HEAD)" in run.err
    assert "running `true` in app (pull request)" in run.err


def test_a_file_baseline_and_the_fix_are_named_from_the_working_directory(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, repo: Path
) -> None:
    base = repo / "base"
    base.mkdir()
    (base / "parent.json").write_text(json.dumps({"Resources": NESTING}), "utf-8")
    (base / "child.json").write_text(child(changed=False), "utf-8")
    monkeypatch.chdir(repo.parent)
    run = run_cli(capsys, "check", "-C", str(repo), "-t", "app/parent.json",
                  "-b", "base/parent.json", "-f", "json")
    assert run.code == 1, run.err
    found = paths(run)
    assert found["stacks"] == {"parent": ("app/parent.json", "base/parent.json"),
                               "parent.Child": ("app/child.json", "base/child.json")}
    assert found["location"] == "app/child.json"
    (finding,) = run.report["findings"]
    assert finding["fix"]["phase_one_path"] == "base/child.json"
    assert [edit["path"] for edit in finding["fix"]["phase_one_edits"]] == \
        ["base/child.json"] * len(finding["fix"]["phase_one_edits"])
    sarif = run_cli(capsys, "check", "-C", str(repo), "-t", "app/parent.json",
                    "-b", "base/parent.json", "-f", "sarif")
    (result,) = json.loads(sarif.out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "app/child.json", "uriBaseId": "%SRCROOT%",
    }


SAM = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: dist/
      Handler: app.handler
      Runtime: python3.12
"""


@pytest.mark.parametrize(("folder", "template", "named"), [
    ([], "services/orders/template.yaml", "services/orders/template.yaml:7"),
    (["-C", "services/orders"], "template.yaml", "template.yaml:7"),
])
def test_a_note_names_the_template_by_the_same_rule(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    folder: list[str], template: str, named: str,
) -> None:
    """In a monorepo a bare ``template.yaml`` would not say which service."""
    service = tmp_path / "services" / "orders"
    service.mkdir(parents=True)
    (service / "template.yaml").write_text(SAM, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run = run_cli(capsys, "check", *folder, "-t", template, "-b", template, "-f", "json")
    assert run.code == 0, run.err
    (stack,) = run.report["stacks"]
    assert stack["template"] == template
    (note,) = stack["notes"]
    assert f"CodeUri 'dist/' ({named}) exists on neither side" in note
