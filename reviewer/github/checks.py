"""The ``latest-guard`` check run on the head commit: the verdict a branch rule can require.

- the conclusion and title come from ``verdict``: ``failure`` when a finding reaches
  ``fail-on``, ``neutral`` when there are only findings below it, ``success`` otherwise;
- the summary is the Markdown report, cut below the 65,535 characters GitHub allows;
- one annotation per active finding on its file and line, sent in batches of 50 (the most one
  request may carry): the first with the creation, the rest by updates, which append.

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
from reviewer.github.verdict import conclusion, title
from reviewer.report.markdown import inert, truncate

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
        message = f"{finding.resource} ({finding.stack}): {finding.message}"
        if finding.fix is not None:
            message += f"\nFix: {finding.fix.summary}"
        out.append(
            {
                "path": path,
                "start_line": line,
                "end_line": line,
                "annotation_level": _LEVEL[finding.severity],
                "title": f"{finding.rule} {finding.name} · {finding.resource}"[:255],
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
) -> CheckRun:
    """Create the completed check run, then append the remaining annotation batches.

    ``verdict`` overrides the report's own conclusion (an unverified report is at most
    ``neutral``); ``unverified``: the report is a fork's own, and the title says so first."""
    notes = check_annotations(report.findings)
    summary = truncate(markdown, SUMMARY_LIMIT, pointer)
    heading = ("unverified: " if unverified else "") + title(report)
    batches = [
        notes[n : n + ANNOTATIONS_PER_REQUEST]
        for n in range(0, len(notes), ANNOTATIONS_PER_REQUEST)
    ] or [[]]
    run = repo.create_check_run(
        name=name,
        head_sha=head_sha,
        status="completed",
        conclusion=verdict or conclusion(report),
        output={"title": heading, "summary": summary, "annotations": batches[0]},
    )
    for batch in batches[1:]:
        run.edit(output={"title": heading, "summary": summary, "annotations": batch})
    return run


def publish_failure(repo: Repository, head_sha: str, reason: str, *, name: str) -> CheckRun:
    """A completed ``failure`` check run for a run that could not analyse: its summary names
    the input error (escaped: it may quote a file name of the pull request's)."""
    return repo.create_check_run(
        name=name,
        head_sha=head_sha,
        status="completed",
        conclusion="failure",
        output={
            "title": "input error: the templates could not be analysed",
            "summary": truncate(f"**Input error:** {inert(reason)}", SUMMARY_LIMIT, ""),
        },
    )
