"""The deployed stack as the baseline, over real HTTP.

Most tests deploy real stacks into moto's server (``ThreadedMotoServer`` on 127.0.0.1) and
fetch them back through boto3. Where moto cannot answer as CloudFormation does (throttling,
denied access, rolled-back states, masked NoEcho values, stack ARNs as nested physical ids,
paginated resources) a tiny local HTTP server answers in CloudFormation's query-protocol XML,
so the same boto3 client, retries and error handling run.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree as ET

import boto3
import pytest
from moto.server import ThreadedMotoServer
from support import FIXTURES

from reviewer.config import Config
from reviewer.contract.report import Report
from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.pipeline.analysis import analyze
from reviewer.report import REPORTERS
from reviewer.sources import load_side
from reviewer.sources.aws.deployed import DeployedSide, fetch_deployed
from reviewer.sources.cloudformation.parameters import apply_parameter_values, parse_overrides

REGION = "us-east-1"
ACCOUNT = "123456789012"
SECRET = "noecho-canary-5d1e9"  # a NoEcho value: must never appear in any output
LAYER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps"

LAYER_STACK = f"""
Parameters:
  DepsLayerArn: {{Type: String, Default: "{LAYER}:7"}}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::{ACCOUNT}:role/fn
      Code: {{S3Bucket: artifacts, S3Key: fn/1111.zip}}
      Layers: [!Ref DepsLayerArn]
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets: [{{Id: fn, Arn: !GetAtt Fn.Arn}}]
"""

SECRET_STACK = f"""
Parameters:
  DbPassword: {{Type: String, NoEcho: true}}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::{ACCOUNT}:role/fn
      Code: {{S3Bucket: artifacts, S3Key: fn/1111.zip}}
      Environment:
        Variables: {{DB_PASSWORD: !Ref DbPassword}}
  Queue:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Ref Fn
"""

PARENT = """
Parameters:
  Stage: {Type: String, Default: prod}
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: %s
      Parameters: {Stage: !Ref Stage}
"""

CHILD = f"""
Parameters:
  Stage: {{Type: String}}
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::{ACCOUNT}:role/fn
      Code: {{S3Bucket: artifacts, S3Key: worker/1111.zip}}
      Environment:
        Variables: {{STAGE: !Ref Stage}}
  Queue:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Ref Worker
"""


# --- moto ----------------------------------------------------------------------------------
#
# moto keeps its state per process, shared by every server in it and so by every test module
# that a pytest-xdist worker runs: nothing here resets it, and the buckets, roles and stacks
# this module seeds carry a suffix of its own, so that no other module's names meet them.
# The templates here and in tests/fixtures name the bucket ``artifacts`` and the roles
# ``orders`` and ``fn``; ``Moto.localize`` gives them the module's names, on both sides.

_NAMED = re.compile(r"(?<=S3Bucket: )(artifacts)\b|(?<=:role/)(orders|fn)\b")


@dataclass(frozen=True)
class Moto:
    """moto's server, and the suffix of every name the module seeded in it."""

    url: str
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    def name(self, name: str) -> str:
        """The module's name for ``name``: of a bucket, a role or a stack (deployed or not)."""
        return f"{name}-{self.suffix}"

    def stack(self, name: str) -> str:
        return self.name(name)

    def localize(self, template: str) -> str:
        """``template`` with the module's bucket and role names (its lines unchanged)."""
        localized, count = _NAMED.subn(lambda m: f"{m.group(0)}-{self.suffix}", template)
        assert count, "the template names no bucket or role to localize"
        return localized

    def fixture(self, tmp_path: Path, name: str) -> Path:
        """``tests/fixtures/arm64-layer/<name>``, localized, as a file in ``tmp_path``."""
        text = (FIXTURES / "arm64-layer" / name).read_text(encoding="utf-8")
        return write(tmp_path, self.localize(text), name)


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    """moto's server with the stacks the tests compare against, deployed once."""
    requests_log = logging.getLogger("werkzeug")  # one line per request otherwise
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        seeded = Moto(f"http://{host}:{port}")
        _deploy(seeded)
        yield seeded
    finally:
        server.stop()
        requests_log.setLevel(level)


