"""Where a value refers to other resources: Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If, literals.

``find_hits`` walks a property value (intrinsic functions in long form) and yields one
:class:`Hit` per reference. For references embedded in a built string (``Fn::Sub`` and
``Fn::Join``) the hit records the text that follows the reference, which tells whether a
``:qualifier`` was appended (``${Fn.Arn}:live``) or not (``.../functions/${Fn.Arn}/invocations``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reviewer.model.template import PropertyPath

#: Text that follows a reference whose value could not be known (another intrinsic function).
UNKNOWN_TEXT = "\x00"

_SUB_TOKEN = re.compile(r"\$\{([^}]*)\}")
_LITERAL_ARN = re.compile(
    r"arn:[\w\x00-]*:lambda:[^:\s\"]*:[^:\s\"]*:function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9_$.-]+))?"
)


@dataclass(frozen=True)
class Hit:
    """One reference found inside a value.

    ``target`` is a logical id (``Ref``/``GetAtt``/``${...}``) or, for ``literal`` hits, a
    function name read from an ARN. ``path`` is the property path of the value that holds the
    reference: intrinsic-function steps are left out (a reference in one branch of ``Fn::If``
    or one item of ``Fn::Join`` sits at the property that the function builds). ``suffix`` is
    the text right after the reference when it sits inside a built string, ``None`` when the
    reference is the whole value.
    """

    path: PropertyPath
    target: str
    attribute: str | None = None
    suffix: str | None = None
    literal: bool = False
    literal_qualifier: str | None = None
    imported: Any = None  # the argument of Fn::ImportValue: the export name, maybe computed


def find_hits(value: Any, path: PropertyPath = ()) -> Iterator[Hit]:
    """Every reference in ``value``, depth first, with the property path that holds it."""
    yield from _walk(value, path, inside=False)


def _walk(value: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    # ``inside`` is True within the arguments of a string-building intrinsic: keys and indices
    # met there are arguments, not property names, so the path stops growing.
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = _HANDLERS.get(key)
            if handler is not None:
                yield from handler(arg, path, inside)
                return
        for key, child in value.items():
            yield from _walk(child, path if inside else (*path, str(key)), inside)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, path if inside else (*path, index), inside)
    elif isinstance(value, str):
        yield from _literal_hits(value, path)


def _ref(arg: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    if isinstance(arg, str):
        yield Hit(path, arg)
    else:
        yield from _walk(arg, path, inside=True)


def _get_att(arg: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    if isinstance(arg, str) and "." in arg:
        target, attribute = arg.split(".", 1)
        yield Hit(path, target, attribute)
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        yield Hit(path, arg[0], arg[1] if isinstance(arg[1], str) else None)
        if not isinstance(arg[1], str):
            yield from _walk(arg[1], path, inside=True)


def _is_reference(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in (
        "Ref",
        "Fn::GetAtt",
        "Fn::ImportValue",
        "Fn::GetStackOutput",
    )


def _sub(arg: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    variables: Mapping[str, Any] = {}
    text: Any
    if isinstance(arg, list) and arg:
        text = arg[0]
        if len(arg) > 1 and isinstance(arg[1], Mapping):
            variables = arg[1]
    else:
        text = arg
    if not isinstance(text, str):
        yield from _walk(arg, path, inside=True)
        return
    for match in _SUB_TOKEN.finditer(text):
        name = match.group(1).strip()
        if not name or name.startswith("!"):
            continue
        following = _SUB_TOKEN.sub(UNKNOWN_TEXT, text[match.end() :])
        if name in variables:
            variable = variables[name]
            for hit in _walk(variable, path, inside=True):
                whole = _is_reference(variable) and hit.suffix is None
                yield replace(hit, suffix=following) if whole else hit
        elif "." in name:
            target, attribute = name.split(".", 1)
            yield Hit(path, target, attribute, following)
        else:
            yield Hit(path, name, None, following)
    yield from _literal_hits(_SUB_TOKEN.sub(UNKNOWN_TEXT, text), path)


def _join(arg: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list)):
        yield from _walk(arg, path, inside=True)
        return
    delimiter = arg[0] if isinstance(arg[0], str) else UNKNOWN_TEXT
    items = arg[1]
    literal_text: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            literal_text.append(item)
            continue
        literal_text.append(UNKNOWN_TEXT)
        if index + 1 < len(items):
            nxt = items[index + 1]
            following = delimiter + (nxt if isinstance(nxt, str) else UNKNOWN_TEXT)
        else:
            following = ""
        for hit in _walk(item, path, inside=True):
            whole = _is_reference(item) and hit.suffix is None
            yield replace(hit, suffix=following) if whole else hit
    yield from _literal_hits(delimiter.join(literal_text), path)


def _if(arg: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    if isinstance(arg, list) and len(arg) == 3:
        # Both branches hold values of the property itself: keep following its structure.
        yield from _walk(arg[1], path, inside)
        yield from _walk(arg[2], path, inside)
    else:
        yield from _walk(arg, path, inside=True)


def _argument(arg: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    yield from _walk(arg, path, inside=True)


def _import_value(arg: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    """A value exported by another stack; the app linker resolves the export name."""
    yield Hit(path, "", "Fn::ImportValue", imported=arg)
    yield from _walk(arg, path, inside=True)


def _stack_output(arg: Any, path: PropertyPath, inside: bool) -> Iterator[Hit]:
    """An output of another stack read directly (CDK's default "weak" cross-stack reference)."""
    yield Hit(path, "", "Fn::GetStackOutput", imported=arg)
    yield from _walk(arg, path, inside=True)


def _literal_hits(text: str, path: PropertyPath) -> Iterator[Hit]:
    if ":function:" not in text:
        return
    for match in _LITERAL_ARN.finditer(text):
        yield Hit(path, match.group(1), literal=True, literal_qualifier=match.group(2))


_HANDLERS = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::If": _if,
    "Fn::Select": _argument,
    "Fn::Split": _argument,
    "Fn::Base64": _argument,
    "Fn::FindInMap": _argument,
    "Fn::ImportValue": _import_value,
    "Fn::GetStackOutput": _stack_output,
    "Fn::ToJsonString": _argument,
    "Fn::GetAZs": _argument,
    "Fn::Cidr": _argument,
}


def qualifier_in_suffix(suffix: str | None) -> str | None:
    """The qualifier a built string appends right after a function reference, if any.

    ``":live/invocations"`` gives ``"live"``; ``"/invocations"`` gives None; ``":$LATEST"``
    gives ``"$LATEST"``; a qualifier built from another intrinsic gives ``"?"``.
    """
    if not suffix or not suffix.startswith(":"):
        return None
    match = re.match(r":([A-Za-z0-9_$.-]+|\x00)", suffix)
    if match is None:
        return None
    token = match.group(1)
    return "?" if token == UNKNOWN_TEXT else token


def referenced_ids(value: Any) -> set[str]:
    """Logical ids and parameter names referenced anywhere in ``value``."""
    return {hit.target for hit in find_hits(value) if not hit.literal}
