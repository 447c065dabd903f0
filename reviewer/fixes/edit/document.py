"""A template's text as a tree of spans: where every key and value is written, to edit in place.

Fixes never re-dump a template: they replace the characters of one value or insert lines at
one place, so comments, key order, quoting and indentation stay as the user wrote them. This
module gives the places. YAML is composed by PyYAML (nodes carry their start and end offsets;
tags such as ``!Ref`` are kept as written); JSON is read by a small tokenizer that records the
offsets of every value. Both become the same :class:`Node` tree.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from reviewer.model.template import PropertyPath

Kind = Literal["map", "seq", "scalar"]

#: YAML short-form tags and the long-form key they stand for.
SHORT_TAGS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "GetAtt", "Sub", "Join", "If", "Select", "Split", "Base64", "FindInMap",
            "ImportValue", "GetAZs", "Cidr", "Equals", "And", "Or", "Not", "Transform",
            "ToJsonString", "Length", "ForEach",
        )
    },
}


class DocumentError(ValueError):
    """The text cannot be read as a tree of spans (it is not what the loader read)."""


@dataclass
class Cost:
    """Work done on span trees, counted: how many key-value pairs lookups have read, and how
    many nodes walks have visited. A fix per function must not make either grow with the
    square of the template (the test that keeps the builders linear reads these)."""

    pairs_read: int = 0
    nodes_walked: int = 0

    @property
    def total(self) -> int:
        return self.pairs_read + self.nodes_walked


#: The work of every span tree in this process (see :class:`Cost`).
COST = Cost()


@dataclass(eq=False, slots=True)
class Node:
    """One value of the document: its kind, its span ``[start, end)`` and its children."""

    kind: Kind
    start: int
    end: int
    line: int  # 1-based line of ``start``
    column: int  # 0-based column of ``start``
    tag: str | None = None  # a YAML tag as written ("!Ref"); None for plain values and JSON
    flow: bool = True  # a flow collection ({...}, [...]); JSON is always flow
    value: str | None = None  # a scalar's value as text
    style: str | None = None  # a scalar's style: None plain, '"', "'", "|", ">"
    items: list[Node] = field(default_factory=list)
    pairs: list[tuple[Node, Node]] = field(default_factory=list)
    shared: bool = False  # reached through a YAML alias: an edit here would edit the anchor
    #: A mapping's pairs by key (the first of a repeated key), built on the first lookup.
    _keyed: dict[str | None, tuple[Node, Node]] | None = field(
        default=None, init=False, repr=False
    )

    def get(self, key: str) -> Node | None:
        """The value of ``key`` in a mapping."""
        pair = self.pair(key)
        return pair[1] if pair else None

    def pair(self, key: str) -> tuple[Node, Node] | None:
        """The first ``(key node, value node)`` of ``key`` in a mapping.

        The pairs are indexed on the first lookup, so that a fix per function looks up its
        resource without reading the whole Resources section again (a tree is not changed
        once it is built).
        """
        if self.kind != "map":
            return None
        keyed = self._keyed
        if keyed is None:
            keyed = {}
            for found in self.pairs:
                keyed.setdefault(found[0].value, found)
            self._keyed = keyed
            COST.pairs_read += len(self.pairs)
        COST.pairs_read += 1
        return keyed.get(key)

    def intrinsic(self) -> tuple[str, Node] | None:
        """``("Ref", node)`` for ``!Ref x`` or ``{Ref: x}``: the function and its argument.

        For a short-form tag the argument is this node itself (read without its tag).
        """
        if self.tag in SHORT_TAGS:
            return SHORT_TAGS[self.tag], self
        if self.kind == "map" and len(self.pairs) == 1 and self.tag is None:
            key, value = self.pairs[0]
            if key.value == "Ref" or (key.value or "").startswith("Fn::"):
                return str(key.value), value
        return None

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, in document order."""
        COST.nodes_walked += 1
        yield self
        for child in self.children():
            yield from child.walk()

    def children(self) -> Iterator[Node]:
        if self.kind == "seq":
            yield from self.items
        elif self.kind == "map":
            for key, value in self.pairs:
                yield key
                yield value


