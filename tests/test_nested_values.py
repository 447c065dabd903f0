"""Values handed between nested stacks: a layer replaced in one nested stack reaches the
functions of another through the parent's ``GetAtt Child.Outputs.X`` and the parameter it
passes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import run_cli, validate

LAYERS = """\
Resources:
  CommonLayer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      CompatibleRuntimes: [python3.12]
      Content: {{S3Bucket: artifacts, S3Key: common-{layer}.zip}}
  OtherLayer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: {{S3Bucket: artifacts, S3Key: other.zip}}
Outputs:
  CommonLayerArn:
    Value: {output}
  OtherLayerArn:
    Value: !Ref OtherLayer
"""

FUNCTIONS = """\
Parameters:
  CommonLayers: {{Type: String}}
Resources:
  Queue:
    Type: AWS::SQS::Queue
  OrdersFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/orders
      Code: {{S3Bucket: artifacts, S3Key: orders-{code}.zip}}
      Layers: [!Ref CommonLayers]
  OrdersMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref OrdersFn
      EventSourceArn: !GetAtt Queue.Arn
  ApiFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: api.handler
      Role: arn:aws:iam::123456789012:role/api
      Code: {{S3Bucket: artifacts, S3Key: api-{code}.zip}}
      Layers: [!Ref CommonLayers]
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: orders}}
  ApiMethod:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub "{uri}"
"""
URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${ApiFn.Arn}/invocations"
)

#: The root: the functions' stack comes first, so it is analysed after its sibling only
#: because it reads that sibling's output.
ROOT = """\
Resources:
  FunctionsStack:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: functions.yaml
      Parameters:
        CommonLayers: !GetAtt LayersStack.Outputs.CommonLayerArn
  LayersStack:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: {layers_url}
