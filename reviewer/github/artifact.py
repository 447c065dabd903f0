"""Read a ``latest-guard/report@1`` document back into a ``Report``: the publish half of the
analyze/publish pair.

In the two-workflow setup the ``pull_request`` workflow (which may run a fork's code with a
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
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

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
    Snippet,
)
from reviewer.contract.report import Report, StackSummary
from reviewer.errors import InputError
from reviewer.report.json_v1 import SCHEMA_ID
from reviewer.rules.registry import traits_of

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
        if value not in {m.value for m in kind}:
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
    return report_from_document(document, str(path))


def report_from_document(document: Any, source: str = "report") -> Report:
    """A ``Report`` from a parsed report@1 document (see the module doc for the checks)."""
    top = _Reader(source, "report", document)
    if document.get("schema") != SCHEMA_ID:
        raise InputError(source, f"is not a {SCHEMA_ID} document")
    summary = top.child("summary")
    fail_on = summary.member("fail_on", FailOn)
    findings = tuple(
        _finding(top.element("findings", n, item)) for n, item in enumerate(top.items("findings"))
    )
    stacks = tuple(
        _stack(top.element("stacks", n, item)) for n, item in enumerate(top.items("stacks"))
    )
    return Report(findings, stacks, top.text("baseline"), fail_on)


def _finding(item: _Reader) -> Finding:
    location = item.child("location")
    path = location.text("path")
    _check_path(item.source, f"{location.where}.path", path)
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
            )
        )
    rule = item.matching("rule", _RULE)
    view, needs = traits_of(rule)
    finding = Finding(
        rule=rule,
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
        fix=_fix(item),
        view=view,
        needs=needs,
        suppressed=item.flag("suppressed"),
        suppression_reason=item.optional_text("suppression_reason"),
    )
    if item.text("fingerprint") != finding.fingerprint:
        raise InputError(
            item.source, f"{item.where}.fingerprint does not match the finding it belongs to"
        )
    return finding


def _fix(item: _Reader) -> Fix | None:
    """The fix; the fields after ``steps`` are optional (documents written before they were
    added to report@1 have none)."""
    if item.value.get("fix") is None:
        return None
    fix = item.child("fix")
    edits, patch = _edits(fix, "edits"), fix.optional_text("patch")
    first_edits, first_patch = _edits(fix, "phase_one_edits"), fix.optional_text("phase_one_patch")
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
    )


def _edits(fix: _Reader, key: str) -> tuple[Edit, ...]:
    if key not in fix.value:
        return ()
    edits = []
    for n, raw in enumerate(fix.items(key)):
        edit = fix.element(key, n, raw)
        path = edit.text("path")
        _check_path(edit.source, f"{edit.where}.path", path)
        start = edit.integer("start_line", 1)
        end = edit.integer("end_line", start)
        edits.append(Edit(path, start, end, edit.text("replacement")))
    return tuple(edits)


def _stack(item: _Reader) -> StackSummary:
    return StackSummary(
        name=item.text("name"),
        template=item.text("template"),
        baseline=item.optional_text("baseline"),
        status=item.member("status", StackStatus),
        functions=item.integer("functions"),
        changed_functions=item.texts("changed_functions"),
        notes=item.texts("notes"),
        quiet=_quiet(item),
    )


def _quiet(item: _Reader) -> tuple[tuple[str, str], ...]:
    """``quiet_functions``, absent from reports written before it existed."""
    if "quiet_functions" not in item.value:
        return ()
    out = []
    for n, raw in enumerate(item.items("quiet_functions")):
        entry = item.element("quiet_functions", n, raw)
        out.append((entry.text("function"), entry.text("reason")))
    return tuple(out)


def _check_path(source: str, where: str, path: str) -> None:
    if any(ord(ch) < 32 for ch in path):
        raise InputError(source, f"{where} must not hold control characters")


def repository_path(path: str) -> bool:
    """True for a path relative to the repository that stays inside it (``a/b.yaml``)."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path


def relative_report(report: Report, root: Path) -> Report:
    """The report with every finding's path made relative to ``root`` (the repository), with
    forward slashes: the form pull-request comments, annotations and the artifact need.

    A path outside ``root`` is left as it is; such a finding cannot be placed on a file of
    the pull request and goes into the review body.
    """
    from dataclasses import replace

    base = root.resolve()

    def relative(path: str) -> str:
        if not path:
            return path
        absolute = Path(path) if Path(path).is_absolute() else Path.cwd() / path
        try:
            return absolute.resolve().relative_to(base).as_posix()
        except ValueError:
            return path

    findings = []
    for finding in report.findings:
        fix = finding.fix
        if fix is not None and fix.change is not None:
            edits = tuple(replace(e, path=relative(e.path)) for e in fix.change.edits)
            change = replace(fix.change, path=relative(fix.change.path), edits=edits)
            fix = replace(fix, change=change)
        location = replace(finding.location, path=relative(finding.location.path))
        findings.append(replace(finding, location=location, fix=fix))
    return replace(report, findings=tuple(findings))
