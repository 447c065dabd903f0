"""New template text in the user's own style: YAML or JSON, short-form tags or long form.

Values are plain Python data with three markers for intrinsic functions (:class:`Ref`,
:class:`GetAtt`, :class:`Sub`). :class:`Style` is read from the document being edited.

A value is first put in its long form, the JSON that CloudFormation reads (``{"Ref": ...}``,
``{"Fn::GetAtt": [...]}``). A JSON file gets that JSON. A YAML file gets it as YAML written by
cfn-flip's dumper (imported on first use: a check without a fix to write never loads it), which
turns the functions into short-form tags (``!Ref Fn``, ``!GetAtt Fn.Arn``, ``!Sub ...``) when
the file uses them and keeps the long form otherwise. It is set to lose nothing: no
``clean_up`` (which rewrites ``Fn::Join`` into ``Fn::Sub``), keys in their order, no anchors,
no folded lines. And it writes what these edits always wrote: a string plain when it reads back
as that string, else in double quotes; a long-form function as JSON on one line
(``{"Ref": "Fn"}``); a list of plain values on one line (``[A, B]``). What cfn-flip does
not do stays in the edit kit: one value on one line after ``key:`` (:meth:`Style.inline`), the
indentation of the surrounding lines (:meth:`Style.entry`), and where the text goes, next to
the comments it keeps (:mod:`.operations`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import yaml

from reviewer.fixes.edit.document import Document


@dataclass(frozen=True)
class Ref:
    target: str


@dataclass(frozen=True)
class GetAtt:
    target: str
    attribute: str


@dataclass(frozen=True)
class Sub:
    text: str


@dataclass(frozen=True)
class Style:
    """How the document writes things: ``yaml`` or ``json``, short tags, spaces per level."""

    kind: str
    short_tags: bool
    unit: int

    @classmethod
    def of(cls, document: Document) -> Style:
        return cls(document.kind, document.short_tags, document.indent_unit())

    # -- inline ----------------------------------------------------------------------------

    def inline(self, value: Any) -> str:
        """``value`` on one line, as it would follow ``key: `` (YAML) or ``"key": `` (JSON)."""
        if self.kind == "json":
            return json.dumps(_long_form(value), ensure_ascii=False)
        return _yaml(_long_form(value), self.short_tags, self.unit, flow=True).rstrip("\n")

    def scalar(self, value: Any) -> str:
        if self.kind == "json":
            return json.dumps(value, ensure_ascii=False)
        return self.inline(value)

    def key(self, key: str) -> str:
        return json.dumps(key) if self.kind == "json" else self.scalar(key)

    # -- blocks ----------------------------------------------------------------------------

    def entry(self, key: str, value: Any, column: int) -> str:
        """``key: value`` as lines starting at ``column`` (with the final newline for YAML; JSON
        gives the entry without the separating comma)."""
        pad = " " * column
        if self.kind == "json":
            text = json.dumps(_long_form(value), indent=self.unit, ensure_ascii=False)
            text = text.replace("\n", "\n" + pad)
            return f"{pad}{json.dumps(key)}: {text}"
        text = _yaml(_Entry({key: _long_form(value)}), self.short_tags, self.unit, flow=False)
        return pad + text.rstrip("\n").replace("\n", "\n" + pad) + "\n"


def _long_form(value: Any) -> Any:
    """``value`` with its markers as the JSON CloudFormation reads."""
    if isinstance(value, Ref):
        return {"Ref": value.target}
    if isinstance(value, GetAtt):
        return {"Fn::GetAtt": [value.target, value.attribute]}
    if isinstance(value, Sub):
        return {"Fn::Sub": value.text}
    if isinstance(value, Mapping):
        return {str(k): _long_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_long_form(v) for v in value]
    return value


# -- YAML through cfn-flip ------------------------------------------------------------------------

#: Characters of a string written plain (unquoted), if it also reads back as that string.
_PLAIN = re.compile(r"^[A-Za-z0-9_$/][A-Za-z0-9_./:$@+-]*$")
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: No line is ever folded: a value written inline must stay on its line.
_WIDTH = 1 << 30


def _yaml(data: Any, short_tags: bool, unit: int, *, flow: bool) -> str:
    """``data`` (in long form) as YAML: one line when ``flow``, else a block."""
    text = yaml.dump(
        data,
        Dumper=_dumper(short_tags, flow),
        default_flow_style=True if flow else None,  # in a block: a list of plain values inline
        indent=min(max(unit, 2), 9),  # what YAML emitters can write: 2 to 9 spaces per level
        width=_WIDTH,
        allow_unicode=True,
        sort_keys=False,
    )
    # A plain scalar alone in the document is followed by a document end marker.
    return text.removesuffix("...\n")


class _Entry(dict[str, Any]):
    """The ``key: value`` an entry writes: a mapping, never a function (``Condition: C``)."""


@lru_cache(maxsize=4096)
def _plain(text: str) -> bool:
    """Whether a string is written plain: safe characters, and it reads back as this very
    string (not a number, a boolean, a null, a mapping)."""
    if not _PLAIN.match(text):
        return False
    try:
        return bool(yaml.safe_load(text) == text)
    except yaml.YAMLError:
        return False


def _is_function(value: Mapping[str, Any]) -> bool:
    if len(value) != 1:
        return False
    (key,) = value
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def _has_short_form(value: Mapping[str, Any]) -> bool:
    """A function cfn-flip writes as a tag: its argument is text, a list or a mapping (and a
    ``Fn::GetAtt`` list is text it joins with a dot)."""
    ((key, argument),) = value.items()
    if key == "Fn::GetAtt" and isinstance(argument, list):
        return all(isinstance(part, str) for part in argument)
    return isinstance(argument, str | list | Mapping)


def _simple(value: Any) -> bool:
    """A value a list can hold and stay on one line in a block: not a collection, unless it is
    a function (``[!Ref A, !Ref B]``)."""
    if isinstance(value, Mapping):
        return _is_function(value)
    return not isinstance(value, list)


class _Configured(yaml.Dumper):
    """What cfn-flip's dumper is given (put before it in :func:`_dumper`), as the module says."""

    def represent_scalar(self, tag: str, value: Any, style: str | None = None) -> yaml.ScalarNode:
        # Our choice, not cfn-flip's (single quotes for "0123", folding of long lines).
        quotable = tag == _STR or tag.startswith("!")
        if style is None and quotable and isinstance(value, str) and not _plain(value):
            style = '"'
        return yaml.representer.BaseRepresenter.represent_scalar(self, tag, value, style)

    def choose_scalar_style(self) -> str:
        # Plain whenever _plain says so, also after a tag (!Ref Fn, not !Ref 'Fn') and in a
        # flow list ([arn:aws:...], which PyYAML's stricter YAML 1.1 rule would quote).
        event = self.event
        if (
            isinstance(event, yaml.ScalarEvent)
            and not event.style
            and (event.implicit[0] or (event.tag or "").startswith("!"))
            and _plain(event.value)
        ):
            return ""
        return str(super().choose_scalar_style())


