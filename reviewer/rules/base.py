"""What every rule gets to look at, and the shape of a rule.

A change rule is given a :class:`~reviewer.diff.context.StackContext` (built by the diff); a
template rule a :class:`TemplateContext`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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
from reviewer.diff.context import StackContext
from reviewer.diff.function_changes import FunctionChange
from reviewer.model.app import AppGraph
from reviewer.model.consumers import Role
from reviewer.model.references import Reference
from reviewer.model.resolve import Resolvers
from reviewer.model.template import StackTemplate


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

    def why_quiet(self, context: StackContext, change: FunctionChange) -> str | None:
        """Why this rule finds nothing about a function that changes, in a few words for the
        reports (the stack summary's quiet functions); None, the default, when the rule does
        not explain its silence. The pipeline asks every change rule that ran and names none."""
        return None


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
