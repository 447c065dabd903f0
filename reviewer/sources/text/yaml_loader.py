"""YAML templates through a safe loader that keeps the line of every key.

Short-form tags (``!Ref``, ``!GetAtt`` in dotted and list form, ``!Sub``, ``!If`` ...) become
their long form the way cfn-flip reads them (``!Ref``/``!Condition`` keep their name, any other
``!Name`` becomes ``Fn::Name``); ``!GetAtt [a, !Ref b]`` keeps its nested function (cfn-flip
reads it as ``["a", "b"]``). Mappings are built as :class:`LineDict` and sequences as
:class:`LineList`, which carry the 1-based line of each key or item. libyaml's parser is used
when present.

The document it returns is JSON-shaped, like the template CloudFormation sees:

- mapping keys are the key's text as written (``On:`` stays ``"On"``, ``010:`` stays ``"010"``);
  a key that is a collection or a tagged value is an error;
- a key written twice in one mapping is an error; keys merged with ``<<`` are overridden by the
  mapping's own keys, as YAML specifies;
- timestamps (``Version: 2012-10-17``) stay the text as written;
- values with no JSON equivalent (``!!binary``, ``!!set``, ``!!omap``, ``!!pairs``, ``.nan``,
  ``.inf``) and strings holding unpaired surrogates are errors with their line;
- any other failure while building a value becomes a YAML error at that value's line.

Aliases (``*name``) are allowed, within a budget. The loader builds an aliased value once and
shares it, so memory stays linear; but every later reading of the template (references, the
diff, reports) walks each use of it, and nested aliases multiply: nine lists of nine aliases
of the list before ("billion laughs") are a few hundred bytes that read as a billion values.
Before building anything, the loader counts the values the document holds once every alias
is expanded (merges with ``<<`` included), and stops counting past twice its length in
characters plus ``ALIAS_BUDGET``: such a document is refused, with the line of the value
whose aliases expand too far. Templates use aliases for a shared block of tags or
environment variables, far below that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MERGE = "tag:yaml.org,2002:merge"
#: Values that aliases may add to a document (see ``_alias_limit``).
ALIAS_BUDGET = 100_000
#: An anchor where a value starts (after a space, a bracket, a comma or a colon: ``{"k":&a 1}``
#: in flow style). An alias names an anchor written before it: a text without one has no
#: alias, and the alias count is skipped.
_ANCHOR = re.compile(r"(?:^|[\s\[{,:])&[^\s\[\]{},]")


class LineDict(dict[str, Any]):
    """A mapping that knows the line of each of its keys."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}


class LineList(list[Any]):
    """A sequence that knows the line of each of its items."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A key that appears twice in one mapping."""


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    return "sequence" if isinstance(node, SequenceNode) else "scalar"


def _key_text(node: Node) -> str:
    """A mapping key as written; keys that are collections or tagged values are refused."""
    if isinstance(node, ScalarNode) and not node.tag.startswith("!"):
        return str(node.value)
    if isinstance(node, ScalarNode):
        problem = f"a mapping key cannot carry the tag {node.tag}"
    else:
        problem = f"a mapping key must be a plain string, not a {_kind(node)}"
    raise ConstructorError(None, None, problem, node.start_mark)


def _effective_pairs(node: MappingNode) -> list[tuple[Node, Node, bool]]:
    """The key/value nodes of a mapping with ``<<`` merges resolved, without changing the node.

    Each entry says whether it came from a merge. Among merged mappings the first one that
    names a key wins; the mapping's own keys win over merged ones.
    """
    merged: dict[str, tuple[Node, Node]] = {}
    own: list[tuple[Node, Node, bool]] = []
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE:
            own.append((key_node, value_node, False))
            continue
        if isinstance(value_node, MappingNode):
            sources = [value_node]
        elif isinstance(value_node, SequenceNode):
            sources = list(value_node.value)
        else:
            raise ConstructorError(
                None, None, f"<< merges a mapping or a list of mappings, not a {_kind(value_node)}",
                value_node.start_mark,
            )
        for source in sources:
            if not isinstance(source, MappingNode):
                raise ConstructorError(
                    None, None, f"<< merges mappings, not a {_kind(source)}", source.start_mark
                )
            for sub_key, sub_value, _ in _effective_pairs(source):
                merged.setdefault(_key_text(sub_key), (sub_key, sub_value))
    own_keys = {_key_text(k) for k, _, _ in own}
    inherited = [(k, v, True) for name, (k, v) in merged.items() if name not in own_keys]
    return inherited + own


def _construct_mapping(loader: yaml.SafeLoader, node: MappingNode, deep: bool = False) -> Any:
    mapping = LineDict(_line(node))
    for key_node, value_node, was_merged in _effective_pairs(node):
        key = _key_text(key_node)
        if key in mapping and not was_merged:
            raise DuplicateKeyError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = _line(key_node)
    return mapping


