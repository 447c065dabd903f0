"""Sources: turn what the user points at into the stack templates of one side.

Each source says whether it recognises a path (``detect``) and loads it (``load``). ``SOURCES``
is tried in order; the first that recognises the path wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources.files import load_template_file


@dataclass(frozen=True)
class Source:
    name: str
    detect: Callable[[Path], bool]
    load: Callable[[Path, str | None], list[StackTemplate]]


def _is_file(path: Path) -> bool:
    return path.is_file()


def _load_file(path: Path, stack_name: str | None) -> list[StackTemplate]:
    return [load_template_file(path, stack_name)]


SOURCES: tuple[Source, ...] = (Source("template file", _is_file, _load_file),)


def load_side(path: Path, stack_name: str | None = None) -> list[StackTemplate]:
    """All stacks found at ``path``; ``stack_name`` names a single-template side."""
    if not path.exists():
        raise InputError(path, "no such file or directory")
    for source in SOURCES:
        if source.detect(path):
            return source.load(path, stack_name)
    if path.is_dir():
        raise InputError(path, "is a directory that holds no template latest-guard can read")
    raise InputError(path, "is not a regular file")
