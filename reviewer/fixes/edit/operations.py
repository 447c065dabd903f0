"""Structural edits of a template's text: set a key, add resources, rename a logical id.

Each operation records character edits in a :class:`~reviewer.fixes.edit.textedit.TextEdits` over
the document's original text, placed and indented like the lines around them. YAML block
mappings get new lines at the indentation of their keys; flow mappings and JSON objects get
the entry before the closing brace or after the last value, with the comma JSON needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from reviewer.fixes.edit.document import Document, Node
from reviewer.fixes.edit.render import Style
from reviewer.fixes.edit.textedit import TextEdits


class OperationError(ValueError):
    """The text has a shape this operation does not edit (it says which)."""


def set_entry(  # noqa: PLR0917
    document: Document,
    edits: TextEdits,
    mapping: Node,
    key: str,
    value: Any,
    style: Style,
    *,
    first: bool = False,
) -> None:
    """Give ``key`` the value ``value`` in ``mapping``: replace it, or add the entry."""
    pair = mapping.pair(key)
    if pair is not None:
        node = pair[1]
        if node.shared:
            raise OperationError(f"{key} is written through a YAML alias")
        edits.replace(node.start, document.content_end(node), style.inline(value))
        return
    insert_entry(document, edits, mapping, key, value, style, first=first)


def insert_entry(  # noqa: PLR0917
    document: Document,
    edits: TextEdits,
    mapping: Node,
    key: str,
    value: Any,
    style: Style,
    *,
    first: bool = False,
) -> None:
    """Add ``key: value`` to ``mapping``: as its first entry when ``first``, else its last."""
    if mapping.kind != "map" or mapping.tag is not None or mapping.shared:
        raise OperationError("the place to add a key is not a plain mapping")
    if document.kind == "json":
        _insert_json(document, edits, mapping, key, value, style, first)
    elif mapping.flow or not mapping.pairs:
        _insert_flow(document, edits, mapping, key, value, style)
    else:
        anchor = mapping.pairs[0][0] if first else mapping.pairs[-1][0]
        column = anchor.column
        if first:
            at = document.line_start(anchor.start)
            if document.text[at:anchor.start].strip():
                raise OperationError("the mapping's first key shares its line with other text")
        else:
            at = document.line_end(document.content_end(mapping.pairs[-1][1]))
        text = style.entry(key, value, column)
        edits.insert(at, _after_last_line(document, at, text))


def _after_last_line(document: Document, at: int, text: str) -> str:
    """Text inserted at ``at``: when the file does not end with a newline, start one."""
    if at == len(document.text) and document.text and not document.text.endswith("\n"):
        return "\n" + text.rstrip("\n")
    return text


def _insert_flow(  # noqa: PLR0917
    document: Document, edits: TextEdits, mapping: Node, key: str, value: Any, style: Style
) -> None:
    if not mapping.flow:
        raise OperationError("an empty block mapping")
    closing = document.text.rfind("}", mapping.start, mapping.end)
    if closing < 0:
        raise OperationError("the flow mapping has no closing brace")
    entry = f"{style.key(key)}: {style.inline(value)}"
    if mapping.pairs:
        edits.insert(document.content_end(mapping.pairs[-1][1]), f", {entry}")
    else:
        edits.insert(closing, entry)


def _insert_json(  # noqa: PLR0917
    document: Document,
    edits: TextEdits,
    mapping: Node,
    key: str,
    value: Any,
    style: Style,
    first: bool,
) -> None:
    if not mapping.pairs:
        edits.insert(mapping.start + 1, f"{style.key(key)}: {style.inline(value)}")
        return
    anchor_key, anchor_value = mapping.pairs[0] if first else mapping.pairs[-1]
    multiline = anchor_key.line != mapping.line
    if multiline:
        column = anchor_key.column
        entry = style.entry(key, value, column)
        if first:
            edits.insert(document.line_start(anchor_key.start), f"{entry},\n")
        else:
            edits.insert(anchor_value.end, f",\n{entry}")
    else:
        entry = f"{style.key(key)}: {style.inline(value)}"
        if first:
            edits.insert(anchor_key.start, f"{entry}, ")
        else:
            edits.insert(anchor_value.end, f", {entry}")


def insert_resources(
    document: Document,
    edits: TextEdits,
    after: str,
    resources: Mapping[str, Mapping[str, Any]],
    style: Style,
) -> None:
    """Add ``resources`` to the Resources section, right after the resource ``after``."""
    section = document.root.get("Resources")
    if section is None or section.kind != "map" or section.shared:
        raise OperationError("the template has no Resources mapping to add to")
    pair = section.pair(after)
    if pair is None:
        raise OperationError(f"resource {after} is not written in this file")
    key, value = pair
    if document.kind == "json":
        column = key.column
        entries = [style.entry(name, body, column) for name, body in resources.items()]
        if key.line == section.line:
            raise OperationError("the Resources object is written on one line")
        edits.insert(value.end, "".join(f",\n{entry}" for entry in entries))
        return
    if section.flow:
        raise OperationError("the Resources mapping is written in flow style")
    at = document.line_end(document.content_end(value))
    text = "".join(style.entry(name, body, key.column) for name, body in resources.items())
    edits.insert(at, _after_last_line(document, at, text))


def add_depends_on(
    document: Document, edits: TextEdits, resource: str, target: str, style: Style
) -> None:
    """Make ``resource`` depend on ``target`` (added to its ``DependsOn``)."""
    node = document.resource(resource)
    if node is None:
        raise OperationError(f"resource {resource} is not written in this file")
    current = node.get("DependsOn")
    if current is None:
        insert_entry(document, edits, node, "DependsOn", target, style)
    elif current.kind == "scalar":
        if current.value != target:
            names = [current.value or "", target]
            edits.replace(current.start, document.content_end(current), style.inline(names))
    elif current.kind == "seq" and all(item.value != target for item in current.items):
        append_item(document, edits, current, target, style)


def append_item(
    document: Document, edits: TextEdits, sequence: Node, item: str, style: Style
) -> None:
    """Add ``item`` at the end of a sequence, in its style."""
    if not sequence.items:
        edits.replace(sequence.start, document.content_end(sequence), style.inline([item]))
        return
    last = sequence.items[-1]
    if document.kind == "json" or sequence.flow:
        edits.insert(last.end, f", {style.scalar(item)}")
        return
    dash = document.text.rfind("-", document.line_start(last.start), last.start)
    column = dash - document.line_start(last.start) if dash >= 0 else last.column - 2
    at = document.line_end(document.content_end(last))
    edits.insert(at, _after_last_line(document, at, f"{' ' * column}- {style.scalar(item)}\n"))


# -- renaming ---------------------------------------------------------------------------------


def rename_resource(document: Document, edits: TextEdits, old: str, new: str) -> int:
    """Rename the resource ``old`` to ``new``, and every Ref, GetAtt, Sub and DependsOn of it.

    Returns how many places were edited.
    """
    section = document.root.get("Resources")
    pair = section.pair(old) if section is not None else None
    if pair is None:
        raise OperationError(f"resource {old} is not written in this file")
    key = pair[0]
    edits.replace(key.start, key.end, requoted(document, key, new))
    count = 1
    for node in _naming(document, old):
        count += _rename_in(document, edits, node, old, new)
    return count


def _naming(document: Document, name: str) -> list[Node]:
    """The naming nodes that may name ``name``, in document order: looked up by the names each
    one writes (a name with a character that ends a name in ``Fn::Sub``: all of them)."""
    if _NOT_IN_NAME.search(name):
        return document.naming_nodes
    return _naming_index(document).get(name, [])


#: Characters that end a name in a ``Fn::Sub`` string (``${Name.Attribute}``, ``${ Name }``).
_NOT_IN_NAME = re.compile(r"[.}\s]")
#: Each ``${`` of a ``Fn::Sub`` string and the name after it (overlapping: ``${ ${Name}``).
_SUB_NAME = re.compile(r"(?=\$\{\s*([^.}\s]*))")


@lru_cache(maxsize=8)
def _naming_index(document: Document) -> dict[str, list[Node]]:
    """Every naming node by the names it may rename (:func:`_rename_in` edits a node only for
    a name listed here), built once per document so that a rename reads its own nodes only."""
    index: dict[str, list[Node]] = {}
    for node in document.naming_nodes:
        for name in dict.fromkeys(_names_in(document, node)):
            index.setdefault(name, []).append(node)
    return index


def _names_in(document: Document, node: Node) -> list[str]:  # noqa: PLR0911
    """The names :func:`_rename_in` may find in ``node``: a superset, never fewer."""
    if node.shared:
        return []
    intrinsic = node.intrinsic()
    if intrinsic is None:
        depends = node.get(_DEPENDS) if node.kind == "map" and node.tag is None else None
        if depends is None:
            return []
        names = depends.items if depends.kind == "seq" else [depends]
        return [name.value for name in names if name.kind == "scalar" and name.value]
    function, argument = intrinsic
    if function == "Ref" and argument.kind == "scalar":
        return [argument.value or ""]
    if function == "Fn::GetAtt":
        if argument.kind == "scalar":
            return [(argument.value or "").split(".", 1)[0]]
        if argument.kind == "seq" and argument.items:
            return [argument.items[0].value or ""]
    if function == "Fn::Sub":
        text = argument if argument.kind == "scalar" else (
            argument.items[0] if argument.kind == "seq" and argument.items else None
        )
        if text is not None and text.kind == "scalar":
            span = document.text[text.start : text.end]
            return [match.group(1) for match in _SUB_NAME.finditer(span)]
    return []


_DEPENDS = "DependsOn"


def _rename_in(document: Document, edits: TextEdits, node: Node, old: str, new: str) -> int:  # noqa: PLR0911
    if node.shared:
        return 0
    intrinsic = node.intrinsic()
    if intrinsic is None:
        if node.kind != "map" or node.tag is not None or node.get("Type") is None:
            return 0
        depends = node.get(_DEPENDS)
        count = 0
        if depends is not None:
            names = depends.items if depends.kind == "seq" else [depends]
            for name in names:
                if name.kind == "scalar" and name.value == old:
                    edits.replace(name.start, name.end, requoted(document, name, new))
                    count += 1
        return count
    function, argument = intrinsic
    if function == "Ref" and argument.kind == "scalar" and argument.value == old:
        return _replace_scalar_part(document, edits, argument, old, new, whole=True)
    if function == "Fn::GetAtt":
        if argument.kind == "scalar" and (argument.value or "").startswith(old + "."):
            return _replace_scalar_part(document, edits, argument, old, new, whole=False)
        if argument.kind == "seq" and argument.items and argument.items[0].value == old:
            first = argument.items[0]
            edits.replace(first.start, first.end, requoted(document, first, new))
            return 1
    if function == "Fn::Sub":
        text = argument if argument.kind == "scalar" else (
            argument.items[0] if argument.kind == "seq" and argument.items else None
        )
        if text is not None and text.kind == "scalar":
            return _rename_in_sub(document, edits, text, old, new)
    return 0


def _replace_scalar_part(
    document: Document, edits: TextEdits, node: Node, old: str, new: str, *, whole: bool
) -> int:
    """Replace ``old`` at the start of a scalar's text (the whole of it when ``whole``)."""
    span = document.text[node.start : node.end]
    pattern = re.escape(old) + (r"(?![\w.])" if whole else r"(?=\.)")
    match = re.search(pattern, span)
    if match is None:
        return 0
    edits.replace(node.start + match.start(), node.start + match.end(), new)
    return 1


def _rename_in_sub(document: Document, edits: TextEdits, node: Node, old: str, new: str) -> int:
    span = document.text[node.start : node.end]
    count = 0
    for match in re.finditer(r"\$\{\s*(" + re.escape(old) + r")(?=[.}\s])", span):
        edits.replace(node.start + match.start(1), node.start + match.end(1), new)
        count += 1
    return count


def requoted(document: Document, node: Node, text: str) -> str:
    """``text`` written the way ``node`` is quoted."""
    if node.style == '"':
        return '"' + text + '"'
    if node.style == "'":
        return "'" + text + "'"
    return text
