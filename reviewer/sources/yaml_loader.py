"""YAML templates through cfn-flip's loader, extended to remember the line of every key.

cfn-flip's ``CfnYamlLoader`` (a ``SafeLoader``) turns every short-form tag (``!Ref``,
``!GetAtt`` in dotted and list form, ``!Sub``, ``!If`` ...) into its long form; here
``!GetAtt [a, !Ref b]`` keeps its nested function (cfn-flip reads it as ``["a", "b"]``).
Mappings are built as :class:`LineDict` and sequences as :class:`LineList`, which carry the
1-based line of each key or item. libyaml's parser is used when present.

The document it returns is JSON-shaped, like the template CloudFormation sees:

- mapping keys are the key's text as written (``On:`` stays ``"On"``, ``010:`` stays ``"010"``);
  a key that is a collection or a tagged value is an error;
- a key written twice in one mapping is an error; keys merged with ``<<`` are overridden by the
  mapping's own keys, as YAML specifies;
- timestamps (``Version: 2012-10-17``) stay the text as written;
- values with no JSON equivalent (``!!binary``, ``!!set``, ``!!omap``, ``!!pairs``, ``.nan``,
  ``.inf``) and strings holding unpaired surrogates are errors with their line;
- any other failure while building a value becomes a YAML error at that value's line.
"""

from __future__ import annotations

import math
from typing import Any

import yaml
from cfn_tools.yaml_loader import CfnYamlLoader
from cfn_tools.yaml_loader import multi_constructor as cfn_multi_constructor
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MERGE = "tag:yaml.org,2002:merge"


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

    cfn-flip's constructor does the work (it calls back into this loader's mapping and
    sequence constructors, so nested values keep their lines); only ``!GetAtt`` is built here,
    because cfn-flip reads ``!GetAtt [a, !Ref b]`` as ``["a", "b"]`` and fails on a mapping.
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
        ((name, value),) = cfn_multi_constructor(loader, tag_suffix, node).items()
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


class PositionLoader(CfnYamlLoader):  # type: ignore[misc]  # cfn-flip ships no type hints
    """cfn-flip's loader (a SafeLoader) with line-keeping containers."""

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

    LOADER: type[yaml.SafeLoader] = FastPositionLoader
else:  # pragma: no cover - PyYAML built without libyaml
    LOADER = PositionLoader


def load_yaml(text: str) -> Any:
    """Parse YAML text into LineDict/LineList containers with long-form intrinsics."""
    return yaml.load(text, Loader=LOADER)  # the loader derives from SafeLoader
