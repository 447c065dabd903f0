"""A change the review proposes in a pull request of its own, ready for any host to send.

The phase-one change of two-phase findings is one (``reviewer.commands.phase_one`` builds,
checks and words it): a branch that starts at a base commit and holds these files, one commit
with this message, a pull request with this title and body into ``base_branch``. A host's
publisher writes it as it is (``reviewer.github.phase_one``); it decides nothing of its text,
and what the summary says of it (``notices``) is said here from what became of it
(``ProposalOutcome``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.contract.findings import PullLink
from reviewer.report.escape import markdown_inline


@dataclass(frozen=True)
class ProposedFile:
    """One file of the base commit as the change leaves it (``path`` from the repository's
    root; ``mode`` as git stores it: ``100644``, ``100755``)."""

    path: str
    mode: str
    text: str


@dataclass(frozen=True)
class Proposal:
    """What the proposed pull request holds and says."""

    #: The commit the branch starts from.
    base_commit: str
    #: The branch the pull request merges into.
    base_branch: str
    files: tuple[ProposedFile, ...]
    title: str
    body: str
    #: The commit's message (a host may add a trailer of its own).
    message: str
    #: The keys of the functions it changes, as its body lists them (``markers``).
    keys: frozenset[str]
    #: The fingerprints of the findings it is for: they link the pull request once it exists.
    serves: frozenset[str]


@dataclass(frozen=True)
class ProposalOutcome:
    """What became of the proposed pull request: its link (None when there is none) and what
    was done, in words for the log and the summary."""

    pull: PullLink | None
    state: str  # opened | updated | unchanged | merged | closed | kept (a branch not ours)
    said: str


def notices(
    outcome: ProposalOutcome | None, proposal: Proposal | None, said: Sequence[str] = ()
) -> list[str]:
    """What the summary says of the phase-one pull request besides the links: why (some of)
    it was not made (``said``, one line each), then what became of it."""
    lines = [f"> **Phase one:** {markdown_inline.text(line)}." for line in said]
    return lines + (_fate(outcome, proposal) if outcome is not None else [])


def _fate(outcome: ProposalOutcome, proposal: Proposal | None) -> list[str]:
    pull = outcome.pull
    link = (
        f"[#{pull.number}]({markdown_inline.link_target(pull.url)})" if pull is not None else ""
    )
    if outcome.state == "unneeded":
        return [
            f"> **Phase one:** {link} is no longer needed by this change: no finding calls "
            "for it now. Close it unless you mean to deploy it anyway."
        ]
    if outcome.state == "merged":
        base = (
            markdown_inline.text(proposal.base_branch) if proposal is not None
            else "its base branch"
        )
        return [
            f"> **Phase one:** {link} is merged. Deploy it, then update this branch from "
            f"{base}: the check compares with the new base."
        ]
    if outcome.state == "stale":
        return [
            f"> **Phase one:** {link} is not updated by this run: it may not match this "
            "change any more (see why above)."
        ]
    if outcome.state in ("closed", "kept", "exhausted"):
        return [f"> **Phase one:** {markdown_inline.text(outcome.said)}."]
    return []
