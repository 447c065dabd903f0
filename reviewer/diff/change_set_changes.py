"""Per function, the change record that CloudFormation's own change set gives.

A change set says, for every resource it touches, what happens to it (``Add``, ``Modify``,
``Remove``; ``Replacement: True`` when a create-only property changes) and, for a ``Modify``,
which properties change and why. That is the ground truth for *what* changes: it knows the
deployed parameter values, resolves SSM parameters and runs the transforms. This module turns
it into the same ``FunctionChange`` records the template diff produces, so the rules run on
either without knowing which one they got.

How each changed property reads:

| change source | how | cause |
|---|---|---|
| DirectModification (the template edits it) | modified, added or removed | |
| ParameterReference | by parameter | the parameter |
| ResourceReference, ResourceAttribute | by reference | the logical id of the resource |
| Automatic | modified | |

Two places where the template diff knows better, and is listened to:

* The *detail* of a property (``x86_64 → arm64``, ``(added TABLE)``): the change set is read
  without values, so the template diff's safe detail of the same property is kept.
* *Content over location*: when the template diff compared the same function and found a
  property equivalent although its text differs (a ``Code.S3Key`` that the Serverless
  Framework re-stamps for byte-identical code, an explicit default such as
  ``Architectures: [x86_64]``), the change set's ``DirectModification`` of it is not a change.
  This needs ``template_changes`` computed against the *deployed* template; pass ``{}`` to
  take the change set as it is.

A function the change set modifies without any details (CloudFormation always gives them;
moto does not) keeps the template diff's record. ``Replacement: Conditional`` on a function
counts as an update: it may well happen in place.

A reference CloudFormation can only evaluate during the update (``Evaluation: Dynamic``) counts
when the resource it names is replaced (or may be), added or removed, or is of a kind whose
attributes change on an in-place update (custom resources, nested stacks' outputs, SSM
parameters' values). A role or queue updated in place keeps its ARN, so a function that reads
``!GetAtt Role.Arn`` does not change when only the role's policy does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from reviewer.contract.enums import ChangeHow
from reviewer.contract.findings import PropertyChange
from reviewer.diff.function_changes import FunctionChange, Status
from reviewer.diff.properties import side_of
from reviewer.model.change_set import ChangeSetFacts, PropertyFact, ResourceChangeFacts
from reviewer.model.template import FUNCTION

_MODIFY = frozenset({"Modify", "Dynamic", "SyncWithActual"})
_DIRECT = "DirectModification"
_REFERENCES = frozenset({"ResourceReference", "ResourceAttribute"})
_PARAMETER = "ParameterReference"
#: Which source explains a property best when several details name it.
_RANK = {_DIRECT: 0, "ResourceReference": 1, "ResourceAttribute": 1, _PARAMETER: 2}
#: Types whose attributes can change on an in-place update.
_COMPUTED = ("Custom::", "AWS::CloudFormation::CustomResource", "AWS::CloudFormation::Stack",
             "AWS::SSM::Parameter")


def function_changes_from_change_set(
    stack_name: str,
    facts: ChangeSetFacts,
    template_changes: Mapping[str, FunctionChange],
) -> dict[str, FunctionChange]:
    """A change record for every function of ``template_changes`` and of the change set.

    ``stack_name`` is the stack's key in ``facts`` (the root stack's name, or
    ``<parent>.<logical id>`` for a nested one). Each record keeps the stack name of the
    template diff's record of the same function. Functions the change set does not touch are
    ``UNCHANGED``; parameters never count as unknown, because CloudFormation knows them.
    """
    stack = facts.stack(stack_name)
    resources = {r.logical_id: r for r in stack.resources} if stack is not None else {}
    extra = sorted(
        logical_id
        for logical_id, resource in resources.items()
        if resource.resource_type == FUNCTION and logical_id not in template_changes
    )
    out: dict[str, FunctionChange] = {}
    for logical_id in [*template_changes, *extra]:
        template = template_changes.get(logical_id)
        label = template.stack if template is not None else stack_name
        change = resources.get(logical_id)
        if change is None or change.resource_type != FUNCTION:
            out[logical_id] = FunctionChange(label, logical_id, Status.UNCHANGED)
        else:
            out[logical_id] = _record(label, change, resources, template)
    return out


def recreated_resources(stack_name: str, facts: ChangeSetFacts) -> set[str]:
    """Logical ids the change set adds or replaces: a version among them publishes anew."""
    stack = facts.stack(stack_name)
    if stack is None:
        return set()
    return {
        r.logical_id for r in stack.resources if r.action == "Add" or r.replacement == "True"
    }


def _record(
    stack: str,
    change: ResourceChangeFacts,
    resources: Mapping[str, ResourceChangeFacts],
    template: FunctionChange | None,
) -> FunctionChange:
    logical_id = change.logical_id
    if change.action not in _MODIFY:  # Import: the function is adopted as it is
        status = {"Add": Status.ADDED, "Remove": Status.REMOVED}.get(change.action)
        return FunctionChange(stack, logical_id, status or Status.UNCHANGED)
    if change.replacement == "True":
        return FunctionChange(stack, logical_id, Status.REPLACED)
    if not change.properties:
        # CloudFormation says which properties change; a change set without any details
        # (moto's, for one) says only *that* the function changes: the template diff says how.
        if template is not None and template.status is Status.UPDATED:
            return replace(template, stack=stack)
        return FunctionChange(stack, logical_id, Status.UPDATED)
    changes = _property_changes(change, resources, template)
    status = Status.UPDATED if changes else Status.UNCHANGED
    return FunctionChange(stack, logical_id, status, changes)


def _property_changes(
    change: ResourceChangeFacts,
    resources: Mapping[str, ResourceChangeFacts],
    template: FunctionChange | None,
) -> tuple[PropertyChange, ...]:
    """One change per property name, explained by its most direct source."""
    compared = template is not None and template.status in (Status.UPDATED, Status.UNCHANGED)
    known = {c.name: c for c in template.changes} if template is not None else {}
    best: dict[str, PropertyFact] = {}
    for fact in change.properties:
        name = _property_name(fact)
        if name is None or not _counts(fact, resources):
            continue
        if fact.change_source == _DIRECT and compared and name not in known:
            continue  # the template diff found it equivalent: a new location, a default
        held = best.get(name)
        if held is None or _rank(fact) < _rank(held):
            best[name] = fact
    return tuple(_property_change(name, best[name], known.get(name)) for name in sorted(best))


def _property_change(name: str, fact: PropertyFact, seen: PropertyChange | None) -> PropertyChange:
    detail = seen.detail if seen is not None else None
    source = fact.change_source
    if source == _PARAMETER:
        return PropertyChange(
            name, side_of(name), ChangeHow.BY_PARAMETER, detail, fact.causing_entity
        )
    if source in _REFERENCES:
        cause = _logical_id(fact.causing_entity)
        return PropertyChange(name, side_of(name), ChangeHow.BY_REFERENCE, detail, cause)
    how = ChangeHow.MODIFIED
    if seen is not None and seen.how in (ChangeHow.ADDED, ChangeHow.REMOVED):
        how = seen.how
    elif fact.path == f"/Properties/{name}" and fact.change_type in ("Add", "Remove"):
        how = ChangeHow.ADDED if fact.change_type == "Add" else ChangeHow.REMOVED
    return PropertyChange(name, side_of(name), how, detail)


def _property_name(fact: PropertyFact) -> str | None:
    """The function property a detail is about; None for Metadata and policies."""
    if fact.attribute == "Properties":
        return fact.name
    if fact.attribute == "Tags":
        return "Tags"
    return None


def _counts(fact: PropertyFact, resources: Mapping[str, ResourceChangeFacts]) -> bool:
    """Whether a detail changes the deployed function (see the module's last paragraph)."""
    if fact.change_source == "NoModification":
        return False
    if fact.evaluation != "Dynamic" or fact.change_source not in _REFERENCES:
        return True
    cause = resources.get(_logical_id(fact.causing_entity) or "")
    if cause is None or cause.action not in _MODIFY:
        return True
    return cause.replacement in ("True", "Conditional") or cause.resource_type.startswith(
        _COMPUTED
    )


def _rank(fact: PropertyFact) -> int:
    """Lower explains better. A *dynamic* direct modification comes along with the reference
    or parameter that causes it, and names no cause: it explains least."""
    if fact.change_source == _DIRECT and fact.evaluation == "Dynamic":
        return 3
    return _RANK.get(fact.change_source or "", 4)


def _logical_id(entity: str | None) -> str | None:
    """``MyRole`` from ``MyRole.Arn`` (ResourceAttribute) or ``MyRole`` (ResourceReference)."""
    return entity.split(".", 1)[0] if entity else None
