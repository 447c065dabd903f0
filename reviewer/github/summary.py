"""The sticky summary comment: one issue comment per pull request, edited in place.

It is found by the marker at the start of its body, across every page of the pull request's
comments (GitHub lists 30 a page by default; a busy pull request has hundreds). Then:

- no summary yet and nothing to report: nothing is posted (a clean pull request stays quiet);
- no summary yet and findings: it is created;
- a summary with the same body (a re-run on the same commit): it is left alone, so nobody is
  notified twice;
- a summary with another body: it is edited, also to the all-clear once the findings are
  fixed, so an old error never stays on the pull request.

When the findings' details do not fit in the summary, they follow in details comments of
their own (``sync_details``), each with a marker of its number; they are edited, created or
deleted the same way, so their count follows the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from github.Repository import Repository

from reviewer.github.api import listed
from reviewer.github.markers import DEFAULT, Markers
from reviewer.report.markdown import GITHUB_BODY_LIMIT, truncate

SummaryAction = Literal["created", "updated", "unchanged", "skipped"]


def summary_body(markdown: str, pointer: str, markers: Markers = DEFAULT) -> str:
    """The marker and the summary Markdown, cut to fit one comment."""
    return truncate(f"{markers.summary}\n{markdown}", GITHUB_BODY_LIMIT, pointer)


def sync_summary(
    repo: Repository, number: int, body: str, has_findings: bool, markers: Markers = DEFAULT
) -> SummaryAction:
    """Create, edit or leave the summary comment of pull request ``number`` (the one with
    this instance's marker: another instance's summary is not ours)."""
    issue = repo.get_issue(number)
    for item, data in listed(issue.get_comments()):
        if not markers.is_summary(data.get("body")):
            continue
        if data.get("body") == body:
            return "unchanged"
        item.edit(body)
        return "updated"
    if not has_findings:
        return "skipped"
    issue.create_comment(body)
    return "created"


def sync_details(
    repo: Repository, number: int, parts: Sequence[str], markers: Markers = DEFAULT
) -> int:
    """Make this instance's details comments on pull request ``number`` read ``parts``, in
    order (none: delete them all); returns how many comments were created, edited or
    deleted."""
    issue = repo.get_issue(number)
    bodies = [truncate(f"{markers.summary_part(n)}\n{part}", GITHUB_BODY_LIMIT, "")
              for n, part in enumerate(parts, start=1)]
    writes = 0
    found: set[int] = set()
    for item, data in listed(issue.get_comments()):
        part = markers.part_number(data.get("body"))
        if part is None:
            continue
        if part > len(bodies) or part in found:
            item.delete()
            writes += 1
            continue
        found.add(part)
        if data.get("body") != bodies[part - 1]:
            item.edit(bodies[part - 1])
            writes += 1
    for part, body in enumerate(bodies, start=1):
        if part not in found:
            issue.create_comment(body)
            writes += 1
    return writes