def _client(url: str, service: str) -> Any:
    """A client for seeding moto; explicit fake keys, so no test environment is needed."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="AKIASEEDINGFAKE0000",
        aws_secret_access_key="seeding-fake",
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _deploy(moto: Moto) -> None:
    """moto creates functions only when their role and code objects exist: those first."""
    url = moto.url
    s3, iam, cfn = _client(url, "s3"), _client(url, "iam"), _client(url, "cloudformation")
    artifacts, templates = moto.name("artifacts"), moto.name("templates")
    for bucket in (artifacts, templates):
        s3.create_bucket(Bucket=bucket)
    for key in ("orders/1111.zip", "fn/1111.zip", "worker/1111.zip"):
        s3.put_object(Bucket=artifacts, Key=key, Body=_zip())
    s3.put_object(Bucket=templates, Key="child.yaml", Body=moto.localize(CHILD).encode())
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "lambda.amazonaws.com"}}]}
    for role in ("orders", "fn"):
        iam.create_role(RoleName=moto.name(role), AssumeRolePolicyDocument=json.dumps(trust))
    baseline = (FIXTURES / "arm64-layer" / "baseline.yaml").read_text(encoding="utf-8")
    cfn.create_stack(StackName=moto.stack("orders"), TemplateBody=moto.localize(baseline))
    cfn.create_stack(
        StackName=moto.stack("layers"),
        TemplateBody=moto.localize(LAYER_STACK),
        Parameters=[{"ParameterKey": "DepsLayerArn", "ParameterValue": f"{LAYER}:7"}],
    )
    cfn.create_stack(
        StackName=moto.stack("secrets"),
        TemplateBody=moto.localize(SECRET_STACK),
        Parameters=[{"ParameterKey": "DbPassword", "ParameterValue": SECRET}],
    )
    parent = PARENT % f"https://{templates}.s3.amazonaws.com/child.yaml"
    cfn.create_stack(StackName=moto.stack("app"), TemplateBody=parent)


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and a region from the environment only, as in CI; no real AWS config."""
    for name in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CLOUDFORMATION", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTFAKE0000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-fake")
    monkeypatch.setenv("AWS_REGION", REGION)  # as other SDKs read it; botocore reads only
    # AWS_DEFAULT_REGION, so this also shows the fallback works
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def fetch(url: str, *names: str, **options: Any) -> tuple[DeployedSide, str]:
    progress = io.StringIO()
    side = fetch_deployed(names, region=None, profile=None, progress=progress,
                          endpoint_url=url, **options)
    return side, progress.getvalue()


def write(tmp_path: Path, text: str, file: str = "template.yaml") -> Path:
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    return path


def check(new: list[StackTemplate], side: DeployedSide) -> Report:
    return analyze(new, list(side.stacks), Config(), "deployed stacks")


def json_report(report: Report) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(REPORTERS["json"](report))
    return document


def test_the_arm64_switch_races_against_the_deployed_stack(moto: Moto, tmp_path: Path) -> None:
    orders = moto.stack("orders")
    side, progress = fetch(moto.url, orders)
    (deployed,) = side.stacks
    assert (deployed.name, str(deployed.path)) == (orders, f"stack:{orders}")
    assert side.states[orders].status == "CREATE_COMPLETE"
    assert deployed.template_location("OrdersFn").line == 3  # lines of the stored template
    new = load_side(moto.fixture(tmp_path, "template.yaml"), orders)
    (finding,) = check(new, side).findings
    assert (finding.rule, finding.severity.value) == ("LG001", "error")
    assert finding.resource == "OrdersFn"
    assert {c.resource for c in finding.consumers} == {"GetOrders", "QueueMapping", "Nightly"}
    assert progress.splitlines()[0] == (
        f"latest-guard: fetching 1 deployed stack from {REGION} at {moto.url} ..."
    )
    assert f"{orders}: CREATE_COMPLETE, 6 resources" in progress


