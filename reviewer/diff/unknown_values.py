"""Values of a function that cannot be known here, and where each comes from.

A property compared as written can still change when it deploys, if its value comes from
somewhere this tool does not see. LG001 must not call such a function safe ("nothing to race
with"): a code change beside a configuration value that is not known may race, and is said
so (a notice). What is not known, per property of the function:

- a **parameter without a known value** (no override, no deployed value, no default on one of
  the two sides: :attr:`StackDiff.unknown_parameters`), or one of type
  ``AWS::SSM::Parameter::Value<...>`` (its value is read from SSM when the stack deploys);
- the **output of a nested stack that was not read** (``Fn::GetAtt Child.Outputs.X`` where the
  child's template is not part of the app on both sides, a remote ``TemplateURL``);
- a **layer version of the stack whose local content could not be read** (its ``ContentUri``
  exists on neither side: both carry the same placeholder, which says nothing of a change);
- an **``Fn::Transform``** inside the value: ``AWS::Include`` of a snippet (not read), or a
  macro (not expanded).

A macro of the template's ``Transform`` section that was not expanded
(``StackTemplate.unexpanded_macros``) may change the configuration of any function of the
stack: :func:`macro_unknowns`.

``Fn::ImportValue`` of an export is not counted: while a stack imports an export, CloudFormation
refuses to change or remove it, so an import written alike on both sides has the same value on
both; one whose name changes reads as a change, and one whose name comes from a parameter
without a value is counted through that parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reviewer.contract.enums import Side
from reviewer.diff.properties import side_of
from reviewer.diff.stack_diff import OUTPUTS, StackDiff
from reviewer.model.intrinsics import find_hits
from reviewer.model.resolve import SSM_TYPE, Resolver
from reviewer.model.template import NESTED_STACK, StackTemplate

INCLUDE = "AWS::Include"
_LAYER = "AWS::Lambda::LayerVersion"
#: ``Fn::Transform`` written at the level of the properties themselves.
_WHOLE = "Fn::Transform"


@dataclass(frozen=True)
class UnknownValue:
    """One property of a function whose deployed value cannot be known, and why."""

    name: str  # the property; empty for any configuration (a macro of the template)
    side: Side
    source: str  # "parameter CommonLayers", "nested stack Shared's output LayerArn", ...
    state: str  # "not known", "not read", "not expanded"

    @property
    def phrase(self) -> str:
        """``Layers comes from parameter CommonLayers, not known``; for a macro of the
        template: ``configuration may change through macro X, not expanded``."""
        if not self.name:
            return f"configuration may change through {self.source}, {self.state}"
        return f"{self.name} comes from {self.source}, {self.state}"

    @property
    def short(self) -> str:
        """``Layers from parameter CommonLayers, not known``; ``through macro X, not
        expanded``."""
        if not self.name:
            return f"through {self.source}, {self.state}"
        return f"{self.name} from {self.source}, {self.state}"


def macro_unknowns(macros: Iterable[str]) -> tuple[UnknownValue, ...]:
    """What a macro of the ``Transform`` section that was not expanded leaves unknown: any
    configuration of any function of the stack."""
    return tuple(
        UnknownValue("", Side.CONFIG, f"macro {name}", "not expanded")
        for name in dict.fromkeys(macros)
    )


def unknown_values(
    diff: StackDiff, function: str, nested_read: frozenset[str] = frozenset()
) -> tuple[UnknownValue, ...]:
    """The values of ``function`` (present on both sides) that cannot be known, one per
    property and source, in property order. ``nested_read``: the nested stacks of this stack
    whose templates are read on both sides."""
    before = diff.old.resources.get(function)
    after = diff.new.resources.get(function)
    if before is None or after is None:
        return ()
    found: dict[tuple[str, str], UnknownValue] = {}
    sides = (
        (diff.old, diff.old_values, before.properties),
        (diff.new, diff.new_values, after.properties),
    )
    for name in sorted(set(before.properties) | set(after.properties)):
        side = Side.CONFIG if name == _WHOLE else side_of(name)
        if side is Side.REPLACEMENT:
            continue
        label = "its properties" if name == _WHOLE else name
        for stack, values, properties in sides:
            value = properties.get(name)
            if value is None:
                continue
            if name == _WHOLE:
                value = {_WHOLE: value}
            for source, state in _sources(diff, stack, values, value, nested_read):
                found.setdefault((label, source), UnknownValue(label, side, source, state))
    return tuple(found.values())


def _sources(
    diff: StackDiff,
    stack: StackTemplate,
    values: Resolver,
    value: Any,
    nested_read: frozenset[str],
) -> Iterator[tuple[str, str]]:
    for name in sorted(values.unknown_names(values.value(value))):
        if name in diff.unknown_parameters:
            yield f"parameter {name}", "not known"
        elif str(stack.parameters.get(name, {}).get("Type", "")).startswith(SSM_TYPE):
            yield f"SSM parameter {name}", "read when the stack deploys"
    for target in _unread_layers(stack, value):
        yield f"layer {target}", "whose content could not be read (see the note)"
    for target, output in _nested_outputs(value):
        resource = stack.resources.get(target)
        if resource is not None and resource.type == NESTED_STACK and target not in nested_read:
            yield f"nested stack {target}'s output {output}", "not read"
    for macro in _transforms(value):
        if macro == INCLUDE:
            yield INCLUDE, "not read"
        else:
            yield f"macro {macro}", "not expanded"


def _unread_layers(stack: StackTemplate, value: Any) -> Iterator[str]:
    """Layer versions of the stack that ``value`` refers to and whose local content could not
    be read: the same placeholder on both sides says nothing of whether they change."""
    for hit in find_hits(value):
        resource = stack.resources.get(hit.target)
        if resource is None or resource.type != _LAYER:
            continue
        if resource.code_unread:
            yield hit.target


def _nested_outputs(value: Any) -> Iterator[tuple[str, str]]:
    """``(logical id, output)`` of every ``Fn::GetAtt X.Outputs.Y`` (or ``${X.Outputs.Y}``)."""
    for hit in find_hits(value):
        if hit.attribute is not None and hit.attribute.startswith(OUTPUTS):
            yield hit.target, hit.attribute.removeprefix(OUTPUTS)


def _transforms(value: Any) -> Iterator[str]:
    """The ``Name`` of every ``Fn::Transform`` in ``value``."""
    if isinstance(value, list):
        for item in value:
            yield from _transforms(item)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key == _WHOLE and isinstance(item, Mapping):
                name = item.get("Name")
                yield name if isinstance(name, str) else "written in Fn::Transform"
            else:
                yield from _transforms(item)
