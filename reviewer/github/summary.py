"""The sticky summary comment: one issue comment per pull request, edited in place.

It is found by the marker at the start of its body and its author, the account the token
acts as (``identity``: a comment another user wrote with our marker is not ours), across
every page of the pull request's comments (GitHub lists 30 a page by default; a busy pull
request has hundreds). Then:

- no summary yet and nothing to report: nothing is posted (a clean pull request stays quiet);
- no summary yet and findings: it is created (once: when GitHub's answer is lost, the
  comments are read again before it is sent again, ``writes``);
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

from github.Issue import Issue
from github.IssueComment import IssueComment
from github.Repository import Repository

from reviewer.github.api import delete_if_present, listed
from reviewer.github.identity import authored_by
from reviewer.github.limits import GITHUB_BODY_LIMIT
from reviewer.github.writes import Writer
from reviewer.review import bodies
from reviewer.review.markers import DEFAULT, Markers

SummaryAction = Literal["created", "updated", "unchanged", "skipped"]


def summary_body(markdown: str, pointer: str, markers: Markers = DEFAULT) -> str:
    """The summary comment's body as GitHub takes it (``bodies.summary_body`` at its limit)."""
    return bodies.summary_body(markdown, pointer, markers, limit=GITHUB_BODY_LIMIT)


def sync_summary(
    repo: Repository,
    number: int,
    body: str,
    has_findings: bool,
    markers: Markers = DEFAULT,
    *,
    login: str,
    writer: Writer | None = None,
) -> SummaryAction:
    """Create, edit or leave the summary comment of pull request ``number``: the one that
    ``login`` wrote with this instance's marker (another instance's, or another user's, is
    not ours)."""
    writer = writer or Writer()
    issue = repo.get_issue(number)
    found = _ours(issue, markers, login)
    if found is not None:
        item, data = found
        if data.get("body") == body:
            return "unchanged"
        writer.edit("the summary comment's edit", lambda: item.edit(body))
        return "updated"
    if not has_findings:
        return "skipped"
    writer.once(
        "the summary comment", lambda: issue.create_comment(body),
        lambda: _ours(issue, markers, login),
    )
    return "created"


def sync_details(
    repo: Repository,
    number: int,
    parts: Sequence[str],
    markers: Markers = DEFAULT,
    *,
    login: str,
    writer: Writer | None = None,
) -> int:
    """Make this instance's details comments on pull request ``number`` read ``parts``, in
    order (none: delete them all); returns how many comments were created, edited or
    deleted. Only comments ``login`` wrote with a details marker are ours: another user's
    comment carrying one is never edited or deleted, nor taken for a part already there."""
    writer = writer or Writer()
    issue = repo.get_issue(number)
    texts = bodies.details_bodies(parts, markers, limit=GITHUB_BODY_LIMIT)
    writes = 0
    found: set[int] = set()
    for item, data in listed(issue.get_comments()):
        part = markers.part_number(data.get("body"))
        if part is None or not authored_by(data, login):
            continue
        if part > len(texts) or part in found:
            delete_if_present(item)
            writes += 1
            continue
        found.add(part)
        if data.get("body") != texts[part - 1]:
            _edit(writer, item, texts[part - 1])
            writes += 1
    for part, body in enumerate(texts, start=1):
        if part not in found:
            _create(writer, issue, body, part, markers=markers, login=login)
            writes += 1
    return writes


def _edit(writer: Writer, item: IssueComment, body: str) -> None:
    writer.edit("a details comment's edit", lambda: item.edit(body))


def _create(
    writer: Writer, issue: Issue, body: str, part: int, *, markers: Markers, login: str
) -> None:
    """Post details comment ``part``, once: when GitHub's answer is lost, it landed if our
    comment with that part's marker is on the pull request now."""

    def landed() -> bool | None:
        for _, data in listed(issue.get_comments()):
            if markers.part_number(data.get("body")) == part and authored_by(data, login):
                return True
        return None

    writer.once(f"details comment {part}", lambda: issue.create_comment(body), landed)


def _ours(
    issue: Issue, markers: Markers, login: str
) -> tuple[IssueComment, dict[str, object]] | None:
    """Our summary comment on ``issue`` and its listed JSON, if there is one."""
    for item, data in listed(issue.get_comments()):
        if markers.is_summary(data.get("body")) and authored_by(data, login):
            return item, data
    return None
