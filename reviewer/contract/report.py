"""The report of one check: every finding, and what became of each stack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewer.contract.enums import (
    ConsumerView,
    FailOn,
    FixNeed,
    RuleScope,
    Severity,
    StackStatus,
)
from reviewer.contract.findings import Finding


@dataclass(frozen=True)
class RuleInfo:
    """What a report says of a rule: its identity, its documentation, and the traits its
    findings carry (how their consumers are labelled, what their fix needs)."""

    id: str
    name: str
    summary: str
    severity: Severity
    doc: str
    view: ConsumerView = ConsumerView.TRAFFIC
    needs: FixNeed | None = None
    scope: RuleScope = RuleScope.CHANGE


@dataclass(frozen=True)
class StackSummary:
    name: str
    template: str
    baseline: str | None
    status: StackStatus
    functions: int
    changed_functions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: Changed functions that have no finding, each with why (code only, configuration
    #: only, published through an alias, created or replaced, a custom-resource provider).
    quiet: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    stacks: tuple[StackSummary, ...]
    baseline: str
    fail_on: FailOn
    #: Every rule latest-guard has (enabled or not), as the SARIF rule descriptors list them.
    rules: tuple[RuleInfo, ...] = ()
    #: The folder the report's relative paths are named from (``contract.paths``); None: the
    #: current directory. Not part of the JSON report.
    paths_from: Path | None = field(default=None, compare=False)

    def with_rules(self, rules: Sequence[RuleInfo]) -> Report:
        """This report with the rules' catalogue, and each finding with its rule's traits (a
        report read back from JSON carries rule ids only)."""
        by_id = {rule.id: rule for rule in rules}
        findings = tuple(
            replace(f, view=by_id[f.rule].view, needs=by_id[f.rule].needs)
            if f.rule in by_id else f
            for f in self.findings
        )
        return replace(self, findings=findings, rules=tuple(rules))

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity and not f.suppressed)

    @property
    def suppressed(self) -> int:
        return sum(1 for f in self.findings if f.suppressed)

    @property
    def failing(self) -> bool:
        return any(self.fail_on.fails(f.severity) for f in self.findings if not f.suppressed)

    @property
    def missing_baselines(self) -> list[str]:
        """The stacks that could not be compared because their baseline is missing."""
        return [s.name for s in self.stacks if s.status is StackStatus.BASELINE_MISSING]

    @property
    def nothing_compared(self) -> bool:
        """Whether no stack was compared because every baseline there was to read is missing
        (a base commit that cannot be read at all): no race can be seen, only the template
        rules judged. Said as a warning, never a silent green."""
        return bool(self.missing_baselines) and not any(
            s.status is StackStatus.COMPARED for s in self.stacks
        )

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0
