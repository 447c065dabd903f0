"""Change sets: CloudFormation's own answer to "what does this template change".

Two halves:

* The lifecycle against moto's server over real HTTP: a change set is created, read and always
  deleted, with the uploaded template, also when reading fails, on Ctrl-C and on SIGTERM.
* Reading the answers. moto returns no ``Details``, so the DescribeChangeSet responses here are
  written by hand and run through ``botocore.stub.Stubber`` on a real client: the Stubber
  checks every response against botocore's service model (member names, types, nesting) and
  this file also checks every enum value against the model. The requests our code sends are
  validated by botocore before the Stubber answers them, and compared with what is expected.
  Every response carries canary values in ``BeforeValue``/``AfterValue`` and the before/after
  contexts; none may survive into the facts, the progress lines or a rendered report.
"""

from __future__ import annotations

import io
import json
import logging
import signal
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.model import Shape
from botocore.stub import ANY, Stubber
from moto.server import ThreadedMotoServer

from reviewer.contract.enums import FailOn, Side
from reviewer.contract.findings import Finding, PropertyChange
from reviewer.contract.report import Report, StackSummary
from reviewer.diff.change_set_changes import (
    function_changes_from_change_set,
    recreated_resources,
)
from reviewer.diff.context import StackContext
from reviewer.diff.function_changes import FunctionChange, Status
from reviewer.errors import InputError
from reviewer.model.app import AppGraph
from reviewer.model.change_set import (
    ChangeSetFacts,
    PropertyFact,
    ResourceChangeFacts,
    StackChangeFacts,
)
from reviewer.report import REPORTERS
from reviewer.rules.base import ChangeRule
from reviewer.rules.registry import RULES
from reviewer.sources import load_side
from reviewer.sources.aws.change_set import (
    MAX_TEMPLATE_BODY,
    ClientFactory,
    change_set_facts,
    make_client_factory,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
CANARY_BEFORE = "sk-live-CANARY-before-4f1d"
CANARY_AFTER = "sk-live-CANARY-after-9c2e"


def orders_template(
    arch: str, key: str, layer: str, *, bucket: str, role: str, padding: int = 0
) -> str:
    """A function behind an SQS queue; ``padding`` adds comment lines to grow the body."""
    return f"""# Orders service
Resources:
  OrdersFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: {role}
      Architectures: [{arch}]
      Code: {{S3Bucket: {bucket}, S3Key: {key}}}
      Layers: [arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{layer}]
  Queue:
    Type: AWS::SQS::Queue
  QueueMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Ref OrdersFn
""" + "# padding to grow the template past the inline limit\n" * padding


# --- moto's server, over HTTP ---------------------------------------------------------------
#
# moto keeps its state per process, shared by every server in it and so by every test module
# that a pytest-xdist worker runs: nothing here resets it, and every bucket, role and stack
# has a name of its own (a per-module suffix for what the module seeds, a per-test one for
# the stacks a test deploys), so that other modules' names and this module's never meet.


def unique(prefix: str) -> str:
    """``prefix`` with a random suffix: a name no other module or test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Seeded:
    """What the module's moto server holds: the buckets and the role a function needs."""

    url: str
    artifacts: str  # the bucket with the functions' code
    templates: str  # the (empty) bucket large templates are uploaded to
    role: str  # the ARN of the functions' role


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    """One moto server for the module, with the bucket, role and code a function needs."""
    werkzeug = logging.getLogger("werkzeug")  # one line per request otherwise
    level = werkzeug.level
    werkzeug.setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    artifacts, templates, role = unique("artifacts"), unique("templates"), unique("orders")
    try:
        s3 = _seeding_client(url, "s3")
        s3.create_bucket(Bucket=artifacts)
        s3.create_bucket(Bucket=templates)
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("app.py", "def handler(event, context):\n    return 1\n")
        for key in ("orders/1111.zip", "orders/2222.zip"):
            s3.put_object(Bucket=artifacts, Key=key, Body=archive.getvalue())
        _seeding_client(url, "iam").create_role(
            RoleName=role, AssumeRolePolicyDocument=json.dumps(_LAMBDA_TRUST)
        )
        yield Seeded(url, artifacts, templates, f"arn:aws:iam::{ACCOUNT}:role/{role}")
    finally:
        server.stop()
        werkzeug.setLevel(level)


def _seeding_client(url: str, service: str) -> Any:
    """A client for seeding moto; explicit fake keys, so no environment is changed for it."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
         "Action": "sts:AssumeRole"}
    ],
}


def fake_credentials(env: pytest.MonkeyPatch) -> None:
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env.setenv("AWS_DEFAULT_REGION", REGION)
    env.setenv("AWS_CONFIG_FILE", "/dev/null")
    env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        env.delenv(name, raising=False)


@dataclass
class Moto:
    """Clients of the moto server, and hooks that make calls of our code fail on purpose."""

    seeded: Seeded
    hooks: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    profile: str | None = None

    @property
    def url(self) -> str:
        return self.seeded.url

    def stack(self, name: str) -> str:
        """A stack name of this test's own: ``name`` with a unique suffix."""
        return unique(name)

    def template(self, arch: str, key: str, layer: str, padding: int = 0) -> str:
        """``orders_template`` with the module's bucket and role."""
        return orders_template(arch, key, layer, bucket=self.seeded.artifacts,
                               role=self.seeded.role, padding=padding)

    @property
    def old(self) -> str:
        """The deployed template: an x86_64 function."""
        return self.template("x86_64", "orders/1111.zip", "deps-x86_64:4")

    @property
    def new(self) -> str:
        """The PR's template: the function switches to arm64, with new code and layer."""
        return self.template("arm64", "orders/2222.zip", "deps-arm64:1")

    def client(self, service: str) -> Any:
        """A client of a fresh session: credentials are looked up now, not cached."""
        session = boto3.session.Session()
        return session.client(service, endpoint_url=self.url, region_name=REGION)

    def factory(self, service: str) -> Any:
        """What ``change_set_facts`` gets: the production factory's client, pointed at moto,
        with the test's hooks on it."""
        client = make_client_factory(endpoint_url=self.url, profile=self.profile)(service)
        client.meta.events.register("before-call", self._record)
        for event, hook in self.hooks:
            client.meta.events.register(event, hook)
        return client

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def fail_when_reading(self, error: BaseException | Callable[[], None]) -> None:
        """Fail the DescribeChangeSet calls that read the changes (not those that wait)."""

        def hook(params: dict[str, Any], **_: Any) -> None:
            if params.get("IncludePropertyValues"):
                if callable(error):
                    error()
                else:
                    raise error

        self.hooks.append(("provide-client-params.cloudformation.DescribeChangeSet", hook))

    def deploy(self, stack: str, body: str) -> None:
        self.client("cloudformation").create_stack(StackName=stack, TemplateBody=body)

    def change_sets(self, stack: str) -> list[str]:
        answer = self.client("cloudformation").list_change_sets(StackName=stack)
        return [s["ChangeSetName"] for s in answer["Summaries"]]


@pytest.fixture
def moto(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Moto:
    fake_credentials(monkeypatch)
    return Moto(seeded)


def run(
    factory: ClientFactory, stack: str, body: str, **options: Any
) -> tuple[ChangeSetFacts, str]:
    progress = io.StringIO()
    options.setdefault("parameters", {})
    facts = change_set_facts(stack, body, client_factory=factory, progress=progress, **options)
    return facts, progress.getvalue()


@pytest.mark.slow  # about 10 s on a 2-core machine: moto's server makes and reads a change set
def test_change_set_is_read_and_deleted(moto: Moto, tmp_path: Path) -> None:
    name = moto.stack("orders")
    moto.deploy(name, moto.old)
    facts, progress = run(moto.factory, name, moto.new)

    assert moto.change_sets(name) == []
    assert moto.calls == [
        "CreateChangeSet", "DescribeChangeSet", "DescribeChangeSet", "DeleteChangeSet"
    ]
    assert facts.change_set_name.startswith("latest-guard-")
    assert f"creating change set {facts.change_set_name} of stack {name}" in progress
    assert f"deleted change set {facts.change_set_name}" in progress
    stack = facts.stack(name)
    assert stack is not None
    function = stack.get("OrdersFn")
    assert function is not None
    assert (function.action, function.resource_type) == ("Modify", "AWS::Lambda::Function")
    assert not facts.no_changes

    # moto says only *that* the function changes (no Details): the template diff says how,
    # and the run ends in the finding a user sees.
    context = compare(tmp_path, moto.old, moto.new, name)
    changes = function_changes_from_change_set(name, facts, context.changes)
    assert changes["OrdersFn"] == context.changes["OrdersFn"]
    findings = check(replace(context, changes=changes))
    assert [(f.rule, f.resource, f.severity.value) for f in findings] == [
        ("LG001", "OrdersFn", "error")
    ]


def test_no_changes_is_an_answer_and_the_change_set_is_deleted(moto: Moto) -> None:
    name = moto.stack("quiet")
    moto.deploy(name, moto.old)
    facts, progress = run(moto.factory, name, moto.old)
    assert facts.no_changes
    assert facts.no_changes_reason is not None
    assert "didn't contain changes" in facts.no_changes_reason
    assert f"no changes to stack {name}" in progress
    assert moto.change_sets(name) == []
    changes = function_changes_from_change_set(name, facts, {})
    assert changes == {}


def test_an_error_while_reading_still_deletes_the_change_set(moto: Moto) -> None:
    name = moto.stack("flaky")
    moto.deploy(name, moto.old)
    moto.fail_when_reading(EndpointConnectionError(endpoint_url="https://cloudformation"))
    with pytest.raises(InputError) as caught:
        run(moto.factory, name, moto.new)
    assert str(caught.value).startswith(f"stack {name}: cannot call AWS: Could not connect")
    assert "\n" not in str(caught.value)
    assert moto.calls[-1] == "DeleteChangeSet"
    assert moto.change_sets(name) == []


def test_a_refused_call_names_the_operation_and_the_reason(moto: Moto) -> None:
    name = moto.stack("throttled")
    moto.deploy(name, moto.old)
    refusal = ClientError(
        {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "DescribeChangeSet"
    )
    moto.fail_when_reading(refusal)
    with pytest.raises(InputError) as caught:
        run(moto.factory, name, moto.new)
    assert str(caught.value) == (
        f"stack {name}: DescribeChangeSet failed: Throttling: Rate exceeded"
    )
    assert moto.change_sets(name) == []


def test_ctrl_c_while_reading_deletes_the_change_set(moto: Moto) -> None:
    name = moto.stack("interrupted")
    moto.deploy(name, moto.old)
    moto.fail_when_reading(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run(moto.factory, name, moto.new)
    assert moto.change_sets(name) == []


def test_sigterm_while_reading_deletes_the_change_set_and_exits(moto: Moto) -> None:
    name = moto.stack("cancelled")
    moto.deploy(name, moto.old)
    before = signal.getsignal(signal.SIGTERM)
    moto.fail_when_reading(lambda: signal.raise_signal(signal.SIGTERM))
    with pytest.raises(SystemExit) as caught:
        run(moto.factory, name, moto.new)
    assert caught.value.code == 128 + signal.SIGTERM
    assert moto.calls[-1] == "DeleteChangeSet"
    assert moto.change_sets(name) == []
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_second_sigterm_does_not_stop_the_deletion(moto: Moto) -> None:
    name = moto.stack("cancelled-twice")
    moto.deploy(name, moto.old)
    moto.hooks.append((
        "provide-client-params.cloudformation.DeleteChangeSet",
        lambda **_: signal.raise_signal(signal.SIGTERM),
    ))
    with pytest.raises(SystemExit) as caught:
        run(moto.factory, name, moto.new)
    assert caught.value.code == 128 + signal.SIGTERM
    assert moto.change_sets(name) == []


def test_missing_credentials_are_one_line(
    moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = moto.stack("orders")
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(InputError) as caught:
        run(moto.factory, name, moto.new)
    assert str(caught.value) == f"stack {name}: cannot call AWS: Unable to locate credentials"


def test_an_unknown_profile_is_one_line(moto: Moto) -> None:
    name = moto.stack("orders")
    moto.profile = "ci"
    with pytest.raises(InputError) as caught:
        run(moto.factory, name, moto.new)
    assert str(caught.value) == (
        f"stack {name}: cannot call AWS: The config profile (ci) could not be found"
    )


def test_the_region_may_come_from_aws_region(
    moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = moto.stack("regional")
    moto.deploy(name, moto.old)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", REGION)
    facts, _ = run(moto.factory, name, moto.old)
    assert facts.no_changes


def test_large_template_goes_through_the_bucket_and_is_deleted(moto: Moto) -> None:
    name = moto.stack("large")
    moto.deploy(name, moto.old)
    body = moto.template("arm64", "orders/2222.zip", "deps-arm64:1", padding=1000)
    assert len(body.encode()) > MAX_TEMPLATE_BODY
    facts, progress = run(moto.factory, name, body, template_bucket=moto.seeded.templates)

    assert f"uploading the template ({len(body.encode()):,} bytes)" in progress
    assert "PutObject" in moto.calls
    assert moto.calls[-2:] == ["DeleteChangeSet", "DeleteObject"]
    # CloudFormation read the uploaded template: it sees the function change.
    stack = facts.stack(name)
    assert stack is not None
    function = stack.get("OrdersFn")
    assert function is not None
    assert function.action == "Modify"
    assert moto.change_sets(name) == []
    listing = moto.client("s3").list_objects_v2(Bucket=moto.seeded.templates)
    assert listing.get("Contents", []) == []


def test_large_template_without_a_bucket_is_refused_before_anything_is_created(
    moto: Moto,
) -> None:
    name = moto.stack("large-nobucket")
    moto.deploy(name, moto.old)
    body = moto.new + "#\n" * MAX_TEMPLATE_BODY
    with pytest.raises(InputError) as caught:
        run(moto.factory, name, body)
    message = str(caught.value)
    assert "CloudFormation takes at most 51,200 bytes inline" in message
    assert "--template-bucket" in message
    assert moto.calls == []
    assert moto.change_sets(name) == []


def test_upload_to_a_missing_bucket_leaves_nothing_behind(moto: Moto) -> None:
    name = moto.stack("large-missing")
    moto.deploy(name, moto.old)
    body = moto.new + "#\n" * MAX_TEMPLATE_BODY
    progress = io.StringIO()
    with pytest.raises(InputError, match="PutObject failed: NoSuchBucket"):
        change_set_facts(name, body, parameters={}, template_bucket=unique("no-such-bucket"),
                         client_factory=moto.factory, progress=progress)
    assert "CreateChangeSet" not in moto.calls
    assert "warning" not in progress.getvalue()
    assert moto.change_sets(name) == []


def test_a_stack_that_does_not_exist(moto: Moto) -> None:
    name = moto.stack("ghost")
    with pytest.raises(InputError) as caught:
        run(moto.factory, name, moto.new)
    message = str(caught.value)
    assert message.startswith(f"stack {name}: CreateChangeSet failed: ValidationError:")
    assert name in message.partition(":")[2]
    assert "\n" not in message


# --- DescribeChangeSet answers, validated against botocore's model --------------------------

STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/app/6f1c"
ROOT = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:changeSet/latest-guard-root/1a2b"
NESTED = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:changeSet/latest-guard-nested/3c4d"
FN = "AWS::Lambda::Function"


def detail(
    name: str | None,
    source: str,
    *,
    entity: str | None = None,
    evaluation: str = "Static",
    recreation: str = "Never",
    attribute: str = "Properties",
    path: str | None = None,
    change_type: str = "Modify",
) -> dict[str, Any]:
    """One ``ResourceChangeDetail`` with canary values where CloudFormation puts values."""
    target: dict[str, Any] = {
        "Attribute": attribute,
        "RequiresRecreation": recreation,
        "Path": path or (f"/Properties/{name}" if name else f"/{attribute}"),
        "BeforeValue": CANARY_BEFORE,
        "AfterValue": CANARY_AFTER,
        "AttributeChangeType": change_type,
    }
    if name is not None:
        target["Name"] = name
    out: dict[str, Any] = {"Target": target, "Evaluation": evaluation, "ChangeSource": source}
    if entity is not None:
        out["CausingEntity"] = entity
    return out


def resource(
    logical_id: str,
    resource_type: str,
    action: str = "Modify",
    *,
    replacement: str | None = "False",
    details: Sequence[dict[str, Any]] = (),
    change_set: str | None = None,
) -> dict[str, Any]:
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "Scope": sorted({d["Target"]["Attribute"] for d in details}),
        "Details": list(details),
        "BeforeContext": json.dumps({"Properties": {"Secret": CANARY_BEFORE}}),
        "AfterContext": json.dumps({"Properties": {"Secret": CANARY_AFTER}}),
    }
    if action != "Add":
        change["PhysicalResourceId"] = f"app-{logical_id}-1XYZ"
    if replacement is not None and action == "Modify":
        change["Replacement"] = replacement
    if change_set is not None:
        change["ChangeSetId"] = change_set
    return {"Type": "Resource", "ResourceChange": change}


@dataclass
class Page:
    changes: list[dict[str, Any]]
    token: str | None = None


@dataclass
class Script:
    """A change set as CloudFormation would answer for it: its id, stack and pages."""

    change_set: str
    stack_name: str
    pages: list[Page]
    status: str = "CREATE_COMPLETE"
    reason: str | None = None

    def status_answer(self) -> dict[str, Any]:
        answer = self._head()
        answer["Status"] = self.status
        answer["ExecutionStatus"] = "AVAILABLE" if self.status == "CREATE_COMPLETE" else (
            "UNAVAILABLE"
        )
        if self.reason:
            answer["StatusReason"] = self.reason
        return answer

    def page_answer(self, page: Page) -> dict[str, Any]:
        answer = self.status_answer()
        answer["Changes"] = page.changes
        answer["IncludeNestedStacks"] = True
        if page.token:
            answer["NextToken"] = page.token
        return answer

    def _head(self) -> dict[str, Any]:
        name = self.change_set.split("/")[1]
        return {
            "ChangeSetName": name,
            "ChangeSetId": self.change_set,
            "StackId": STACK_ID,
            "StackName": self.stack_name,
            "Parameters": [
                {"ParameterKey": "ApiToken", "ParameterValue": CANARY_AFTER},
            ],
        }


class Scripted:
    """A real CloudFormation client whose answers come from a ``Stubber``."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "cloudformation",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.stubber = Stubber(self.client)

    def respond(self, operation: str, answer: dict[str, Any], expected: dict[str, Any]) -> None:
        shape = self.client.meta.service_model.operation_model(
            _operation_name(operation)
        ).output_shape
        assert_enums(shape, answer, operation)
        self.stubber.add_response(operation, answer, expected)

    def factory(self, service: str) -> Any:
        assert service == "cloudformation"
        return self.client


def _operation_name(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def assert_enums(shape: Shape, value: Any, where: str) -> None:
    """Every string whose shape has an enum in botocore's model holds one of its values.

    The Stubber already checks member names, types and nesting against the model; botocore
    does not check enums, so this does.
    """
    kind = shape.type_name
    if kind == "structure":
        for key, member in value.items():
            assert key in shape.members, f"{where}: {key} is not in {shape.name}"
            assert_enums(shape.members[key], member, f"{where}.{key}")
    elif kind == "list":
        for index, item in enumerate(value):
            assert_enums(shape.member, item, f"{where}[{index}]")
    elif kind == "string" and shape.enum:
        assert value in shape.enum, f"{where}: {value!r} is not one of {shape.enum}"


def scripted_run(
    scripts: Sequence[Script],
    *,
    body: str = "Resources: {}\n",
    parameters: dict[str, str] | None = None,
    previous: Sequence[str] = (),
    expected_parameters: list[dict[str, Any]] | None = None,
) -> tuple[ChangeSetFacts, str]:
    """Run ``change_set_facts`` on answers from ``scripts`` (root first, then nested ones in
    the order they are read); every scripted call must be made, the last one the deletion."""
    cloudformation = Scripted()
    root = scripts[0]
    cloudformation.respond(
        "create_change_set",
        {"Id": root.change_set, "StackId": STACK_ID},
        {
            "StackName": root.stack_name,
            "ChangeSetName": ANY,
            "ChangeSetType": "UPDATE",
            "IncludeNestedStacks": True,
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            "Parameters": expected_parameters or [],
            "Description": ANY,
            "TemplateBody": body,
        },
    )
    for script in scripts:
        cloudformation.respond(
            "describe_change_set", script.status_answer(), {"ChangeSetName": script.change_set}
        )
        if script.status != "CREATE_COMPLETE":
            break
        for index, page in enumerate(script.pages):
            expected: dict[str, Any] = {
                "ChangeSetName": script.change_set, "IncludePropertyValues": True
            }
            if index:
                token = script.pages[index - 1].token
                assert token is not None
                expected["NextToken"] = token
            cloudformation.respond("describe_change_set", script.page_answer(page), expected)
    cloudformation.respond("delete_change_set", {}, {"ChangeSetName": root.change_set})
    progress = io.StringIO()
    with cloudformation.stubber:
        try:
            facts = change_set_facts(
                root.stack_name,
                body,
                parameters=parameters or {},
                previous_parameters=previous,
                client_factory=cloudformation.factory,
                progress=progress,
            )
        finally:
            cloudformation.stubber.assert_no_pending_responses()
    for text in (repr(facts), progress.getvalue()):
        assert CANARY_BEFORE not in text and CANARY_AFTER not in text
    return facts, progress.getvalue()


def compare(tmp_path: Path, old: str, new: str, name: str) -> StackContext:
    """The two sides as the CLI loads them, diffed by the template diff."""
    (tmp_path / "old.yaml").write_text(old, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(new, encoding="utf-8")
    [before] = load_side(tmp_path / "old.yaml", name)
    [after] = load_side(tmp_path / "new.yaml", name)
    return StackContext.build(
        before, after,
        old_graph=AppGraph([before]).graph(name),
        new_graph=AppGraph([after]).graph(name),
    )


def check(context: StackContext) -> list[Finding]:
    return [
        finding for rule in RULES if issubclass(rule, ChangeRule)
        for finding in rule().check(context)
    ]


def render(context: StackContext, findings: list[Finding]) -> dict[str, str]:
    stack = StackSummary(context.new.name, str(context.new.path), "change set", "compared", 1)
    report = Report(tuple(findings), (stack,), "change set", FailOn.ERROR)
    return {name: reporter(report) for name, reporter in REPORTERS.items()}


LAYERED_OLD = """Resources:
  DepsLayer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      CompatibleArchitectures: [x86_64]
      Content: {S3Bucket: artifacts, S3Key: layers/deps-x86_64.zip}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/fn
      Architectures: [x86_64]
      Code: {S3Bucket: artifacts, S3Key: fn/1111.zip}
      Layers: [!Ref DepsLayer]
      Environment: {Variables: {API_TOKEN: '{{resolve:secretsmanager:token:SecretString}}'}}
  Queue:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Ref Fn
"""
LAYERED_NEW = (
    LAYERED_OLD.replace("[x86_64]", "[arm64]")
    .replace("deps-x86_64", "deps-arm64")
    .replace("fn/1111.zip", "fn/2222.zip")
    .replace("token:SecretString", "token-v2:SecretString")
)


def test_code_and_a_layer_replaced_by_reference_is_a_race(tmp_path: Path) -> None:
    root = Script(ROOT, "orders", [Page([
        resource("DepsLayer", "AWS::Lambda::LayerVersion", replacement="True", details=[
            detail("Content", "DirectModification", recreation="Always"),
            detail("CompatibleArchitectures", "DirectModification", recreation="Always"),
        ]),
        resource("Fn", FN, details=[
            detail("Code", "DirectModification", path="/Properties/Code/S3Key"),
            detail("Architectures", "DirectModification"),
            detail("Environment", "DirectModification",
                   path="/Properties/Environment/Variables/API_TOKEN"),
            detail("Layers", "ResourceReference", entity="DepsLayer"),
            detail("Layers", "DirectModification", path="/Properties/Layers/0",
                   evaluation="Dynamic"),
            detail(None, "DirectModification", attribute="Metadata"),
        ]),
    ])])
    facts, _ = scripted_run([root])

    stack = facts.stack("orders")
    assert stack is not None
    layer = stack.get("DepsLayer")
    assert layer is not None
    assert (layer.action, layer.replacement) == ("Modify", "True")
    function = stack.get("Fn")
    assert function is not None
    assert function.properties[3] == PropertyFact(
        name="Layers",
        attribute="Properties",
        change_source="ResourceReference",
        causing_entity="DepsLayer",
        requires_recreation="Never",
        evaluation="Static",
        change_type="Modify",
        path="/Properties/Layers",
    )
    assert recreated_resources("orders", facts) == {"DepsLayer"}

    context = compare(tmp_path, LAYERED_OLD, LAYERED_NEW, "orders")
    changes = function_changes_from_change_set("orders", facts, context.changes)
    assert changes["Fn"] == FunctionChange("orders", "Fn", Status.UPDATED, (
        PropertyChange("Architectures", Side.CODE, "modified", "x86_64 → arm64"),
        PropertyChange("Code", Side.CODE, "modified", "(S3Key)"),
        PropertyChange("Environment", Side.CONFIG, "modified", "(changed API_TOKEN)"),
        PropertyChange("Layers", Side.CONFIG, "by reference", None, "DepsLayer"),
    ))
    # Layers is listed once: the reference explains it; the dynamic direct modification that
    # comes along with it names no cause.

    findings = check(replace(context, changes=changes))
    assert [(f.rule, f.resource, f.severity.value) for f in findings] == [
        ("LG001", "Fn", "error")
    ]
    for text in render(context, findings).values():
        assert "LG001" in text and "Layers" in text
        assert CANARY_BEFORE not in text and CANARY_AFTER not in text


def test_a_layer_that_changes_only_by_reference(tmp_path: Path) -> None:
    old = "\n".join(line for line in LAYERED_OLD.splitlines() if "API_TOKEN" not in line)
    new = old.replace("deps-x86_64", "deps-arm64").replace("fn/1111.zip", "fn/2222.zip")
    root = Script(ROOT, "orders", [Page([
        resource("DepsLayer", "AWS::Lambda::LayerVersion", replacement="True", details=[
            detail("Content", "DirectModification", recreation="Always"),
        ]),
        resource("Fn", FN, details=[
            detail("Code", "DirectModification", path="/Properties/Code/S3Key"),
            detail("Layers", "ResourceReference", entity="DepsLayer"),
        ]),
    ])])
    facts, _ = scripted_run([root])
    context = compare(tmp_path, old, new, "orders")
    changes = function_changes_from_change_set("orders", facts, context.changes)
    assert changes["Fn"].changes == (
        PropertyChange("Code", Side.CODE, "modified", "(S3Key)"),
        PropertyChange("Layers", Side.CONFIG, "by reference", None, "DepsLayer"),
    )
    findings = check(replace(context, changes=changes))
    assert [(f.rule, f.severity.value) for f in findings] == [("LG001", "error")]
    text = render(context, findings)["text"]
    assert "Layers (through replaced DepsLayer)" in text
    assert CANARY_BEFORE not in text and CANARY_AFTER not in text


PARAMETER_TEMPLATE = """Parameters:
  CodeKey: {Type: String}
  DepsLayerArn: {Type: String, NoEcho: true}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/fn
      Code: {S3Bucket: artifacts, S3Key: !Ref CodeKey}
      Layers: [!Ref DepsLayerArn]
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets: [{Id: fn, Arn: !GetAtt Fn.Arn}]
"""


def test_parameter_only_change_that_the_template_diff_cannot_see(tmp_path: Path) -> None:
    root = Script(ROOT, "pipeline", [Page([
        resource("Fn", FN, details=[
            detail("Code", "ParameterReference", entity="CodeKey",
                   path="/Properties/Code/S3Key"),
            detail("Layers", "ParameterReference", entity="DepsLayerArn"),
            detail("Layers", "DirectModification", evaluation="Dynamic"),
        ]),
    ])])
    facts, _ = scripted_run(
        [root],
        body=PARAMETER_TEMPLATE,
        parameters={"CodeKey": "fn/2222.zip"},
        previous=["DepsLayerArn"],
        expected_parameters=[
            {"ParameterKey": "CodeKey", "ParameterValue": "fn/2222.zip"},
            {"ParameterKey": "DepsLayerArn", "UsePreviousValue": True},
        ],
    )
    context = compare(tmp_path, PARAMETER_TEMPLATE, PARAMETER_TEMPLATE, "pipeline")
    assert context.changes["Fn"].status is Status.UNCHANGED
    assert check(context) == []

    changes = function_changes_from_change_set("pipeline", facts, context.changes)
    assert changes["Fn"] == FunctionChange("pipeline", "Fn", Status.UPDATED, (
        PropertyChange("Code", Side.CODE, "by parameter", None, "CodeKey"),
        PropertyChange("Layers", Side.CONFIG, "by parameter", None, "DepsLayerArn"),
    ))
    findings = check(replace(context, changes=changes))
    assert [(f.rule, f.severity.value) for f in findings] == [("LG001", "error")]
    text = render(context, findings)["text"]
    assert "Layers (through parameter DepsLayerArn)" in text
    assert CANARY_AFTER not in text


def test_replacement_true_is_a_replaced_function() -> None:
    root = Script(ROOT, "orders", [Page([
        resource("Fn", FN, replacement="True", details=[
            detail("FunctionName", "DirectModification", recreation="Always"),
            detail("Code", "DirectModification"),
            detail("Runtime", "DirectModification"),
        ]),
    ])])
    facts, _ = scripted_run([root])
    template = {"Fn": FunctionChange("orders", "Fn", Status.REPLACED)}
    changes = function_changes_from_change_set("orders", facts, template)
    assert changes == {"Fn": FunctionChange("orders", "Fn", Status.REPLACED)}
    assert recreated_resources("orders", facts) == {"Fn"}


def test_all_pages_are_read() -> None:
    root = Script(ROOT, "orders", [
        Page([resource("Old", FN, details=[detail("Code", "DirectModification")]),
              resource("Gone", FN, "Remove", replacement=None)], token="page-2"),
        Page([resource("Fresh", FN, "Add", replacement=None),
              resource("Queue", "AWS::SQS::Queue", "Add", replacement=None)]),
    ])
    facts, progress = scripted_run([root])
    stack = facts.stack("orders")
    assert stack is not None
    assert [(r.logical_id, r.action) for r in stack.resources] == [
        ("Old", "Modify"), ("Gone", "Remove"), ("Fresh", "Add"), ("Queue", "Add")
    ]
    assert "4 resource change(s) in 1 stack(s)" in progress
    code = PropertyChange("Code", Side.CODE, "modified", "(S3Key)")
    template = {"Old": FunctionChange("orders", "Old", Status.UPDATED, (code,)),
                "Calm": FunctionChange("orders", "Calm", Status.UPDATED, (code,))}
    changes = function_changes_from_change_set("orders", facts, template)
    assert {name: c.status for name, c in changes.items()} == {
        "Old": Status.UPDATED,
        "Calm": Status.UNCHANGED,  # the change set does not touch it
        "Fresh": Status.ADDED,
        "Gone": Status.REMOVED,
    }
    assert changes["Old"].changes == (code,)


def test_nested_change_sets_give_nested_stacks() -> None:
    root = Script(ROOT, "app", [Page([
        resource("Orders", "AWS::CloudFormation::Stack", change_set=NESTED, details=[
            detail("TemplateURL", "Automatic"),
        ]),
    ])])
    nested = Script(NESTED, "app-Orders-1ABC2DEF", [Page([
        resource("Fn", FN, details=[
            detail("Code", "DirectModification"),
            detail("Runtime", "DirectModification"),
            detail("Tags", "DirectModification", attribute="Tags"),
        ]),
    ])])
    facts, progress = scripted_run([root, nested])
    assert [(s.key, s.stack_name, s.parent) for s in facts.stacks] == [
        ("app", "app", None),
        ("app.Orders", "app-Orders-1ABC2DEF", ("app", "Orders")),
    ]
    root_stack = facts.stack("app")
    assert root_stack is not None
    orders = root_stack.get("Orders")
    assert orders is not None
    assert orders.nested_change_set == NESTED
    assert "2 resource change(s) in 2 stack(s)" in progress

    changes = function_changes_from_change_set("app.Orders", facts, {})
    assert changes == {"Fn": FunctionChange("app.Orders", "Fn", Status.UPDATED, (
        PropertyChange("Code", Side.CODE, "modified"),
        PropertyChange("Runtime", Side.CONFIG, "modified"),
        PropertyChange("Tags", Side.TAGS, "modified"),
    ))}
    assert function_changes_from_change_set("app", facts, {}) == {}


def test_a_failed_change_set_names_the_reason_and_is_deleted() -> None:
    reason = (
        "Template format error: Unresolved resource dependencies [Nope] in the Resources "
        "block of the template"
    )
    root = Script(ROOT, "orders", [], status="FAILED", reason=reason)
    with pytest.raises(InputError) as caught:
        scripted_run([root])
    assert str(caught.value) == (
        f"stack orders: CloudFormation could not create the change set: {reason}"
    )


def test_a_change_set_without_changes_from_cloudformation() -> None:
    reason = (
        "The submitted information didn't contain changes. Submit different information to "
        "create a change set."
    )
    facts, _ = scripted_run([Script(ROOT, "orders", [], status="FAILED", reason=reason)])
    assert facts.no_changes
    assert facts.no_changes_reason == reason


def test_waits_while_the_change_set_is_being_created() -> None:
    pending = Script(ROOT, "orders", [], status="CREATE_IN_PROGRESS")
    ready = Script(ROOT, "orders", [Page([resource("Fn", FN, details=[
        detail("Code", "DirectModification"),
    ])])])
    cloudformation = Scripted()
    cloudformation.respond("create_change_set", {"Id": ROOT, "StackId": STACK_ID}, {
        "StackName": "orders", "ChangeSetName": ANY, "ChangeSetType": "UPDATE",
        "IncludeNestedStacks": True, "Capabilities": ANY, "Parameters": [],
        "Description": ANY, "TemplateBody": ANY,
    })
    cloudformation.respond("describe_change_set", pending.status_answer(), {"ChangeSetName": ROOT})
    cloudformation.respond("describe_change_set", ready.status_answer(), {"ChangeSetName": ROOT})
    cloudformation.respond("describe_change_set", ready.page_answer(ready.pages[0]),
                           {"ChangeSetName": ROOT, "IncludePropertyValues": True})
    cloudformation.respond("delete_change_set", {}, {"ChangeSetName": ROOT})
    progress = io.StringIO()
    with cloudformation.stubber:
        facts = change_set_facts("orders", "Resources: {}\n", parameters={},
                                 client_factory=cloudformation.factory, progress=progress)
    cloudformation.stubber.assert_no_pending_responses()
    assert "waiting for the change set (CREATE_IN_PROGRESS)" in progress.getvalue()
    stack = facts.stack("orders")
    assert stack is not None and stack.get("Fn") is not None


# --- the pure conversion: what counts as a change ---------------------------------------------


def facts_of(*resources: ResourceChangeFacts) -> ChangeSetFacts:
    return ChangeSetFacts("orders", "latest-guard-0", (
        StackChangeFacts("orders", "orders", None, resources),
    ))


def fact(
    name: str, source: str, entity: str | None = None, *, dynamic: bool = False
) -> PropertyFact:
    evaluation = "Dynamic" if dynamic else "Static"
    return PropertyFact(name, "Properties", source, entity, "Never", evaluation)


def test_a_role_updated_in_place_keeps_its_arn() -> None:
    role_policy_only = facts_of(
        ResourceChangeFacts("Role", "AWS::IAM::Role", "Modify", "False",
                            (fact("Policies", "DirectModification"),)),
        ResourceChangeFacts("Fn", FN, "Modify", "Conditional", (
            fact("Code", "DirectModification"),
            fact("Role", "ResourceAttribute", "Role.Arn", dynamic=True),
        )),
    )
    changes = function_changes_from_change_set("orders", role_policy_only, {})
    assert changes["Fn"].changes == (PropertyChange("Code", Side.CODE, "modified"),)

    role_replaced = facts_of(
        ResourceChangeFacts("Role", "AWS::IAM::Role", "Modify", "True",
                            (fact("RoleName", "DirectModification"),)),
        ResourceChangeFacts("Fn", FN, "Modify", "Conditional", (
            fact("Code", "DirectModification"),
            fact("Role", "ResourceAttribute", "Role.Arn", dynamic=True),
        )),
    )
    changes = function_changes_from_change_set("orders", role_replaced, {})
    assert changes["Fn"].changes == (
        PropertyChange("Code", Side.CODE, "modified"),
        PropertyChange("Role", Side.CONFIG, "by reference", None, "Role"),
    )


def test_a_custom_resource_attribute_can_change_on_update() -> None:
    facts = facts_of(
        ResourceChangeFacts("Lookup", "Custom::Lookup", "Modify", "False",
                            (fact("Version", "DirectModification"),)),
        ResourceChangeFacts("Fn", FN, "Modify", "False", (
            fact("Environment", "ResourceAttribute", "Lookup.TableName", dynamic=True),
        )),
    )
    changes = function_changes_from_change_set("orders", facts, {})
    assert changes["Fn"].changes == (
        PropertyChange("Environment", Side.CONFIG, "by reference", None, "Lookup"),
    )


SERVERLESS_OLD = """Resources:
  OrdersLambdaFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/fn
      MemorySize: 256
      Code: {S3Bucket: deploys, S3Key: serverless/orders/dev/1700000000000-2023/orders.zip}
  OrdersLambdaVersionAbc:
    Type: AWS::Lambda::Version
    DeletionPolicy: Retain
    Properties:
      FunctionName: !Ref OrdersLambdaFunction
      CodeSha256: 3q2+7w==
  Queue:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !GetAtt OrdersLambdaFunction.Arn
"""
SERVERLESS_NEW = SERVERLESS_OLD.replace("MemorySize: 256", "MemorySize: 512").replace(
    "1700000000000-2023", "1700000999999-2023"
)


def test_a_new_upload_of_the_same_code_is_not_a_code_change(tmp_path: Path) -> None:
    facts = facts_of(ResourceChangeFacts("OrdersLambdaFunction", FN, "Modify", "False", (
        fact("Code", "DirectModification"),
        fact("MemorySize", "DirectModification"),
    )))
    context = compare(tmp_path, SERVERLESS_OLD, SERVERLESS_NEW, "orders")
    changes = function_changes_from_change_set("orders", facts, context.changes)
    assert changes["OrdersLambdaFunction"].changes == (
        PropertyChange("MemorySize", Side.CONFIG, "modified", "256 → 512"),
    )
    assert check(replace(context, changes=changes)) == []
    # Taken as it is (no template diff), the change set's Code edit counts.
    raw = function_changes_from_change_set("orders", facts, {})
    assert raw["OrdersLambdaFunction"].names == ["Code", "MemorySize"]


def test_functions_in_a_stack_the_change_set_does_not_know_are_unchanged() -> None:
    template = {"Fn": FunctionChange("orders", "Fn", Status.UPDATED, (
        PropertyChange("Code", Side.CODE, "modified"),
    ))}
    changes = function_changes_from_change_set("elsewhere", facts_of(), template)
    assert changes == {"Fn": FunctionChange("orders", "Fn", Status.UNCHANGED)}
