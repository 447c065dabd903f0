"""Per function: which properties change, grouped by the Lambda call that applies them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from reviewer.contract.enums import ChangeHow, Side
from reviewer.contract.findings import PropertyChange
from reviewer.diff.nested import nested_detail
from reviewer.diff.properties import DEFAULTS, SHOW_VALUES, side_of
from reviewer.diff.stack_diff import CauseKind, StackDiff
from reviewer.model.intrinsics import find_hits
from reviewer.model.template import FUNCTION, VERSION, StackTemplate


class Status(StrEnum):
    UPDATED = "updated"
    ADDED = "added"
    REPLACED = "replaced"
    REMOVED = "removed"
    UNCHANGED = "unchanged"




@dataclass(frozen=True)
class FunctionChange:
    """How one ``AWS::Lambda::Function`` changes between the two sides of a stack."""

    stack: str
    function: str
    status: Status
    changes: tuple[PropertyChange, ...] = ()
    unknown_parameters: tuple[str, ...] = ()

    def on(self, *sides: Side) -> list[PropertyChange]:
        return [c for c in self.changes if c.side in sides]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.changes]


def function_changes(diff: StackDiff) -> dict[str, FunctionChange]:
    """A change record for every function of the new template (and removed ones)."""
    old, new = diff.old, diff.new
    out: dict[str, FunctionChange] = {}
    hashes = (_code_hashes(old), _code_hashes(new))
    for logical_id, resource in new.of_type(FUNCTION).items():
        stack = new.name
        if logical_id in diff.added:
            out[logical_id] = FunctionChange(stack, logical_id, Status.ADDED)
        elif logical_id in diff.replaced:
            out[logical_id] = FunctionChange(stack, logical_id, Status.REPLACED)
        else:
            before = old.resources[logical_id].properties
            changes = _property_changes(diff, logical_id, before, resource.properties, hashes)
            unknown = tuple(_unknowns(diff, before, resource.properties)) if changes else ()
            status = Status.UPDATED if changes else Status.UNCHANGED
            out[logical_id] = FunctionChange(stack, logical_id, status, tuple(changes), unknown)
    for logical_id in old.of_type(FUNCTION):
        if logical_id in diff.removed:
            out[logical_id] = FunctionChange(new.name, logical_id, Status.REMOVED)
    return out


def _property_changes(
    diff: StackDiff,
    logical_id: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    hashes: tuple[Mapping[str, tuple[str, ...]], Mapping[str, tuple[str, ...]]],
) -> list[PropertyChange]:
    """``hashes``: the code hashes of each function on the old and the new side.

    Properties are compared as each side deploys them (``diff.old_values`` and
    ``diff.new_values``), so a value spelled differently but deployed alike is no change.
    """
    changes: list[PropertyChange] = []
    old_values = _mapping(diff.old_values.value(before))
    new_values = _mapping(diff.new_values.value(after))
    for name in sorted(set(before) | set(after)):
        old_value = old_values.get(name, diff.old_values.value(DEFAULTS.get(name)))
        new_value = new_values.get(name, diff.new_values.value(DEFAULTS.get(name)))
        if name == "Code":
            differs = _code_identity(hashes[0], logical_id, old_value) != _code_identity(
                hashes[1], logical_id, new_value
            )
        else:
            differs = not _equivalent(old_value, new_value)
        if differs:
            through = _parameter_through(diff, before.get(name), after.get(name))
            if through is not None:
                how = ChangeHow.BY_PARAMETER
                changes.append(PropertyChange(name, side_of(name), how, None, through))
            else:
                # Values are shown only as the template writes them: one that comes from a
                # parameter or a mapping is a value this tool never prints.
                written = _plain(before.get(name, DEFAULTS.get(name))) and _plain(
                    after.get(name, DEFAULTS.get(name))
                )
                change = _describe(name, old_value, new_value, show=written)
                if name == "Code":
                    change = _local_code(diff, logical_id, change)
                changes.append(change)
            continue
        causes = diff.causes(new_value)
        if causes:
            how = (
                ChangeHow.BY_PARAMETER if causes[0].kind is CauseKind.PARAMETER
                else ChangeHow.BY_REFERENCE
            )
            changes.append(PropertyChange(name, side_of(name), how, None, causes[0].name))
    return changes


def _parameter_through(diff: StackDiff, before: Any, after: Any) -> str | None:
    """The changed parameter through which a value written alike on both sides changes."""
    if before is None or before != after:
        return None
    for hit in find_hits(after):
        if hit.attribute is None and not hit.literal and hit.target in diff.changed_parameters:
            return hit.target
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    """Evaluated properties; ``Properties: !Ref AWS::NoValue`` (or another non-mapping) has none."""
    return value if isinstance(value, Mapping) else {}


def _unknowns(diff: StackDiff, before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    """Parameters without a known value on some side that the function's values depend on
    (a parameter a parent stack passes is known when the parent can tell whether it changes,
    though neither side's value is)."""
    return (
        diff.old_values.unknown_names(diff.old_values.value(before))
        | diff.new_values.unknown_names(diff.new_values.value(after))
    ) & diff.unknown_parameters


def _equivalent(old: Any, new: Any) -> bool:
    empty: tuple[Any, ...] = (None, {}, [], "")
    return old == new or (old in empty and new in empty)


def _code_hashes(stack: StackTemplate) -> dict[str, tuple[str, ...]]:
    """For each function, the ``CodeSha256`` of every version that names it, sorted.

    One pass over the versions of a stack, shared by all its functions.
    """
    found: dict[str, list[str]] = {}
    for version in stack.of_type(VERSION).values():
        digest = version.properties.get("CodeSha256")
        if not isinstance(digest, str):
            continue
        for target in {h.target for h in find_hits(version.properties.get("FunctionName"))}:
            found.setdefault(target, []).append(digest)
    return {function: tuple(sorted(digests)) for function, digests in found.items()}


def _code_identity(hashes: Mapping[str, tuple[str, ...]], function: str, code: Any) -> Any:
    """Code identity is content, not location.

    When a version of the function records ``CodeSha256`` (the Serverless Framework does), the
    hash identifies the code and the S3 location does not: re-packaging writes a new key for
    byte-identical code. ``hashes`` comes from ``_code_hashes`` of the function's stack.
    """
    if not isinstance(code, Mapping):
        return code
    if not hashes.get(function):
        return dict(code)
    location = {"S3Bucket", "S3Key", "S3ObjectVersion"}
    return (hashes[function], {k: v for k, v in code.items() if k not in location})


#: Properties whose nested keys are named (:mod:`reviewer.diff.nested`).
NESTED = frozenset({"Environment", "Tags", "Layers", "VpcConfig"})


def _describe(name: str, old: Any, new: Any, *, show: bool = True) -> PropertyChange:
    side = side_of(name)
    if old is None:
        return PropertyChange(name, side, ChangeHow.ADDED)
    if new is None:
        return PropertyChange(name, side, ChangeHow.REMOVED)
    detail: str | None = None
    if show and name in SHOW_VALUES and _plain(old) and _plain(new):
        detail = f"{_show(old)} → {_show(new)}"
    elif name in NESTED:
        detail = nested_detail(name, old, new)
    elif name == "Code" and isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        detail = f"({', '.join(keys)})" if keys else None
    return PropertyChange(name, side, ChangeHow.MODIFIED, detail)


def _local_code(diff: StackDiff, logical_id: str, change: PropertyChange) -> PropertyChange:
    """A change of code read from a local folder on both sides (SAM's ``CodeUri``), said as
    what the user changed: the folder (``Code (src/ changed)``), not the hash standing in for
    it in ``S3Key``."""
    old = diff.old.code_folders.get(logical_id)
    new = diff.new.code_folders.get(logical_id)
    if old is None or new is None:
        return change
    detail = f"({new} changed)" if old == new else f"({old} → {new})"
    return replace(change, detail=detail)


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, str | int) for v in value)
    return isinstance(value, str | int | float)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
