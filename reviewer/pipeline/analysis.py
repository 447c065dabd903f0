"""The analysis: templates of both sides in, a report out. Sources and reporters stay outside."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reviewer.config import Config
from reviewer.contract.findings import Finding
from reviewer.diff.function_changes import Status
from reviewer.fixes import attach_fixes
from reviewer.model.app import AppGraph
from reviewer.model.resolve import Resolver, deployed_view, undecided_parameters
from reviewer.model.template import FUNCTION, StackTemplate
from reviewer.pipeline.collector import collector_paused, existing_objects_frozen

if TYPE_CHECKING:
    from reviewer.sources.aws.change_set import ChangeSetFacts
from reviewer.contract.enums import StackStatus
from reviewer.contract.report import Report, StackSummary
from reviewer.rules.base import ChangeRule, StackContext, TemplateContext, TemplateRule
from reviewer.rules.latest_race import LatestRace, why_quiet
from reviewer.rules.registry import RULES, catalogue
from reviewer.rules.together import read_together


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
    change_set: ChangeSetFacts | None = None,
    *,
    missing: Mapping[str, str] | None = None,
) -> Report:
    """Run every enabled rule over every stack pair of the app.

    With ``change_set`` (read from CloudFormation for the deployed stack), what changes in each
    function is what the change set says, not what the template diff guesses. ``missing``
    names the new side's stacks whose baseline could not be found, each with the reason: an
    unpaired one is "baseline-missing", not "new".
    """
    # The loaded templates need not be walked by collections, and the analysis only builds
    # live objects (graphs, diffs, fix documents): collections during it would be in vain.
    with existing_objects_frozen(), collector_paused():
        return _analyze(new, old, config, baseline_label, change_set, missing=missing or {})


def _analyze(
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate] | None,
    config: Config,
    baseline_label: str,
    change_set: ChangeSetFacts | None,
    *,
    missing: Mapping[str, str],
) -> Report:
    rules = [rule() for rule in RULES if config.rule_enabled(rule.id)]
    change_rules = [rule for rule in rules if isinstance(rule, ChangeRule)]
    template_rules = [rule for rule in rules if isinstance(rule, TemplateRule)]
    races_checked = any(isinstance(rule, LatestRace) for rule in rules)
    new, old = _deployed_views(new, old)
    new_app = AppGraph(new)
    resolvers = _Resolvers(new)
    old_app = AppGraph(old or [])
    pairs = pair_stacks(new, old or [])
    contexts: dict[str, StackContext] = {}
    for stack, baseline in sorted(pairs, key=lambda pair: _depth(pair[0], new)):
        if baseline is None:
            continue
        built = StackContext.build(
            baseline,
            stack,
            old_graph=old_app.graph(baseline.name),
            new_graph=new_app.graph(stack.name),
            passed=_passed_parameter_changes(contexts, stack),
            nested_read=old_app.nested_read(baseline.name) & new_app.nested_read(stack.name),
        )
        if change_set is not None and change_set.stack(stack.name) is not None:
            from reviewer.diff.change_set_changes import function_changes_from_change_set

            changes = function_changes_from_change_set(stack.name, change_set, built.changes)
            # The change set was computed with the values and macros as they deploy.
            built = replace(built, changes=changes, unknown={})
        contexts[stack.name] = built
    findings: list[Finding] = []
    stacks: list[StackSummary] = []
    for stack, _ in pairs:
        context = contexts.get(stack.name)
        alone = TemplateContext(stack, new_app, resolvers)
        judged = [f for rule in template_rules for f in rule.check(alone)]
        findings.extend(_suppress(f, stack, config) for f in judged)
        if context is None:
            ran = tuple(rule.id for rule in template_rules)
            stacks.append(_new_stack(stack, old is not None, missing.get(stack.name), ran))
            continue
        found = [
            _suppress(f, stack, config) for rule in change_rules for f in rule.check(context)
        ]
        findings.extend(found)
        explained = found if races_checked else None
        stacks.append(_summary(context, len(stack.of_type(FUNCTION)), explained))
    paired = {b.name for _, b in pairs if b is not None}
    stacks.extend(
        StackSummary(s.name, "", str(s.path), StackStatus.REMOVED, len(s.of_type(FUNCTION)))
        for s in old or []
        if s.name not in paired
    )
    findings = read_together(attach_fixes(findings, contexts))
    findings.sort(key=lambda f: (f.stack, -f.severity.rank, f.resource, f.rule))
    return Report(tuple(findings), tuple(stacks), baseline_label, config.fail_on, catalogue())


def _deployed_views(
    new: Sequence[StackTemplate], old: Sequence[StackTemplate] | None
) -> tuple[list[StackTemplate], list[StackTemplate] | None]:
    """Each stack as it deploys: resources, outputs and ``Fn::If`` branches whose condition is
    false are left out. A parameter unknown on either side of a pair, or passed in by a parent
    stack (whose value this side does not settle), leaves the conditions that read it
    undecided on both, so that both sides keep the same resources."""
    pairs = pair_stacks(new, old or [])
    views: dict[int, StackTemplate] = {}
    for stack, baseline in pairs:
        undecided = undecided_parameters(baseline, stack) if baseline is not None else set()
        undecided |= _passed_in(stack, new)
        if baseline is not None:
            undecided |= _passed_in(baseline, old or [])
            views[id(baseline)] = deployed_view(baseline, Resolver(baseline, undecided))
        views[id(stack)] = deployed_view(stack, Resolver(stack, undecided))
    new_views = [views.get(id(s)) or deployed_view(s, _resolver(s, new)) for s in new]
    if old is None:
        return new_views, None
    return new_views, [views.get(id(s)) or deployed_view(s, _resolver(s, old)) for s in old]


def _resolver(stack: StackTemplate, side: Sequence[StackTemplate]) -> Resolver:
    return Resolver(stack, _passed_in(stack, side))


class _Resolvers:
    """The resolver of each stack of one side, with its own values: what a template rule
    judges is the template as it deploys, whatever the other side holds."""

    def __init__(self, side: Sequence[StackTemplate]) -> None:
        self._side = side
        self._made: dict[int, Resolver] = {}

    def __call__(self, stack: StackTemplate) -> Resolver:
        made = self._made.get(id(stack))
        if made is None:
            made = self._made[id(stack)] = _resolver(stack, self._side)
        return made


def _passed_in(stack: StackTemplate, side: Sequence[StackTemplate]) -> set[str]:
    """The parameters a nested stack's parent passes to it (their values are the parent's
    to give, not the child's defaults)."""
    if stack.parent is None:
        return set()
    parents = [s for s in side if s.name == stack.parent[0]]
    resource = parents[0].resources.get(stack.parent[1]) if parents else None
    if resource is None:
        return set(stack.parameters)  # the parent is not at hand: none of them is known
    passed = resource.properties.get("Parameters")
    return {str(name) for name in passed} if isinstance(passed, Mapping) else set()


