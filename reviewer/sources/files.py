"""Plain template files: JSON or YAML (short-form tags included), with source lines kept."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from reviewer.errors import InputError
from reviewer.model.template import PropertyPath, StackTemplate
from reviewer.sources.json_lines import index_json_lines
from reviewer.sources.yaml_loader import LineDict, LineList, load_yaml

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


def read_text(path: Path) -> str:
    """The text of a file, or an InputError that says why it cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a template file") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})", line) from None


def parse_text(path: Path, text: str) -> tuple[Any, str]:
    """Parse JSON or YAML text; returns the document and ``"json"`` or ``"yaml"``."""
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates), "json"
        except json.JSONDecodeError as exc:
            raise InputError(path, f"malformed JSON: {exc.msg}", exc.lineno) from None
        except _DuplicateJsonKey as exc:
            raise InputError(path, f"malformed JSON: duplicate key {exc.key!r}") from None
        except RecursionError:
            raise InputError(path, "malformed JSON: nested too deeply") from None
    try:
        return load_yaml(text), "yaml"
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "syntax error"
        raise InputError(path, f"malformed YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"malformed YAML: {exc}") from None
    except RecursionError:
        raise InputError(path, "malformed YAML: nested too deeply") from None


class _DuplicateJsonKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateJsonKey(key)
        out[key] = value
    return out


def check_template_shape(path: Path, body: Any, line_of: Any) -> None:
    """Reject documents that are not CloudFormation templates, naming the reason."""
    if not isinstance(body, Mapping):
        raise InputError(path, "not a CloudFormation template: the document is not a mapping", 1)
    resources = body.get("Resources")
    if resources is None:
        raise InputError(path, "not a CloudFormation template: it has no Resources section")
    if not isinstance(resources, Mapping):
        raise InputError(
            path, "not a CloudFormation template: Resources is not a mapping", line_of(("Resources",))
        )


def yaml_line_lookup(body: Any) -> Any:
    """A line lookup over LineDict/LineList containers."""

    def lookup(path: PropertyPath) -> int | None:
        node = body
        line = None
        for key in path:
            if isinstance(node, LineDict) and isinstance(key, str) and key in node:
                line = node.key_lines.get(key, line)
                node = node[key]
            elif isinstance(node, LineList) and isinstance(key, int) and 0 <= key < len(node):
                line = node.item_lines[key]
                node = node[key]
            else:
                return None
        return line

    return lookup


def json_line_lookup(text: str) -> Any:
    """A line lookup over JSON text, indexed the first time a line is asked for."""
    index: dict[PropertyPath, int] | None = None

    def lookup(path: PropertyPath) -> int | None:
        nonlocal index
        if index is None:
            index = index_json_lines(text)
        return index.get(tuple(path))

    return lookup


def load_template_file(path: Path, stack_name: str | None = None) -> StackTemplate:
    """Load one template file as one stack."""
    text = read_text(path)
    body, kind = parse_text(path, text)
    lookup = yaml_line_lookup(body) if kind == "yaml" else json_line_lookup(text)
    check_template_shape(path, body, lookup)
    return StackTemplate(
        name=stack_name or path.stem,
        path=path,
        body=body,
        line_lookup=lookup,
    )
