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
    the text right after the reference when it sits inside a built string (in ``Fn::Sub``, its
    first ``SUFFIX_CHARS`` characters), ``None`` when the reference is the whole value.
    """

    path: PropertyPath
    target: str
    attribute: str | None = None
    suffix: str | None = None
    literal: bool = False
    literal_qualifier: str | None = None
    imported: Any = None  # the argument of Fn::ImportValue: the export name, maybe computed


def find_hits(value: Any, path: PropertyPath = ()) -> Iterator[Hit]:
    """Every reference in ``value``, depth first, with the property path that holds it.

    The walk runs to the end before the first hit is returned: it appends to one list instead
    of stacking generators, which makes it several times faster on large templates.
    """
    out: list[Hit] = []
    _walk(value, path, False, out)
    return iter(out)


def _walk(  # noqa: PLR0912 - leaves are handled inline: a call for each costs more
    value: Any, path: PropertyPath, inside: bool, out: list[Hit]
) -> None:
    # ``inside`` is True within the arguments of a string-building intrinsic: keys and indices
    # met there are arguments, not property names, so the path stops growing. Children that
    # are strings, numbers or null are handled in the loops, without a call: most values are.
    if isinstance(value, str):
        if ":function:" in value:
            _literal_hits(value, path, out)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            if isinstance(child, str):
                if ":function:" in child:
                    _literal_hits(child, path if inside else (*path, index), out)
            elif not isinstance(child, _SCALARS):
                _walk(child, path if inside else (*path, index), inside, out)
    elif isinstance(value, dict) or isinstance(value, Mapping):  # noqa: SIM101 - dict is fast
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = _HANDLERS.get(key)
            if handler is not None:
                handler(arg, path, inside, out)
                return
        for key, child in value.items():
            if isinstance(child, str):
                if ":function:" in child:
                    _literal_hits(child, path if inside else (*path, str(key)), out)
            elif not isinstance(child, _SCALARS):
                _walk(child, path if inside else (*path, str(key)), inside, out)


#: Values that hold no reference and no container (``bool`` is an ``int``).
_SCALARS = (int, float, type(None))


def _ref(arg: Any, path: PropertyPath, inside: bool, out: list[Hit]) -> None:
    if isinstance(arg, str):
        out.append(Hit(path, arg))
    else:
        _walk(arg, path, True, out)


def _get_att(arg: Any, path: PropertyPath, inside: bool, out: list[Hit]) -> None:
    if isinstance(arg, str) and "." in arg:
        target, attribute = arg.split(".", 1)
        out.append(Hit(path, target, attribute))
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        out.append(Hit(path, arg[0], arg[1] if isinstance(arg[1], str) else None))
        if not isinstance(arg[1], str):
            _walk(arg[1], path, True, out)


def _is_reference(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in (
        "Ref",
        "Fn::GetAtt",
        "Fn::ImportValue",
        "Fn::GetStackOutput",
    )


def _with_suffix(item: Any, path: PropertyPath, following: str, out: list[Hit]) -> None:
    """The hits of one piece of a built string; a whole reference gets the text after it."""
    start = len(out)
    _walk(item, path, True, out)
    if _is_reference(item):
        for index in range(start, len(out)):
            if out[index].suffix is None:
                out[index] = replace(out[index], suffix=following)


#: How much of the text after a reference in an ``Fn::Sub`` string a hit keeps (more when a
#: ``:qualifier`` runs longer): bounded, so that a long string with many references is read in
#: linear time and memory. Only the start of the suffix matters (``qualifier_in_suffix``).
SUFFIX_CHARS = 256
_QUALIFIER_TOKEN = re.compile(r":[A-Za-z0-9_$.-]+")


def _following(text: str, start: int) -> str:
    """``text[start:]``, cut after ``SUFFIX_CHARS`` characters or the qualifier it starts with."""
    end = start + SUFFIX_CHARS
    token = _QUALIFIER_TOKEN.match(text, start)
    if token is not None and token.end() > end:
        end = token.end()
    return text[start:end]


def _sub(arg: Any, path: PropertyPath, inside: bool, out: list[Hit]) -> None:
    variables: Mapping[str, Any] = {}
    text: Any
    if isinstance(arg, list) and arg:
        text = arg[0]
        if len(arg) > 1 and isinstance(arg[1], Mapping):
            variables = arg[1]
    else:
        text = arg
    if not isinstance(text, str):
        _walk(arg, path, True, out)
        return
    # The text with every ${...} replaced by UNKNOWN_TEXT, and where each placeholder ends in it.
    pieces: list[str] = []
    ends: list[int] = []
    masked_length, previous = 0, 0
    matches = list(_SUB_TOKEN.finditer(text))
    for match in matches:
        pieces.append(text[previous : match.start()])
        pieces.append(UNKNOWN_TEXT)
        masked_length += match.start() - previous + 1
        ends.append(masked_length)
        previous = match.end()
    pieces.append(text[previous:])
    masked = "".join(pieces)
    for match, end in zip(matches, ends, strict=True):
        name = match.group(1).strip()
        if not name or name.startswith("!"):
            continue
        following = _following(masked, end)
        if name in variables:
            _with_suffix(variables[name], path, following, out)
        elif "." in name:
            target, attribute = name.split(".", 1)
            out.append(Hit(path, target, attribute, following))
        else:
            out.append(Hit(path, name, None, following))
    if ":function:" in masked:
        _literal_hits(masked, path, out)


def _join(arg: Any, path: PropertyPath, inside: bool, out: list[Hit]) -> None:
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list)):
        _walk(arg, path, True, out)
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
        _with_suffix(item, path, following, out)
    joined = delimiter.join(literal_text)
    if ":function:" in joined:
        _literal_hits(joined, path, out)


def _if(arg: Any, path: PropertyPath, inside: bool, out: list[Hit]) -> None:
    if isinstance(arg, list) and len(arg) == 3:
        # Both branches hold values of the property itself: keep following its structure.
        _walk(arg[1], path, inside, out)
        _walk(arg[2], path, inside, out)
    else:
        _walk(arg, path, True, out)


def _argument(arg: Any, path: PropertyPath, inside: bool, out: list[Hit]) -> None:
    _walk(arg, path, True, out)


def _import_value(arg: Any, path: PropertyPath, inside: bool, out: list[Hit]) -> None:
    """A value exported by another stack; the app linker resolves the export name."""
    out.append(Hit(path, "", "Fn::ImportValue", imported=arg))
    _walk(arg, path, True, out)


def _stack_output(arg: Any, path: PropertyPath, inside: bool, out: list[Hit]) -> None:
    """An output of another stack read directly (CDK's default "weak" cross-stack reference)."""
    out.append(Hit(path, "", "Fn::GetStackOutput", imported=arg))
    _walk(arg, path, True, out)


def _literal_hits(text: str, path: PropertyPath, out: list[Hit]) -> None:
    for match in _LITERAL_ARN.finditer(text):
        out.append(Hit(path, match.group(1), literal=True, literal_qualifier=match.group(2)))


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


def reference_of(value: Any) -> tuple[str, str | None] | None:
    """``(logical id, attribute)`` when ``value`` is one ``Ref`` (attribute None) or one
    ``Fn::GetAtt`` (either spelling); None for anything else."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((function, arg),) = value.items()
    if function == "Ref":
        return (arg, None) if isinstance(arg, str) else None
    if function != "Fn::GetAtt":
        return None
    if isinstance(arg, str) and "." in arg:
        target, attribute = arg.split(".", 1)
        return target, attribute
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        return arg[0], str(arg[1])
    return None


def referenced_ids(value: Any) -> set[str]:
    """Logical ids and parameter names referenced anywhere in ``value``."""
    return {hit.target for hit in find_hits(value) if not hit.literal}