class Document:
    """The text of one template file and its span tree."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.kind: Literal["yaml", "json"] = "json" if text.lstrip().startswith("{") else "yaml"
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        try:
            build = _json_tree if self.kind == "json" else _yaml_tree
            self.root = build(text, self)
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            raise DocumentError(f"{path}: {exc}") from None

    @cached_property
    def naming_nodes(self) -> list[Node]:
        """The nodes that may name a resource, in document order: intrinsic functions and
        resource entries (a mapping with a ``Type``, for its ``DependsOn``); nodes reached
        through a YAML alias are left out (an edit there would edit the anchor)."""
        return [
            node
            for node in self.root.walk()
            if not node.shared
            and (
                node.intrinsic() is not None
                or (node.kind == "map" and node.tag is None and node.get("Type") is not None)
            )
        ]

    # -- positions -------------------------------------------------------------------------

    def position(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based column) of a character offset."""
        index = max(bisect_right(self._line_starts, offset) - 1, 0)
        return index + 1, offset - self._line_starts[index]

    def line_start(self, offset: int) -> int:
        line, _ = self.position(offset)
        return self._line_starts[line - 1]

    def line_end(self, offset: int) -> int:
        """The offset just past the newline that ends the line of ``offset`` (or the text end)."""
        newline = self.text.find("\n", offset)
        return len(self.text) if newline < 0 else newline + 1

    def line_text(self, offset: int) -> str:
        start = self.line_start(offset)
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def content_end(self, node: Node) -> int:
        """Where the last character of a value is, without the trailing blank lines and comments
        that YAML counts into a block collection or a block scalar."""
        if node.kind == "map" and not node.flow and node.pairs:
            return self.content_end(node.pairs[-1][1])
        if node.kind == "seq" and not node.flow and node.items:
            return self.content_end(node.items[-1])
        text = self.text[node.start : node.end]
        return node.start + len(text.rstrip())

    # -- navigation ------------------------------------------------------------------------

    def resource(self, logical_id: str) -> Node | None:
        resources = self.root.get("Resources")
        return resources.get(logical_id) if resources is not None else None

    def find(self, start: Node | None, path: PropertyPath) -> list[Node]:  # noqa: PLR0911
        """The nodes at ``path`` below ``start``, following both branches of ``Fn::If``.

        Property paths of the reference graph leave intrinsic functions out (a reference in one
        branch of ``Fn::If`` sits at the property that the function builds); so does this.
        """
        if start is None:
            return []
        if not path:
            return [start]
        intrinsic = start.intrinsic()
        if intrinsic is not None and intrinsic[0] == "Fn::If" and intrinsic[1].kind == "seq":
            branches = intrinsic[1].items[1:3]
            return [found for branch in branches for found in self.find(branch, path)]
        head, rest = path[0], path[1:]
        if isinstance(head, int) and start.kind == "seq" and start.tag is None:
            if 0 <= head < len(start.items):
                return self.find(start.items[head], rest)
            return []
        if isinstance(head, str) and start.kind == "map" and start.tag is None:
            return self.find(start.get(head), rest)
        return []

    def deepest(self, start: Node | None, path: PropertyPath) -> Node | None:
        """The node at the longest prefix of ``path`` that exists (``start`` when none does)."""
        for depth in range(len(path), -1, -1):
            found = self.find(start, path[:depth])
            if len(found) == 1:
                return found[0]
            if found:
                return None  # several branches: the caller treats each itself
        return start

    # -- style -----------------------------------------------------------------------------

    @cached_property
    def short_tags(self) -> bool:
        """Whether the user writes intrinsic functions with YAML short-form tags (read once:
        a template written in the long form would otherwise be walked once per fix)."""
        return self.kind == "yaml" and any(
            node.tag in SHORT_TAGS for node in self.root.walk()
        )

    def indent_unit(self) -> int:
        """Spaces per nesting level, read from the Resources section (2 when it cannot tell)."""
        resources = self.root.get("Resources")
        if resources is None or not resources.pairs:
            return 2
        for key, value in resources.pairs:
            if value.kind == "map" and value.pairs:
                inner_key = value.pairs[0][0]
                if inner_key.line != key.line and inner_key.column > key.column:
                    return inner_key.column - key.column
        return 2


# -- YAML -------------------------------------------------------------------------------------

