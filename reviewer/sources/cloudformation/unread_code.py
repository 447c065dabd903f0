"""Local code that one side or both could not read, matched across the two sides.

``sam_artifacts`` gives code it cannot read (a ``CodeUri`` folder that does not exist) the
same ``unread`` placeholder on every side, and records it. :class:`UnreadSides` holds what was
recorded on each side of one comparison and:

- loads the other side with the same functions' code treated as unread too
  (:meth:`UnreadSides.unread_in`), so a function whose code one side lacks is unknown on both
  sides, not changed, whatever path each side names;
- says, in a note on the new side's stack, which functions' code was not read, where it is
  missing (on neither side, at the base, on the new side) and how to build it
  (:meth:`UnreadSides.with_notes`).

A function is matched across the sides by its stack, its logical id and the property that
names its code; with ``any_stack`` (a file baseline, whose stacks pair one to one or by name)
by logical id and property alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from reviewer.model.template import StackTemplate
from reviewer.sources.cloudformation.sam_artifacts import (
    ResourceKey,
    UnreadCode,
    unread_elsewhere,
    unread_note,
)


@dataclass
class UnreadSides:
    """The unread code recorded on the new side (``new``) and the baseline (``old``)."""

    any_stack: bool
    new: list[UnreadCode] = field(default_factory=list)
    old: list[UnreadCode] = field(default_factory=list)

    def _key(self, unread: UnreadCode, resource: str) -> ResourceKey:
        return ("*" if self.any_stack else unread.stack, resource, unread.property)

    def _all(self, unread: UnreadCode) -> set[ResourceKey]:
        return {self._key(unread, resource) for resource in unread.resources}

    def missing(self, side: Sequence[UnreadCode]) -> set[ResourceKey]:
        """The functions whose code does not exist on ``side`` (not just treated as unread)."""
        return {key for u in side if not u.present for key in self._all(u)}

    @contextmanager
    def unread_in(self, other: Sequence[UnreadCode]) -> Iterator[None]:
        """Load a side with the code that ``other`` lacks treated as unread there too."""
        with unread_elsewhere(self.missing(other)):
            yield

    def baseline_lacks_read_code(self) -> bool:
        """Whether the baseline lacks code of a function that the new side read."""
        seen = {key for u in self.new for key in self._all(u)}
        return bool(self.missing(self.old) - seen)

    def with_notes(
        self, new: Sequence[StackTemplate], base: str, advice: str
    ) -> list[StackTemplate]:
        """Each new-side stack with a note for every artifact that either side could not
        read; ``base`` names the baseline side ("at base (a1b2c3)"), ``advice`` says how to
        build the code on both sides."""
        notes: dict[str, list[str]] = {}
        old_missing = self.missing(self.old)
        new_missing = self.missing(self.new)
        old_named = {key for u in self.old for key in self._all(u)}
        for unread in self.new:
            if unread.present:
                continue  # the baseline lacks it: said below
            keys = self._all(unread)
            if keys & old_missing:
                where = "exists on neither side"
            elif keys & old_named:
                where = f"does not exist on the new side (it does {base})"
            else:
                where = "does not exist on the new side"
            notes.setdefault(unread.stack, []).append(unread_note(unread, where, advice))
        for unread in self.old:
            if unread.present or self._all(unread) & new_missing:
                continue  # said above
            stack = new[0].name if self.any_stack and len(new) == 1 else unread.stack
            notes.setdefault(stack, []).append(
                unread_note(unread, f"does not exist {base}", advice)
            )
        return [
            replace(s, notes=(*s.notes, *dict.fromkeys(notes[s.name]))) if s.name in notes else s
            for s in new
        ]
