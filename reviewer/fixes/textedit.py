"""Character edits of one text, turned into line edits and a unified diff.

Builders record replacements of exact character spans (a value, a key) and insertions at
offsets; :meth:`TextEdits.result` applies them all at once, so every offset refers to the
original text. :func:`line_edits` then expresses the difference as line-range edits (what a
GitHub suggestion replaces) and :func:`unified_diff` as a patch.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

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


def line_edits(path: str, before: str, after: str) -> tuple[Edit, ...]:
    """The difference between two texts as line-range edits of ``before``.

    Every edit replaces at least one line: an insertion is anchored on the line that follows
    it (the line before it at the end of the text), which its replacement repeats.
    """
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        inserted = "".join(new[j1:j2])
        if tag != "insert":
            edits.append(Edit(path, i1 + 1, i2, _terminated(inserted)))
        elif i1 < len(old):
            edits.append(Edit(path, i1 + 1, i1 + 1, _terminated(inserted + old[i1])))
        elif old:
            edits.append(Edit(path, i1, i1, _terminated(old[i1 - 1]) + _terminated(inserted)))
        else:
            edits.append(Edit(path, 1, 1, _terminated(inserted)))
    return tuple(edits)


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
    """A unified diff from ``before`` to ``after`` of the file ``path``; None when equal."""
    if before == after:
        return None
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    name = path.lstrip("/")
    lines = difflib.unified_diff(old, new, fromfile=f"a/{name}", tofile=f"b/{name}", n=0)
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
