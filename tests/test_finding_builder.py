"""A finding is made once, by its rule's builder, with a place to show it, and leaves the
analysis complete: no stage after it rebuilds it."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from template_builder import CODE_V1, CODE_V2, template

from reviewer.config import Config
from reviewer.contract.findings import Location, MissingLocation
from reviewer.model.template import StackTemplate
from reviewer.pipeline.analysis import analyze
from reviewer.pipeline.handover import Suggestion
from reviewer.rules.base import Rule
from reviewer.rules.registry import RULES
from reviewer.sources.text.files import load_template_text

PACKAGE = Path(__file__).resolve().parents[1] / "reviewer"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
@pytest.mark.parametrize("where", [Location("template.yaml", None), Location("", 3)])
def test_a_rule_cannot_make_a_finding_without_a_file_and_a_line(
    rule: type[Rule], where: Location
) -> None:
    with pytest.raises(MissingLocation, match=f"{rule.id} made a finding about Orders"):
        rule().finding(stack="app", resource="Orders", message="m", location=where)


def test_a_resource_the_template_does_not_spell_is_shown_on_the_resources_line() -> None:
    text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn:\n    Type: X\n"
    stack = load_template_text(Path("t.yaml"), text)
    assert stack.locate("Fn", ("Layers", 0)) == Location("t.yaml", 3)
    assert stack.locate("AddedByATransform") == Location("t.yaml", 2)


def _calls(name: str) -> list[str]:
    """Where ``name(...)`` is called in the package, as ``path:line``."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == name
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_findings_are_made_by_the_rules_builder_alone() -> None:
    """``Finding(...)`` in the builder, and where a written report is read back."""
    made = [call.split(":")[0] for call in _calls("Finding")]
    assert made == ["reviewer/report/json_v1.py", "reviewer/rules/base.py"]


def _side(body: dict[str, Any], path: Path) -> list[StackTemplate]:
    text = json.dumps(body, indent=2)
    path.write_text(text, encoding="utf-8")
    return [load_template_text(path, text, "app")]


def test_a_verified_fix_is_decided_in_the_analysis(tmp_path: Path) -> None:
    """The analysis asks its verifier about each one-deployment fix of the analysed template
    and hands the finding over with the answer; without a verifier, the same fix is not
    verified."""
    wiring = {
        "FnVersion": {"Type": "AWS::Lambda::Version",
                      "Properties": {"FunctionName": {"Ref": "Fn"}}},
        "FnLive": {"Type": "AWS::Lambda::Alias", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Name": "live",
            "FunctionVersion": {"Fn::GetAtt": ["FnVersion", "Version"]},
        }},
        "Nightly": {"Type": "AWS::Events::Rule", "Properties": {
            "ScheduleExpression": "rate(1 day)",
            "Targets": [{"Id": "t", "Arn": {"Ref": "FnLive"}}],
        }},
    }
    old = _side(template({"Fn": {"Code": CODE_V1}}, resources=wiring), tmp_path / "b.json")
    new = _side(template({"Fn": {"Code": CODE_V2}}, resources=wiring), tmp_path / "t.json")
    asked: list[Suggestion] = []

    def yes(suggestion: Suggestion) -> bool:
        asked.append(suggestion)
        return True

    (finding,) = analyze(new, old, Config(), "b", verify=yes).findings
    assert finding.rule == "LG002" and finding.fix is not None and finding.fix.verified
    assert [(s.rule, s.resource, s.stack is new[0]) for s in asked] == [("LG002", "Fn", True)]
    (unasked,) = analyze(new, old, Config(), "b").findings
    assert unasked.fix is not None and not unasked.fix.verified
    assert unasked.fix.change == finding.fix.change
