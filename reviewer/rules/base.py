"""What every rule gets to look at, and the shape of a rule."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from reviewer.contract.enums import ConsumerView, FixNeed, RuleScope, Severity
from reviewer.contract.findings import (
    Consumer,
    Finding,
    Fix,
    Location,
    MissingLocation,
    PropertyChange,
)
from reviewer.contract.wording import joined
from reviewer.diff.function_changes import FunctionChange, Status, function_changes
from reviewer.diff.stack_diff import Handed, NestedOutputs, StackDiff
from reviewer.diff.unknown_values import UnknownValue, macro_unknowns, unknown_values
from reviewer.model.app import AppGraph
from reviewer.model.consumers import Role
from reviewer.model.references import Reference, ReferenceGraph
from reviewer.model.resolve import Resolvers
from reviewer.model.template import StackTemplate
from reviewer.model.worlds import World


@dataclass
class StackContext:
    """One stack compared with its baseline: the two templates, their diff and graphs."""

    old: StackTemplate
    new: StackTemplate
    diff: StackDiff
    changes: dict[str, FunctionChange]
    old_graph: ReferenceGraph
    new_graph: ReferenceGraph
    #: Per updated function, its values that cannot be known here (:mod:`.unknown_values`).
    unknown: dict[str, tuple[UnknownValue, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        old: StackTemplate,
        new: StackTemplate,
        *,
        old_graph: ReferenceGraph,
        new_graph: ReferenceGraph,
        passed: Mapping[str, Handed] | None = None,
        outputs: NestedOutputs | None = None,
        world: World | None = None,
        nested_read: frozenset[str] = frozenset(),
    ) -> StackContext:
        """Diff the two sides; ``passed`` says which parameters a parent stack changes,
        ``outputs`` which outputs of the nested stacks change, ``world`` which deployment
        of the template is judged, ``nested_read`` which of its nested stacks are read on
        both sides."""
        diff = StackDiff.compute(old, new, passed or {}, outputs, world)
        changes = function_changes(diff)
        macros = macro_unknowns((*old.unexpanded_macros, *new.unexpanded_macros))
        unknown = {
            name: found
            for name, change in changes.items()
            if change.status is Status.UPDATED
            and (found := (*unknown_values(diff, name, nested_read), *macros))
        }
        return cls(old, new, diff, changes, old_graph, new_graph, unknown)

    def updated_functions(self) -> Iterator[FunctionChange]:
        for change in self.changes.values():
            if change.status is Status.UPDATED:
                yield change


@dataclass
class TemplateContext:
    """One stack of the new side, judged alone: the template as it deploys (conditions
    decided), the app it belongs to (for values handed over between stacks) and each
    stack's values."""

    stack: StackTemplate
    app: AppGraph
    resolvers: Resolvers


class Rule:
    """A rule's identity and traits. Rules subclass :class:`ChangeRule` or
    :class:`TemplateRule` and document themselves in their docstring.

    Besides its identity, a rule says how reporters label the consumers of its findings
    (``view``) and what a fix builder must do for them (``needs``): fixes and reporters act on
    those, never on rule ids. ``scope`` says what it looks at.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    default_severity: ClassVar[Severity]
    scope: ClassVar[RuleScope]
    view: ClassVar[ConsumerView] = ConsumerView.TRAFFIC
    needs: ClassVar[FixNeed | None] = None

    def finding(
        self,
        *,
        stack: str,
        resource: str,
        message: str,
        location: Location,
        severity: Severity | None = None,
        changes: tuple[PropertyChange, ...] = (),
        consumers: tuple[Consumer, ...] = (),
        why: str = "",
        fix: Fix | None = None,
    ) -> Finding:
        """A finding of this rule: its id, name, default severity and traits filled in.

        The one way a rule makes a finding. It refuses one without a file and a line
        (:class:`MissingLocation`): ``StackTemplate.locate`` gives the nearest line known.
        """
        if not location.path or location.line is None:
            raise MissingLocation(self.id, resource, location)
        return Finding(
            rule=self.id,
            name=self.name,
            severity=severity or self.default_severity,
            stack=stack,
            resource=resource,
            message=message,
            location=location,
            changes=changes,
            consumers=consumers,
            why=why,
            fix=fix,
            view=self.view,
            needs=self.needs,
        )

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")


class ChangeRule(Rule):
    """A rule about a change: it compares a stack's baseline with its new template, so it runs
    only where there is a baseline."""

    scope: ClassVar[RuleScope] = RuleScope.CHANGE

    def check(self, context: StackContext) -> Iterator[Finding]:
        raise NotImplementedError


class TemplateRule(Rule):
    """A rule about one template: it judges each stack of the new side as it deploys, with or
    without a baseline, new stacks included."""

    scope: ClassVar[RuleScope] = RuleScope.TEMPLATE

    def check(self, context: TemplateContext) -> Iterator[Finding]:
        raise NotImplementedError


def consumers_of(references: list[Reference]) -> tuple[Consumer, ...]:
    """Consumers for a finding, one per resource and property, in template order."""
    seen: set[tuple[str, str]] = set()
    out: list[Consumer] = []
    for ref in references:
        key = (ref.source, ref.property_name)
        if key in seen:
            continue
        seen.add(key)
        out.append(Consumer(
            ref.source, ref.source_type, ref.consumer, ref.property_name, ref.form,
            invokes=ref.role is Role.INVOKE,
        ))
    return tuple(out)


def names(changes: Sequence[object]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return joined(getattr(c, "name", str(c)) for c in changes)
