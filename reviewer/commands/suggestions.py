"""Which fixes may be offered as a suggestion on the pull request's lines: those that fix.

A ```suggestion``` block is one click away from a commit. Offered for a fix that does not make
its finding go away (a two-phase fix, whose first half belongs to the deployed template; an
edit the analysis still objects to), it would read as the fix and leave the error in place.
So before anything is posted, each fix that edits the analysed template is applied to a copy
of it, the analysis runs again against the same baseline, and the fix is marked ``verified``
only when its finding is gone. A fix of a file that is not the analysed template (the
``serverless.yml`` behind a package, which only a new package would show) is not verified:
it is shown, not suggested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from reviewer.commands.fix_workspace import copies
from reviewer.config import Config
from reviewer.contract.findings import Finding
from reviewer.contract.report import Report
from reviewer.errors import InputError
from reviewer.fixes.edit.textedit import EditConflict, apply_line_edits
from reviewer.model.template import StackTemplate
from reviewer.pipeline.analysis import analyze

#: At most this many fixes are verified in one run (each costs one analysis).
MAX_VERIFIED = 30


def verify_suggestions(
    report: Report,
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate] | None,
    config: Config,
) -> Report:
    """``report`` with ``Fix.verified`` set on each fix whose change, applied alone to this
    side's template, makes its finding go away."""
    if old is None:
        return report
    verified: set[str] = set()
    candidates = [f for f in report.findings if _applicable(f, new)][:MAX_VERIFIED]
    for finding in candidates:
        if _fixes(finding, new, old, config, report.baseline):
            verified.add(finding.fingerprint)
    if not verified:
        return report
    findings = tuple(
        replace(f, fix=replace(f.fix, verified=True))
        if f.fix is not None and f.fingerprint in verified else f
        for f in report.findings
    )
    return replace(report, findings=findings)


def _applicable(finding: Finding, new: Sequence[StackTemplate]) -> bool:
    fix = finding.fix
    if finding.suppressed or fix is None or fix.two_phase or fix.change is None:
        return False
    stack = _stack(new, finding.stack)
    return stack is not None and _same_file(fix.change.path, stack.path)


def _fixes(
    finding: Finding,
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate],
    config: Config,
    label: str,
) -> bool:
    """Whether the finding is gone once its change is applied to a copy of the template."""
    stack = _stack(new, finding.stack)
    if stack is None or finding.fix is None or finding.fix.change is None:
        return False
    try:
        text = stack.path.read_text(encoding="utf-8")
        patched = apply_line_edits(text, list(finding.fix.change.edits))
    except (OSError, UnicodeDecodeError, EditConflict):
        return False
    with copies(stack.path) as (copy,):
        copy.write(patched)
        try:
            loaded = [s for s in copy.load() if s.name == stack.name]
        except InputError:
            return False
        if len(loaded) != 1:
            return False
        fixed = replace(
            loaded[0], parameter_values=stack.parameter_values, notes=stack.notes,
            parent=stack.parent,
        )
        side = [fixed if s is stack else s for s in new]
        again = analyze(side, old, config, label)
    return not any(
        (f.rule, f.stack, f.resource) == (finding.rule, finding.stack, finding.resource)
        and not f.suppressed
        for f in again.findings
    )


def _stack(stacks: Sequence[StackTemplate], name: str) -> StackTemplate | None:
    return next((s for s in stacks if s.name == name), None)


def _same_file(display: str, path: Path) -> bool:
    try:
        return Path(display).resolve() == path.resolve()
    except OSError:
        return False
