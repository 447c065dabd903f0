"""The pull-request review: inline comments for new findings, stale ones deleted.

One run does, in order:

1. read the pull request's files (their patches say which lines can take a comment), its
   review comments and its reviews;
2. delete our comments whose finding is gone, and our outdated comments (GitHub no longer
   shows them on a line) whose finding is still there, so that it is posted again where it is
   now; a comment with replies is a conversation and is never deleted; a comment that stays
   gets its what-to-do line edited when that changed (a phase-one pull request to merge
   first, opened or merged since), and nothing else of it;
3. plan where each finding not yet posted goes (``plan.plan_review``);
4. post file-level comments (``subject_type: file``) one by one, then ONE review with the
   line comments and, in its body, the findings beyond the comment limit or outside the
   pull request's files; when their text does not fit in one body (65,536 characters),
   further reviews carry the rest (``review_bodies``). A body lists a finding's marker only
   where it holds the finding's text, so nothing is taken as posted that cannot be read.

A 422 for the review (GitHub rejects the whole review when one line is not in the diff) makes
the line comments go one by one, each falling back to a comment on its file and then to the
review body. Re-running on the same commit posts nothing: every finding is already there.

Ours means this instance's marker at the start of the body *and* written by the account the
token acts as (``identity``): a comment or review another user wrote with our markers is
never edited, deleted or counted as posted. A review or comment whose answer GitHub lost is
looked for by its finding markers before it is sent again (``writes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from github.GithubException import GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository

from reviewer.contract.findings import Edit, Finding
from reviewer.contract.wording import numbered
from reviewer.github.api import delete_if_present, is_unprocessable, listed, message_of
from reviewer.github.diff_lines import PullRequestDiff, parse_files
from reviewer.github.identity import authored_by
from reviewer.github.markers import DEFAULT, Markers
from reviewer.github.plan import PlannedComment, ReviewPlan, plan_review
from reviewer.github.workflow import log_line
from reviewer.github.writes import Writer
from reviewer.report.markdown import (
    GITHUB_BODY_LIMIT,
    fenced,
    finding_body,
    finding_brief,
    todo,
    truncate,
)


@dataclass
class ReviewOutcome:
    line_comments: int = 0
    file_comments: int = 0
    in_body: int = 0
    already_posted: int = 0
    deleted: int = 0
    kept_with_replies: int = 0
    refreshed: int = 0
    review_created: bool = False
    #: Findings that fit in no review body this run (not marked: the next run posts them).
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Ours:
    """One of our earlier inline comments."""

    item: Any
    fingerprint: str
    outdated: bool
    replied: bool
    body: str = ""


def sync_review(
    repo: Repository,
    pull: PullRequest,
    head_sha: str,
    findings: Sequence[Finding],
    *,
    log: TextIO,
    pointer: str,
    markers: Markers = DEFAULT,
    login: str,
    writer: Writer | None = None,
) -> ReviewOutcome:
    """Bring the pull request's review comments in line with ``findings`` (module doc).

    Only comments that ``login`` wrote with this instance's ``markers`` are ours to keep,
    post or delete.
    """
    outcome = ReviewOutcome()
    writer = writer or Writer(log)
    diff = read_diff(pull)
    ours, in_bodies = _earlier(pull, markers, login)
    active = {f.fingerprint: f for f in findings if not f.suppressed}
    posted = set(in_bodies)
    for comment in ours:
        keep = comment.fingerprint in active and not comment.outdated
        if keep or comment.replied:
            posted.add(comment.fingerprint)
            outcome.kept_with_replies += int(not keep)
            body = _refreshed(comment.body, active[comment.fingerprint]) if keep else None
            if body is not None and _edit(comment, truncate(body, GITHUB_BODY_LIMIT, pointer),
                                          log, writer):
                outcome.refreshed += 1
            continue
        delete_if_present(comment.item)
        outcome.deleted += 1
    plan = plan_review(findings, diff, posted)
    outcome.already_posted = len(plan.already_posted)
    post = _Post(repo, pull, head_sha, log, pointer, markers, login, writer)
    post.plan(plan, outcome)
    return outcome


def read_diff(pull: PullRequest) -> PullRequestDiff:
    """The pull request's files and their commentable lines (every page of files)."""
    return parse_files(
        (str(data.get("filename", "")), str(data.get("status", "modified")), data.get("patch"))
        for _, data in listed(pull.get_files())
    )


