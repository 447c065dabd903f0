"""Pull-request Markdown: the sticky summary comment and the body of one inline review comment.

Everything that comes from a template, a path or the configuration (stack and resource names,
consumer labels, paths, suppression reasons, notes, messages) goes through the escaping module
of the context it lands in (``reviewer.report.escape``): Markdown text, a table cell, a code
span, the HTML of a ``<details><summary>`` line, a Mermaid label. So it cannot open HTML, break
a table with ``|``, end a code span or a fence, draw a link, or mention anyone. Property
changes are shown by name, with the literal details the diff stage allows (``Architectures
x86_64 → arm64``); environment, parameter and tag values never reach a finding in the first
place. ``truncate`` fits a body into GitHub's limit without leaving a fence or ``<details>``
block open. The largest body a host takes is the caller's to give (``limit``): a publisher passes
its host's; ``BODY_LIMIT`` is the default for a caller that names none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from reviewer import __version__
from reviewer.contract.enums import ConsumerView, Severity, Side
from reviewer.contract.findings import Consumer, Finding, PropertyChange, PullLink
from reviewer.contract.report import Report
from reviewer.contract.wording import counted, invokers, joined, kinds, kinds_phrase, numbered
from reviewer.report.escape import (
    code_span,
    html_details,
    markdown_inline,
    mermaid_label,
    table_cell,
)

#: The longest body, in characters, when the caller names no limit of its host's.
BODY_LIMIT = 65536
DEFAULT_POINTER = "… cut to fit GitHub's comment limit: see the job summary for the full report"

_ICON = {Severity.ERROR: "✖", Severity.WARNING: "▲", Severity.NOTICE: "●"}
_SEPARATE_SIDES = (Side.TAGS, Side.FUNCTION_LEVEL)
#: The Lambda call that applies each side, in the order the diagram shows them.
_CALLS = (
    (Side.CODE, "UpdateFunctionCode"),
    (Side.CONFIG, "UpdateFunctionConfiguration"),
    (Side.TAGS, "TagResource"),
    (Side.FUNCTION_LEVEL, "function-level call"),
)
#: At most this many groups of callers in a diagram (with CloudFormation and the function:
#: four participants).
_DIAGRAM_GROUPS = 2
_LISTED_CONSUMERS = 20


#: The summary comment's per-finding details are shortened, then dropped, until the comment
#: fits: every finding keeps its table row.
_DETAIL_LEVELS = ("full", "short", "none")


@dataclass(frozen=True)
class Summary:
    """The summary as rendered, and whether the findings' details were left out of it for
    want of room (then, with ``details_follow``, they go in comments of their own)."""

    text: str
    details_left_out: bool


def summary(
    report: Report,
    *,
    commit: str | None = None,
    details_url: str | None = None,
    notices: Sequence[str] = (),
    details_follow: bool = False,
    limit: int = BODY_LIMIT,
) -> Summary:
    """The sticky summary comment (and the check run's summary): counts, one table row per
    finding, each finding's details collapsed below. It fits ``limit`` characters without
    cutting a finding: the details get shorter, then go, before any row would. ``notices``
    are lines of the publisher's own (Markdown it wrote), shown under the table.
    ``details_follow``: when the details go, the publisher posts them in comments of their
    own (``detail_parts``), and the summary says so; else it points at the job summary
    only."""
    for level in _DETAIL_LEVELS:
        body = _summary(
            report, commit, details_url, level, notices, details_follow=details_follow
        )
        if len(body) <= limit:
            return Summary(body, level == "none" and details_follow and _any_active(report))
    return Summary(truncate(body, limit), details_follow and _any_active(report))


def render(
    report: Report,
    *,
    commit: str | None = None,
    details_url: str | None = None,
    notices: Sequence[str] = (),
    details_follow: bool = False,
    limit: int = BODY_LIMIT,
) -> str:
    """The summary's text (see ``summary``)."""
    return summary(
        report, commit=commit, details_url=details_url, notices=notices,
        details_follow=details_follow, limit=limit,
    ).text


def _any_active(report: Report) -> bool:
    return any(not f.suppressed for f in report.findings)


def render_full(
    report: Report,
    *,
    commit: str | None = None,
    details_url: str | None = None,
    notices: Sequence[str] = (),
) -> str:
    """The job summary: the table, then every finding in full (diagram, steps, changes)."""
    return _summary(report, commit, details_url, "open", notices)


def _summary(
    report: Report,
    commit: str | None,
    details_url: str | None,
    level: str,
    notices: Sequence[str] = (),
    *,
    details_follow: bool = False,
) -> str:
    active = [f for f in report.findings if not f.suppressed]
    blocks: list[str] = [_heading(report)]
    phase_one = phase_one_line(active)
    if phase_one:
        blocks.append(phase_one)
    gap = _not_compared(report)
    if gap:
        blocks.append(gap)
    if active:
        blocks.append(_table(active))
    elif not report.missing_baselines:
        blocks.append(_all_clear(report))
    blocks.extend(notices)
    notes = list(_notes(report))
    if notes:
        blocks.append("\n".join(notes))
    if level == "open":
        blocks.extend(_section(f) for f in active)
    elif level != "none":
        blocks.extend(_collapsed(f, short=level == "short") for f in active)
    elif active:
        blocks.append(DETAILS_FOLLOW if details_follow else DETAILS_IN_JOB_SUMMARY)
    suppressed = [f for f in report.findings if f.suppressed]
    if suppressed:
        blocks.append(_suppressed(suppressed))
    quiet = _quiet(report)
    if quiet:
        blocks.append(quiet)
    blocks.append(_footer(report, commit, details_url))
    return "\n\n".join(blocks) + "\n"


#: Where the details are when the summary comment has no room for them.
DETAILS_FOLLOW = (
    "<sub>Details of each finding: in latest-guard's comments on this pull request headed "
    "\"details\", and in the job summary.</sub>"
)
DETAILS_IN_JOB_SUMMARY = "<sub>Details of each finding: in the job summary.</sub>"


def detail_parts(report: Report, limit: int = BODY_LIMIT - 200) -> list[str]:
    """Every active finding's details, collapsed as the summary shows them, packed into as
    few bodies of at most ``limit`` characters as they fill; each headed ``details, part I
    of N``. A finding too long for one body goes in short."""
    budget = limit - 200
    blocks = []
    for finding in (f for f in report.findings if not f.suppressed):
        block = _collapsed(finding, short=False)
        if len(block) > budget:
            block = truncate(_collapsed(finding, short=True), budget, "")
        blocks.append(block)
    groups: list[list[str]] = []
    used = budget
    for block in blocks:
        if used + len(block) + 2 > budget:
            groups.append([])
            used = 0
        groups[-1].append(block)
        used += len(block) + 2
    return [
        "\n\n".join([f"#### latest-guard · details, part {n} of {len(groups)}", *group]) + "\n"
        for n, group in enumerate(groups, start=1)
    ]


def headline(finding: Finding) -> str:
    """What the finding is, in one line: rule, severity and message."""
    return (
        f"{_ICON[finding.severity]} **{_text(finding.rule)} {_text(finding.name)} "
        f"({finding.severity.value})** · {_sentence(finding.message)}"
    )


def todo(finding: Finding) -> str:
    """What to do, in one line; with a phase-one pull request, to merge and deploy it first."""
    fix = finding.fix
    if fix is None:
        return ""
    pull = fix.phase_one_pull
    if pull is not None:
        return (
            f"**Fix in two deployments:** merge and deploy {_pull(pull)} first: it routes the "
            f"callers of {_code(finding.resource)} through an alias and changes no function. "
            "Then update this branch from its base and let the check run again."
        )
    label = "Fix in two deployments" if fix.two_phase else "Fix"
    return f"**{label}:** {_sentence(fix.summary)}"


def phase_one_line(findings: Sequence[Finding]) -> str:
    """The summary's pointer to the phase-one pull request, naming the functions it wires."""
    pulls: dict[PullLink, list[str]] = {}
    for finding in findings:
        pull = finding.fix.phase_one_pull if finding.fix is not None else None
        if pull is not None:
            pulls.setdefault(pull, []).append(_code(finding.resource))
    return "\n".join(
        f"**Phase one:** merge and deploy {_pull(pull)} first: it routes the callers of "
        f"{joined(list(dict.fromkeys(names)))} through an alias and changes no function."
        for pull, names in pulls.items()
    )


def _pull(pull: PullLink) -> str:
    return f"[#{pull.number}]({_url(pull.url)})"


def _url(url: str) -> str:
    return markdown_inline.link_target(url)


def finding_body(finding: Finding) -> str:
    """One inline review comment: what is wrong and what to do in two lines, the rest (what
    changes, who calls, the race drawn, the steps, the change to apply) collapsed."""
    lines = [headline(finding)]
    action = todo(finding)
    if action:
        lines.append(action)
    details = _details(finding, diagram=True)
    if details:
        lines.extend(["", _collapse("Details", details)])
    if finding.suppressed:
        lines.append(f"\nSuppressed: {_text(finding.suppression_reason or '')}")
    return "\n".join(lines).rstrip() + "\n"


def finding_brief(finding: Finding) -> str:
    """A finding too long for one comment: what is wrong, what to do and the facts; the rest
    is in the job summary, which it says."""
    lines = [headline(finding)]
    action = todo(finding)
    if action:
        lines.append(action)
    lines.extend(["", _details(finding, diagram=False, short=True), "",
                  "The race drawn, the steps and the change to apply: in the job summary."])
    if finding.suppressed:
        lines.append(f"\nSuppressed: {_text(finding.suppression_reason or '')}")
    return "\n".join(lines).rstrip() + "\n"


def _details(finding: Finding, *, diagram: bool, short: bool = False) -> str:
    """The facts, the diagram, the steps and the change, as the collapsed part shows them."""
    parts = ["\n".join(_facts(finding, limit=_SHORT_LIST if short else _LISTED_CONSUMERS))]
    if diagram and finding.view is ConsumerView.EXPOSED:
        parts.append(race_diagram(finding))
    if not short:
        parts.extend(p for p in (_steps(finding), _changes_to_apply(finding)) if p)
    return "\n\n".join(p for p in parts if p)


def _collapse(summary: str, body: str) -> str:
    """``body`` folded under ``summary``, which is HTML (``html_details`` made it so): GFM
    reads the ``<details><summary>`` line as raw HTML, not as Markdown."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def _collapsed(finding: Finding, *, short: bool) -> str:
    """One finding in the summary comment: its headline and what to do, the rest collapsed."""
    title = (
        f"{_ICON[finding.severity]} {html_details.text(finding.rule)} · "
        f"{html_details.code(finding.resource)} ({html_details.text(finding.stack)})"
    )
    body = [headline(finding)]
    action = todo(finding)
    if action:
        body.append(action)
    body.extend(["", _details(finding, diagram=False, short=short)])
    return _collapse(title, "\n".join(body).strip())


# --- summary comment parts ---------------------------------------------------------------


def _heading(report: Report) -> str:
    counts = [
        numbered(report.count(severity), severity.value)
        for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTICE)
        if report.count(severity)
    ]
    if not counts:
        counts = ["✓ no findings"]
    if report.suppressed:
        counts.append(f"{report.suppressed} suppressed")
    return "### latest-guard · " + " · ".join(counts)


def _table(findings: Sequence[Finding]) -> str:
    rows = [
        "| | finding | function | stack | what changes | invoked by |",
        "|---|---|---|---|---|---|",
    ]
    for f in findings:
        cells = [
            _ICON[f.severity],
            f"{_text(f.rule)} {_text(f.name)}",
            table_cell.code(f.resource),
            table_cell.text(f.stack),
            _changes_cell(f),
            _exposure(f),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _changes_cell(finding: Finding) -> str:
    """``code: Architectures, Code · config: Layers``: the changed properties by side."""
    parts = []
    for side, label in _SIDE_LABELS:
        named = _names(c for c in finding.changes if c.side is side)
        if named:
            parts.append(f"{label}: {named}")
    return _text(" · ".join(parts)) or "—"


def _exposure(finding: Finding) -> str:
    """Who invokes the function, by kind (``3 API Gateway methods, an SQS event source
    mapping``); references that do not invoke are counted apart."""
    callers = invokers(finding.consumers)
    referenced = len(finding.consumers) - len(callers)
    parts = []
    if callers:
        parts.append(kinds_phrase(callers))
    elif finding.view is ConsumerView.EXPOSED:
        parts.append("every caller (no version or alias)")
    if referenced:
        parts.append(f"referenced by {numbered(referenced, 'output')}")
    return _text("; ".join(parts)) or "—"


def _not_compared(report: Report) -> str:
    """The stacks whose baseline is missing: a warning when that is every stack (nothing was
    compared, no race can be seen), else a line naming them; shown with or without
    findings."""
    missing = report.missing_baselines
    if report.nothing_compared:
        return (
            "> [!WARNING]\n> **Nothing compared:** the baseline of every stack is missing, so no "
            "race can be seen; only the rules that judge a template alone ran (see the notes "
            "below)."
        )
    if not missing:
        return ""
    return (
        f"**Not compared:** the baseline of {_text(', '.join(missing))} is missing, so no "
        "verdict can be given for it (see the note below); the other stacks were compared."
    )


def _all_clear(report: Report) -> str:
    compared = [s for s in report.stacks if s.status == "compared"]
    functions = sum(s.functions for s in compared)
    changed = sum(len(s.changed_functions) for s in compared)
    return (
        f"{numbered(len(compared), 'stack')} compared · {numbered(functions, 'function')} · "
        f"{changed} changed · none changes code and configuration while traffic reaches "
        "`$LATEST`."
    )


#: How many changed functions without a finding are listed, with why, before the rest are
#: only counted: the comment stays short on a stack of hundreds of functions.
_LISTED_QUIET = 30


def _quiet(report: Report) -> str:
    """The changed functions that have no finding, and why, collapsed."""
    rows = [(stack.name, name, why) for stack in report.stacks for name, why in stack.quiet]
    if not rows:
        return ""
    several = len({stack for stack, _, _ in rows}) > 1
    lines = [
        f"<details><summary>{numbered(len(rows), 'changed function')} without a finding, and why"
        "</summary>",
        "",
    ]
    for stack, name, why in rows[:_LISTED_QUIET]:
        where = f" ({_text(stack)})" if several else ""
        lines.append(f"- {_code(name)}{where}: {_text(why)}")
    if len(rows) > _LISTED_QUIET:
        lines.append(f"- and {len(rows) - _LISTED_QUIET} more")
    lines.extend(["", "</details>"])
    return "\n".join(lines)


def _notes(report: Report) -> Iterator[str]:
    for stack in report.stacks:
        for note in stack.notes:
            yield f"> **note** ({_text(stack.name)}): {_text(note)}"


def _section(finding: Finding) -> str:
    """One finding in full, for the job summary: what, what to do, then everything else."""
    parts = [
        f"#### {_ICON[finding.severity]} {_text(finding.rule)} {_text(finding.name)} · "
        f"{_code(finding.resource)} ({_text(finding.stack)})",
        "\n".join(p for p in (headline(finding), todo(finding)) if p),
        _details(finding, diagram=True),
    ]
    return "\n\n".join(p for p in parts if p)


_SIDE_LABELS = (
    (Side.CODE, "code side"),
    (Side.CONFIG, "config side"),
    (Side.TAGS, "tags"),
    (Side.FUNCTION_LEVEL, "function-level"),
)
_SHORT_LIST = 5


def _facts(finding: Finding, *, limit: int) -> Iterator[str]:
    where = finding.location.path
    if finding.location.line is not None:
        where += f":{finding.location.line}"
    if where:
        yield f"- **where:** {_code(where)}"
    for side, label in _SIDE_LABELS:
        described = [_text(c.describe()) for c in finding.changes if c.side is side]
        if described:
            yield f"- **{label}:** " + "; ".join(described)
    callers = invokers(finding.consumers)
    if callers:
        yield f"- **invoked by:** {_consumer_list(callers, limit)}"
    others = [c for c in finding.consumers if not c.invokes]
    if others:
        yield f"- **referenced by:** {_consumer_list(others, limit)}"
    if finding.why:
        yield f"- **why:** {_text(finding.why)}"


def _steps(finding: Finding) -> str:
    """The fix step by step; a two-phase fix says plainly that this PR alone cannot be safe."""
    fix = finding.fix
    if fix is None or not fix.steps:
        return ""
    lead = (
        "**Steps.** The deployed stack sends traffic to `$LATEST`: no edit to this pull "
        "request alone closes the window."
        if fix.two_phase else "**Steps.**"
    )
    steps = [f"{n}. {_sentence(step)}" for n, step in enumerate(fix.steps, start=1)]
    return "\n".join([lead, *steps])


def _changes_to_apply(finding: Finding) -> str:
    """The change itself: the phase-one change to deploy first, the change of this pull
    request, or the code to write, each collapsed (``latest-guard fix`` applies them)."""
    fix = finding.fix
    if fix is None:
        return ""
    parts = []
    if fix.phase_one is not None and fix.phase_one.patch:
        parts.append(_collapse(
            "Phase one: the change to the deployed template "
            f"{html_details.code(fix.phase_one.path)}, "
            "to merge and deploy first",
            fenced(fix.phase_one.patch, "diff"),
        ))
    if fix.change is not None and fix.change.patch:
        what = "then this change" if fix.two_phase else "the fix"
        parts.append(_collapse(
            f"{what[:1].upper()}{what[1:]}: {html_details.code(fix.change.path)}",
            fenced(fix.change.patch, "diff"),
        ))
    if fix.snippet is not None:
        parts.append(_collapse(
            "The code to write", fenced(fix.snippet.text, fix.snippet.language)))
    return "\n\n".join(parts)


def fenced(text: str, language: str) -> str:
    """``text`` in a code fence longer than any run of backticks inside it (a suggestion's
    empty text stays empty: it deletes the lines)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if not text or text.endswith("\n") else text + "\n"
    return f"{fence}{re.sub(r'[^a-z0-9+-]', '', language.lower())}\n{body}{fence}"


def _suppressed(findings: Sequence[Finding]) -> str:
    lines = [
        f"<details><summary>{numbered(len(findings), 'suppressed finding')}</summary>",
        "",
    ]
    for f in findings:
        lines.append(
            f"- {_text(f.rule)} {_text(f.name)} ({f.severity.value}) · {_code(f.resource)} "
            f"({_text(f.stack)}): {_text(f.suppression_reason or 'suppressed')}"
        )
    lines.extend(["", "</details>"])
    return "\n".join(lines)


def _footer(report: Report, commit: str | None, details_url: str | None) -> str:
    parts = [f"latest-guard {__version__}"]
    if commit:
        parts.append(f"commit {_code(commit[:7])}")
    parts.append(f"baseline: {_text(report.baseline)}")
    if details_url and re.match(r"https?://[^\s()<>]+$", details_url):
        parts.append(f"[details in the job summary]({details_url})")
    return "<sub>" + " · ".join(parts) + "</sub>"


# --- the race as a Mermaid sequence diagram ------------------------------------------------


def race_diagram(finding: Finding) -> str:
    """A fenced ``mermaid`` sequence diagram: the calls, and the callers hitting the mixed state.

    Callers are grouped by kind (``3 API Gateway methods``): at most two groups (the second
    one "N more callers" when there are more kinds), CloudFormation and the function, so the
    text stays readable at comment width. References that do not invoke are not drawn.
    Participants get generated ids (``C1``, ``CFN``, ``L``) and every label goes through
    ``mermaid_label``, so names from the template cannot end a statement or the fence.
    """
    found = kinds(finding.consumers)
    groups = [counted(kind, n) for kind, n in found]
    if len(found) > _DIAGRAM_GROUPS:
        rest = sum(n for _, n in found[_DIAGRAM_GROUPS - 1:])
        groups = [*groups[: _DIAGRAM_GROUPS - 1], f"{rest} callers of other kinds"]
    if not groups:
        groups = ["any caller (no version or alias)"]
    lines = ["```mermaid", "sequenceDiagram"]
    callers = [f"C{n}" for n in range(1, len(groups) + 1)]
    lines.extend(
        f"  participant {caller} as {_mermaid(group)}"
        for caller, group in zip(callers, groups, strict=True)
    )
    lines.append("  participant CFN as CloudFormation")
    lines.append(f"  participant L as {_mermaid(finding.resource + ' ($LATEST)')}")
    calls = [
        (name, [c for c in finding.changes if c.side is side])
        for side, name in _CALLS
        if any(c.side is side for c in finding.changes)
    ]
    lines.append("  Note over CFN,L: separate calls, either may finish first")
    first, later = calls[0], calls[1:]
    lines.append(f"  CFN->>L: {_mermaid(_call_label(*first))}")
    lines.append("  Note over L: half updated")
    lines.extend(f"  {caller}->>L: {_mermaid('invoke → mixed state ✖')}" for caller in callers)
    lines.extend(f"  CFN->>L: {_mermaid(_call_label(*call))}" for call in later)
    lines.append(f"  {callers[0]}->>L: {_mermaid('invoke → consistent again')}")
    lines.append("```")
    return "\n".join(lines)


def _call_label(call: str, changes: Sequence[PropertyChange], width: int = 70) -> str:
    text = f"{call} (" + ", ".join(c.describe() for c in changes) + ")"
    return text if len(text) <= width else text[: width - 1] + "…"


def _mermaid(text: str) -> str:
    return mermaid_label.label(text)


# --- escaping --------------------------------------------------------------------------------


def inert(text: str) -> str:
    """Text from elsewhere (a template, a log line) as inert Markdown on one line."""
    return markdown_inline.text(text)


def _text(text: str) -> str:
    return markdown_inline.text(text)


def _code(text: str) -> str:
    return code_span.code(text)


def _sentence(text: str) -> str:
    """Escaped text as a sentence: capital first letter, final full stop."""
    escaped = _text(text[:1].upper() + text[1:])
    return escaped if escaped.endswith((".", "!", "?")) else escaped + "."


def _names(changes: Iterable[PropertyChange]) -> str:
    return ", ".join(dict.fromkeys(c.name for c in changes))


def _consumer_list(consumers: Sequence[Consumer], limit: int) -> str:
    items = [
        f"{_code(c.resource)} ({_text(c.label)}, {_text(c.form)})" for c in consumers[:limit]
    ]
    if len(consumers) > limit:
        items.append(f"and {len(consumers) - limit} more")
    return ", ".join(items)



# --- truncation ------------------------------------------------------------------------------

_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


def truncate(body: str, limit: int = BODY_LIMIT, pointer: str = DEFAULT_POINTER) -> str:
    """Fit ``body`` into ``limit`` characters, ending with ``pointer`` when anything was cut.

    The cut falls on a line boundary. It prefers the last boundary outside every code fence
    and ``<details>`` block; when that would drop more than half of what could be kept (one
    huge block), it cuts inside the block and closes the fence and the open ``<details>``
    tags, innermost first. A body that fits is returned unchanged. ``pointer`` is Markdown
    written by the caller (a link to the job summary) and is not escaped.
    """
    if len(body) <= limit:
        return body
    if limit < len(pointer) + 2:
        raise ValueError(f"limit {limit} leaves no room for the pointer text")
    best_top = 0
    best_any: tuple[int, tuple[str, ...]] = (0, ())
    for offset, closers in _boundaries(body):
        # An upper bound of len(_assemble(...)): the prefix only loses trailing newlines.
        if offset + sum(len(c) + 1 for c in closers) + len(pointer) + 3 > limit:
            break
        best_any = (offset, closers)
        if not closers:
            best_top = offset
    offset, closers = best_any
    if best_top and best_top * 2 >= offset:
        offset, closers = best_top, ()
    if offset == 0:
        return _hard_cut(body, limit, pointer)
    return _assemble(body[:offset], closers, pointer)


def _boundaries(body: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Each line start after the first, with what is open there (closing tags, innermost first)."""
    fence: str | None = None
    depth = 0
    offset = 0
    for line in body.splitlines(keepends=True):
        fence, depth = _advance(line, fence, depth)
        offset += len(line)
        if offset < len(body):
            yield offset, _closers(fence, depth)


def _advance(line: str, fence: str | None, depth: int) -> tuple[str | None, int]:
    """The open fence and ``<details>`` depth after one line (CommonMark fence rules)."""
    match = _FENCE_LINE.match(line)
    if fence is not None:
        closing = (
            match is not None
            and match.group(1)[0] == fence[0]
            and len(match.group(1)) >= len(fence)
            and not line[match.end() :].strip()
        )
        return (None if closing else fence), depth
    if match is not None and not (match.group(1)[0] == "`" and "`" in line[match.end() :]):
        return match.group(1), depth
    opened = len(_DETAILS_OPEN.findall(line))
    closed = len(_DETAILS_CLOSE.findall(line))
    return None, max(0, depth + opened - closed)


def _closers(fence: str | None, depth: int) -> tuple[str, ...]:
    return ((fence,) if fence else ()) + ("</details>",) * depth


def _assemble(prefix: str, closers: Sequence[str], pointer: str) -> str:
    closing = "".join(f"{c}\n" for c in closers)
    return prefix.rstrip("\n") + "\n" + closing + "\n" + pointer + "\n"


def _hard_cut(body: str, limit: int, pointer: str) -> str:
    """The first line alone is too long: cut it at a space, closing whatever it opened."""
    budget = limit - len(pointer) - 3
    for _ in range(3):
        cut = body.rfind(" ", 0, budget)
        cut = cut if cut > budget // 2 else budget
        fence: str | None = None
        depth = 0
        for line in body[:cut].splitlines(keepends=True):
            fence, depth = _advance(line, fence, depth)
        closers = _closers(fence, depth)
        text = _assemble(body[:cut], closers, pointer)
        if len(text) <= limit:
            return text
        budget -= len(text) - limit
    return pointer[:limit]
