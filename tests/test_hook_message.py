"""What a hook's answer says: at most 4,096 characters however many findings, every finding
named; parameter values from the payload, from the stack (DescribeStacks, moto's server) or
unknown, and said so; never a value of an environment variable, a parameter or a tag."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hook_requests import (
    REGION,
    PayloadServer,
    change_set_request,
    no_aws,
    payload_server,
    replay,
    stack_request,
)
from moto.server import ThreadedMotoServer
from template_builder import CODE_V1, CODE_V2, template

from reviewer.report.hook import MESSAGE_LIMIT, fit

__all__ = ["no_aws"]  # the autouse fixture, found by pytest in this module

LAYER_V1 = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"
LAYER_V2 = "arn:aws:lambda:us-east-1:123456789012:layer:deps:2"


@pytest.fixture
def server() -> Iterator[PayloadServer]:
    with payload_server() as served:
        yield served


def _update(old: dict[str, Any], new: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"template": json.dumps(new), "previousTemplate": json.dumps(old), **extra}


# --- the message's length --------------------------------------------------------------------


def test_a_hundred_findings_fit_in_4096_characters_each_one_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    names = [f"OrdersWorkerFunction{n:03d}" for n in range(100)]
    old = template({name: {"Code": CODE_V1, "Layers": [LAYER_V1]} for name in names})
    new = template({name: {"Code": CODE_V2, "Layers": [LAYER_V2]} for name in names})
    run = replay(capsys, tmp_path, stack_request(server.serve(_update(old, new))))
    message = run.message
    assert run.response["errorCode"] == "NonCompliant"
    assert len(message) <= MESSAGE_LIMIT
    assert all(name in message for name in names)
    overflow = message.splitlines()[-1]
    shown = message.count("[LG001 error]")
    assert 0 < shown < 100
    assert overflow.startswith(f"and {100 - shown} more: ")
    # Every block shown is whole: each ends with its documentation line.
    assert message.count("  docs: ") == shown
    assert len(run.response["annotations"]) == 100


def test_blocks_are_kept_whole_and_the_rest_named_on_one_line() -> None:
    blocks = [f"[LG001 error] app/Function{n}: " + "word " * 40 for n in range(30)]
    names = [f"Function{n} (LG001)" for n in range(30)]
    text = fit(["latest-guard: 30 errors in app: non-compliant (fail-on error)."], blocks,
               names, limit=1000)
    assert len(text) <= 1000
    *body, last = text.splitlines()
    kept = [line for line in body if line.startswith("[LG001")]
    assert all(line in blocks for line in kept)  # never a block cut short
    assert last == f"and {30 - len(kept)} more: " + ", ".join(names[len(kept):])


def test_an_overflow_line_too_long_for_the_limit_is_cut_on_a_whole_name() -> None:
    names = [f"AVeryLongFunctionNameNumber{n:03d} (LG001)" for n in range(100)]
    text = fit(["latest-guard: 100 errors."], ["block"] * 100, names, limit=600)
    assert len(text) <= 600
    last = text.splitlines()[-1]
    named = re.findall(r"AVeryLongFunctionNameNumber\d{3} \(LG001\)", last)
    assert named and last.endswith(f"and {100 - len(named)} not named here")


# --- secrets ---------------------------------------------------------------------------------

SENTINELS = ("sk-live-ENV-OLD-51c0", "sk-live-ENV-NEW-9a7e", "sk-live-PARAM-7d2b",
             "sk-live-TAG-0f3c", "sk-live-TAG-NEW-22aa")


def _secret_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """Code, environment, a parameter's value and a tag change together."""
    params = {"ApiKey": {"Type": "String", "NoEcho": True}}
    old = template(
        {"Orders": {"Code": CODE_V1, "Environment": {"Variables": {"API_TOKEN": SENTINELS[0]}},
                    "Tags": [{"Key": "owner", "Value": SENTINELS[3]}]}},
        parameters=params,
    )
    new = template(
        {"Orders": {"Code": CODE_V2,
                    "Environment": {"Variables": {"API_TOKEN": SENTINELS[1],
                                                  "API_KEY": {"Ref": "ApiKey"}}},
                    "Tags": [{"Key": "owner", "Value": SENTINELS[4]}]}},
        parameters=params,
    )
    return old, new


