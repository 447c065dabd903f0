"""The rules latest-guard runs, in report order. Add a rule here to enable it."""

from __future__ import annotations

from reviewer.contract.enums import ConsumerView, FixNeed
from reviewer.rules.alias_on_latest import AliasOnLatest
from reviewer.rules.base import Rule
from reviewer.rules.latest_race import LatestRace
from reviewer.rules.protection_removed import ProtectionRemoved
from reviewer.rules.stale_version import StaleVersion

RULES: tuple[type[Rule], ...] = (LatestRace, StaleVersion, AliasOnLatest, ProtectionRemoved)

RULES_BY_ID: dict[str, type[Rule]] = {rule.id: rule for rule in RULES}


def traits_of(rule_id: str) -> tuple[ConsumerView, FixNeed | None]:
    """How a rule's findings label their consumers, and what their fix needs (a finding read
    back from a JSON report carries its rule's id only)."""
    rule = RULES_BY_ID.get(rule_id)
    if rule is None:
        return ConsumerView.TRAFFIC, None
    return rule.view, rule.needs
