"""The bodies a review posts, each cut to the host's body limit (``limit``, in characters).

- a review comment: our marker, the finding (what is wrong, what to do, the rest collapsed) and,
  on a line, the fix as a ```suggestion``` block;
- the bodies of the reviews that carry the findings not on a line or a file (``review_bodies``);
- the sticky summary and the details comments that follow it when the summary has no room for
  the findings' details.

Every body is rendered from the finding itself (``reviewer.report.markdown`` writes its
Markdown); a comment that stays gets its what-to-do line rendered again from the finding
(``refreshed``), found by its place in the body this module laid out, not by its words.
"""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.contract.findings import Edit, Finding
from reviewer.contract.wording import numbered
from reviewer.report.markdown import fenced, finding_body, finding_brief, todo, truncate
from reviewer.review.markers import DEFAULT, Markers
from reviewer.review.plan import PlannedComment

#: At most this many reviews carry the findings that are not on a line or a file.
MAX_REVIEW_BODIES = 10
#: Room kept in a body for its markers' line, its heading and its lead-in sentence.
_HEAD_ROOM = 1200
#: Where a review comment's what-to-do line is: after the marker and the finding's headline
#: (``comment_body`` lays it out so; the line is empty when the finding has no fix).
_TODO_LINE = 2


def comment_body(
    comment: PlannedComment, pointer: str, markers: Markers = DEFAULT, *, limit: int
) -> str:
    """The marker, the finding, and its suggestion block when the fix is a line edit."""
    text = markers.finding(comment.fingerprint) + "\n" + finding_body(comment.finding)
    if comment.suggestion is not None and comment.line is not None:
        text += "\n" + suggestion_block(comment.suggestion)
    return truncate(text, limit, pointer)


def refreshed(body: str, finding: Finding, pointer: str, *, limit: int) -> str | None:
    """An earlier comment's ``body`` with its what-to-do line as ``finding`` reads now (a
    phase-one pull request to merge first, opened or merged since), and nothing else of it
    changed; None when it reads the same, or the comment has no such line."""
    line = todo(finding)
    lines = body.split("\n")
    if not line or len(lines) <= _TODO_LINE or not lines[_TODO_LINE]:
        return None
    if lines[_TODO_LINE] == line:
        return None
    lines[_TODO_LINE] = line
    return truncate("\n".join(lines), limit, pointer)


def suggestion_block(edit: Edit) -> str:
    """A ```suggestion``` fence whose backticks outnumber any run in the replacement."""
    return fenced(edit.replacement, "suggestion") + "\n"


def review_bodies(
    lines: Sequence[PlannedComment],
    rest: Sequence[Finding],
    markers: Markers = DEFAULT,
    *,
    limit: int,
) -> tuple[list[tuple[str, tuple[Finding, ...]]], tuple[Finding, ...]]:
    """The bodies of the reviews that carry ``rest`` (the first one also carries ``lines``),
    each with the findings whose text it holds; and the findings that fit in none.

    A body lists the marker of a finding only when it holds that finding's text, so a
    finding is never taken as posted that nobody can read. Findings go in whole, in order,
    until a body is full; the next one opens another review, up to ``MAX_REVIEW_BODIES``.
    A finding whose text alone is longer than a body goes in short (its diagram and the
    change to apply are in the job summary, which the body says).
    """
    budget = limit - _HEAD_ROOM
    texts = [(f, _body_text(f, budget)) for f in rest]
    groups: list[list[tuple[Finding, str]]] = [[]]
    used = 0
    for finding, text in texts:
        size = len(text) + len(markers.finding(finding.fingerprint)) + 2
        if groups[-1] and used + size > budget:
            groups.append([])
            used = 0
        groups[-1].append((finding, text))
        used += size
    kept, dropped = groups[:MAX_REVIEW_BODIES], groups[MAX_REVIEW_BODIES:]
    bodies = [
        (_review_text(lines if n == 0 else (), group, n, len(kept), markers),
         tuple(f for f, _ in group))
        for n, group in enumerate(kept)
    ]
    return bodies, tuple(f for group in dropped for f, _ in group)


def _body_text(finding: Finding, budget: int) -> str:
    text = finding_body(finding)
    if len(text) <= budget:
        return text
    return truncate(finding_brief(finding), budget, "")


def _review_text(
    lines: Sequence[PlannedComment],
    group: Sequence[tuple[Finding, str]],
    index: int,
    total: int,
    markers: Markers,
) -> str:
    parts = [markers.review]
    parts.extend(markers.finding(f.fingerprint) for f, _ in group)
    here = len(group)
    head = f"**latest-guard** · {numbered(here, 'finding')} in this review"
    if lines:
        head += f", {len(lines)} on the lines below"
    if total > 1:
        head += f" (review {index + 1} of {total} of this run)"
    parts.append(head + ".")
    if group:
        parts.append(
            "\nThese could not go on a line of this pull request (beyond the "
            "comment limit, or in a file it does not change):\n"
        )
        parts.extend(text for _, text in group)
    return "\n".join(parts) + "\n"


def summary_body(markdown: str, pointer: str, markers: Markers = DEFAULT, *, limit: int) -> str:
    """The marker and the summary Markdown, cut to fit one comment."""
    return truncate(f"{markers.summary}\n{markdown}", limit, pointer)


def details_bodies(parts: Sequence[str], markers: Markers = DEFAULT, *, limit: int) -> list[str]:
    """The details comments' bodies: each part under the marker of its number (from 1)."""
    return [truncate(f"{markers.summary_part(n)}\n{part}", limit, "")
            for n, part in enumerate(parts, start=1)]
