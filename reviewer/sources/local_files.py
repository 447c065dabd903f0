"""Whether the templates being loaded may read the files their local paths name.

A template read from the user's folders, or from a git revision's work tree, reads its local
paths beside it: a SAM ``CodeUri`` folder is hashed, an ``AWS::Include`` file inlined, a
nested stack's ``TemplateURL`` file read. A template that comes without its files (a
CloudFormation hook's request holds only the templates' text) must not: a relative path would
name whatever folder the process happens to run in. Inside :func:`without_files`, every local
path is read as absent, and the notes say why in the words given.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Absent:
    """Why local paths are not read (``reason``: a short clause, "no file is read here") and
    what would let them be (``advice``)."""

    reason: str
    advice: str


_ABSENT: ContextVar[Absent | None] = ContextVar("latest_guard_local_files", default=None)


@contextmanager
def without_files(reason: str, advice: str) -> Iterator[None]:
    """Load templates in the block as text alone: their local paths are not read."""
    token = _ABSENT.set(Absent(reason, advice))
    try:
        yield
    finally:
        _ABSENT.reset(token)


def absent() -> Absent | None:
    """Why local paths are not read in this block; None where they are."""
    return _ABSENT.get()
