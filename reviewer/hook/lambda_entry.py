"""The Lambda function of latest-guard's CloudFormation Lambda Hook: ``handler(event, context)``.

CloudFormation invokes it before a stack or change-set operation provisions anything, with a
request whose templates sit behind a presigned URL; it answers ``SUCCESS``, or ``FAILED``
with ``NonCompliant`` when a finding reaches the configured level (the hook's
``FailureMode: WARN`` turns that into a warning the deployer sees), or ``FAILED`` with
``InternalFailure`` and a one-line reason when it could not judge. It never raises.

Configuration, through the function's environment variables:

- ``LATEST_GUARD_FAIL_ON``: the lowest severity that fails the deployment: ``error``
  (default), ``warning`` or ``notice``; ``never`` judges and logs without failing.
- ``LATEST_GUARD_TIME_BUDGET``: seconds of work (fetching the payload, loading, analysis)
  before giving up with ``InternalFailure`` (default 20; CloudFormation waits 30 s for the
  function). The function's own remaining time lowers it when that is shorter.

The text report goes to standard error, which Lambda writes to the function's log. This
module stays small and imports the engine only when invoked, so that the runtime's import of
the handler is quick.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewer.contract.enums import FailOn

#: Kept for the answer after the budget: serialising it and returning takes this long, at most.
_MARGIN_SECONDS = 1.5


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The hook's response to ``event`` (see the module doc)."""
    try:
        from reviewer.commands.hook import HookOptions, evaluate, log_result

        options = HookOptions(fail_on=_fail_on(), budget=_budget(context))
        result = evaluate(event, "hook request", options)
        log_result(result, sys.stderr)
        return result.response
    except Exception as exc:  # never raise into CloudFormation: answer instead
        token = event.get("clientRequestToken", "") if isinstance(event, dict) else ""
        return {
            "hookStatus": "FAILED",
            "errorCode": "InternalFailure",
            "message": f"latest-guard could not judge this deployment: internal error "
                       f"({type(exc).__name__})",
            "clientRequestToken": token if isinstance(token, str) else "",
        }


def _fail_on() -> FailOn:
    """``LATEST_GUARD_FAIL_ON``; a value it does not take is said in the log, and ``error``
    used."""
    from reviewer.contract.enums import FailOn

    value = os.environ.get("LATEST_GUARD_FAIL_ON", "error").strip().lower()
    if value in {level.value for level in FailOn}:
        return FailOn(value)
    levels = ", ".join(level.value for level in FailOn)
    print(f"latest-guard: LATEST_GUARD_FAIL_ON is not one of {levels}: error used",
          file=sys.stderr)
    return FailOn.ERROR


def _budget(context: Any) -> float:
    """``LATEST_GUARD_TIME_BUDGET`` (default 20 s), lowered to the function's remaining time
    less a margin for the answer."""
    try:
        budget = float(os.environ.get("LATEST_GUARD_TIME_BUDGET", "20"))
    except ValueError:
        budget = 0.0
    if not budget > 0:  # also NaN
        print("latest-guard: LATEST_GUARD_TIME_BUDGET is not a positive number of seconds: "
              "20 used", file=sys.stderr)
        budget = 20.0
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            left = float(remaining()) / 1000 - _MARGIN_SECONDS
        except (TypeError, ValueError):
            return budget
        return max(min(budget, left), 0.5)
    return budget
