"""The ``latest-guard/report@1`` JSON document, written and read: a versioned view, separate
from the model.

The schema lives beside this module in ``schema/report-v1.json``. Fields are only ever added
within a version; renaming or removing one makes a new version.

Reading (``read_report``) is the publish half of the analyze/publish pair. In the
two-workflow setup the ``pull_request`` workflow (which may run a fork's code with a
read-only token) writes the JSON report and uploads it as an artifact; the ``workflow_run``
workflow downloads it and publishes it with a token that can write. The document therefore
comes from code the repository does not control, and is read as untrusted input:

- every field is checked for its type and the schema's constraints; anything else is an
  ``InputError`` naming the field, and nothing is published;
- the rebuilt findings are rendered by the same escaping reporters as locally made ones, so a
  crafted name cannot inject Markdown, HTML or mentions;
- a path is only ever used to look up a file of the pull request or, when it is relative
  and stays inside the repository (``repository_path``), to address an annotation.

The fingerprint is recomputed from the rebuilt finding; a document whose stored fingerprint
differs is refused, because the markers of earlier runs would no longer match.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from reviewer import __version__
from reviewer.contract.enums import (
    ChangeHow,
    Confidence,
    FailOn,
    Framework,
    Severity,
    Side,
    StackStatus,
)
from reviewer.contract.findings import (
    Consumer,
    Edit,
    FileChange,
    Finding,
    Fix,
    Location,
    PropertyChange,
    PullLink,
    Snippet,
)
from reviewer.contract.report import Report, StackSummary
from reviewer.errors import InputError

SCHEMA_ID = "latest-guard/report@1"

_SIDE_KEYS = {
    Side.CODE: "code",
    Side.CONFIG: "config",
    Side.TAGS: "tags",
    Side.FUNCTION_LEVEL: "function_level",
}


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"


def document(report: Report) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "errors": report.count(Severity.ERROR),
        "warnings": report.count(Severity.WARNING),
        "notices": report.count(Severity.NOTICE),
        "suppressed": report.suppressed,
        "fail_on": report.fail_on,
        "exit_code": report.exit_code,
    }
    if report.missing_baselines:
        summary["baseline_missing"] = {
            "stacks": report.missing_baselines,
            "nothing_compared": report.nothing_compared,
        }
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "latest-guard", "version": __version__},
        "baseline": report.baseline,
        "findings": [_finding(f) for f in report.findings],
        "stacks": [_stack(s) for s in report.stacks],
        "summary": summary,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    changes: dict[str, list[dict[str, Any]]] = {key: [] for key in _SIDE_KEYS.values()}
    for change in finding.changes:
        key = _SIDE_KEYS.get(change.side)
        if key is not None:
            changes[key].append(_change(change))
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.value,
        "stack": finding.stack,
        "resource": finding.resource,
        "message": finding.message,
        "location": {
            "path": finding.location.path,
            "line": finding.location.line,
            "confidence": finding.location.confidence,
            "symbol": finding.location.symbol,
        },
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "suppression_reason": finding.suppression_reason,
        "changes": changes,
        "consumers": [
            {
                "resource": c.resource,
                "type": c.type,
                "kind": c.label,
                "property": c.property,
                "reference": c.form,
                "invokes": c.invokes,
            }
            for c in finding.consumers
        ],
        "why": finding.why,
        "fix": None if finding.fix is None else _fix(finding.fix),
        "when": finding.when,
    }


def _fix(fix: Fix) -> dict[str, Any]:
    """The fix in words, and as a change to apply: line edits, a patch, a snippet, and for a
    two-phase fix the phase-one change to the baseline."""
    return {
        "summary": fix.summary,
        "two_phase": fix.two_phase,
        "steps": list(fix.steps),
        "framework": fix.framework,
        "edits": [_edit(e) for e in fix.change.edits] if fix.change else [],
        "patch": fix.change.patch if fix.change else None,
        "snippet": fix.snippet.text if fix.snippet else None,
        "snippet_language": fix.snippet.language if fix.snippet else None,
        "phase_one_path": fix.phase_one.path if fix.phase_one else None,
        "phase_one_edits": [_edit(e) for e in fix.phase_one.edits] if fix.phase_one else [],
        "phase_one_patch": fix.phase_one.patch if fix.phase_one else None,
        "notes": list(fix.notes),
        "verified": fix.verified,
        "phase_one_pull": (
            None if fix.phase_one_pull is None
            else {"number": fix.phase_one_pull.number, "url": fix.phase_one_pull.url}
        ),
    }


def _edit(edit: Edit) -> dict[str, Any]:
    return {
        "path": edit.path,
        "start_line": edit.start_line,
        "end_line": edit.end_line,
        "replacement": edit.replacement,
    }


def _change(change: PropertyChange) -> dict[str, Any]:
    return {
        "property": change.name,
        "how": change.how,
        "detail": change.detail,
        "cause": change.cause,
    }


def _stack(stack: StackSummary) -> dict[str, Any]:
    return {
        "name": stack.name,
        "template": stack.template,
        "baseline": stack.baseline,
        "status": stack.status,
        "functions": stack.functions,
        "changed_functions": list(stack.changed_functions),
        "notes": list(stack.notes),
        "quiet_functions": [
            {"function": function, "reason": reason} for function, reason in stack.quiet
        ],
    }


# -- reading ---------------------------------------------------------------------------------

_SIDES = {"code": Side.CODE, "config": Side.CONFIG, "tags": Side.TAGS,
          "function_level": Side.FUNCTION_LEVEL}
_RULE = re.compile(r"LG[0-9]{3}")
_NAME = re.compile(r"[a-z0-9-]+")
E = TypeVar("E", bound=StrEnum)
#: A report larger than this is not a report latest-guard wrote.
MAX_BYTES = 50 * 1024 * 1024


class _Reader:
    """Typed access to one JSON object, with errors that name the field."""

    def __init__(self, source: str, where: str, value: Any) -> None:
        if not isinstance(value, dict):
            raise InputError(source, f"{where} must be an object")
        self.source, self.where, self.value = source, where, value

    def _get(self, key: str) -> Any:
        if key not in self.value:
            raise InputError(self.source, f"{self.where}.{key} is missing")
        return self.value[key]

    def _fail(self, key: str, what: str) -> InputError:
        return InputError(self.source, f"{self.where}.{key} must be {what}")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self.value.get(key)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string or null")
        return value

    def integer(self, key: str, minimum: int = 0) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self._fail(key, f"an integer of at least {minimum}")
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def member(self, key: str, kind: type[E]) -> E:
        """The member of the enum ``kind`` that the field spells."""
        value = self._get(key)
        if not isinstance(value, str) or value not in {m.value for m in kind}:
            raise self._fail(key, "one of " + ", ".join(m.value for m in kind))
        return kind(value)

    def optional_member(self, key: str, kind: type[E]) -> E | None:
        return None if self.value.get(key) is None else self.member(key, kind)

    def matching(self, key: str, pattern: re.Pattern[str]) -> str:
        value = self.text(key)
        if not pattern.fullmatch(value):
            raise self._fail(key, f"of the form {pattern.pattern}")
        return value

    def items(self, key: str) -> list[Any]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._fail(key, "a list")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        values = self.items(key)
        if not all(isinstance(v, str) for v in values):
            raise self._fail(key, "a list of strings")
        return tuple(values)

    def child(self, key: str) -> _Reader:
        return _Reader(self.source, f"{self.where}.{key}", self._get(key))

    def element(self, key: str, index: int, value: Any) -> _Reader:
        return _Reader(self.source, f"{self.where}.{key}[{index}]", value)


def read_report(path: Path) -> Report:
    """The report in the JSON file at ``path``; InputError when it is not a report@1."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(path, f"is {size:,} bytes: too large for a latest-guard report")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such file: did the analyze step upload its report?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"is not JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise InputError(path, "is nested too deeply to be a latest-guard report") from None
    return report_from_document(document, str(path))


