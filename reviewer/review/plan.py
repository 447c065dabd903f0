"""Where each finding goes in a pull-request review: on a line, on its file, or in the body.

The plan is made before anything is posted, from the findings, the pull request's diff and the
fingerprints that earlier runs already posted:

- a finding already posted (its fingerprint is on a comment that is not outdated, or in one of
  our review bodies) is not posted again;
- a finding whose line (or the line of a property it names) is in the diff gets a line
  comment there, with a ```suggestion``` block when its fix carries an edit of lines that are
  all in one hunk and was verified to make the finding go away;
- a finding in a file of the pull request whose lines are not in the diff gets a file-level
  comment;
- beyond ``limit`` comments, and for findings in files the pull request does not touch, the
  finding goes into the review body. GitHub's secondary rate limits make long runs of review
  comments fail; 30 per run is what reviewdog settled on.

Suppressed findings are never posted inline: the summary comment lists them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from reviewer.contract.enums import Side
from reviewer.contract.findings import Edit, Finding
from reviewer.review.diff_lines import FileDiff, PullRequestDiff

MAX_COMMENTS = 30
#: How far below the function's own line a property line is looked for.
_PROPERTY_WINDOW = 80
_TYPE_LINE = re.compile(r'^\s*"?Type"?\s*:')


@dataclass(frozen=True)
class PlannedComment:
    """A review comment to post: on ``line`` (and up from ``start_line``), or on the file."""

    fingerprint: str
    finding: Finding
    path: str
    line: int | None = None
    start_line: int | None = None
    suggestion: Edit | None = None

    @property
    def file_level(self) -> bool:
        return self.line is None


@dataclass(frozen=True)
class ReviewPlan:
    line_comments: tuple[PlannedComment, ...]
    file_comments: tuple[PlannedComment, ...]
    #: Findings that go into the review body: beyond the limit, or outside the diff's files.
    in_body: tuple[Finding, ...]
    #: Fingerprints that an earlier run already posted and that stay as they are.
    already_posted: frozenset[str]

    @property
    def empty(self) -> bool:
        return not (self.line_comments or self.file_comments or self.in_body)


def edits_of(finding: Finding) -> tuple[Edit, ...]:
    """The line edits of the user's file that a finding's fix carries (``Fix.change``), when
    applying them was checked to make the finding go away (``Fix.verified``).

    Other fixes get no suggestion block (a suggestion that leaves its finding in place would
    read as the fix); an edit of lines that are not all in one hunk of the diff neither.
    """
    fix = finding.fix
    change = fix.change if fix is not None and fix.verified else None
    if change is None:
        return ()
    return tuple(e for e in change.edits if 1 <= e.start_line <= e.end_line)


def plan_review(
    findings: Iterable[Finding],
    diff: PullRequestDiff,
    posted: Collection[str],
    limit: int = MAX_COMMENTS,
) -> ReviewPlan:
    """Decide for every active finding whether and where it is posted (see the module doc)."""
    lines: list[PlannedComment] = []
    files: list[PlannedComment] = []
    body: list[Finding] = []
    kept: set[str] = set()
    seen: set[str] = set()
    for finding in findings:
        fingerprint = finding.fingerprint
        if finding.suppressed or fingerprint in seen:
            continue
        seen.add(fingerprint)
        if fingerprint in posted:
            kept.add(fingerprint)
            continue
        file = diff.file(finding.location.path)
        if file is None or len(lines) + len(files) >= limit:
            body.append(finding)
            continue
        comment = place(finding, file)
        (files if comment.file_level else lines).append(comment)
    return ReviewPlan(tuple(lines), tuple(files), tuple(body), frozenset(kept))


def place(finding: Finding, file: FileDiff) -> PlannedComment:
    """The best place in ``file`` for a finding: its fix as one suggestion, a property's line,
    the finding's own line, or the file."""
    fingerprint = finding.fingerprint
    edit = merged_suggestion(edits_of(finding), file)
    if edit is not None:
        start = edit.start_line if edit.start_line < edit.end_line else None
        return PlannedComment(fingerprint, finding, file.path, edit.end_line, start, edit)
    line = property_line(finding, file)
    if line is None and finding.location.line is not None:
        line = finding.location.line if file.commentable(finding.location.line) else None
    return PlannedComment(fingerprint, finding, file.path, line)


def merged_suggestion(edits: Sequence[Edit], file: FileDiff) -> Edit | None:
    """The fix's edits of ``file`` as ONE suggestion, or None when that would not be the fix.

    A suggestion must cover lines of one hunk, and applying it must apply the whole fix to the
    file: half a fix (an alias created, its consumers not moved) would read as the complete
    one. So every edit of the file must fall in the same hunk, without overlaps; the lines
    between two edits are carried over unchanged from the diff's own text.
    """
    mine = sorted((e for e in edits if e.path == file.path), key=lambda e: e.start_line)
    if not mine:
        return None
    first, last = mine[0].start_line, mine[-1].end_line
    if not file.same_hunk(first, last):
        return None
    pieces: list[str] = []
    line = first
    for edit in mine:
        if edit.start_line < line:
            return None  # overlapping edits
        pieces.extend(file.text[n] + "\n" for n in range(line, edit.start_line))
        pieces.append(edit.replacement)
        line = edit.end_line + 1
    return Edit(file.path, first, last, "".join(pieces))


def property_line(finding: Finding, file: FileDiff) -> int | None:
    """A changed line of the diff that sets one of the finding's changed properties.

    Starting at the function's own line, the first added or changed line whose key names a
    property changed on the code or configuration side, as long as no ``Type:`` line of a
    later resource comes first. This puts the comment where the reader sees the change
    (``Architectures: [arm64]``) rather than on the resource's name, which the diff often
    leaves out.
    """
    start = finding.location.line
    if start is None:
        return None
    names = _property_names(finding)
    if not names:
        return None
    key = re.compile(r'^\s*-?\s*"?(' + "|".join(map(re.escape, names)) + r')"?\s*:')
    for number in sorted(n for n in file.text if start < n <= start + _PROPERTY_WINDOW):
        text = file.text[number]
        if _TYPE_LINE.match(text) and number > start + 1:
            return None
        if number in file.added and key.match(text):
            return number
    return None


def _property_names(finding: Finding) -> Sequence[str]:
    return list(
        dict.fromkeys(c.name for c in finding.changes if c.side in (Side.CODE, Side.CONFIG))
    )
