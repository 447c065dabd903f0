"""Plain template files: JSON or YAML (short-form tags included), with source lines kept."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from reviewer.errors import InputError
from reviewer.model.template import PropertyPath, StackTemplate
from reviewer.sources.naming import stack_name_of
from reviewer.sources.text.json_lines import JsonLines, duplicate_key_line, first_token_line
from reviewer.sources.text.yaml_loader import LineDict, LineList, load_yaml


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
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(
                path, "is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8"
            ) from None
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})", line) from None


def parse_text(path: Path, text: str) -> tuple[Any, str]:
    """Parse JSON or YAML text; returns the document and ``"json"`` or ``"yaml"``."""
    if text.lstrip().startswith("{"):
        return _parse_json(path, text), "json"
    try:
        return load_yaml(text), "yaml"
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "syntax error"
        if exc.problem and exc.context:
            problem = f"{exc.problem} ({exc.context})"
        if line is not None and "\t" in _line_text(text, line):
            problem += "; the line holds a tab, and YAML indents with spaces only"
        raise InputError(path, f"malformed YAML: {_one_line(problem)}", line) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "byte"
        raise InputError(
            path, f"malformed YAML: unacceptable character {character}: {exc.reason}", line
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"malformed YAML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise InputError(path, "malformed YAML: nested too deeply") from None


def _parse_json(path: Path, text: str) -> Any:
    try:
        body = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"malformed JSON: {exc.msg}", exc.lineno) from None
    except _DuplicateJsonKey as exc:
        line = duplicate_key_line(text)
        raise InputError(path, f"malformed JSON: duplicate key {exc.key!r}", line) from None
    except _NonFiniteNumber as exc:
        literal = exc.literal
        line = first_token_line(text, lambda token: token == literal)
        raise InputError(
            path, f"malformed JSON: {literal} is not a number JSON allows", line
        ) from None
    except ValueError:  # int() refuses numbers with more digits than the interpreter allows
        line = first_token_line(text, lambda token: len(token) > 4300 and token[-1].isdigit())
        raise InputError(path, "malformed JSON: a number has too many digits", line) from None
    except RecursionError:
        raise InputError(path, "malformed JSON: nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text):
        line = first_token_line(text, _has_unpaired_surrogate)
        if line is not None:
            raise InputError(path, "malformed JSON: a string holds an unpaired surrogate", line)
    return body


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_unpaired_surrogate(token: str) -> bool:
    if not token.startswith('"') or "\\u" not in token:
        return False
    try:
        json.loads(token).encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        return True
    return False


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _NonFiniteNumber(ValueError):
    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def _no_constant(literal: str) -> Any:
    raise _NonFiniteNumber(literal)


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
    if body is None:  # an empty file, or one of comments (or a bare null) only
        raise InputError(path, "is empty: not a CloudFormation template")
    if not isinstance(body, Mapping):
        raise InputError(path, "not a CloudFormation template: the document is not a mapping", 1)
    if "Resources" not in body:
        raise InputError(path, "not a CloudFormation template: it has no Resources section")
    resources = body["Resources"]
    if resources is None:
        raise InputError(
            path, "not a CloudFormation template: Resources is empty", line_of(("Resources",))
        )
    if not isinstance(resources, Mapping):
        reason = "not a CloudFormation template: Resources is not a mapping"
        raise InputError(path, reason, line_of(("Resources",)))


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
    """A line lookup over JSON text, indexing only the containers that a lookup goes through."""
    return JsonLines(text).line


def load_template_file(path: Path, stack_name: str | None = None) -> StackTemplate:
    """Load one template file as one stack."""
    return load_template_text(path, read_text(path), stack_name)


def load_template_text(path: Path, text: str, stack_name: str | None = None) -> StackTemplate:
    """Load template text that came from ``path`` (a file, or a file at a git revision)."""
    body, kind = parse_text(path, text)
    lookup = yaml_line_lookup(body) if kind == "yaml" else json_line_lookup(text)
    check_template_shape(path, body, lookup)
    return StackTemplate(
        name=stack_name or stack_name_of(path),
        path=path,
        body=body,
        line_lookup=lookup,
        source_digest=text_digest(text),
    )


def text_digest(text: str) -> str:
    """The SHA-256 (hex) of a template's text, as ``StackTemplate.source_digest`` holds it."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