def report_from_document(document: Any, source: str = "report") -> Report:
    """A ``Report`` from a parsed report@1 document (see the module doc for the checks)."""
    top = _Reader(source, "report", document)
    if document.get("schema") != SCHEMA_ID:
        raise InputError(source, f"is not a {SCHEMA_ID} document")
    summary = top.child("summary")
    fail_on = summary.member("fail_on", FailOn)
    findings = tuple(
        _read_finding(top.element("findings", n, item))
        for n, item in enumerate(top.items("findings"))
    )
    stacks = tuple(
        _read_stack(top.element("stacks", n, item)) for n, item in enumerate(top.items("stacks"))
    )
    return Report(findings, stacks, top.text("baseline"), fail_on)


def _read_finding(item: _Reader) -> Finding:
    location = item.child("location")
    path = location.text("path")
    _read_check_path(item.source, f"{location.where}.path", path)
    line = location.value.get("line")
    if line is not None:
        line = location.integer("line", 1)
    changes: list[PropertyChange] = []
    sides = item.child("changes")
    for key, side in _SIDES.items():
        for n, raw in enumerate(sides.items(key)):
            change = sides.element(key, n, raw)
            changes.append(
                PropertyChange(
                    change.text("property"), side, change.member("how", ChangeHow),
                    change.optional_text("detail"), change.optional_text("cause"),
                )
            )
    consumers = []
    for n, raw in enumerate(item.items("consumers")):
        consumer = item.element("consumers", n, raw)
        consumers.append(
            Consumer(
                consumer.text("resource"), consumer.text("type"), consumer.text("kind"),
                consumer.text("property"), consumer.text("reference"),
                invokes=consumer.flag("invokes") if "invokes" in consumer.value else True,
            )
        )
    finding = Finding(
        rule=item.matching("rule", _RULE),
        name=item.matching("name", _NAME),
        severity=item.member("severity", Severity),
        stack=item.text("stack"),
        resource=item.text("resource"),
        message=item.text("message"),
        location=Location(
            path, line, location.optional_member("confidence", Confidence),
            location.optional_text("symbol"),
        ),
        changes=tuple(changes),
        consumers=tuple(consumers),
        why=item.text("why"),
        fix=_read_fix(item),
        suppressed=item.flag("suppressed"),
        suppression_reason=item.optional_text("suppression_reason"),
        when=item.optional_text("when"),
    )
    if item.text("fingerprint") != finding.fingerprint:
        raise InputError(
            item.source, f"{item.where}.fingerprint does not match the finding it belongs to"
        )
    return finding


