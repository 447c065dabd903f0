"""What changes between the baseline and the new template of one stack.

Resources are paired by logical id. A resource is *replaced* when its type changes or a
create-only property changes, directly or because it refers to another replaced resource or
to a parameter whose value changes; every ``Ref``/``Fn::GetAtt`` to a replaced resource then
changes value too, so ``Layers: [!Ref MyLayer]`` changes when ``MyLayer``'s content changes.

Values are compared as each side deploys them (:class:`reviewer.model.resolve.Resolver`), not
as they are spelled: a literal and a parameter whose value is that literal are one value. A
parameter whose value is not known on one side (no override, no deployed value, no default)
is *unknown*: both sides keep its ``Ref``, and what depends on it is compared as written.

Values handed over by other stacks of the app come in as :class:`Handed` answers: for a nested
stack, each parameter its parent passes (``passed``); for a parent, each output of its nested
stacks (``outputs``, asked when a value reads ``Fn::GetAtt Child.Outputs.Name``). So a layer
replaced in one nested stack changes its output, the parent's ``GetAtt`` of it, the parameter
the parent passes to a sibling, and the functions there that read that parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from reviewer.diff.schemas import PropertyPointer, create_only
from reviewer.model.intrinsics import Hit, find_hits
from reviewer.model.resolve import NO_VALUE, PSEUDO, Resolver, undecided_parameters
from reviewer.model.template import NESTED_STACK, Resource, StackTemplate
from reviewer.model.worlds import World

_MISSING = object()
_LAYER = "AWS::Lambda::LayerVersion"
#: How a ``Fn::GetAtt`` of a nested stack's output names its attribute.
OUTPUTS = "Outputs."
#: Types whose attributes can change on an in-place update (their outputs are computed).
_COMPUTED_ATTRIBUTES = ("Custom::", "AWS::CloudFormation::CustomResource")


class CauseKind(StrEnum):
    RESOURCE = "resource"  # a replaced resource, or a computed attribute that changes
    PARAMETER = "parameter"  # a parameter whose value changes
    OUTPUT = "output"  # an output of a nested stack whose value changes


@dataclass(frozen=True)
class Cause:
    """Why a value that reads the same in both templates changes when deployed."""

    kind: CauseKind
    name: str


@dataclass(frozen=True)
class Handed:
    """What is known of a value another stack hands over: whether it changes between the two
    sides (``None``: it cannot be known), and, when it cannot, ``why``: where the value comes
    from, in words that follow "passes it" ("the output X of nested stack Y, whose template
    was not read")."""

    changes: bool | None
    why: str = ""


#: The output of one nested stack of this stack (by the logical id of its
#: ``AWS::CloudFormation::Stack`` resource and the output's name), as the nested stack's own
#: diff answers for it.
NestedOutputs = Callable[[str, str], Handed]


def _not_followed(logical_id: str, output: str) -> Handed:
    return Handed(None, f"the output {output} of nested stack {logical_id}, which is not followed")


@dataclass
class StackDiff:
    """Resource-level differences of one stack between its baseline and the new template."""

    old: StackTemplate
    new: StackTemplate
    replaced: set[str] = field(default_factory=set)
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    changed_parameters: set[str] = field(default_factory=set)
    unknown_parameters: set[str] = field(default_factory=set)
    #: Parameters the parent passes with a value that cannot be known, and why.
    passed_unknown: dict[str, str] = field(default_factory=dict)
    #: The outputs of this stack's nested stacks (see :data:`NestedOutputs`).
    nested_outputs: NestedOutputs = field(default=_not_followed, repr=False, compare=False)
    #: Each side's values as deployed; parameters unknown on either side stay symbolic.
    old_values: Resolver = field(init=False, repr=False, compare=False)
    new_values: Resolver = field(init=False, repr=False, compare=False)
    #: The references in each value asked about, by the value's id; the value is kept with
    #: them, so its id cannot be reused by another object while the entry exists.
    _hits: dict[int, tuple[Any, tuple[Hit, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def compute(
        cls,
        old: StackTemplate,
        new: StackTemplate,
        passed: Mapping[str, Handed] | None = None,
        outputs: NestedOutputs | None = None,
        world: World | None = None,
    ) -> StackDiff:
        """``passed``: parameters a parent stack passes in, and whether their value changes;
        ``outputs``: what the nested stacks' diffs say of their outputs; ``world``: the
        deployment judged (conditions it leaves open keep both branches)."""
        diff = cls(old, new, nested_outputs=outputs or _not_followed)
        diff._pair()
        diff._parameters(passed or {})
        symbolic = diff.unknown_parameters | set(passed or {})
        diff.old_values = Resolver(old, symbolic, world)
        diff.new_values = Resolver(new, symbolic, world)
        diff._replacements()
        return diff

    def _pair(self) -> None:
        old, new = self.old.resources, self.new.resources
        self.added = set(new) - set(old)
        self.removed = set(old) - set(new)
        for logical_id in set(old) & set(new):
            before, after = old[logical_id], new[logical_id]
            if before.type != after.type:
                self.replaced.add(logical_id)
            elif before.properties != after.properties:
                self.updated.add(logical_id)

    def _parameters(self, passed: Mapping[str, Handed]) -> None:
        undecided = undecided_parameters(self.old, self.new)
        for name in set(self.old.parameters) | set(self.new.parameters):
            if name in passed:
                handed = passed[name]
                if handed.changes is None:
                    self.unknown_parameters.add(name)
                    self.passed_unknown[name] = handed.why
                elif handed.changes:
                    self.changed_parameters.add(name)
                continue
            if name in undecided:
                self.unknown_parameters.add(name)
            elif self.old.parameter_value(name) != self.new.parameter_value(name):
                self.changed_parameters.add(name)

    def _replacements(self) -> None:
        common = (set(self.old.resources) & set(self.new.resources)) - self.replaced
        pending = True
        while pending:
            pending = False
            for logical_id in sorted(common - self.replaced):
                if self._replaces(self.old.resources[logical_id], self.new.resources[logical_id]):
                    self.replaced.add(logical_id)
                    pending = True
        self.updated -= self.replaced

    def _replaces(self, before: Resource, after: Resource) -> bool:
        pointers = create_only(after.type)
        if not pointers:
            return False
        if before.properties == after.properties and self._evaluated_alike:
            old_properties, new_properties = before.properties, after.properties
        else:
            old_properties = self.old_values.value(before.properties)
            new_properties = self.new_values.value(after.properties)
        for pointer in pointers:
            old_value = _at(old_properties, pointer)
            new_value = _at(new_properties, pointer)
            if after.type == _LAYER and pointer == ("Content",):
                old_value = _layer_content(self.old, before.logical_id, old_value)
                new_value = _layer_content(self.new, after.logical_id, new_value)
            if old_value != new_value or self.causes(new_value):
                return True
        return False

    def value_changes(self, old_value: Any, new_value: Any) -> bool:
        """Whether a value deploys differently on the two sides: its evaluated values differ,
        or the new one refers to a replaced resource or a changed parameter."""
        before = self.old_values.value(old_value)
        after = self.new_values.value(new_value)
        return before != after or bool(self.causes(after))

    def handed(self, old_value: Any, new_value: Any) -> Handed:
        """What this stack hands over when it passes ``new_value`` (``old_value`` on the
        baseline) to another stack: it changes (:meth:`value_changes`), it does not, or that
        cannot be known because it reads a parameter or a nested stack's output that is not
        known."""
        if self.value_changes(old_value, new_value):
            return Handed(True)
        unknown = self._unknown_sources(self.new_values.value(new_value))
        return Handed(None, "; ".join(unknown)) if unknown else Handed(False)

    def output(self, name: str) -> Handed:
        """Whether the value of output ``name`` changes, for the stack that reads it."""
        before, after = self.old.outputs.get(name), self.new.outputs.get(name)
        if after is None:
            return Handed(None, f"an output {name} that stack {self.new.name} does not declare")
        if before is None:
            return Handed(True)
        return self.handed(before.get("Value"), after.get("Value"))

    def _unknown_sources(self, value: Any) -> list[str]:
        """Why a value cannot be known, in words that follow "passes it": each parameter
        without a known value and each nested stack's output that cannot be known, that it
        reads."""
        found: list[str] = []
        for hit in self._hits_of(value):
            if hit.literal:
                continue
            if hit.attribute is None and hit.target in self.unknown_parameters:
                why = self.passed_unknown.get(hit.target, "whose value is not known")
                found.append(f"its parameter {hit.target} ({why})")
            elif self._is_nested_output(hit.target, hit.attribute):
                handed = self.nested_outputs(hit.target, str(hit.attribute)[len(OUTPUTS):])
                if handed.changes is None:
                    found.append(handed.why)
        return list(dict.fromkeys(found))

    def _is_nested_output(self, target: str, attribute: str | None) -> bool:
        resource = self.new.resources.get(target)
        return (
            attribute is not None
            and attribute.startswith(OUTPUTS)
            and resource is not None
            and resource.type == NESTED_STACK
        )

    @cached_property
    def _evaluated_alike(self) -> bool:
        """Whether a value written alike on both sides is also deployed alike (no parameter
        value, condition or mapping differs): then it need not be evaluated to be compared."""
        return not self.changed_parameters and all(
            self.old.body.get(section) == self.new.body.get(section)
            for section in ("Conditions", "Mappings")
        )

    @cached_property
    def _attribute_changes(self) -> set[str]:
        return {
            logical_id
            for logical_id in self.updated
            if self.new.resources[logical_id].type.startswith(_COMPUTED_ATTRIBUTES)
        }

    def causes(self, value: Any) -> list[Cause]:
        """Why ``value`` (equal on both sides) changes when deployed; empty when it does not."""
        if value is _MISSING or value is None or value is NO_VALUE:
            return []
        found: list[Cause] = []
        for hit in self._hits_of(value):
            if hit.literal or hit.target in PSEUDO:
                continue
            if self._is_nested_output(hit.target, hit.attribute):
                output = str(hit.attribute)[len(OUTPUTS):]
                if self.nested_outputs(hit.target, output).changes:
                    found.append(Cause(CauseKind.OUTPUT, f"{hit.target}.{hit.attribute}"))
                continue
            computed = hit.attribute is not None and hit.target in self._attribute_changes
            if hit.target in self.replaced or computed:
                found.append(Cause(CauseKind.RESOURCE, hit.target))
            elif hit.attribute is None and hit.target in self.changed_parameters:
                found.append(Cause(CauseKind.PARAMETER, hit.target))
        return found

    def _hits_of(self, value: Any) -> tuple[Hit, ...]:
        """``find_hits(value)``, walked once per value: the replacement loop asks again on
        every pass, and the function diff asks for values the loop has already seen."""
        entry = self._hits.get(id(value))
        if entry is None or entry[0] is not value:
            entry = (value, tuple(find_hits(value)))
            self._hits[id(value)] = entry
        return entry[1]

    def unknowns(self, value: Any) -> list[str]:
        """Parameters without a known value that ``value`` depends on."""
        return sorted(
            {
                hit.target
                for hit in self._hits_of(value)
                if not hit.literal
                and hit.attribute is None
                and hit.target in self.unknown_parameters
            }
        )


def _layer_content(stack: StackTemplate, logical_id: str, content: Any) -> Any:
    """A layer's content identity: the hash the template records for it, when there is one.

    The Serverless Framework writes a new timestamped ``Content.S3Key`` on every package and
    records the layer's hash (its zip and properties) in the output ``<LogicalId>Hash``
    (``<Name>LambdaLayerHash`` for ``<Name>LambdaLayer``, or for ``<Name>LambdaLayer<hash>``
    when the layer is retained); it deploys the already uploaded key when that hash has not
    changed. So the hash, not the key, tells whether the layer version is replaced.
    """
    if not isinstance(content, Mapping):
        return content
    for name, output in stack.outputs.items():
        value = output.get("Value")
        prefix = name.removesuffix("Hash")
        if prefix != name and isinstance(value, str) and logical_id in (prefix, prefix + value):
            return (value, {k: v for k, v in content.items() if k != "S3Key"})
    return content


def _at(properties: Mapping[str, Any], pointer: PropertyPointer) -> Any:
    value: Any = properties
    for key in pointer:
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value
