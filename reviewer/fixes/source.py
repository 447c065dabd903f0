"""The user's file behind a stack template, read again and checked to be what was analysed.

A stack keeps its path, not its text. The file at that path is read and loaded again; only
when it loads to the very template that was analysed (after SAM expansion for a SAM
template) is it edited. A baseline read from a git revision shares the path of the working
copy but not its text: it does not match, and no edit is made against it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from reviewer.errors import InputError
from reviewer.fixes.document import Document, DocumentError
from reviewer.model.template import StackTemplate
from reviewer.sources.files import load_template_text, text_digest


def display_path(path: Path) -> str:
    """A path as it goes into a patch header or an edit: relative to the working folder when
    it lies inside it, with forward slashes."""
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        shown = path
    return shown.as_posix()


#: Documents read for recent stacks, by the stack's id and the file's state: the builders ask
#: for the same stack's document once per function (the stack is kept in the entry, so that its
#: id is not reused while the entry lives).
_RECENT: OrderedDict[tuple[int, int, int], tuple[StackTemplate, Document | None]] = OrderedDict()
_RECENT_SIZE = 8


def source_document(stack: StackTemplate) -> Document | None:
    """The document the user wrote for ``stack`` (the SAM source of a SAM stack), or None when
    the file is gone or no longer holds what was analysed.

    Read, checked and parsed once per stack and state of the file (its size and modification
    time): a template with many findings is not read again for each.
    """
    if stack.framework not in ("cloudformation", "sam"):
        return None
    try:
        status = stack.path.stat()
    except OSError:
        return None
    key = (id(stack), status.st_size, status.st_mtime_ns)
    entry = _RECENT.get(key)
    if entry is not None and entry[0] is stack:
        _RECENT.move_to_end(key)
        return entry[1]
    document = _read_document(stack)
    _RECENT[key] = (stack, document)
    while len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)
    return document


def _read_document(stack: StackTemplate) -> Document | None:
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
    if stack.source_digest is not None:
        # The text it was loaded from (a SAM template expands the same way from the same text
        # and parameter values): no need to load it again.
        return text_digest(text) == stack.source_digest
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
