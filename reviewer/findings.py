"""Findings: what a rule reports, with a symbolic location resolved to file and line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from reviewer.diff.function_changes import PropertyChange
from reviewer.model.template import Location


class Severity(StrEnum):
    NOTICE = "notice"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.NOTICE: 1, Severity.WARNING: 2, Severity.ERROR: 3}


@dataclass(frozen=True)
class Consumer:
    """A resource whose invocations are affected, and how it names the function."""

    resource: str
    type: str
    label: str
    property: str
    form: str


@dataclass(frozen=True)
class Fix:
    """What to do about a finding, in words; ``two_phase`` when one deployment cannot be safe."""

    summary: str
    two_phase: bool = False
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    stack: str
    resource: str
    message: str
    location: Location
    changes: tuple[PropertyChange, ...] = ()
    consumers: tuple[Consumer, ...] = ()
    why: str = ""
    fix: Fix | None = None
    suppressed: bool = False
    suppression_reason: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable across runs for the same rule, function and changed properties."""
        names = ",".join(sorted({c.name for c in self.changes}))
        text = f"{self.rule}|{self.stack}|{self.resource}|{names}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]