def test_a_layer_changed_only_through_an_override_races(moto: Moto, tmp_path: Path) -> None:
    layers = moto.stack("layers")
    side, _ = fetch(moto.url, layers)
    pr = write(tmp_path, moto.localize(LAYER_STACK.replace("fn/1111.zip", "fn/2222.zip")))
    new = load_side(pr, layers)
    overridden = apply_parameter_values(new, parse_overrides([f"DepsLayerArn={LAYER}:8"]),
                                        side.stacks)
    (finding,) = json_report(check(overridden, side))["findings"]
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    (changed_layers,) = finding["changes"]["config"]
    assert (changed_layers["property"], changed_layers["how"], changed_layers["cause"]) == (
        "Layers", "by parameter", "DepsLayerArn"
    )


def test_a_parameter_not_overridden_keeps_its_deployed_value(
    moto: Moto, tmp_path: Path
) -> None:
    """The PR moves the Default to :8, but a deploy keeps the value the stack has (:7)."""
    layers = moto.stack("layers")
    side, _ = fetch(moto.url, layers)
    text = LAYER_STACK.replace("fn/1111.zip", "fn/2222.zip").replace(":7", ":8")
    new = load_side(write(tmp_path, moto.localize(text)), layers)
    assert check(new, side).findings != ()  # compared with the Default alone: a race
    kept = apply_parameter_values(new, {}, side.stacks)
    assert check(kept, side).findings == ()  # as deployed: code only


def test_a_stack_that_does_not_exist_is_a_new_stack(moto: Moto) -> None:
    orders, checkout = moto.stack("orders"), moto.stack("checkout")
    side, progress = fetch(moto.url, orders, checkout)
    state = side.states[checkout]
    assert state.missing and state.status is None and not state.compared
    assert "new stack" in (state.note or "")
    assert [s.name for s in side.stacks] == [orders]
    assert f"{checkout}: does not exist: a new stack" in progress
    new = load_side(FIXTURES / "arm64-layer" / "template.yaml", checkout)
    report = analyze(new, [s for s in side.stacks if s.name == checkout], Config(), "stack")
    assert report.findings == ()
    assert report.stacks[0].status == "new"


def test_a_nested_stack_comes_with_its_parent_link(moto: Moto, tmp_path: Path) -> None:
    app = moto.stack("app")
    side, progress = fetch(moto.url, app)
    parent, child = side.stacks
    assert (parent.name, parent.parent) == (app, None)
    assert (child.name, child.parent) == (f"{app}.Child", (app, "Child"))
    assert str(child.path).startswith(f"stack:{app}-Child-")  # the nested stack's own name
    assert child.parameter_values == {"Stage": "prod"}
    assert f"{app}.Child: CREATE_COMPLETE" in progress
    # The PR changes the nested function's code and environment: the race is in the child.
    write(tmp_path, PARENT % "child.yaml", "app.yaml")
    changed = CHILD.replace("worker/1111.zip", "worker/2222.zip").replace(
        "STAGE: !Ref Stage", "STAGE: !Ref Stage, MODE: fast"
    )
    write(tmp_path, moto.localize(changed), "child.yaml")
    new = apply_parameter_values(load_side(tmp_path / "app.yaml", app), {}, side.stacks)
    (finding,) = check(new, side).findings
    assert (finding.rule, finding.stack, finding.resource) == ("LG001", f"{app}.Child", "Worker")


