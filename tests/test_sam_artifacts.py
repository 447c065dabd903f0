"""SAM templates with local code (``CodeUri: src/``) compare by the content of that code."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import run_cli

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: {code}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: {runtime}
      Events:
        Q:
          Type: SQS
          Properties: {{Queue: !GetAtt Queue.Arn}}
  Queue:
    Type: AWS::SQS::Queue
"""


def app(root: Path, name: str, *, source: str, runtime: str, code: str = "src/") -> Path:
    folder = root / name
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "app.py").write_text(source, encoding="utf-8")
    template = folder / "template.yaml"
    template.write_text(TEMPLATE.format(code=code, runtime=runtime), encoding="utf-8")
    return template


def test_changed_local_code_and_runtime_race(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = app(tmp_path, "old", source="print(1)\n", runtime="python3.12")
    new = app(tmp_path, "new", source="print(2)\n", runtime="python3.13")
    run = run_cli(capsys, "check", "-t", new, "-b", old, "-f", "json")
    assert run.code == 1, run.err
    (finding,) = run.report["findings"]
    assert [c["property"] for c in finding["changes"]["code"]] == ["Code"]
    assert finding["location"]["path"] == str(new)


def test_identical_local_code_is_no_code_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = app(tmp_path, "old", source="print(1)\n", runtime="python3.12")
    new = app(tmp_path, "new", source="print(1)\n", runtime="python3.13")
    run = run_cli(capsys, "check", "-t", new, "-b", old, "-f", "json")
    assert run.code == 0
    assert run.report["findings"] == []


def test_missing_local_code_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = app(tmp_path, "new", source="print(1)\n", runtime="python3.12")
    copy = tmp_path / "copy.yaml"
    copy.write_text(new.read_text(encoding="utf-8"), encoding="utf-8")
    run = run_cli(capsys, "check", "-t", new, "-b", copy)
    assert run.code == 2
    assert run.err.startswith(f"latest-guard: error: {copy}:4: CodeUri 'src/' does not exist")
    assert "--baseline-ref" in run.err
