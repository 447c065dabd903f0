"""The deployed side: what CloudFormation holds for each named stack, as a baseline.

For every stack name (or stack ARN) ``fetch_deployed`` asks CloudFormation, read-only:

- ``DescribeStacks`` for the stack's status and parameter values;
- ``GetTemplate`` with ``TemplateStage=Processed``: after transforms, so a SAM stack is compared
  expanded with the expanded new template;
- ``ListStackResources`` (paginated) for stacks whose template nests others: each
  ``AWS::CloudFormation::Stack`` row's physical id (a stack ARN in CloudFormation; the child
  stack's name in moto) is fetched the same way, recursively. A nested stack is named
  ``<parent>.<LogicalId>``, as the file loaders name nested templates, so the two sides pair.

A stack that does not exist is a new stack (nothing to race): it is reported as missing, not as
an error. So is one whose creation failed and rolled back (``ROLLBACK_COMPLETE``): none of its
resources exist and CloudFormation cannot update it, so its next deployment creates it again.
A stack whose last update failed or rolled back is still compared with the template
CloudFormation reports, and says so in a note.

Parameter values are what ``DescribeStacks`` reports (``ResolvedValue`` for SSM parameter
types). A ``NoEcho`` value comes back masked as ``****`` and stays that mask: it names no value
(so nothing secret is kept), and
``reviewer.sources.cloudformation.parameters.apply_parameter_values`` gives a new side that
keeps the previous value the same mask, so the two compare equal. Parameter values are never
printed.

Stacks are fetched concurrently, each call retried by botocore in adaptive mode. boto3 is
imported only when ``fetch_deployed`` runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from reviewer.errors import InputError
from reviewer.model.template import LineLookup, PropertyPath, StackTemplate
from reviewer.sources.aws.stack_parameters import parameter_values
from reviewer.sources.text.files import (
    check_template_shape,
    json_line_lookup,
    parse_text,
    yaml_line_lookup,
)

MASKED = "****"
NESTED_STACK = "AWS::CloudFormation::Stack"
DEFAULT_CONCURRENCY = 8
DEFAULT_MAX_ATTEMPTS = 10
#: Deeper than CloudFormation lets anyone nest in practice; stops a cycle of physical ids.
MAX_DEPTH = 10

MISSING_NOTE = "does not exist: a new stack, nothing to race"
#: States in which nothing of the stack is deployed, or it cannot be updated and is created
#: anew: its functions are created, not updated, so there is no baseline to race with.
_NOT_DEPLOYED = {
    "REVIEW_IN_PROGRESS": (
        "created by a change set that was never executed: nothing is deployed yet, so it is "
        "treated as a new stack"
    ),
    "ROLLBACK_COMPLETE": (
        "its creation failed and was rolled back: none of its resources exist and "
        "CloudFormation cannot update it (it must be deleted and created again), so it is "
        "treated as a new stack"
    ),
    "ROLLBACK_FAILED": (
        "its creation failed and so did the rollback: CloudFormation cannot update it (it "
        "must be deleted and created again), so it is treated as a new stack"
    ),
    "DELETE_COMPLETE": "it was deleted: treated as a new stack",
}
_COMPARED_NOTES = {
    "UPDATE_ROLLBACK_COMPLETE": (
        "its last update failed and was rolled back; compared with the template it rolled "
        "back to"
    ),
    "UPDATE_ROLLBACK_FAILED": (
        "its last update failed and so did the rollback; CloudFormation refuses updates until "
        "the rollback is continued (continue-update-rollback); compared with its last template"
    ),
    "CREATE_FAILED": (
        "its creation failed with rollback disabled; compared with its last template, though "
        "some of its resources may not exist"
    ),
    "IMPORT_ROLLBACK_COMPLETE": (
        "its last resource import was rolled back; compared with the template it rolled back to"
    ),
}


@dataclass(frozen=True)
class StackState:
    """What CloudFormation says about one requested stack.

    ``status`` is CloudFormation's ``StackStatus``, None when there is no such stack.
    ``compared`` tells whether its template is part of the baseline; ``note`` explains a state
    that is not a plain ``*_COMPLETE`` (and a missing stack).
    """

    requested: str
    status: str | None
    compared: bool
    note: str | None = None
    #: The stack's name as CloudFormation has it (the requested name may be an ARN).
    name: str | None = None

    @property
    def missing(self) -> bool:
        return self.status is None


@dataclass(frozen=True)
class DeployedSide:
    """The templates of the deployed stacks, and the state of every requested stack.

    ``stacks`` holds one template per requested stack that is deployed, each followed by its
    nested stacks (``parent`` set); ``states`` is keyed by the names as requested.
    """

    region: str
    stacks: tuple[StackTemplate, ...]
    states: Mapping[str, StackState]

    @property
    def missing(self) -> tuple[str, ...]:
        """The requested stacks that do not exist (new stacks)."""
        return tuple(name for name, state in self.states.items() if state.missing)

    @property
    def label(self) -> str:
        """How a report names this baseline: ``deployed stack orders (us-east-1)``."""
        plural = "" if len(self.states) == 1 else "s"
        return f"deployed stack{plural} {', '.join(self.states)} ({self.region})"


@dataclass(frozen=True)
class _Job:
    ref: str  # what CloudFormation is asked for: a name, an ARN or moto's nested stack name
    name: str | None  # the template's name for a nested stack; a requested one keeps its own
    parent: tuple[str, str] | None
    depth: int


@dataclass(frozen=True)
class _Result:
    job: _Job
    state: StackState
    stack: StackTemplate | None = None
    children: tuple[_Job, ...] = field(default=())


def fetch_deployed(
    stack_names: Sequence[str],
    *,
    region: str | None,
    profile: str | None,
    progress: TextIO,
    endpoint_url: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> DeployedSide:
    """Fetch the named stacks (and the stacks they nest) from CloudFormation.

    ``region`` and ``profile`` default to the AWS configuration (environment, profile);
    ``endpoint_url`` points boto3 elsewhere (a test server). Progress lines go to ``progress``.
    At most ``concurrency`` calls run at once; each call is made at most ``max_attempts``
    times (the first attempt included), backing off adaptively when throttled.
    Raises ``InputError`` with one line for anything the user has to fix.
    """
    names = list(dict.fromkeys(stack_names))
    api = _Api.connect(region, profile, endpoint_url, max_attempts, concurrency)
    where = api.region if endpoint_url is None else f"{api.region} at {endpoint_url}"
    plural = "" if len(names) == 1 else "s"
    _say(progress, f"fetching {len(names)} deployed stack{plural} from {where} ...")
    results = _run(api, [_Job(name, None, None, 0) for name in names], concurrency, progress)
    stacks: list[StackTemplate] = []
    states: dict[str, StackState] = {}
    for name in names:
        result = results[_Job(name, None, None, 0)]
        states[name] = result.state
        stacks.extend(_with_children(result, results))
    return DeployedSide(api.region, tuple(stacks), states)


def _run(
    api: _Api, jobs: list[_Job], concurrency: int, progress: TextIO
) -> dict[_Job, _Result]:
    """Fetch every job and the nested stacks they find, ``concurrency`` calls at a time."""
    results: dict[_Job, _Result] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="cfn")
    pending: set[Future[_Result]] = {pool.submit(_fetch, api, job) for job in jobs}
    failed = True
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                results[result.job] = result
                _say(progress, _progress_line(result))
                pending |= {pool.submit(_fetch, api, child) for child in result.children}
        failed = False
    finally:
        pool.shutdown(wait=not failed, cancel_futures=True)
    return results


def _with_children(result: _Result, results: Mapping[_Job, _Result]) -> list[StackTemplate]:
    """A stack followed by its nested stacks, depth first, in the order of their logical ids."""
    if result.stack is None:
        return []
    out = [result.stack]
    for child in result.children:
        if child in results:
            out.extend(_with_children(results[child], results))
    return out


def _fetch(api: _Api, job: _Job) -> _Result:
    """One stack: its state, and its template and nested stacks when it is deployed."""
    described = api.describe(job.ref)
    if described is None:
        return _Result(job, StackState(job.ref, None, False, MISSING_NOTE))
    status = str(described.get("StackStatus", ""))
    real_name = str(described.get("StackName", job.ref))
    stack_id = str(described.get("StackId") or job.ref)
    if status in _NOT_DEPLOYED:
        return _Result(job, StackState(job.ref, status, False, _NOT_DEPLOYED[status], real_name))
    note = _state_note(status)
    body = api.template(stack_id)
    if body is None:  # deleted between the two calls
        return _Result(job, StackState(job.ref, None, False, MISSING_NOTE, real_name))
    path = Path(f"stack:{real_name}")
    document, lookup = _parse(path, body)
    name = job.name or real_name
    stack = StackTemplate(
        name=name,
        path=path,
        body=document,
        line_lookup=lookup,
        parameter_values=parameter_values(described),
        parent=job.parent,
    )
    children: list[_Job] = []
    notes = [note] if note else []
    if stack.of_type(NESTED_STACK) and job.depth < MAX_DEPTH:
        physical = api.nested_stacks(stack_id)
        for logical_id in sorted(stack.of_type(NESTED_STACK)):
            ref = physical.get(logical_id)
            if ref:
                child = _Job(ref, f"{name}.{logical_id}", (name, logical_id), job.depth + 1)
                children.append(child)
            else:
                notes.append(f"nested stack {logical_id} is not deployed: it is not compared")
    stack.notes = tuple(notes)
    state = StackState(job.ref, status, True, note, real_name)
    return _Result(job, state, stack, tuple(children))


def _state_note(status: str) -> str | None:
    if status in _COMPARED_NOTES:
        return _COMPARED_NOTES[status]
    if status.endswith("_FAILED"):
        return f"{status}: an operation on it failed; compared with its last template"
    if status.endswith("_IN_PROGRESS"):
        return (
            f"{status}: an operation is running now; compared with the template CloudFormation "
            "reports at this moment"
        )
    return None


def _parse(path: Path, body: Any) -> tuple[Any, LineLookup]:
    """The template document and a line lookup over the text CloudFormation stored."""
    if isinstance(body, str):
        document, kind = parse_text(path, body)
        lookup: LineLookup = (
            yaml_line_lookup(document) if kind == "yaml" else json_line_lookup(body)
        )
    else:  # botocore already decoded a JSON body: its lines are gone
        document, lookup = body, _no_lines
    check_template_shape(path, document, lookup)
    return document, lookup


def _no_lines(path: PropertyPath) -> int | None:
    return None


def _progress_line(result: _Result) -> str:
    state = result.state
    label = result.job.name or state.name or result.job.ref
    if state.missing:
        return f"  {label}: {state.note}"
    text = f"  {label}: {state.status}"
    if result.stack is not None:
        text += f", {len(result.stack.resources)} resources"
        if result.job.name is not None and state.name:
            text += f" (nested stack {state.name})"
        if result.children:
            text += f", {len(result.children)} nested"
    if state.note:
        text += f" - {state.note}"
    return text


def _say(progress: TextIO, line: str) -> None:
    print(f"latest-guard: {line}" if not line.startswith(" ") else line, file=progress,
          flush=True)


class _Api:
    """The three read-only CloudFormation calls, with errors turned into one line each.

    The boto3 client is thread-safe and shared by the worker threads.
    """

    def __init__(self, client: Any, region: str, endpoint: str, attempts: int) -> None:
        self.client = client  # a boto3 CloudFormation client (boto3 ships no type stubs)
        self.region = region
        self.endpoint = endpoint
        self.attempts = attempts

    @classmethod
    def connect(
        cls,
        region: str | None,
        profile: str | None,
        endpoint_url: str | None,
        max_attempts: int,
        concurrency: int,
    ) -> _Api:
        from reviewer.sources.aws.deployed_errors import CONFIG, untyped

        try:
            boto3 = untyped("boto3")
        except ModuleNotFoundError:
            raise InputError(
                CONFIG, "comparing with a deployed stack needs boto3: pip install boto3"
            ) from None
        errors = untyped("botocore.exceptions")
        try:
            session = boto3.session.Session(profile_name=profile, region_name=region)
        except errors.ProfileNotFound:
            raise InputError(
                "--profile", f"AWS profile {profile!r} is not in the AWS configuration files"
            ) from None
        except errors.BotoCoreError as exc:
            raise InputError(CONFIG, f"the AWS configuration cannot be read: {exc}") from None
        # botocore reads AWS_DEFAULT_REGION; the other SDKs (and many CI setups) AWS_REGION.
        name = session.region_name or os.environ.get("AWS_REGION")
        if not name:
            raise InputError(
                CONFIG,
                "no AWS region: pass --region or set AWS_REGION (in GitHub Actions, "
                "aws-actions/configure-aws-credentials sets it)",
            )
        config = untyped("botocore.config").Config(
            # total_max_attempts counts the first attempt too (botocore's max_attempts does not)
            retries={"mode": "adaptive", "total_max_attempts": max_attempts},
            max_pool_connections=max(10, concurrency),
            user_agent_extra="latest-guard",
        )
        try:
            client = session.client(
                "cloudformation", region_name=name, config=config, endpoint_url=endpoint_url
            )
        except errors.BotoCoreError as exc:
            raise InputError(CONFIG, f"no CloudFormation client for {name}: {exc}") from None
        # Keep JSON template bodies as text, as YAML ones are, so their lines are known.
        client.meta.events.unregister(
            "after-call.cloudformation.GetTemplate",
            untyped("botocore.handlers").json_decode_template_body,
        )
        return cls(client, name, str(client.meta.endpoint_url), max_attempts)

    def describe(self, ref: str) -> Mapping[str, Any] | None:
        """The stack's description, or None when CloudFormation has no such stack."""
        response = self._call("DescribeStacks", ref, StackName=ref)
        if response is None:
            return None
        found = response.get("Stacks") or []
        return found[0] if found else None

    def template(self, stack_id: str) -> Any:
        """The processed template body (text; a mapping if botocore decoded it), or None."""
        response = self._call("GetTemplate", stack_id, StackName=stack_id,
                              TemplateStage="Processed")
        return None if response is None else response.get("TemplateBody")

    def nested_stacks(self, stack_id: str) -> dict[str, str]:
        """Physical ids of the stack's nested stacks, by logical id."""
        found: dict[str, str] = {}
        try:
            pages = self.client.get_paginator("list_stack_resources").paginate(
                StackName=stack_id
            )
            for page in pages:
                for row in page.get("StackResourceSummaries") or []:
                    physical = row.get("PhysicalResourceId")
                    if (
                        row.get("ResourceType") == NESTED_STACK
                        and physical
                        and row.get("ResourceStatus") != "DELETE_COMPLETE"
                    ):
                        found[str(row.get("LogicalResourceId"))] = str(physical)
        except Exception as exc:  # botocore's errors are explained; anything else is a bug
            raise self._explained(exc, "ListStackResources", stack_id) from None
        return found

    def _call(self, operation: str, ref: str, **kwargs: Any) -> Any:
        """Call ``operation``; None when the stack does not exist."""
        from reviewer.sources.aws.deployed_errors import does_not_exist

        method = getattr(self.client, _snake(operation))
        try:
            return method(**kwargs)
        except Exception as exc:  # botocore's errors are explained; anything else is a bug
            if does_not_exist(exc):
                return None
            raise self._explained(exc, operation, ref) from None

    def _explained(self, exc: Exception, operation: str, ref: str) -> Exception:
        """The InputError for a botocore error; any other exception unchanged."""
        from reviewer.sources.aws.deployed_errors import explain, is_botocore_error

        if not is_botocore_error(exc):
            return exc
        return explain(exc, operation, _short(ref), self.endpoint, self.attempts)


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def _short(ref: str) -> str:
    """A stack's name from its ARN (``arn:...:stack/NAME/uuid``), else the reference itself."""
    if ref.startswith("arn:") and ":stack/" in ref:
        return ref.split(":stack/", 1)[1].split("/", 1)[0]
    return ref
