"""What a rule reports: a finding with its location, the changes and consumers it is about, and
the fix, as frozen values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from reviewer.contract.enums import (
    ChangeHow,
    Confidence,
    ConsumerView,
    FixNeed,
    Framework,
    Severity,
    Side,
)


@dataclass(frozen=True)
class Location:
    """A place in a source file; ``line`` is 1-based and None when unknown.

    When the place is in the user's source rather than in the template that was analysed (the
    SAM template, a CDK construct, a ``serverless.yml`` entry), ``confidence`` says how sure the
    mapping is and ``symbol`` names what was mapped (a CDK construct path, a Serverless
    function key).
    """

    path: str
    line: int | None = None
    confidence: Confidence | None = None
    symbol: str | None = None


class MissingLocation(ValueError):
    """A rule made a finding without a place to show it: no file or no line. Every finding
    is shown on a line (a review comment, a SARIF result, ``path:line`` in the text report),
    so a finding without one is a bug of the rule, refused where it is made."""

    def __init__(self, rule: str, resource: str, location: Location) -> None:
        missing = "a path" if not location.path else "a line"
        super().__init__(f"{rule} made a finding about {resource} without {missing}")


@dataclass(frozen=True)
class PropertyChange:
    """One property of a function that changes; names and safe details only, never values."""

    name: str
    side: Side
    how: ChangeHow
    detail: str | None = None
    #: The replaced resource or the nested stack's output, ``Child.Outputs.Name``
    #: (``BY_REFERENCE``), or the parameter (``BY_PARAMETER``).
    cause: str | None = None

    def describe(self) -> str:
        text = self.name
        if self.detail:
            text += f" {self.detail}"
        if self.how is ChangeHow.BY_REFERENCE and ".Outputs." in (self.cause or ""):
            text += f" (through {self.cause})"
        elif self.how is ChangeHow.BY_REFERENCE:
            text += f" (through replaced {self.cause})"
        elif self.how is ChangeHow.BY_PARAMETER:
            text += f" (through parameter {self.cause})"
        elif self.how in (ChangeHow.ADDED, ChangeHow.REMOVED):
            text += f" ({self.how})"
        return text


@dataclass(frozen=True)
class Consumer:
    """A resource whose invocations are affected, and how it names the function.

    ``invokes`` is False for a reference that hands the function on without calling it (a
    stack output or export: callers elsewhere may use it): a reader counts it as "referenced
    by", never as an invoker.
    """

    resource: str
    type: str
    label: str
    property: str
    form: str
    invokes: bool = True


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
class FileChange:
    """A change of one file: its line edits and the same change as one unified diff."""

    path: str
    edits: tuple[Edit, ...] = ()
    patch: str | None = None


@dataclass(frozen=True)
class Snippet:
    """Code the user writes or pastes (a CDK escape hatch, a ``serverless.yml`` block)."""

    text: str
    language: str  # "typescript", "python", "yaml", ...


@dataclass(frozen=True)
class PullLink:
    """A pull request of the repository: its number and its page."""

    number: int
    url: str


@dataclass(frozen=True)
class Fix:
    """What to do about a finding: in words, and as a change the user can apply.

    ``summary`` and ``steps`` say it in words; ``two_phase`` when one deployment cannot be safe.
    The rest is filled by the framework's fix builder when it can: ``change``, the edit of the
    user's file (the SAM or plain template, ``serverless.yml``); ``snippet``, where the change
    is code the user writes; ``phase_one``, for a two-phase fix, the alias wiring applied to
    the *baseline* template with no function change, to deploy first; ``framework``, the
    builder that made it; ``notes``, what the change also does or could not do;
    ``verified``, that applying ``change`` alone to the analysed template was checked to make
    the finding go away (only such a change is offered as a one-click suggestion);
    ``phase_one_pull``, the pull request that carries the phase-one change, when the Action
    opened one (``phase-one: pull-request``).
    """

    summary: str
    two_phase: bool = False
    steps: tuple[str, ...] = ()
    framework: Framework | None = None
    change: FileChange | None = None
    snippet: Snippet | None = None
    phase_one: FileChange | None = None
    notes: tuple[str, ...] = ()
    verified: bool = False
    phase_one_pull: PullLink | None = None


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one function.

    ``view`` and ``needs`` come from the rule that made it: how its consumers are labelled,
    and what its fix must do; reporters and fix builders act on them, never on rule ids.
    """

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
    view: ConsumerView = ConsumerView.TRAFFIC
    needs: FixNeed | None = None
    suppressed: bool = False
    suppression_reason: str | None = None
    #: Where the suppression came from: "metadata" (the resource) or "config" (a config file).
    suppression_source: str | None = None
    #: In which of the deployments the template can make it holds ("when IsProd is true"),
    #: when not in all of them (see ``reviewer.model.worlds``).
    when: str | None = None

    @property
    def needs_two_deployments(self) -> bool:
        """Active, and its fix must be deployed in two phases (a phase one comes first)."""
        return not self.suppressed and self.fix is not None and self.fix.two_phase

    @property
    def fingerprint(self) -> str:
        """Stable across runs for the same rule, function and changed properties."""
        names = ",".join(sorted({c.name for c in self.changes}))
        text = f"{self.rule}|{self.stack}|{self.resource}|{names}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]
