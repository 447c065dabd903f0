"""What a change rule is given: one stack compared with its baseline.

The two templates, their diff, each updated function's change record and the values of it
that cannot be known here, and the reference graphs of both sides. The diff builds it; the
change rules judge it and the fix builders read it, so it lives with the diff, below both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from reviewer.diff.function_changes import FunctionChange, Status, function_changes
from reviewer.diff.stack_diff import Handed, NestedOutputs, StackDiff
from reviewer.diff.unknown_values import UnknownValue, macro_unknowns, unknown_values
from reviewer.model.references import ReferenceGraph
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
