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
"""

from __future__ import annotations

from typing import Literal

from github.Issue import Issue
from github.IssueComment import IssueComment
from github.Repository import Repository

from reviewer.github.api import listed
from reviewer.github.identity import authored_by
from reviewer.github.markers import DEFAULT, Markers
from reviewer.github.writes import Writer
from reviewer.report.markdown import GITHUB_BODY_LIMIT, truncate

SummaryAction = Literal["created", "updated", "unchanged", "skipped"]


def summary_body(markdown: str, pointer: str, markers: Markers = DEFAULT) -> str:
    """The marker and the summary Markdown, cut to fit one comment."""
    return truncate(f"{markers.summary}\n{markdown}", GITHUB_BODY_LIMIT, pointer)


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


def _ours(
    issue: Issue, markers: Markers, login: str
) -> tuple[IssueComment, dict[str, object]] | None:
    """Our summary comment on ``issue`` and its listed JSON, if there is one."""
    for item, data in listed(issue.get_comments()):
        if markers.is_summary(data.get("body")) and authored_by(data, login):
            return item, data
    return None
