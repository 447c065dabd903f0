"""The fixes' work grows with the template, not with its square: counted, not timed.

A template of N functions, each changing while a schedule invokes it unqualified, gets N
findings and N fixes. Building each fix must look its resources up, not read the whole
template again: the span trees count the key-value pairs their lookups read and the nodes
their walks visit (``document.COST``), and ten times the functions may cost about ten times
that work, never a hundred times.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import run_cli
from template_builder import template

from reviewer.fixes.edit import document

#: Ten times the functions: linear work grows about 10 times, one scan per fix about 100.
GROWTH_LIMIT = 15


def _side(functions: int, release: str) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for index in range(functions):
        name = f"Worker{index}"
        resources[f"{name}Schedule"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "ScheduleExpression": "rate(5 minutes)",
                "Targets": [{"Id": "worker", "Arn": {"Fn::GetAtt": [name, "Arn"]}}],
            },
        }
        resources[f"{name}Permission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": name},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": [f"{name}Schedule", "Arn"]},
            },
        }
    return template(
        {
            f"Worker{index}": {
                "Code": {"S3Bucket": "artifacts", "S3Key": f"worker-{index}/{release}.zip"},
                "Environment": {"Variables": {"RELEASE": release}},
            }
            for index in range(functions)
        },
        resources=resources,
    )


def _work(capsys: pytest.CaptureFixture[str], folder: Path, functions: int) -> int:
    """The span-tree work of one ``check`` of a pair of ``functions`` functions."""
    folder.mkdir()
    new, old = folder / "template.json", folder / "baseline.json"
    new.write_text(json.dumps(_side(functions, "v2"), indent=2), encoding="utf-8")
    old.write_text(json.dumps(_side(functions, "v1"), indent=2), encoding="utf-8")
    before = document.COST.total
    run = run_cli(capsys, "check", "--template", new, "--baseline", old, "--format", "json")
    work = document.COST.total - before
    findings = run.report["findings"]
    assert run.code == 1
    assert len(findings) == functions
    assert all(f["rule"] == "LG001" and f["fix"]["edits"] for f in findings)
    return work


def test_fix_work_grows_linearly_with_the_functions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    small = _work(capsys, tmp_path / "small", 6)
    large = _work(capsys, tmp_path / "large", 60)
    assert small > 0
    assert large <= GROWTH_LIMIT * small, (small, large)
