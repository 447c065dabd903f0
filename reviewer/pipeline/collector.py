"""Pausing Python's cyclic garbage collector around work that only builds live objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of the block.

    Loading a template and analysing it allocate hundreds of thousands of containers that
    stay alive (the documents, the references found in them). Each collection those
    allocations trigger walks every live container, the templates included, and frees
    nothing; on a large template that is a third of the time. The documents hold no cycles,
    so nothing is lost: refcounting frees what dies, and the collector, resumed afterwards
    in the state it was in, catches any cycle made meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def existing_objects_frozen() -> Iterator[None]:
    """Leave every object alive at the start out of the collector's walks during the block.

    The loaded templates live until the analysis ends; each collection of the oldest generation
    that the analysis triggers would walk all of them again (on a 1 MB template, a third of the
    run). ``gc.freeze`` moves them aside and ``gc.unfreeze`` puts them back afterwards, so
    whatever becomes garbage meanwhile is still collected. When something else has frozen
    objects already (a host that freezes after ``fork``), nothing is done: unfreezing would
    undo its freeze.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
