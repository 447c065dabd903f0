"""Pull-request Markdown: the sticky summary comment and the body of one inline review comment.

Everything that comes from a template (stack and resource names, consumer labels, paths,
suppression reasons, messages) goes through ``_text`` or ``_code`` before it reaches the body,
so it cannot open HTML, break a table with ``|``, end a code fence, or mention a user. Property
changes are shown by name, with the literal details the diff stage allows (``Architectures
x86_64 → arm64``); environment, parameter and tag values never reach a finding in the first
place. ``truncate`` fits a body into GitHub's limit without leaving a fence or ``<details>``
block open.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from reviewer import __version__
from reviewer.contract.enums import ConsumerView, Severity, Side
from reviewer.contract.findings import Consumer, Finding, PropertyChange
from reviewer.contract.report import Report

#: GitHub rejects an issue or review comment body longer than this many characters.
GITHUB_BODY_LIMIT = 65536
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
_DIAGRAM_CONSUMERS = 3
_LISTED_CONSUMERS = 20


def render(report: Report, *, commit: str | None = None, details_url: str | None = None) -> str:
    """The sticky summary comment: counts, one table row per finding, then the details.

    ``commit`` and ``details_url`` (the job summary or the workflow run) go into the footer
    when the caller knows them.
    """
    active = [f for f in report.findings if not f.suppressed]
    blocks: list[str] = [_heading(report)]
    if active:
        blocks.append(_table(active))
    else:
        blocks.append(_all_clear(report))
    notes = list(_notes(report))
    if notes:
        blocks.append("\n".join(notes))
    blocks.extend(_section(f) for f in active)
    suppressed = [f for f in report.findings if f.suppressed]
    if suppressed:
        blocks.append(_suppressed(suppressed))
    quiet = _quiet(report)
    if quiet:
        blocks.append(quiet)
    blocks.append(_footer(report, commit, details_url))
    return "\n\n".join(blocks) + "\n"


def finding_body(finding: Finding) -> str:
    """One inline review comment: what changes (names only), who is exposed, why, the fix."""
    head = (
        f"**{_text(finding.rule)} {_text(finding.name)} ({finding.severity.value})** — "
        f"{_sentence(finding.message)}"
    )
    lines = [head, ""]
    changes = _changes_by_name(finding.changes)
    if changes:
        lines.append(f"- **changes:** {changes}")
    if finding.consumers:
        label = finding.view.value
        lines.append(f"- **{label}:** {_consumer_list(finding.consumers, _LISTED_CONSUMERS)}")
    if finding.why:
        lines.append(f"- **why:** {_text(finding.why)}")
    if finding.suppressed:
        lines.append(f"- **suppressed:** {_text(finding.suppression_reason or '')}")
    fix = _fix(finding)
    if fix:
        lines.extend(["", fix])
    return "\n".join(lines).rstrip() + "\n"


# --- summary comment parts ---------------------------------------------------------------


def _heading(report: Report) -> str:
    counts = [
        _plural(report.count(severity), severity.value)
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
        "| | function | stack | code side | config side | exposed consumers |",
        "|---|---|---|---|---|---|",
    ]
    for f in findings:
        code = _names(c for c in f.changes if c.side is Side.CODE)
        config = _names(c for c in f.changes if c.side is Side.CONFIG)
        separate = _names(c for c in f.changes if c.side in _SEPARATE_SIDES)
        if separate:
            extra = f"{separate} (separate call)"
            config = f"{config}, {extra}" if config else extra
        cells = [
            f"{_ICON[f.severity]} {_text(f.rule)}",
            _code(f.resource, table=True),
            _text(f.stack),
            _text(code) or "—",
            _text(config) or "—",
            _exposure(f),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _exposure(finding: Finding) -> str:
    """``3 (API Gateway method GET, SQS event source mapping, ...)``: count and kinds."""
    if not finding.consumers:
        if finding.view is ConsumerView.EXPOSED:
            return "every caller (no version or alias)"
        return "—"
    kinds = Counter(c.label for c in finding.consumers)
    listed = ", ".join(f"{n} {kind}" if n > 1 else kind for kind, n in kinds.items())
    return _text(f"{len(finding.consumers)} ({listed})")


def _all_clear(report: Report) -> str:
    missing = report.missing_baselines
    if missing:
        return (
            f"**Not compared:** the baseline of {_text(', '.join(missing))} is missing, so no "
            "verdict can be given for it (see the note below)."
        )
    compared = [s for s in report.stacks if s.status == "compared"]
    functions = sum(s.functions for s in compared)
    changed = sum(len(s.changed_functions) for s in compared)
    return (
        f"{_plural(len(compared), 'stack')} compared · {_plural(functions, 'function')} · "
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
        f"<details><summary>{_plural(len(rows), 'changed function')} without a finding, and why"
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
    """One finding in full: what, where, which calls, who is exposed, the race, the fix."""
    parts = [
        f"#### {_ICON[finding.severity]} {_text(finding.rule)} {_text(finding.name)} · "
        f"{_code(finding.resource)} ({_text(finding.stack)})",
        _sentence(finding.message),
    ]
    facts = list(_facts(finding))
    if facts:
        parts.append("\n".join(facts))
    if finding.view is ConsumerView.EXPOSED:  # a race between calls: drawn as one
        parts.append(race_diagram(finding))
    fix = _fix(finding)
    if fix:
        parts.append(fix)
    return "\n\n".join(parts)


def _facts(finding: Finding) -> Iterator[str]:
    where = finding.location.path
    if finding.location.line is not None:
        where += f":{finding.location.line}"
    if where:
        yield f"- **where:** {_code(where)}"
    for side, label in (
        (Side.CODE, "code side"),
        (Side.CONFIG, "config side"),
        (Side.TAGS, "tags"),
        (Side.FUNCTION_LEVEL, "function-level"),
    ):
        described = [_text(c.describe()) for c in finding.changes if c.side is side]
        if described:
            yield f"- **{label}:** " + "; ".join(described)
    if finding.consumers:
        label = finding.view.value
        yield f"- **{label}:** {_consumer_list(finding.consumers, _LISTED_CONSUMERS)}"
    if finding.why:
        yield f"- **why:** {_text(finding.why)}"


def _fix(finding: Finding) -> str:
    """The fix in words; a two-phase fix says plainly that this PR alone cannot be made safe."""
    fix = finding.fix
    if fix is None:
        return ""
    summary = _sentence(fix.summary)
    if fix.two_phase:
        text = (
            "**Fix in two deployments.** The deployed stack sends traffic to `$LATEST`, so no "
            f"edit to this pull request alone closes the window. {summary}"
        )
    else:
        text = f"**Fix.** {summary}"
    steps = [f"{n}. {_text(step)}" for n, step in enumerate(fix.steps, start=1)]
    return "\n".join([text, *steps]) if steps else text


def _suppressed(findings: Sequence[Finding]) -> str:
    lines = [
        f"<details><summary>{_plural(len(findings), 'suppressed finding')}</summary>",
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
    """A fenced ``mermaid`` sequence diagram: the calls, and consumers hitting the mixed state.

    Participants get generated ids (``C1``, ``CFN``, ``L``) and every label goes through
    ``_mermaid``, so names from the template cannot end a statement or the fence.
    """
    consumers = list(finding.consumers)
    shown = consumers[:_DIAGRAM_CONSUMERS]
    lines = ["```mermaid", "sequenceDiagram"]
    callers: list[str] = []
    for index, consumer in enumerate(shown, start=1):
        callers.append(f"C{index}")
        lines.append(
            f"  participant C{index} as {_mermaid(f'{consumer.resource} ({consumer.label})')}"
        )
    rest = len(consumers) - len(shown)
    if rest:
        callers.append("CX")
        lines.append(f"  participant CX as {_mermaid(f'{rest} more consumers')}")
    if not consumers:
        callers.append("C1")
        lines.append(f"  participant C1 as {_mermaid('any caller (no version or alias)')}")
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


#: Characters a Mermaid label may carry as they are; anything else becomes an entity code.
_MERMAID_PLAIN = frozenset(" _.,()/$+-→✖…")


def _mermaid(text: str) -> str:
    """A label safe for one Mermaid statement: no ``;``, ``#``, ``%``, ``:``, quotes or markup.

    Letters and digits stay; a few punctuation marks stay; every other character is written as
    a Mermaid entity code (``#59;``), which the diagram shows as the character itself.
    """
    flat = " ".join(text.split())
    return "".join(ch if ch.isalnum() or ch in _MERMAID_PLAIN else f"#{ord(ch)};" for ch in flat)


# --- escaping --------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#$])")


def _text(text: str) -> str:
    """Template text as inert Markdown on one line: HTML and Markdown syntax escaped.

    ``|`` is always escaped, so the result is safe in a table cell too; ``$`` is escaped so
    that two of them never open GitHub's math mode. ``@`` gets an invisible word joiner after
    it so that a name such as ``@team`` in a suppression reason never notifies anyone.
    """
    flat = " ".join(text.split())
    escaped = html.escape(flat, quote=False)
    # html.escape turned < and > into entities already; escape the remaining syntax.
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    return escaped.replace("@", "@\u2060")


def _code(text: str, *, table: bool = False) -> str:
    """Template text as an inline code span (paths, logical ids): nothing inside is markup."""
    flat = " ".join(text.split())
    if table:
        # GFM splits table cells at | even inside code spans; \| keeps it in the cell.
        flat = flat.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _sentence(text: str) -> str:
    """Escaped text as a sentence: capital first letter, final full stop."""
    escaped = _text(text[:1].upper() + text[1:])
    return escaped if escaped.endswith((".", "!", "?")) else escaped + "."


def _names(changes: Iterable[PropertyChange]) -> str:
    return ", ".join(dict.fromkeys(c.name for c in changes))


def _changes_by_name(changes: Sequence[PropertyChange]) -> str:
    """``code side `Architectures`, `Code` · config side `Layers```: names, never values."""
    parts = []
    for side, label in (
        (Side.CODE, "code side"),
        (Side.CONFIG, "config side"),
        (Side.TAGS, "tags"),
        (Side.FUNCTION_LEVEL, "function-level"),
    ):
        names = dict.fromkeys(c.name for c in changes if c.side is side)
        if names:
            parts.append(f"{label} " + ", ".join(_code(n) for n in names))
    return " · ".join(parts)


def _consumer_list(consumers: Sequence[Consumer], limit: int) -> str:
    items = [
        f"{_code(c.resource)} ({_text(c.label)}, {_text(c.form)})" for c in consumers[:limit]
    ]
    if len(consumers) > limit:
        items.append(f"and {len(consumers) - limit} more")
    return ", ".join(items)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# --- truncation ------------------------------------------------------------------------------

_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


def truncate(body: str, limit: int = GITHUB_BODY_LIMIT, pointer: str = DEFAULT_POINTER) -> str:
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