def _earlier(
    pull: PullRequest, markers: Markers, login: str
) -> tuple[list[_Ours], set[str]]:
    """Our inline comments, and the fingerprints listed in our review bodies (``login``'s,
    with this instance's markers)."""
    comments = list(listed(pull.get_review_comments()))
    replied_to = {data.get("in_reply_to_id") for _, data in comments}
    ours = []
    for item, data in comments:
        fingerprint = markers.comment_fingerprint(data.get("body"))
        if fingerprint is None or data.get("in_reply_to_id") or not authored_by(data, login):
            continue
        outdated = data.get("subject_type") != "file" and data.get("line") is None
        ours.append(_Ours(
            item, fingerprint, outdated, data.get("id") in replied_to, str(data.get("body"))
        ))
    in_bodies: set[str] = set()
    for _, data in listed(pull.get_reviews()):
        if authored_by(data, login):
            in_bodies |= markers.body_fingerprints(data.get("body"))
    return ours, in_bodies


def _posted(pull: PullRequest, markers: Markers, login: str) -> set[str]:
    """Every finding our comments and review bodies on ``pull`` carry now."""
    ours, in_bodies = _earlier(pull, markers, login)
    return in_bodies | {comment.fingerprint for comment in ours}


def _edit(comment: _Ours, body: str, log: TextIO, writer: Writer) -> bool:
    """Edit one of our comments; a refusal is said and the review goes on."""
    try:
        writer.edit("a comment's edit", lambda: comment.item.edit(body))
    except GithubException as exc:
        log_line(log, f"GitHub refused to edit a comment ({message_of(exc)}): left as it is")
        return False
    return True


def _refreshed(body: str, finding: Finding) -> str | None:
    """``body`` with its what-to-do line as it reads now, or None when it reads the same
    (or the comment has no such line: it is left as it is)."""
    line = todo(finding)
    lines = body.split("\n")
    at = next((n for n, text in enumerate(lines[:4]) if text.startswith("**Fix")), None)
    if at is None or not line or lines[at] == line:
        return None
    lines[at] = line
    return "\n".join(lines)


@dataclass(frozen=True)
class _Post:
    """Posts the planned comments and the reviews of one run, each once (``writes``)."""

    repo: Repository
    pull: PullRequest
    head_sha: str
    log: TextIO
    pointer: str
    markers: Markers
    login: str
    writer: Writer

    def plan(self, plan: ReviewPlan, outcome: ReviewOutcome) -> None:
        leftovers: list[Finding] = list(plan.in_body)
        for comment in plan.file_comments:
            if self.comment(comment):
                outcome.file_comments += 1
            else:
                leftovers.append(comment.finding)
        lines = list(plan.line_comments)
        if not lines and not leftovers:
            return
        bodies, dropped = review_bodies(lines, leftovers, self.markers)
        try:
            self.review(bodies[0][0], bodies[0][1], lines)
        except GithubException as exc:
            if not (is_unprocessable(exc) and lines):
                raise
            log_line(self.log,
                     f"GitHub refused the review ({message_of(exc)}): posting one by one")
            self.one_by_one(lines, leftovers, outcome)
            bodies, dropped = review_bodies([], leftovers, self.markers)
            if not leftovers:
                bodies = []
        else:
            outcome.review_created = True
            outcome.line_comments += len(lines)
            bodies = bodies[1:]
        for body, carried in bodies:
            self.review(body, carried, [])
            outcome.review_created = True
        outcome.in_body = len(leftovers) - len(dropped)
        if dropped:
            log_line(self.log, (
                f"{len(dropped)} finding(s) did not fit in {MAX_REVIEW_BODIES} reviews: not "
                "posted this time (they are in the summary's table and the job summary; the "
                "next run posts them)"
            ))

    def one_by_one(
        self, lines: Sequence[PlannedComment], leftovers: list[Finding], outcome: ReviewOutcome
    ) -> None:
        """Post line comments one at a time, each falling back to its file, then to
        ``leftovers`` (the review bodies)."""
        for comment in lines:
            if self.comment(comment):
                outcome.line_comments += 1
                continue
            file_level = PlannedComment(comment.fingerprint, comment.finding, comment.path)
            if self.comment(file_level):
                outcome.file_comments += 1
            else:
                leftovers.append(comment.finding)

    def review(
        self, body: str, rest: Sequence[Finding], lines: Sequence[PlannedComment]
    ) -> None:
        """One review with ``body`` (which holds ``rest``) and ``lines`` as line comments;
        when GitHub's answer is lost, it landed if any of its findings is on the pull
        request."""
        commit = self.repo.get_commit(self.head_sha)
        carried = {c.fingerprint for c in lines} | {f.fingerprint for f in rest}
        payload: Any = [_line_payload(c, self.pointer, self.markers) for c in lines]

        def send() -> object:
            if payload:
                return self.pull.create_review(
                    commit=commit, body=body, event="COMMENT", comments=payload
                )
            return self.pull.create_review(commit=commit, body=body, event="COMMENT")

        self.writer.once("a review", send, lambda: self._landed(carried))

    def comment(self, comment: PlannedComment) -> bool:
        """Post one comment on a line or a file; False when GitHub refuses its place (422)."""
        body = comment_body(comment, self.pointer, self.markers)
        pull, sha = self.pull, self.head_sha

        def send() -> object:
            if comment.line is None:
                return pull.create_review_comment(body, sha, comment.path, subject_type="file")
            if comment.start_line is not None:
                return pull.create_review_comment(
                    body, sha, comment.path, line=comment.line, side="RIGHT",
                    start_line=comment.start_line, start_side="RIGHT",
                )
            return pull.create_review_comment(
                body, sha, comment.path, line=comment.line, side="RIGHT"
            )

        try:
            self.writer.once(
                "a review comment", send, lambda: self._landed({comment.fingerprint})
            )
        except GithubException as exc:
            if not is_unprocessable(exc):
                raise
            where = comment.path if comment.line is None else f"{comment.path}:{comment.line}"
            log_line(self.log, f"GitHub refused a comment on {where}: {message_of(exc)}")
            return False
        return True

    def _landed(self, fingerprints: set[str]) -> bool | None:
        """True when one of ``fingerprints`` is on the pull request now (a review is made
        whole or not at all), None otherwise."""
        return True if fingerprints & _posted(self.pull, self.markers, self.login) else None


