"""The macros latest-guard expands itself: a macro's name to its expander, imported only when
a template names it."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from reviewer.model.template import StackTemplate
from reviewer.sources.cloudformation.macros import Transform

Expander = Callable[[StackTemplate, Transform], StackTemplate]

#: Macro name (the ``Name`` of its ``AWS::CloudFormation::Macro``) -> ``module:function``.
EXPANDERS: dict[str, str] = {
    "DatadogServerless": "reviewer.sources.cloudformation.macros.datadog:expand",
}


def expander_for(name: str) -> Expander | None:
    """The expander of the macro ``name``; None when latest-guard does not expand it."""
    target = EXPANDERS.get(name)
    if target is None:
        return None
    module, _, function = target.partition(":")
    expander: Expander = getattr(import_module(module), function)
    return expander
