"""A value that cannot be known beside a change of the other side is a "may race" notice,
never "nothing to race with"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import Run, run_cli, validate
from template_builder import CODE_V1, CODE_V2, template

RULE = {"Type": "AWS::Events::Rule",
        "Properties": {"Targets": [{"Id": "t", "Arn": {"Fn::GetAtt": ["Fn", "Arn"]}}]}}
LAYERS_PARAMETER = {"CommonLayers": {"Type": "CommaDelimitedList"}}
SECRET = "s3cr3t-layer-value"


def check(capsys: pytest.CaptureFixture[str], tmp_path: Path, old: dict[str, Any],
          new: dict[str, Any], *extra: str) -> Run:
    (tmp_path / "base.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "head.json").write_text(json.dumps(new), encoding="utf-8")
    run = run_cli(capsys, "check", "-t", tmp_path / "head.json", "-b", tmp_path / "base.json",
                  "-f", "json", *extra)
    validate(run.report)
    return run


def layered(code: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return template({"Fn": {"Code": code, "Layers": {"Ref": "CommonLayers"}, **extra}},
                    parameters=LAYERS_PARAMETER, resources={"Rule": RULE})


def test_code_change_beside_layers_from_a_parameter_without_value_is_a_notice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = check(capsys, tmp_path, layered(CODE_V1), layered(CODE_V2))
    assert run.code == 0
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"], finding["resource"]) == ("LG001", "notice", "Fn")
    assert finding["message"] == (
        "may race: Layers comes from parameter CommonLayers, not known, while the code (Code) "
        "changes; an EventBridge rule target invokes Fn unqualified in the deployed stack"
    )
    assert [c["resource"] for c in finding["consumers"]] == ["Rule"]
    assert finding["fix"]["two_phase"] is True
    assert run.report["stacks"][0]["quiet_functions"] == []


def test_the_notice_fails_the_run_only_at_fail_on_notice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = check(capsys, tmp_path, layered(CODE_V1), layered(CODE_V2), "--fail-on", "notice")
    assert run.code == 1


def test_a_known_value_keeps_the_real_finding_and_its_severity(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With the parameter's value given, the layers are known: an unchanged value is no race,
    a changed one is the usual error."""
    value = f"CommonLayers=arn:aws:lambda:us-east-1:1:layer:{SECRET}:1"
    same = check(capsys, tmp_path, layered(CODE_V1), layered(CODE_V2),
                 "--parameter-overrides", value)
    assert same.report["findings"] == []
    (quiet,) = same.report["stacks"][0]["quiet_functions"]
    assert quiet["reason"] == "code only (Code): one call, nothing to race with"
    old = layered(CODE_V1)
    new = layered(CODE_V2, Environment={"Variables": {"MODE": "b"}})
    error = check(capsys, tmp_path, old, new)
    (finding,) = error.report["findings"]
    assert finding["severity"] == "error"
    assert finding["message"].startswith("code (Code) and configuration (Environment) change")


def test_no_value_is_printed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    parameters = {"CommonLayers": {"Type": "CommaDelimitedList"},
                  "Token": {"Type": "String", "Default": SECRET}}
    old = template({"Fn": {"Code": CODE_V1, "Layers": {"Ref": "CommonLayers"},
                           "Environment": {"Variables": {"TOKEN": {"Ref": "Token"}}}}},
                   parameters=parameters, resources={"Rule": RULE})
    new = json.loads(json.dumps(old).replace("v1.zip", "v2.zip"))
    check(capsys, tmp_path, old, new)
    for form in ("json", "text", "markdown", "sarif"):
        run = run_cli(capsys, "check", "-t", tmp_path / "head.json", "-b",
                      tmp_path / "base.json", "-f", form)
        assert "may race" in run.out.lower(), form
        assert SECRET not in run.out + run.err, form


def test_a_nested_stack_output_not_read_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def side(code: dict[str, str]) -> dict[str, Any]:
        shared = {"Type": "AWS::CloudFormation::Stack",
                  "Properties": {"TemplateURL": "https://example.com/shared.yaml"}}
        table = {"Fn::GetAtt": ["Shared", "Outputs.TableName"]}
        return template({"Fn": {"Code": code, "Environment": {"Variables": {"TABLE": table}}}},
                        resources={"Rule": RULE, "Shared": shared})

    (finding,) = check(capsys, tmp_path, side(CODE_V1), side(CODE_V2)).report["findings"]
    assert finding["severity"] == "notice"
    assert finding["message"].startswith(
        "may race: Environment comes from nested stack Shared's output TableName, not read, "
        "while the code (Code) changes"
    )


def test_a_nested_stack_that_is_read_is_not_unknown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "shared.yaml").write_text(
        "Resources:\n  Table: {Type: AWS::DynamoDB::Table}\n"
        "Outputs:\n  TableName: {Value: !Ref Table}\n", encoding="utf-8")

    def side(code: dict[str, str]) -> dict[str, Any]:
        shared = {"Type": "AWS::CloudFormation::Stack",
                  "Properties": {"TemplateURL": "shared.yaml"}}
        table = {"Fn::GetAtt": ["Shared", "Outputs.TableName"]}
        return template({"Fn": {"Code": code, "Environment": {"Variables": {"TABLE": table}}}},
                        resources={"Rule": RULE, "Shared": shared})

    run = check(capsys, tmp_path, side(CODE_V1), side(CODE_V2))
    assert run.report["findings"] == []


