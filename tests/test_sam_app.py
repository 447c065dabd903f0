"""A SAM app as its users meet it: templates expanded by the real translator, findings on SAM lines.

The app (``tests/apps/sam``) is one function behind an API, an SQS queue and an EventBridge
rule; each variant is the baseline with one change. ``<variant>.expanded.json`` beside each
template is the expansion latest-guard analyses (written by ``regenerate.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from support import run_cli, shown, validate

from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources import load_side

APP = Path(__file__).parent / "apps" / "sam"
VARIANTS = sorted(p.stem for p in APP.glob("*.yaml"))


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` that reads ``text`` (leading spaces included)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.rstrip() == text)


def check(capsys: pytest.CaptureFixture[str], variant: str, baseline: str,
          *extra: str) -> tuple[int, dict[str, Any]]:
    run = run_cli(capsys, "check", "--template", APP / f"{variant}.yaml",
                  "--baseline", APP / f"{baseline}.yaml", "--format", "json", *extra)
    assert run.err == ""
    validate(run.report)
    return run.code, run.report


def changed(finding: dict[str, Any], side: str) -> list[str]:
    return [c["property"] for c in finding["changes"][side]]


def test_arm64_switch_with_arm64_layer_is_an_error_on_the_sam_function_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = check(capsys, "arm64-layer", "baseline")
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["rule"], finding["severity"], finding["resource"]) == (
        "LG001", "error", "OrdersFn"
    )
    template = APP / "arm64-layer.yaml"
    assert finding["location"]["path"] == shown(template)
    assert finding["location"]["line"] == line_of(template, "  OrdersFn:")
    assert changed(finding, "code") == ["Architectures", "Code"]
    assert changed(finding, "config") == ["Layers"]  # the layer is replaced: a new version ARN
    kinds = {c["resource"]: c["kind"] for c in finding["consumers"]}
    assert kinds["OrdersFnQueueMapping"] == "SQS event source mapping"
    assert kinds["OrdersFnNightly"] == "EventBridge rule target"
    assert kinds["ServerlessRestApi"].startswith("API Gateway")
    assert all(c["reference"] == "unqualified" for c in finding["consumers"])


def test_code_and_a_new_environment_variable_is_an_error_that_names_the_key_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = check(capsys, "code-env", "baseline")
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    assert finding["location"]["line"] == line_of(APP / "code-env.yaml", "  OrdersFn:")
    (environment,) = finding["changes"]["config"]
    assert environment["property"] == "Environment"
    assert "PAYMENTS_API_URL" in environment["detail"]
    assert "payments.internal.example.com" not in json.dumps(report)


@pytest.mark.parametrize("variant", ["code-only", "config-only", "baseline"])
def test_one_sided_changes_and_a_re_expanded_unchanged_app_are_not_races(
    capsys: pytest.CaptureFixture[str], variant: str
) -> None:
    code, report = check(capsys, variant, "baseline")
    assert code == 0
    assert report["findings"] == []


def test_the_unchanged_app_expands_to_the_same_template_twice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = check(capsys, "baseline", "baseline")
    assert code == 0
    assert report["stacks"][0]["changed_functions"] == []


def test_an_aliased_function_whose_change_publishes_a_new_version_is_not_flagged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = check(capsys, "aliased", "aliased-baseline", "--fail-on", "warning")
    assert code == 0
    assert [f for f in report["findings"] if f["severity"] in ("error", "warning")] == []


def test_a_handler_only_change_under_auto_publish_alias_is_a_stale_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # SAM's default version hash ignores Handler: the alias keeps serving the old handler.
    code, report = check(capsys, "aliased-handler", "aliased-baseline", "--fail-on", "warning")
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["rule"], finding["severity"], finding["resource"]) == (
        "LG002", "warning", "OrdersFn"
    )
    assert changed(finding, "config") == ["Handler"]
    assert finding["location"]["line"] == line_of(APP / "aliased-handler.yaml", "  OrdersFn:")
    assert "AutoPublishAliasAllProperties" in finding["fix"]["summary"]


def test_metadata_on_the_sam_function_suppresses_its_finding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (APP / "arm64-layer.yaml").read_text(encoding="utf-8")
    suppressed = text.replace(
        "    Type: AWS::Serverless::Function\n",
        "    Type: AWS::Serverless::Function\n"
        "    Metadata:\n"
        "      latest-guard:\n"
        "        ignore: [LG001]\n"
        "        reason: the queue consumer retries; drained before Graviton moves\n",
        1,
    )
    template = tmp_path / "template.yaml"
    template.write_text(suppressed, encoding="utf-8")
    run = run_cli(capsys, "check", "-t", template, "-b", APP / "baseline.yaml", "-f", "json")
    assert run.code == 0
    (finding,) = run.report["findings"]
    assert finding["rule"] == "LG001"
    assert finding["suppressed"] is True
    assert finding["suppression_reason"].startswith("the queue consumer retries")


@pytest.fixture(scope="module")
def aliased() -> StackTemplate:
    (stack,) = load_side(APP / "aliased.yaml")
    return stack


@pytest.mark.parametrize(
    ("logical_id", "path", "source_line", "symbol"),
    [
        ("OrdersFn", (), "  OrdersFn:", "OrdersFn"),
        ("OrdersFn", ("Code", "S3Key"), "      CodeUri:", "OrdersFn.CodeUri"),
        ("OrdersFn", ("Runtime",), "    Runtime:", "Globals.Function.Runtime"),
        ("OrdersFn", ("Environment", "Variables", "PAYMENTS_API_URL"),
         "          PAYMENTS_API_URL:", "OrdersFn.Environment.Variables.PAYMENTS_API_URL"),
        ("OrdersFnQueueMapping", (), "        QueueMapping:", "OrdersFn.Events.QueueMapping"),
        ("OrdersFnQueueMapping", ("BatchSize",), "            BatchSize:",
         "OrdersFn.Events.QueueMapping.Properties.BatchSize"),
        ("OrdersFnNightly", (), "        Nightly:", "OrdersFn.Events.Nightly"),
        ("OrdersFnGetOrdersPermissionProd", (), "        GetOrders:", "OrdersFn.Events.GetOrders"),
        ("OrdersFnAliaslive", (), "      AutoPublishAlias:", "OrdersFn.AutoPublishAlias"),
        ("OrdersQueue", ("VisibilityTimeout",), "      VisibilityTimeout:",
         "OrdersQueue.VisibilityTimeout"),
    ],
)
def test_translated_resources_point_at_the_sam_source(
    aliased: StackTemplate,
    logical_id: str,
    path: tuple[str, ...],
    source_line: str,
    symbol: str,
) -> None:
    location = aliased.locate(logical_id, path)
    template = APP / "aliased.yaml"
    lines = template.read_text(encoding="utf-8").splitlines()
    assert location.path == str(template)
    assert location.line is not None
    assert lines[location.line - 1].startswith(source_line), lines[location.line - 1]
    assert location.symbol == symbol


def test_the_version_sam_publishes_points_at_auto_publish_alias(aliased: StackTemplate) -> None:
    (version,) = (k for k, r in aliased.resources.items() if r.type == "AWS::Lambda::Version")
    location = aliased.locate(version)
    assert location.line == line_of(APP / "aliased.yaml", "      AutoPublishAlias: live")
    assert location.confidence == "likely"


@pytest.mark.parametrize("variant", VARIANTS)
def test_committed_expansions_are_what_the_loader_produces(variant: str) -> None:
    committed = json.loads((APP / f"{variant}.expanded.json").read_text(encoding="utf-8"))
    (stack,) = load_side(APP / f"{variant}.yaml")
    assert stack.framework == "sam"
    assert {k: v["Type"] for k, v in committed["Resources"].items()} == {
        k: r.type for k, r in stack.resources.items()
    }, "run tests/apps/sam/regenerate.py"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SAM_HEADER = "Transform: AWS::Serverless-2016-10-31\nResources:\n"


def test_an_invalid_sam_template_is_one_line_naming_the_file_and_resource(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, SAM_HEADER + (
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: s3://bucket/key\n"
        "      Runtime: python3.12\n"
        "      Events:\n"
        "        Bad: {Type: NoSuchEvent}\n"
    ))
    run = run_cli(capsys, "check", "-t", path, "-b", path)
    assert run.code == 2
    assert run.out == ""
    message = run.err.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"latest-guard: error: {path}:3: SAM transform failed: ")
    assert "Resource with id [Fn] is invalid" in message


def test_expansion_needs_no_region_and_leaves_the_environment_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    before = dict(os.environ)
    (stack,) = load_side(APP / "baseline.yaml")
    assert dict(os.environ) == before
    role = stack.resources["OrdersFnRole"].properties
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    ]


def test_managed_policies_and_sar_applications_resolve_without_aws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    path = write(tmp_path, SAM_HEADER + (
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: s3://bucket/key\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        "      Policies: [AmazonSQSFullAccess, LatestGuardNotYetBundledPolicy]\n"
        "  Rotation:\n"
        "    Type: AWS::Serverless::Application\n"
        "    Properties:\n"
        "      Location:\n"
        "        ApplicationId: arn:aws:serverlessrepo:us-east-1:297356227824:"
        "applications/SecretsManagerRotation\n"
        "        SemanticVersion: 1.1.0\n"
    ))
    (stack,) = load_side(path)
    policies = stack.resources["FnRole"].properties["ManagedPolicyArns"]
    assert "arn:aws:iam::aws:policy/AmazonSQSFullAccess" in policies
    assert "arn:aws:iam::aws:policy/LatestGuardNotYetBundledPolicy" in policies
    nested = stack.resources["Rotation"]
    assert nested.type == "AWS::CloudFormation::Stack"
    assert "SecretsManagerRotation/1.1.0" in nested.properties["TemplateURL"]


def test_sam_resources_without_the_transform_line_are_expanded_too(tmp_path: Path) -> None:
    path = write(tmp_path, (APP / "baseline.yaml").read_text(encoding="utf-8").replace(
        "Transform: AWS::Serverless-2016-10-31\n", ""
    ))
    (stack,) = load_side(path)
    assert stack.framework == "sam"
    assert stack.resources["OrdersFn"].type == "AWS::Lambda::Function"


def test_a_template_sam_refuses_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, SAM_HEADER + "  Fn:\n    Type: AWS::Serverless::Function\n")
    with pytest.raises(InputError, match="SAM transform failed") as raised:
        load_side(path)
    assert raised.value.path == str(path)
