"""The ``latest-guard/report@1`` JSON document: a versioned view, separate from the model.

The schema lives beside this module in ``schema/report-v1.json``. Fields are only ever added
within a version; renaming or removing one makes a new version.
"""

from __future__ import annotations

import json
from typing import Any

from reviewer import __version__
from reviewer.contract.enums import Severity, Side
from reviewer.contract.findings import Edit, Finding, Fix, PropertyChange
from reviewer.contract.report import Report, StackSummary

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
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "latest-guard", "version": __version__},
        "baseline": report.baseline,
        "findings": [_finding(f) for f in report.findings],
        "stacks": [_stack(s) for s in report.stacks],
        "summary": {
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "notices": report.count(Severity.NOTICE),
            "suppressed": report.suppressed,
            "fail_on": report.fail_on,
            "exit_code": report.exit_code,
        },
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
            }
            for c in finding.consumers
        ],
        "why": finding.why,
        "fix": None if finding.fix is None else _fix(finding.fix),
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
