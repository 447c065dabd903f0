"""The pull-request review: inline comments for new findings, stale ones deleted.

One run does, in order:

1. read the pull request's files (their patches say which lines can take a comment), its
   review comments and its reviews;
2. delete our comments whose finding is gone, and our outdated comments (GitHub no longer
   shows them on a line) whose finding is still there, so that it is posted again where it is
   now; a comment with replies is a conversation and is never deleted; a comment that stays
   gets its what-to-do line edited when that changed (a phase-one pull request to merge
   first, opened or merged since), and nothing else of it;
3. plan where each finding not yet posted goes (``reviewer.review.plan``);
4. post file-level comments (``subject_type: file``) one by one, then ONE review with the
   line comments and, in its body, the findings beyond the comment limit or outside the
   pull request's files; when their text does not fit in one body (65,536 characters),
   further reviews carry the rest (``reviewer.review.bodies``). A body lists a finding's marker only
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

from reviewer.contract.findings import Finding
from reviewer.github.api import delete_if_present, is_unprocessable, listed, message_of
from reviewer.github.identity import authored_by
from reviewer.github.limits import GITHUB_BODY_LIMIT
from reviewer.github.workflow import log_line
from reviewer.github.writes import Writer
from reviewer.review import bodies
from reviewer.review.bodies import MAX_REVIEW_BODIES
from reviewer.review.diff_lines import PullRequestDiff, parse_files
from reviewer.review.markers import DEFAULT, Markers
from reviewer.review.plan import PlannedComment, ReviewPlan, plan_review


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
            body = bodies.refreshed(
                comment.body, active[comment.fingerprint], pointer, limit=GITHUB_BODY_LIMIT
            ) if keep else None
            if body is not None and _edit(comment, body, log, writer):
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
        texts, dropped = review_bodies(lines, leftovers, self.markers)
        try:
            self.review(texts[0][0], texts[0][1], lines)
        except GithubException as exc:
            if not (is_unprocessable(exc) and lines):
                raise
            log_line(self.log,
                     f"GitHub refused the review ({message_of(exc)}): posting one by one")
            self.one_by_one(lines, leftovers, outcome)
            texts, dropped = review_bodies([], leftovers, self.markers)
            if not leftovers:
                texts = []
        else:
            outcome.review_created = True
            outcome.line_comments += len(lines)
            texts = texts[1:]
        for body, carried in texts:
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
    """A review comment's body as GitHub takes it (``bodies.comment_body`` at its limit)."""
    return bodies.comment_body(comment, pointer, markers, limit=GITHUB_BODY_LIMIT)


def review_bodies(
    lines: Sequence[PlannedComment],
    rest: Sequence[Finding],
    markers: Markers = DEFAULT,
) -> tuple[list[tuple[str, tuple[Finding, ...]]], tuple[Finding, ...]]:
    """The reviews' bodies as GitHub takes them (``bodies.review_bodies`` at its limit)."""
    return bodies.review_bodies(lines, rest, markers, limit=GITHUB_BODY_LIMIT)


def review_body(
    lines: Sequence[PlannedComment],
    rest: Sequence[Finding],
    markers: Markers = DEFAULT,
) -> str:
    """The first review's body (see ``review_bodies``)."""
    return review_bodies(lines, rest, markers)[0][0][0]