def test_no_secret_value_in_the_answer_of_a_stack_update(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = _secret_pair()
    payload = _update(old, new, parameters={"ApiKey": SENTINELS[2]})
    run = replay(capsys, tmp_path, stack_request(server.serve(payload)), "--fail-on", "notice")
    assert run.response["errorCode"] == "NonCompliant"
    assert "config side: Environment" in run.message and "API_TOKEN" in run.message
    everything = json.dumps(run.response) + run.err
    assert not [s for s in SENTINELS if s in everything]


def test_no_secret_value_in_the_answer_of_a_change_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = _secret_pair()
    before = old["Resources"]["Orders"]["Properties"]
    payload = {
        "template": json.dumps(new),
        "changedResources": [{
            "action": "UPDATE", "logicalResourceId": "Orders",
            "resourceType": "AWS::Lambda::Function", "lineNumber": 4,
            "beforeContext": json.dumps({"Properties": before}),
            "afterContext": json.dumps({"Properties": new["Resources"]["Orders"]["Properties"]}),
        }],
        "parameters": {"ApiKey": SENTINELS[2]},
    }
    run = replay(capsys, tmp_path, change_set_request(server.serve(payload)))
    assert run.response["errorCode"] == "NonCompliant"
    everything = json.dumps(run.response) + run.err
    assert not [s for s in SENTINELS if s in everything]


# --- parameter values ------------------------------------------------------------------------


def _parameter_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """The layer written out before, from a parameter without a default now: the same layer
    when the parameter holds it, a swap racing with the code when it does not."""
    old = template({"Orders": {"Code": CODE_V1, "Layers": [LAYER_V1]}})
    new = template({"Orders": {"Code": CODE_V2, "Layers": [{"Ref": "DepsLayer"}]}},
                   parameters={"DepsLayer": {"Type": "String"}})
    return old, new


def test_parameter_values_the_payload_carries_are_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = _parameter_pair()
    payload = _update(old, new, parameters={"DepsLayer": LAYER_V1})
    run = replay(capsys, tmp_path, stack_request(server.serve(payload)))
    assert run.response["hookStatus"] == "SUCCESS", run.message
    assert "parameter values of this deployment: from the payload" in run.message


def test_unknown_parameter_values_are_said_in_the_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    old, new = _parameter_pair()
    run = replay(capsys, tmp_path, stack_request(server.serve(_update(old, new))))
    assert "parameter values of this deployment: not in the request" in run.message
    assert "DepsLayer" in run.message


def _code_key_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """The code's key passed as a parameter (as a pipeline's override does), and an
    environment variable added beside it."""
    old = template({"Orders": {"Code": {"S3Bucket": "artifacts", "S3Key": {"Ref": "CodeKey"}}}},
                   parameters={"CodeKey": {"Type": "String"}})
    new = template({"Orders": {"Code": {"S3Bucket": "artifacts", "S3Key": {"Ref": "CodeKey"}},
                               "Environment": {"Variables": {"TABLE": "orders"}}}},
                   parameters={"CodeKey": {"Type": "String"}})
    return old, new


def test_the_values_deployed_now_are_not_taken_for_this_deployments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: PayloadServer
) -> None:
    # Were the deployed key taken for the new side too, the code would look unchanged and the
    # race compliant; this deployment may pass another key.
    old, new = _code_key_pair()
    payload = {**_update(old, new), "previousParameters": {"CodeKey": "orders/aaaa.zip"}}
    run = replay(capsys, tmp_path, stack_request(server.serve(payload)))
    assert "parameter values deployed now: from the payload" in run.message
    assert "[LG001 notice] orders/Orders" in run.message, run.message
    assert "may race" in run.message
    # Given this deployment's key too, the change is known: a race.
    payload["parameters"] = {"CodeKey": "orders/bbbb.zip"}
    run = replay(capsys, tmp_path, stack_request(server.serve(payload)))
    assert "[LG001 error] orders/Orders" in run.message, run.message
    assert "orders/aaaa.zip" not in run.message + run.err
    assert "orders/bbbb.zip" not in run.message + run.err


@pytest.fixture(scope="module")
def moto_server() -> Iterator[tuple[str, str]]:
    """moto's server holding a stack with DepsLayer = LAYER_V1: its URL and the stack's name.
    moto keeps its state per process: the stack's name is the module's own."""
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        cloudformation = boto3.client(
            "cloudformation", endpoint_url=url, region_name=REGION,
            aws_access_key_id="AKIAHOOKTESTFAKE", aws_secret_access_key="fake",
        )
        body = {"Parameters": {"DepsLayer": {"Type": "String"}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
        name = f"hooked-{uuid.uuid4().hex[:10]}"
        cloudformation.create_stack(
            StackName=name, TemplateBody=json.dumps(body),
            Parameters=[{"ParameterKey": "DepsLayer", "ParameterValue": LAYER_V1}],
        )
        yield url, name
    finally:
        server.stop()
        requests_log.setLevel(level)


@pytest.fixture
def moto_stack(moto_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The deployed stack's name; boto3 pointed at moto through AWS_ENDPOINT_URL, with fake
    credentials."""
    url, name = moto_server
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOOKTESTFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    return name


@pytest.mark.slow  # moto's server starts in about 7 s
def test_the_stacks_current_parameter_values_are_read_when_allowed(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    server: PayloadServer,
    moto_stack: str,
) -> None:
    # The deployed stack's DepsLayer is LAYER_V1: the baseline reads it. This deployment's
    # value is not in the request, so a layer that may change beside the code may race.
    new = template({"Orders": {"Code": CODE_V2, "Layers": [{"Ref": "DepsLayer"}]}},
                   parameters={"DepsLayer": {"Type": "String"}})
    old = template({"Orders": {"Code": CODE_V1, "Layers": [{"Ref": "DepsLayer"}]}},
                   parameters={"DepsLayer": {"Type": "String"}})
    request = stack_request(server.serve(_update(old, new)), stack=moto_stack)
    run = replay(capsys, tmp_path, request)
    assert "parameter values deployed now: the stack's current ones (DescribeStacks)" \
        in run.message
    assert f"[LG001 notice] {moto_stack}/Orders" in run.message, run.message
    assert LAYER_V1 not in run.message + run.err


@pytest.mark.slow
def test_a_stack_describe_stacks_refuses_leaves_the_values_unknown(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    server: PayloadServer,
    moto_stack: str,
) -> None:
    old, new = _parameter_pair()
    old["Parameters"] = {"DepsLayer": {"Type": "String"}}
    request = stack_request(server.serve(_update(old, new)), stack="not-deployed-here")
    run = replay(capsys, tmp_path, request)
    assert "parameter values deployed now: not known (DescribeStacks was refused " \
        "(ValidationError))" in run.message
    assert run.response["errorCode"] == "NonCompliant"