def _read_fix(item: _Reader) -> Fix | None:
    """The fix; the fields after ``steps`` are optional (documents written before they were
    added to report@1 have none)."""
    if item.value.get("fix") is None:
        return None
    fix = item.child("fix")
    edits, patch = _read_edits(fix, "edits"), fix.optional_text("patch")
    first_edits = _read_edits(fix, "phase_one_edits")
    first_patch = fix.optional_text("phase_one_patch")
    first_path = fix.optional_text("phase_one_path")
    snippet, language = fix.optional_text("snippet"), fix.optional_text("snippet_language")
    return Fix(
        fix.text("summary"),
        fix.flag("two_phase"),
        fix.texts("steps"),
        framework=fix.optional_member("framework", Framework),
        change=FileChange(edits[0].path, edits, patch) if edits else None,
        snippet=Snippet(snippet, language or "") if snippet is not None else None,
        phase_one=(
            FileChange(first_path or "", first_edits, first_patch)
            if first_path or first_edits or first_patch else None
        ),
        notes=fix.texts("notes") if "notes" in fix.value else (),
        verified=fix.flag("verified") if "verified" in fix.value else False,
        phase_one_pull=_read_pull(fix),
    )


def _read_pull(fix: _Reader) -> PullLink | None:
    if fix.value.get("phase_one_pull") is None:
        return None
    pull = fix.child("phase_one_pull")
    return PullLink(pull.integer("number", minimum=1), pull.text("url"))


def _read_edits(fix: _Reader, key: str) -> tuple[Edit, ...]:
    if key not in fix.value:
        return ()
    edits = []
    for n, raw in enumerate(fix.items(key)):
        edit = fix.element(key, n, raw)
        path = edit.text("path")
        _read_check_path(edit.source, f"{edit.where}.path", path)
        start = edit.integer("start_line", 1)
        end = edit.integer("end_line", start)
        edits.append(Edit(path, start, end, edit.text("replacement")))
    return tuple(edits)


def _read_stack(item: _Reader) -> StackSummary:
    return StackSummary(
        name=item.text("name"),
        template=item.text("template"),
        baseline=item.optional_text("baseline"),
        status=item.member("status", StackStatus),
        functions=item.integer("functions"),
        changed_functions=item.texts("changed_functions"),
        notes=item.texts("notes"),
        quiet=_read_quiet(item),
    )


def _read_quiet(item: _Reader) -> tuple[tuple[str, str], ...]:
    """``quiet_functions``, absent from reports written before it existed."""
    if "quiet_functions" not in item.value:
        return ()
    out = []
    for n, raw in enumerate(item.items("quiet_functions")):
        entry = item.element("quiet_functions", n, raw)
        out.append((entry.text("function"), entry.text("reason")))
    return tuple(out)


def _read_check_path(source: str, where: str, path: str) -> None:
    if any(ord(ch) < 32 for ch in path):
        raise InputError(source, f"{where} must not hold control characters")
