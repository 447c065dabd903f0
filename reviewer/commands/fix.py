"""``latest-guard fix``: apply the fixes to a SAM or plain template file, and to its baseline.

With a baseline, the analysis runs, the fix of one function is applied (to the template, and
its phase-one change to the baseline), and the analysis runs again on the result, until no
finding has a fix left to apply: fixes of several functions never have to be merged by line
number. The work happens on copies next to the user's files
(:mod:`reviewer.commands.fix_workspace`), so that what a template names relative to itself
(SAM's ``CodeUri: src/``) stays reachable;
the user's files change only through :func:`write`. With ``--baseline-ref`` the baseline is
the template as it is at a git revision, in a temporary work tree.

Without a baseline there is no change to judge: every function that a resource of the
template invokes unqualified, or through an alias on ``$LATEST``, gets the alias wiring, as
the phase-one change does (existing versions kept). That is how to prepare a deployed
template whose baseline file latest-guard could not edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewer.commands.fix_workspace import copies, copy_nested
from reviewer.config import Config
from reviewer.contract.enums import Framework
from reviewer.contract.findings import Edit, Finding
from reviewer.errors import InputError
from reviewer.fixes.builders.sam import SamOptions, wire_sam
from reviewer.fixes.builders.wired import Wired
from reviewer.fixes.builders.wiring import wire
from reviewer.fixes.edit.document import DocumentError
from reviewer.fixes.edit.hidden import hidden_lines_of
from reviewer.fixes.edit.operations import OperationError
from reviewer.fixes.edit.source import display_path, read_file, source_document
from reviewer.fixes.edit.textedit import (
    UNIDIFF_ZERO,
    EditConflict,
    Patch,
    apply_line_edits,
    text_diff,
)
from reviewer.model.consumers import Role
from reviewer.model.references import ReferenceGraph
from reviewer.model.template import StackTemplate
from reviewer.pipeline.analysis import analyze
from reviewer.sources.git.revision import BaseRevision

__all__ = ["MAX_ROUNDS", "Outcome", "copy_nested", "fix_files", "write"]

MAX_ROUNDS = 25


@dataclass
class Outcome:
    """The fixed texts of the template and of the baseline (its phase-one change)."""

    template: Path
    before: str
    after: str
    baseline: Path | None = None
    baseline_before: str | None = None
    baseline_after: str | None = None
    fixed: list[str] = field(default_factory=list)  # "LG001 stack/Function"
    remaining: list[Finding] = field(default_factory=list)
    two_phase: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def patch(self) -> str | None:
        found = self.diff
        return found.text if found else None

    @property
    def phase_one_patch(self) -> str | None:
        found = self.phase_one_diff
        return found.text if found else None

    @property
    def diff(self) -> Patch | None:
        """The template's patch: context lines from the file, none that shows a secret value."""
        return _diff(self.template, self.before, self.after)

    @property
    def phase_one_diff(self) -> Patch | None:
        if self.baseline is None or self.baseline_before is None or self.baseline_after is None:
            return None
        return _diff(self.baseline, self.baseline_before, self.baseline_after)

    def patch_notes(self) -> list[str]:
        """How to apply a patch that plain ``git apply`` does not take (see :class:`Patch`)."""
        return [p.note for p in (self.diff, self.phase_one_diff) if p is not None and p.note]


def _diff(path: Path, before: str, after: str) -> Patch | None:
    shown = display_path(path)
    return text_diff(shown, before, after, hidden_lines_of(shown, before))


def fix_files(
    template: Path,
    baseline: Path | None,
    config: Config | None = None,
    *,
    baseline_ref: str | None = None,
) -> Outcome:
    """The fixes of every finding on ``template`` against ``baseline`` (or the wiring alone).

    ``baseline_ref``: the baseline is ``template`` as it is at that git revision (in a
    temporary work tree, so that its local code is there too); its phase-one change is then
    the template's path at that revision.
    """
    from reviewer.sources.cloudformation.not_code import configured_not_code

    config = config or Config()
    with configured_not_code(config):
        return _fix_files(template, baseline, config, baseline_ref)


def _fix_files(
    template: Path, baseline: Path | None, config: Config, baseline_ref: str | None
) -> Outcome:
    text = _read(template)
    if baseline_ref is not None:
        with BaseRevision(baseline_ref, template) as revision:
            (deployed,) = revision.paths([template])
            if not deployed.is_file():
                raise InputError(template, f"does not exist at {baseline_ref}")
            outcome = _fix_against(template, text, deployed, config, baseline_ref)
        outcome.baseline = template
        return outcome
    if baseline is None:
        return _wire_all(template, text, config)
    return _fix_against(template, text, baseline, config, str(baseline))