def _line_payload(comment: PlannedComment, pointer: str, markers: Markers) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "path": comment.path,
        "line": comment.line,
        "side": "RIGHT",
        "body": comment_body(comment, pointer, markers),
    }
    if comment.start_line is not None:
        payload["start_line"] = comment.start_line
        payload["start_side"] = "RIGHT"
    return payload


def comment_body(comment: PlannedComment, pointer: str, markers: Markers = DEFAULT) -> str:
    """The marker, the finding, and its suggestion block when the fix is a line edit."""
    text = markers.finding(comment.fingerprint) + "\n" + finding_body(comment.finding)
    if comment.suggestion is not None and comment.line is not None:
        text += "\n" + suggestion_block(comment.suggestion)
    return truncate(text, GITHUB_BODY_LIMIT, pointer)


def suggestion_block(edit: Edit) -> str:
    """A ```suggestion``` fence whose backticks outnumber any run in the replacement."""
    return fenced(edit.replacement, "suggestion") + "\n"


def review_bodies(
    lines: Sequence[PlannedComment],
    rest: Sequence[Finding],
    markers: Markers = DEFAULT,
) -> tuple[list[tuple[str, tuple[Finding, ...]]], tuple[Finding, ...]]:
    """The bodies of the reviews that carry ``rest`` (the first one also carries ``lines``),
    each with the findings whose text it holds; and the findings that fit in none.

    A body lists the marker of a finding only when it holds that finding's text, so a
    finding is never taken as posted that nobody can read. Findings go in whole, in order,
    until a body is full; the next one opens another review, up to ``MAX_REVIEW_BODIES``.
    A finding whose text alone is longer than a body goes in short (its diagram and the
    change to apply are in the job summary, which the body says).
    """
    budget = GITHUB_BODY_LIMIT - _HEAD_ROOM
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


def review_body(
    lines: Sequence[PlannedComment],
    rest: Sequence[Finding],
    markers: Markers = DEFAULT,
) -> str:
    """The first review's body (see ``review_bodies``)."""
    return review_bodies(lines, rest, markers)[0][0][0]


#: At most this many reviews carry the findings that are not on a line or a file.
MAX_REVIEW_BODIES = 10
#: Room kept in a body for its markers' line, its heading and its lead-in sentence.
_HEAD_ROOM = 1200


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
