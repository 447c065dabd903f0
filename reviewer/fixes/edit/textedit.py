"""Character edits of one text, turned into line edits and a unified diff.

Builders record replacements of exact character spans (a value, a key) and insertions at
offsets; :meth:`TextEdits.result` applies them all at once, so every offset refers to the
original text. :meth:`TextEdits.line_edits` then expresses the change as line-range edits (what
a GitHub suggestion replaces) and :meth:`TextEdits.patch` as a unified diff. Both compare only
the lines the edits touch (see :meth:`TextEdits.windows`): a line diff of a whole 1 MB template,
whose lines repeat a lot, costs seconds, and a template with many findings needs one per
function. :func:`unified_diff` compares two whole texts.

A patch carries up to :data:`CONTEXT` lines of context around each change, as ``git diff``
writes it, so that plain ``git apply`` and ``patch -p1`` take it; hunks whose context would
overlap are one hunk. A line the caller names ``hidden`` (one that shows an environment, tag or
parameter value: see :mod:`reviewer.fixes.edit.hidden`) is never a context line: the context stops
before it. ``git apply`` needs a line of context after a change that does not end the file, and
``patch`` takes less context before a change than after it, not more; so the context before a
change is cut to the length of the context after it, and a change whose next line is hidden
gets no context at all (:attr:`Patch.bare`): that patch applies with ``git apply
--unidiff-zero`` (or ``patch``), and :attr:`Patch.note` says so.
"""

from __future__ import annotations

import difflib
from bisect import bisect_right
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from reviewer.contract.findings import Edit

#: Lines of context around a change in a patch, as ``git diff`` writes it.
CONTEXT = 3

#: The flag a patch without context lines needs; notes that name it are about the patch.
UNIDIFF_ZERO = "git apply --unidiff-zero"


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

    def patch(self, path: str, hidden: Collection[int] = frozenset()) -> str | None:
        """The change as a unified diff; None when nothing changes (see :meth:`diff`)."""
        found = self.diff(path, hidden)
        return found.text if found else None

    def diff(
        self, path: str, hidden: Collection[int] = frozenset(), context: int = CONTEXT
    ) -> Patch | None:
        """The change as a unified diff with ``context`` lines of context, none of them a line
        of ``hidden`` (0-based line numbers of the text, lines ending at ``\\n``); None when
        nothing changes."""
        old = _lines(self.text)[0]
        if not _breaks_are_newlines(self.text):
            # A line break other than "\n" (which splitlines honours, git does not): line
            # numbers of the windows are not git's. Rare enough to diff the whole text.
            return text_diff(path, self.text, self.result(), hidden, context)
        return _render(path, old, list(self._changes()), hidden, context)

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


@lru_cache(maxsize=4)
def _breaks_are_newlines(text: str) -> bool:
    """Whether ``str.splitlines`` counts the lines of ``text`` as git does (every break a
    ``\n``). Cached with :func:`_lines`: a text edited once per function is counted once."""
    starts = _lines(text)[1]
    return len(starts) - 1 == text.count("\n") + (not text.endswith("\n"))


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
    """``text`` with line edits applied (made against it, not overlapping).

    A text without a final newline keeps it missing only while its last line is untouched: an
    edit that replaces the last line ends the text with its replacement, whose own final
    newline (every line edit ends with one) is kept, as a suggestion on GitHub keeps it.
    """
    lines = text.splitlines(keepends=True)
    strip_final = bool(lines) and not lines[-1].endswith("\n")
    if strip_final:
        lines[-1] += "\n"
        strip_final = all(edit.end_line < len(lines) for edit in edits)
    for edit in sorted(edits, key=lambda e: e.start_line, reverse=True):
        replacement = edit.replacement.splitlines(keepends=True)
        lines[edit.start_line - 1 : edit.end_line] = replacement
    out = "".join(lines)
    return out[:-1] if strip_final and out.endswith("\n") else out


def unified_diff(
    path: str, before: str, after: str, hidden: Collection[int] = frozenset(),
    context: int = CONTEXT,
) -> str | None:
    """A unified diff from ``before`` to ``after`` of the file ``path``; None when equal."""
    found = text_diff(path, before, after, hidden, context)
    return found.text if found else None


