"""Lambda permissions in the fix: moved to the alias, or kept with a copy for the alias.

A permission moves (its ``FunctionName`` re-pointed at the alias) only when every caller it
serves (:mod:`reviewer.fixes.builders.callers`) is re-pointed by the same fix. Otherwise it
stays on the unqualified function, so that nothing it served is cut off, and the alias gets a
permission of its own: a copy written right after it (``<Permission><Alias>``), with
``FunctionName`` on the alias. The fix says which callers keep the unqualified one; once they
use the alias, a later change removes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reviewer.fixes.builders.api_bodies import ApiBody
from reviewer.fixes.builders.callers import PermissionCallers, permission_callers
from reviewer.fixes.builders.duplicate import duplicate_resource
from reviewer.fixes.builders.naming import id_part, unique_id
from reviewer.fixes.builders.repoint import AliasTarget, repoint
from reviewer.fixes.edit.document import Document, Node
from reviewer.fixes.edit.operations import OperationError
from reviewer.fixes.edit.textedit import EditConflict, TextEdits
from reviewer.model.references import FunctionWiring, Reference
from reviewer.model.template import StackTemplate


@dataclass
class PermissionPlan:
    """Which permissions move to the alias, and which stay (with the callers that keep them)."""

    moves: list[Reference] = field(default_factory=list)
    keeps: list[tuple[Reference, PermissionCallers]] = field(default_factory=list)


def plan_permissions(  # noqa: PLR0917
    stack: StackTemplate,
    wiring: FunctionWiring,
    refs: Sequence[Reference],
    bodies: Sequence[ApiBody],
    target: AliasTarget,
    repointed: Callable[[Reference], bool],
) -> PermissionPlan:
    """Sort the permission references ``refs``: ``repointed`` says whether the fix re-points a
    caller."""
    plan = PermissionPlan()
    for ref in refs:
        served = permission_callers(stack, wiring, ref.source, bodies, target)
        left = [caller for caller in served.callers if not repointed(caller)]
        if served.callers and not served.outside and not left:
            plan.moves.append(ref)
            continue
        outside = [*(f"{c.source} ({c.consumer}), which this fix does not re-point"
                     for c in left), *served.outside]
        plan.keeps.append((ref, PermissionCallers(ref.source, served.callers, tuple(outside))))
    return plan


def permission_for_alias(
    document: Document, edits: TextEdits, stack: StackTemplate, permission: str,
    target: AliasTarget,
) -> str | None:
    """Write a copy of ``permission`` for the alias after it; its logical id, or None when the
    permission's text cannot be copied."""
    new_id = unique_id(f"{permission}{id_part(target.alias_name)}", stack.resources)

    def on_alias(copy: Document, changes: TextEdits, properties: Node) -> int:
        name = properties.get("FunctionName")
        return repoint(copy, changes, name, target) if name is not None else 0

    try:
        duplicate_resource(document, edits, permission, new_id, on_alias)
    except (OperationError, EditConflict):
        return None
    return new_id


def kept_note(function: str, kept: PermissionCallers, copy: str | None, alias: str) -> str:
    """Why a permission stays on the unqualified function, naming the callers that keep it."""
    callers = "; ".join(kept.outside) or "callers this fix does not see"
    if copy is not None:
        gives = f"{copy} gives alias {alias} the same permission"
    else:
        gives = f"give alias {alias} the same permission yourself (the copy could not be written)"
    return (
        f"permission {kept.permission} stays on {function} unqualified, for callers this fix "
        f"cannot re-point: {callers}. {gives}; remove {kept.permission} once those callers "
        f"invoke alias {alias}"
    )
