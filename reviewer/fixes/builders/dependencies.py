"""What a resource waits for in CloudFormation: its ``DependsOn`` and its references."""

from __future__ import annotations

from collections.abc import Mapping

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
    """The resources whose ``DependsOn`` names ``logical_id``."""
    return [other for other in stack.resources if logical_id in depends_on(stack, other)]
