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
from reviewer.fixes.edit.source import read_file
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
    candidates = [(f, s) for f in report.findings if (s := _applicable(f, new))]
    for finding, stack in candidates[:MAX_VERIFIED]:
        if _fixes(finding, stack, new, old, config, report.baseline):
            verified.add(finding.fingerprint)
    if not verified:
        return report
    findings = tuple(
        replace(f, fix=replace(f.fix, verified=True))
        if f.fix is not None and f.fingerprint in verified else f
        for f in report.findings
    )
    return replace(report, findings=findings)


def _applicable(finding: Finding, new: Sequence[StackTemplate]) -> StackTemplate | None:
    """The stack whose template a single-deployment fix edits, when it edits that file."""
    fix = finding.fix
    if finding.suppressed or fix is None or fix.two_phase or fix.change is None:
        return None
    stack = next((s for s in new if s.name == finding.stack), None)
    return stack if stack is not None and _same_file(fix.change.path, stack.path) else None


def _fixes(  # noqa: PLR0917
    finding: Finding,
    stack: StackTemplate,
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate],
    config: Config,
    label: str,
) -> bool:
    """Whether the finding is gone once its change is applied to a copy of the template."""
    change = finding.fix.change if finding.fix is not None else None
    text = read_file(stack.path)
    if change is None or text is None:
        return False
    try:
        patched = apply_line_edits(text, list(change.edits))
    except EditConflict:
        return False
    with copies(stack.path) as (copy,):
        copy.write(patched)
        try:
            loaded = [s for s in copy.load(stack.name) if s.name == stack.name]
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


def _same_file(display: str, path: Path) -> bool:
    try:
        return Path(display).resolve() == path.resolve()
    except OSError:
        return False