def _fix_against(
    template: Path, text: str, baseline: Path, config: Config, described: str
) -> Outcome:
    base_text = _read(baseline)
    outcome = Outcome(template, text, text, baseline, base_text, base_text)
    with copies(template, baseline) as (new_copy, old_copy):
        tried: set[tuple[str, str]] = set()
        # A rule's fix is applied to a function once: a finding it leaves (a caller in a file
        # the fix does not edit, such as an included OpenAPI body) stays, named in its notes,
        # rather than being fixed again and again.
        applied: set[tuple[str, str, str]] = set()
        for _ in range(MAX_ROUNDS):
            new_copy.write(outcome.after)
            old_copy.write(outcome.baseline_after or "")
            report = analyze(new_copy.load(), old_copy.load(), config, described)
            open_findings = [f for f in report.findings if not f.suppressed]
            pending = [
                f for f in open_findings
                if (f.stack, f.resource) not in tried and f.fix is not None
                and (f.stack, f.resource, f.rule) not in applied
                and (f.fix.change is not None or f.fix.phase_one is not None)
            ]
            if not pending:
                outcome.remaining = open_findings
                break
            chosen = pending[0]
            tried.add((chosen.stack, chosen.resource))
            key = (chosen.stack, chosen.resource)
            group = [f for f in open_findings if (f.stack, f.resource) == key]
            if chosen.fix is None:  # pragma: no cover - filtered above
                continue
            change, first = chosen.fix.change, chosen.fix.phase_one
            after = _apply(outcome.after, change.edits if change else (), new_copy.path)
            base_after = _apply(
                outcome.baseline_after or "", first.edits if first else (), old_copy.path
            )
            if after == outcome.after and base_after == outcome.baseline_after:
                continue
            outcome.after, outcome.baseline_after = after, base_after
            outcome.two_phase = outcome.two_phase or chosen.fix.two_phase
            outcome.fixed.extend(f"{f.rule} {f.stack}/{f.resource}" for f in group)
            applied.update((f.stack, f.resource, f.rule) for f in group)
            outcome.notes.extend(
                n for n in chosen.fix.notes
                if n not in outcome.notes and UNIDIFF_ZERO not in n  # about a copy's patch
            )
            tried.discard((chosen.stack, chosen.resource))
    outcome.notes.extend(outcome.patch_notes())
    return outcome


def _apply(text: str, edits: tuple[Edit, ...], copy: Path) -> str:
    mine = [e for e in edits if e.path == display_path(copy)]
    return apply_line_edits(text, mine) if mine else text


def _read(path: Path) -> str:
    if not path.exists():
        raise InputError(path, "no such file")
    if not path.is_file():
        raise InputError(path, "latest-guard fix edits a template file (SAM or plain "
                               "CloudFormation); for CDK and Serverless, `check` prints the fix")
    text = read_file(path)
    if text is None:
        raise InputError(path, "cannot be read as UTF-8 text")
    return text


# -- without a baseline: the wiring of every exposed function ------------------------------------


def _wire_all(template: Path, text: str, config: Config) -> Outcome:
    """Every exposed function wired through an alias; what the template rules still find in
    the result (a layer built for the other architecture) is left for the user, named."""
    outcome = Outcome(template, text, text)
    with copies(template) as (copy,):
        loaded: list[StackTemplate] = []
        loaded_text: str | None = None  # what ``loaded`` was read from
        for _ in range(MAX_ROUNDS):
            copy.write(outcome.after)
            loaded, loaded_text = copy.load(), outcome.after
            stacks = [s for s in loaded if s.path == copy.path]
            if not stacks:
                break
            stack = stacks[0]
            changed = False
            for function in _exposed_functions(stack):
                wired = _wire_one(stack, function)
                if wired is not None and wired.edits.result() != outcome.after:
                    outcome.after = wired.edits.result()
                    outcome.fixed.append(f"wiring {stack.name}/{function}")
                    outcome.notes.extend(n for n in wired.notes if n not in outcome.notes)
                    changed = True
                    break
            if not changed:
                break
        if loaded_text != outcome.after:  # the rounds ran out on a change
            copy.write(outcome.after)
            loaded = copy.load()
        report = analyze(loaded, None, config, "none")
        outcome.remaining = [f for f in report.findings if not f.suppressed]
    outcome.notes.extend(outcome.patch_notes())
    return outcome


def _exposed_functions(stack: StackTemplate) -> list[str]:
    graph = ReferenceGraph(stack)
    exposed: list[str] = []
    for function, wiring in graph.functions.items():
        unqualified = [r for r in wiring.with_role(Role.INVOKE) if not r.qualified]
        on_latest = any(a.on_latest for a in wiring.aliases.values())
        if unqualified or on_latest:
            exposed.append(function)
    return exposed


def _wire_one(stack: StackTemplate, function: str) -> Wired | None:
    document = source_document(stack)
    wiring = ReferenceGraph(stack).functions[function]
    if document is None:
        return None
    try:
        if stack.framework is Framework.SAM:
            wired = wire_sam(document, stack, wiring, SamOptions(False, False))
        else:
            wired = wire(document, stack, wiring, publish=False, fresh=set())
    except (OperationError, EditConflict, DocumentError):
        return None
    return wired if wired.changed else None


def write(path: Path, text: str) -> None:
    """Write a fixed file back, keeping nothing else about it to chance."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot be written: {exc.strerror}") from None

