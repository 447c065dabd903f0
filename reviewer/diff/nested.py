"""What changes inside a function property, by name: environment variables and tags by key,
layers by name, VPC subnets and security groups by id. Never a value: an environment
variable's or a tag's value is a secret as far as a report knows.

The nested comparison is deepdiff's, configured so that it never stops early: a small mapping
whose keys mostly change is still compared key by key (``threshold_to_diff_deeper=0``; by
default deepdiff reports such a mapping as replaced whole, and the names would be lost).
Layers keep their order (it decides which layer's files win); subnets and security groups
are sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reviewer.model.intrinsics import reference_of
from reviewer.model.layer_catalogue import LayerArn, arn_text


def nested_detail(name: str, old: Any, new: Any) -> str | None:
    """``(added API_URL; changed LOG_LEVEL)``, ``(swapped deps-x86_64:4 for deps-arm64:1)``;
    None when nothing is named (the property is then shown by name alone)."""
    if name == "Environment":
        return _keys(_variables(old), _variables(new))
    if name == "Tags":
        return _keys(_tags(old), _tags(new))
    if name == "Layers" and isinstance(old, list) and isinstance(new, list):
        return _layers(old, new)
    if name == "VpcConfig" and isinstance(old, Mapping) and isinstance(new, Mapping):
        return _vpc(old, new)
    return None


def _diff(old: Any, new: Any, *, ignore_order: bool = False) -> Any:
    from deepdiff import DeepDiff

    return DeepDiff(old, new, threshold_to_diff_deeper=0, ignore_order=ignore_order, view="tree")


def _keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """Which keys are added, removed or changed: names only."""
    diff = _diff(dict(old), dict(new))
    found: dict[str, set[str]] = {"added": set(), "removed": set(), "changed": set()}
    for kind, levels in diff.items():
        for level in levels:
            path = level.path(output_format="list")
            whole = len(path) == 1
            verb = (
                "added" if whole and kind == "dictionary_item_added"
                else "removed" if whole and kind == "dictionary_item_removed"
                else "changed"  # the value, or something inside it
            )
            found[verb].add(str(path[0]))
    parts = [f"{verb} {', '.join(sorted(keys))}" for verb, keys in found.items() if keys]
    return "(" + "; ".join(parts) + ")" if parts else None


def _layers(old: list[Any], new: list[Any]) -> str | None:
    if old == new:
        return None
    before, after = [_layer_name(v) for v in old], [_layer_name(v) for v in new]
    diff = _diff(before, after, ignore_order=True)
    # deepdiff pairs a removed item with a close added one and calls that a changed value;
    # its order follows hashes, so each list is put back in the template's order
    swapped = sorted(
        ((level.t1, level.t2) for level in diff.get("values_changed", [])),
        key=lambda pair: before.index(pair[0]),
    )
    added = sorted((level.t2 for level in diff.get("iterable_item_added", [])), key=after.index)
    removed = sorted(
        (level.t1 for level in diff.get("iterable_item_removed", [])), key=before.index
    )
    if len(added) == len(removed) == 1 and not swapped:
        swapped, added, removed = [(removed[0], added[0])], [], []
    parts = [f"swapped {before} for {after}" for before, after in swapped]
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    return "(" + "; ".join(parts) + ")" if parts else "(reordered)"


def _layer_name(value: Any) -> str:
    """A layer as a person names it: ``Datadog-Extension:68`` for an ARN, the logical id for a
    layer of the template."""
    text = arn_text(value)
    if text is not None:
        arn = LayerArn.parse(text)
        if arn is not None:
            return f"{arn.name}:{arn.version}" if arn.version else arn.name
        return text if ":" not in text else "a layer"
    return _reference(value) or "a layer"


def _reference(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` names."""
    reference = reference_of(value)
    return reference[0] if reference is not None else None


def _vpc(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    parts = []
    for key, label in (("SubnetIds", "subnets"), ("SecurityGroupIds", "security groups")):
        before, after = _ids(old.get(key)), _ids(new.get(key))
        diff = _diff(before, after, ignore_order=True)
        changed = list(diff.get("values_changed", []))  # a removed id paired with an added one
        added = sorted(
            (str(level.t2) for level in [*diff.get("iterable_item_added", []), *changed]),
            key=after.index,
        )
        removed = sorted(
            (str(level.t1) for level in [*diff.get("iterable_item_removed", []), *changed]),
            key=before.index,
        )
        if added:
            parts.append(f"{label} added {', '.join(added)}")
        if removed:
            parts.append(f"{label} removed {', '.join(removed)}")
    return "(" + "; ".join(parts) + ")" if parts else None


def _ids(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item if isinstance(item, str) else _reference(item) or "a reference" for item in value]


def _variables(environment: Any) -> dict[str, Any]:
    if isinstance(environment, Mapping):
        variables = environment.get("Variables")
        if isinstance(variables, Mapping):
            return {str(k): v for k, v in variables.items()}
    return {}


def _tags(tags: Any) -> dict[str, Any]:
    if isinstance(tags, list):
        return {
            str(t.get("Key")): t.get("Value") for t in tags if isinstance(t, Mapping) and "Key" in t
        }
    if isinstance(tags, Mapping):
        return {str(k): v for k, v in tags.items()}
    return {}
