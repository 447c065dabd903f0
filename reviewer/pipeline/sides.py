"""Loading a side for the analysis: every command loads its templates through here.

Parsing builds hundreds of thousands of containers that all stay alive; collections during
it would walk them in vain, so the collector is paused while a side is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from reviewer.model.template import StackTemplate
from reviewer.pipeline.collector import collector_paused
from reviewer.sources.sides import LoadedSide, SideSource, load_named


def load_source(source: SideSource, progress: TextIO) -> LoadedSide:
    """The side ``source`` gives (template paths, deployed stacks, a git revision)."""
    with collector_paused():
        return source.load(progress)


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
