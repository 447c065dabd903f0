"""YAML templates through cfn-flip's loader, extended to remember the line of every key.

cfn-flip's ``CfnYamlLoader`` turns every short-form tag (``!Ref``, ``!GetAtt`` in dotted and
list form, ``!Sub``, ``!If`` ...) into its long form. The subclass here builds mappings as
:class:`LineDict` and sequences as :class:`LineList`, which carry the 1-based line of each key
or item, rejects duplicate keys with their line, and uses libyaml's parser when present.
"""

from __future__ import annotations

from typing import Any

import yaml
from cfn_tools.yaml_loader import CfnYamlLoader, multi_constructor

try:
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _Parser = None


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


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    mapping = LineDict(node.start_mark.line + 1)
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in mapping:
            raise DuplicateKeyError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode, deep: bool = False) -> Any:
    sequence = LineList(node.start_mark.line + 1)
    for child in node.value:
        sequence.append(loader.construct_object(child, deep=True))
        sequence.item_lines.append(child.start_mark.line + 1)
    return sequence


class PositionLoader(CfnYamlLoader):
    """cfn-flip's loader with line-keeping containers."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        return _construct_mapping(self, node, deep)

    def construct_sequence(self, node: Any, deep: bool = False) -> Any:
        return _construct_sequence(self, node, deep)


PositionLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
PositionLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
PositionLoader.add_multi_constructor("!", multi_constructor)

if _Parser is not None:

    class FastPositionLoader(_Parser, PositionLoader):  # type: ignore[misc,valid-type]
        """The same loader on libyaml's C parser (the constructors stay in Python)."""

        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    LOADER: type[yaml.SafeLoader] = FastPositionLoader
else:  # pragma: no cover - libyaml is missing on this interpreter
    LOADER = PositionLoader


def load_yaml(text: str) -> Any:
    """Parse YAML text into LineDict/LineList containers with long-form intrinsics."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - the loader derives from SafeLoader
