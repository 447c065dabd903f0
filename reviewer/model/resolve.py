"""Values as CloudFormation deploys them: intrinsic functions evaluated where they can be.

Two templates can spell one deployed value in many ways: ``LOG_LEVEL: INFO`` and
``LOG_LEVEL: !Ref LogLevel`` with ``Default: INFO``; ``Timeout: 30`` and ``!Ref Timeout``
(``"30"``); a URL written out and the same URL built with ``!Sub`` from a ``!FindInMap``; a
value behind ``!If [Cond, other, value]`` whose condition is false. :class:`Resolver` turns a
value of one side into what that side deploys, so that comparing two sides compares values.

What is evaluated, with the side's parameter values (overrides, the deployed stack's values,
defaults): ``Ref`` of a parameter, ``Fn::If`` and the ``Conditions`` it names (``Fn::Equals``,
``Fn::And``, ``Fn::Or``, ``Fn::Not``, ``Condition``), ``AWS::NoValue`` (the key or item is
dropped), ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap`` (also its
``DefaultValue`` form) and ``Fn::Length``. Numbers and booleans become the text CloudFormation
passes to the service (``30`` and ``"30"`` are one value).

What cannot be known stays as it is written, with its arguments evaluated: references to
resources and their attributes, pseudo parameters (the same on both sides of one stack), and
parameters in ``symbolic`` (those without a value on one of the two sides: "unknown", not
"changed"). A partly known ``Fn::Sub`` or ``Fn::Join`` becomes one canonical ``Fn::Sub`` text,
so ``!Sub "arn:${AWS::Partition}:s3:::${Bucket}"`` and the equivalent ``!Join`` compare equal.

:func:`deployed_view` drops what a side does not deploy: resources and outputs whose
``Condition`` is false, and the branches of ``Fn::If`` that are not taken.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from reviewer.model.template import StackTemplate

if TYPE_CHECKING:
    from reviewer.model.worlds import World

#: The pseudo parameters: references to them are kept, they read the same on both sides.
PSEUDO: Final = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
_LIST_TYPES = ("CommaDelimitedList", "List<")
#: The parameter types whose value is read from SSM when the stack deploys.
SSM_TYPE = "AWS::SSM::Parameter::Value<"
_SUB_TOKEN = re.compile(r"\$\{([^}]*)\}")
_INDEX = re.compile(r"[0-9]+")


class _NoValue:
    """``AWS::NoValue``: the key or list item that holds it is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()


#: The resolver of each stack of one side (a nested stack's values are its parent's to give).
Resolvers = Callable[[StackTemplate], "Resolver"]