def text_diff(
    path: str, before: str, after: str, hidden: Collection[int] = frozenset(),
    context: int = CONTEXT,
) -> Patch | None:
    """:func:`unified_diff` with what the patch needs to apply (:class:`Patch`).

    Lines are those that end at ``\\n``, as git and ``patch`` count them.
    """
    if before == after:
        return None
    old, new = _git_lines(before), _git_lines(after)
    return _render(path, old, list(_line_changes(old, new)), hidden, context)


def _git_lines(text: str) -> list[str]:
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


@dataclass(frozen=True)
class Patch:
    """A unified diff of ``path``, and the old lines (1-based) where a hunk has no context
    because the lines next to the change are hidden: such a patch needs ``--unidiff-zero``."""

    path: str
    text: str
    bare: tuple[int, ...] = ()

    @property
    def note(self) -> str | None:
        """Why and how to apply a patch with bare hunks; None when plain ``git apply`` takes it."""
        if not self.bare:
            return None
        where = ", ".join(str(line) for line in self.bare)
        return (
            f"the patch of {self.path} has no context lines at line {where}: the lines next to "
            "the change there show environment, tag or parameter values, which latest-guard "
            f"never prints; apply it with `{UNIDIFF_ZERO}` (or `patch -p1`), or run "
            "`latest-guard fix --write`"
        )


def _render(
    path: str, old: list[str], changes: list[LineChange], hidden: Collection[int], context: int
) -> Patch | None:
    """The hunks of ``changes`` (sorted, not overlapping) with their context from ``old``."""
    if not changes:
        return None
    groups: list[list[LineChange]] = []
    for change in changes:
        if groups and _joins(groups[-1][-1].stop, change.start, hidden, context):
            groups[-1].append(change)
        else:
            groups.append([change])
    hunks: list[str] = []
    bare: list[int] = []
    for group in groups:
        first, last = group[0], group[-1]
        after = _safe_run(range(last.stop, min(last.stop + context, len(old))), hidden)
        reaches_end = last.stop + after == len(old)
        if after == 0 and not reaches_end:
            before = 0  # without a line after it, git matches a hunk only at the end of the file
            bare.append(first.start + 1)
        else:
            before = _safe_run(range(first.start - 1, max(first.start - context, 0) - 1, -1),
                               hidden)
            if not reaches_end:
                before = min(before, after)  # patch takes less context before, not more
        hunks.append(_hunk(old, group, before, after))
    name = path.lstrip("/")
    text = f"--- a/{name}\n+++ b/{name}\n" + "".join(hunks)
    return Patch(name, text, tuple(bare))


def _joins(stop: int, start: int, hidden: Collection[int], context: int) -> bool:
    """Whether a change starting at ``start`` shares a hunk with one ending at ``stop``: their
    contexts would meet, and the lines between them can be shown."""
    return start - stop <= 2 * context and not any(line in hidden for line in range(stop, start))


def _safe_run(lines: range, hidden: Collection[int]) -> int:
    """How many of ``lines``, in order, come before the first hidden one."""
    count = 0
    for line in lines:
        if line in hidden:
            break
        count += 1
    return count


def _range(start: int, stop: int) -> str:
    """A hunk header's range, as ``difflib`` writes it (an empty range names the line before)."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start if length == 0 else start + 1},{length}"


def _hunk(old: list[str], group: list[LineChange], before: int, after: int) -> str:
    """One hunk: ``group``'s changes, the old lines between them, and ``before`` and ``after``
    lines of context around them."""
    first, last = group[0], group[-1]
    old_start, old_stop = first.start - before, last.stop + after
    new_start = first.new_start - before
    new_length = old_stop - old_start + sum(len(c.added) - (c.stop - c.start) for c in group)
    lines = [f"@@ -{_range(old_start, old_stop)} +{_range(new_start, new_start + new_length)} @@\n"]
    position = old_start
    for change in group:
        lines.extend(_patch_line(" ", line) for line in old[position : change.start])
        lines.extend(_patch_line("-", line) for line in old[change.start : change.stop])
        lines.extend(_patch_line("+", line) for line in change.added)
        position = change.stop
    lines.extend(_patch_line(" ", line) for line in old[position:old_stop])
    return "".join(lines)


def _patch_line(sign: str, line: str) -> str:
    if line.endswith("\n"):
        return sign + line
    return f"{sign}{line}\n\\ No newline at end of file\n"
