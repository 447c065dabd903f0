"""Loading templates: every short-form tag, and the line of every resource and property."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer.errors import InputError
from reviewer.sources.text.files import load_template_file

SHORT_FORMS = """\
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Condition NotProd]
  Either: !Or [!Condition IsProd, !Condition NotProd]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      Handler: !Select [0, !Split [",", "a.handler,b"]]
      Description: !Join ["-", [!Ref AWS::StackName, fn]]
      Code:
        ZipFile: !Base64 "print(1)"
      Environment:
        Variables:
          ARN: !GetAtt [Other, Arn]
          NAME: !Sub "${Other}-x"
          LONG: !Sub ["${X}", {X: !ImportValue shared-name}]
          MAP: !FindInMap [Map, !Ref "AWS::Region", key]
          AZ: !Select [0, !GetAZs ""]
          CIDR: !Select [0, !Cidr ["10.0.0.0/16", 2, 8]]
          PICK: !If [IsProd, a, b]
      Layers: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
"""


def test_every_short_form_tag_becomes_its_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(SHORT_FORMS, encoding="utf-8")
    body = load_template_file(path).body
    conditions = body["Conditions"]
    assert conditions["IsProd"] == {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
    assert conditions["NotProd"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    assert "Fn::And" in conditions["Both"] and "Fn::Or" in conditions["Either"]
    props = body["Resources"]["Fn"]["Properties"]
    assert props["Role"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert props["Handler"] == {"Fn::Select": [0, {"Fn::Split": [",", "a.handler,b"]}]}
    assert props["Description"] == {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "fn"]]}
    assert props["Code"]["ZipFile"] == {"Fn::Base64": "print(1)"}
    env = props["Environment"]["Variables"]
    assert env["ARN"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert env["NAME"] == {"Fn::Sub": "${Other}-x"}
    assert env["LONG"] == {"Fn::Sub": ["${X}", {"X": {"Fn::ImportValue": "shared-name"}}]}
    assert env["MAP"] == {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "key"]}
    assert env["AZ"] == {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
    assert env["CIDR"] == {"Fn::Select": [0, {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}]}
    assert env["PICK"] == {"Fn::If": ["IsProd", "a", "b"]}
    assert props["Layers"] == {
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}
    }


def test_yaml_lines_of_resources_and_properties(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(SHORT_FORMS, encoding="utf-8")
    stack = load_template_file(path)
    assert stack.locate("Fn").line == 7
    assert stack.locate("Fn", ("Role",)).line == 10
    assert stack.locate("Fn", ("Environment", "Variables", "NAME")).line == 18
    # An unknown path falls back to the nearest line that is known.
    assert stack.locate("Fn", ("Environment", "Variables", "MISSING")).line == 16


def test_json_lines_of_resources_and_properties(tmp_path: Path) -> None:
    document = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Layers": ["a", {"Ref": "L"}], "Handler": "x"},
            }
        }
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    stack = load_template_file(path)
    assert stack.locate("Fn").line == 3
    assert stack.locate("Fn", ("Layers",)).line == 6
    assert stack.locate("Fn", ("Layers", 1)).line == 8
    assert stack.locate("Fn", ("Handler",)).line == 12


EDGE_CASES = [
    ("bigint.yaml", "Resources:\n  F:\n    Type: X\n    Properties: {M: " + "1" * 5000 + "}\n",
     "too many digits", 4),
    ("bigint.json", '{"Resources": {"F": {"Type": "X", "M": ' + "1" * 5000 + "}}}",
     "too many digits", 1),
    ("ctrl.yaml", 'Resources:\n  F:\n    Type: "x\x07"\n', "control characters", 3),
    ("nan.json", '{"Resources": {"F": {"Type": "X", "M": NaN}}}', "NaN", 1),
    ("set.yaml", "Resources:\n  F:\n    Type: X\n    Properties:\n      Tags: !!set {a, b}\n",
     "!!set", 5),
    ("python.yaml", "Resources:\n  F:\n    Type: X\n    Properties:\n"
     "      Handler: !!python/object:os.system x\n", "constructor", 5),
    ("recursive.yaml", "a: &a [*a]\nResources: {}\n", "recursive", 1),
    ("two-documents.yaml", "Resources: {}\n---\nResources: {}\n", "another document", 2),
    ("list-key.yaml", "Resources:\n  ? [a, b]\n  : 1\n", "plain string", 2),
]


@pytest.mark.parametrize(("name", "text", "reason", "line"), EDGE_CASES)
def test_unusual_documents_are_clean_errors_with_their_line(
    tmp_path: Path, name: str, text: str, reason: str, line: int
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_template_file(path)
    assert caught.value.line == line
    assert reason in caught.value.message
    assert "\n" not in str(caught.value)


def test_yaml_keeps_keys_and_dates_as_written(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  F:\n    Type: X\n"
        "    Properties:\n      010: a\n      On: b\n      Role: !GetAtt [R, !Ref Attr]\n",
        encoding="utf-8",
    )
    body = load_template_file(path).body
    assert body["AWSTemplateFormatVersion"] == "2010-09-09"
    props = body["Resources"]["F"]["Properties"]
    assert set(props) == {"010", "On", "Role"}
    assert props["Role"] == {"Fn::GetAtt": ["R", {"Ref": "Attr"}]}


def test_merge_keys_are_overridden_by_the_mapping_itself(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  F: &base\n    Type: AWS::Lambda::Function\n    Properties: {Handler: a}\n"
        "  G:\n    <<: *base\n    Properties: {Handler: b}\n",
        encoding="utf-8",
    )
    resources = load_template_file(path).resources
    assert resources["G"].type == "AWS::Lambda::Function"
    assert resources["G"].properties == {"Handler": "b"}
