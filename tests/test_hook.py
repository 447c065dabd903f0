"""The CloudFormation Lambda Hook, driven by requests in the documented shapes: stack create,
update and delete, change sets, resource requests; the payload fetched from a URL served on
127.0.0.1 (and refused once expired); the seed incident stopped at deploy time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hook_requests import (
    TOKEN,
    PayloadServer,
    change_set_request,
    no_aws,
    payload_server,
    replay,
    resource_request,
    stack_request,
)
from template_builder import CODE_V1, CODE_V2, template

from reviewer.cli import main
from reviewer.hook.lambda_entry import handler

__all__ = ["no_aws"]  # the autouse fixture, found by pytest in this module

TESTS = Path(__file__).parent
CDK = TESTS / "apps" / "cdk" / "out"
SLS = TESTS / "apps" / "serverless" / "out"
LAYER_V1 = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"
LAYER_V2 = "arn:aws:lambda:us-east-1:123456789012:layer:deps:2"


@pytest.fixture
def server() -> Iterator[PayloadServer]:
    with payload_server() as served:
        yield served


def cdk(variant: str, stack: str) -> str:
    return (CDK / variant / f"{stack}.template.json").read_text(encoding="utf-8")


def serverless(variant: str) -> str:
    return (SLS / variant / "cloudformation-template-update-stack.json").read_text(
        encoding="utf-8"
    )


def racing_pair(**new_properties: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A function whose code and layers both change, invoked by an SQS queue."""
    mapping = {"Type": "AWS::Lambda::EventSourceMapping",
               "Properties": {"FunctionName": {"Ref": "Orders"},
                              "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q"}}
    old = template({"Orders": {"Code": CODE_V1, "Layers": [LAYER_V1]}},
                   resources={"Queue": mapping})
    new = template({"Orders": {"Code": CODE_V2, "Layers": [LAYER_V2], **new_properties}},
                   resources={"Queue": mapping})
    return old, new


# --- the seed incident --------------------------------------------------------------------


def test_the_datadog_cdk_arm64_switch_is_stopped_at_deploy_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    url = server.serve({
        "template": cdk("datadog-arm64", "CheckoutStack"),
        "previousTemplate": cdk("datadog-x86", "CheckoutStack"),
    })
    run = replay(capsys, tmp_path, stack_request(url, stack="CheckoutStack"))
    assert run.code == 1
    assert run.response["hookStatus"] == "FAILED"
    assert run.response["errorCode"] == "NonCompliant"
    assert run.response["clientRequestToken"] == TOKEN
    assert "CheckoutB7CD3E82" in run.message
    assert "code side: Architectures x86_64 → arm64" in run.message
    assert "Datadog-Extension-ARM:77" in run.message  # the layer swap on the config side
    assert "LG001" in run.err  # the text report on standard error
    (annotation,) = run.response["annotations"]
    assert annotation["status"] == "FAILED"
    assert annotation["severityLevel"] == "HIGH"
    assert annotation["remediationLink"].startswith("https://")


@pytest.mark.parametrize(
    ("new", "old"),
    [
        (lambda: cdk("arm64-layer", "OrdersStack"), lambda: cdk("baseline", "OrdersStack")),
        (lambda: serverless("arm64-layer"), lambda: serverless("baseline")),
    ],
    ids=["cdk", "serverless"],
)
def test_the_arm64_switch_names_the_function_and_its_consumers(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    server: PayloadServer,
    new: Any,
    old: Any,
) -> None:
    url = server.serve({"template": new(), "previousTemplate": old()})
    run = replay(capsys, tmp_path, stack_request(url))
    assert run.response["errorCode"] == "NonCompliant"
    consumers = next(line for line in run.message.splitlines() if line.startswith("  exposed:"))
    assert "[LG001 error] orders/" in run.message  # the function, by its logical id
    assert "API Gateway method" in consumers
    assert "an SQS event source mapping" in consumers
    assert "EventBridge rule target" in consumers


