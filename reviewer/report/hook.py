"""A report as a CloudFormation Lambda Hook answers it: the status, the message and one
annotation per finding.

CloudFormation truncates a hook's ``message`` to 4,096 characters, so the message is fitted
here instead: each finding is a block of short lines (what the rule says, the code side, the
configuration side, the exposed consumers, the fix, the rule's documentation); blocks are
kept whole while they fit, and the findings left out are all named on one last line, "and N
more: ...", which fits the limit too. Nothing is ever cut in the middle of a word. Like every
reporter, it names properties, resources and parameters, never their values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewer.contract.enums import Severity, Side
from reviewer.contract.findings import Finding
from reviewer.contract.report import Report
from reviewer.contract.wording import kinds_phrase, numbered
from reviewer.report.sarif import INFORMATION_URI

#: What CloudFormation keeps of a hook's message (the Hooks User Guide, "Response input").
MESSAGE_LIMIT = 4096
#: What an annotation's texts are cut to (a length the guide does not state; kept short).
ANNOTATION_TEXT_LIMIT = 1024
#: The longest annotation name written (the limit is not documented).
_NAME_LIMIT = 256
RULES_URL = f"{INFORMATION_URI}#rules"
_LEVELS = {Severity.ERROR: "HIGH", Severity.WARNING: "MEDIUM", Severity.NOTICE: "LOW"}
_SIDES = ((Side.CODE, "code side"), (Side.CONFIG, "config side"), (Side.TAGS, "tags"),
          (Side.FUNCTION_LEVEL, "function-level"))
_CONSUMERS_NAMED = 5


@dataclass(frozen=True)
class HookAnswer:
    """The parts of a hook's response that a report decides."""

    status: str  # SUCCESS | FAILED
    error_code: str | None  # NonCompliant when FAILED
    message: str
    annotations: tuple[dict[str, Any], ...]

    def response(self, token: str) -> dict[str, Any]:
        """The response document, with the request's ``clientRequestToken``."""
        out: dict[str, Any] = {"hookStatus": self.status}
        if self.error_code is not None:
            out["errorCode"] = self.error_code
        out["message"] = self.message
        out["clientRequestToken"] = token
        if self.annotations:
            out["annotations"] = list(self.annotations)
        return out


def answer(report: Report, notes: Sequence[str] = (), limit: int = MESSAGE_LIMIT) -> HookAnswer:
    """The hook's answer to ``report``; ``notes`` are said after the verdict (how the
    parameter values were known, say)."""
    findings = sorted(report.findings, key=_order(report))
    failing = report.failing
    lines = [_headline(report, findings)]
    lines.extend(f"note: {note}" for note in notes)
    blocks = [_block(finding) for finding in findings]
    stack_notes = [
        f"note ({stack.name}): {note}" for stack in report.stacks for note in stack.notes
    ]
    message = fit(lines, blocks, [_short_name(f, findings) for f in findings], stack_notes, limit)
    return HookAnswer(
        "FAILED" if failing else "SUCCESS",
        "NonCompliant" if failing else None,
        message,
        tuple(_annotation(f, report) for f in findings) or (_passed(report),),
    )


def fit(
    head: Sequence[str],
    blocks: Sequence[str],
    names: Sequence[str],
    tail: Sequence[str] = (),
    limit: int = MESSAGE_LIMIT,
) -> str:
    """``head``, then as many whole ``blocks`` as fit, then one line naming the rest (by
    ``names``, one per block), then the ``tail`` lines that still fit; at most ``limit``
    characters, never cut inside a word."""
    top = cut("\n".join(head), limit)
    for kept in range(len(blocks), -1, -1):
        parts = [top, *blocks[:kept]]
        rest = names[kept:]
        if rest:
            room = limit - len("\n".join(parts)) - 1
            if room <= 0:
                continue
            line = _more(rest, room)
            if line is None and kept:
                continue
            parts.append(line or _more_cut(rest, room))
        text = "\n".join(p for p in parts if p)
        if len(text) <= limit:
            for extra in tail:
                if len(text) + 1 + len(extra) <= limit:
                    text += "\n" + extra
            return text
    return top


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut after a whole word with "…"."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > 0:
        head = head[:space]
    return head.rstrip() + "…" if limit else ""


def _more(names: Sequence[str], room: int) -> str | None:
    line = f"and {len(names)} more: {', '.join(names)}"
    return line if len(line) <= room else None


def _more_cut(names: Sequence[str], room: int) -> str:
    """The overflow line when not every name fits even alone: whole names while they fit,
    and how many are not named."""
    named: list[str] = []
    for index, name in enumerate(names):
        left = len(names) - index - 1
        line = f"and {len(names)} more: {', '.join([*named, name])}"
        if left:
            line += f", and {left} not named here"
        if len(line) > room:
            break
        named.append(name)
    left = len(names) - len(named)
    line = f"and {len(names)} more: {', '.join(named)}"
    if left:
        line += f"{', and' if named else ''} {left} not named here"
    return cut(line, room)


