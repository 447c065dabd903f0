"""Every deployment the template can make: conditions judged as worlds, not one by one.

A race is reported when one consistent assignment of what is not known before the
deployment (pseudo parameters, parameters known only by their ``Default``) makes both sides
of a function change; a finding that holds in some of those deployments only says which.
The families come from real templates: a log forwarder whose code and layers hang on one
partition condition with opposite branches, and integrations that create a function only
when a parameter is given.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from template_builder import CODE_V1, CODE_V2, compare, rules_of, template

from reviewer.cli import main

# -- the forwarder: code and layers on opposite branches of one condition ------------------

ZIP_COPIER = {
    "UseZipCopier": {
        "Fn::Or": [
            {"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-cn"]},
            {"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-us-gov"]},
        ]
    }
}
LAYER = "arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Forwarder:{}"


def forwarder(version: int, *, layer_on_both: bool = False) -> dict[str, Any]:
    """The forwarder's pattern: in the partitions with a zip copier the code comes from S3
    (its key names the version) and takes no layer; elsewhere the code is inline and the
    version arrives as a layer."""
    code = {"Fn::If": ["UseZipCopier",
                       {"S3Bucket": "forwarder-copies", "S3Key": f"forwarder-{version}.zip"},
                       {"ZipFile": "import forwarder\nhandler = forwarder.handler\n"}]}
    copier_layers = [LAYER.format(version)] if layer_on_both else []
    layers = {"Fn::If": ["UseZipCopier", copier_layers, [LAYER.format(version)]]}
    subscription = {
        "Type": "AWS::Logs::SubscriptionFilter",
        "Properties": {"LogGroupName": "app", "FilterPattern": "",
                       "DestinationArn": {"Fn::GetAtt": ["Forwarder", "Arn"]}},
    }
    return template({"Forwarder": {"Code": code, "Layers": layers}},
                    conditions=ZIP_COPIER, resources={"Subscription": subscription})


def test_code_and_layers_on_opposite_branches_never_change_together() -> None:
    report = compare(forwarder(1), forwarder(2))
    assert rules_of(report) == []
    (summary,) = report.stacks
    assert "Forwarder" in summary.changed_functions
    assert any("UseZipCopier" in note and "AWS::Partition" in note for note in summary.notes)
    # Quiet, and said so deployment by deployment: never a bare "code only".
    assert dict(summary.quiet)["Forwarder"] == (
        "no one deployment changes both sides: when UseZipCopier is true, code only (Code): "
        "one call, nothing to race with; when UseZipCopier is false, configuration only "
        "(Layers): no code change to race with"
    )


def test_the_branch_where_both_change_is_named() -> None:
    report = compare(forwarder(1), forwarder(2, layer_on_both=True))
    assert rules_of(report) == [("LG001", "Forwarder")]
    (finding,) = report.findings
    assert finding.when == "when UseZipCopier is true"
    assert [c.resource for c in finding.consumers] == ["Subscription"]


# -- functions created only when a parameter is given ---------------------------------------

SECRET = {"SecretArn": {"Type": "String", "Default": ""}}
HAS_SECRET = {"HasSecret": {"Fn::Not": [{"Fn::Equals": [{"Ref": "SecretArn"}, ""]}]}}


def integration(code: dict[str, str], mode: str) -> dict[str, Any]:
    env = {"Variables": {"MODE": mode, "SECRET": {"Ref": "SecretArn"}}}
    queue = {"Type": "AWS::Lambda::EventSourceMapping", "Condition": "HasSecret",
             "Properties": {"FunctionName": {"Ref": "WithSecret"},
                            "EventSourceArn": "arn:aws:sqs:us-east-1:1:q"}}
    return template(
        {"WithSecret": {"Code": code, "Environment": env, "Condition": "HasSecret"}},
        parameters=SECRET, conditions=HAS_SECRET, resources={"Queue": queue},
    )


def write(folder: Path, body: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "template.json"
    path.write_text(json.dumps(body, indent=1))
    return path


def check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    status = main(["check", *args, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)


def test_a_function_deployed_only_when_a_parameter_is_set_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write(tmp_path / "new", integration(CODE_V2, "b"))
    old = write(tmp_path / "old", integration(CODE_V1, "a"))
    status, report = check(["-t", str(new), "-b", str(old)], capsys)
    assert status == 1
    (finding,) = report["findings"]
    assert (finding["rule"], finding["resource"]) == ("LG001", "WithSecret")
    assert finding["when"] == "when HasSecret is true"
    assert finding["message"].startswith("when HasSecret is true: ")
    (stack,) = report["stacks"]
    assert any("judged as 2 deployments" in note and "SecretArn" in note
               for note in stack["notes"])


def test_a_known_value_decides_the_condition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = write(tmp_path / "new", integration(CODE_V2, "b"))
    old = write(tmp_path / "old", integration(CODE_V1, "a"))
    given_secret = ["--parameter-overrides", "SecretArn=arn:aws:secretsmanager:x"]
    status, report = check(["-t", str(new), "-b", str(old), *given_secret], capsys)
    assert status == 1
    (finding,) = report["findings"]
    assert finding["when"] is None  # the one deployment there is: nothing to name
    assert "arn:aws:secretsmanager:x" not in json.dumps(report)
    status, report = check(
        ["-t", str(new), "-b", str(old), "--parameter-overrides", "SecretArn="], capsys
    )
    assert (status, report["findings"]) == (0, [])


def test_the_text_report_says_when(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = write(tmp_path / "new", integration(CODE_V2, "b"))
    old = write(tmp_path / "old", integration(CODE_V1, "a"))
    assert main(["check", "-t", str(new), "-b", str(old)]) == 1
    out = capsys.readouterr().out
    assert "when HasSecret is true" in out
    assert "judged as 2 deployments" in out


# -- the property: a race exactly when some assignment changes both sides ------------------

PARAMETERS = ("P0", "P1")
CONSTANTS = ("on", "off")


@st.composite
def branching(draw: st.DrawFn, names: tuple[str, ...], leaves: tuple[Any, ...]) -> Any:
    """A value that is a leaf or an ``Fn::If`` of two such values (at most two levels)."""
    depth = draw(st.integers(0, 2))

    def grow(level: int) -> Any:
        if level == 0 or draw(st.booleans()):
            return draw(st.sampled_from(leaves))
        name = draw(st.sampled_from(names))
        return {"Fn::If": [name, grow(level - 1), grow(level - 1)]}

    return grow(depth)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    """Two or three conditions on shared parameters (defaults only: every value is open)."""
    count = draw(st.integers(2, 3))
    out: dict[str, Any] = {}
    for index in range(count):
        equals = {"Fn::Equals": [{"Ref": draw(st.sampled_from(PARAMETERS))},
                                 draw(st.sampled_from(CONSTANTS))]}
        out[f"C{index}"] = {"Fn::Not": [equals]} if draw(st.booleans()) else equals
    return out


def evaluate(value: Any, truth: dict[str, bool]) -> Any:
    if isinstance(value, dict) and "Fn::If" in value:
        name, yes, no = value["Fn::If"]
        return evaluate(yes if truth[name] else no, truth)
    return value


def truths(conds: dict[str, Any], values: dict[str, str]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for name, expression in conds.items():
        negated = "Fn::Not" in expression
        equals = expression["Fn::Not"][0] if negated else expression
        parameter, constant = equals["Fn::Equals"]
        out[name] = (values[parameter["Ref"]] == constant) != negated
    return out


CODES = (CODE_V1, CODE_V2)
MODES = ("a", "b")


@settings(max_examples=120, deadline=None, derandomize=True)
@given(data=st.data())
def test_a_race_is_reported_exactly_when_one_assignment_changes_both_sides(
    data: st.DataObject,
) -> None:
    conds = data.draw(conditions())
    names = tuple(conds)
    sides = []
    for _ in range(2):
        code = data.draw(branching(names, CODES))
        mode = data.draw(branching(names, MODES))
        sides.append((code, mode))

    def body(code: Any, mode: Any) -> dict[str, Any]:
        subscription = {"Type": "AWS::SNS::Subscription",
                        "Properties": {"Protocol": "lambda", "TopicArn": "arn:aws:sns:x:1:t",
                                       "Endpoint": {"Fn::GetAtt": ["Fn", "Arn"]}}}
        return template(
            {"Fn": {"Code": code, "Environment": {"Variables": {"MODE": mode}}}},
            parameters={p: {"Type": "String", "Default": "off"} for p in PARAMETERS},
            conditions=conds, resources={"Topic": subscription},
        )

    (old_code, old_mode), (new_code, new_mode) = sides
    races = False
    for values in itertools.product(("on", "off", "elsewhere"), repeat=len(PARAMETERS)):
        truth = truths(conds, dict(zip(PARAMETERS, values, strict=True)))
        code_changes = evaluate(old_code, truth) != evaluate(new_code, truth)
        mode_changes = evaluate(old_mode, truth) != evaluate(new_mode, truth)
        races = races or (code_changes and mode_changes)
    found = bool(rules_of(compare(body(old_code, old_mode), body(new_code, new_mode))))
    assert found is races