class Resolver:
    """Evaluates the values of one side of one stack.

    ``symbolic`` names parameters whose ``Ref`` is kept as written even when this side knows
    a value: the caller passes those that are unknown on the other side, so that a value
    known on one side only reads as unknown rather than as changed.

    ``world`` (see :mod:`reviewer.model.worlds`) decides the conditions as one deployment
    would: a parameter's value is a fact only when it is known (an override, samconfig, the
    deployed stack), never because it is the ``Default``; what is open (such a parameter, a
    pseudo parameter, a comparison of values not known here) takes the value the world gives
    it. Without a world, conditions are decided by what is known, defaults included, and a
    condition that reads a pseudo parameter stays undecided.
    """

    def __init__(
        self, stack: StackTemplate, symbolic: Iterable[str] = (), world: World | None = None
    ) -> None:
        self._stack = stack
        self._symbolic = frozenset(symbolic)
        #: Values of open names (parameters, pseudo parameters) given by a world, and the
        #: truth of comparisons it decides; defaults count only without a world.
        self._assigned: Mapping[str, str] = {}
        self._facts: Mapping[str, bool] = {}
        self._defaults = True
        #: Who decides conditions: this resolver, or (in a world) one that knows the world.
        self._judge: Resolver = self
        if world is not None:
            self._judge = Resolver(stack, symbolic)
            self._judge._assigned = dict(world.values)
            self._judge._facts = dict(world.facts)
            self._judge._defaults = False
        conditions = stack.body.get("Conditions")
        self._conditions: Mapping[str, Any] = conditions if isinstance(conditions, Mapping) else {}
        mappings = stack.body.get("Mappings")
        self._mappings: Mapping[str, Any] = mappings if isinstance(mappings, Mapping) else {}
        self._condition_values: dict[str, bool | None] = {}
        self._evaluating: set[str] = set()
        self._memo: dict[int, tuple[Any, Any]] = {}
        self._handlers: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::If": self._if,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Length": self._length,
        }

    # -- values ---------------------------------------------------------------------------

    def value(self, value: Any) -> Any:
        """``value`` as this side deploys it (see the module doc); ``NO_VALUE`` when absent."""
        entry = self._memo.get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1]
        resolved = self._value(value)
        if isinstance(value, Mapping | list):
            self._memo[id(value)] = (value, resolved)
        return resolved

    def _value(self, value: Any) -> Any:
        if isinstance(value, bool | int | float):
            return _scalar(value)
        if isinstance(value, list):
            items = (self.value(item) for item in value)
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._handlers.get(str(key))
            if handler is not None:
                return handler(arg)
            if str(key).startswith("Fn::") or key == "Condition":
                return {key: self.value(arg)}
        out = {str(k): self.value(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}

    def _parameter(self, name: str) -> Any:
        """The value of a parameter on this side, or None when it is not known here."""
        if name in self._assigned:
            return self._assigned[name]
        if name in self._symbolic or name not in self._stack.parameters:
            return None
        if self._defaults:
            value = self._stack.parameter_value(name)
        else:
            value = self._stack.parameter_values.get(name)
        kind = str(self._stack.parameters[name].get("Type", ""))
        if value is None or kind.startswith(SSM_TYPE):
            return None  # an SSM parameter's value is read at deploy time: not known here
        if kind.startswith(_LIST_TYPES):
            if isinstance(value, list):
                items = [_literal(item) for item in value]
                return items if all(isinstance(item, str) for item in items) else None
            return [item.strip() for item in str(value).split(",")]
        resolved = _literal(value)  # a parameter value is a literal, never a function
        return resolved if isinstance(resolved, str) else None

    def _ref(self, arg: Any) -> Any:
        if not isinstance(arg, str):
            return {"Ref": self.value(arg)}
        if arg == "AWS::NoValue":
            return NO_VALUE
        known = self._parameter(arg)
        return {"Ref": arg} if known is None else known

    def _if(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            return {"Fn::If": self.value(arg)}
        taken = self.condition(arg[0])
        if taken is None:
            return {"Fn::If": [arg[0], self.value(arg[1]), self.value(arg[2])]}
        return self.value(arg[1] if taken else arg[2])

    def _sub(self, arg: Any) -> Any:
        variables: Mapping[str, Any] = {}
        text: Any = arg
        if isinstance(arg, list) and arg:
            text = arg[0]
            if len(arg) > 1 and isinstance(arg[1], Mapping):
                variables = arg[1]
        if not isinstance(text, str):
            return {"Fn::Sub": self.value(arg)}
        pieces: list[Any] = []
        previous = 0
        for match in _SUB_TOKEN.finditer(text):
            pieces.append(text[previous : match.start()])
            pieces.append(self._sub_token(match.group(1), variables))
            previous = match.end()
        pieces.append(text[previous:])
        return _canonical_text(pieces)

    def _sub_token(self, token: str, variables: Mapping[str, Any]) -> Any:
        """What one ``${...}`` of a ``Fn::Sub`` text stands for."""
        name = token.strip()
        if name.startswith("!"):
            return "${" + name[1:] + "}"  # ${!Literal} is the text ${Literal}
        if name in variables:
            return self.value(variables[name])
        if "." in name:
            target, attribute = name.split(".", 1)
            return {"Fn::GetAtt": [target, attribute]}
        known = self._parameter(name)
        return {"Ref": name} if known is None else known

    def _join(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return {"Fn::Join": self.value(arg)}
        delimiter = self.value(arg[0])
        items = self.value(arg[1])
        if not (isinstance(delimiter, str) and isinstance(items, list)):
            return {"Fn::Join": [delimiter, items]}
        pieces: list[Any] = []
        for index, item in enumerate(items):
            if index:
                pieces.append(delimiter)
            pieces.append(item)
        return _canonical_text(pieces)

    def _select(self, arg: Any) -> Any:
        resolved = self.value(arg)
        if isinstance(resolved, list) and len(resolved) == 2:
            index, items = resolved
            if (
                isinstance(index, str)
                and _INDEX.fullmatch(index) is not None
                and isinstance(items, list)
                and int(index) < len(items)
            ):
                return items[int(index)]
        return {"Fn::Select": resolved}

    def _split(self, arg: Any) -> Any:
        resolved = self.value(arg)
        if isinstance(resolved, list) and len(resolved) == 2:
            delimiter, text = resolved
            if isinstance(delimiter, str) and delimiter and isinstance(text, str):
                return text.split(delimiter)
        return {"Fn::Split": resolved}

    def _find_in_map(self, arg: Any) -> Any:
        resolved = self.value(arg)
        if not (isinstance(resolved, list) and len(resolved) in (3, 4)):
            return {"Fn::FindInMap": resolved}
        name, top, second = resolved[:3]
        if all(isinstance(key, str) for key in (name, top, second)):
            found = _lookup(self._mappings, name, top, second)
            if found is not _MISSING:
                return _literal(found)  # mapping values are literals, never functions
            fallback = resolved[3] if len(resolved) == 4 else None
            if isinstance(fallback, Mapping) and "DefaultValue" in fallback:
                return fallback["DefaultValue"]
        # A key is not known (a pseudo parameter, an unknown parameter): the value is one of
        # the entries the keys can reach, kept with the lookup so that an edited entry of
        # the mapping still reads as a change.
        return {"Fn::FindInMap": resolved, "Candidates": self._candidates(name, second)}

    def _candidates(self, name: Any, second: Any) -> Any:
        table = self._mappings.get(name) if isinstance(name, str) else None
        if not isinstance(table, Mapping):
            return None
        if isinstance(second, str):
            return {
                str(top): _literal(entries[second])
                for top, entries in table.items()
                if isinstance(entries, Mapping) and second in entries
            }
        return _literal(table)

    def _length(self, arg: Any) -> Any:
        resolved = self.value(arg)
        if isinstance(resolved, list):
            return str(len(resolved))
        return {"Fn::Length": resolved}

    # -- conditions -----------------------------------------------------------------------

    def condition(self, name: str) -> bool | None:
        """Whether a named condition holds on this side; None when it cannot be known."""
        if self._judge is not self:
            return self._judge.condition(name)
        if name in self._condition_values:
            return self._condition_values[name]
        if name in self._evaluating or name not in self._conditions:
            return None  # a cycle or an undeclared condition: an invalid template
        self._evaluating.add(name)
        try:
            result = self._truth(self._conditions[name])
        finally:
            self._evaluating.discard(name)
        self._condition_values[name] = result
        return result

    def _truth(self, expression: Any) -> bool | None:
        if isinstance(expression, bool):
            return expression
        if not (isinstance(expression, Mapping) and len(expression) == 1):
            return None
        ((key, arg),) = expression.items()
        if key == "Condition" and isinstance(arg, str):
            return self.condition(arg)
        if not isinstance(arg, list):
            return None
        if key == "Fn::Equals" and len(arg) == 2:
            return self._equals(self.value(arg[0]), self.value(arg[1]))
        return _combined(str(key), [self._truth(item) for item in arg])

    def _equals(self, left: Any, right: Any) -> bool | None:
        """Two evaluated values compared; when one is not known here, what the world says."""
        if _is_known(left) and _is_known(right):
            return bool(left == right)
        return self._facts.get(comparison_key(left, right))

    def comparisons(self, names: Iterable[str]) -> list[tuple[Any, Any]]:
        """The ``Fn::Equals`` of the named conditions (and of those they name), each with its
        two sides as the conditions see them (in a world: with nothing but facts and what
        the world assigns): how :mod:`reviewer.model.worlds` finds what is open."""
        judge = self._judge
        found: list[tuple[Any, Any]] = []
        seen: set[str] = set()
        pending = [name for name in names if name in self._conditions]
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            for key, arg in _operations(self._conditions[name]):
                if key == "Condition" and isinstance(arg, str) and arg in self._conditions:
                    pending.append(arg)
                elif key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                    found.append((judge.value(arg[0]), judge.value(arg[1])))
        return found

    def deployed(self, condition: str | None) -> bool:
        """Whether a resource or output with this ``Condition`` is deployed (unknown: yes)."""
        return condition is None or self.condition(condition) is not False

    def unknown_names(self, value: Any) -> set[str]:
        """Parameters without a value that ``value`` (as resolved here) still depends on,
        directly or through a condition of an ``Fn::If`` that could not be decided."""
        found: set[str] = set()
        self._collect_unknown(value, found, set())
        return found

    def _collect_unknown(self, value: Any, found: set[str], seen: set[str]) -> None:
        if isinstance(value, list):
            for item in value:
                self._collect_unknown(item, found, seen)
        elif isinstance(value, Mapping):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref" and isinstance(arg, str):
                    if arg in self._stack.parameters and self._parameter(arg) is None:
                        found.add(arg)
                    return
                if key == "Fn::If" and isinstance(arg, list) and arg and isinstance(arg[0], str):
                    self._condition_unknowns(arg[0], found, seen)
                    self._collect_unknown(arg[1:], found, seen)
                    return
                if key == "Condition" and isinstance(arg, str):
                    self._condition_unknowns(arg, found, seen)
                    return
                if key == "Fn::Sub" and isinstance(arg, str):
                    for token in _SUB_TOKEN.findall(arg):
                        name = token.strip()
                        if name in self._stack.parameters and self._parameter(name) is None:
                            found.add(name)
                    return
            for item in value.values():
                self._collect_unknown(item, found, seen)

    def _condition_unknowns(self, name: str, found: set[str], seen: set[str]) -> None:
        if name in seen or name not in self._conditions:
            return
        seen.add(name)
        self._collect_unknown(self.value(self._conditions[name]), found, seen)


_MISSING: Final = object()


def comparison_key(left: Any, right: Any) -> str:
    """One text for a comparison whatever the order of its sides, for a world's facts."""
    sides = sorted(json.dumps(side, sort_keys=True, default=repr) for side in (left, right))
    return "==".join(sides)


def _operations(expression: Any) -> Iterable[tuple[str, Any]]:
    """Every ``{key: arg}`` of a condition's expression, outermost first."""
    if isinstance(expression, list):
        for item in expression:
            yield from _operations(item)
    elif isinstance(expression, Mapping):
        for key, arg in expression.items():
            yield str(key), arg
            if key != "Fn::Equals":
                yield from _operations(arg)


def _combined(operator: str, values: list[bool | None]) -> bool | None:
    """``Fn::Not``, ``Fn::And`` and ``Fn::Or`` in three-valued logic (None: not known)."""
    if operator == "Fn::Not" and len(values) == 1:
        return None if values[0] is None else not values[0]
    if operator == "Fn::And":
        return False if False in values else (None if None in values else True)
    if operator == "Fn::Or":
        return True if True in values else (None if None in values else False)
    return None


def _lookup(mappings: Mapping[str, Any], name: str, top: str, second: str) -> Any:
    level: Any = mappings.get(name)
    for key in (top, second):
        if not isinstance(level, Mapping) or key not in level:
            return _MISSING
        level = level[key]
    return level


def _literal(value: Any) -> Any:
    """A literal of the template (a parameter value, a mapping entry) with its numbers and
    booleans as text; anything that looks like a function stays as written, unevaluated."""
    if isinstance(value, bool | int | float):
        return _scalar(value)
    if isinstance(value, list):
        return [_literal(item) for item in value]
    return value


def _scalar(value: bool | int | float) -> str:
    """A number or boolean as the text CloudFormation passes on (``30``, ``"30"``: one value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_known(value: Any) -> bool:
    """Whether an evaluated value holds no intrinsic function that is still to be decided."""
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(_is_known(item) for item in value)
    return False


def _canonical_text(pieces: list[Any]) -> Any:
    """Pieces of a built string as one value: text when every piece is known, else one
    ``Fn::Sub`` whose unknown pieces are ``${Name}`` / ``${Name.Attribute}`` tokens (any
    other unknown piece keeps the whole as an ``Fn::Join`` of its pieces)."""
    if all(isinstance(piece, str) for piece in pieces):
        return "".join(pieces)
    pieces = _merged(pieces)  # "$" and "{P}" next to each other are the text "${P}"
    text: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            text.append(piece.replace("${", "${!"))
            continue
        token = _token(piece)
        if token is None:
            return {"Fn::Join": ["", pieces]}
        text.append("${" + token + "}")
    return {"Fn::Sub": "".join(text)}


def _token(piece: Any) -> str | None:
    if isinstance(piece, Mapping) and len(piece) == 1:
        ((key, arg),) = piece.items()
        if key == "Ref" and isinstance(arg, str):
            return arg
        if (
            key == "Fn::GetAtt"
            and isinstance(arg, list)
            and len(arg) == 2
            and all(isinstance(part, str) for part in arg)
        ):
            return f"{arg[0]}.{arg[1]}"
    return None


def _merged(pieces: list[Any]) -> list[Any]:
    out: list[Any] = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        elif piece != "":
            out.append(piece)
    return out


def undecided_parameters(old: StackTemplate, new: StackTemplate) -> set[str]:
    """Parameters whose value is not known on at least one side: "unknown", not "changed".

    A parameter that loses its ``Default`` (or never had one) takes, on deploy, a value this
    tool does not see (an override or the value deployed before), exactly like one without a
    default on both sides.
    """
    names = set(old.parameters) | set(new.parameters)
    return {
        name
        for name in names
        if (name in old.parameters and old.parameter_value(name) is None)
        or (name in new.parameters and new.parameter_value(name) is None)
    }


def deployed_view(stack: StackTemplate, resolver: Resolver | None = None) -> StackTemplate:
    """``stack`` without what it does not deploy, or ``stack`` itself when nothing is left out.

    Resources and outputs whose ``Condition`` is false are dropped, and every ``Fn::If`` whose
    condition is decided is replaced by the branch taken (``AWS::NoValue`` removes its key).
    Conditions that cannot be decided keep everything: unknown is never "not deployed".
    """
    conditions = stack.body.get("Conditions")
    if not isinstance(conditions, Mapping) or not conditions:
        return stack
    resolver = resolver or Resolver(stack)
    body = dict(stack.body)
    changed = False
    for section in ("Resources", "Outputs"):
        entries = body.get(section)
        if not isinstance(entries, Mapping):
            continue
        kept: dict[str, Any] = {}
        for name, entry in entries.items():
            if not isinstance(entry, Mapping):
                kept[str(name)] = entry
                continue
            condition = entry.get("Condition")
            if isinstance(condition, str) and not resolver.deployed(condition):
                changed = True
                continue
            pruned = _pruned(entry, resolver)
            changed = changed or pruned is not entry
            kept[str(name)] = pruned
        body[section] = kept
    return replace(stack, body=body) if changed else stack


def _pruned(value: Any, resolver: Resolver) -> Any:
    """``value`` with decided ``Fn::If``s replaced by their branch; the same object when
    there is none, so that unchanged parts are shared, not copied."""
    if isinstance(value, list):
        items = [_pruned(item, resolver) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return [item for item in items if item is not NO_VALUE]
    if isinstance(value, Mapping):
        return _pruned_mapping(value, resolver)
    return value


def _pruned_mapping(value: Mapping[str, Any], resolver: Resolver) -> Any:
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Fn::If" and isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
            taken = resolver.condition(arg[0])
            if taken is not None:
                return _pruned(arg[1] if taken else arg[2], resolver)
        if key == "Ref" and arg == "AWS::NoValue":
            return NO_VALUE
    entries = {key: _pruned(item, resolver) for key, item in value.items()}
    if all(entries[key] is item for key, item in value.items()):
        return value
    return {key: item for key, item in entries.items() if item is not NO_VALUE}
