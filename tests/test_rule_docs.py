"""Every rule documents itself in the ruff style, and the registry is explicit."""

from __future__ import annotations

import pkgutil

import pytest

import reviewer.rules
from reviewer.rules.base import Rule
from reviewer.rules.registry import RULES

HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "Use instead")


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_doc_has_every_heading_in_order(rule: type[Rule]) -> None:
    doc = rule.doc()
    positions = [doc.find(h) for h in HEADINGS]
    assert all(p >= 0 for p in positions), (rule.id, positions)
    assert positions == sorted(positions)


def test_ids_and_names_are_unique() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


def test_every_rule_module_is_registered() -> None:
    modules = {
        m.name for m in pkgutil.iter_modules(reviewer.rules.__path__)
        if m.name not in ("base", "registry", "together")
    }
    registered = {r.__module__.rsplit(".", 1)[1] for r in RULES}
    assert modules == registered


def test_every_rule_is_a_change_rule_or_a_template_rule() -> None:
    """The pipeline runs each kind on its own context: a rule of neither kind would never run."""
    from reviewer.contract.enums import RuleScope
    from reviewer.rules.base import ChangeRule, TemplateRule

    for rule in RULES:
        assert issubclass(rule, ChangeRule) != issubclass(rule, TemplateRule), rule.id
        assert (rule.scope is RuleScope.TEMPLATE) == issubclass(rule, TemplateRule), rule.id
