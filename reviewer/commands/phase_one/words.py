"""What the phase-one pull request says: its title, its body, its commit's message; and the
proposal a host's publisher sends as it is (``reviewer.review.proposal``)."""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.commands.phase_one.change import PhaseOneChange, function_key, functions_of
from reviewer.contract.findings import Finding
from reviewer.contract.wording import joined
from reviewer.report.markdown import headline
from reviewer.review.markers import Markers, phase_one_functions
from reviewer.review.proposal import Proposal


def proposal(change: PhaseOneChange, number: int, markers: Markers) -> Proposal:
    """The phase-one pull request for pull request ``number``, worded for this instance."""
    return Proposal(
        base_commit=change.base_commit,
        base_branch=change.base_branch,
        files=change.files,
        title=title(change.findings),
        body=pull_request_body(change, number, markers),
        message=commit_message(change, number),
        keys=frozenset(function_key(f) for f in change.findings),
        serves=frozenset(f.fingerprint for f in change.findings),
    )


def title(findings: Sequence[Finding]) -> str:
    """``Route the callers of OrdersFn and BillingFn through an alias (phase one)``."""
    names = functions_of(findings)
    shown = names if len(names) <= 3 else [*names[:3], f"{len(names) - 3} more"]
    return f"Route the callers of {joined(shown)} through an alias (phase one)"


def commit_message(change: PhaseOneChange, number: int) -> str:
    """The commit's message: what it does and the functions it wires, one a line."""
    listed_names = "\n".join(f"- {name}" for name in functions_of(change.findings))
    return (
        f"{title(change.findings)}\n\n"
        "Each function's callers move to an alias on a version of the function as it is\n"
        "deployed; the functions themselves do not change. Deploy this before #"
        f"{number}.\n\n{listed_names}"
    )


def pull_request_body(change: PhaseOneChange, number: int, markers: Markers) -> str:
    """The phase-one pull request's body: what it does and why, how it was checked, and the
    findings it serves."""
    findings = "\n".join(f"- {headline(f)}" for f in change.findings)
    paths = joined([f"`{f.path}`" for f in change.files])
    return "\n".join([
        markers.phase_one(number),
        phase_one_functions(function_key(f) for f in change.findings),
        f"**Phase one of #{number}.** Merge and deploy this first, on its own.",
        "",
        f"#{number} changes the code and the configuration of functions that are invoked "
        "unqualified (`$LATEST`) in the deployed stack: while CloudFormation applies the two "
        "separate Lambda calls, callers can run the new code with the old configuration or "
        "the reverse. This pull request moves those callers to an alias on a version of each "
        "function as it is deployed now, and changes nothing else: the functions' code and "
        f"configuration stay as they are. It edits {paths}, starting from "
        f"`{change.base_commit[:12]}`, the commit #{number} is compared with"
        + (
            f"; {change.base_branch} has moved on since: GitHub shows whether this merges "
            "cleanly." if change.base_moved_on else "."
        ),
        "",
        f"After it is deployed, update #{number} from its base branch and let the check run "
        "again: the alias then moves to the new version in one switch. Where git reports a "
        f"conflict next to a function, keep #{number}'s function and this pull request's "
        "version and alias.",
        "",
        f"**Checked:** {change.checked}",
        "",
        "<details><summary>The findings it is for</summary>",
        "",
        findings,
        "",
        "</details>",
        "",
        "<sub>latest-guard updates this pull request while #"
        f"{number} needs it. When the workflow's own token opened it, GitHub starts no "
        "workflow for it: close and reopen it, or push to it, to run this repository's "
        "checks.</sub>",
    ]) + "\n"