def test_the_same_change_behind_an_alias_is_compliant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    url = server.serve({
        "template": cdk("aliased", "OrdersStack"),
        "previousTemplate": cdk("aliased-baseline", "OrdersStack"),
    })
    run = replay(capsys, tmp_path, stack_request(url))
    assert run.code == 0
    assert run.response["hookStatus"] == "SUCCESS"
    assert "errorCode" not in run.response
    assert run.response["clientRequestToken"] == TOKEN
    assert [a["status"] for a in run.response["annotations"]] == ["PASSED"]


# --- stack operations -------------------------------------------------------------------


@pytest.mark.parametrize("previous", ["absent", None, ""])
def test_a_stack_create_runs_the_template_rules_only(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    server: PayloadServer,
    previous: str | None,
) -> None:
    # arm64 by an L1 override, with the x86_64 Datadog layers: fails on every invocation.
    payload: dict[str, Any] = {"template": cdk("datadog-arm64-override", "CheckoutStack")}
    if previous != "absent":
        payload["previousTemplate"] = previous
    run = replay(capsys, tmp_path, stack_request(server.serve(payload), "CREATE"))
    assert run.response["errorCode"] == "NonCompliant"
    assert "[LG004 error]" in run.message
    assert "LG001" not in run.message


def test_a_create_of_a_racing_template_has_nothing_to_race_with(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    _, new = racing_pair()
    url = server.serve({"template": json.dumps(new), "previousTemplate": None})
    run = replay(capsys, tmp_path, stack_request(url, "CREATE"))
    assert run.response["hookStatus"] == "SUCCESS"
    assert "no finding" in run.message
    # The deployer is told why, in CloudFormation's terms, not the command line's.
    assert "a new stack has nothing to race" in run.err
    assert "--baseline" not in run.err + run.message


def test_a_stack_update_compares_the_previous_template(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = racing_pair()
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    run = replay(capsys, tmp_path, stack_request(url))
    assert run.response["errorCode"] == "NonCompliant"
    assert "[LG001 error] orders/Orders" in run.message
    assert "  exposed: an SQS event source mapping: Queue" in run.message


def test_a_yaml_sam_template_is_expanded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    sam = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://artifacts/{key}
      Layers: [{layer}]
      Events:
        Api:
          Type: Api
          Properties: {{Path: /orders, Method: get}}
"""
    url = server.serve({
        "template": sam.format(key="v2.zip", layer=LAYER_V2),
        "previousTemplate": sam.format(key="v1.zip", layer=LAYER_V1),
    })
    run = replay(capsys, tmp_path, stack_request(url))
    assert run.response["errorCode"] == "NonCompliant"
    assert "orders/Orders" in run.message
    assert "API Gateway" in run.message


def test_a_stack_delete_is_not_judged_and_not_fetched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    url = server.serve({"template": "", "previousTemplate": ""}, expired=True)
    run = replay(capsys, tmp_path, stack_request(url, "DELETE"))
    assert run.code == 0
    assert run.response == {
        "hookStatus": "SUCCESS",
        "message": "latest-guard: the stack is being deleted: nothing to judge.",
        "clientRequestToken": TOKEN,
    }
    assert server.fetched == []


def test_a_resource_request_is_answered_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = replay(capsys, tmp_path, resource_request())
    assert run.code == 0
    assert run.response["hookStatus"] == "SUCCESS"
    assert run.response["clientRequestToken"] == ""


def test_suppressions_in_the_templates_metadata_are_honoured(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = racing_pair()
    new["Resources"]["Orders"]["Metadata"] = {
        "latest-guard": {"ignore": ["LG001"], "reason": "the queue is drained before each deploy"}
    }
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    run = replay(capsys, tmp_path, stack_request(url))
    assert run.response["hookStatus"] == "SUCCESS"
    assert "suppressed: the queue is drained before each deploy" in run.message
    assert [a["status"] for a in run.response["annotations"]] == ["SKIPPED"]


# --- change sets -----------------------------------------------------------------------------


def _change_set_payload(
    new: dict[str, Any], before: dict[str, Any], action: str = "UPDATE"
) -> dict[str, Any]:
    """The documented payload: every number and boolean of the context as a string."""

    def strings(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strings(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strings(v) for v in value]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return value

    return {
        "template": json.dumps(new, indent=2),
        "changedResources": [{
            "action": action,
            "beforeContext": json.dumps({"Properties": strings(before)}) if before else None,
            "afterContext": json.dumps({"Properties": strings(new["Resources"]["Orders"]
                                                           ["Properties"])}),
            "lineNumber": 3,
            "logicalResourceId": "Orders",
            "resourceType": "AWS::Lambda::Function",
        }],
    }


def test_a_change_set_is_judged_against_the_before_context(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = racing_pair()
    before = old["Resources"]["Orders"]["Properties"]
    url = server.serve(_change_set_payload(new, before))
    run = replay(capsys, tmp_path, change_set_request(url))
    assert run.response["errorCode"] == "NonCompliant"
    assert "[LG001 error] orders/Orders" in run.message
    assert "config side: Layers" in run.message


def test_numbers_and_booleans_given_as_strings_are_not_changes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    settings = {"Layers": [LAYER_V1], "MemorySize": 512, "Timeout": 30,
                "SnapStart": {"ApplyOn": "None"}, "TracingConfig": {"Mode": "Active"}}
    old = template({"Orders": {"Code": CODE_V1, **settings}})
    new = template({"Orders": {"Code": CODE_V2, **settings}})
    new["Resources"]["Orders"]["Properties"]["Environment"] = {"Variables": {"DEBUG": False}}
    old["Resources"]["Orders"]["Properties"]["Environment"] = {"Variables": {"DEBUG": False}}
    url = server.serve(_change_set_payload(new, old["Resources"]["Orders"]["Properties"]))
    run = replay(capsys, tmp_path, change_set_request(url), "--fail-on", "notice")
    # Only the code changes: "512", "30" and "false" are the template's 512, 30 and false.
    assert run.response["hookStatus"] == "SUCCESS", run.message
    assert "no finding" in run.message


def test_a_change_set_sees_a_replaced_layer_through_the_templates_reference(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    # The contexts may hold values where the template holds Ref: the function's context says
    # the layer's ARN, the template !Ref DepsLayer; the layer version itself changes content.
    layer = {"Type": "AWS::Lambda::LayerVersion",
             "Properties": {"Content": {"S3Bucket": "artifacts", "S3Key": "deps-2.zip"},
                            "CompatibleRuntimes": ["python3.12"]}}
    new = template({"Orders": {"Code": CODE_V2, "Layers": [{"Ref": "DepsLayer"}]}},
                   resources={"DepsLayer": layer})
    function_before = {**new["Resources"]["Orders"]["Properties"], "Code": CODE_V1,
                       "Layers": [LAYER_V1]}
    layer_before = {**layer["Properties"], "Content": {"S3Bucket": "artifacts",
                                                       "S3Key": "deps-1.zip"}}
    payload = _change_set_payload(new, function_before)
    payload["changedResources"].append({
        "action": "UPDATE", "logicalResourceId": "DepsLayer",
        "resourceType": "AWS::Lambda::LayerVersion", "lineNumber": 9,
        "beforeContext": json.dumps({"Properties": layer_before}),
        "afterContext": json.dumps({"Properties": layer["Properties"]}),
    })
    run = replay(capsys, tmp_path, change_set_request(server.serve(payload)))
    assert run.response["errorCode"] == "NonCompliant"
    assert "config side: Layers (through replaced DepsLayer)" in run.message


def test_a_function_the_change_set_creates_has_nothing_to_race_with(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    _, new = racing_pair()
    url = server.serve(_change_set_payload(new, {}, action="CREATE"))
    run = replay(capsys, tmp_path, change_set_request(url))
    assert run.response["hookStatus"] == "SUCCESS"


# --- what cannot be judged -----------------------------------------------------------------


def test_an_expired_url_is_an_internal_failure_and_names_the_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = racing_pair()
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)},
                       expired=True)
    run = replay(capsys, tmp_path, stack_request(url))
    assert run.code == 2
    assert run.response["hookStatus"] == "FAILED"
    assert run.response["errorCode"] == "InternalFailure"
    assert run.response["clientRequestToken"] == TOKEN
    assert "HTTP 403" in run.message and "--payload FILE" in run.message
    (line,) = run.err.splitlines()
    assert line.startswith("latest-guard: error: ") and "request-" in line
    assert "Traceback" not in run.err


def test_a_saved_payload_replays_an_expired_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = racing_pair()
    payload = {"template": json.dumps(new), "previousTemplate": json.dumps(old)}
    url = server.serve(payload, expired=True)
    saved = tmp_path / "payload.json"
    saved.write_text(json.dumps(payload), encoding="utf-8")
    run = replay(capsys, tmp_path, stack_request(url), "--payload", str(saved))
    assert run.code == 1
    assert run.response["errorCode"] == "NonCompliant"
    assert server.fetched == []


def test_an_unreadable_template_is_an_internal_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    _, new = racing_pair()
    url = server.serve({"template": "Resources:\n  Orders: [unclosed\n",
                        "previousTemplate": json.dumps(new)})
    run = replay(capsys, tmp_path, stack_request(url))
    assert run.code == 2
    assert run.response["errorCode"] == "InternalFailure"
    assert "orders (new template)" in run.message and "malformed YAML" in run.message
    assert len(run.err.splitlines()) == 1


def test_a_request_that_is_not_json_is_one_line_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reviewer.cli import main

    path = tmp_path / "request.json"
    path.write_text("{not json", encoding="utf-8")
    assert main(["hook", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"latest-guard: error: {path}:1: not JSON: Expecting property name " \
                  "enclosed in double quotes\n"


def test_a_bug_is_an_internal_failure_without_the_exceptions_text(
    server: PayloadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewer.pipeline import analysis

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("sk-live-SENTINEL-0001")

    monkeypatch.setattr(analysis, "analyze", broken)
    old, new = racing_pair()
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    response = handler(stack_request(url), None)
    assert response["errorCode"] == "InternalFailure"
    assert response["clientRequestToken"] == TOKEN
    assert "internal error (KeyError at test_hook.py:" in response["message"]
    assert "SENTINEL" not in response["message"]


def test_the_time_budget_bounds_the_analysis(
    server: PayloadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewer.pipeline import analysis

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(5)
        raise AssertionError("not reached before the budget")

    monkeypatch.setattr(analysis, "analyze", slow)
    monkeypatch.setenv("LATEST_GUARD_TIME_BUDGET", "0.5")
    old, new = racing_pair()
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    started = time.monotonic()
    response = handler(stack_request(url), None)
    assert time.monotonic() - started < 3
    assert response["errorCode"] == "InternalFailure"
    assert "not judged within 0.5 s" in response["message"]


class _Context:
    """The part of Lambda's context object the handler reads."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_the_functions_remaining_time_lowers_the_budget(
    server: PayloadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewer.pipeline import analysis

    monkeypatch.setattr(analysis, "analyze", lambda *a, **k: time.sleep(5))
    old, new = racing_pair()
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    response = handler(stack_request(url), _Context(remaining_ms=2500))
    assert "not judged within 1 s" in response["message"]


# --- the Lambda entry point and its configuration -----------------------------------------


def test_the_handler_answers_in_the_documented_shape(server: PayloadServer) -> None:
    old, new = racing_pair()
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    response = handler(stack_request(url), _Context(remaining_ms=29_000))
    assert set(response) == {"hookStatus", "errorCode", "message", "clientRequestToken",
                             "annotations"}
    assert response["hookStatus"] == "FAILED"
    for annotation in response["annotations"]:
        assert set(annotation) <= {"annotationName", "status", "statusMessage",
                                   "remediationMessage", "remediationLink", "severityLevel"}


def test_fail_on_comes_from_the_functions_environment(
    server: PayloadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Layers from a parameter without a value: the race is possible, not known (a notice).
    old, new = racing_pair()
    for side in (old, new):
        side["Parameters"] = {"DepsLayer": {"Type": "String"}}
        side["Resources"]["Orders"]["Properties"]["Layers"] = [{"Ref": "DepsLayer"}]
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    assert handler(stack_request(url), None)["hookStatus"] == "SUCCESS"
    monkeypatch.setenv("LATEST_GUARD_FAIL_ON", "notice")
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    response = handler(stack_request(url), None)
    assert response["errorCode"] == "NonCompliant"
    assert "parameter values deployed now: not known (no AWS credentials" in response["message"]


def test_a_setting_the_function_does_not_take_is_said_and_the_default_used(
    server: PayloadServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LATEST_GUARD_FAIL_ON", "sometimes")
    monkeypatch.setenv("LATEST_GUARD_TIME_BUDGET", "soon")
    old, new = racing_pair()
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    response = handler(stack_request(url), None)
    assert response["errorCode"] == "NonCompliant"  # judged, at fail-on error
    err = capsys.readouterr().err
    assert "LATEST_GUARD_FAIL_ON is not one of error, warning, notice, never: error used" in err
    assert "LATEST_GUARD_TIME_BUDGET is not a positive number of seconds: 20 used" in err


def test_the_entry_point_imports_without_the_engine() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; import reviewer.hook.lambda_entry as e; "
        "heavy = [m for m in ('boto3', 'samtranslator', 'reviewer.pipeline.analysis') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=TESTS.parent, check=True)
    assert done.stdout.strip() == "[]"


def test_the_function_log_holds_the_request_to_replay_without_its_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = racing_pair()
    payload = {"template": json.dumps(new), "previousTemplate": json.dumps(old)}
    url = server.serve(payload)
    assert handler(stack_request(url), None)["errorCode"] == "NonCompliant"
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if x.startswith("latest-guard: request ")]
    assert url not in err  # the presigned URL grants reading the templates
    # The logged line, saved as a file, replays the same verdict from a saved payload.
    request = tmp_path / "request.json"
    request.write_text(line.removeprefix("latest-guard: request "), encoding="utf-8")
    saved = tmp_path / "payload.json"
    saved.write_text(json.dumps(payload), encoding="utf-8")
    code = main(["hook", str(request), "--payload", str(saved)])
    out = capsys.readouterr().out
    assert code == 1
    assert json.loads(out)["clientRequestToken"] == TOKEN


def test_a_resource_request_is_not_logged(capsys: pytest.CaptureFixture[str]) -> None:
    assert handler(resource_request(), None)["hookStatus"] == "SUCCESS"
    assert "MemorySize" not in capsys.readouterr().err


def test_a_local_code_path_is_not_read_from_the_folder_the_hook_runs_in(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    server: PayloadServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A folder of that name where the handler runs: reading it would make both sides' code
    # look the same, and the change compliant.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('not the deployer's code')\n")
    monkeypatch.chdir(tmp_path)
    previous = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: arn:aws:sqs:eu-west-1:123456789012:jobs
"""
    new = previous.replace(
        "      CodeUri: src/\n",
        "      CodeUri: src/\n      Environment:\n        Variables:\n          TABLE: orders\n",
    )
    url = server.serve({"template": new, "previousTemplate": previous})
    run = replay(capsys, tmp_path, stack_request(url))
    assert "CodeUri 'src/'" in run.message
    assert "is a local path, and a hook request holds only the templates' text" in run.message
    assert "[LG001 notice] orders/Orders" in run.message
    assert "may race: the code could not be read" in run.message


@pytest.mark.parametrize("previous", ["absent", None, ""])
def test_a_stack_update_without_its_previous_template_is_not_judged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer, previous: str | None
) -> None:
    # Judged as a new stack, a race would pass as compliant.
    _, new = racing_pair()
    payload: dict[str, Any] = {"template": json.dumps(new)}
    if previous != "absent":
        payload["previousTemplate"] = previous
    run = replay(capsys, tmp_path, stack_request(server.serve(payload)))
    assert run.code == 2
    assert run.response["errorCode"] == "InternalFailure"
    assert "a stack update's payload holds no previousTemplate" in run.response["message"]


def test_a_change_set_sees_a_value_its_after_context_changes_behind_a_reference(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    # The template writes the code's key as !Ref CodeKey; the contexts hold it resolved, and
    # the change set passes a new key beside an environment variable it adds.
    new = template({"Orders": {"Code": {"S3Bucket": "artifacts", "S3Key": {"Ref": "CodeKey"}},
                               "Environment": {"Variables": {"TABLE": "orders"}}}},
                   parameters={"CodeKey": {"Type": "String"}})
    function = new["Resources"]["Orders"]["Properties"]
    before = {**function, "Code": {"S3Bucket": "artifacts", "S3Key": "orders/aaaa.zip"}}
    before.pop("Environment")
    after = {**function, "Code": {"S3Bucket": "artifacts", "S3Key": "orders/bbbb.zip"}}
    payload = _change_set_payload(new, before)
    payload["changedResources"][0]["afterContext"] = json.dumps({"Properties": after})
    run = replay(capsys, tmp_path, change_set_request(server.serve(payload)))
    assert "LG001" in run.message and "orders/Orders" in run.message, run.message
    assert run.response["errorCode"] == "NonCompliant"
    assert "orders/bbbb.zip" not in run.message + run.err


def test_annotations_agree_with_the_verdict_and_keep_long_names_apart(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    # Two racing functions whose logical ids (255 characters, as CloudFormation allows) differ
    # only at their end; the layer of each comes from a parameter without a value: notices.
    ids = ["A" * 254 + "1", "A" * 254 + "2"]
    old = template({fn: {"Code": CODE_V1, "Layers": [{"Ref": "DepsLayer"}]} for fn in ids},
                   parameters={"DepsLayer": {"Type": "String"}})
    new = template({fn: {"Code": CODE_V2, "Layers": [{"Ref": "DepsLayer"}]} for fn in ids},
                   parameters={"DepsLayer": {"Type": "String"}})
    url = server.serve({"template": json.dumps(new), "previousTemplate": json.dumps(old)})
    run = replay(capsys, tmp_path, stack_request(url))
    assert run.response["hookStatus"] == "SUCCESS", run.message
    annotations = run.response["annotations"]
    assert {a["status"] for a in annotations} == {"PASSED"}  # below fail-on error
    assert all(a["statusMessage"].startswith("below fail-on error: ") for a in annotations)
    names = [a["annotationName"] for a in annotations]
    assert len(set(names)) == 2 and all(len(n) <= 256 for n in names)
    run = replay(capsys, tmp_path, stack_request(url), "--fail-on", "notice")
    assert {a["status"] for a in run.response["annotations"]} == {"FAILED"}


def test_a_logged_request_without_its_payload_says_how_to_replay_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reviewer.sources.hook.request import loggable

    logged = loggable(stack_request("https://example.invalid/presigned"))
    assert logged is not None
    run = replay(capsys, tmp_path, logged)
    assert run.code == 2
    assert "holds no payload URL: replay it with --payload FILE" in run.response["message"]
