"""Every deployment a template can make: what its conditions leave open, judged as worlds.

A condition is decided by what is *known* of a deployment: parameter values given as
overrides, read from samconfig or from the deployed stack. A ``Default`` is not such a fact:
``aws cloudformation deploy`` and ``sam deploy`` keep a parameter's previous value when none
is given, and a user may pass any value. Pseudo parameters (``AWS::Partition``,
``AWS::Region``, ...) are not known before the deployment either. Conditions that read such
names are *open*.

Deciding each ``Fn::If`` on its own, as if its condition could be true for one property and
false for the next, reports changes that no deployment makes: ``Code: !If [Zip, A, B]`` and
``Layers: !If [Zip, [], [L]]`` never change together, whatever ``Zip`` is. So the open names
are given values together: a :class:`World` is one consistent assignment, under which every
condition of both sides is decided. The values tried for a name are those its comparisons
tell apart (every constant it is compared with, its ``Default``, its ``AllowedValues``, and
one value that equals none of them); a comparison of two values that are both still open
(``!Equals [!Join ["", !Ref Subnets], ""]``) is a truth of its own. Assignments that decide
every condition alike are one world. A stack is then judged once per world, and a finding
that holds in some worlds only names them (:meth:`StackWorlds.describe`).

The number of worlds grows with the open names; past :data:`MAX_ASSIGNMENTS` tried or
:data:`MAX_WORLDS` distinct ones the conditions are decided the former way (defaults decide,
the rest property by property) and the note says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from reviewer.model.intrinsics import referenced_ids
from reviewer.model.resolve import PSEUDO, Resolver, comparison_key
from reviewer.model.template import FUNCTION, StackTemplate

#: The value tried for a name that equals none of the constants it is compared with.
OTHER: Final = "\x00another value"
MAX_ASSIGNMENTS: Final = 4096
MAX_WORLDS: Final = 32
#: Conditions named in a finding's "when ...", at most.
_NAMED: Final = 3


@dataclass(frozen=True)
class World:
    """One assignment of what a stack leaves open, and the conditions as it decides them.

    ``values``: open parameters and pseudo parameters with the value tried (never shown);
    ``facts``: comparisons of two open values, by :func:`comparison_key`, with their truth;
    ``conditions``: each open condition with its value (the new template's, else the old's).
    """

    values: tuple[tuple[str, str], ...] = ()
    facts: tuple[tuple[str, bool], ...] = ()
    conditions: tuple[tuple[str, bool], ...] = ()

    def holds(self, condition: str) -> bool | None:
        return dict(self.conditions).get(condition)


@dataclass(frozen=True)
class StackWorlds:
    """The worlds of one stack (its baseline and new template judged in the same world).

    ``worlds`` holds at least one; ``None`` in it means "decided the former way" (too many
    combinations, or nothing open). ``open`` names the conditions whose value differs
    between the worlds, ``reads`` what they read that is not known.
    """

    worlds: tuple[World | None, ...] = (None,)
    open: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    gave_up: bool = False

    def describe(self, held: Collection[int], prefer: Collection[str] = ()) -> str | None:
        """In which worlds something holds, as "when X is true and Y is false"; None when it
        holds in every world. ``prefer``: conditions to name first (those the function reads)."""
        if len(held) >= len(self.worlds) or not held:
            return None
        inside = [self.worlds[index] for index in sorted(held)]
        outside = [w for index, w in enumerate(self.worlds) if index not in held]
        steady: list[tuple[str, bool]] = []
        for name in self.open:
            values = {w.holds(name) for w in inside if w is not None}
            if len(values) != 1:
                continue
            (value,) = values
            if value is not None and any(
                w is not None and w.holds(name) is not value for w in outside
            ):
                steady.append((name, value))
        steady.sort(key=lambda item: item[0] not in prefer)
        named = self._fewest(steady, set(held))
        if named is not None:
            return "when " + _conjunction(named)
        first = inside[0]
        example = [item for item in (first.conditions if first else ()) if item[0] in self.open]
        example.sort(key=lambda item: item[0] not in prefer)
        where = f"in {len(held)} of the {len(self.worlds)} deployments the conditions allow"
        return f"{where} (such as when {_conjunction(example[:_NAMED])})" if example else where

    def _fewest(
        self, steady: Sequence[tuple[str, bool]], held: set[int]
    ) -> list[tuple[str, bool]] | None:
        """The fewest of ``steady`` (taken in order) that hold in exactly the ``held``
        worlds; None when no more than :data:`_NAMED` of them tell those worlds apart."""
        named: list[tuple[str, bool]] = []
        matching = set(range(len(self.worlds)))
        for name, value in steady:
            narrower = {i for i in matching if _holds(self.worlds[i], name) is value}
            if narrower == matching:
                continue
            named.append((name, value))
            matching = narrower
            if matching == held:
                return named if len(named) <= _NAMED else None
        return None

    def note(self) -> str | None:
        """What the report says about how the stack was judged; names, never values."""
        if self.gave_up:
            return (
                "too many combinations of conditions to judge each deployment the template "
                f"can make (more than {MAX_WORLDS}): conditions were decided by parameter "
                "defaults, and property by property where nothing decides them"
            )
        if len(self.worlds) < 2:
            return None
        one = len(self.open) == 1
        which = f"condition{'' if one else 's'} {_names(self.open)} {'is' if one else 'are'}"
        reads = f" ({'it reads' if one else 'they read'} {_names(self.reads)}, not known before"
        return (
            f"judged as {len(self.worlds)} deployments: {which} open"
            + (f"{reads} the deployment)" if self.reads else "")
        )


def _holds(world: World | None, condition: str) -> bool | None:
    return world.holds(condition) if world is not None else None


def _conjunction(items: Sequence[tuple[str, bool]]) -> str:
    return " and ".join(f"{name} is {'true' if value else 'false'}" for name, value in items)


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def stack_worlds(
    new: StackTemplate | None,
    old: StackTemplate | None,
    symbolic: Collection[str] = (),
) -> StackWorlds:
    """The worlds in which ``new`` (deployed over ``old``, when there is one) is judged.

    ``symbolic``: parameters whose value is not known on one of the sides, or that a parent
    stack passes in; they are open whatever a side knows.
    """
    sides = [stack for stack in (new, old) if stack is not None]
    if not any(stack.body.get("Conditions") for stack in sides):
        return StackWorlds()
    used = _used_conditions(sides)
    candidates, facts = _open_names(sides, used, symbolic)
    if not candidates and not facts:
        return StackWorlds((World(),))  # the one deployment: decided by facts alone
    tried = 1
    for values in candidates.values():
        tried *= len(values)
    tried *= 2 ** len(facts)
    if tried > MAX_ASSIGNMENTS:
        return StackWorlds(gave_up=True, reads=tuple(sorted(candidates)))
    by_signature: dict[tuple[Any, ...], World] = {}
    for world in _assignments(candidates, facts):
        signature, decided = _decide(world, sides, used, symbolic)
        if signature not in by_signature:
            by_signature[signature] = World(world.values, world.facts, decided)
            if len(by_signature) > MAX_WORLDS:
                return StackWorlds(gave_up=True, reads=tuple(sorted(candidates)))
    worlds = list(by_signature.values())
    if len(worlds) < 2:  # every deployment decides alike: judged once, nothing to name
        return StackWorlds(tuple(worlds))
    open_conditions = tuple(
        name
        for name in used
        if len({w.holds(name) for w in worlds}) > 1
    )
    worlds = [
        World(w.values, w.facts, tuple(c for c in w.conditions if c[0] in open_conditions))
        for w in worlds
    ]
    former = [Resolver(stack, symbolic) for stack in sides]
    worlds.sort(key=lambda w: -_likeness(w, former))
    reads = tuple(sorted(name for name, _ in worlds[0].values))
    return StackWorlds(tuple(worlds), open_conditions, reads)


def _used_conditions(sides: Sequence[StackTemplate]) -> tuple[str, ...]:
    """The conditions to judge together, in the order the templates declare them.

    Only a function that changes can race, so the conditions that matter are those of a
    changing function: its own ``Condition`` (it may exist in some deployments only) and
    those its changing properties read. A property changes when it is
    written differently on the two sides or reads (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
    ``Fn::FindInMap``, ``Fn::If``) a parameter, mapping, condition or resource that changes;
    without a baseline every property counts. The other conditions stay open: what they
    guard is kept and their ``Fn::If`` keeps both branches, which for a caller means "it
    may exist": it counts.
    """
    changed, entries = _changes(sides)
    named: set[str] = set()
    for (section, key), written in entries.items():
        if section != "Resources" or key not in changed:
            continue
        kinds = {entry.get("Type") for entry in written if isinstance(entry, Mapping)}
        if FUNCTION not in kinds:
            continue
        for entry in written:
            own = entry.get("Condition") if isinstance(entry, Mapping) else None
            if isinstance(own, str):
                named.add(own)
        properties = [_properties(entry) for entry in written]
        for name in dict.fromkeys(n for found in properties for n in found):
            values = [found.get(name) for found in properties]
            reads = _names_read(values)
            if len(sides) == 1 or values[0] != values[1] or reads & changed:
                named |= conditions_read(values)
    order: list[str] = []
    for stack in sides:
        order.extend(str(name) for name in _section(stack, "Conditions") if name in named)
    return tuple(dict.fromkeys(order))


def _properties(entry: Any) -> Mapping[str, Any]:
    properties = entry.get("Properties") if isinstance(entry, Mapping) else None
    return properties if isinstance(properties, Mapping) else {}


def _changes(
    sides: Sequence[StackTemplate],
) -> tuple[set[str], dict[tuple[str, str], list[Any]]]:
    """The names that change (parameters, mappings, conditions, and resources and outputs
    written differently or reading a name that changes, to a fixed point) and each entry
    of the resources and outputs as the sides write it. Without a baseline, all change."""
    entries = {
        (section, key): [_section(stack, section).get(key) for stack in sides]
        for section in ("Resources", "Outputs")
        for key in dict.fromkeys(str(k) for stack in sides for k in _section(stack, section))
    }
    if len(sides) == 1:
        return {key for _, key in entries}, entries
    changed: set[str] = set()
    for section in ("Parameters", "Mappings", "Conditions"):
        old, new = _section(sides[1], section), _section(sides[0], section)
        changed |= {str(k) for k in set(old) | set(new) if old.get(k) != new.get(k)}
    reads = {key: _names_read(written) for key, written in entries.items()}
    pending = True
    while pending:
        pending = False
        for key, written in entries.items():
            if key[1] in changed:
                continue
            if written[0] != written[1] or reads[key] & changed:
                changed.add(key[1])
                pending = True
    return changed, entries


def _names_read(value: Any) -> set[str]:
    """The names a value reads: what it references (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``),
    the maps of its ``Fn::FindInMap`` and the conditions it names."""
    return referenced_ids(value) | _maps_read(value) | conditions_read(value)


def _maps_read(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _maps_read(item)
    elif isinstance(value, Mapping):
        for key, arg in value.items():
            if key == "Fn::FindInMap" and isinstance(arg, list) and arg and isinstance(arg[0], str):
                found.add(arg[0])
            found |= _maps_read(arg)
    return found


def _section(stack: StackTemplate, name: str) -> Mapping[str, Any]:
    entries = stack.body.get(name)
    return entries if isinstance(entries, Mapping) else {}


def conditions_read(value: Any) -> set[str]:
    """The conditions a value names (``Condition`` keys and ``Fn::If``), at any depth."""
    named: set[str] = set()
    _collect_names(value, named)
    return named


def _collect_names(value: Any, named: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect_names(item, named)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Condition" and isinstance(item, str):
                named.add(item)
            elif key == "Fn::If" and isinstance(item, list) and item and isinstance(item[0], str):
                named.add(item[0])
            _collect_names(item, named)


def _open_names(
    sides: Sequence[StackTemplate], used: Sequence[str], symbolic: Collection[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """What the conditions read that is open: names with the values worth trying, and
    comparisons of two open values (by key)."""
    constants: dict[str, set[str]] = {}
    facts: dict[str, None] = {}
    for stack in sides:
        probe = Resolver(stack, symbolic, World())
        for left, right in probe.comparisons(used):
            if isinstance(left, str) and isinstance(right, str):
                continue  # decided by what is known
            name_left, name_right = _open_name(left), _open_name(right)
            if name_left is not None and isinstance(right, str):
                constants.setdefault(name_left, set()).add(right)
            elif name_right is not None and isinstance(left, str):
                constants.setdefault(name_right, set()).add(left)
            else:
                facts[comparison_key(left, right)] = None
    candidates = {
        name: _tried_values(name, found, sides) for name, found in sorted(constants.items())
    }
    return candidates, list(facts)


def _open_name(value: Any) -> str | None:
    if isinstance(value, Mapping) and len(value) == 1:
        arg = value.get("Ref")
        if isinstance(arg, str):
            return arg
    return None


def _tried_values(name: str, constants: set[str], sides: Sequence[StackTemplate]) -> list[str]:
    """The values worth trying for an open name: its default first, the constants it is
    compared with, and one that equals none of them unless ``AllowedValues`` rules it out."""
    values: list[str] = []
    allowed: set[str] | None = None
    for stack in sides:
        declared = stack.parameters.get(name, {})
        default = declared.get("Default")
        if default is not None and not isinstance(default, list | dict):
            values.append(_text(default))
        listed = declared.get("AllowedValues")
        if isinstance(listed, list):
            allowed = (allowed or set()) | {_text(item) for item in listed}
    values.extend(sorted(constants))
    if allowed is None:
        values.append(OTHER)
    else:
        values = [value for value in values if value in allowed] or sorted(allowed)[:1]
    if name in PSEUDO:
        values = [value for value in values if value != OTHER] + [OTHER]
    return list(dict.fromkeys(values))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _assignments(candidates: Mapping[str, list[str]], facts: Sequence[str]) -> Iterator[World]:
    names = list(candidates)
    for values in itertools.product(*(candidates[name] for name in names)):
        for truths in itertools.product((True, False), repeat=len(facts)):
            yield World(
                tuple(zip(names, values, strict=True)), tuple(zip(facts, truths, strict=True))
            )


def _decide(
    world: World, sides: Sequence[StackTemplate], used: Sequence[str], symbolic: Collection[str]
) -> tuple[tuple[Any, ...], tuple[tuple[str, bool], ...]]:
    """The value of every used condition on each side in ``world``: its signature (worlds
    with one signature deploy alike) and the conditions' values to name it by."""
    signature: list[Any] = []
    named: dict[str, bool] = {}
    for stack in reversed(sides):  # the new template's value names the condition
        resolver = Resolver(stack, symbolic, world)
        for name in used:
            value = resolver.condition(name)
            signature.append(value)
            if value is not None:
                named[name] = value
    return tuple(signature), tuple((name, named[name]) for name in used if name in named)


def _likeness(world: World, former: Sequence[Resolver]) -> int:
    """How many conditions a world decides as the parameters' defaults would (``former``:
    each side's resolver without a world): the world the former judgement saw comes first."""
    return sum(
        resolver.condition(name) is value
        for resolver in former
        for name, value in world.conditions
    )
