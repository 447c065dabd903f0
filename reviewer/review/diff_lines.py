"""Which lines of a pull request can carry a review comment: parsed from the files' patches.

GitHub accepts a line comment only on a line that the pull request's diff shows. On the
``RIGHT`` side (the new file) those are the added (``+``) and context (`` ``) lines of each
hunk. A multi-line comment (a suggestion that replaces several lines) must also stay inside
one hunk. A file whose patch GitHub leaves out (binary, or too large) has no commentable
line, but it is still part of the pull request, so a file-level comment can go on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class FileDiff:
    """One file of the pull request: each commentable new-side line and the hunk it is in."""

    path: str
    status: str = "modified"
    lines: Mapping[int, int] = field(default_factory=dict)  # line number -> hunk index
    #: The text of each commentable line, and whether the pull request added or changed it.
    text: Mapping[int, str] = field(default_factory=dict, repr=False)
    added: frozenset[int] = frozenset()

    def commentable(self, line: int) -> bool:
        return line in self.lines

    def same_hunk(self, start: int, end: int) -> bool:
        """True when every line from ``start`` to ``end`` is commentable and in one hunk."""
        if start > end or start not in self.lines:
            return False
        hunk = self.lines[start]
        return all(self.lines.get(n) == hunk for n in range(start, end + 1))


@dataclass(frozen=True)
class PullRequestDiff:
    """The files of a pull request by path (the new path of a renamed file)."""

    files: Mapping[str, FileDiff]

    def file(self, path: str) -> FileDiff | None:
        return self.files.get(path)


def right_side_lines(patch: str) -> dict[int, int]:
    """New-side line numbers that a review comment may target, each with its hunk's index."""
    return _parse_patch(patch)[0]


def _parse_patch(patch: str) -> tuple[dict[int, int], dict[int, str], frozenset[int]]:
    lines: dict[int, int] = {}
    texts: dict[int, str] = {}
    added: set[int] = set()
    hunk = -1
    current: int | None = None
    for text in patch.splitlines():
        header = _HUNK.match(text)
        if header:
            hunk += 1
            current = int(header.group(1))
            continue
        if current is None or text.startswith("\\"):  # "\ No newline at end of file"
            continue
        if text.startswith("-"):
            continue
        # "+" (added) and " " (context) lines exist on the right side; an empty line inside
        # a hunk is a context line whose leading space was stripped.
        lines[current] = hunk
        texts[current] = text[1:]
        if text.startswith("+"):
            added.add(current)
        current += 1
    return lines, texts, frozenset(added)


def parse_files(entries: Iterable[tuple[str, str, str | None]]) -> PullRequestDiff:
    """A ``PullRequestDiff`` from (path, status, patch) of each file the pull request lists."""
    files: dict[str, FileDiff] = {}
    for path, status, patch in entries:
        if patch and status != "removed":
            lines, texts, added = _parse_patch(patch)
            files[path] = FileDiff(path, status, lines, texts, added)
        else:
            files[path] = FileDiff(path, status)
    return PullRequestDiff(files)
