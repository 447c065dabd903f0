"""The user's file behind a stack template, read again and checked to be what was analysed.

A stack keeps its path, not its text. The file at that path is read and loaded again; only
when it loads to the very template that was analysed (after SAM expansion for a SAM
template) is it edited. A baseline read from a git revision shares the path of the working
copy but not its text: it does not match, and no edit is made against it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reviewer.errors import InputError
from reviewer.fixes.document import Document, DocumentError
from reviewer.model.template import StackTemplate
from reviewer.sources.files import load_template_text


def display_path(path: Path) -> str:
    """A path as it goes into a patch header or an edit: relative to the working folder when
    it lies inside it, with forward slashes."""
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        shown = path
    return shown.as_posix()


def source_document(stack: StackTemplate) -> Document | None:
    """The document the user wrote for ``stack`` (the SAM source of a SAM stack), or None when
    the file is gone or no longer holds what was analysed."""
    if stack.framework not in ("cloudformation", "sam"):
        return None
    text = read_file(stack.path)
    if text is None or not _matches(stack, text):
        return None
    try:
        return Document(stack.path, text)
    except DocumentError:
        return None


def read_file(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _matches(stack: StackTemplate, text: str) -> bool:
    try:
        loaded = load_template_text(stack.path, text, stack.name)
    except InputError:
        return False
    if stack.framework != "sam":
        return loaded.body == stack.body
    from reviewer.sources.sam import expand

    loaded = replace(loaded, parameter_values=stack.parameter_values)
    try:
        return expand(loaded).body == stack.body
    except InputError:
        return False
