"""Loading a side, or a change, for the analysis: every command loads its templates through here.

A change reaches the analysis one way, as a :class:`~reviewer.sources.sides.SidePair`: read
from a source that holds both sides (``load_change``), or made of two sides read apart
(``SidePair(new, old)``); ``analyze_change`` is its entry into the analysis.

Parsing builds hundreds of thousands of containers that all stay alive; collections during
it would walk them in vain, so the collector is paused while a side is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from reviewer.model.template import StackTemplate
from reviewer.pipeline.collector import collector_paused
from reviewer.sources.sides import ChangeSource, LoadedSide, SidePair, SideSource, load_named

if TYPE_CHECKING:
    from reviewer.config import Config
    from reviewer.contract.report import Report
    from reviewer.pipeline.handover import Verifier


def load_source(source: SideSource, progress: TextIO) -> LoadedSide:
    """The side ``source`` gives (template paths, deployed stacks, a git revision)."""
    with collector_paused():
        return source.load(progress)


def load_change(source: ChangeSource, progress: TextIO) -> SidePair:
    """Both sides of a change from ``source`` (a change set, a hook request, a plan)."""
    with collector_paused():
        return source.load_pair(progress)


def analyze_change(pair: SidePair, config: Config, *, verify: Verifier | None = None) -> Report:
    """The report of a change: every enabled rule over the pair's stacks
    (``pipeline.analysis.analyze``), the stacks whose baseline is missing named with why;
    ``verify`` checks the fixes the analysis builds (see ``analyze``)."""
    from reviewer.pipeline.analysis import analyze

    old = list(pair.old.stacks) if pair.old is not None else None
    return analyze(
        pair.new.stacks, old, config, pair.label, pair.change_set, missing=pair.missing(),
        verify=verify,
    )


def load_paths(paths: Sequence[Path], stack_name: str | None) -> list[StackTemplate]:
    """Every stack at ``paths``: files, directories, cloud assemblies, Serverless packages;
    the stacks of template files named by their paths (:mod:`reviewer.sources.naming`), and
    an input error when two stacks cannot be told apart."""
    with collector_paused():
        return load_named(paths, stack_name)


def load_text(path: Path, text: str) -> StackTemplate:
    """The template held in ``text`` (``path`` at another revision), SAM expanded."""
    from reviewer.sources.cloudformation.template import load_template_from_text

    with collector_paused():
        return load_template_from_text(path, text)
