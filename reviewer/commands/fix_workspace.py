"""Where ``latest-guard fix`` works: temporary copies of the user's files.

Each round of ``fix`` writes the text fixed so far and analyses it again. A template that
names files relative to itself, files that exist there (SAM's ``CodeUri: src/``, whose content
decides whether the code changed; an ``AWS::Include``'d OpenAPI file; a Docker context), is
copied into its own folder under a hidden name (``.template.yaml.latest-guard-fix-k3j9.yaml``),
so that they stay reachable; the copy is loaded under the original's stack name and removed on
the way out, also when the run fails or is interrupted. Any other template, or one whose folder
cannot be written to, is copied into a temporary folder, with the local templates it nests.
An input error about a copy names the user's file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reviewer.errors import InputError
from reviewer.fixes.edit.document import Document, DocumentError
from reviewer.fixes.edit.source import read_file
from reviewer.model.template import StackTemplate
from reviewer.sources import load_side

MARK = ".latest-guard-fix-"


@dataclass(frozen=True)
class Copy:
    """A working copy of one template: where it is, and the stack name of the original."""

    path: Path
    original: Path

    @property
    def stack_name(self) -> str:
        return self.original.stem

    def write(self, text: str) -> None:
        self.path.write_text(text, encoding="utf-8")

    def load(self, name: str | None = None) -> list[StackTemplate]:
        """The stacks of the copy, the top one named ``name`` (the original stack's name:
        a stack of a monorepo is named by its path), else after the original file."""
        return load_side(self.path, name or self.stack_name)


@contextmanager
def copies(*originals: Path) -> Iterator[list[Copy]]:
    """A working copy of each of ``originals``, removed again on exit."""
    made: list[Copy] = []
    holders: list[Path] = []
    try:
        for original in originals:
            beside = _beside(original) if names_local_files(original) else None
            made.append(beside or _elsewhere(original, holders))
        with named_as_given({c.path: c.original for c in made}):
            yield made
    finally:
        for copy in made:
            with contextlib.suppress(OSError):
                copy.path.unlink()
        for holder in holders:
            shutil.rmtree(holder, ignore_errors=True)


#: Properties whose value may be a path relative to the template.
LOCAL_PATH_KEYS = frozenset({
    "CodeUri", "ContentUri", "DefinitionUri", "Location", "DockerContext", "BodyS3Location",
    "DefinitionS3Location",
})


def names_local_files(template: Path) -> bool:
    """Whether ``template`` names, relative to itself, a file or folder that exists there."""
    text = read_file(template)
    if text is None or not any(key in text for key in LOCAL_PATH_KEYS):
        return False
    try:
        document = Document(template, text)
    except DocumentError:
        return False
    for node in document.root.walk():
        for key, value in node.pairs if node.kind == "map" else ():
            if key.value not in LOCAL_PATH_KEYS or value.kind != "scalar" or value.tag:
                continue
            name = value.value or ""
            if name and "://" not in name and (template.parent / name).exists():
                return True
    return False


def _beside(original: Path) -> Copy | None:
    folder = original.parent
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{original.name}{MARK}", suffix=original.suffix, dir=folder
        )
    except OSError:
        return None
    os.close(handle)
    return Copy(Path(name), original)


def _elsewhere(original: Path, holders: list[Path]) -> Copy:
    holder = Path(tempfile.mkdtemp(prefix=MARK.lstrip(".")))
    holders.append(holder)
    copy = holder / original.name
    copy_nested(original, copy)
    return Copy(copy, original)


def copy_nested(template: Path, copy: Path) -> None:
    """The local templates ``template`` nests, copied beside ``copy`` where the loader looks."""
    try:
        stacks = load_side(template)
    except InputError:
        return
    root = template.parent.resolve()
    for stack in stacks:
        source = stack.path.resolve()
        if source == template.resolve():
            continue
        try:
            relative = source.relative_to(root)
        except ValueError:
            continue
        target = copy.parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


@contextmanager
def named_as_given(copies: Mapping[Path, Path]) -> Iterator[None]:
    """An input error found in a temporary copy names the user's file instead."""
    try:
        yield
    except InputError as exc:
        given = copies.get(Path(exc.path))
        if given is None:
            raise
        raise InputError(given, exc.message, exc.line) from None
