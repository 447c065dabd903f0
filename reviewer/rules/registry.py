"""The rules latest-guard runs, in report order. Add a rule here to enable it."""

from __future__ import annotations

from reviewer.contract.report import RuleInfo
from reviewer.rules.alias_on_latest import AliasOnLatest
from reviewer.rules.base import Rule
from reviewer.rules.latest_race import LatestRace
from reviewer.rules.layer_architecture import LayerArchitecture
from reviewer.rules.protection_removed import ProtectionRemoved
from reviewer.rules.stale_version import StaleVersion

RULES: tuple[type[Rule], ...] = (
    LatestRace,
    StaleVersion,
    AliasOnLatest,
    LayerArchitecture,
    ProtectionRemoved,
)

RULES_BY_ID: dict[str, type[Rule]] = {rule.id: rule for rule in RULES}


def catalogue() -> tuple[RuleInfo, ...]:
    """Every rule as the report describes it."""
    return tuple(
        RuleInfo(rule.id, rule.name, rule.summary, rule.default_severity, rule.doc(),
                 rule.view, rule.needs, rule.scope)
        for rule in RULES
    )