def test_an_include_in_a_property_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    include = {"Fn::Transform": {"Name": "AWS::Include",
                                 "Parameters": {"Location": "s3://bucket/env.yaml"}}}

    def side(code: dict[str, str]) -> dict[str, Any]:
        return template({"Fn": {"Code": code, "Environment": include}}, resources={"Rule": RULE})

    (finding,) = check(capsys, tmp_path, side(CODE_V1), side(CODE_V2)).report["findings"]
    assert finding["message"].startswith(
        "may race: Environment comes from AWS::Include, not read, while the code (Code) changes"
    )


def test_an_import_written_alike_on_both_sides_is_known(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """CloudFormation refuses to change an export while it is imported."""
    def side(code: dict[str, str]) -> dict[str, Any]:
        return template({"Fn": {"Code": code, "Layers": [{"Fn::ImportValue": "shared-layer"}]}},
                        resources={"Rule": RULE})

    run = check(capsys, tmp_path, side(CODE_V1), side(CODE_V2))
    assert run.report["findings"] == []


def test_unknown_code_beside_a_known_configuration_change_is_the_mirror_notice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    parameters = {"CodeKey": {"Type": "String"}}
    code = {"S3Bucket": "artifacts", "S3Key": {"Ref": "CodeKey"}}
    old = template({"Fn": {"Code": code, "Environment": {"Variables": {"MODE": "a"}}}},
                   parameters=parameters, resources={"Rule": RULE})
    new = template({"Fn": {"Code": code, "Environment": {"Variables": {"MODE": "b"}}}},
                   parameters=parameters, resources={"Rule": RULE})
    (finding,) = check(capsys, tmp_path, old, new).report["findings"]
    assert finding["severity"] == "notice"
    assert finding["message"].startswith(
        "may race: Code comes from parameter CodeKey, not known, while the configuration "
        "(Environment) changes;"
    )


def test_a_function_no_caller_reaches_stays_quiet_and_says_what_is_not_known(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def side(code: dict[str, str]) -> dict[str, Any]:
        key = code["S3Key"].replace(".", "")
        return template(
            {"Fn": {"Code": code, "Layers": {"Ref": "CommonLayers"}}},
            parameters=LAYERS_PARAMETER,
            resources={
                f"FnVersion{key}": {"Type": "AWS::Lambda::Version",
                                    "Properties": {"FunctionName": {"Ref": "Fn"}}},
                "Live": {"Type": "AWS::Lambda::Alias",
                         "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live",
                                        "FunctionVersion": {"Fn::GetAtt": [f"FnVersion{key}",
                                                                           "Version"]}}},
                "Rule": {"Type": "AWS::Events::Rule",
                         "Properties": {"Targets": [{"Id": "t", "Arn": {"Ref": "Live"}}]}},
            },
        )

    run = check(capsys, tmp_path, side(CODE_V1), side(CODE_V2))
    assert run.report["findings"] == []
    (quiet,) = run.report["stacks"][0]["quiet_functions"]
    assert quiet["reason"] == (
        "code (Code) changes and configuration may change (Layers from parameter CommonLayers, "
        "not known); no caller reaches $LATEST: callers go through a version or alias"
    )
    assert "nothing to race with" not in quiet["reason"]


def test_the_rule_documents_the_notice(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(capsys, "explain", "LG001")
    assert "| a value of the other side that cannot be known here (\"may race\") | notice |" \
        in run.out
    assert "may race: Layers comes from parameter" in run.out


SAM_APP = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  SdkLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: {layer}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: lambda
      Handler: app.handler
      Runtime: nodejs20.x
      Layers: [!Ref SdkLayer]
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/sfn
      DefinitionString: !Sub >-
        {{"StartAt": "W", "States": {{"W":
        {{"Type": "Task", "Resource": "${{Worker.Arn}}", "End": true}}}}}}
"""


def test_a_layer_whose_content_could_not_be_read_beside_a_code_change_may_race(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The layer's folder is build output on neither side (its path even moves): both sides
    carry the same placeholder, which says nothing of whether the layer changes, so the
    function whose code changes may race; never "code only: nothing to race with"."""
    for side, layer, source in (("base", "layer/src", "v1"), ("head", "layer", "v2")):
        (tmp_path / side / "lambda").mkdir(parents=True)
        (tmp_path / side / "lambda" / "app.js").write_text(f"// {source}\n", encoding="utf-8")
        (tmp_path / side / "template.yaml").write_text(SAM_APP.format(layer=layer), "utf-8")
    run = run_cli(capsys, "check", "-t", tmp_path / "head" / "template.yaml",
                  "-b", tmp_path / "base" / "template.yaml", "-f", "json")
    validate(run.report)
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"], finding["resource"]) == (
        "LG001", "notice", "Worker"
    )
    assert finding["message"].startswith("may race: Layers comes from layer SdkLayer")
    assert ", whose content could not be read (see the note), while the code (Code) changes" in (
        finding["message"]
    )
