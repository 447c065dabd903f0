"""Whole apps: several stacks analysed together, and references that cross stacks."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES, run_cli, validate


def check(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, dict[str, Any]]:
    run = run_cli(capsys, "check", *argv, "--format", "json")
    report = run.report
    validate(report)
    return run.code, report


def test_consumer_in_another_stack_through_an_export_is_exposed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = FIXTURES / "cross-stack"
    code, report = check(capsys, "-t", folder / "template", "-b", folder / "baseline")
    assert code == 1
    assert {s["name"] for s in report["stacks"]} == {"shared", "orders"}
    (finding,) = report["findings"]
    assert (finding["stack"], finding["resource"], finding["rule"]) == ("shared", "Worker", "LG001")
    consumers = {c["resource"]: c for c in finding["consumers"]}
    # The function has an alias, but the other stack imports the unqualified ARN.
    assert consumers["orders/QueueMapping"]["kind"] == "SQS event source mapping"
    assert consumers["orders/QueueMapping"]["reference"] == "unqualified"


def test_the_same_stacks_given_one_by_one_are_the_same_app(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = FIXTURES / "cross-stack"
    args: list[str | Path] = []
    for side, flag in (("template", "-t"), ("baseline", "-b")):
        for name in ("shared.yaml", "orders.yaml"):
            args += [flag, folder / side / name]
    code, report = check(capsys, *args)
    assert code == 1
    assert report["findings"][0]["consumers"][0]["resource"] == "orders/QueueMapping"


def test_a_stack_alone_does_not_see_the_importer(capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / "cross-stack"
    code, report = check(
        capsys, "-t", folder / "template" / "shared.yaml", "-b", folder / "baseline" / "shared.yaml"
    )
    assert code == 0
    assert report["findings"] == []


def test_nested_stack_consumer_of_a_parameter_is_followed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = FIXTURES / "nested-stack"
    code, report = check(
        capsys, "-t", folder / "template" / "root.yaml", "-b", folder / "baseline" / "root.yaml"
    )
    assert code == 1
    assert [s["name"] for s in report["stacks"]] == ["root", "root.Scheduling"]
    (finding,) = report["findings"]
    assert [c["resource"] for c in finding["consumers"]] == ["root.Scheduling/Nightly"]


def test_nested_stack_output_read_by_the_parent_is_followed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for side, key in (("baseline", "1111"), ("template", "2222")):
        folder = tmp_path / side
        folder.mkdir()
        (folder / "child.yaml").write_text(
            "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
            "      Runtime: python3.12\n      Handler: a.h\n      Role: arn:aws:iam::1:role/r\n"
            f"      Code: {{S3Bucket: b, S3Key: {key}.zip}}\n"
            f"      Layers: [arn:aws:lambda:us-east-1:1:layer:l:{key}]\n"
            "Outputs:\n  FnArn:\n    Value: !GetAtt Fn.Arn\n",
            encoding="utf-8",
        )
        (folder / "root.yaml").write_text(
            "Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n"
            "    Properties: {TemplateURL: child.yaml}\n  Topic:\n    Type: AWS::SNS::Topic\n"
            "  Sub:\n    Type: AWS::SNS::Subscription\n    Properties:\n"
            "      TopicArn: !Ref Topic\n      Protocol: lambda\n"
            "      Endpoint: !GetAtt Child.Outputs.FnArn\n",
            encoding="utf-8",
        )
    code, report = check(capsys, "-t", tmp_path / "template", "-b", tmp_path / "baseline")
    assert code == 1
    (finding,) = report["findings"]
    assert finding["stack"] == "root.Child"
    assert "root/Sub" in [c["resource"] for c in finding["consumers"]]


def test_directory_without_templates_is_a_clean_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "params.json").write_text('{"Parameters": []}', encoding="utf-8")
    run = run_cli(capsys, "check", "-t", tmp_path)
    assert run.code == 2
    assert str(tmp_path) in run.err and "no CloudFormation template" in run.err


def test_stack_name_with_several_templates_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / "cross-stack" / "template"
    run = run_cli(capsys, "check", "-t", folder / "shared.yaml", "-t", folder / "orders.yaml",
                  "--stack-name", "x")
    assert run.code == 2 and "--stack-name" in run.err


def test_copied_app_keeps_working_outside_the_repository(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copytree(FIXTURES / "nested-stack", tmp_path / "app")
    code, _ = check(capsys, "-t", tmp_path / "app" / "template" / "root.yaml",
                    "-b", tmp_path / "app" / "baseline" / "root.yaml")
    assert code == 1


def test_layer_replaced_in_the_parent_changes_the_nested_function(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for side, arch in (("baseline", "x86_64"), ("template", "arm64")):
        folder = tmp_path / side
        folder.mkdir()
        (folder / "root.yaml").write_text(
            "Resources:\n  Deps:\n    Type: AWS::Lambda::LayerVersion\n    Properties:\n"
            f"      CompatibleArchitectures: [{arch}]\n"
            f"      Content: {{S3Bucket: b, S3Key: deps-{arch}.zip}}\n"
            "  Workers:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
            "      TemplateURL: workers.yaml\n      Parameters: {DepsArn: !Ref Deps}\n",
            encoding="utf-8",
        )
        (folder / "workers.yaml").write_text(
            "Parameters:\n  DepsArn: {Type: String}\nResources:\n  Fn:\n"
            "    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n"
            "      Handler: a.h\n      Role: arn:aws:iam::1:role/r\n"
            f"      Architectures: [{arch}]\n      Code: {{S3Bucket: b, S3Key: fn.zip}}\n"
            "      Layers: [!Ref DepsArn]\n",
            encoding="utf-8",
        )
    code, report = check(capsys, "-t", tmp_path / "template", "-b", tmp_path / "baseline")
    assert code == 1
    (finding,) = report["findings"]
    assert finding["stack"] == "root.Workers"
    (layers,) = finding["changes"]["config"]
    assert (layers["property"], layers["how"], layers["cause"]) == (
        "Layers", "by parameter", "DepsArn"
    )