def test_noecho_values_never_reach_any_output(moto: Moto, tmp_path: Path) -> None:
    """moto 5.2 returns NoEcho values unmasked: the worst case, and nothing may print them."""
    secrets = moto.stack("secrets")
    side, progress = fetch(moto.url, secrets)
    text = SECRET_STACK.replace("fn/1111.zip", "fn/2222.zip").replace(
        "DB_PASSWORD: !Ref DbPassword", "DB_PASSWORD: !Ref DbPassword, DB_USER: !Ref DbPassword"
    )
    new = apply_parameter_values(load_side(write(tmp_path, moto.localize(text)), secrets), {},
                                 side.stacks)
    report = check(new, side)
    assert [f.rule for f in report.findings] == ["LG001"]
    outputs = [progress, REPORTERS["text"](report), REPORTERS["json"](report),
               repr(side), repr(new)]
    assert all(SECRET not in output for output in outputs)


def test_many_stacks_are_fetched_together(moto: Moto) -> None:
    names = [moto.stack(name) for name in ("orders", "layers", "secrets", "app", "gone")]
    orders, layers, secrets, app, gone = names
    side, progress = fetch(moto.url, *names, concurrency=3)
    assert [s.name for s in side.stacks] == [
        orders, layers, secrets, app, f"{app}.Child"
    ]
    assert list(side.states) == [orders, layers, secrets, app, gone]
    assert side.missing == (gone,)
    assert side.label == f"deployed stacks {orders}, {layers}, {secrets}, {app}, {gone} ({REGION})"
    assert progress.startswith(f"latest-guard: fetching 5 deployed stacks from {REGION}")
    assert len(progress.splitlines()) == 7  # the header and one line per stack
    assert SECRET not in progress


# --- a local CloudFormation for what moto cannot say ----------------------------------------

NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


@dataclass
class FakeStack:
    name: str
    status: str
    template: str
    parameters: list[dict[str, str]] = field(default_factory=list)
    resource_pages: list[list[dict[str, str]]] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{self.name}/0000-1111"


@dataclass
class FakeCloudFormation:
    """CloudFormation's query protocol for a few stacks, with errors on demand."""

    stacks: list[FakeStack] = field(default_factory=list)
    #: Action -> (HTTP status, error code, message): that action always fails so.
    failures: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def answer(self, params: Mapping[str, str]) -> tuple[int, str]:
        action = params.get("Action", "")
        self.calls.append((action, params.get("StackName", "")))
        if action in self.failures:
            status, code, message = self.failures[action]
            return status, error_xml(code, message)
        stack = next((s for s in self.stacks if params.get("StackName") in (s.name, s.arn)), None)
        if stack is None:
            return 400, error_xml("ValidationError",
                                  f"Stack with id {params.get('StackName')} does not exist")
        if action == "DescribeStacks":
            described = {"StackId": stack.arn, "StackName": stack.name,
                         "CreationTime": "2024-05-01T10:00:00.000Z",
                         "StackStatus": stack.status, "Parameters": stack.parameters}
            return 200, result_xml(action, {"Stacks": [described]})
        if action == "GetTemplate":
            return 200, result_xml(action, {"TemplateBody": stack.template})
        if action == "ListStackResources":
            page = int(params.get("NextToken", "0"))
            result: dict[str, Any] = {"StackResourceSummaries": stack.resource_pages[page]}
            if page + 1 < len(stack.resource_pages):
                result["NextToken"] = str(page + 1)
            return 200, result_xml(action, result)
        return 400, error_xml("InvalidAction", action)


def result_xml(action: str, result: Mapping[str, Any]) -> str:
    root = ET.Element(f"{action}Response", xmlns=NS)
    _fill(ET.SubElement(root, f"{action}Result"), result)
    ET.SubElement(ET.SubElement(root, "ResponseMetadata"), "RequestId").text = "fake-request"
    return ET.tostring(root, encoding="unicode")


