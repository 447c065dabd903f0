"""SARIF 2.1.0 for GitHub code scanning: one run, one rule descriptor per registered rule.

This reporter owns its severity mapping (``notice`` becomes SARIF ``note``). A result points
at the file and line where the function is written, as a URI relative to the repository
root, so that code scanning can place it; the line is left out when it is not known.
Suppressed findings stay in the log with a ``suppressions`` entry, which code scanning shows
as dismissed instead of dropping them silently. Like every output, it names properties and
never their values.

A result's message carries names from the template. Its ``text`` is SARIF plain text on one
line, with ``[``, ``]`` and ``\\`` escaped so that no name reads as an embedded link; its
``markdown``, which viewers that render Markdown (GitHub's code scanning) show instead, is
escaped as Markdown text (``reviewer.report.escape``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reviewer import __version__
from reviewer.contract.enums import Severity
from reviewer.contract.findings import Finding
from reviewer.contract.paths import inside
from reviewer.contract.report import Report, RuleInfo
from reviewer.report.escape import markdown_inline, plain_text

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/latest-guard/latest-guard"
#: Key of our fingerprint in ``partialFingerprints``; bump the suffix if its recipe changes.
FINGERPRINT_KEY = "latestGuard/v1"
#: Base id code scanning resolves relative URIs against: the repository checkout.
SOURCE_ROOT = "%SRCROOT%"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}
_TAGS = ("aws-lambda", "cloudformation", "deployment", "reliability")
#: The pipeline's reason for a finding suppressed through the configuration file's
#: ``ignore-functions``; any other reason came from the resource's own Metadata.


def render(report: Report, *, root: Path | None = None) -> str:
    """The SARIF log as JSON text; ``root`` is the repository root (found from .git if None)."""
    return json.dumps(document(report, root=root), indent=2, ensure_ascii=False) + "\n"


def document(report: Report, *, root: Path | None = None) -> dict[str, Any]:
    index = {rule.id: n for n, rule in enumerate(report.rules)}
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "latest-guard",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in report.rules],
                    }
                },
                "results": [
                    _result(f, index, root, report.paths_from) for f in report.findings
                ],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _rule(rule: RuleInfo) -> dict[str, Any]:
    doc = rule.doc
    title = doc.splitlines()[0] if doc else rule.summary
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _plain(_section(doc, "What it does") or title)},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": [*_TAGS, rule.name]},
    }


def _result(
    finding: Finding, index: dict[str, int], root: Path | None, origin: Path | None
) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.rule}
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    result["level"] = LEVELS[finding.severity]
    message = _message(finding)
    result["message"] = {
        "text": plain_text.sarif(message),
        "markdown": markdown_inline.text(message),
    }
    result["locations"] = [_location(finding, root, origin)]
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.suppressed:
        result["suppressions"] = [_suppression(finding)]
    result["properties"] = {
        "stack": finding.stack,
        "function": finding.resource,
        "changedProperties": sorted({c.name for c in finding.changes}),
        "consumers": [c.resource for c in finding.consumers],
    }
    return result


def _message(finding: Finding) -> str:
    """The finding in one paragraph: what, then the fix (code scanning shows text only)."""
    text = finding.message.rstrip(".") + "."
    if finding.fix is not None:
        phase = " (two deployments)" if finding.fix.two_phase else ""
        text += f" Fix{phase}: {finding.fix.summary.rstrip('.')}."
    return text


def _location(finding: Finding, root: Path | None, origin: Path | None) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [
            {
                "name": finding.resource,
                "fullyQualifiedName": f"{finding.stack}/{finding.resource}",
                "kind": "resource",
            }
        ]
    }
    if finding.location.path:
        artifact = artifact_location(finding.location.path, root, origin=origin)
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if finding.location.line is not None and finding.location.line >= 1:
            physical["region"] = {"startLine": finding.location.line}
        location["physicalLocation"] = physical
    return location


def artifact_location(
    path: str, root: Path | None = None, *, origin: Path | None = None
) -> dict[str, str]:
    """A SARIF artifactLocation for a file path, relative to the repository root if possible.

    The root is ``root``, else the nearest folder above the file that holds ``.git``. A path
    under it becomes a relative URI with forward slashes and ``uriBaseId`` %SRCROOT%; a
    relative path outside it stays relative (normalised); an absolute one outside every
    repository becomes a ``file:`` URI, which is valid SARIF but that code scanning cannot
    place in the repository. A relative path is read from ``origin`` (the folder the report
    names files from), else from the current directory.
    """
    given = Path(path)
    absolute = (given if given.is_absolute() else (origin or Path.cwd()) / given).resolve()
    base = root.resolve() if root is not None else repository_root(absolute)
    relative = inside(str(absolute), base) if base is not None else None
    if relative is not None:
        return {"uri": _relative_uri(relative), "uriBaseId": SOURCE_ROOT}
    if not given.is_absolute():
        return {"uri": _relative_uri(Path(os.path.normpath(given)).as_posix())}
    return {"uri": absolute.as_uri()}


def repository_root(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` that holds ``.git`` (a folder or, in a
    worktree, a file)."""
    for folder in (path, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _relative_uri(posix_path: str) -> str:
    """Percent-encode a relative path so that it is a valid URI reference (spaces, ``:``...)."""
    return quote(posix_path, safe="/-._~")


def _suppression(finding: Finding) -> dict[str, str]:
    reason = finding.suppression_reason or "suppressed"
    kind = "external" if finding.suppression_source == "config" else "inSource"
    return {"kind": kind, "status": "accepted", "justification": plain_text.text(reason)}


def _section(doc: str, heading: str) -> str:
    """The text under ``## heading`` in a rule docstring, up to the next heading."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    return match.group(1).strip() if match else ""


def _plain(markdown: str) -> str:
    """A Markdown paragraph as plain text on one line: code ticks and emphasis dropped."""
    return " ".join(markdown.replace("`", "").replace("*", "").split())
