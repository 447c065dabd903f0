"""Route every caller of one function through its alias, without cutting any caller off.

In this order, as edits of the user's file:

1. every consumer that invokes or configures the function unqualified is re-pointed at the
   alias (:mod:`reviewer.fixes.builders.repoint`); an ``EventInvokeConfig`` or a function
   ``Url`` gets ``Qualifier: live`` instead, and depends on the alias; a caller in a nested
   stack gets the alias through the parameter this file passes it;
2. each ``AWS::Lambda::Permission`` moves to the alias when every caller it serves was
   re-pointed, or stays and the alias gets a copy of it
   (:mod:`reviewer.fixes.builders.permissions`);
3. API deployments written by hand are renamed, so that their stages serve the re-pointed
   integrations (:mod:`reviewer.fixes.builders.redeploy`);
4. what no edit of this file reaches is named in the notes: callers in other stacks, exports
   of the unqualified ARN, API bodies in other files that call it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from reviewer.fixes.builders.api_bodies import ApiBody, api_bodies
from reviewer.fixes.builders.callers import PERMISSION, exports
from reviewer.fixes.builders.dependencies import dependents
from reviewer.fixes.builders.permissions import kept_note, permission_for_alias, plan_permissions
from reviewer.fixes.builders.redeploy import redeploy
from reviewer.fixes.builders.repoint import AliasTarget, repoint
from reviewer.fixes.builders.wired import Wired
from reviewer.fixes.edit.document import Document, Node
from reviewer.fixes.edit.operations import OperationError, add_depends_on, set_entry
from reviewer.fixes.edit.render import Style
from reviewer.fixes.edit.textedit import EditConflict
from reviewer.model.consumers import Role
from reviewer.model.references import FunctionWiring, Reference
from reviewer.model.template import StackTemplate

#: Consumers whose ``Qualifier`` property says which version or alias the named function is.
QUALIFIED_BY_PROPERTY = {
    "AWS::Lambda::EventInvokeConfig": "FunctionName",
    "AWS::Lambda::Url": "TargetFunctionArn",
}
#: Consumers that need a version (not an alias): left for the user, with a note.
NEEDS_VERSION = frozenset({"AWS::CloudFront::Distribution"})
NESTED_STACK = "AWS::CloudFormation::Stack"


#: Whether the fix re-points a caller.
Repointed = Callable[[Reference], bool]


def _never(source: str) -> bool:
    del source
    return False


def repoint_consumers(  # noqa: PLR0917
    document: Document,
    stack: StackTemplate,
    wiring: FunctionWiring,
    target: AliasTarget,
    out: Wired,
    style: Style,
    *,
    skip: frozenset[str] = frozenset(),
    also_repointed: Callable[[str], bool] = _never,
    before_permissions: Callable[[], None] | None = None,
    generated_permissions: Callable[[Repointed], None] | None = None,
) -> None:
    """Re-point every unqualified reference that invokes, grants or configures the function.

    ``skip``: sources left alone (SAM's generated resources); ``also_repointed``: whether a
    caller the edits leave alone is re-pointed anyway (by SAM); ``before_permissions``: more
    re-pointing to do before the permissions are settled; ``generated_permissions``: settles
    the permissions a framework writes, given which callers are re-pointed.
    """
    rerouter = _Rerouter(document, target, out, style)
    refs = [r for r in _to_repoint(wiring) if r.source not in skip]
    permissions = [r for r in refs if _is_permission(r)]
    for ref in refs:
        if ref not in permissions:
            rerouter.repoint(ref)
    _repoint_nested_parameters(document, stack, target, out)
    if before_permissions is not None:
        before_permissions()
    bodies = api_bodies(document)

    def repointed(caller: Reference) -> bool:
        if caller.source in out.repointed or also_repointed(caller.source):
            return True
        label = f"{caller.source} ({caller.consumer})"
        return "/" in caller.source and label not in out.untouched  # via a nested parameter

    plan = plan_permissions(stack, wiring, permissions, bodies, target, repointed)
    for ref in plan.moves:
        rerouter.repoint(ref)
    for ref, kept in plan.keeps:
        copy = permission_for_alias(document, out.edits, stack, ref.source, target)
        if copy is not None:
            _wait_for(document, stack, out, ref.source, copy, style)
        out.kept.append((ref.source, copy))
        out.notes.append(kept_note(wiring.logical_id, kept, copy, target.alias_name))
    if generated_permissions is not None:
        generated_permissions(repointed)
    for deployment in redeploy(document, out.edits, stack, out.repointed, out.alias_id, style):
        if deployment.new != deployment.old:
            out.redeployed.append(deployment)
        out.notes.extend(deployment.notes)
    _name_the_unreachable(stack, wiring, bodies, target, out)


class _Rerouter:
    """Re-points one reference at a time, each place once."""

    def __init__(self, document: Document, target: AliasTarget, out: Wired, style: Style) -> None:
        self.document = document
        self.target = target
        self.out = out
        self.style = style
        self.done: set[tuple[int, int]] = set()
        self.qualified: set[str] = set()

    def repoint(self, ref: Reference) -> None:
        document, out = self.document, self.out
        label = f"{ref.source} ({ref.consumer})"
        if "/" in ref.source or ref.source.startswith("Outputs."):
            out.untouched.append(label)
            return
        node = document.resource(ref.source)
        properties = node.get("Properties") if node is not None else None
        if properties is None:
            out.untouched.append(label)
            return
        if ref.source_type in NEEDS_VERSION:
            out.untouched.append(label)
            out.notes.append(
                f"{ref.source} needs a version ARN, not an alias: point it at "
                f"!Ref {out.version_id} yourself"
            )
            return
        if QUALIFIED_BY_PROPERTY.get(ref.source_type) == ref.property_name:
            if ref.source not in self.qualified:
                self.qualified.add(ref.source)
                _qualify(document, ref, properties, self.target, out, self.style)
            return
        nodes = document.find(properties, ref.path) or _deepest(document, properties, ref)
        count = 0
        for found in nodes:
            key = (found.start, found.end)
            if key in self.done:
                count += 1
                continue
            self.done.add(key)
            try:
                count += repoint(document, out.edits, found, self.target)
            except EditConflict:
                continue
        if not count:
            out.untouched.append(label)
        elif ref.source not in out.repointed:
            out.repointed.append(ref.source)


def _is_permission(ref: Reference) -> bool:
    return (
        ref.source_type == PERMISSION and ref.role is Role.GRANT and ref.path == ("FunctionName",)
        and "/" not in ref.source
    )


def _repoint_nested_parameters(
    document: Document, stack: StackTemplate, target: AliasTarget, out: Wired
) -> None:
    """A caller in a nested stack gets the function through a parameter this file passes."""
    for logical_id in stack.of_type(NESTED_STACK):
        prefix = f"{stack.name}.{logical_id}/"
        if not any(label.startswith(prefix) for label in out.untouched):
            continue
        node = document.resource(logical_id)
        properties = node.get("Properties") if node is not None else None
        parameters = properties.get("Parameters") if properties is not None else None
        if parameters is None:
            continue
        try:
            count = repoint(document, out.edits, parameters, target)
        except EditConflict:
            continue
        if count:
            out.repointed.append(logical_id)
            out.untouched = [label for label in out.untouched if not label.startswith(prefix)]


def _to_repoint(wiring: FunctionWiring) -> list[Reference]:
    roles = (Role.INVOKE, Role.GRANT, Role.CONFIGURE)
    return [
        r for r in wiring.references
        if r.role in roles and not r.qualified and r.via_kind in ("function", "name")
    ]


def _deepest(document: Document, properties: Node, ref: Reference) -> list[Node]:
    found = document.deepest(properties, ref.path)
    return [found] if found is not None else []


def _qualify(  # noqa: PLR0917
    document: Document,
    ref: Reference,
    properties: Node,
    target: AliasTarget,
    out: Wired,
    style: Style,
) -> None:
    """``Qualifier: live`` on an EventInvokeConfig or a function URL, after the alias exists."""
    set_entry(document, out.edits, properties, "Qualifier", target.alias_name, style)
    add_depends_on(document, out.edits, ref.source, out.alias_id, style)
    out.repointed.append(ref.source)
    if ref.source_type == "AWS::Lambda::Url":
        out.notes.append(
            f"function URL {ref.source} moves to the alias: its URL changes, so callers that "
            "stored the old one need the new one (stack output or console)"
        )


def _wait_for(  # noqa: PLR0917
    document: Document, stack: StackTemplate, out: Wired, permission: str, copy: str,
    style: Style,
) -> None:
    """What waits for a permission (a log subscription, a bucket notification: both check that
    they may invoke) waits for its copy too, now that it calls the alias."""
    for dependent in dependents(stack, permission):
        with contextlib.suppress(OperationError, EditConflict):
            add_depends_on(document, out.edits, dependent, copy, style)


def _name_the_unreachable(
    stack: StackTemplate,
    wiring: FunctionWiring,
    bodies: list[ApiBody],
    target: AliasTarget,
    out: Wired,
) -> None:
    """Notes for the callers no edit of this file re-points: exports, bodies in other files."""
    function = wiring.logical_id
    for words in exports(stack, wiring):
        out.notes.append(
            f"{function}'s unqualified ARN is exported: {words} keep calling $LATEST. Export "
            f"the alias's ARN (!Ref {target.alias_ref}) under a new name and move them to it "
            "(an export in use cannot change its value)"
        )
    for body in bodies:
        named = body.describe(target)
        advice = f"${{{target.alias_sub}}}"
        if body.calls(target) and not any(named in n and advice in n for n in out.notes):
            out.notes.append(
                f"{named} calls {function} unqualified, and latest-guard does "
                f"not edit that file: write {advice} there instead of "
                f"${{{function}.Arn}}"
            )
