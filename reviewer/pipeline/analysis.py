"""The analysis: templates of both sides in, a report out. Sources and reporters stay outside."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

from reviewer.config import Config
from reviewer.contract.findings import Consumer, Finding
from reviewer.diff.context import StackContext
from reviewer.diff.function_changes import FunctionChange, Status
from reviewer.diff.stack_diff import OUTPUTS, Handed, NestedOutputs
from reviewer.model.app import AppGraph
from reviewer.model.resolve import Resolver, deployed_view, undecided_parameters
from reviewer.model.template import FUNCTION, NESTED_STACK, StackTemplate
from reviewer.model.worlds import StackWorlds, World, conditions_read, stack_worlds
from reviewer.pipeline.collector import collector_paused, existing_objects_frozen
from reviewer.pipeline.handover import Judged, Verifier, handed_over, judged_in, verified

if TYPE_CHECKING:
    from reviewer.model.change_set import ChangeSetFacts
from reviewer.contract.enums import StackStatus
from reviewer.contract.report import Report, StackSummary
from reviewer.rules.base import ChangeRule, TemplateContext, TemplateRule
from reviewer.rules.registry import RULES, catalogue


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
    verify: Verifier | None = None,
) -> Report:
    """Run every enabled rule over every stack pair of the app.

    With ``change_set`` (read from CloudFormation for the deployed stack), what changes in each
    function is what the change set says, not what the template diff guesses. ``missing``
    names the new side's stacks whose baseline could not be found, each with the reason: an
    unpaired one is "baseline-missing", not "new". With ``verify``, a fix that edits the
    analysed template in one deployment is offered as a suggestion only when ``verify`` says
    it makes its finding go away (``Fix.verified``). Each finding leaves complete: its fix,
    its verification and its suppression are decided here (:mod:`.handover`).
    """
    # The loaded templates need not be walked by collections, and the analysis only builds
    # live objects (graphs, diffs, fix documents): collections during it would be in vain.
    with existing_objects_frozen(), collector_paused():
        held, stacks = _analyze(new, old, config, change_set, missing=missing or {})
    checked = verified([h.judged for h in held], new, verify if old is not None else None)
    findings = tuple(
        handed_over(h.judged, consumers=h.consumers, when=h.when, verified=h.judged.key in checked)
        for h in held
    )
    return Report(findings, tuple(stacks), baseline_label, config.fail_on, catalogue())


def _analyze(
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate] | None,
    config: Config,
    change_set: ChangeSetFacts | None,
    *,
    missing: Mapping[str, str],
) -> tuple[list[_Held], list[StackSummary]]:
    """Each stack judged once in each of its worlds (:mod:`reviewer.model.worlds`); a
    finding that holds in some of its stack's worlds only says in which. The findings in
    report order."""
    plans, open_on = _plan_worlds(new, old)
    rounds = max((len(plan.worlds) for plan in plans.values()), default=1)
    runs: list[_Run] = []
    for index in range(rounds):
        worlds = {key: plan.worlds[index % len(plan.worlds)] for key, plan in plans.items()}
        judged = {stack.name for stack in new if len(plans[id(stack)].worlds) > index}
        runs.append(
            _analyze_world(new, old, config, change_set, missing=missing, worlds=worlds,
                           judged=judged, open_on=open_on)
        )
    by_name = {stack.name: plans[id(stack)] for stack in new}
    read = {
        (stack.name, logical_id): conditions_read(raw)
        for stack in new
        if len(plans[id(stack)].worlds) > 1
        for logical_id, raw in _entries(stack.body.get("Resources")).items()
    }
    held, stacks = _merged(runs, by_name, read)
    held.sort(key=lambda h: (h.found.stack, -h.found.severity.rank, h.found.resource, h.found.rule))
    return held, stacks


@dataclass(frozen=True)
class _Run:
    """What one round of the analysis found, in one world per stack."""

    findings: list[Judged]
    stacks: list[StackSummary]


@dataclass(frozen=True)
class _Held:
    """A finding merged over the worlds: the most severe judgement of it, its callers in
    every world it holds in, and those worlds when not all (``when``)."""

    judged: Judged
    consumers: tuple[Consumer, ...]
    when: str | None

    @property
    def found(self) -> Finding:
        return self.judged.found


def _plan_worlds(
    new: Sequence[StackTemplate], old: Sequence[StackTemplate] | None
) -> tuple[dict[int, StackWorlds], dict[int, set[str]]]:
    """The worlds of each new-side stack, shared with its baseline, and the parameters left
    open on both sides of its pair (both by object id)."""
    plans: dict[int, StackWorlds] = {}
    open_on: dict[int, set[str]] = {}
    for stack, baseline in pair_stacks(new, old or []):
        symbolic = _symbolic(stack, baseline, new, old)
        plan = stack_worlds(stack, baseline, symbolic)
        for side in (stack, baseline):
            if side is not None:
                plans[id(side)], open_on[id(side)] = plan, symbolic
    return plans, open_on


def _symbolic(
    stack: StackTemplate,
    baseline: StackTemplate | None,
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate] | None,
) -> set[str]:
    """Parameters unknown on either side of a pair, or passed in by a parent stack (whose
    value this side does not settle)."""
    symbolic = undecided_parameters(baseline, stack) if baseline is not None else set()
    symbolic |= _passed_in(stack, new)
    if baseline is not None:
        symbolic |= _passed_in(baseline, old or [])
    return symbolic


def _quiet(
    stack: str,
    runs: Sequence[_Run],
    plan: StackWorlds | None,
    flagged: set[tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    """Why each changed function of ``stack`` has no finding in any world. When the reason
    differs between worlds (code only in some, configuration only in others), each is said
    with the worlds it holds in: no one deployment changes both sides."""
    reasons: dict[str, dict[str, list[int]]] = {}
    for index, run in enumerate(runs):
        for summary in run.stacks:
            if summary.name != stack:
                continue
            for name, why in summary.quiet:
                if (stack, name) not in flagged:
                    reasons.setdefault(name, {}).setdefault(why, []).append(index)
    out: list[tuple[str, str]] = []
    for name, by_reason in reasons.items():
        if len(by_reason) == 1 or plan is None:
            out.append((name, next(iter(by_reason))))
            continue
        parts = [f"{plan.describe(held) or 'otherwise'}, {why}" for why, held in by_reason.items()]
        out.append((name, "no one deployment changes both sides: " + "; ".join(parts)))
    return tuple(out)


def _entries(section: object) -> Mapping[str, object]:
    return {str(k): v for k, v in section.items()} if isinstance(section, Mapping) else {}


def _merged(
    runs: Sequence[_Run],
    plans: Mapping[str, StackWorlds],
    read: Mapping[tuple[str, str], set[str]],
) -> tuple[list[_Held], list[StackSummary]]:
    """One finding per rule and function, the most severe of its worlds, saying in which
    worlds it holds when not in all; one summary per stack, over all its worlds."""
    held: dict[tuple[str, str, str], list[int]] = {}
    chosen: dict[tuple[str, str, str], Judged] = {}
    consumers: dict[tuple[str, str, str], dict[str, Consumer]] = {}
    for index, run in enumerate(runs):
        for judgement in run.findings:
            finding, key = judgement.found, judgement.key
            held.setdefault(key, []).append(index)
            for consumer in finding.consumers:
                consumers.setdefault(key, {}).setdefault(consumer.resource, consumer)
            best = chosen.get(key)
            if best is None or finding.severity.rank > best.found.severity.rank:
                chosen[key] = judgement
    findings: list[_Held] = []
    for key, judgement in chosen.items():
        finding = judgement.found
        callers = finding.consumers
        if len(held[key]) > 1:  # a caller that exists in one world only is exposed there
            every = tuple(consumers.get(key, {}).values())
            if len(every) > len(callers):
                callers = every
        plan = plans.get(finding.stack)
        prefer = read.get((finding.stack, finding.resource), set())
        when = plan.describe(held[key], prefer) if plan is not None else None
        findings.append(_Held(judgement, callers, when))
    flagged = {(h.found.stack, h.found.resource) for h in findings}
    stacks: list[StackSummary] = []
    for summary in runs[0].stacks:
        versions = [s for run in runs for s in run.stacks if s.name == summary.name]
        changed = tuple(dict.fromkeys(n for s in versions for n in s.changed_functions))
        plan = plans.get(summary.name)
        quiet = _quiet(summary.name, runs, plan, flagged)
        note = plan.note() if plan is not None else None
        notes = [n for s in versions for n in s.notes]
        if note is not None:
            notes.append(note)
        stacks.append(
            replace(
                summary, changed_functions=changed, notes=tuple(dict.fromkeys(notes)),
                quiet=quiet,
            )
        )
    return findings, stacks


def _analyze_world(
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate] | None,
    config: Config,
    change_set: ChangeSetFacts | None,
    *,
    missing: Mapping[str, str],
    worlds: Mapping[int, World | None],
    judged: set[str],
    open_on: Mapping[int, set[str]],
) -> _Run:
    rules = [rule() for rule in RULES if config.rule_enabled(rule.id)]
    change_rules = [rule for rule in rules if isinstance(rule, ChangeRule)]
    template_rules = [rule for rule in rules if isinstance(rule, TemplateRule)]
    world_of = {stack.name: worlds.get(id(stack)) for stack in new}
    new, old = _deployed_views(new, old, worlds, open_on)
    new_app = AppGraph(new)
    resolvers = _Resolvers(new, world_of)
    old_app = AppGraph(old or [])
    pairs = pair_stacks(new, old or [])
    contexts = _compare(pairs, new, old_app, new_app, change_set, worlds=world_of)
    findings: list[tuple[Finding, StackTemplate]] = []
    stacks: list[StackSummary] = []
    for stack, _ in pairs:
        if stack.name not in judged:
            continue
        context = contexts.get(stack.name)
        alone = TemplateContext(stack, new_app, resolvers)
        findings.extend((f, stack) for rule in template_rules for f in rule.check(alone))
        if context is None:
            ran = tuple(rule.id for rule in template_rules)
            stacks.append(_new_stack(stack, old is not None, missing.get(stack.name), ran))
            continue
        found = [f for rule in change_rules for f in rule.check(context)]
        findings.extend((f, stack) for f in found)
        stacks.append(_summary(context, len(stack.of_type(FUNCTION)), found, change_rules))
    paired = {b.name for _, b in pairs if b is not None}
    stacks.extend(
        StackSummary(s.name, "", str(s.path), StackStatus.REMOVED, len(s.of_type(FUNCTION)))
        for s in old or []
        if s.name not in paired
    )
    return _Run(judged_in(findings, config, contexts), stacks)


def _deployed_views(
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate] | None,
    worlds: Mapping[int, World | None],
    open_on: Mapping[int, set[str]],
) -> tuple[list[StackTemplate], list[StackTemplate] | None]:
    """Each stack as it deploys in its world: resources, outputs and ``Fn::If`` branches
    whose condition is false are left out. A parameter unknown on either side of a pair, or
    passed in by a parent stack, is open on both sides, and both sides of a pair are judged
    in one world."""
    pairs = pair_stacks(new, old or [])
    views: dict[int, StackTemplate] = {}
    for stack, baseline in pairs:
        undecided = open_on[id(stack)]
        world = worlds.get(id(stack))
        if baseline is not None:
            views[id(baseline)] = deployed_view(baseline, Resolver(baseline, undecided, world))
        views[id(stack)] = deployed_view(stack, Resolver(stack, undecided, world))
    new_views = [views.get(id(s)) or deployed_view(s, _resolver(s, new)) for s in new]
    if old is None:
        return new_views, None
    return new_views, [views.get(id(s)) or deployed_view(s, _resolver(s, old)) for s in old]


def _resolver(stack: StackTemplate, side: Sequence[StackTemplate]) -> Resolver:
    return Resolver(stack, _passed_in(stack, side))


class _Resolvers:
    """The resolver of each stack of one side, with its own values: what a template rule
    judges is the template as it deploys, whatever the other side holds."""

    def __init__(
        self, side: Sequence[StackTemplate], worlds: Mapping[str, World | None]
    ) -> None:
        self._side = side
        self._worlds = worlds
        self._made: dict[int, Resolver] = {}

    def __call__(self, stack: StackTemplate) -> Resolver:
        made = self._made.get(id(stack))
        if made is None:
            world = self._worlds.get(stack.name)
            made = self._made[id(stack)] = Resolver(
                stack, _passed_in(stack, self._side), world
            )
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


def _compare(
    pairs: Sequence[tuple[StackTemplate, StackTemplate | None]],
    side: Sequence[StackTemplate],
    old_app: AppGraph,
    new_app: AppGraph,
    change_set: ChangeSetFacts | None,
    *,
    worlds: Mapping[str, World | None],
) -> dict[str, StackContext]:
    """Each stack that has a baseline, compared with it, by name, in its world.

    A stack reads values other stacks hand over: a nested stack the parameters its parent
    passes, a parent its nested stacks' outputs. Stacks are compared in :func:`_in_order`, and
    a parent asks its nested stacks' diffs for their outputs when it is asked what it passes,
    so a sibling's output reaches the stack it is passed to. A parent whose own resources read
    an output that turns out to change is compared again, and so is every stack whose inputs
    that changes, until none does.
    """
    contexts: dict[str, StackContext] = {}
    inputs: dict[str, tuple[dict[str, Handed], frozenset[tuple[str, str]]]] = {}
    ordered = [(stack, base) for stack, base in _in_order(pairs, side) if base is not None]
    for _ in range(len(ordered) + 1):
        settled = True
        for stack, baseline in ordered:
            outputs = _nested_outputs(contexts, stack, new_app)
            given = (_passed_parameter_changes(contexts, stack), _outputs_read(stack, outputs))
            if inputs.get(stack.name) == given:
                continue
            inputs[stack.name], settled = given, False
            built = StackContext.build(
                baseline,
                stack,
                old_graph=old_app.graph(baseline.name),
                new_graph=new_app.graph(stack.name),
                passed=given[0],
                outputs=outputs,
                world=worlds.get(stack.name),
                nested_read=old_app.nested_read(baseline.name) & new_app.nested_read(stack.name),
            )
            if change_set is not None and change_set.stack(stack.name) is not None:
                from reviewer.diff.change_set_changes import function_changes_from_change_set

                changes = function_changes_from_change_set(stack.name, change_set, built.changes)
                # The change set was computed with the values and macros as they deploy.
                built = replace(built, changes=changes, unknown={})
            contexts[stack.name] = built
        if settled:
            break
    return contexts


def _in_order(
    pairs: Sequence[tuple[StackTemplate, StackTemplate | None]], side: Sequence[StackTemplate]
) -> list[tuple[StackTemplate, StackTemplate | None]]:
    """The pairs in an order where a stack comes after the stacks whose values it reads: a
    nested stack after its parent, and after each sibling (with its own nested stacks) whose
    outputs the parent passes to it. CloudFormation refuses cycles; should the templates
    make one, parents still come before their nested stacks."""
    by_name = {stack.name: stack for stack in side}
    children: dict[str, list[str]] = {}
    by_id: dict[tuple[str, str], str] = {}
    for stack in side:
        if stack.parent is not None:
            children.setdefault(stack.parent[0], []).append(stack.name)
            by_id[stack.parent] = stack.name
    order: TopologicalSorter[str] = TopologicalSorter()
    for stack in side:
        order.add(stack.name)
        if stack.parent is None:
            continue
        order.add(stack.name, stack.parent[0])
        parent = by_name.get(stack.parent[0])
        resource = parent.resources.get(stack.parent[1]) if parent is not None else None
        for hit in resource.hits if resource is not None else ():
            sibling = by_id.get((stack.parent[0], hit.target))
            if sibling is not None and sibling != stack.name:
                order.add(stack.name, *_with_descendants(sibling, children))
    try:
        rank = {name: index for index, name in enumerate(order.static_order())}
    except CycleError:
        return sorted(pairs, key=lambda pair: _depth(pair[0], side))
    return sorted(pairs, key=lambda pair: rank.get(pair[0].name, 0))


def _with_descendants(name: str, children: Mapping[str, Sequence[str]]) -> list[str]:
    """``name`` and every stack nested in it, at any depth."""
    found: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop()
        if current not in found:
            found.append(current)
            pending.extend(children.get(current, ()))
    return found


def _nested_outputs(
    contexts: Mapping[str, StackContext], stack: StackTemplate, app: AppGraph
) -> NestedOutputs:
    """How ``stack`` learns whether an output of one of its nested stacks changes: from that
    nested stack's diff, looked up when asked (it may be compared later than ``stack``)."""

    def output(logical_id: str, name: str) -> Handed:
        child = app.child(stack.name, logical_id)
        if child is None:
            why = f"the output {name} of nested stack {logical_id}, whose template was not read"
            return Handed(None, why)
        context = contexts.get(child)
        if context is None:
            why = f"the output {name} of nested stack {logical_id}, which has no baseline"
            return Handed(None, why)
        return context.diff.output(name)

    return output


