"""The user's file behind a stack template, read again and checked to be what was analysed.

A stack keeps its path and the SHA-256 of the text it was loaded from (a SAM stack: the SAM
source, before expansion). The file at that path is edited only while it still holds that
text. A baseline read from a git revision shares the path of the working copy but not its
text: it does not match, and no edit is made against it; a deployed stack was not read from a
file at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reviewer.contract.enums import Framework
from reviewer.contract.paths import shown
from reviewer.fixes.edit.document import Document, DocumentError
from reviewer.model.template import StackTemplate
from reviewer.sources.text.files import text_digest


def display_path(path: Path) -> str:
    """A path as it goes into a patch header or an edit: relative to the working folder when
    it lies inside it, with forward slashes."""
    return shown(path)


def source_document(stack: StackTemplate) -> Document | None:
    """The document the user wrote for ``stack`` (the SAM source of a SAM stack), or None when
    the file is gone or no longer holds the text the stack was loaded from.

    Read and parsed once per file state: a template with many findings is not read again for
    each.
    """
    editable = stack.framework in (Framework.CLOUDFORMATION, Framework.SAM)
    if not editable or stack.source_digest is None:
        return None
    try:
        status = stack.path.stat()
    except OSError:
        return None
    return _document(stack.path, stack.source_digest, status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=8)
def _document(path: Path, digest: str, size: int, modified_ns: int) -> Document | None:
    """The document at ``path`` when its text still has ``digest``; ``size`` and
    ``modified_ns`` only key the cache, so that a file written since is read again."""
    del size, modified_ns
    text = read_file(path)
    if text is None or text_digest(text) != digest:
        return None
    try:
        return Document(path, text)
    except DocumentError:
        return None


def read_file(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
