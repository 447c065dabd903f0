"""Judge one CloudFormation Lambda Hook request: the use case behind the Lambda function
(``reviewer.hook.lambda_entry``) and ``latest-guard hook REQUEST.json``.

``evaluate`` reads the request, answers a resource-level request and a stack delete with
``SUCCESS`` at once, fetches the payload (or takes a saved one), loads both sides
(:mod:`reviewer.sources.hook`), settles parameter values, analyses through the one analysis
entry point, and shapes the answer (:mod:`reviewer.report.hook`).

Parameter values: those a saved payload carries (``parameters``), else, for an update or a
change set of a template that declares parameters, the stack's current values read with
``DescribeStacks`` when the function's role allows it; else they are unknown, and the
message says so. A value is never printed.

It never hangs and never raises: the fetch has its own timeout, the rest runs within
``budget`` seconds, and a request or template that cannot be read, a payload URL that has
expired, the budget running out or a bug each give ``FAILED`` / ``InternalFailure`` with a
one-line reason (a bug is named by its type only: its text may hold a template's values).
"""

from __future__ import annotations

import io
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from reviewer.config import Config
from reviewer.contract.enums import FailOn
from reviewer.errors import InputError
from reviewer.sources.hook.payload import (
    FETCH_TIMEOUT,
    HookPayload,
    fetch_payload,
    parse_payload,
)
from reviewer.sources.hook.request import (
    URL_LEFT_OUT,
    Action,
    HookRequest,
    Target,
    parse_request,
    request_token,
)

if TYPE_CHECKING:
    from reviewer.contract.report import Report
    from reviewer.sources.sides import SidePair

#: Seconds of work (fetch, load, analysis) before the hook gives up; CloudFormation waits 30.
DEFAULT_BUDGET = 20.0


@dataclass(frozen=True)
class HookOptions:
    """How to judge: the lowest severity that fails, the time budget, and a saved payload
    (its text and where it was read) that stands in for the request's URL."""

    fail_on: FailOn = FailOn.ERROR
    budget: float = DEFAULT_BUDGET
    payload: str | None = None
    payload_origin: str | None = None
    #: Read the stack's current parameter values with ``DescribeStacks`` when needed.
    read_parameters: bool = True


@dataclass(frozen=True)
class HookResult:
    """The response document, the report behind it (None when nothing was analysed) and,
    for an ``InternalFailure``, its one-line reason."""

    response: dict[str, Any]
    report: Report | None = None
    failure: str | None = None


def evaluate(event: Any, origin: str, options: HookOptions) -> HookResult:
    """The answer to the hook request ``event`` (read from ``origin``: a file, or the Lambda
    event); see the module doc."""
    token = request_token(event)
    try:
        request = parse_request(event, origin)
    except InputError as exc:
        return _internal_failure(token, str(exc))
    if request.target is Target.RESOURCE:
        return HookResult(_plain(
            request.token,
            "latest-guard judges stacks and change sets: a resource-level request is not "
            "judged.",
        ))
    if request.action is Action.DELETE and request.target is Target.STACK:
        return HookResult(_plain(request.token, "latest-guard: the stack is being deleted: "
                                                "nothing to judge."))
    return _bounded(request, origin, options)


def _bounded(request: HookRequest, origin: str, options: HookOptions) -> HookResult:
    """``_judge`` in a worker thread, waited for ``options.budget`` seconds at most: a
    thread cannot be stopped, so one still running is left behind (a daemon) and the
    deployment is answered without a verdict."""
    outcome: list[HookResult] = []
    started = time.monotonic()

    def work() -> None:
        outcome.append(_guarded(request, origin, options, started))

    worker = threading.Thread(target=work, name="latest-guard-hook", daemon=True)
    worker.start()
    worker.join(max(options.budget, 0.0))
    if outcome:
        return outcome[0]
    return _internal_failure(
        request.token,
        f"{origin}: not judged within {options.budget:g} s (the time budget, "
        "LATEST_GUARD_TIME_BUDGET)",
    )


def _guarded(
    request: HookRequest, origin: str, options: HookOptions, started: float
) -> HookResult:
    try:
        return _judge(request, origin, options, started)
    except InputError as exc:
        return _internal_failure(request.token, str(exc))
    except RecursionError:
        return _internal_failure(
            request.token, f"{origin}: a template is nested too deeply to be read"
        )
    except Exception as exc:  # a bug: answered, never raised into the hook
        where = _innermost(exc)
        return _internal_failure(
            request.token, f"{origin}: internal error ({type(exc).__name__}{where})"
        )


def _judge(
    request: HookRequest, origin: str, options: HookOptions, started: float
) -> HookResult:
    from reviewer.pipeline.sides import analyze_change, load_change
    from reviewer.report.hook import answer
    from reviewer.sources.hook.sides import HookChange

    if options.payload is not None:
        where = options.payload_origin or "payload"
        text = options.payload
    else:
        where = f"{origin} (payload URL)"
        if request.payload_url == URL_LEFT_OUT:
            raise InputError(origin, "a request from the function's log holds no payload URL: "
                                     "replay it with --payload FILE")
        left = options.budget - (time.monotonic() - started)
        text = fetch_payload(request.payload_url or "", where,
                             timeout=max(min(FETCH_TIMEOUT, left), 0.5))
    payload = parse_payload(text, where)
    pair = load_change(HookChange(request, payload, where), io.StringIO())
    pair, notes = _with_parameters(pair, request, payload, options)
    report = analyze_change(pair, Config(fail_on=options.fail_on))
    shaped = answer(report, notes)
    return HookResult(shaped.response(request.token), report)


