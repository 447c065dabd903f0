"""Publish a report to GitHub: the phase-one pull request, the check run, the sticky summary
and the review.

The phase-one pull request (``phase-one: pull-request``) comes first, so that the summary,
the check run and the review comments can link to it. Each part is tried on its own, so
that a token allowed to write checks but not pull requests (or the reverse) still gets what
it may. A failure never raises: it is recorded in
``PublishOutcome.degraded`` with the reason, in words, for the log. The caller has already
written the job summary and the outputs, and turns a degraded run into workflow-command
annotations, so nothing is lost:

- a primary rate limit (403 or 429, "API rate limit exceeded", ``x-ratelimit-remaining: 0``):
  said as such, with the time it resets (UTC); never blamed on permissions;
- 403/404 on a write: the token cannot write there. A ``pull_request`` run from a fork always
  gets a read-only token, whatever the workflow's ``permissions`` say; the two-workflow setup
  (``mode: analyze`` then ``mode: publish`` on ``workflow_run``) is the way to comment there.
- anything else (secondary rate limits that outlast the retries, server errors, network):
  said as it is.

Comments are ours only when the account the token acts as wrote them (``identity``); when
GitHub does not say which account that is, no comment is posted, edited or deleted. Every
write is made once (``writes``): the check run carries a key unique to this run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TextIO, TypeVar

from github.GithubException import GithubException

from reviewer.contract.enums import CommentMode
from reviewer.contract.findings import PullLink
from reviewer.contract.report import Report
from reviewer.github.api import is_permission_error, listed, message_of, rate_limit_said
from reviewer.github.checks import check_name, publish_check
from reviewer.github.client import RetrySettings, connect
from reviewer.github.context import PullRequestLookup, RunContext
from reviewer.github.identity import acting_login
from reviewer.github.limits import GITHUB_BODY_LIMIT
from reviewer.github.phase_one import current, generations, sync_phase_one
from reviewer.github.review import ReviewOutcome, sync_review
from reviewer.github.summary import SummaryAction, summary_body, sync_details, sync_summary
from reviewer.github.workflow import log_line
from reviewer.github.writes import Writer
from reviewer.report.markdown import Summary, detail_parts
from reviewer.review.markers import Markers
from reviewer.review.proposal import Proposal, ProposalOutcome, notices

if TYPE_CHECKING:
    from github.Repository import Repository

T = TypeVar("T")


class Attempt(Protocol):
    """Runs one part of the publishing and records why it failed instead of raising."""

    def __call__(self, what: str, action: Callable[[], T]) -> T | None: ...


#: The summary for a report, with the publisher's own lines under its table: as rendered
#: (``markdown.summary``: it says whether the findings' details were left out for want of
#: room, and then they follow in comments of their own), or its text alone (they do not).
Render = Callable[[Report, Sequence[str]], Summary | str]

#: The states of a phase-one pull request whose findings link it ("merge and deploy it first").
LINKED = ("opened", "updated", "unchanged")


@dataclass(frozen=True)
class PublishOptions:
    token: str
    api_url: str | None = None
    comment: CommentMode = CommentMode.REVIEW
    retry: RetrySettings = field(default_factory=RetrySettings)
    #: The instance's name: its check run's name and its comments' markers.
    instance: str = ""
    #: The check run's conclusion when it is not the report's own (see ``checks``).
    verdict: str | None = None
    #: The report is a fork's own run's, not verified here: the check run's title says so.
    unverified: bool = False
    #: ``phase-one: pull-request``: make (or keep up to date) the phase-one pull request.
    phase_one: bool = False
    #: The token is the workflow's ``GITHUB_TOKEN`` (it acts as ``github-actions[bot]``).
    workflow_token: bool = False


@dataclass
class PublishOutcome:
    check_created: bool = False
    pull_number: int | None = None
    summary: SummaryAction | None = None
    review: ReviewOutcome | None = None
    phase_one: ProposalOutcome | None = None
    #: The report as published: with the phase-one pull request linked from its findings.
    report: Report | None = None
    #: Why something could not be published, one line each.
    degraded: list[str] = field(default_factory=list)


def publish(
    report: Report,
    context: RunContext,
    render: Render,
    options: PublishOptions,
    *,
    log: TextIO,
    pointer: str,
    phase_one: Proposal | None = None,
    phase_one_said: Sequence[str] = (),
) -> PublishOutcome:
    """Publish ``report`` for ``context`` (``render`` makes its summary); see the module doc.
    ``phase_one`` is the checked phase-one change as its pull request is to say it, when the
    report calls for one;
    ``phase_one_said``, why (some of) it was not made, one line each."""
    outcome = PublishOutcome(report=report)
    github = connect(options.token, options.api_url, options.retry)
    repo = github.get_repo(context.repository)

    def attempt(what: str, action: Callable[[], T]) -> T | None:
        try:
            return action()
        except GithubException as exc:
            outcome.degraded.append(_reason(what, exc, context))
        except OSError as exc:  # requests' connection errors and time-outs are OSErrors
            outcome.degraded.append(f"could not {what}: GitHub did not answer ({message_of(exc)})")
        return None

    markers = Markers(options.instance)
    writer = Writer(log, wait=options.retry.backoff)
    said: list[str] = []
    if options.phase_one and context.pull_number is not None and not context.fork:
        outcome.phase_one = _phase_one(
            repo, report, phase_one, attempt, number=context.pull_number, markers=markers
        )
        if outcome.phase_one is not None:
            log_line(log, outcome.phase_one.said)
            if outcome.phase_one.state in LINKED:
                report = _linked(report, phase_one, outcome.phase_one.pull)
        said = notices(outcome.phase_one, phase_one, phase_one_said)
    outcome.report = report
    rendered = render(report, said)
    summary = rendered if isinstance(rendered, Summary) else Summary(rendered, False)
    markdown = summary.text
    name = check_name(options.instance)
    check = attempt(
        "create the check run",
        lambda: publish_check(
            repo, context.head_sha, report, markdown, pointer, name=name,
            verdict=options.verdict, unverified=options.unverified,
            run_key=f"latest-guard:{uuid.uuid4().hex}", writer=writer,
        ),
    )
    outcome.check_created = check is not None
    if check is not None:
        log_line(log, f"check run {name} on {context.head_sha[:7]}: {check.conclusion}")
    if options.comment is CommentMode.OFF:
        return outcome
    number = context.pull_number
    if number is None and context.lookup is not None:
        lookup = context.lookup
        number = attempt("find the pull request", lambda: find_pull_number(repo, lookup))
        if number is None and not outcome.degraded:
            log_line(log, f"no open pull request has head {context.head_sha[:7]}: no comments")
    outcome.pull_number = number
    if number is None:
        return outcome
    login = attempt(
        "tell which account the token acts as (no comment is posted, edited or deleted)",
        lambda: acting_login(github, workflow_token=options.workflow_token),
    )
    if login is None:
        return outcome
    outcome.summary = _summaries(
        repo, report, summary, attempt, number=number, markers=markers, log=log,
        pointer=pointer, login=login, writer=writer,
    )
    if options.comment is CommentMode.REVIEW:
        pull = repo.get_pull(number)
        outcome.review = attempt(
            "post the review",
            lambda: sync_review(
                repo, pull, context.head_sha, report.findings, log=log, pointer=pointer,
                markers=markers, login=login, writer=writer,
            ),
        )
        if outcome.review is not None:
            _log_review(log, number, outcome.review)
    return outcome


def _summaries(
    repo: Repository,
    report: Report,
    summary: Summary,
    attempt: Attempt,
    *,
    number: int,
    markers: Markers,
    log: TextIO,
    pointer: str,
    login: str,
    writer: Writer,
) -> SummaryAction | None:
    """The sticky summary, then the details comments it points at (when the details did not
    fit in it; none otherwise, and earlier ones deleted). Only comments ``login`` wrote are
    edited or deleted; each write is made once through ``writer``."""
    has_findings = any(not f.suppressed for f in report.findings)
    body = summary_body(summary.text, pointer, markers)
    action = attempt(
        "update the summary comment",
        lambda: sync_summary(
            repo, number, body, has_findings, markers, login=login, writer=writer
        ),
    )
    if action is None:
        return None
    log_line(log, f"summary comment on #{number}: {action}")
    parts = detail_parts(report, GITHUB_BODY_LIMIT - 200) if summary.details_left_out else []
    written = attempt(
        "post the findings' details", lambda: sync_details(
            repo, number, parts, markers, login=login, writer=writer
        ),
    )
    if written:
        log_line(log, f"details comments on #{number}: {len(parts)}")
    return action


def _phase_one(
    repo: Repository,
    report: Report,
    change: Proposal | None,
    attempt: Attempt,
    *,
    number: int,
    markers: Markers,
) -> ProposalOutcome | None:
    """Open or update the phase-one pull request for ``change``; without one, say what
    became of the open one: no longer needed, or needed but not updated by this run (the
    caller has said why)."""
    if change is not None:
        made = change
        return attempt(
            "open the phase-one pull request",
            lambda: sync_phase_one(repo, made, number=number, markers=markers),
        )
    needed = any(f.needs_two_deployments for f in report.findings)
    return attempt(
        "look up the phase-one pull request",
        lambda: _left_open(repo, number, markers.instance, needed=needed),
    )


def _left_open(repo: Repository, number: int, instance: str, *, needed: bool) -> ProposalOutcome:
    """The open phase-one pull request this run does not update, if there is one."""
    now = current(repo, generations(repo, number, instance))
    found = now.pull if now is not None else None
    if found is None or found.state != "open":
        return ProposalOutcome(None, "none", "no phase-one pull request is open")
    if needed:
        return ProposalOutcome(found.link, "stale", (
            f"phase one #{found.link.number} is not updated by this run"
        ))
    return ProposalOutcome(found.link, "unneeded", (
        f"phase one #{found.link.number} is no longer needed by this change: left open for "
        "the user to close"
    ))


def _linked(report: Report, change: Proposal | None, pull: PullLink | None) -> Report:
    """``report`` with the findings that the phase-one change serves pointing at ``pull``."""
    if change is None or pull is None:
        return report
    served = change.serves
    return replace(report, findings=tuple(
        replace(f, fix=replace(f.fix, phase_one_pull=pull))
        if f.fix is not None and f.fingerprint in served else f
        for f in report.findings
    ))


def find_pull_number(repo: Repository, lookup: PullRequestLookup) -> int | None:
    """The open pull request whose head is ``lookup.head_sha`` (a fork's, for
    ``workflow_run``): through the commit's pull requests, then by the head branch."""
    commit = repo.get_commit(lookup.head_sha)
    number = _matching(listed(commit.get_pulls()), lookup.head_sha)
    if number is None and lookup.head_owner and lookup.head_branch:
        pulls = repo.get_pulls(state="open", head=f"{lookup.head_owner}:{lookup.head_branch}")
        number = _matching(listed(pulls), lookup.head_sha)
    return number


