"""Ask CloudFormation itself what a template changes: create a change set, read it, delete it.

A change set is CloudFormation's own answer to "what would this update do": which resources are
added, modified, replaced or removed, and for each modified one, which properties change and
why (the template edits the property, a parameter it reads changes, a resource it refers to is
replaced). It sees what a template diff cannot: parameter values of the deployed stack, SSM
parameters, nested stacks as deployed, macros and transforms as CloudFormation runs them.

The change set is never executed. It is created with a unique name (``latest-guard-<hex>``),
read across all its pages and nested change sets, and always deleted afterwards, together with
the template uploaded for it: on success, on errors, on Ctrl-C and on SIGTERM (the signal a CI
runner sends when a job is cancelled).

Only names are kept: property names, change sources, causing entities (logical ids and
parameter names), paths of changed keys. ``BeforeValue``/``AfterValue`` and the before/after
contexts may hold secrets and are never read.

boto3 is imported only when a change set is actually created (ARCHITECTURE.md lists where else).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import FrameType
from typing import Any, TextIO
from urllib.parse import quote

from reviewer.errors import InputError
from reviewer.model.change_set import (
    ChangeSetFacts,
    PropertyFact,
    ResourceChangeFacts,
    StackChangeFacts,
)
from reviewer.sources.sides import SidePair

#: The largest template CloudFormation accepts inline (``TemplateBody``), in bytes.
MAX_TEMPLATE_BODY = 51_200
#: The largest template CloudFormation reads from S3 (``TemplateURL``), in bytes.
MAX_TEMPLATE_URL = 1_000_000
#: IAM resources, named IAM resources and macros (SAM, nested applications) are all allowed:
#: the change set is only read, never executed.
DEFAULT_CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")
#: CloudFormation's reason for a change set with nothing in it (it then has status FAILED).
NO_CHANGES = "didn't contain changes"
NESTED_STACK = "AWS::CloudFormation::Stack"

# boto3 ships no type information: clients are ``Any`` at this boundary.
Client = Any
#: Makes a boto3 client for a service name ("cloudformation", "s3").
ClientFactory = Callable[[str], Client]


def change_set_facts(
    stack_name: str,
    template_body: str,
    *,
    parameters: Mapping[str, str],
    previous_parameters: Sequence[str] = (),
    capabilities: Sequence[str] = DEFAULT_CAPABILITIES,
    template_bucket: str | None = None,
    client_factory: ClientFactory | None = None,
    progress: TextIO,
    timeout: float = 600.0,
) -> ChangeSetFacts:
    """Create an UPDATE change set of ``stack_name`` from ``template_body``, read it, delete it.

    ``parameters`` are explicit values; ``previous_parameters`` names parameters that keep the
    value the deployed stack has (``UsePreviousValue``: right for ``NoEcho`` parameters, whose
    deployed value CloudFormation only shows as ``****``). A template larger than 51,200 bytes
    is uploaded to ``template_bucket`` first (same region as the stack) and read from there.
    ``client_factory`` makes boto3 clients (default: ``make_client_factory()``, the standard
    credential chain and region). Progress lines go to ``progress``. Raises InputError naming
    the stack for anything CloudFormation or S3 refuses.
    """
    factory = client_factory or make_client_factory()
    size = len(template_body.encode("utf-8"))
    where = f"stack {stack_name}"
    if size > MAX_TEMPLATE_BODY and template_bucket is None:
        raise InputError(
            where,
            f"the template is {size:,} bytes and CloudFormation takes at most "
            f"{MAX_TEMPLATE_BODY:,} bytes inline: pass --template-bucket BUCKET to upload it",
        )
    if size > MAX_TEMPLATE_URL:
        raise InputError(
            where, f"the template is {size:,} bytes; CloudFormation reads at most 1 MB from S3"
        )
    name = f"latest-guard-{secrets.token_hex(6)}"
    with _aws_errors(where), _TerminationAsExit() as signals:
        cloudformation = factory("cloudformation")
        request: dict[str, Any] = {
            "StackName": stack_name,
            "ChangeSetName": name,
            "ChangeSetType": "UPDATE",
            "IncludeNestedStacks": True,
            "Capabilities": list(capabilities),
            "Parameters": _parameters(parameters, previous_parameters),
            "Description": "latest-guard: read-only preview, deleted after reading",
        }
        upload: tuple[Client, str] | None = None
        created: str | None = None  # the change set's id, once CloudFormation returned it
        attempted = False
        try:
            if size > MAX_TEMPLATE_BODY:
                assert template_bucket is not None
                s3 = factory("s3")
                key = f"latest-guard/{name}.template"
                progress.write(
                    f"latest-guard: uploading the template ({size:,} bytes) "
                    f"to s3://{template_bucket}/{key}\n"
                )
                upload = (s3, key)
                s3.put_object(Bucket=template_bucket, Key=key, Body=template_body.encode())
                request["TemplateURL"] = _template_url(s3, template_bucket, key)
            else:
                request["TemplateBody"] = template_body
            progress.write(f"latest-guard: creating change set {name} of stack {stack_name}\n")
            progress.flush()
            attempted = True
            try:
                created = str(cloudformation.create_change_set(**request)["Id"])
            except Exception as exc:
                if _error_code(exc) is not None:  # CloudFormation answered: nothing was made
                    attempted = False
                raise
            reason = _wait(cloudformation, created, where, timeout, progress)
            if reason is not None:
                progress.write(f"latest-guard: no changes to stack {stack_name}\n")
                stacks: tuple[StackChangeFacts, ...] = (
                    StackChangeFacts(stack_name, stack_name, None, ()),
                )
                return ChangeSetFacts(stack_name, name, stacks, reason)
            stacks = tuple(
                _read_all(
                    cloudformation, root=created, stack_name=stack_name, where=where,
                    timeout=timeout, progress=progress,
                )
            )
            count = sum(len(s.resources) for s in stacks)
            progress.write(
                f"latest-guard: change set {name}: {count} resource change(s) "
                f"in {len(stacks)} stack(s)\n"
            )
            return ChangeSetFacts(stack_name, name, stacks)
        finally:
            with signals.deferred():
                if created is None and attempted:
                    _delete_unconfirmed(cloudformation, name, stack_name)
                _clean_up(
                    cloudformation, change_set=created, name=name, upload=upload,
                    bucket=template_bucket, progress=progress,
                )


def make_client_factory(
    *, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None
) -> ClientFactory:
    """boto3 clients of one session, with standard retries.

    ``region`` falls back to ``AWS_DEFAULT_REGION`` (botocore) and then ``AWS_REGION`` (other
    SDKs, many CI setups); ``profile`` to the default credential chain; ``endpoint_url`` points
    every client elsewhere (a test server). The session is made at the first call, so that a
    bad profile surfaces as the InputError of ``change_set_facts``.
    """
    sessions: list[Any] = []

    def factory(service: str) -> Client:
        boto3 = _untyped("boto3")
        if not sessions:
            session = boto3.session.Session(profile_name=profile, region_name=region)
            if session.region_name is None and os.environ.get("AWS_REGION"):
                session = boto3.session.Session(
                    profile_name=profile, region_name=os.environ["AWS_REGION"]
                )
            sessions.append(session)
        config = _untyped("botocore.config").Config(
            retries={"mode": "standard", "max_attempts": 8}, user_agent_extra="latest-guard"
        )
        return sessions[0].client(service, config=config, endpoint_url=endpoint_url)

    return factory


@dataclass(frozen=True)
class ChangeSetPair:
    """The update of one deployed stack as CloudFormation's change set sees it: a source of
    a pair of sides (``sources.sides.ChangeSource``).

    ``sides`` are the templates about to be deployed and the deployed stacks, each with the
    parameter values it deploys with; ``parameters`` are the new side's explicit values (the
    deployed value is kept, ``UsePreviousValue``, for every other parameter both have).
    ``load_pair`` creates the change set of ``stack_name`` from the new side's template, reads
    it and deletes it (:func:`change_set_facts`), and gives the pair with what it says; a
    stack that is not deployed gives the pair as it is (nothing to update), said on
    ``progress``.
    """

    sides: SidePair
    stack_name: str
    parameters: Mapping[str, str]
    template_bucket: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    def load_pair(self, progress: TextIO) -> SidePair:
        from reviewer.sources.text.files import read_text

        name = self.stack_name
        old = self.sides.old.stacks if self.sides.old is not None else ()
        target = next((s for s in self.sides.new.stacks if s.name == name and s.parent is None),
                      None)
        deployed = next((s for s in old if s.name == name and s.parent is None), None)
        if target is None or deployed is None:
            progress.write(f"latest-guard: no change set: stack {name} is not deployed\n")
            return self.sides
        keep = [p for p in target.parameters if p not in self.parameters
                and p in deployed.parameters]
        facts = change_set_facts(
            name,
            read_text(target.path),
            parameters=self.parameters,
            previous_parameters=keep,
            template_bucket=self.template_bucket,
            client_factory=make_client_factory(
                region=self.region, profile=self.profile, endpoint_url=self.endpoint_url
            ),
            progress=progress,
        )
        return replace(self.sides, change_set=facts)


def _untyped(module: str) -> Any:
    """Import a module that ships no type information (boto3, botocore) as ``Any``."""
    from importlib import import_module

    return import_module(module)


def _parameters(values: Mapping[str, str], previous: Sequence[str]) -> list[dict[str, Any]]:
    given = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in sorted(values.items())]
    kept = [{"ParameterKey": k, "UsePreviousValue": True} for k in previous if k not in values]
    return given + kept


def _template_url(s3: Client, bucket: str, key: str) -> str:
    """The S3 URL CloudFormation reads the uploaded template from (path style, as the CLI)."""
    region = s3.meta.region_name or "us-east-1"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://s3.{region}.{suffix}/{bucket}/{quote(key)}"


def _wait(
    cloudformation: Client, change_set: str, where: str, timeout: float, progress: TextIO
) -> str | None:
    """Wait for CREATE_COMPLETE; return CloudFormation's reason when there are no changes."""
    deadline = time.monotonic() + timeout
    delay = 1.0
    while True:
        answer = cloudformation.describe_change_set(ChangeSetName=change_set)
        status = answer.get("Status")
        if status == "CREATE_COMPLETE":
            return None
        if status == "FAILED":
            reason = str(answer.get("StatusReason") or "no reason given")
            if NO_CHANGES in reason or "No updates are to be performed" in reason:
                return reason
            raise InputError(where, f"CloudFormation could not create the change set: {reason}")
        if status not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
            raise InputError(where, f"the change set is {status}, not being created")
        if time.monotonic() + delay > deadline:
            raise InputError(where, f"the change set was not ready within {timeout:g} s")
        progress.write(f"latest-guard: waiting for the change set ({status})\n")
        progress.flush()
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def _read_all(
    cloudformation: Client,
    *,
    root: str,
    stack_name: str,
    where: str,
    timeout: float,
    progress: TextIO,
) -> Iterator[StackChangeFacts]:
    """The root change set, then every nested change set, depth first."""
    pending: list[tuple[str, str, tuple[str, str] | None]] = [(root, stack_name, None)]
    seen: set[str] = set()
    while pending:
        change_set, key, parent = pending.pop()
        if change_set in seen:
            continue
        seen.add(change_set)
        if parent is not None:
            _wait(cloudformation, change_set, where, timeout, progress)
        name, resources = _read_pages(cloudformation, change_set)
        yield StackChangeFacts(key, name, parent, tuple(resources))
        nested = [r for r in resources if r.nested_change_set is not None]
        for resource in reversed(nested):
            assert resource.nested_change_set is not None
            child = (key, resource.logical_id)
            pending.append((resource.nested_change_set, f"{key}.{resource.logical_id}", child))