@cache
def _dumper(short_tags: bool, flow: bool) -> type[yaml.Dumper]:
    """cfn-flip's dumper for short-form tags or the long form, :class:`_Configured`."""
    from cfn_flip import yaml_dumper  # type: ignore[import-untyped]

    base = yaml_dumper.get_dumper(clean_up=False, long_form=not short_tags)
    configured: type[yaml.Dumper] = type("Dumper", (_Configured, base), {})

    def mapping(dumper: yaml.Dumper, value: Mapping[str, Any]) -> yaml.Node:
        if _is_function(value):
            if not short_tags:
                return _flow_json(dumper.represent_mapping(_MAP, value, flow_style=True))
            if _has_short_form(value):
                tagged: yaml.Node = yaml_dumper.map_representer(dumper, value)
                return tagged
        return dumper.represent_mapping(_MAP, value, flow_style=flow)

    def sequence(dumper: yaml.Dumper, items: list[Any]) -> yaml.Node:
        if flow or all(_simple(item) for item in items):
            return dumper.represent_sequence(_SEQ, items, flow_style=True)
        node = dumper.represent_sequence(_SEQ, items, flow_style=False)
        for item in node.value:
            if isinstance(item, yaml.CollectionNode):
                item.flow_style = True
        return node

    def entry(dumper: yaml.Dumper, value: _Entry) -> yaml.Node:
        return dumper.represent_mapping(_MAP, value, flow_style=False)

    def text(dumper: yaml.Dumper, value: str) -> yaml.Node:
        return dumper.represent_scalar(_STR, value)

    configured.add_representer(_Entry, entry)
    configured.add_representer(dict, mapping)
    configured.add_representer(list, sequence)
    configured.add_representer(str, text)
    return configured


def _flow_json(node: yaml.Node) -> yaml.Node:
    """A long-form function written as JSON: on one line, every string in double quotes."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            node.style = '"'
    elif isinstance(node, yaml.SequenceNode):
        node.flow_style = True
        for item in node.value:
            _flow_json(item)
    elif isinstance(node, yaml.MappingNode):
        node.flow_style = True
        for key, item in node.value:
            _flow_json(key)
            _flow_json(item)
    return node
