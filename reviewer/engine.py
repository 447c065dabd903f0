"""The pipeline: templates of both sides in, a report out. Sources and reporters stay outside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from reviewer.config import Config
from reviewer.diff.function_changes import Status, function_changes
from reviewer.diff.stack_diff import StackDiff
from reviewer.findings import Finding, Severity
from reviewer.model.app import AppGraph
from reviewer.model.references import ReferenceGraph
from reviewer.model.template import FUNCTION, StackTemplate
from reviewer.rules.base import StackContext
from reviewer.rules.registry import RULES


@dataclass(frozen=True)
class StackSummary:
    name: str
    template: str
    baseline: str | None
    status: str  # "compared", "new" or "removed"
    functions: int
    changed_functions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    stacks: tuple[StackSummary, ...]
    baseline: str
    fail_on: str

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity and not f.suppressed)

    @property
    def suppressed(self) -> int:
        return sum(1 for f in self.findings if f.suppressed)

    @property
    def failing(self) -> bool:
        if self.fail_on == "never":
            return False
        threshold = Severity(self.fail_on).rank
        return any(f.severity.rank >= threshold for f in self.findings if not f.suppressed)

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0


def pair_stacks(
    new: Sequence[StackTemplate], old: Sequence[StackTemplate]
) -> list[tuple[StackTemplate, StackTemplate | None]]:
    """Match stacks by name; a single stack on each side is a pair whatever its name."""
    if len(new) == 1 and len(old) == 1:
        return [(new[0], old[0])]
    by_name = {stack.name: stack for stack in old}
    return [(stack, by_name.get(stack.name)) for stack in new]


def analyze(
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate] | None,
    config: Config,
    baseline_label: str,
) -> Report:
    """Run every enabled rule over every stack pair."""
    findings: list[Finding] = []
    stacks: list[StackSummary] = []
    rules = [rule() for rule in RULES if config.rule_enabled(rule.id)]
    new_app = AppGraph(new)
    old_app = AppGraph(old or [])
    for stack, baseline in pair_stacks(new, old or []):
        functions = len(stack.of_type(FUNCTION))
        if baseline is None:
            note = "no baseline: a new stack has nothing to race" if old is not None else (
                "no baseline given: pass --baseline to compare with what is deployed"
            )
            stacks.append(
                StackSummary(stack.name, str(stack.path), None, "new", functions, (), (note,))
            )
            continue
        context = _context(baseline, stack, old_app.graph(baseline.name), new_app.graph(stack.name))
        for rule in rules:
            findings.extend(_suppress(f, context, config) for f in rule.check(context))
        stacks.append(_summary(context, functions))
    if old:
        new_names = {s.name for s in new}
        paired = {b.name for _, b in pair_stacks(new, old) if b is not None}
        for stack in old:
            if stack.name not in new_names and stack.name not in paired:
                stacks.append(
                    StackSummary(stack.name, "", str(stack.path), "removed",
                                 len(stack.of_type(FUNCTION)))
                )
    findings.sort(key=lambda f: (f.stack, -f.severity.rank, f.resource, f.rule))
    return Report(tuple(findings), tuple(stacks), baseline_label, config.fail_on)


def _context(
    old: StackTemplate, new: StackTemplate, old_graph: ReferenceGraph, new_graph: ReferenceGraph
) -> StackContext:
    diff = StackDiff.compute(old, new)
    return StackContext(
        old=old,
        new=new,
        diff=diff,
        changes=function_changes(diff),
        old_graph=old_graph,
        new_graph=new_graph,
    )


def _summary(context: StackContext, functions: int) -> StackSummary:
    changed = tuple(
        name for name, c in context.changes.items()
        if c.status not in (Status.UNCHANGED,)
    )
    notes = []
    unknown = sorted({p for c in context.changes.values() for p in c.unknown_parameters})
    if unknown:
        notes.append(
            "values not known for parameter(s) "
            + ", ".join(unknown)
            + ": changes that arrive only through them cannot be seen"
        )
    return StackSummary(
        context.new.name, str(context.new.path), str(context.old.path), "compared",
        functions, changed, tuple(notes),
    )


def _suppress(finding: Finding, context: StackContext, config: Config) -> Finding:
    resource = context.new.resources.get(finding.resource)
    reasons = resource.suppressions() if resource is not None else {}
    if finding.rule in reasons:
        return replace(finding, suppressed=True, suppression_reason=reasons[finding.rule])
    if config.ignores(finding.stack, finding.resource):
        where = config.source or "configuration"
        return replace(
            finding, suppressed=True, suppression_reason=f"function ignored in {where}"
        )
    return finding