def _depth(stack: StackTemplate, side: Sequence[StackTemplate]) -> int:
    """How deep a stack is nested: parents are analysed before their nested stacks."""
    by_name = {s.name: s for s in side}
    depth, current = 0, stack
    while current.parent is not None and current.parent[0] in by_name and depth < 10:
        depth, current = depth + 1, by_name[current.parent[0]]
    return depth


def _passed_parameter_changes(
    contexts: Mapping[str, StackContext], stack: StackTemplate
) -> dict[str, bool]:
    """For a nested stack: each parameter its parent passes, and whether its value changes."""
    if stack.parent is None or stack.parent[0] not in contexts:
        return {}
    parent = contexts[stack.parent[0]]
    logical_id = stack.parent[1]
    before = parent.old.resources.get(logical_id)
    after = parent.new.resources.get(logical_id)
    if before is None or after is None:
        return {}
    old_values = _mapping(before.properties.get("Parameters"))
    new_values = _mapping(after.properties.get("Parameters"))
    return {
        name: parent.diff.value_changes(old_values.get(name), new_values.get(name))
        for name in set(old_values) | set(new_values)
    }


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _new_stack(
    stack: StackTemplate, had_baseline: bool, missing: str | None, ran: Sequence[str]
) -> StackSummary:
    """A stack without a baseline; ``ran``: the rules that judged its template alone."""
    functions = len(stack.of_type(FUNCTION))
    if missing is not None:
        return StackSummary(
            stack.name, str(stack.path), None, StackStatus.BASELINE_MISSING, functions, (),
            (*stack.notes, missing),
        )
    judged = ""
    if ran:
        which = " and ".join(ran)
        judged = f" (only {which} ran: {'it judges' if len(ran) == 1 else 'they judge'} "
        judged += "the template alone)"
    note = (
        f"no baseline: a new stack has nothing to race{judged}"
        if had_baseline
        else f"no baseline given: pass --baseline to compare with what is deployed{judged}"
    )
    notes = (*stack.notes, note)
    return StackSummary(stack.name, str(stack.path), None, StackStatus.NEW, functions, (), notes)


def _summary(
    context: StackContext, functions: int, findings: Sequence[Finding] | None
) -> StackSummary:
    """``findings``: those of the stack, when the race rule ran (else no function is said to
    be quiet: it was not looked at)."""
    changed = tuple(
        name for name, c in context.changes.items()
        if c.status not in (Status.UNCHANGED,)
    )
    quiet: tuple[tuple[str, str], ...] = ()
    if findings is not None:
        flagged = {f.resource for f in findings}
        quiet = tuple(
            (name, why_quiet(context, context.changes[name]))
            for name in changed
            if name not in flagged
        )
    notes = list(dict.fromkeys((*context.old.notes, *context.new.notes)))
    unknown = sorted({p for c in context.changes.values() for p in c.unknown_parameters})
    if unknown:
        notes.append(
            "values not known for parameter(s) "
            + ", ".join(unknown)
            + ": changes that arrive only through them cannot be seen"
        )
    return StackSummary(
        context.new.name, str(context.new.path), str(context.old.path), StackStatus.COMPARED,
        functions, changed, tuple(notes), quiet,
    )


def _suppress(finding: Finding, stack: StackTemplate, config: Config) -> Finding:
    resource = stack.resources.get(finding.resource)
    reasons = resource.suppressions() if resource is not None else {}
    if finding.rule in reasons:
        return replace(
            finding,
            suppressed=True,
            suppression_reason=reasons[finding.rule],
            suppression_source="metadata",
        )
    if config.ignores(finding.stack, finding.resource):
        where = config.source or "configuration"
        return replace(
            finding,
            suppressed=True,
            suppression_reason=f"function ignored in {where}",
            suppression_source="config",
        )
    return finding
