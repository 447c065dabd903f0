"""The verdict of a report: a conclusion (as a check run names it) and a one-line title.

- ``failure`` when a finding reaches ``fail-on``;
- ``neutral`` when there are findings, all below it (shown, but not blocking), or when a
  stack's baseline is missing (it was not compared: never a silent green);
- ``success`` when there is none. Suppressed findings do not count.

The title is plain text on one line: a stack name is shown as it is, its line breaks made
spaces.
"""

from __future__ import annotations

from reviewer.contract.enums import Severity
from reviewer.contract.report import Report
from reviewer.contract.wording import numbered
from reviewer.report.escape import plain_text


def conclusion(report: Report) -> str:
    if report.failing:
        return "failure"
    if any(not f.suppressed for f in report.findings) or report.missing_baselines:
        return "neutral"
    return "success"


def title(report: Report) -> str:
    """``1 error · 0 warnings · 2 notices``, or ``no findings``."""
    counts = [
        (report.count(Severity.ERROR), "error"),
        (report.count(Severity.WARNING), "warning"),
        (report.count(Severity.NOTICE), "notice"),
    ]
    missing = report.missing_baselines
    gap = plain_text.text(f"baseline missing for {', '.join(missing)}")[:120] if missing else ""
    if not any(n for n, _ in counts):
        return gap or "no findings"
    found = " · ".join(numbered(n, word) for n, word in counts)
    return f"{found} · {gap}" if gap else found
