"""What a phase-one change is: the files of the base commit it edits, the findings it serves,
and how it was checked; built and checked before anything is sent (``build``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.contract.findings import Finding
from reviewer.review.proposal import ProposedFile


@dataclass(frozen=True)
class PhaseOneChange:
    """What the phase-one branch holds, and why: built and checked before anything is sent."""

    #: The commit the branch starts from: the baseline the pull request is compared with.
    base_commit: str
    #: The branch the phase-one pull request merges into (the reviewed pull request's base).
    base_branch: str
    files: tuple[ProposedFile, ...]
    #: The findings it protects (their functions name the pull request).
    findings: tuple[Finding, ...]
    #: How it was checked, in one sentence.
    checked: str
    #: Whether the base branch has moved on from ``base_commit`` since.
    base_moved_on: bool = False


def functions_of(findings: Sequence[Finding]) -> list[str]:
    return list(dict.fromkeys(f.resource for f in findings))


def function_key(finding: Finding) -> str:
    """A function's key in a phase-one pull request's body: a hash of its stack and logical
    id (names of files and stacks can hold anything; the key holds hex digits only)."""
    return hashlib.sha256(f"{finding.stack}\0{finding.resource}".encode()).hexdigest()[:16]