class _PlainResolver(yaml.resolver.BaseResolver):
    """Resolves no implicit tag: a document only needs the tags written in it (``!Ref``), and
    resolving every plain scalar against PyYAML's patterns costs a third of composing."""

    def resolve(self, kind: type[yaml.Node], value: object, implicit: object) -> str:
        if kind is ScalarNode:
            return self.DEFAULT_SCALAR_TAG
        if kind is SequenceNode:
            return self.DEFAULT_SEQUENCE_TAG
        return self.DEFAULT_MAPPING_TAG


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _Composer(CParser, _PlainResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _PlainResolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Composer(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
        _PlainResolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _PlainResolver.__init__(self)


_OTHER_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


def _yaml_tree(text: str, document: Document) -> Node:
    # Composing runs no constructor. libyaml's parser gives the same marks (character offsets)
    # as PyYAML's, several times faster; it writes a plain scalar's style as "" (PyYAML: None).
    composed = yaml.compose(text, Loader=_Composer)  # type: ignore[arg-type]  # no constructor
    if composed is None:
        raise ValueError("the document is empty")
    seen: set[int] = set()
    # The composer's marks carry the line and column; they count lines as ``position`` does
    # unless the text holds a line break other than "\n" and "\r\n" (YAML counts those too).
    marks_agree = _OTHER_BREAK.search(text) is None

    def convert(node: yaml.Node) -> Node:
        shared = id(node) in seen
        seen.add(id(node))
        mark = node.start_mark
        if marks_agree:
            line, column = mark.line + 1, mark.column
        else:
            line, column = document.position(mark.index)
        tag = node.tag if node.tag.startswith("!") else None
        out = Node(
            kind="scalar",
            start=node.start_mark.index,
            end=node.end_mark.index,
            line=line,
            column=column,
            tag=tag,
            shared=shared,
        )
        if isinstance(node, ScalarNode):
            out.value = str(node.value)
            out.style = node.style or None
            out.flow = False
        elif isinstance(node, SequenceNode):
            out.kind, out.flow = "seq", bool(node.flow_style)
            out.items = [convert(item) for item in node.value]
        elif isinstance(node, MappingNode):
            out.kind, out.flow = "map", bool(node.flow_style)
            out.pairs = [(convert(k), convert(v)) for k, v in node.value]
        return out

    return convert(composed)


# -- JSON -------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<punct>[{}\[\]:,])'
    r"|(?P<atom>-?[0-9][0-9.eE+-]*|-?0|true|false|null))",
    re.DOTALL,
)


def _json_tree(text: str, document: Document) -> Node:
    tokens: list[tuple[str, str, int, int]] = []
    position = 0
    text_end = len(text.rstrip())
    while position < text_end:
        match = _JSON_TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"unexpected text at offset {position}")
        kind = str(match.lastgroup)
        tokens.append((kind, match.group(kind), match.start(kind), match.end(kind)))
        position = match.end()
    cursor = 0

    def node_at(kind: Kind, start: int, end: int, **extra: object) -> Node:
        line, column = document.position(start)
        return Node(kind, start, end, line, column, **extra)  # type: ignore[arg-type]

    def value() -> Node:
        nonlocal cursor
        kind, token, start, end = tokens[cursor]
        cursor += 1
        if kind == "string":
            text_value = json.loads(token) if "\\" in token else token[1:-1]
            return node_at("scalar", start, end, value=text_value, style='"')
        if kind == "atom":
            return node_at("scalar", start, end, value=token)
        if token == "{":
            pairs: list[tuple[Node, Node]] = []
            while tokens[cursor][1] != "}":
                key = value()
                if tokens[cursor][1] != ":":
                    raise ValueError(f"expected ':' at offset {tokens[cursor][2]}")
                cursor += 1
                pairs.append((key, value()))
                if tokens[cursor][1] == ",":
                    cursor += 1
            cursor += 1
            return node_at("map", start, tokens[cursor - 1][3], pairs=pairs)
        if token == "[":
            items: list[Node] = []
            while tokens[cursor][1] != "]":
                items.append(value())
                if tokens[cursor][1] == ",":
                    cursor += 1
            cursor += 1
            return node_at("seq", start, tokens[cursor - 1][3], items=items)
        raise ValueError(f"unexpected {token!r} at offset {start}")

    try:
        root = value()
    except IndexError:
        raise ValueError("the JSON text ends too early") from None
    return root