def _fill(node: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ET.SubElement(node, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(node, "member"), item)
    else:
        node.text = str(value)


def error_xml(code: str, message: str) -> str:
    root = ET.Element("ErrorResponse", xmlns=NS)
    error = ET.SubElement(root, "Error")
    for key, text in (("Type", "Sender"), ("Code", code), ("Message", message)):
        ET.SubElement(error, key).text = text
    ET.SubElement(root, "RequestId").text = "fake-request"
    return ET.tostring(root, encoding="unicode")


@pytest.fixture
def fake() -> Iterator[Callable[[FakeCloudFormation], str]]:
    """Serve a FakeCloudFormation on 127.0.0.1 (a random port); gives its URL."""
    servers: list[ThreadingHTTPServer] = []

    def serve(world: FakeCloudFormation) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                query = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                status, body = world.answer({k: v[0] for k, v in query.items()})
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


ROLLED_BACK = """\
{
  "Parameters": {"DbPassword": {"Type": "String", "NoEcho": "true"}},
  "Resources": {
    "Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Role": "arn:aws:iam::123456789012:role/fn",
        "Code": {"S3Bucket": "artifacts", "S3Key": "fn/1111.zip"},
        "Environment": {"Variables": {"DB_PASSWORD": {"Ref": "DbPassword"}}}
      }
    },
    "Rule": {
      "Type": "AWS::Events::Rule",
      "Properties": {"ScheduleExpression": "rate(1 day)",
                     "Targets": [{"Id": "fn", "Arn": {"Fn::GetAtt": ["Fn", "Arn"]}}]}
    }
  }
}
"""
MASKED_PARAMETER = [{"ParameterKey": "DbPassword", "ParameterValue": "****"}]


def pr_template(tmp_path: Path) -> list[StackTemplate]:
    """The PR side of ROLLED_BACK: new code, the same configuration."""
    path = tmp_path / "template.json"
    path.write_text(ROLLED_BACK.replace("fn/1111.zip", "fn/2222.zip"), encoding="utf-8")
    return load_side(path, "orders")


def test_a_rolled_back_stack_is_compared_with_the_template_it_rolled_back_to(
    fake: Callable[[FakeCloudFormation], str], tmp_path: Path
) -> None:
    world = FakeCloudFormation([FakeStack("orders", "UPDATE_ROLLBACK_COMPLETE", ROLLED_BACK,
                                          MASKED_PARAMETER)])
    side, progress = fetch(fake(world), "orders")
    state = side.states["orders"]
    assert (state.status, state.compared) == ("UPDATE_ROLLBACK_COMPLETE", True)
    assert "rolled back" in (state.note or "")
    (deployed,) = side.stacks
    assert deployed.notes == (state.note,)
    assert deployed.template_location("Fn").line == 4  # a JSON body keeps its lines
    assert "orders: UPDATE_ROLLBACK_COMPLETE, 2 resources - its last update failed" in progress
    new = apply_parameter_values(pr_template(tmp_path), {}, side.stacks)
    assert check(new, side).findings == ()  # the masked value is kept: code only, no race
    assert new[0].notes == ()


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"])
def test_a_stack_with_nothing_deployed_is_a_new_stack(
    fake: Callable[[FakeCloudFormation], str], status: str
) -> None:
    world = FakeCloudFormation([FakeStack("orders", status, ROLLED_BACK)])
    side, _ = fetch(fake(world), "orders")
    state = side.states["orders"]
    assert (state.status, state.compared, side.stacks) == (status, False, ())
    assert "treated as a new stack" in (state.note or "")
    assert [action for action, _ in world.calls] == ["DescribeStacks"]


def test_an_overridden_noecho_value_is_unknown_and_said_so(
    fake: Callable[[FakeCloudFormation], str], tmp_path: Path
) -> None:
    world = FakeCloudFormation([FakeStack("orders", "UPDATE_COMPLETE", ROLLED_BACK,
                                          MASKED_PARAMETER)])
    side, _ = fetch(fake(world), "orders")
    new = apply_parameter_values(pr_template(tmp_path), {"DbPassword": SECRET}, side.stacks)
    report = check(new, side)
    assert report.findings == ()  # not claimed as a change: it cannot be seen
    (note,) = new[0].notes
    assert note.startswith("parameter DbPassword is NoEcho and overridden")
    assert SECRET not in note and SECRET not in repr(new)


def test_nested_stacks_are_found_by_arn_across_pages(
    fake: Callable[[FakeCloudFormation], str]
) -> None:
    parent_template = PARENT % "https://templates.s3.amazonaws.com/child.yaml"
    child = FakeStack("app-Child-1X2Y3Z", "UPDATE_COMPLETE", CHILD,
                      [{"ParameterKey": "Stage", "ParameterValue": "prod"}])
    row = {"LastUpdatedTimestamp": "2024-05-01T10:00:00.000Z", "ResourceStatus": "CREATE_COMPLETE"}
    parent = FakeStack(
        "app", "UPDATE_COMPLETE", parent_template,
        [{"ParameterKey": "Stage", "ParameterValue": "prod"}],
        [
            [{**row, "LogicalResourceId": "Other", "PhysicalResourceId": "x",
              "ResourceType": "AWS::SQS::Queue"}],
            [{**row, "LogicalResourceId": "Child", "PhysicalResourceId": child.arn,
              "ResourceType": "AWS::CloudFormation::Stack"}],
        ],
    )
    world = FakeCloudFormation([parent, child])
    side, _ = fetch(fake(world), "app")
    assert [(s.name, s.parent, str(s.path)) for s in side.stacks] == [
        ("app", None, "stack:app"),
        ("app.Child", ("app", "Child"), "stack:app-Child-1X2Y3Z"),
    ]
    assert world.calls.count(("ListStackResources", parent.arn)) == 2
    assert ("DescribeStacks", child.arn) in world.calls


def test_throttling_that_outlasts_the_retries_is_one_line(
    fake: Callable[[FakeCloudFormation], str]
) -> None:
    world = FakeCloudFormation(failures={"DescribeStacks": (400, "Throttling", "Rate exceeded")})
    url = fake(world)
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        fetch(url, "orders", max_attempts=2)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("stack:orders: CloudFormation throttled the requests (Throttling)")
    assert message.endswith("still failed after 2 attempts; try again later or lower the "
                            "concurrency")
    assert len(world.calls) == 2  # botocore retried once


def test_access_denied_names_the_action_and_the_principal(
    fake: Callable[[FakeCloudFormation], str]
) -> None:
    role = f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-readonly/gha-1234"
    denied = (
        f"User: {role} is not authorized to perform: cloudformation:DescribeStacks on resource: "
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/orders/* because no identity-based "
        "policy allows the cloudformation:DescribeStacks action"
    )
    world = FakeCloudFormation(failures={"DescribeStacks": (403, "AccessDenied", denied)})
    with pytest.raises(InputError) as caught:
        fetch(fake(world), "orders")
    assert str(caught.value) == (
        f"stack:orders: cloudformation:DescribeStacks is not allowed for {role} (AccessDenied: "
        "no identity-based policy allows the cloudformation:DescribeStacks action); see the "
        "README's read-only policy for --baseline-stack"
    )


def test_access_denied_on_a_later_call_names_that_call(
    fake: Callable[[FakeCloudFormation], str]
) -> None:
    world = FakeCloudFormation(
        [FakeStack("orders", "UPDATE_COMPLETE", ROLLED_BACK)],
        failures={"GetTemplate": (403, "AccessDenied", "Access Denied")},
    )
    with pytest.raises(InputError, match=r"^stack:orders: cloudformation:GetTemplate is not "
                                         r"allowed for these credentials \(AccessDenied\)"):
        fetch(fake(world), "orders")


def test_missing_credentials_say_how_to_provide_them(
    monkeypatch: pytest.MonkeyPatch, fake: Callable[[FakeCloudFormation], str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    world = FakeCloudFormation()
    with pytest.raises(InputError, match=r"^--baseline-stack: no AWS credentials found: set "
                                         r"AWS_PROFILE .*configure-aws-credentials$"):
        fetch(fake(world), "orders")
    assert world.calls == []


def test_no_region_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    with pytest.raises(InputError, match="no AWS region: pass --region or set AWS_REGION"):
        fetch_deployed(["orders"], region=None, profile=None, progress=io.StringIO())


def test_an_unknown_profile_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^--profile: AWS profile 'ci' is not in the AWS"):
        fetch_deployed(["orders"], region=REGION, profile="ci", progress=io.StringIO())


def test_an_endpoint_that_cannot_be_reached_is_one_line() -> None:
    # A port bound but not listening refuses connections; held for the whole test, so no
    # other test or process can start listening on it in between.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        with pytest.raises(InputError) as caught:
            fetch(url, "orders", max_attempts=1)
    assert str(caught.value) == (
        f"--baseline-stack: cannot reach CloudFormation at {url}; check the region and the network"
    )


# --- the command line, as a user runs it ----------------------------------------------------


def test_cli_compares_with_the_deployed_stack(
    moto: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reviewer.cli import main

    orders = moto.stack("orders")
    template = moto.fixture(tmp_path, "template.yaml")
    code = main(["check", "-t", str(template), "--baseline-stack", orders, "--region", REGION,
                 "--endpoint-url", moto.url, "-f", "json"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    report = json.loads(captured.out)
    assert report["baseline"] == f"deployed stack {orders} ({REGION})"
    (finding,) = report["findings"]
    assert (finding["stack"], finding["resource"]) == (orders, "OrdersFn")
    assert finding["rule"] == "LG001"
    assert "fetching 1 deployed stack" in captured.err


def test_cli_overrides_and_a_missing_stack(
    moto: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reviewer.cli import main

    pr = write(tmp_path, moto.localize(LAYER_STACK.replace("fn/1111.zip", "fn/2222.zip")))
    code = main(["check", "-t", str(pr), "--baseline-stack", moto.stack("layers"), "--region",
                 REGION, "--endpoint-url", moto.url, "--parameter-overrides",
                 f"DepsLayerArn={LAYER}:8", "-f", "json"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert f"{LAYER}:8" not in captured.out + captured.err
    code = main(["check", "-t", str(pr), "--baseline-stack", moto.stack("not-deployed-yet"),
                 "--region", REGION, "--endpoint-url", moto.url, "-f", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (stack,) = json.loads(captured.out)["stacks"]
    assert stack["status"] == "new"
    assert any("not deployed" in note for note in stack["notes"])


def test_cli_change_set_needs_a_deployed_stack(capsys: pytest.CaptureFixture[str]) -> None:
    from reviewer.cli import main

    template = FIXTURES / "arm64-layer" / "template.yaml"
    code = main(["check", "-t", str(template), "--change-set"])
    assert code == 2
    assert "needs --baseline-stack" in capsys.readouterr().err


@pytest.mark.slow  # moto's server makes and reads a change set: several seconds on 2 cores
def test_cli_change_set_is_a_pair_of_sides_read_and_deleted(
    moto: Moto, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``--change-set``: the deployed stack and the template, with what CloudFormation says
    changes; the change set is gone afterwards."""
    from reviewer.cli import main

    orders = moto.stack("orders")
    template = moto.fixture(tmp_path, "template.yaml")
    code = main(["check", "-t", str(template), "--baseline-stack", orders, "--change-set",
                 "--endpoint-url", moto.url, "-f", "json"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    report = json.loads(captured.out)
    assert report["baseline"] == f"deployed stack {orders} ({REGION})"
    assert [(f["rule"], f["resource"]) for f in report["findings"]] == [("LG001", "OrdersFn")]
    assert f"of stack {orders}" in captured.err
    assert "resource change(s) in 1 stack(s)" in captured.err
    assert "deleted change set latest-guard-" in captured.err
    listed = _client(moto.url, "cloudformation").list_change_sets(StackName=orders)
    assert listed["Summaries"] == []
