"""The ``latest-guard`` check run on the head commit: the verdict a branch rule can require.

- the conclusion and title come from ``verdict``: ``failure`` when a finding reaches
  ``fail-on``, ``neutral`` when there are only findings below it, ``success`` otherwise;
- the summary is the Markdown report, cut below the 65,535 characters GitHub allows;
- one annotation per active finding on its file and line, sent in batches of 50 (the most one
  request may carry): the first with the creation, the rest by updates, which append.

Each write happens once: the check run carries this run's key as its ``external_id``, so a
creation whose answer GitHub lost is found on the commit before it is sent again, and an
annotation batch whose answer was lost is sent again only when the run's annotation count
says it did not land (``writes``).

An annotation needs a path inside the repository; a finding without one (or with a line that
is not known) is annotated on line 1 of its file, or only listed in the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from github.CheckRun import CheckRun
from github.Repository import Repository

from reviewer.contract.enums import Severity
from reviewer.contract.findings import Finding
from reviewer.contract.paths import repository_path
from reviewer.contract.report import Report
from reviewer.github.api import raw
from reviewer.github.writes import Writer
from reviewer.report.escape import plain_text
from reviewer.report.markdown import inert, truncate
from reviewer.review.verdict import conclusion, title

CHECK_NAME = "latest-guard"
SUMMARY_LIMIT = 65535
ANNOTATIONS_PER_REQUEST = 50
_LEVEL = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def check_annotations(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """One Checks API annotation per active finding with a path in the repository."""
    out: list[dict[str, Any]] = []
    for finding in findings:
        path = finding.location.path
        if finding.suppressed or not repository_path(path):
            continue
        line = finding.location.line or 1
        message = plain_text.text(f"{finding.resource} ({finding.stack}): {finding.message}")
        if finding.fix is not None:
            message += f"\nFix: {plain_text.text(finding.fix.summary)}"
        out.append(
            {
                "path": path,
                "start_line": line,
                "end_line": line,
                "annotation_level": _LEVEL[finding.severity],
                "title": plain_text.text(
                    f"{finding.rule} {finding.name} · {finding.resource}")[:255],
                "message": message[:60000],
            }
        )
    return out


def check_name(instance: str = "") -> str:
    """``latest-guard``, or ``latest-guard (INSTANCE)`` for a named instance: the name a
    branch rule requires."""
    return f"{CHECK_NAME} ({instance})" if instance else CHECK_NAME


def publish_check(
    repo: Repository,
    head_sha: str,
    report: Report,
    markdown: str,
    pointer: str,
    *,
    name: str = CHECK_NAME,
    verdict: str | None = None,
    unverified: bool = False,
    run_key: str,
    writer: Writer | None = None,
) -> CheckRun:
    """Create the completed check run, then append the remaining annotation batches.

    ``verdict`` overrides the report's own conclusion (an unverified report is at most
    ``neutral``); ``unverified``: the report is a fork's own, and the title says so first;
    ``run_key`` (unique to this run) is its ``external_id``."""
    writer = writer or Writer()
    notes = check_annotations(report.findings)
    summary = truncate(markdown, SUMMARY_LIMIT, pointer)
    heading = ("unverified: " if unverified else "") + title(report)
    batches = [
        notes[n : n + ANNOTATIONS_PER_REQUEST]
        for n in range(0, len(notes), ANNOTATIONS_PER_REQUEST)
    ] or [[]]
    output = {"title": heading, "summary": summary, "annotations": batches[0]}
    run = _completed(
        writer, repo, head_sha, name=name, run_key=run_key,
        conclusion=verdict or conclusion(report), output=output, what="the check run",
    )
    sent = len(batches[0])
    for batch in batches[1:]:
        sent += len(batch)
        _append(writer, repo, run, {"title": heading, "summary": summary, "annotations": batch},
                sent)
    return run


def publish_failure(
    repo: Repository,
    head_sha: str,
    reason: str,
    *,
    name: str,
    run_key: str,
    writer: Writer | None = None,
) -> CheckRun:
    """A completed ``failure`` check run for a run that could not analyse: its summary names
    the input error (escaped: it may quote a file name of the pull request's). Made once,
    like ``publish_check``: ``run_key`` is its ``external_id``."""
    output = {
        "title": "input error: the templates could not be analysed",
        "summary": truncate(f"**Input error:** {inert(reason)}", SUMMARY_LIMIT, ""),
    }
    return _completed(
        writer or Writer(), repo, head_sha, name=name, run_key=run_key,
        conclusion="failure", output=output, what="the failure check run",
    )


def _completed(
    writer: Writer,
    repo: Repository,
    head_sha: str,
    *,
    name: str,
    run_key: str,
    conclusion: str,
    output: dict[str, Any],
    what: str,
) -> CheckRun:
    """Create a completed check run once (``run_key`` is its ``external_id``: a run whose
    answer was lost is found by it instead of being made twice)."""
    run: CheckRun = writer.once(
        what,
        lambda: repo.create_check_run(
            name=name, head_sha=head_sha, status="completed", conclusion=conclusion,
            output=output, external_id=run_key,
        ),
        lambda: _made(repo, head_sha, name, run_key),
    )
    return run


def _append(
    writer: Writer, repo: Repository, run: CheckRun, output: dict[str, Any], total: int
) -> None:
    """Append one annotation batch, after which the run holds ``total`` annotations."""

    def landed() -> bool | None:
        return True if _annotations(repo, run.id) >= total else None

    writer.once("an annotation batch", lambda: run.edit(output=output), landed)


def _made(repo: Repository, head_sha: str, name: str, run_key: str) -> CheckRun | None:
    """The check run named ``name`` on ``head_sha`` that this run made, if there is one."""
    for found in repo.get_commit(head_sha).get_check_runs(check_name=name):
        if raw(found).get("external_id") == run_key:
            return found
    return None


def _annotations(repo: Repository, run_id: int) -> int:
    """How many annotations the check run holds now."""
    output = repo.get_check_run(run_id).raw_data.get("output")
    count = output.get("annotations_count") if isinstance(output, dict) else None
    return count if isinstance(count, int) else 0
