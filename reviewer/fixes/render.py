"""New template text in the user's own style: YAML or JSON, short-form tags or long form.

Values are plain Python data with three markers for intrinsic functions (:class:`Ref`,
:class:`GetAtt`, :class:`Sub`). :class:`Style` is read from the document being edited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from reviewer.fixes.document import Document


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


_PLAIN = re.compile(r"^[A-Za-z0-9_$/][A-Za-z0-9_./:$@+-]*$")


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

    def inline(self, value: Any) -> str:  # noqa: PLR0911
        """``value`` on one line, as it would follow ``key: `` (YAML) or ``"key": `` (JSON)."""
        if self.kind == "json":
            return json.dumps(_long_form(value), ensure_ascii=False)
        if isinstance(value, Ref):
            return f"!Ref {value.target}" if self.short_tags else _flow({"Ref": value.target})
        if isinstance(value, GetAtt):
            if self.short_tags:
                return f"!GetAtt {value.target}.{value.attribute}"
            return _flow({"Fn::GetAtt": [value.target, value.attribute]})
        if isinstance(value, Sub):
            if self.short_tags:
                return f"!Sub {self.scalar(value.text)}"
            return _flow({"Fn::Sub": value.text})
        if isinstance(value, Mapping):
            pairs = (f"{self.key(k)}: {self.inline(v)}" for k, v in value.items())
            return "{" + ", ".join(pairs) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.inline(v) for v in value) + "]"
        return self.scalar(value)

    def scalar(self, value: Any) -> str:
        if self.kind == "json":
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        text = str(value)
        if _PLAIN.match(text) and _reads_as_text(text):
            return text
        return json.dumps(text, ensure_ascii=False)

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
        if isinstance(value, Mapping) and value:
            lines = [f"{pad}{self.key(key)}:\n"]
            for child_key, child in value.items():
                lines.append(self.entry(str(child_key), child, column + self.unit))
            return "".join(lines)
        if isinstance(value, list) and value and not all(_simple(v) for v in value):
            lines = [f"{pad}{self.key(key)}:\n"]
            for item in value:
                lines.append(f"{pad}{' ' * self.unit}- {self.inline(item)}\n")
            return "".join(lines)
        return f"{pad}{self.key(key)}: {self.inline(value)}\n"


def _simple(value: Any) -> bool:
    return not isinstance(value, Mapping | list)


def _reads_as_text(text: str) -> bool:
    """Whether a plain YAML scalar reads back as this very string (not a number, bool, null)."""
    try:
        return bool(yaml.safe_load(text) == text)
    except yaml.YAMLError:
        return False


def _flow(value: Any) -> str:
    """A JSON-style flow collection: valid YAML whatever the keys (``Fn::GetAtt``) hold."""
    return json.dumps(value, ensure_ascii=False)


def _long_form(value: Any) -> Any:
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
