"""Lines of keys in a JSON document, computed only when a finding needs one.

``json.loads`` parses and validates. :class:`JsonLines` answers "on which line is this key
path" by indexing only the objects and arrays on the way to it, one level at a time, and
skipping over the values it does not enter with the C scanner of the ``json`` module: a few
findings in a 1 MB template cost a fraction of one parse.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')

PathKey = tuple[str | int, ...]


def _unquote(token: str) -> str:
    value: str = json.loads(token)
    return value


_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: Where each member of one object or array starts: its key, or the item's first character.
_Members = dict[str | int, int]


def _skip_space(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]  # always matches


class JsonLines:
    """The line of a key path in valid JSON text, found lazily.

    Each container on the path is indexed the first time a path goes through it: the offset
    of every member (an object's key, an array item's first character), the values between
    them skipped by ``json``'s C decoder. The answer is the line of an object key, or of the
    start of an array item; ``None`` for a path that is not in the document, for the empty
    path, and for text that is not valid JSON.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._decode = json.JSONDecoder().raw_decode  # one value at an offset, in C
        self._newlines: list[int] | None = None
        #: Offset where the value at a path starts, for every path met so far.
        self._starts: dict[PathKey, int] = {}
        #: Offset of each member's line anchor (key or item start), per indexed container.
        self._members: dict[PathKey, _Members | None] = {}

    def line(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line of the key (or array item) at ``path``; None when it is absent."""
        if not path:
            return None
        if not self._starts:
            self._starts[()] = _skip_space(self._text, 0)
        key = tuple(path)
        anchor: int | None = None
        for depth in range(len(key)):
            members = self._index(key[:depth])
            if members is None:
                return None
            step = key[depth]
            anchor = members.get(step) if isinstance(step, str | int) else None
            if anchor is None:
                return None
        return None if anchor is None else self._line_of(anchor)

    def _index(self, path: PathKey) -> _Members | None:
        if path in self._members:
            return self._members[path]
        start = self._starts.get(path)
        members: _Members | None = None
        if start is not None:
            try:
                members = self._read_container(path, start)
            except (ValueError, IndexError, RecursionError):
                members = None  # not valid JSON here: no lines rather than wrong ones
        self._members[path] = members
        return members

    def _read_container(self, path: PathKey, start: int) -> _Members | None:
        text = self._text
        opening = text[start : start + 1]
        if opening not in ("{", "["):
            return None
        is_object = opening == "{"
        closing = "}" if is_object else "]"
        members: _Members = {}
        position = _skip_space(text, start + 1)
        if text[position : position + 1] == closing:
            return members
        index = 0
        while True:
            anchor = position
            member: str | int
            if is_object:
                if text[position] != '"':
                    raise ValueError("expected a key")
                member, position = self._decode(text, position)
                position = _skip_space(text, position)
                if text[position] != ":":
                    raise ValueError("expected ':'")
                position = _skip_space(text, position + 1)
            else:
                member, index = index, index + 1
            members[member] = anchor  # a repeated key: the last one, as json.loads keeps
            self._starts[(*path, member)] = position
            _, position = self._decode(text, position)
            position = _skip_space(text, position)
            separator = text[position]
            if separator == closing:
                return members
            if separator != ",":
                raise ValueError("expected ',' or a closing bracket")
            position = _skip_space(text, position + 1)

    def _line_of(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self._text)]
        return _line_of(self._newlines, offset)


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
