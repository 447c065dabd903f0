"""What a resource waits for in CloudFormation: its ``DependsOn`` and its references.

Asked backwards (who waits for this resource, who refers to it) once per function, a
question would read the whole template for each fix; :class:`StackIndex` reads it once per
stack.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from reviewer.model.intrinsics import referenced_ids
from reviewer.model.template import StackTemplate


def depends_on(stack: StackTemplate, logical_id: str) -> set[str]:
    """The logical ids ``logical_id`` names in its ``DependsOn``."""
    section = stack.body.get("Resources")
    raw = section.get(logical_id) if isinstance(section, Mapping) else None
    value = raw.get("DependsOn") if isinstance(raw, Mapping) else None
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(v) for v in value}
    return set()


def dependencies(stack: StackTemplate, logical_id: str) -> set[str]:
    """Every resource ``logical_id`` waits for, through ``DependsOn`` and references."""
    seen: set[str] = set()
    pending = [logical_id]
    while pending:
        current = pending.pop()
        resource = stack.resources.get(current)
        if resource is None:
            continue
        following = referenced_ids(resource.properties) | depends_on(stack, current)
        for name in following:
            if name in stack.resources and name not in seen:
                seen.add(name)
                pending.append(name)
    return seen


def dependents(stack: StackTemplate, logical_id: str) -> list[str]:
    """The resources whose ``DependsOn`` names ``logical_id``, in template order."""
    return list(index_of(stack).dependents.get(logical_id, ()))


def referrers(stack: StackTemplate, logical_id: str) -> list[str]:
    """The resources whose properties name ``logical_id`` (``referenced_ids``), in template
    order."""
    return list(index_of(stack).referrers.get(logical_id, ()))


def in_template_order(stack: StackTemplate, names: set[str]) -> list[str]:
    """The resources among ``names``, in the order the template writes them."""
    position = index_of(stack).position
    return sorted((name for name in names if name in position), key=position.__getitem__)


@dataclass(frozen=True)
class StackIndex:
    """For each logical id, where the template writes it and the resources that name it (in
    template order)."""

    #: Each resource's place in the template.
    position: dict[str, int]

    #: ... in their ``DependsOn``.
    dependents: dict[str, list[str]]
    #: ... in their properties (``Ref``, ``GetAtt``, ``Sub``: ``referenced_ids``).
    referrers: dict[str, list[str]]

    @classmethod
    def of(cls, stack: StackTemplate) -> StackIndex:
        dependents: dict[str, list[str]] = {}
        referrers: dict[str, list[str]] = {}
        for logical_id, resource in stack.resources.items():
            for name in depends_on(stack, logical_id):
                dependents.setdefault(name, []).append(logical_id)
            for name in referenced_ids(resource.properties):
                referrers.setdefault(name, []).append(logical_id)
        return cls({name: n for n, name in enumerate(stack.resources)}, dependents, referrers)


#: Stacks whose index is kept: a check fixes a new template and its baseline, per stack.
_KEPT = 8
#: The indexes of the stacks asked about last, by identity; each is kept with its stack, so
#: that the identity is not reused while the index is kept.
_INDEXES: OrderedDict[int, tuple[StackTemplate, StackIndex]] = OrderedDict()


def index_of(stack: StackTemplate) -> StackIndex:
    """The index of ``stack``, built on first use (a stack is not changed once loaded)."""
    kept = _INDEXES.get(id(stack))
    if kept is not None and kept[0] is stack:
        _INDEXES.move_to_end(id(stack))
        return kept[1]
    index = StackIndex.of(stack)
    _INDEXES[id(stack)] = (stack, index)
    while len(_INDEXES) > _KEPT:
        _INDEXES.popitem(last=False)
    return index
