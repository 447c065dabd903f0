"""The terminal report: grouped by stack and function, names of properties, never values.

Long lines (messages, notes, the fix) wrap to the terminal's width (``COLUMNS``, else 80 when
the output is not a terminal: :mod:`reviewer.report.terminal`) with a hanging indent.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from reviewer import __version__
from reviewer.contract.enums import Severity, Side
from reviewer.contract.findings import Finding
from reviewer.contract.report import Report
from reviewer.contract.wording import numbered
from reviewer.report.terminal import hanging, terminal_width

_MARK = {Severity.ERROR: "✖", Severity.WARNING: "▲", Severity.NOTICE: "●"}
_SIDES = (
    (Side.CODE, "code side"),
    (Side.CONFIG, "config side"),
    (Side.TAGS, "tags"),
    (Side.FUNCTION_LEVEL, "function-level"),
)
_INDENT = " " * 19


def render(report: Report, width: int | None = None) -> str:
    """The report for a terminal ``width`` columns wide (by default the one it is shown in)."""
    return "\n".join(_lines(report, width or terminal_width())) + "\n"


def _lines(report: Report, width: int) -> Iterator[str]:
    count = len(report.stacks)
    header = (
        f"latest-guard {__version__} · {numbered(count, 'stack')}"
        f" · baseline: {report.baseline}"
        + (" (missing: nothing compared)" if report.nothing_compared else "")
    )
    yield from hanging("", header, width, indent="  ")
    by_stack = {
        name: list(group) for name, group in groupby(report.findings, key=lambda f: f.stack)
    }
    for stack in report.stacks:
        yield ""
        status = "" if stack.status == "compared" else f"  ({stack.status} stack)"
        yield f"{stack.name}{status}"
        for note in stack.notes:
            yield from hanging("  note: ", note, width)
        findings = by_stack.get(stack.name, [])
        if not findings:
            changed = len(stack.changed_functions)
            yield (
                f"  ✓ no findings ({numbered(stack.functions, 'function')}, {changed} changed)"
            )
        for finding in findings:
            yield from _finding(finding, width)
        for function, why in stack.quiet:
            yield from hanging("  · ", f"{function}: no finding, {why}", width)
    yield ""
    gap = _not_compared(report)
    if gap:
        yield from hanging("", gap, width, indent="  ")
    yield _totals(report)


def _finding(finding: Finding, width: int) -> Iterator[str]:
    where = finding.location.path
    if finding.location.line is not None:
        where += f":{finding.location.line}"
    mark = "-" if finding.suppressed else _MARK[finding.severity]
    yield f"  {mark} {finding.rule} {finding.severity.value:<8}{finding.resource} ({where})"
    if finding.suppressed:
        yield from hanging("      suppressed   ", finding.suppression_reason or "", width)
        return
    yield from hanging("      ", finding.message, width)
    for side, label in _SIDES:
        described = [c.describe() for c in finding.changes if c.side is side]
        for index, text in enumerate(described):
            yield from hanging(f"      {label:<12} " if index == 0 else _INDENT, text, width)
    for index, consumer in enumerate(finding.consumers):
        label = finding.view.value
        head = f"      {label:<12} " if index == 0 else _INDENT
        yield from hanging(
            head, f"{consumer.resource}  ({consumer.label}, {consumer.form})", width
        )
    if finding.why:
        yield from hanging(f"      {'why':<12} ", finding.why, width)
    if finding.fix is not None:
        yield from hanging(f"      {'fix':<12} ", finding.fix.summary, width)


def _not_compared(report: Report) -> str:
    """The stacks whose baseline is missing, named above the totals: a warning when that is
    every stack (nothing was compared), else one line naming them."""
    missing = report.missing_baselines
    if report.nothing_compared:
        return (
            f"{_MARK[Severity.WARNING]} warning: nothing compared: the baseline of every stack "
            "is missing (see the notes), so no race can be seen; only the rules that judge a "
            "template alone ran"
        )
    if missing:
        return f"not compared: {', '.join(missing)} (baseline missing: see the notes)"
    return ""


def _totals(report: Report) -> str:
    parts = [
        numbered(report.count(Severity.ERROR), "error"),
        numbered(report.count(Severity.WARNING), "warning"),
        numbered(report.count(Severity.NOTICE), "notice"),
    ]
    if report.suppressed:
        parts.append(f"{report.suppressed} suppressed")
    verdict = f"exit {report.exit_code}: fail-on {report.fail_on}"
    return " · ".join(parts) + f"   ({verdict})"
