"""What a workflow step leaves without the API: outputs, the job summary, log annotations.

These are files and log lines the runner reads, so they work on every token, fork pull
requests included, and they are written before any network call so that nothing is lost
when the API fails.

- Outputs go to ``$GITHUB_OUTPUT`` in the multi-line form (``name<<DELIMITER``) with a random
  delimiter, so no value can end its own entry early.
- The job summary goes to ``$GITHUB_STEP_SUMMARY``, cut below the 1 MiB a step may write.
- Annotations are workflow commands (``::error file=F,line=N,title=T::message``). GitHub shows
  at most 10 errors and 10 warnings of a step (and 50 of a job); the rest are counted in one
  log line that points at the job summary.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from reviewer.contract.enums import Severity
from reviewer.contract.findings import Finding

#: GitHub refuses a step summary above 1 MiB; stay a little below.
STEP_SUMMARY_LIMIT = 1024 * 1024 - 1024
#: Annotations GitHub shows per step and severity.
ANNOTATIONS_PER_LEVEL = 10
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def write_outputs(path: Path | None, values: Mapping[str, str]) -> None:
    """Append ``values`` to the ``$GITHUB_OUTPUT`` file (nothing when not in a workflow)."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as out:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def write_step_summary(path: Path | None, markdown: str) -> None:
    """Append ``markdown`` to the ``$GITHUB_STEP_SUMMARY`` file, cut to fit 1 MiB."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as out:
        out.write(fit_bytes(markdown, STEP_SUMMARY_LIMIT))


def fit_bytes(markdown: str, limit: int) -> str:
    """``markdown`` cut (with the Markdown reporter's ``truncate``) to ``limit`` UTF-8 bytes."""
    from reviewer.report.markdown import truncate

    if len(markdown.encode("utf-8")) <= limit:
        return markdown
    pointer = "… cut to fit GitHub's 1 MiB job summary: the JSON report has every finding"
    # The largest character budget whose result fits in bytes (a binary search: a character
    # takes one to four bytes, and the cut falls on line boundaries).
    low, high = len(pointer) + 2, min(limit, len(markdown))
    best = truncate(markdown, low, pointer)
    while low <= high:
        middle = (low + high) // 2
        text = truncate(markdown, middle, pointer)
        if len(text.encode("utf-8")) <= limit:
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best


def log_annotations(findings: Iterable[Finding], log: TextIO) -> int:
    """Print workflow-command annotations for the active findings; returns how many."""
    shown = dict.fromkeys(Severity, 0)
    hidden = 0
    for finding in findings:
        if finding.suppressed:
            continue
        if shown[finding.severity] >= ANNOTATIONS_PER_LEVEL:
            hidden += 1
            continue
        shown[finding.severity] += 1
        log.write(annotation(finding) + "\n")
    if hidden:
        log.write(
            f"latest-guard: {hidden} more finding(s) not annotated (GitHub shows "
            f"{ANNOTATIONS_PER_LEVEL} per severity and step): see the job summary\n"
        )
    return sum(shown.values())


def annotation(finding: Finding) -> str:
    """One ``::error file=...,line=...,title=...::message`` line for a finding."""
    properties = []
    if finding.location.path:
        properties.append(f"file={_property(finding.location.path)}")
        if finding.location.line is not None:
            properties.append(f"line={finding.location.line}")
    properties.append(f"title={_property(f'{finding.rule} {finding.name}')}")
    message = f"{finding.resource} ({finding.stack}): {finding.message}"
    if finding.fix is not None:
        message += f"\nFix: {finding.fix.summary}"
    return f"::{_COMMAND[finding.severity]} {','.join(properties)}::{_data(message)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def log_line(log: TextIO, text: str) -> None:
    """One line of the action's own log, flushed so it interleaves with the runner's."""
    log.write(f"latest-guard: {text}\n")
    log.flush()


def group(log: TextIO, title: str, lines: Iterable[str]) -> None:
    """A collapsed ``::group::`` in the log."""
    log.write(f"::group::{_data(title)}\n")
    for line in lines:
        log.write(line.rstrip("\n") + "\n")
    log.write("::endgroup::\n")
    log.flush()
