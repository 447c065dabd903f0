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
class Edit:
    """Replace lines ``start_line``..``end_line`` (1-based, inclusive) of the file at ``path``.

    ``replacement`` is the full text of the lines that take their place, each ending with a
    newline (empty to delete them). Every edit replaces at least one line, so that it can be
    offered as a GitHub suggestion on that range: an insertion carries the line it is anchored
    on (the line after the inserted text when there is one) unchanged in its replacement.
    """

    path: str
    start_line: int
    end_line: int
    replacement: str


@dataclass(frozen=True)
class Fix:
    """What to do about a finding: in words, and as a change the user can apply.

    ``summary`` and ``steps`` say it in words; ``two_phase`` when one deployment cannot be safe.
    The rest is filled by the framework's fix builder (:mod:`reviewer.fixes`) when it can:

    - ``edits``: line edits of the user's file (the SAM or plain template, ``serverless.yml``),
      and ``patch``, the same change as one unified diff;
    - ``snippet`` in ``snippet_language`` (``typescript``, ``python``, ``yaml``...) where the
      change is code the user writes (CDK) or a block to paste;
    - ``phase_one_edits`` and ``phase_one_patch``: for a two-phase fix, the alias wiring applied
      to the *baseline* template (``phase_one_path``), with no function change, to deploy first;
    - ``framework``: the builder that made it (``cloudformation``, ``sam``, ``cdk``,
      ``serverless``); ``notes``: what the change also does or could not do.
    """

    summary: str
    two_phase: bool = False
    steps: tuple[str, ...] = ()
    framework: str | None = None
    edits: tuple[Edit, ...] = ()
    patch: str | None = None
    snippet: str | None = None
    snippet_language: str | None = None
    phase_one_path: str | None = None
    phase_one_edits: tuple[Edit, ...] = ()
    phase_one_patch: str | None = None
    notes: tuple[str, ...] = ()


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
    #: Where the suppression came from: "metadata" (the resource) or "config" (a config file).
    suppression_source: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable across runs for the same rule, function and changed properties."""
        names = ",".join(sorted({c.name for c in self.changes}))
        text = f"{self.rule}|{self.stack}|{self.resource}|{names}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]
