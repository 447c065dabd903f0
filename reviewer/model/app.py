"""A whole app: the reference graphs of all stacks of one side, linked across stacks.

An invocation path can leave its stack: a consumer in stack B may import the ARN that stack A
exports (``Fn::ImportValue``, CDK's "strong" cross-stack references) or read stack A's output
directly (``Fn::GetStackOutput``, CDK's default "weak" references), a nested stack
may receive a function ARN as a parameter from its parent, and a parent may read a nested
stack's output (``Fn::GetAtt Child.Outputs.X``). The linker follows those hops and records the
reference on the function's own stack, so rules see every consumer wherever it lives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reviewer.model.intrinsics import Hit, find_hits, qualifier_in_suffix, reference_of
from reviewer.model.references import ReferenceGraph, Resolution
from reviewer.model.resolve import Resolvers
from reviewer.model.template import StackTemplate

#: How many stacks a reference or a value is followed through.
MAX_HOPS = 8
_SUB_TOKEN = re.compile(r"\$\{([^}!][^}]*)\}")


class AppGraph:
    """Reference graphs of every stack of one side of a deployment."""

    def __init__(self, stacks: Sequence[StackTemplate]) -> None:
        self.stacks = {stack.name: stack for stack in stacks}
        self.graphs = {stack.name: ReferenceGraph(stack) for stack in stacks}
        self._exports = self._collect_exports()
        self._children = {
            stack.parent: stack.name for stack in stacks if stack.parent is not None
        }
        for parent_name, logical_id in self._children:
            # The nested template is loaded: its own consumers replace the parameter hand-off.
            if parent_name in self.graphs:
                self.graphs[parent_name].forget_source(logical_id)
        self._link()

    def graph(self, stack_name: str) -> ReferenceGraph:
        return self.graphs[stack_name]

    def child(self, stack_name: str, logical_id: str) -> str | None:
        """The name of the nested stack that ``stack_name``'s ``logical_id`` creates, when its
        template is here."""
        return self._children.get((stack_name, logical_id))

    def nested_read(self, stack_name: str) -> frozenset[str]:
        """The logical ids of the nested stacks of ``stack_name`` whose templates are here."""
        return frozenset(lid for parent, lid in self._children if parent == stack_name)

    def _collect_exports(self) -> dict[str, tuple[str, Any]]:
        exports: dict[str, tuple[str, Any]] = {}
        for stack in self.stacks.values():
            for output in stack.outputs.values():
                export = output.get("Export")
                name = evaluate(export.get("Name"), stack) if isinstance(export, Mapping) else None
                if name is not None:
                    exports[name] = (stack.name, output.get("Value"))
        return exports

    def _link(self) -> None:
        for stack in self.stacks.values():
            for resource in stack.resources.values():
                for hit in resource.hits:
                    for target_stack, resolved in self._follow(stack, hit, 0):
                        if target_stack != stack.name:
                            self.graphs[target_stack].add_from(stack, resource, hit, resolved)

    def _follow(
        self, stack: StackTemplate, hit: Hit, hops: int
    ) -> Iterator[tuple[str, Resolution]]:
        """Where a reference in ``stack`` ends up: (stack name, resolution) of each function."""
        if hops > MAX_HOPS:
            return
        for target_stack, inner in self._hops(stack, hit):
            for found_stack, (function, via, kind, inner_qualifier) in self._follow(
                target_stack, inner, hops + 1
            ):
                # An unqualified ARN may be qualified where it is used (``${Imported}:live``).
                qualifier = inner_qualifier or qualifier_in_suffix(hit.suffix)
                yield found_stack, (function, via, kind, qualifier)
        resolved = self.graphs[stack.name].resolve(hit)
        if resolved is not None:
            yield stack.name, resolved

    def _hops(self, stack: StackTemplate, hit: Hit) -> Iterator[tuple[StackTemplate, Hit]]:
        """The references a cross-stack hop leads to, in the stack they belong to."""
        if hit.attribute == "Fn::GetStackOutput":
            written: Any = {"Fn::GetStackOutput": hit.imported}
        elif hit.imported is not None:
            written = {"Fn::ImportValue": hit.imported}
        elif hit.attribute is None:
            written = {"Ref": hit.target}
        else:
            written = {"Fn::GetAtt": [hit.target, hit.attribute]}
        handed = self.handed_over(stack, written)
        if handed is not None:
            source, value = handed
            yield from ((source, inner) for inner in find_hits(value))

    def trace(
        self, stack: StackTemplate, value: Any, resolvers: Resolvers
    ) -> Iterator[tuple[StackTemplate, Any]]:
        """``value`` as ``stack`` deploys it, then, while another stack hands it over, the
        value there (:meth:`handed_over`), each evaluated in its own stack."""
        for _ in range(MAX_HOPS):
            value = resolvers(stack).value(value)
            yield stack, value
            handed = self.handed_over(stack, value)
            if handed is None:
                return
            stack, value = handed

    def handed_over(self, stack: StackTemplate, value: Any) -> tuple[StackTemplate, Any] | None:
        """Where a value comes from when another stack hands it over, one hop back: a nested
        stack's parameter (the value its parent passes), an import (the exported value), a
        nested stack's output, another stack's output (``Fn::GetStackOutput``). None when the
        value is none of those or its source is not at hand."""
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        ((function, arg),) = value.items()
        hop = {
            "Ref": self._passed_in,
            "Fn::ImportValue": self._imported,
            "Fn::GetStackOutput": self._stack_output_value,
            "Fn::GetAtt": self._nested_output,
        }.get(str(function))
        return hop(stack, arg) if hop is not None else None

    def _passed_in(self, stack: StackTemplate, name: Any) -> tuple[StackTemplate, Any] | None:
        if not isinstance(name, str) or name not in stack.parameters or stack.parent is None:
            return None
        parent = self.stacks.get(stack.parent[0])
        resource = parent.resources.get(stack.parent[1]) if parent is not None else None
        passed = resource.properties.get("Parameters") if resource is not None else None
        if parent is None or not isinstance(passed, Mapping) or name not in passed:
            return None
        return parent, passed[name]

    def _imported(self, stack: StackTemplate, arg: Any) -> tuple[StackTemplate, Any] | None:
        name = evaluate(arg, stack)
        exported = self._exports.get(name) if name is not None else None
        return (self.stacks[exported[0]], exported[1]) if exported is not None else None

    def _stack_output_value(
        self, stack: StackTemplate, arg: Any
    ) -> tuple[StackTemplate, Any] | None:
        if not isinstance(arg, Mapping):
            return None
        source = self.stacks.get(evaluate(arg.get("StackName"), stack) or "")
        output_name = evaluate(arg.get("OutputName"), stack)
        output = source.outputs.get(output_name) if source and output_name else None
        return (source, output.get("Value")) if source and output else None

    def _nested_output(self, stack: StackTemplate, arg: Any) -> tuple[StackTemplate, Any] | None:
        target, attribute = reference_of({"Fn::GetAtt": arg}) or ("", None)
        if attribute is None or not attribute.startswith("Outputs."):
            return None
        child = self.stacks.get(self._children.get((stack.name, target), ""))
        output = child.outputs.get(attribute.removeprefix("Outputs.")) if child else None
        return (child, output.get("Value")) if child and output else None


def evaluate(value: Any, stack: StackTemplate) -> str | None:
    """A string built from literals, parameters and pseudo parameters; None when unknowable.

    ``AWS::StackName`` is the stack's name; other pseudo parameters stay as ``${AWS::Region}``
    placeholders, so an export and an import written the same way still match.
    """
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((function, arg),) = value.items()
    evaluator = _EVALUATORS.get(function)
    return evaluator(arg, stack) if evaluator is not None else None


def _ref(arg: Any, stack: StackTemplate) -> str | None:
    return _ref_value(arg, stack) if isinstance(arg, str) else None


def _sub(arg: Any, stack: StackTemplate) -> str | None:
    text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
    if not isinstance(text, str) or not isinstance(variables, Mapping):
        return None
    return _substitute(text, variables, stack)


def _join(arg: Any, stack: StackTemplate) -> str | None:
    if not (isinstance(arg, list) and len(arg) == 2):
        return None
    delimiter, items = arg
    if not isinstance(delimiter, str) or not isinstance(items, list):
        return None
    parts = [evaluate(item, stack) for item in items]
    return None if any(p is None for p in parts) else delimiter.join(str(p) for p in parts)


_EVALUATORS = {"Ref": _ref, "Fn::Sub": _sub, "Fn::Join": _join}


def _ref_value(name: str, stack: StackTemplate) -> str | None:
    if name == "AWS::StackName":
        return stack.name
    if name.startswith("AWS::"):
        return "${" + name + "}"
    value = stack.parameter_value(name)
    return str(value) if isinstance(value, str | int) else None


def _substitute(text: str, variables: Mapping[str, Any], stack: StackTemplate) -> str | None:
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1).strip()
        value = evaluate(variables[name], stack) if name in variables else _ref_value(name, stack)
        if value is None:
            unknown = True
            return ""
        return value

    result = _SUB_TOKEN.sub(replace, text)
    return None if unknown else result
