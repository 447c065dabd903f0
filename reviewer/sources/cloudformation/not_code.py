"""Files in a code folder that no runtime loads: left out of the code's identity, and said so.

A function's code folder often holds its ``README.md``, ``CHANGELOG.md`` or ``LICENSE``
(``CodeUri: .`` holds the whole project). ``sam deploy`` uploads them with the code, so an edit
of one gives the zip a new S3 key and CloudFormation calls ``UpdateFunctionCode``: strictly,
the function's code is updated. But no runtime loads those files: the code that runs is the
same before and after, so while ``$LATEST`` has the new configuration with the "old" code, or
the reverse, nothing runs that the other half does not fit. Counting such an edit as a code
change would report a race (LG001) that cannot hurt anyone; so these files are not part of the
content hash (``sam_artifacts.content_hash``), and when they are the only change of a
function's folder the stack's note says so, naming the files.

The default list (:data:`DEFAULT_NOT_CODE`): Markdown and reStructuredText documents
(``*.md``, ``*.markdown``, ``*.rst``), ``LICENSE*``, ``LICENCE*``, ``CHANGELOG*``,
``CHANGES*``, ``AUTHORS*``, ``NOTICE*``, ``CONTRIBUTING*``, ``.gitignore`` and
``.editorconfig``. Files a runtime may well read (``.py``, ``.js``, ``.json``, ``.txt``,
templates of its own) count, whatever they are. The project's configuration extends the
list (``code-ignore: ["docs/**", "*.txt"]``) or turns the defaults off
(``code-ignore-defaults: false``); see :func:`not_code_patterns` for how a pattern matches.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from reviewer.config import Config
from reviewer.model.template import StackTemplate
from reviewer.sources.collecting import collecting

#: Files that no runtime loads, by name, at any depth of a code folder (case does not matter).
DEFAULT_NOT_CODE: tuple[str, ...] = (
    "*.md",
    "*.markdown",
    "*.rst",
    "LICENSE*",
    "LICENCE*",
    "CHANGELOG*",
    "CHANGES*",
    "AUTHORS*",
    "NOTICE*",
    "CONTRIBUTING*",
    ".gitignore",
    ".editorconfig",
)

_PATTERNS: ContextVar[tuple[str, ...]] = ContextVar(
    "latest_guard_not_code", default=DEFAULT_NOT_CODE
)


@contextmanager
def not_code_patterns(extra: Sequence[str] = (), *, defaults: bool = True) -> Iterator[None]:
    """Templates loaded in the block leave out of their code hashes the files ``extra`` names,
    besides the defaults (unless ``defaults`` is False).

    A pattern is a glob (``*``, ``?``, ``[...]``), matched without regard to case against the
    path of a file relative to the code folder, ``/`` between folders. A pattern without ``/``
    matches a file's name at any depth (``*.txt``, ``NOTES``); one with ``/`` matches the
    whole relative path, and its ``*`` crosses folders (``docs/*`` and ``docs/**`` both name
    everything under ``docs/``; a leading ``**/`` also matches at the top); a pattern ending in
    ``/`` names everything under that folder.
    """
    chosen = (*(DEFAULT_NOT_CODE if defaults else ()), *extra)
    token = _PATTERNS.set(tuple(dict.fromkeys(_normal(p) for p in chosen if p.strip())))
    try:
        yield
    finally:
        _PATTERNS.reset(token)


def configured_not_code(config: Config) -> AbstractContextManager[None]:
    """:func:`not_code_patterns` as the project's configuration sets them."""
    return not_code_patterns(config.code_ignore, defaults=config.code_ignore_defaults)


def _normal(pattern: str) -> str:
    pattern = pattern.strip().lower().removeprefix("./").lstrip("/")
    return pattern + "*" if pattern.endswith("/") else pattern


def is_not_code(relative: Path) -> bool:
    """Whether the file at ``relative`` (inside a code folder) is one no runtime loads."""
    whole = PurePosixPath(relative.as_posix().lower())
    text = str(whole)
    for pattern in _PATTERNS.get():
        if "/" not in pattern:
            if fnmatch.fnmatchcase(whole.name, pattern):
                return True
        elif fnmatch.fnmatchcase(text, pattern) or (
            pattern.startswith("**/") and fnmatch.fnmatchcase(text, pattern[3:])
        ):
            return True
    return False


@dataclass(frozen=True)
class HashedCode:
    """A local code folder as hashed on one side: what it is for, its code's hash, and the
    hash of each file in it that is not code (by path relative to the folder)."""

    stack: str
    property: str  # "CodeUri", "ContentUri", "DefinitionUri" or "DockerContext"
    value: str  # as written in the template
    resources: tuple[str, ...]
    digest: str
    not_code: Mapping[str, str]


_RECORDER: ContextVar[list[HashedCode] | None] = ContextVar(
    "latest_guard_hashed_code", default=None
)


def recording_hashes() -> AbstractContextManager[list[HashedCode]]:
    """Collect the code folders hashed by every template loaded in the block."""
    return collecting(_RECORDER)


def record_hash(hashed: HashedCode) -> None:
    """Hand ``hashed`` to the active :func:`recording_hashes`, if any."""
    recorder = _RECORDER.get()
    if recorder is not None:
        recorder.append(hashed)


def with_not_code_notes(
    new: Sequence[StackTemplate],
    new_hashes: Sequence[HashedCode],
    old_hashes: Sequence[HashedCode],
    *,
    any_stack: bool,
) -> list[StackTemplate]:
    """Each new-side stack with a note for every code folder whose only change, against the
    baseline, is in files no runtime loads. A folder is matched across the sides by its stack
    (any stack with ``any_stack``: a file baseline), the resource and the property."""
    old: dict[tuple[str, str, str], HashedCode] = {}
    for hashed in old_hashes:
        for resource in hashed.resources:
            old[("*" if any_stack else hashed.stack, resource, hashed.property)] = hashed
    found: dict[str, dict[tuple[str, str, tuple[str, ...]], list[str]]] = {}
    for hashed in new_hashes:
        for resource in hashed.resources:
            before = old.get(("*" if any_stack else hashed.stack, resource, hashed.property))
            if before is None or before.digest != hashed.digest:
                continue
            changed = _changed(before.not_code, hashed.not_code)
            if changed:
                key = (hashed.property, hashed.value, changed)
                found.setdefault(hashed.stack, {}).setdefault(key, []).append(resource)
    out: list[StackTemplate] = []
    for stack in new:
        notes = [
            _note(value, changed, resources)
            for (_, value, changed), resources in found.get(stack.name, {}).items()
        ]
        out.append(replace(stack, notes=(*stack.notes, *dict.fromkeys(notes))) if notes else stack)
    return out


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[str, ...]:
    """The files added, removed or edited between two sides."""
    return tuple(sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n)))


def _note(value: str, changed: tuple[str, ...], resources: list[str]) -> str:
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    names = ", ".join(dict.fromkeys(resources))
    folder = value if value.rstrip("/") not in ("", ".") else "./"
    return (
        f"only files no runtime loads changed in {folder} ({shown}): not a code change of "
        f"{names}. sam deploy uploads them, so CloudFormation updates the function's code, "
        "but the code the runtime runs is the same: $LATEST mixing it with the new "
        "configuration is harmless"
    )