def _read_pages(
    cloudformation: Client, change_set: str
) -> tuple[str | None, list[ResourceChangeFacts]]:
    """Every resource change of one change set, across all its pages."""
    resources: list[ResourceChangeFacts] = []
    stack_name: str | None = None
    token: str | None = None
    while True:
        extra = {"NextToken": token} if token else {}
        page = cloudformation.describe_change_set(
            ChangeSetName=change_set, IncludePropertyValues=True, **extra
        )
        stack_name = stack_name or _text(page.get("StackName"))
        for change in page.get("Changes") or []:
            resource = _resource_change(change.get("ResourceChange"))
            if change.get("Type", "Resource") == "Resource" and resource is not None:
                resources.append(resource)
        token = _text(page.get("NextToken"))
        if token is None:
            return stack_name, resources


def _resource_change(raw: Any) -> ResourceChangeFacts | None:
    """The names in a ``ResourceChange``; its values and contexts are never looked at."""
    if not isinstance(raw, Mapping):
        return None
    logical_id = _text(raw.get("LogicalResourceId"))
    if logical_id is None:
        return None
    details = raw.get("Details") or []
    facts = tuple(f for f in (_property_fact(d) for d in details) if f is not None)
    resource_type = _text(raw.get("ResourceType")) or ""
    nested = _text(raw.get("ChangeSetId")) if resource_type == NESTED_STACK else None
    return ResourceChangeFacts(
        logical_id=logical_id,
        resource_type=resource_type,
        action=_text(raw.get("Action")) or "",
        replacement=_text(raw.get("Replacement")),
        properties=facts,
        nested_change_set=nested,
    )