def _matching(pulls: Iterable[tuple[Any, dict[str, Any]]], sha: str) -> int | None:
    for _, data in pulls:
        head = data.get("head")
        if isinstance(head, dict) and data.get("state") == "open" and head.get("sha") == sha:
            number = data.get("number")
            return number if isinstance(number, int) else None
    return None


def _reason(what: str, exc: GithubException, context: RunContext) -> str:
    limited = rate_limit_said(exc)
    if limited is not None:
        return f"could not {what}: {limited}"
    message = message_of(exc)
    if "not permitted to create or approve pull requests" in message:
        return (
            f"could not {what}: {message} Allow it in the repository's (or organisation's) "
            "Settings > Actions > General > Workflow permissions (\"Allow GitHub Actions to "
            "create and approve pull requests\"), or give github-token a GitHub App's token"
        )
    if is_permission_error(exc) and "phase-one" in what:
        return (
            f"could not {what}: the token may not ({message}); phase-one: pull-request needs "
            "'contents: write' and 'pull-requests: write' permissions"
        )
    if is_permission_error(exc):
        why = (
            "a pull request from a fork runs with a read-only token; use the two-workflow "
            "setup (mode: analyze, then mode: publish on workflow_run) to comment there"
            if context.fork
            else "give the job 'checks: write' and 'pull-requests: write' permissions"
        )
        return f"could not {what}: the token may not ({message}); {why}"
    return f"could not {what}: {message}"


def _log_review(log: TextIO, number: int, review: ReviewOutcome) -> None:
    log_line(
        log,
        f"review on #{number}: {review.line_comments} line comment(s), "
        f"{review.file_comments} file comment(s), {review.in_body} in the review body, "
        f"{review.already_posted} already posted, {review.deleted} outdated deleted"
        + (f", {review.refreshed} brought up to date" if review.refreshed else "")
        + (f", {review.kept_with_replies} kept for their replies" if review.kept_with_replies
           else ""),
    )