def _order(report: Report) -> Any:
    """Findings that fail the hook first, then the others, suppressed ones last; by severity,
    stack and function within each."""

    def key(finding: Finding) -> tuple[int, int, int, str, str]:
        fails = not finding.suppressed and report.fail_on.fails(finding.severity)
        return (0 if fails else 1, 1 if finding.suppressed else 0, -finding.severity.rank,
                finding.stack, finding.resource)

    return key


def _headline(report: Report, findings: Sequence[Finding]) -> str:
    active = [f for f in findings if not f.suppressed]
    stacks = ", ".join(s.name for s in report.stacks) or "no stack"
    if not active:
        suppressed = len(findings) - len(active)
        extra = f" ({suppressed} suppressed)" if suppressed else ""
        return f"latest-guard: no finding in {stacks}{extra}: compliant."
    counts = ", ".join(
        numbered(n, severity.value)
        for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTICE)
        if (n := report.count(severity))
    )
    verdict = (
        f"non-compliant (fail-on {report.fail_on.value})" if report.failing
        else f"below fail-on {report.fail_on.value}"
    )
    return f"latest-guard: {counts} in {stacks}: {verdict}."


def _block(finding: Finding) -> str:
    where = f" (line {finding.location.line})" if finding.location.line else ""
    head = f"[{finding.rule} {finding.severity.value}] {finding.stack}/{finding.resource}{where}"
    if finding.suppressed:
        return f"{head}: suppressed: {finding.suppression_reason or 'by the template'}"
    lines = [f"{head}: {finding.message}"]
    if finding.when:
        lines.append(f"  when: {finding.when}")
    for side, label in _SIDES:
        described = [c.describe() for c in finding.changes if c.side is side]
        if described:
            lines.append(f"  {label}: {'; '.join(described)}")
    if finding.consumers:
        lines.append(f"  {finding.view.value}: {_consumers(finding)}")
    if finding.fix is not None:
        lines.append(f"  fix: {finding.fix.summary}")
    lines.append(f"  docs: {RULES_URL} (latest-guard explain {finding.rule})")
    return "\n".join(lines)


def _consumers(finding: Finding) -> str:
    names = list(dict.fromkeys(c.resource for c in finding.consumers))
    shown = ", ".join(names[:_CONSUMERS_NAMED])
    if len(names) > _CONSUMERS_NAMED:
        shown += f" and {len(names) - _CONSUMERS_NAMED} more"
    kinds = kinds_phrase(finding.consumers)
    return f"{kinds}: {shown}" if kinds else shown


def _short_name(finding: Finding, findings: Sequence[Finding]) -> str:
    """How the overflow line names a finding: its function, with its stack when there are
    several, and its rule when the findings are of more than one."""
    several = len({f.stack for f in findings}) > 1
    name = f"{finding.stack}/{finding.resource}" if several else finding.resource
    return f"{name} ({finding.rule})" if len({f.rule for f in findings}) > 1 else name


def _annotation(finding: Finding, report: Report) -> dict[str, Any]:
    """``FAILED`` for a finding that fails the operation, ``PASSED`` (its message kept) for one
    below fail-on, ``SKIPPED`` for a suppressed one: the status agrees with the hook's."""
    if finding.suppressed:
        status = "SKIPPED"
        text = f"suppressed: {finding.suppression_reason or 'by the template'}"
    elif report.fail_on.fails(finding.severity):
        status, text = "FAILED", finding.message
    else:
        status = "PASSED"
        text = f"below fail-on {report.fail_on.value}: {finding.message}"
    out: dict[str, Any] = {
        "annotationName": _annotation_name(finding),
        "status": status,
        "statusMessage": cut(text, ANNOTATION_TEXT_LIMIT),
        "severityLevel": _LEVELS[finding.severity],
        "remediationLink": RULES_URL,
    }
    if finding.fix is not None:
        out["remediationMessage"] = cut(finding.fix.summary, ANNOTATION_TEXT_LIMIT)
    return out


def _annotation_name(finding: Finding) -> str:
    """The rule and the function (a request holds one stack); one too long loses the middle
    of its logical id, which has no space to cut at: ids that share a prefix (CDK's do) stay
    apart by their ends."""
    name = f"{finding.rule} {finding.resource}"
    if len(name) <= _NAME_LIMIT:
        return name
    head = _NAME_LIMIT // 2
    return name[:head] + "…" + name[len(name) - (_NAME_LIMIT - head - 1):]


def _passed(report: Report) -> dict[str, Any]:
    stacks = ", ".join(s.name for s in report.stacks) or "no stack"
    return {
        "annotationName": "latest-guard",
        "status": "PASSED",
        "statusMessage": cut(f"no function in {stacks} races with its own deployment",
                             ANNOTATION_TEXT_LIMIT),
        "severityLevel": "INFORMATIONAL",
    }