def _construct_sequence(loader: yaml.SafeLoader, node: SequenceNode, deep: bool = False) -> Any:
    sequence = LineList(_line(node))
    for child in node.value:
        sequence.append(loader.construct_object(child, deep=True))
        sequence.item_lines.append(_line(child))
    return sequence


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: Node) -> Any:
    """``!Ref x`` -> ``{"Ref": "x"}``, ``!GetAtt a.b`` -> ``{"Fn::GetAtt": ["a", "b"]}``...

    A scalar argument stays the text as written (``!Ref 5`` names ``"5"``); sequences and
    mappings are built by this loader's constructors, so nested values keep their lines.
    """
    intrinsic = LineDict(_line(node))
    if tag_suffix == "GetAtt":
        name = "Fn::GetAtt"
        value: Any
        if isinstance(node, ScalarNode):
            value = LineList(_line(node))
            for part in str(loader.construct_scalar(node)).split(".", 1):
                value.append(part)
                value.item_lines.append(_line(node))
        elif isinstance(node, SequenceNode):
            value = _construct_sequence(loader, node)
        elif isinstance(node, MappingNode):
            value = _construct_mapping(loader, node)
        else:  # pragma: no cover - the composer makes no other node kinds
            raise ConstructorError(None, None, "cannot read this !GetAtt", node.start_mark)
    else:
        name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
        if isinstance(node, ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, SequenceNode):
            value = _construct_sequence(loader, node)
        elif isinstance(node, MappingNode):
            value = _construct_mapping(loader, node)
        else:  # pragma: no cover - the composer makes no other node kinds
            raise ConstructorError(None, None, f"cannot read this !{tag_suffix}", node.start_mark)
    intrinsic[name] = value
    intrinsic.key_lines[name] = _line(node)
    return intrinsic


def _as_written(loader: yaml.SafeLoader, node: Node) -> Any:
    """Timestamps are text to CloudFormation: keep ``2012-10-17`` as written."""
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _finite_float(loader: yaml.SafeLoader, node: Node) -> Any:
    value = loader.construct_yaml_float(node)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise ConstructorError(
            None, None, f"{node.value} is not a number CloudFormation accepts", node.start_mark
        )
    return value


def _int(loader: yaml.SafeLoader, node: Node) -> Any:
    try:
        return loader.construct_yaml_int(node)  # type: ignore[arg-type]
    except ValueError:
        raise ConstructorError(
            None, None, "the integer has too many digits", node.start_mark
        ) from None


def _refuse(loader: yaml.SafeLoader, node: Node) -> Any:
    kind = node.tag.rsplit(":", 1)[-1]
    raise ConstructorError(
        None, None, f"!!{kind} values have no JSON equivalent in a CloudFormation template",
        node.start_mark,
    )


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, MappingNode):
        return (part for pair in node.value for part in pair)
    if isinstance(node, SequenceNode):
        return iter(node.value)
    return iter(())


def check_alias_expansion(root: Node, limit: int) -> None:
    """Refuse a document that holds more than ``limit`` values once its aliases are expanded.

    Walks the composed nodes depth first, reading each alias as a copy of what it names, and
    stops as soon as the count passes ``limit``: time is bounded by the limit and memory by
    the nesting depth. A node that contains itself is skipped here (the constructor reports
    it). The error points at the outermost value on the way that uses an alias (a child that
    starts before its parent), where the expansion comes from.
    """
    path: list[Node] = [root]
    on_path = {id(root)}
    pending = [_children(root)]
    count = 1
    while pending:
        child = next(pending[-1], None)
        if child is None:
            pending.pop()
            on_path.discard(id(path.pop()))
            continue
        if id(child) in on_path:
            continue
        count += 1
        if count > limit:
            raise ConstructorError(
                None,
                None,
                f"aliases expand this document to more than {limit:,} values; refused "
                "(an alias bomb?)",
                _alias_use([*path, child]).start_mark,
            )
        if isinstance(child, MappingNode | SequenceNode):
            path.append(child)
            on_path.add(id(child))
            pending.append(_children(child))


def _alias_use(path: list[Node]) -> Node:
    """The outermost node of ``path`` whose next node was written before it (an alias)."""
    for parent, child in pairwise(path):
        if child.start_mark.index < parent.start_mark.index:
            return parent
    return path[-1]


def _alias_limit(text: str) -> int | None:
    """How many values a document of ``text`` may hold; None when it holds no anchor.

    A document without aliases holds fewer values than twice its characters, so the limit
    never refuses one; aliases may add ``ALIAS_BUDGET`` values on top.
    """
    if not isinstance(text, str) or _ANCHOR.search(text) is None:
        return None
    return 2 * len(text) + ALIAS_BUDGET


class PositionLoader(yaml.SafeLoader):
    """A SafeLoader with line-keeping containers and long-form intrinsic functions."""

    #: Values the document may hold with its aliases expanded; None when it has no alias.
    alias_limit: int | None = None

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_limit = _alias_limit(stream)

    def construct_document(self, node: Node) -> Any:
        if self.alias_limit is not None:
            check_alias_expansion(node, self.alias_limit)
        return super().construct_document(node)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            value = super().construct_object(node, deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as exc:  # a constructor failed on this value: say where
            raise ConstructorError(
                None, None, f"cannot read this value ({type(exc).__name__}: {exc})",
                node.start_mark,
            ) from None
        if isinstance(value, str) and _has_surrogate(value):
            raise ConstructorError(
                None, None, "a string holds an unpaired surrogate escape", node.start_mark
            )
        return value

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        return _construct_mapping(self, node, deep)

    def construct_sequence(self, node: Any, deep: bool = False) -> Any:
        return _construct_sequence(self, node, deep)


PositionLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
PositionLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
PositionLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_written)
PositionLoader.add_constructor("tag:yaml.org,2002:float", _finite_float)
PositionLoader.add_constructor("tag:yaml.org,2002:int", _int)
for _tag in ("binary", "set", "omap", "pairs"):
    PositionLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse)
PositionLoader.add_multi_constructor("!", _construct_intrinsic)

if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class FastPositionLoader(CParser, PositionLoader):
        """The same loader on libyaml's C parser (the constructors stay in Python)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.alias_limit = _alias_limit(stream)

    LOADER: type[yaml.SafeLoader] = FastPositionLoader
else:  # pragma: no cover - PyYAML built without libyaml
    LOADER = PositionLoader


def load_yaml(text: str) -> Any:
    """Parse YAML text into LineDict/LineList containers with long-form intrinsics."""
    return yaml.load(text, Loader=LOADER)  # the loader derives from SafeLoader
