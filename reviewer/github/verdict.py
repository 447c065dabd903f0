"""The verdict of a report in GitHub's words: a check-run conclusion and a one-line title.

- ``failure`` when a finding reaches ``fail-on``;
- ``neutral`` when there are findings, all below it (shown, but not blocking);
- ``success`` when there is none. Suppressed findings do not count.
"""

from __future__ import annotations

from reviewer.engine import Report
from reviewer.findings import Severity


def conclusion(report: Report) -> str:
    if report.failing:
        return "failure"
    if any(not f.suppressed for f in report.findings):
        return "neutral"
    return "success"


def title(report: Report) -> str:
    """``1 error · 0 warnings · 2 notices``, or ``no findings``."""
    counts = [
        (report.count(Severity.ERROR), "error"),
        (report.count(Severity.WARNING), "warning"),
        (report.count(Severity.NOTICE), "notice"),
    ]
    if not any(n for n, _ in counts):
        return "no findings"
    return " · ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts)
