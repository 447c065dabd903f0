"""Fixes for plain CloudFormation templates (YAML or JSON): the alias wiring, written by hand.

See :mod:`reviewer.fixes.builders.wiring` for what the wiring is. The new template gets it
(with its version named after the new code and configuration); for a two-phase fix the baseline
file gets it too, as the phase-one change: the same alias, a version of the function as deployed,
and the consumers re-pointed, with no change to the function.
"""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.contract.enums import FixNeed, Framework
from reviewer.contract.findings import Finding, Fix
from reviewer.contract.wording import NOT_SAFE_ALONE
from reviewer.diff.context import StackContext
from reviewer.fixes.builders.base import (
    FIX_COMMAND,
    EditedFile,
    file_fix,
    listing,
    needs,
    two_phase,
    wire_file,
)
from reviewer.fixes.builders.wired import Wired
from reviewer.fixes.builders.wiring import wire
from reviewer.fixes.edit.source import display_path


def build(context: StackContext, function: str, findings: Sequence[Finding]) -> Fix | None:
    """The wiring of ``function`` in the new template and, when two-phase, in the baseline."""
    fresh = context.diff.added | context.diff.replaced
    wired_new = wire_file(
        context.new, context.new_graph, function,
        lambda document, stack, wiring: wire(document, stack, wiring, publish=True, fresh=fresh),
    )
    if wired_new is None:
        return None
    change, new = wired_new
    staged = two_phase(findings)
    first: EditedFile | None = None
    first_wired: Wired | None = None
    if staged:
        # Phase one on the baseline file: the same alias, a version of the function as
        # deployed, the consumers re-pointed, no change to the function.
        hint = (new.alias_id, new.alias_name)
        first, first_wired = wire_file(
            context.old, context.old_graph, function,
            lambda document, stack, wiring: wire(
                document, stack, wiring, publish=False, fresh=set(), alias_hint=hint
            ),
        ) or (None, None)
    template = display_path(context.new.path)
    return file_fix(
        framework=Framework.CLOUDFORMATION,
        summary=_summary(function, findings, new, staged, template),
        steps=_steps(function, new, staged, first, first_wired, template),
        staged=staged,
        change=change,
        first=first,
        notes=_notes(new) + (_notes(first_wired) if first_wired else []),
    )


def describe(function: str, wired: Wired) -> str:
    """What the wiring does to the file, in one sentence (names only)."""
    parts: list[str] = []
    added_version = wired.version_id if wired.version_id in wired.added else None
    if added_version:
        parts.append(
            f"adds version {added_version} (its logical id carries a hash of {function}'s "
            "code and configuration)"
        )
    if wired.alias_id in wired.added:
        parts.append(f"adds alias {wired.alias_id} ({wired.alias_name}) on it")
    for alias in wired.aliases_pointed:
        parts.append(f"points alias {alias} at version {wired.version_id}")
    for old, new in wired.renamed:
        parts.append(f"renames version {old} to {new}, named after the code and configuration")
    if wired.repointed:
        parts.append(f"points {listing(wired.repointed)} at alias {wired.alias_id}")
    parts.extend(wired.settled(function))
    if not parts:
        return "changes nothing"
    return "; ".join(parts)


def _summary(
    function: str, findings: Sequence[Finding], new: Wired, staged: bool, template: str
) -> str:
    command = f"({FIX_COMMAND})"
    if staged:
        return (
            f"route the callers of {function} through alias {new.alias_name} on a version named "
            "after its code and configuration, and deploy that wiring first, without the code "
            f"and configuration change: {NOT_SAFE_ALONE} {command}"
        )
    if FixNeed.REPUBLISH in needs(findings) and new.renamed:
        old, renamed = new.renamed[0]
        return (
            f"rename version {old} to {renamed}: a logical id that carries a hash of the code "
            f"and configuration makes CloudFormation publish a new version {command}"
        )
    return (
        f"point alias {new.alias_id} at version {new.version_id}, published from {function}'s "
        f"code and configuration {command}"
    )


def _steps(  # noqa: PLR0917
    function: str,
    new: Wired,
    staged: bool,
    first: EditedFile | None,
    first_wired: Wired | None,
    template: str,
) -> tuple[str, ...]:
    steps: list[str] = []
    if staged:
        if first is not None and first_wired is not None:
            steps.append(
                "Phase one, on the deployed template (the phase-one change): "
                f"{describe(function, first_wired)}. {function} itself does not change; merge "
                "and deploy this on its own."
            )
        else:
            steps.append(
                "Phase one: the deployed template is not a file latest-guard can edit here. "
                f"On it, run `{FIX_COMMAND} --template <deployed template>`: it adds the alias "
                f"wiring to every function whose callers reach $LATEST, {function} unchanged. "
                "Merge and deploy that on its own."
            )
        what = (
            f"{describe(function, new)}. Deploy it"
            if new.changed
            else "it has the wiring already. Deploy it after phase one"
        )
        steps.append(
            f"Phase two, this change: {what}: callers move to the new version "
            "in one alias switch."
        )
    else:
        steps.append(f"In this template: {describe(function, new)}.")
    steps.append(
        f"When {function}'s code or configuration changes again, its version is renamed "
        f"after the new hash ({FIX_COMMAND} does it; LG002 reminds you)."
    )
    return tuple(steps)


def _notes(wired: Wired) -> list[str]:
    notes = list(wired.notes)
    if wired.untouched:
        notes.append(
            f"not edited: {listing(wired.untouched)}; point them at alias {wired.alias_id} "
            "yourself (callers outside the stack: use the alias ARN)"
        )
    return notes
