"""What the loads in a block report on the side, collected: a context variable holds the list
of the innermost ``collecting`` block, so that deep loaders (a SAM expansion, a nested
template) hand a fact up without threading a list through every call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def collecting(into: ContextVar[list[T] | None]) -> Iterator[list[T]]:
    """A fresh list in ``into`` for the block, handed to the block; the one before it after."""
    found: list[T] = []
    token = into.set(found)
    try:
        yield found
    finally:
        into.reset(token)
