"""LG004 layer-architecture: a function's layer built for the other architecture, judged on one
template (no baseline needed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support import run_cli, validate
from template_builder import CODE_V1, CODE_V2, compare, rules_of, stack, template

from reviewer.config import Config
from reviewer.contract.enums import StackStatus
from reviewer.contract.report import Report
from reviewer.model.template import StackTemplate
from reviewer.pipeline.analysis import analyze

DATADOG = "arn:aws:lambda:us-east-1:464622532012:layer"
X86_EXTENSION = f"{DATADOG}:Datadog-Extension:68"
INSIGHTS = "arn:aws:lambda:us-east-1:580247275435:layer"
ADOT = "arn:aws:lambda:us-east-1:901920570463:layer"
POWERTOOLS = "arn:aws:lambda:eu-west-1:017000801446:layer"
SECRETS = "arn:aws:lambda:us-east-1:177933569100:layer"
NEW_RELIC = "arn:aws:lambda:us-east-1:451483290750:layer"
ELASTIC = "arn:aws:lambda:us-east-1:267093732750:layer"
ARM_EXTENSION = f"{DATADOG}:Datadog-Extension-ARM:68"


def alone(body: dict[str, Any], config: Config | None = None) -> Report:
    """The report of one template checked without a baseline."""
    return analyze([stack(body)], None, config or Config(), "none")


def lg004(report: Report) -> list[str]:
    return [f.resource for f in report.findings if f.rule == "LG004"]


def function(arch: str | None, *layers: Any, **more: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {"Code": CODE_V1, "Layers": list(layers), **more}
    if arch is not None:
        properties["Architectures"] = [arch]
    return properties


def layer_version(*architectures: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"Content": {"S3Bucket": "b", "S3Key": "layer.zip"}}
    if architectures:
        properties["CompatibleArchitectures"] = list(architectures)
    return {"Type": "AWS::Lambda::LayerVersion", "Properties": properties}


# -- layer versions of the app ---------------------------------------------------------------


def test_an_arm64_function_with_an_x86_layer_version_is_an_error_without_a_baseline() -> None:
    report = alone(template(
        {"Orders": function("arm64", {"Ref": "Codec"})},
        resources={"Codec": layer_version("x86_64")},
    ))
    (finding,) = report.findings
    assert (finding.rule, finding.resource, finding.severity) == ("LG004", "Orders", "error")
    assert finding.message == (
        "Orders runs on arm64, but layer version Codec declares CompatibleArchitectures "
        "x86_64 only"
    )
    assert "exec format error" in finding.why
    assert finding.fix is not None and finding.fix.summary == "use an arm64 build of Codec"
    assert report.exit_code == 1
    (summary,) = report.stacks
    assert summary.status is StackStatus.NEW
    assert any("only LG004" in note for note in summary.notes)


@pytest.mark.parametrize(
    ("arch", "declared"),
    [("arm64", ("arm64",)), ("arm64", ("x86_64", "arm64")), ("x86_64", ("x86_64",)),
     (None, ("x86_64",)), ("arm64", ())],
    ids=["arm64-arm64", "arm64-both", "x86-x86", "default-x86", "arm64-undeclared"],
)
def test_a_layer_version_that_supports_the_function_or_says_nothing_is_fine(
    arch: str | None, declared: tuple[str, ...]
) -> None:
    report = alone(template(
        {"Orders": function(arch, {"Ref": "Codec"})},
        resources={"Codec": layer_version(*declared)},
    ))
    assert report.findings == ()


def test_the_default_architecture_is_x86_64() -> None:
    report = alone(template(
        {"Orders": function(None, {"Fn::GetAtt": ["Codec", "LayerVersionArn"]})},
        resources={"Codec": layer_version("arm64")},
    ))
    (finding,) = report.findings
    assert finding.message == (
        "Orders runs on x86_64 (the default), but layer version Codec declares "
        "CompatibleArchitectures arm64 only"
    )


def test_the_finding_points_at_the_architecture_when_it_is_set_else_at_the_layer() -> None:
    text = (
        "Resources:\n"
        "  Codec:\n"
        "    Type: AWS::Lambda::LayerVersion\n"
        "    Properties:\n"
        "      Content: {S3Bucket: b, S3Key: l.zip}\n"
        "      CompatibleArchitectures: [arm64]\n"
        "  Arm:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Properties:\n"
        "      Code: {S3Bucket: b, S3Key: c.zip}\n"
        "      Role: r\n"
        "      Architectures: [arm64]\n"
        "      Layers:\n"
        f"        - {X86_EXTENSION}\n"
        "  Default:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Properties:\n"
        "      Code: {S3Bucket: b, S3Key: c.zip}\n"
        "      Role: r\n"
        "      Layers:\n"
        "        - !Ref Codec\n"
    )
    from reviewer.sources.text.files import load_template_text

    report = analyze(
        [load_template_text(Path("t.yaml"), text, "app")], None, Config(), "none"
    )
    lines = {f.resource: f.location.line for f in report.findings}
    assert lines == {"Arm": 12, "Default": 21}


# -- the architecture as deployed ------------------------------------------------------------


def _parameter_arch(value: str | None) -> StackTemplate:
    parameter: dict[str, Any] = {"Type": "String"}
    if value is not None:
        parameter["Default"] = value
    return stack(template(
        {"Orders": function(None, X86_EXTENSION, Architectures=[{"Ref": "Arch"}])},
        parameters={"Arch": parameter},
    ))


def test_an_architecture_read_from_a_parameter_is_its_value() -> None:
    assert lg004(analyze([_parameter_arch("arm64")], None, Config(), "none")) == ["Orders"]
    assert lg004(analyze([_parameter_arch("x86_64")], None, Config(), "none")) == []
    overridden = replace(_parameter_arch("x86_64"), parameter_values={"Arch": "arm64"})
    assert lg004(analyze([overridden], None, Config(), "none")) == ["Orders"]


def test_an_architecture_without_a_known_value_is_not_guessed() -> None:
    assert analyze([_parameter_arch(None)], None, Config(), "none").findings == ()


def test_an_architecture_behind_a_condition_is_the_branch_deployed() -> None:
    body = template(
        {"Orders": function(None, X86_EXTENSION, Architectures=[
            {"Fn::If": ["Graviton", "arm64", "x86_64"]}])},
        parameters={"Env": {"Type": "String", "Default": "prod"}},
        conditions={"Graviton": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    )
    assert lg004(alone(body)) == ["Orders"]


# -- layers handed over ----------------------------------------------------------------------


def test_a_layer_arn_from_a_parameter_default_is_looked_up() -> None:
    body = template(
        {"Orders": function("arm64", {"Ref": "Extension"})},
        parameters={"Extension": {"Type": "String", "Default": X86_EXTENSION}},
    )
    assert lg004(alone(body)) == ["Orders"]


def test_a_layer_arn_with_the_region_left_to_the_stack_is_looked_up() -> None:
    arn = {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:464622532012:layer:Datadog-Extension:68"}
    assert lg004(alone(template({"Orders": function("arm64", arn)}))) == ["Orders"]
    joined = {"Fn::Join": [":", ["arn:aws:lambda", {"Ref": "AWS::Region"}, "464622532012",
                                 "layer", "Datadog-Extension-ARM", "68"]]}
    assert alone(template({"Orders": function("arm64", joined)})).findings == ()


def test_a_layer_passed_to_a_nested_stack_is_followed_to_the_parent() -> None:
    parent = stack(template({}, resources={
        "Codec": layer_version("x86_64"),
        "Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "TemplateURL": "child.json", "Parameters": {"CodecArn": {"Ref": "Codec"}}}},
    }), "parent.json")
    child = replace(stack(template(
        {"Orders": function("arm64", {"Ref": "CodecArn"})},
        parameters={"CodecArn": {"Type": "String"}},
    ), "child.json"), name="app-Child", parent=("app", "Child"))
    report = analyze([parent, child], None, Config(), "none")
    assert [(f.stack, f.resource) for f in report.findings] == [("app-Child", "Orders")]
    assert "layer version Codec declares CompatibleArchitectures x86_64" in (
        report.findings[0].message)


def test_an_imported_layer_is_followed_to_the_stack_that_exports_it() -> None:
    layers = stack(template({}, resources={"Codec": layer_version("x86_64")}, outputs={
        "CodecArn": {"Value": {"Ref": "Codec"}, "Export": {"Name": "shared-codec"}}}),
        "layers.json")
    layers = replace(layers, name="layers")
    service = replace(stack(template(
        {"Orders": function("arm64", {"Fn::ImportValue": "shared-codec"})}), "service.json"),
        name="service")
    report = analyze([layers, service], None, Config(), "none")
    assert [(f.stack, f.resource) for f in report.findings] == [("service", "Orders")]


# -- the published layers' catalogue -----------------------------------------------------------


@pytest.mark.parametrize(
    ("arch", "arn"),
    [
        ("arm64", X86_EXTENSION),
        ("x86_64", ARM_EXTENSION),
        ("arm64", f"{DATADOG}:Datadog-Python312:104"),
        ("arm64", f"{DATADOG}:Datadog-Extension-FIPS:68"),
        ("x86_64", f"{DATADOG}:Datadog-Extension-ARM-FIPS:68"),
        ("arm64", f"{DATADOG}:Datadog-Python37:50"),
        ("arm64", f"{INSIGHTS}:LambdaInsightsExtension:53"),
        ("x86_64", f"{INSIGHTS}:LambdaInsightsExtension-Arm64:20"),
        ("arm64", f"{ADOT}:aws-otel-python-amd64-ver-1-25-0:1"),
        ("x86_64", f"{ADOT}:aws-otel-python-arm64-ver-1-25-0:1"),
        ("arm64", f"{POWERTOOLS}:AWSLambdaPowertoolsPythonV2:79"),
        ("x86_64", f"{POWERTOOLS}:AWSLambdaPowertoolsPythonV2-Arm64:79"),
        ("arm64", f"{POWERTOOLS}:AWSLambdaPowertoolsPythonV3-python312-x86_64:7"),
        ("arm64", f"{SECRETS}:AWS-Parameters-and-Secrets-Lambda-Extension:11"),
        ("x86_64", f"{SECRETS}:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:11"),
        ("arm64", f"{NEW_RELIC}:NewRelicLambdaExtension:36"),
        ("x86_64", f"{NEW_RELIC}:NewRelicPython312ARM64:10"),
        ("x86_64", f"{ELASTIC}:elastic-apm-extension-ver-1-5-4-arm64:1"),
    ],
)
def test_a_published_layer_of_the_other_architecture_is_an_error(arch: str, arn: str) -> None:
    assert lg004(alone(template({"Orders": function(arch, arn)}))) == ["Orders"]


@pytest.mark.parametrize(
    ("arch", "arn"),
    [
        ("arm64", ARM_EXTENSION),
        ("x86_64", X86_EXTENSION),
        ("arm64", f"{DATADOG}:Datadog-Python312-ARM:104"),
        ("arm64", f"{DATADOG}:Datadog-Node20-x:115"),
        ("x86_64", f"{DATADOG}:Datadog-Node20-x:115"),
        ("arm64", f"{DATADOG}:dd-trace-java:15"),
        ("arm64", f"{DATADOG}:Datadog-Extension-ARM-FIPS:68"),
        ("arm64", f"{INSIGHTS}:LambdaInsightsExtension-Arm64:20"),
        ("arm64", f"{POWERTOOLS}:AWSLambdaPowertoolsPythonV3-python312-arm64:7"),
        ("arm64", "arn:aws:lambda:us-east-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:9"),
        ("arm64", f"{ELASTIC}:elastic-apm-extension-ver-1-5-4-arm64:1"),
        # a layer of a known name published by someone else is not the vendor's
        ("arm64", "arn:aws:lambda:us-east-1:111122223333:layer:Datadog-Extension:68"),
        # a name the catalogue does not hold is never guessed at
        ("arm64", "arn:aws:lambda:us-east-1:111122223333:layer:my-x86-codec:3"),
    ],
)
def test_a_published_layer_for_the_function_or_for_any_architecture_is_fine(
    arch: str, arn: str
) -> None:
    assert alone(template({"Orders": function(arch, arn)})).findings == ()


def test_the_fix_names_the_other_build_and_its_arn_when_versions_match() -> None:
    (finding,) = alone(template({"Orders": function("arm64", X86_EXTENSION)})).findings
    assert finding.fix is not None
    assert finding.fix.summary == "use Datadog-Extension-ARM instead of Datadog-Extension"
    assert f"{ARM_EXTENSION}." in finding.fix.steps[0]
    assert finding.fix.steps[1] == (
        "Or run Orders on x86_64 (Architectures: [x86_64]): every layer it has is built for "
        "x86_64; rebuild any native code it ships for x86_64.")


def test_a_layer_with_no_build_for_the_architecture_says_so() -> None:
    arn = f"{DATADOG}:Datadog-Python37:50"
    (finding,) = alone(template({"Orders": function("arm64", arn, Runtime="python3.7")})).findings
    assert finding.fix is not None
    assert finding.fix.summary == "replace Datadog-Python37: no arm64 build of it is published"
    assert "Replace Datadog-Python37:" in finding.fix.steps[0]


def test_two_builds_of_one_extension_are_named_together() -> None:
    body = template({"Orders": function(
        "arm64", f"{DATADOG}:Datadog-Extension:60", ARM_EXTENSION)})
    (finding,) = alone(body).findings
    assert finding.message == (
        "Orders runs on arm64, but layer Datadog-Extension is built for x86_64 only; "
        "Datadog-Extension and Datadog-Extension-ARM are two builds of Datadog Lambda Extension"
    )
    assert finding.fix is not None
    assert finding.fix.summary == (
        "remove Datadog-Extension (its arm64 build Datadog-Extension-ARM is there)"
    )


@pytest.mark.parametrize(
    ("why", "properties", "extra_layer"),
    [
        ("a layer the catalogue does not know", {},
         "arn:aws:lambda:us-east-1:111122223333:layer:my-native-deps-arm64:3"),
        ("a custom runtime runs a binary built for one architecture",
         {"Runtime": "provided.al2023"}, None),
        ("python3.7 has no arm64", {"Runtime": "python3.7", "Architectures": ["x86_64"]},
         None),
    ],
    ids=["unknown-layer", "custom-runtime", "python37"],
)
def test_the_other_architecture_is_offered_only_where_it_works(
    why: str, properties: dict[str, Any], extra_layer: str | None
) -> None:
    properties = dict(properties)
    arch = properties.pop("Architectures", ["arm64"])[0]
    arn = ARM_EXTENSION if arch == "x86_64" else X86_EXTENSION
    layers = [arn, *([extra_layer] if extra_layer else [])]
    body = template({"Orders": function(arch, *layers, **properties)})
    (finding,) = alone(body).findings
    assert finding.fix is not None
    assert not any(step.startswith("Or run") for step in finding.fix.steps), why


def test_an_x86_function_with_arm64_layers_only_may_move_to_arm64() -> None:
    (finding,) = alone(template({"Orders": function(None, ARM_EXTENSION)})).findings
    assert finding.fix is not None
    assert finding.fix.steps[-1].startswith("Or run Orders on arm64 (Architectures: [arm64])")


def test_an_extension_next_to_its_fips_build_for_the_function_is_two_extensions() -> None:
    body = template({"Orders": function(
        "arm64", X86_EXTENSION, f"{DATADOG}:Datadog-Extension-ARM-FIPS:68")})
    (finding,) = alone(body).findings
    assert finding.fix is not None
    assert finding.fix.summary == (
        "remove Datadog-Extension (its arm64 build Datadog-Extension-ARM-FIPS is there)")
    assert finding.fix.steps[0].endswith("(two copies of one extension would run side by side).")


def test_a_library_next_to_its_other_build_is_removed_without_calling_it_an_extension() -> None:
    body = template({"Orders": function(
        "arm64", f"{DATADOG}:Datadog-Python312:104", f"{DATADOG}:Datadog-Python312-ARM:104")})
    (finding,) = alone(body).findings
    assert finding.fix is not None
    assert finding.fix.steps[0] == (
        "Remove Datadog-Python312 from the layers: Datadog-Python312-ARM, its arm64 build, is "
        "attached already.")


def test_both_builds_on_a_function_of_unknown_architecture_are_named() -> None:
    body = template(
        {"Orders": function(None, X86_EXTENSION, ARM_EXTENSION,
                            Architectures=[{"Ref": "Arch"}])},
        parameters={"Arch": {"Type": "String"}},
    )
    (finding,) = alone(body).findings
    assert finding.message == (
        "Orders has two builds of Datadog Lambda Extension: Datadog-Extension for x86_64 and "
        "Datadog-Extension-ARM for arm64; whichever architecture it runs on, one of them "
        "cannot run"
    )


def test_a_build_not_published_from_the_layers_account_gets_no_arn() -> None:
    arn = ("arn:aws:lambda:ap-northeast-3:576959938190:layer:"
           "AWS-Parameters-and-Secrets-Lambda-Extension:11")
    (finding,) = alone(template({"Orders": function("arm64", arn)})).findings
    assert finding.fix is not None
    assert finding.fix.steps[0].startswith(
        "Use AWS-Parameters-and-Secrets-Lambda-Extension-Arm64, its arm64 build, from its "
        "publisher's account for this region: account 576959938190 does not publish it")
    assert "arn:" not in finding.fix.steps[0].split("(see")[0]


def test_an_architecture_passed_to_a_nested_stack_is_followed_to_the_parent() -> None:
    parent = stack(template({}, parameters={"Arch": {"Type": "String", "Default": "arm64"}},
                            resources={"Child": {"Type": "AWS::CloudFormation::Stack",
                                                 "Properties": {"TemplateURL": "child.json",
                                                                "Parameters": {"Arch": {
                                                                    "Ref": "Arch"}}}}}))
    child = replace(stack(template(
        {"Orders": function(None, X86_EXTENSION, Architectures=[{"Ref": "Arch"}])},
        parameters={"Arch": {"Type": "String"}},
    ), "child.json"), name="app-Child", parent=("app", "Child"))
    report = analyze([parent, child], None, Config(), "none")
    assert [(f.stack, f.resource) for f in report.findings] == [("app-Child", "Orders")]


def test_a_layer_picked_by_region_from_a_mapping_is_judged_when_every_entry_agrees() -> None:
    def body(arm_in_one_region: bool) -> dict[str, Any]:
        west = "Datadog-Extension-ARM" if arm_in_one_region else "Datadog-Extension"
        return template(
            {"Orders": function("arm64", {"Fn::FindInMap": [
                "Layers", {"Ref": "AWS::Region"}, "datadog"]})},
            mappings={"Layers": {
                "us-east-1": {"datadog": f"{DATADOG}:Datadog-Extension:68"},
                "eu-west-1": {"datadog": f"arn:aws:lambda:eu-west-1:464622532012:layer:{west}:68"},
            }},
        )
    assert lg004(alone(body(arm_in_one_region=False))) == ["Orders"]
    assert alone(body(arm_in_one_region=True)).findings == ()


def test_several_mismatched_layers_are_one_finding_per_function() -> None:
    body = template({
        "Orders": function("arm64", f"{DATADOG}:Datadog-Python312:104", X86_EXTENSION),
        "Billing": function("arm64", f"{DATADOG}:Datadog-Python312-ARM:104", ARM_EXTENSION),
    })
    (finding,) = alone(body).findings
    assert finding.message == (
        "Orders runs on arm64, but layers Datadog-Python312 and Datadog-Extension are built "
        "for x86_64 only"
    )


# -- with the other rules ----------------------------------------------------------------------


def test_suppressed_in_metadata_or_disabled_in_config() -> None:
    body = template({"Orders": function("arm64", X86_EXTENSION)})
    body["Resources"]["Orders"]["Metadata"] = {
        "latest-guard": {"ignore": ["LG004"], "reason": "layer is arch-neutral here"}}
    (finding,) = alone(body).findings
    assert finding.suppressed and finding.suppression_reason == "layer is arch-neutral here"
    assert alone(body).exit_code == 0
    plain = template({"Orders": function("arm64", X86_EXTENSION)})
    assert alone(plain, Config(disabled=frozenset({"LG004"}))).findings == ()


def test_it_runs_on_compared_stacks_and_on_new_ones() -> None:
    old = template({"Orders": function("arm64", X86_EXTENSION)})
    new = template({"Orders": function("arm64", X86_EXTENSION, Timeout=9)})
    assert rules_of(compare(old, new)) == [("LG004", "Orders")]
    report = analyze(
        [stack(new), replace(stack(new), name="other")], [stack(old, "base.json")],
        Config(), "base",
    )
    assert sorted((f.stack, f.rule) for f in report.findings) == [
        ("app", "LG004"), ("other", "LG004")]


def test_a_layer_swap_with_a_code_change_says_so_on_both_findings() -> None:
    old = template({"Orders": function("x86_64", X86_EXTENSION)},
                   resources={"Api": _permission()})
    new = template({"Orders": function("arm64", X86_EXTENSION, Code=CODE_V2,
                                       Environment={"Variables": {"MODE": "fast"}})},
                   resources={"Api": _permission()})
    report = compare(old, new)
    by_rule = {f.rule: f for f in report.findings}
    assert set(by_rule) == {"LG001", "LG004"}
    assert "LG004 also reports Orders" in by_rule["LG001"].why
    assert by_rule["LG004"].fix is not None
    assert any("LG001" in step for step in by_rule["LG004"].fix.steps)


def test_no_race_no_word_of_it_when_the_function_is_published_through_an_alias() -> None:
    alias = {"Type": "AWS::Lambda::Alias", "Properties": {
        "FunctionName": {"Ref": "Orders"}, "Name": "live",
        "FunctionVersion": {"Fn::GetAtt": ["OrdersV1", "Version"]}}}
    version = {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Orders"}}}
    permission = {"Type": "AWS::Lambda::Permission", "Properties": {
        "FunctionName": {"Ref": "OrdersLive"}, "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com"}}
    old = template({"Orders": function("arm64", X86_EXTENSION)}, resources={
        "OrdersV1": version, "OrdersLive": alias, "Api": permission})
    new_version = dict(version)
    new = template({"Orders": function("arm64", X86_EXTENSION, Code=CODE_V2,
                                       Environment={"Variables": {"MODE": "fast"}})},
                   resources={"OrdersV2": new_version, "Api": permission, "OrdersLive": {
                       **alias, "Properties": {**alias["Properties"], "FunctionVersion": {
                           "Fn::GetAtt": ["OrdersV2", "Version"]}}}})
    report = compare(old, new)
    assert [f.rule for f in report.findings] == ["LG004"]
    (finding,) = report.findings
    assert finding.fix is not None
    assert not any("LG001" in step for step in finding.fix.steps)


def _permission() -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Permission", "Properties": {
        "FunctionName": {"Fn::GetAtt": ["Orders", "Arn"]}, "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com"}}


# -- the command line ----------------------------------------------------------------------


def test_check_without_a_baseline_reports_it_and_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template({"Orders": function("arm64", X86_EXTENSION)})))
    result = run_cli(capsys, "check", "--template", path, "--format", "json")
    assert result.code == 1, result.err
    (finding,) = json.loads(result.out)["findings"]
    assert (finding["rule"], finding["resource"]) == ("LG004", "Orders")


def test_fix_leaves_the_layer_to_the_user_and_names_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "template.json"
    text = json.dumps(template({"Orders": function("arm64", X86_EXTENSION)}))
    path.write_text(text)
    result = run_cli(capsys, "fix", "--template", path, "--write")
    assert result.code == 1
    assert "latest-guard: not fixed: LG004 template/Orders: use Datadog-Extension-ARM instead of " \
        "Datadog-Extension" in result.err
    assert path.read_text() == text


def test_explain_prints_the_rule_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "explain", "LG004")
    assert result.code == 0
    assert result.out.startswith("# LG004 layer-architecture")
    assert "## Why is this bad?" in result.out
    assert run_cli(capsys, "explain", "layer-architecture").out == result.out


# -- the real tools' outputs -----------------------------------------------------------------

APPS = Path(__file__).parent / "apps"
CDK_OUT = APPS / "cdk" / "out"
SLS = APPS / "serverless"


def check_alone(capsys: pytest.CaptureFixture[str], template: Path) -> list[dict[str, Any]]:
    run = run_cli(capsys, "check", "--template", template, "--format", "json")
    assert run.err == "", run.err
    validate(run.report)
    findings: list[dict[str, Any]] = run.report["findings"]
    assert run.code == (1 if findings else 0)
    return findings


def test_the_datadog_cdk_construct_keeps_x86_layers_under_an_arm64_escape_hatch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (finding,) = check_alone(capsys, CDK_OUT / "datadog-arm64-override")
    assert (finding["rule"], finding["resource"]) == ("LG004", "CheckoutB7CD3E82")
    assert finding["message"] == (
        "CheckoutB7CD3E82 runs on arm64, but layers Datadog-Extension and Datadog-Python312 "
        "are built for x86_64 only"
    )
    source = APPS / "cdk" / "lib" / "datadog-stack.js"
    location = finding["location"]
    assert location["path"].endswith("tests/apps/cdk/lib/datadog-stack.js")
    assert source.read_text().splitlines()[location["line"] - 1].strip().startswith(
        "const checkout = new lambda.Function(")
    assert finding["fix"]["summary"] == (
        "use Datadog-Extension-ARM instead of Datadog-Extension; "
        "use Datadog-Python312-ARM instead of Datadog-Python312"
    )
    # the construct picked those layers from the L2 function's architecture: that is the fix
    assert any("lambda.Architecture.ARM_64" in step for step in finding["fix"]["steps"])


@pytest.mark.parametrize("variant", ["datadog-arm64", "datadog-x86"])
def test_the_datadog_cdk_construct_with_the_architecture_on_the_function_is_fine(
    capsys: pytest.CaptureFixture[str], variant: str
) -> None:
    assert check_alone(capsys, CDK_OUT / variant) == []


def test_the_datadog_plugin_does_not_see_arm64_set_under_resources_extensions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (finding,) = check_alone(capsys, SLS / "out" / "datadog-arm64-extensions")
    assert (finding["rule"], finding["resource"]) == ("LG004", "CheckoutLambdaFunction")
    assert "layers Datadog-Python312 and Datadog-Extension are built for x86_64" in (
        finding["message"])
    config = SLS / "serverless.datadog-arm64-extensions.yml"
    assert finding["location"]["path"].endswith(config.name)
    # the line under resources.extensions that makes it arm64
    line = config.read_text().splitlines()[finding["location"]["line"] - 1]
    assert line.strip() == "Architectures:"
    assert any(step.startswith("If a plugin adds these layers") and "`architecture: arm64`" in step
               for step in finding["fix"]["steps"])


def test_a_hand_pinned_extension_next_to_the_plugins_arm_build_is_two_extensions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (finding,) = check_alone(capsys, SLS / "out" / "datadog-pinned")
    assert (finding["rule"], finding["resource"]) == ("LG004", "CheckoutLambdaFunction")
    assert finding["message"].endswith(
        "Datadog-Extension and Datadog-Extension-ARM are two builds of Datadog Lambda Extension")
    assert finding["fix"]["summary"].startswith("remove Datadog-Extension (its arm64 build")
    # the hand-pinned layer, the one to remove
    config = SLS / "serverless.datadog-pinned.yml"
    assert finding["location"]["path"].endswith(config.name)
    line = config.read_text().splitlines()[finding["location"]["line"] - 1]
    assert line.strip() == "- arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension:65"


def test_python37_on_arm64_falls_back_to_the_x86_only_datadog_layer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (finding,) = check_alone(capsys, SLS / "out" / "datadog-python37")
    assert finding["message"] == (
        "CheckoutLambdaFunction runs on arm64, but layer Datadog-Python37 is built for "
        "x86_64 only"
    )
    assert finding["fix"]["summary"] == (
        "replace Datadog-Python37: no arm64 build of it is published")


def test_the_datadog_plugin_with_arm64_on_the_provider_is_fine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_alone(capsys, SLS / "out" / "datadog-arm64") == []


def _lg004(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(f["resource"], f["message"], f["fix"]["summary"]) for f in findings
            if f["rule"] == "LG004"]


@pytest.mark.realtools
@pytest.mark.slow
def test_a_fresh_synth_with_the_datadog_construct_gives_the_committed_finding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cdk = APPS / "cdk" / "node_modules" / ".bin" / "cdk"
    if not cdk.exists():
        pytest.skip("the CDK toolkit is not installed: run `npm ci` in tests/apps/cdk")
    env = {**os.environ, "CDK_DEFAULT_ACCOUNT": "123456789012",
           "CDK_DEFAULT_REGION": "us-east-1", "CDK_DISABLE_VERSION_CHECK": "1",
           "CDK_VALIDATION": "false"}
    out = tmp_path / "datadog-arm64-override"
    subprocess.run(
        [str(cdk), "synth", "--no-notices", "-q", "-o", str(out),
         "-c", "variant=datadog-arm64-override", "-c", "layout=datadog"],
        cwd=APPS / "cdk", env=env, check=True, capture_output=True, timeout=300,
    )
    fresh = _lg004(check_alone(capsys, out))
    assert len(fresh) == 1
    assert fresh == _lg004(check_alone(capsys, CDK_OUT / "datadog-arm64-override"))


@pytest.mark.realtools
@pytest.mark.slow
def test_a_fresh_package_with_the_datadog_plugin_gives_the_committed_finding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    serverless = SLS / "node_modules" / ".bin" / "serverless"
    if not serverless.exists() or shutil.which("node") is None:
        pytest.skip("Serverless Framework v3 is not installed: run `npm ci` in "
                    "tests/apps/serverless")
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATADOG_API_KEY", "DATADOG_APP_KEY")}
    env.update({"AWS_ACCESS_KEY_ID": "AKIAFAKE", "AWS_SECRET_ACCESS_KEY": "fake",
                "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off"})
    # A copy of the service: packaging builds in <service>/.serverless, which other tests'
    # packages of the same folder would share.
    service = tmp_path / "service"
    shutil.copytree(SLS, service, symlinks=True,
                    ignore=shutil.ignore_patterns("out", ".serverless", "node_modules"))
    (service / "node_modules").symlink_to(SLS / "node_modules")
    package = tmp_path / "package"
    run = subprocess.run(
        [str(serverless), "package", "--config", "serverless.datadog-arm64-extensions.yml",
         "--package", str(package)],
        cwd=service, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300, check=False,
    )
    assert run.returncode == 0, run.stdout
    fresh = _lg004(check_alone(capsys, package))
    assert len(fresh) == 1
    assert fresh == _lg004(check_alone(capsys, SLS / "out" / "datadog-arm64-extensions"))