def _outputs_read(stack: StackTemplate, outputs: NestedOutputs) -> frozenset[tuple[str, str]]:
    """The outputs of nested stacks that change and that ``stack``'s own resources read (not
    the parameters it passes to nested stacks: those are asked for when they are passed)."""
    nested = {name for name, r in stack.resources.items() if r.type == NESTED_STACK}
    if not nested:
        return frozenset()
    return frozenset(
        (hit.target, hit.attribute)
        for resource in stack.resources.values()
        if resource.type != NESTED_STACK
        for hit in resource.hits
        if hit.target in nested
        and hit.attribute is not None
        and hit.attribute.startswith(OUTPUTS)
        and outputs(hit.target, hit.attribute.removeprefix(OUTPUTS)).changes
    )


def _depth(stack: StackTemplate, side: Sequence[StackTemplate]) -> int:
    """How deep a stack is nested: parents are analysed before their nested stacks."""
    by_name = {s.name: s for s in side}
    depth, current = 0, stack
    while current.parent is not None and current.parent[0] in by_name and depth < 10:
        depth, current = depth + 1, by_name[current.parent[0]]
    return depth


def _passed_parameter_changes(
    contexts: Mapping[str, StackContext], stack: StackTemplate
) -> dict[str, Handed]:
    """For a nested stack: each parameter its parent passes, and whether its value changes
    (not known when it reads a value the parent does not know)."""
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
    passed: dict[str, Handed] = {}
    for name in set(old_values) | set(new_values):
        handed = parent.diff.handed(old_values.get(name), new_values.get(name))
        if handed.changes is None:
            handed = Handed(None, f"{parent.new.name} passes it {handed.why}")
        passed[name] = handed
    return passed


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
    context: StackContext,
    functions: int,
    findings: Sequence[Finding],
    rules: Sequence[ChangeRule],
) -> StackSummary:
    """``findings``: those of the stack. A changed function that none of them names is quiet,
    with the reason the first rule that explains such silence gives (:meth:`ChangeRule.
    why_quiet`); when no rule that ran explains it, it is not said to be quiet: it was not
    looked at."""
    changed = tuple(
        name for name, c in context.changes.items()
        if c.status not in (Status.UNCHANGED,)
    )
    flagged = {f.resource for f in findings}
    quiet = tuple(
        (name, reason)
        for name in changed
        if name not in flagged
        and (reason := _why_quiet(rules, context, context.changes[name])) is not None
    )
    notes = list(dict.fromkeys((*context.old.notes, *context.new.notes)))
    unknown = sorted({p for c in context.changes.values() for p in c.unknown_parameters})
    passed = context.diff.passed_unknown
    notes.extend(
        f"value not known for parameter {name}: {passed[name]}; changes that arrive only "
        "through it cannot be seen"
        for name in unknown
        if name in passed
    )
    unknown = [name for name in unknown if name not in passed]
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


def _why_quiet(
    rules: Sequence[ChangeRule], context: StackContext, change: FunctionChange
) -> str | None:
    return next(
        (reason for rule in rules if (reason := rule.why_quiet(context, change)) is not None),
        None,
    )