def _with_parameters(
    pair: SidePair, request: HookRequest, payload: HookPayload, options: HookOptions
) -> tuple[SidePair, list[str]]:
    """Each side with the parameter values it deploys with, and what the message says of
    where they came from (names only).

    The new side's values are this deployment's, which the request does not carry: a saved
    payload's ``parameters``, else defaults, and a parameter without one is unknown (a deploy
    may keep the current value or pass another). The baseline's are the values deployed now:
    a saved payload's ``previousParameters``, else the stack's current ones read with
    ``DescribeStacks`` when allowed, else defaults and unknown. The current values are never
    taken for the new side's: a code key passed as a parameter would then look unchanged."""
    from reviewer.sources.cloudformation.parameters import apply_parameter_values

    stacks = [*pair.new.stacks, *(pair.old.stacks if pair.old is not None else ())]
    if not any(stack.parameters for stack in stacks):
        return pair, []
    notes: list[str] = []
    new_values = dict(payload.parameters)
    notes.append(
        "parameter values of this deployment: from the payload" if new_values
        else "parameter values of this deployment: not in the request; defaults used, "
        "parameters without one are unknown"
    )
    new = replace(pair.new, stacks=tuple(apply_parameter_values(pair.new.stacks, new_values)))
    if pair.old is None or not any(stack.parameters for stack in pair.old.stacks):
        return replace(pair, new=new), notes
    old_values = dict(payload.previous_parameters)
    if old_values:
        notes.append("parameter values deployed now: from the payload")
    elif options.read_parameters:
        from reviewer.sources.aws.stack_parameters import current_parameters

        # By name: the live stack (its ARN names the same one, but a replayed request's ARN
        # may belong to another account's copy of it).
        current = current_parameters(request.stack_name or request.stack_id, request.region)
        if current.reason is None:
            old_values = dict(current.values)
            notes.append("parameter values deployed now: the stack's current ones "
                         "(DescribeStacks)")
        else:
            notes.append(f"parameter values deployed now: not known ({current.reason}); "
                         "defaults used, parameters without one are unknown")
    else:
        notes.append("parameter values deployed now: not known; defaults used, parameters "
                     "without one are unknown")
    old = replace(pair.old, stacks=tuple(apply_parameter_values(pair.old.stacks, old_values)))
    return replace(pair, new=new, old=old), notes


def _plain(token: str, message: str) -> dict[str, Any]:
    return {"hookStatus": "SUCCESS", "message": message, "clientRequestToken": token}


def _internal_failure(token: str, reason: str) -> HookResult:
    line = " ".join(f"latest-guard could not judge this deployment: {reason}".split())
    from reviewer.report.hook import MESSAGE_LIMIT, cut

    return HookResult(
        {
            "hookStatus": "FAILED",
            "errorCode": "InternalFailure",
            "message": cut(line, MESSAGE_LIMIT),
            "clientRequestToken": token,
        },
        failure=reason,
    )


def _innermost(exc: BaseException) -> str:
    """`` at module.py:123``: where a bug was raised (no values, only the place)."""
    trace = exc.__traceback__
    if trace is None:
        return ""
    while trace.tb_next is not None:
        trace = trace.tb_next
    code = trace.tb_frame.f_code
    return f" at {code.co_filename.rsplit('/', 1)[-1]}:{trace.tb_lineno}"


def log_result(result: HookResult, stream: Any = None) -> None:
    """The text report (or the failure's reason) for a person: standard error by default,
    the function's log in Lambda."""
    from reviewer.report.text import render

    out = stream if stream is not None else sys.stderr
    if result.report is not None:
        out.write(render(result.report))
    elif result.failure is not None:
        out.write(f"latest-guard: {result.failure}\n")


def replay(
    request_path: Path, payload_path: Path | None, fail_on: FailOn, out: TextIO, err: TextIO
) -> int:
    """``latest-guard hook``: the response to a saved request on ``out``, the text report on
    ``err``; 0 for ``SUCCESS``, 1 for ``NonCompliant``; an ``InputError`` (exit 2) naming
    the file when the request, the payload or a template cannot be read."""
    import json

    from reviewer.sources.text.files import read_text

    text = read_text(request_path)
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(request_path, f"not JSON: {exc.msg}", exc.lineno) from None
    payload = read_text(payload_path) if payload_path is not None else None
    options = HookOptions(
        fail_on=fail_on,
        payload=payload,
        payload_origin=str(payload_path) if payload_path is not None else None,
    )
    result = evaluate(event, str(request_path), options)
    out.write(json.dumps(result.response, indent=2, ensure_ascii=False) + "\n")
    if result.report is not None:
        log_result(result, err)
    if result.failure is not None:
        err.write(f"latest-guard: error: {result.failure}\n")
        return 2
    return 1 if result.response.get("errorCode") == "NonCompliant" else 0
