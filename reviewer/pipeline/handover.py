"""What the pipeline decides about a rule's finding, and the finding it hands over.

A rule makes a finding (``Rule.finding``); in each world the pipeline decides its suppression,
its fix (the rule's words with the framework's change, :mod:`reviewer.fixes`) and what reading
it with another rule's finding about the function adds (:mod:`reviewer.rules.together`), and
keeps those decisions beside it (:class:`Judged`). Once the worlds are merged, a fix that edits
the analysed template is verified (:class:`Suggestion`, by the caller's :data:`Verifier`), and
:func:`handed_over` makes the finding the report carries, in one step. After it, a command
only names its paths from the user's folder (:mod:`reviewer.contract.paths`) and the
publisher links the phase-one pull request it opened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewer.config import Config
from reviewer.contract.findings import Consumer, FileChange, Finding, Fix
from reviewer.diff.context import StackContext
from reviewer.fixes import built_fixes, fix_for
from reviewer.model.template import StackTemplate
from reviewer.rules.together import Together, read_together

#: At most this many fixes are verified in one run (each costs one analysis).
MAX_VERIFIED = 30


@dataclass(frozen=True)
class Suppression:
    """Why a finding is suppressed, and where that was said: "metadata" (the resource) or
    "config" (a configuration file)."""

    reason: str
    source: str


@dataclass(frozen=True)
class Judged:
    """A rule's finding, as the rule made it, with what the pipeline decided about it in one
    world."""

    found: Finding
    suppression: Suppression | None = None
    fix: Fix | None = None
    together: Together = field(default_factory=Together)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.found.rule, self.found.stack, self.found.resource)


@dataclass(frozen=True)
class Suggestion:
    """A fix offered as a one-click suggestion, to be checked first: ``change``, applied alone
    to ``stack``'s template, must make the finding of ``rule`` about ``resource`` go away."""

    rule: str
    stack: StackTemplate
    resource: str
    change: FileChange


#: Whether a suggestion fixes its finding (the command applies it to a copy and analyses it).
Verifier = Callable[[Suggestion], bool]


def judged_in(
    found: Sequence[tuple[Finding, StackTemplate]],
    config: Config,
    contexts: Mapping[str, StackContext],
) -> list[Judged]:
    """Each finding (with the stack it is about) and its suppression, its fix and what
    another rule's finding about its function adds, decided in one world."""
    suppressions = [_suppression(finding, stack, config) for finding, stack in found]
    open_findings = [f for (f, _), s in zip(found, suppressions, strict=True) if s is None]
    fixes = built_fixes(open_findings, contexts)
    together = read_together(open_findings)
    out: list[Judged] = []
    for (finding, _), suppression in zip(found, suppressions, strict=True):
        key = (finding.rule, finding.stack, finding.resource)
        out.append(Judged(
            finding,
            suppression,
            fix_for(finding.fix, fixes.get((finding.stack, finding.resource))),
            together.get(key, Together()) if suppression is None else Together(),
        ))
    return out


def verified(
    judgements: Sequence[Judged],
    new: Sequence[StackTemplate],
    verify: Verifier | None,
) -> set[tuple[str, str, str]]:
    """The findings (by rule, stack and function) whose fix is verified: at most
    :data:`MAX_VERIFIED`, in report order, of those whose one-deployment change edits the
    analysed template."""
    if verify is None:
        return set()
    candidates = [
        (j, suggestion) for j in judgements if (suggestion := _suggestion(j, new)) is not None
    ]
    return {j.key for j, suggestion in candidates[:MAX_VERIFIED] if verify(suggestion)}


def handed_over(
    judgement: Judged,
    *,
    consumers: tuple[Consumer, ...],
    when: str | None,
    verified: bool,
) -> Finding:
    """The finding the report carries: the rule's, with every decision about it in place.
    ``consumers``: its callers in every world it holds in; ``when``: those worlds, when not
    all."""
    found, suppression, together = judgement.found, judgement.suppression, judgement.together
    fix = judgement.fix
    if fix is not None and (together.step is not None or verified):
        steps = (*fix.steps, together.step) if together.step is not None else fix.steps
        fix = replace(fix, steps=steps, verified=verified)
    return replace(
        found,
        message=f"{when}: {found.message}" if when is not None else found.message,
        when=when,
        consumers=consumers,
        why=f"{found.why} {together.note}".strip() if together.note else found.why,
        fix=fix,
        suppressed=suppression is not None,
        suppression_reason=suppression.reason if suppression is not None else None,
        suppression_source=suppression.source if suppression is not None else None,
    )


def _suppression(finding: Finding, stack: StackTemplate, config: Config) -> Suppression | None:
    resource = stack.resources.get(finding.resource)
    reasons = resource.suppressions() if resource is not None else {}
    if finding.rule in reasons:
        return Suppression(reasons[finding.rule], "metadata")
    if config.ignores(finding.stack, finding.resource):
        where = config.source or "configuration"
        return Suppression(f"function ignored in {where}", "config")
    return None


def _suggestion(judgement: Judged, new: Sequence[StackTemplate]) -> Suggestion | None:
    """The suggestion to check, when the finding is open and its fix is one change, in one
    deployment, of the template its stack was read from."""
    fix = judgement.fix
    if judgement.suppression is not None or fix is None or fix.two_phase or fix.change is None:
        return None
    found = judgement.found
    stack = next((s for s in new if s.name == found.stack), None)
    if stack is None or not _same_file(fix.change.path, stack.path):
        return None
    return Suggestion(found.rule, stack, found.resource, fix.change)


def _same_file(display: str, path: Path) -> bool:
    try:
        return Path(display).resolve() == path.resolve()
    except OSError:
        return False