"""

REF = "!Ref CommonLayer"


def write_side(
    folder: Path, *, layer: str, code: str, output: str = REF, layers_url: str = "layers.yaml"
) -> Path:
    """One side of the app: the root, its layers' stack and its functions' stack."""
    folder.mkdir(parents=True)
    (folder / "root.yaml").write_text(ROOT.format(layers_url=layers_url), encoding="utf-8")
    (folder / "layers.yaml").write_text(LAYERS.format(layer=layer, output=output), "utf-8")
    (folder / "functions.yaml").write_text(FUNCTIONS.format(code=code, uri=URI), encoding="utf-8")
    return folder / "root.yaml"


def check(capsys: pytest.CaptureFixture[str], new: Path, old: Path) -> tuple[int, dict[str, Any]]:
    run = run_cli(capsys, "check", "-t", new, "-b", old, "--format", "json")
    assert not run.err, run.err
    report = run.report
    validate(report)
    return run.code, report


def stack_of(report: dict[str, Any], name: str) -> dict[str, Any]:
    stacks: list[dict[str, Any]] = [s for s in report["stacks"] if s["name"] == name]
    (stack,) = stacks
    return stack


def through(finding: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(c["property"], c["how"], c["cause"]) for c in finding["changes"]["config"]]


@pytest.mark.parametrize(
    "output",
    [REF, '!Sub "${CommonLayer}"', '!Join [",", [!Ref CommonLayer, !Ref OtherLayer]]'],
    ids=["ref", "sub", "join"],
)
@pytest.mark.parametrize("given", ["root template", "directory"])
def test_a_layer_replaced_in_a_sibling_stack_changes_the_functions_it_is_passed_to(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, output: str, given: str
) -> None:
    old = write_side(tmp_path / "base", layer="1", code="1", output=output)
    new = write_side(tmp_path / "new", layer="2", code="2", output=output)
    if given == "directory":
        old, new = old.parent, new.parent
    code, report = check(capsys, new, old)
    assert code == 1
    findings = {f["resource"]: f for f in report["findings"]}
    assert set(findings) == {"OrdersFn", "ApiFn"}
    for finding in findings.values():
        assert (finding["rule"], finding["severity"]) == ("LG001", "error")
        assert finding["stack"] == "root.FunctionsStack"
        assert through(finding) == [("Layers", "by parameter", "CommonLayers")]
        assert [c["property"] for c in finding["changes"]["code"]] == ["Code"]
    (mapping,) = findings["OrdersFn"]["consumers"]
    assert (mapping["resource"], mapping["kind"], mapping["reference"]) == (
        "OrdersMapping", "SQS event source mapping", "unqualified"
    )
    assert [c["resource"] for c in findings["ApiFn"]["consumers"]] == ["ApiMethod"]
    assert findings["ApiFn"]["consumers"][0]["reference"] == "unqualified"
    assert stack_of(report, "root.FunctionsStack")["notes"] == []


@pytest.mark.parametrize(
    "output",
    [REF, '!Sub "${CommonLayer}"', '!Join [",", [!Ref CommonLayer, !Ref OtherLayer]]'],
    ids=["ref", "sub", "join"],
)
def test_an_unchanged_output_changes_nothing_downstream(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, output: str
) -> None:
    old = write_side(tmp_path / "base", layer="1", code="1", output=output)
    new = write_side(tmp_path / "new", layer="1", code="2", output=output)
    code, report = check(capsys, new, old)
    assert code == 0
    assert report["findings"] == []
    functions = stack_of(report, "root.FunctionsStack")
    assert functions["notes"] == []
    assert {q["function"]: q["reason"] for q in functions["quiet_functions"]} == {
        "OrdersFn": "code only (Code): one call, nothing to race with",
        "ApiFn": "code only (Code): one call, nothing to race with",
    }


def test_an_output_that_reads_another_resource_than_the_replaced_one_does_not_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = write_side(tmp_path / "base", layer="1", code="1", output="!Ref OtherLayer")
    new = write_side(tmp_path / "new", layer="2", code="2", output="!Ref OtherLayer")
    code, report = check(capsys, new, old)
    assert (code, report["findings"]) == (0, [])


def test_a_nested_template_that_was_not_read_leaves_the_parameter_unknown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = "https://artifacts.s3.amazonaws.com/layers.yaml"
    old = write_side(tmp_path / "base", layer="1", code="1", layers_url=url)
    new = write_side(tmp_path / "new", layer="2", code="2", layers_url=url)
    code, report = check(capsys, new, old)
    # Not known is not "nothing to race with": each function whose code changes beside
    # it gets the may-race notice (exit 0 at the default fail-on).
    assert code == 0
    assert {(f["severity"], f["message"].split(",")[0]) for f in report["findings"]} == {
        ("notice", "may race: Layers comes from parameter CommonLayers")
    }
    (note,) = stack_of(report, "root.FunctionsStack")["notes"]
    assert note.startswith("value not known for parameter CommonLayers: ")
    assert "output CommonLayerArn of nested stack LayersStack" in note
    assert "not read" in note


def test_a_function_of_the_parent_that_reads_a_nested_output_changes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for side, version in (("base", "1"), ("new", "2")):
        write_side(tmp_path / side, layer=version, code=version)
        root = tmp_path / side / "root.yaml"
        root.write_text(
            root.read_text(encoding="utf-8")
            + "  Queue:\n    Type: AWS::SQS::Queue\n"
            "  RootFn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
            "      Runtime: python3.12\n      Handler: app.handler\n"
            "      Role: arn:aws:iam::123456789012:role/root\n"
            f"      Code: {{S3Bucket: artifacts, S3Key: root-{version}.zip}}\n"
            "      Layers: [!GetAtt LayersStack.Outputs.CommonLayerArn]\n"
            "  RootMapping:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
            "      FunctionName: !Ref RootFn\n      EventSourceArn: !GetAtt Queue.Arn\n",
            encoding="utf-8",
        )
    code, report = check(capsys, tmp_path / "new" / "root.yaml", tmp_path / "base" / "root.yaml")
    assert code == 1
    (finding,) = (f for f in report["findings"] if f["stack"] == "root")
    assert finding["resource"] == "RootFn"
    assert through(finding) == [
        ("Layers", "by reference", "LayersStack.Outputs.CommonLayerArn")
    ]
    assert [c["resource"] for c in finding["consumers"]] == ["RootMapping"]


def write_two_levels(folder: Path, version: str) -> Path:
    """root → Shared → Layers holds the layer; root → Services → Workers holds the function.
    The layer's ARN goes up two outputs and down two parameters."""
    folder.mkdir(parents=True)
    files = {
        "root.yaml": (
            "Resources:\n"
            "  Services:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
            "      TemplateURL: services.yaml\n"
            "      Parameters: {LayerArn: !GetAtt Shared.Outputs.SharedLayerArn}\n"
            "  Shared:\n    Type: AWS::CloudFormation::Stack\n"
            "    Properties: {TemplateURL: shared.yaml}\n"
        ),
        "shared.yaml": (
            "Resources:\n  Layers:\n    Type: AWS::CloudFormation::Stack\n"
            "    Properties: {TemplateURL: layers.yaml}\n"
            "Outputs:\n  SharedLayerArn:\n    Value: !GetAtt Layers.Outputs.CommonLayerArn\n"
        ),
        "layers.yaml": LAYERS.format(layer=version, output=REF),
        "services.yaml": (
            "Parameters:\n  LayerArn: {Type: String}\n"
            "Resources:\n  Workers:\n    Type: AWS::CloudFormation::Stack\n"
            "    Properties:\n      TemplateURL: functions.yaml\n"
            "      Parameters: {CommonLayers: !Ref LayerArn}\n"
        ),
        "functions.yaml": FUNCTIONS.format(code=version, uri=URI),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "root.yaml"


def test_a_value_followed_through_two_levels_of_nesting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = write_two_levels(tmp_path / "base", "1")
    new = write_two_levels(tmp_path / "new", "2")
    code, report = check(capsys, new, old)
    assert code == 1
    assert {(f["stack"], f["resource"]) for f in report["findings"]} == {
        ("root.Services.Workers", "OrdersFn"), ("root.Services.Workers", "ApiFn")
    }
    assert all(
        through(f) == [("Layers", "by parameter", "CommonLayers")] for f in report["findings"]
    )


def test_two_levels_of_nesting_with_the_layer_unchanged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = write_two_levels(tmp_path / "base", "1")
    new = write_two_levels(tmp_path / "new", "1")
    (new.parent / "functions.yaml").write_text(FUNCTIONS.format(code="2", uri=URI), "utf-8")
    code, report = check(capsys, new, old)
    assert (code, report["findings"]) == (0, [])
    assert stack_of(report, "root.Services.Workers")["notes"] == []


def test_an_unread_template_two_levels_up_is_named_in_the_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for side, version in (("base", "1"), ("new", "2")):
        root = write_two_levels(tmp_path / side, version)
        text = root.read_text(encoding="utf-8")
        root.write_text(
            text.replace("TemplateURL: shared.yaml", "TemplateURL: https://a.s3.amazonaws.com/s"),
            encoding="utf-8",
        )
    code, report = check(capsys, tmp_path / "new" / "root.yaml", tmp_path / "base" / "root.yaml")
    # Not known is not "nothing to race with": each function whose code changes beside
    # it gets the may-race notice (exit 0 at the default fail-on).
    assert code == 0
    assert {(f["severity"], f["message"].split(",")[0]) for f in report["findings"]} == {
        ("notice", "may race: Layers comes from parameter CommonLayers")
    }
    assert stack_of(report, "root.Services.Workers")["notes"] == [
        "value not known for parameter CommonLayers: root.Services passes it its parameter "
        "LayerArn (root passes it the output SharedLayerArn of nested stack Shared, whose "
        "template was not read); changes that arrive only through it cannot be seen"
    ]


def test_siblings_that_read_each_other_are_still_analysed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """CloudFormation refuses such a cycle; the check still ends with a report."""
    for side, version in (("base", "1"), ("new", "2")):
        root = write_side(tmp_path / side, layer=version, code=version)
        root.write_text(
            ROOT.format(layers_url="layers.yaml")
            + "      Parameters: {Unused: !GetAtt FunctionsStack.Outputs.Nothing}\n",
            encoding="utf-8",
        )
    code, report = check(capsys, tmp_path / "new" / "root.yaml", tmp_path / "base" / "root.yaml")
    assert code == 1
    assert {f["resource"] for f in report["findings"]} == {"OrdersFn", "ApiFn"}


# -- CDK: nested stacks read each other through the parent, with ``referenceto...`` names --

_LAYERS_ID = "LayersNestedStackLayersNestedStackResource8A1B2C3D"
_FUNCTIONS_ID = "FunctionsNestedStackFunctionsNestedStackResourceE4F5A6B7"
_OUTPUT = "AppLayersCommonLayer1F2E3D4CRef"
_PARAMETER = f"referencetoApp{_LAYERS_ID}Outputs{_OUTPUT}"


def _nested_resource(asset: str, path: str, parameters: dict[str, Any]) -> dict[str, Any]:
    url = {"Fn::Join": ["", ["https://s3.", {"Ref": "AWS::URLSuffix"}, f"/assets/{asset}"]]}
    properties: dict[str, Any] = {"TemplateURL": url}
    if parameters:
        properties["Parameters"] = parameters
    return {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": properties,
        "Metadata": {
            "aws:cdk:path": f"App/{path}.NestedStack/{path}.NestedStackResource",
            "aws:asset:path": asset,
            "aws:asset:property": "TemplateURL",
        },
    }


def write_assembly(folder: Path, layer: str, code: str) -> Path:
    """A cloud assembly as CDK writes it for a stack with two nested stacks, one of which
    uses the other's layer (the asset names carry a hash of each nested template)."""
    folder.mkdir(parents=True)
    layers = {
        "Resources": {
            "CommonLayer1F2E3D4C": {
                "Type": "AWS::Lambda::LayerVersion",
                "Properties": {"Content": {"S3Bucket": "cdk-assets", "S3Key": f"{layer}.zip"}},
            }
        },
        "Outputs": {_OUTPUT: {"Value": {"Ref": "CommonLayer1F2E3D4C"}}},
    }
    functions = {
        "Parameters": {_PARAMETER: {"Type": "String"}},
        "Resources": {
            "Queue4A7E3555": {"Type": "AWS::SQS::Queue"},
            "Worker4F4C1E6B": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": "arn:aws:iam::123456789012:role/worker",
                    "Code": {"S3Bucket": "cdk-assets", "S3Key": f"{code}.zip"},
                    "Layers": [{"Ref": _PARAMETER}],
                },
            },
            "WorkerSqsEventSourceC2A0B5F1": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Worker4F4C1E6B"},
                    "EventSourceArn": {"Fn::GetAtt": ["Queue4A7E3555", "Arn"]},
                },
            },
        },
    }
    layers_asset = f"AppLayers{layer}.nested.template.json"
    functions_asset = f"AppFunctions{code}.nested.template.json"
    root = {
        "Resources": {
            _FUNCTIONS_ID: _nested_resource(
                functions_asset,
                "Functions",
                {_PARAMETER: {"Fn::GetAtt": [_LAYERS_ID, f"Outputs.{_OUTPUT}"]}},
            ),
            _LAYERS_ID: _nested_resource(layers_asset, "Layers", {}),
        }
    }
    manifest = {
        "version": "36.0.0",
        "artifacts": {
            "App": {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": "App.template.json"},
                "displayName": "App",
            }
        },
    }
    for name, body in (
        ("manifest.json", manifest),
        ("App.template.json", root),
        (layers_asset, layers),
        (functions_asset, functions),
    ):
        (folder / name).write_text(json.dumps(body, indent=1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("layer", "expected"), [("b", 1), ("a", 0)], ids=["replaced", "same"])
def test_cdk_nested_stacks_pass_a_sibling_layer_through_the_parent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, layer: str, expected: int
) -> None:
    old = write_assembly(tmp_path / "base" / "cdk.out", layer="a", code="1")
    new = write_assembly(tmp_path / "new" / "cdk.out", layer=layer, code="2")
    code, report = check(capsys, new, old)
    assert code == expected
    functions = f"App.{_FUNCTIONS_ID}"
    assert stack_of(report, functions)["notes"] == []
    if not expected:
        assert report["findings"] == []
        return
    (finding,) = report["findings"]
    assert (finding["stack"], finding["resource"]) == (functions, "Worker4F4C1E6B")
    assert through(finding) == [("Layers", "by parameter", _PARAMETER)]
    assert [c["kind"] for c in finding["consumers"]] == ["SQS event source mapping"]
