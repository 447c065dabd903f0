"""Templates of an app that could not be read, set aside instead of ending the load.

The new side is the user's input: a template that cannot be read there is an input error.
A baseline read from a git revision is not: one template of an app (a file of a directory,
a nested stack's template) that is malformed at the base commit, or that the SAM translator
refuses there, should not hide the rest of the app. While :func:`tolerating` is active, the
loaders hand such a failure to :func:`set_aside` with the name its stack would have had, go on
with the other templates, and the caller names what was set aside.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass

from reviewer.errors import InputError
from reviewer.sources.collecting import collecting


@dataclass(frozen=True)
class Unreadable:
    """A template that could not be read: the stack it would have been, and why."""

    stack: str
    error: InputError  # it names the file


_TOLERATED: ContextVar[list[Unreadable] | None] = ContextVar("tolerated", default=None)


def tolerating() -> AbstractContextManager[list[Unreadable]]:
    """Collect the templates set aside by the loads in the block."""
    return collecting(_TOLERATED)


def set_aside(error: InputError, stack: str) -> None:
    """Record ``error`` of the template of stack ``stack`` with the active
    :func:`tolerating`; without one, raise it."""
    found = _TOLERATED.get()
    if found is None:
        raise error
    found.append(Unreadable(stack, error))
