"""Lines of keys in a JSON document, computed only when a finding needs one.

``json.loads`` parses and validates; this index walks the same (already valid) text once with
a token pattern and records the line of every object key and array item by its path.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')

PathKey = tuple[str | int, ...]


def _unquote(token: str) -> str:
    import json

    value: str = json.loads(token)
    return value


def index_json_lines(text: str) -> dict[PathKey, int]:
    """Map every key path (and array item path) of a valid JSON text to its 1-based line."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    lines: dict[PathKey, int] = {}
    # Each frame: [path of the container, is_array, next index or pending key]
    stack: list[tuple[PathKey, bool]] = []
    counters: list[int] = []
    pending_key: str | None = None
    expect_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        line = bisect_right(newlines, match.start() - 1) + 1
        if token in "{[":
            path = _value_path(stack, counters, pending_key)
            if path is not None and path not in lines:
                lines[path] = line
            stack.append((path or (), token == "["))
            counters.append(0)
            expect_key = token == "{"
            pending_key = None
        elif token in "}]":
            stack.pop()
            counters.pop()
            pending_key = None
        elif token == ",":
            if stack and stack[-1][1]:
                counters[-1] += 1
            else:
                expect_key = True
            pending_key = None
        elif token == ":":
            expect_key = False
        elif expect_key and token.startswith('"'):
            pending_key = _unquote(token)
            lines[(*stack[-1][0], pending_key)] = line
        else:
            path = _value_path(stack, counters, pending_key)
            if path is not None and path not in lines:
                lines[path] = line
    return lines


def _value_path(
    stack: Sequence[tuple[PathKey, bool]], counters: Sequence[int], key: str | None
) -> PathKey | None:
    if not stack:
        return None
    parent, is_array = stack[-1]
    if is_array:
        return (*parent, counters[-1])
    if key is None:
        return None
    return (*parent, key)


def _line_of(newlines: Sequence[int], offset: int) -> int:
    return bisect_right(newlines, offset - 1) + 1


def first_token_line(text: str, wanted: Callable[[str], bool]) -> int | None:
    """The line of the first token (literal, quoted string, punctuation) ``wanted`` accepts."""
    for match in _TOKEN.finditer(text):
        if wanted(match.group()):
            newlines = [m.start() for m in re.finditer("\n", text[: match.start()])]
            return _line_of(newlines, match.start())
    return None


def duplicate_key_line(text: str) -> int | None:
    """The line of the first key that repeats a key of the same object, if any."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    objects: list[set[str] | None] = []  # keys seen per open object; None for an array
    expect_key = False
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "{[":
            objects.append(set() if token == "{" else None)
            expect_key = token == "{"
        elif token in "}]":
            if objects:
                objects.pop()
            expect_key = False
        elif token == ",":
            expect_key = bool(objects) and objects[-1] is not None
        elif token == ":":
            expect_key = False
        elif expect_key and token.startswith('"') and objects and objects[-1] is not None:
            key = _unquote(token)
            if key in objects[-1]:
                return _line_of(newlines, match.start())
            objects[-1].add(key)
    return None