def _property_fact(raw: Any) -> PropertyFact | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("Target"), Mapping):
        return None
    target: Mapping[str, Any] = raw["Target"]
    attribute = _text(target.get("Attribute"))
    if attribute is None:
        return None
    return PropertyFact(
        name=_text(target.get("Name")),
        attribute=attribute,
        change_source=_text(raw.get("ChangeSource")),
        causing_entity=_text(raw.get("CausingEntity")),
        requires_recreation=_text(target.get("RequiresRecreation")),
        evaluation=_text(raw.get("Evaluation")),
        change_type=_text(target.get("AttributeChangeType")),
        path=_text(target.get("Path")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _clean_up(
    cloudformation: Client,
    *,
    change_set: str | None,
    name: str,
    upload: tuple[Client, str] | None,
    bucket: str | None,
    progress: TextIO,
) -> None:
    """Delete the change set and the uploaded template; say so when that fails.

    A change set still being created cannot be deleted yet: wait for it (bounded) and retry.
    Failures here are reported, not raised, so that they never hide the error that got here.
    """
    if change_set is not None:
        for attempt in range(30):
            try:
                cloudformation.delete_change_set(ChangeSetName=change_set)
                progress.write(f"latest-guard: deleted change set {name}\n")
                break
            except Exception as exc:
                if _error_code(exc) == "InvalidChangeSetStatus" and attempt < 29:
                    time.sleep(2.0)
                    continue
                progress.write(
                    f"latest-guard: warning: could not delete change set {name} ({exc}); "
                    f"delete it with: aws cloudformation delete-change-set "
                    f"--change-set-name {change_set}\n"
                )
                break
    if upload is not None:
        s3, key = upload
        try:
            s3.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            # NoSuchBucket: the upload itself failed, and that error is on its way already.
            if _error_code(exc) not in ("NoSuchBucket", "NoSuchKey"):
                progress.write(
                    f"latest-guard: warning: could not delete s3://{bucket}/{key} ({exc})\n"
                )
    progress.flush()


def _delete_unconfirmed(cloudformation: Client, name: str, stack_name: str) -> None:
    """The creation was interrupted before its answer came: delete the change set if it exists."""
    with contextlib.suppress(Exception):
        cloudformation.delete_change_set(ChangeSetName=name, StackName=stack_name)


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error")
        if isinstance(error, Mapping):
            return _text(error.get("Code"))
    return None


@contextlib.contextmanager
def _aws_errors(where: str) -> Iterator[None]:
    """botocore's errors (refused calls, missing credentials, no network) as InputError."""
    try:
        errors = _untyped("botocore.exceptions")
    except ModuleNotFoundError:
        raise InputError(
            where, "comparing through a change set needs boto3: pip install boto3"
        ) from None
    try:
        yield
    except errors.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Error")
        message = error.get("Message") or str(exc)
        raise InputError(where, f"{exc.operation_name} failed: {code}: {message}") from None
    except errors.BotoCoreError as exc:
        raise InputError(where, f"cannot call AWS: {exc}") from None


class _TerminationAsExit:
    """While a change set exists, SIGTERM ends the run through ``finally`` blocks.

    Python's default for SIGTERM kills the process at once, which would leave the change set
    behind. Inside this context SIGTERM raises ``SystemExit(143)`` instead. During
    ``deferred()`` (the clean-up) SIGTERM and Ctrl-C are held back and re-raised afterwards,
    so that a second signal does not interrupt the deletion. Signal handlers can only be
    installed from the main thread; elsewhere this does nothing.
    """

    def __init__(self) -> None:
        self._active = threading.current_thread() is threading.main_thread()
        self._holding = False
        self._pending: int | None = None
        self._previous: Any = None

    def __enter__(self) -> _TerminationAsExit:
        if self._active:
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        if self._active:
            signal.signal(signal.SIGTERM, self._previous)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._holding:
            self._pending = signum
            return
        raise SystemExit(128 + signum)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        if not self._active:
            yield
            return
        self._holding = True
        previous_int = signal.signal(signal.SIGINT, self._handle)
        try:
            yield
        finally:
            self._holding = False
            signal.signal(signal.SIGINT, previous_int)
        if self._pending == signal.SIGINT:
            raise KeyboardInterrupt
        if self._pending is not None:
            raise SystemExit(128 + self._pending)
