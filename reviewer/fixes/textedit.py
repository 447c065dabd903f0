"""Character edits of one text, turned into line edits and a unified diff.

Builders record replacements of exact character spans (a value, a key) and insertions at
offsets; :meth:`TextEdits.result` applies them all at once, so every offset refers to the
original text. :meth:`TextEdits.line_edits` then expresses the change as line-range edits (what
a GitHub suggestion replaces) and :meth:`TextEdits.patch` as a unified diff. Both compare only
the lines the edits touch (see :meth:`TextEdits.windows`): a line diff of a whole 1 MB template,
whose lines repeat a lot, costs seconds, and a template with many findings needs one per
function. :func:`unified_diff` compares two whole texts.
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from reviewer.findings import Edit


class EditConflict(ValueError):
    """Two edits of one text touch the same characters."""


@dataclass
class TextEdits:
    """Pending edits of ``text``: ``(start, end, replacement)``, in the order they were made."""

    text: str
    changes: list[tuple[int, int, str]] = field(default_factory=list)

    def replace(self, start: int, end: int, replacement: str) -> None:
        if not 0 <= start <= end <= len(self.text):
            raise EditConflict(f"span {start}..{end} is outside the text")
        for other_start, other_end, _ in self.changes:
            if start < other_end and other_start < end:
                raise EditConflict(f"span {start}..{end} overlaps {other_start}..{other_end}")
            if start == end and other_start < start < other_end:
                raise EditConflict(f"insertion at {start} falls inside {other_start}..{other_end}")
        self.changes.append((start, end, replacement))

    def insert(self, offset: int, text: str) -> None:
        self.replace(offset, offset, text)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def result(self) -> str:
        """The text with every edit applied; insertions at one offset keep their order."""
        order = sorted(range(len(self.changes)), key=lambda i: (self.changes[i][0], i))
        parts: list[str] = []
        position = 0
        for index in order:
            start, end, replacement = self.changes[index]
            parts.append(self.text[position:start])
            parts.append(replacement)
            position = max(position, end)
        parts.append(self.text[position:])
        return "".join(parts)

    def windows(self) -> list[Window]:
        """The stretches of lines the edits touch, each with the text that replaces it.

        A stretch runs from the line where an edit starts to the line where it ends, plus the
        line after it (so that a diff of the stretch anchors an insertion on an unchanged line
        of its own); stretches that overlap or touch are one window. Outside the windows the
        text does not change. Lines are those of ``str.splitlines``.
        """
        starts = _lines(self.text)[1]
        count = len(starts) - 1
        last_line = max(count - 1, 0)
        spans: list[tuple[int, int, int]] = []  # (first line, end line, index of the change)
        for index, (start, end, _) in enumerate(self.changes):
            first = min(bisect_right(starts, start) - 1, last_line)
            last = min(bisect_right(starts, max(start, end - 1)) - 1, last_line)
            spans.append((first, min(max(last + 2, first + 1), count), index))
        groups: list[tuple[int, int, list[int]]] = []
        for first, end, index in sorted(spans):
            if groups and first <= groups[-1][1]:
                groups[-1] = (groups[-1][0], max(groups[-1][1], end), [*groups[-1][2], index])
            else:
                groups.append((first, end, [index]))
        windows: list[Window] = []
        for first, end, indices in groups:
            low, high = starts[first], starts[end]
            order = sorted(indices, key=lambda i: (self.changes[i][0], i))
            parts: list[str] = []
            position = low
            for index in order:
                start, stop, replacement = self.changes[index]
                parts.append(self.text[position:start])
                parts.append(replacement)
                position = max(position, stop)
            parts.append(self.text[position:high])
            windows.append(Window(first, self.text[low:high], "".join(parts)))
        return windows

    def line_edits(self, path: str) -> tuple[Edit, ...]:
        """The change as line-range edits of the text.

        Every edit replaces at least one line: an insertion is anchored on the line that
        follows it (the line before it at the end of the text), which its replacement repeats.
        """
        old = _lines(self.text)[0]
        return tuple(_edit(path, old, change) for change in self._changes())

    def patch(self, path: str) -> str | None:
        """The change as a unified diff without context lines; None when nothing changes."""
        old = _lines(self.text)[0]
        return _patch(path, [_hunk(old, change) for change in self._changes()])

    def _changes(self) -> Iterator[LineChange]:
        """Each changed run of lines of the whole text, window by window."""
        shift = 0  # how many more lines the new text has than the old before this window
        for window in self.windows():
            old = window.before.splitlines(keepends=True)
            new = window.after.splitlines(keepends=True)
            first = window.first
            for tag, start, stop, new_start, added in _line_changes(old, new):
                yield LineChange(tag, first + start, first + stop, first + shift + new_start, added)
            shift += len(new) - len(old)


@lru_cache(maxsize=4)
def _lines(text: str) -> tuple[list[str], list[int]]:
    """``text.splitlines(keepends=True)`` and the offset where each line starts, plus the end.

    Cached: the builders edit the same texts (a template and its baseline) once per function.
    """
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return lines, starts


class LineChange(NamedTuple):
    """Old lines ``start:stop`` (0-based) become ``added``, which start at line ``new_start`` of
    the new text; ``tag`` is difflib's (``replace``, ``delete`` or ``insert``)."""

    tag: str
    start: int
    stop: int
    new_start: int
    added: list[str]


