"""How the stacks of template files are named: by their path, never by a bare file name.

One rule, for every side: the stack of a template file is named by the file's path from the
deepest folder that holds every template of the side (a directory given as a template is a
folder of the side's templates), without its suffix unless another template of the side has
the same path but for the suffix. One template alone, or the files of one directory, keep
their file names (``template.yaml`` is stack ``template``); ``services/orders/template.yaml``
beside ``services/billing/template.yaml`` are stacks ``orders/template`` and
``billing/template``. CDK and Serverless stacks keep the names their frameworks give them;
``--stack-name`` names a single template's stack.

The names are the identity by which the stacks of the two sides pair (``pipeline.analysis``):
a baseline read at a git revision takes the new side's names path for path; explicit baseline
paths are named by the same rule from their own folder, or path for path (by order) when they
are as many as the new side's and their names differ. Two stacks of one side that end with one
name cannot be told apart: :func:`require_distinct` makes that an input error naming both
paths.

The loaders ask :func:`stack_name_of` while :func:`named` is active; without it (a file read
at a revision on its own, a fix's copy) a template's stack is named after its file.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PurePosixPath

from reviewer.errors import InputError
from reviewer.model.template import StackTemplate

#: The suffixes a template file can have.
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")

#: Each path the side was given (resolved) with the name it stands for ("" for a directory
#: that is the folder every template of the side is in).
_NAMES: ContextVar[dict[Path, str] | None] = ContextVar("stack_names", default=None)


def side_names(paths: Sequence[Path]) -> list[str]:
    """The name each of ``paths`` stands for, by the rule of the module doc: a file's path
    from the side's folder without its suffix (unless that would make two equal), a
    directory's path from it ("" for the folder itself)."""
    resolved = [path.resolve() for path in paths]
    folders = [path if path.is_dir() else path.parent for path in resolved]
    root = Path(os.path.commonpath([str(f) for f in folders])) if folders else Path()
    full = [
        "" if path == root else PurePosixPath(*path.relative_to(root).parts).as_posix()
        for path in resolved
    ]
    bare = [
        _without_suffix(name) if not path.is_dir() else name
        for name, path in zip(full, resolved, strict=True)
    ]
    # One path given twice is one template: its two stacks are told apart by nothing.
    counts = Counter(dict(zip(resolved, bare, strict=True)).values())
    return [b if counts[b] == 1 else f for b, f in zip(bare, full, strict=True)]


def by_order(paths: Sequence[Path], new_paths: Sequence[Path]) -> list[str] | None:
    """The names of baseline ``paths`` given as many as ``new_paths``: their own names when
    those are the new side's, else the new side's names path for path (pairing by order);
    None when the counts differ (the baseline's own names are used)."""
    own = side_names(paths)
    if len(paths) != len(new_paths):
        return None
    new = side_names(new_paths)
    return own if sorted(own) == sorted(new) else new


def _without_suffix(name: str) -> str:
    path = PurePosixPath(name)
    return path.with_suffix("").as_posix() if path.suffix.lower() in TEMPLATE_SUFFIXES else name


@contextmanager
def named(paths: Sequence[Path], names: Sequence[str]) -> Iterator[None]:
    """Name the stacks the loads in the block read from ``paths`` (and the files of those that
    are directories) with ``names``."""
    token = _NAMES.set(
        {path.resolve(): name for path, name in zip(paths, names, strict=True)}
    )
    try:
        yield
    finally:
        _NAMES.reset(token)


def stack_name_of(path: Path) -> str:
    """The name of the stack of template file ``path`` (see the module doc)."""
    names = _NAMES.get()
    if names is None:
        return path.stem
    resolved = path.resolve()
    if resolved in names:
        return names[resolved] or path.stem
    folder = names.get(resolved.parent)
    if folder is None:
        return path.stem
    own = path.stem if not _has_twin(path) else path.name
    return f"{folder}/{own}" if folder else own


def _has_twin(path: Path) -> bool:
    """Whether another template file of ``path``'s folder differs from it by suffix only."""
    return any(
        other.stem == path.stem and other.name != path.name
        and other.suffix.lower() in TEMPLATE_SUFFIXES and not other.name.startswith(".")
        for other in path.parent.iterdir()
    )


def require_distinct(stacks: Sequence[StackTemplate]) -> None:
    """An input error when two of ``stacks`` have one name: they cannot be told apart."""
    seen: dict[str, StackTemplate] = {}
    for stack in stacks:
        first = seen.setdefault(stack.name, stack)
        if first is not stack:
            raise InputError(
                stack.path,
                f"and {first.path} are both stack {stack.name}: two stacks that cannot be "
                "told apart",
            )