@dataclass(frozen=True)
class Window:
    """Lines ``first`` (0-based) onwards of a text, ``before`` an edit and ``after`` it."""

    first: int
    before: str
    after: str


def _line_changes(old: list[str], new: list[str]) -> Iterator[LineChange]:
    """Each changed run of lines from ``old`` to ``new`` (difflib's opcodes that are not equal)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            yield LineChange(tag, i1, i2, j1, new[j1:j2])


def _edit(path: str, old: list[str], change: LineChange) -> Edit:
    """One changed run of lines as a line edit."""
    tag, i1, i2, _, added = change
    inserted = "".join(added)
    if tag != "insert":
        return Edit(path, i1 + 1, i2, _terminated(inserted))
    if i1 < len(old):
        return Edit(path, i1 + 1, i1 + 1, _terminated(inserted + old[i1]))
    if old:
        return Edit(path, i1, i1, _terminated(old[i1 - 1]) + _terminated(inserted))
    return Edit(path, 1, 1, _terminated(inserted))


def _terminated(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def apply_line_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with line edits applied (made against it, not overlapping)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
        strip_final = True
    else:
        strip_final = False
    for edit in sorted(edits, key=lambda e: e.start_line, reverse=True):
        replacement = edit.replacement.splitlines(keepends=True)
        lines[edit.start_line - 1 : edit.end_line] = replacement
    out = "".join(lines)
    return out[:-1] if strip_final and out.endswith("\n") else out


def unified_diff(path: str, before: str, after: str) -> str | None:
    """A unified diff from ``before`` to ``after`` of the file ``path``; None when equal.

    Without context lines, as ``difflib.unified_diff(..., n=0)`` writes it.
    """
    if before == after:
        return None
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    return _patch(path, [_hunk(old, change) for change in _line_changes(old, new)])


def _range(start: int, stop: int) -> str:
    """A hunk header's range, as ``difflib`` writes it (an empty range names the line before)."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start if length == 0 else start + 1},{length}"


def _hunk(old: list[str], change: LineChange) -> str:
    _, i1, i2, j1, added = change
    lines = [f"@@ -{_range(i1, i2)} +{_range(j1, j1 + len(added))} @@\n"]
    lines.extend(_patch_line("-", line) for line in old[i1:i2])
    lines.extend(_patch_line("+", line) for line in added)
    return "".join(lines)


def _patch_line(sign: str, line: str) -> str:
    if line.endswith("\n"):
        return sign + line
    return f"{sign}{line}\n\\ No newline at end of file\n"


def _patch(path: str, hunks: list[str]) -> str | None:
    if not hunks:
        return None
    name = path.lstrip("/")
    return f"--- a/{name}\n+++ b/{name}\n" + "".join(hunks)
