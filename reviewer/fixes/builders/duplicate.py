"""A copy of one resource, written right after it, with its text as the user wrote it.

The copy keeps every property, comment, tag and quote of the original; only its logical id and
the values ``rewrite`` edits differ. It is made by reading the resource's lines as a template of
their own (``Resources:`` and the resource), editing that, and inserting the result after the
original, in YAML and in JSON. A resource that declares or uses a YAML anchor is not copied: the
copy would declare the anchor twice or lose what it points at.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

from reviewer.fixes.edit.document import Document, DocumentError, Node
from reviewer.fixes.edit.operations import OperationError, requoted
from reviewer.fixes.edit.textedit import TextEdits

#: ``rewrite(copy, edits, properties)``: edits the copy's Properties; returns how many values.
Rewrite = Callable[[Document, TextEdits, Node], int]


def duplicate_resource(
    document: Document, edits: TextEdits, logical_id: str, new_id: str, rewrite: Rewrite
) -> None:
    """Insert a copy of ``logical_id`` named ``new_id`` after it, ``rewrite`` applied to it."""
    section = document.root.get("Resources")
    pair = section.pair(logical_id) if section is not None else None
    if section is None or pair is None or (section.flow and document.kind == "yaml"):
        raise OperationError(f"resource {logical_id} is not written as a block in this file")
    key, value = pair
    start = document.line_start(key.start)
    if document.text[start : key.start].strip():
        raise OperationError(f"resource {logical_id} shares its first line with other text")
    if document.kind == "json":
        end = value.end
        head, tail = '{"Resources": {\n', "\n}}"
    else:
        end = document.line_end(document.content_end(value))
        head, tail = "Resources:\n", ""
    block = document.text[start:end]
    if document.kind == "yaml" and _uses_anchors(block):
        raise OperationError(f"resource {logical_id} declares or uses a YAML anchor")
    try:
        copy = Document(document.path, head + block + tail)
    except DocumentError as exc:
        raise OperationError(f"resource {logical_id} cannot be read on its own: {exc}") from None
    copied = copy.root.get("Resources")
    copied_pair = copied.pair(logical_id) if copied is not None else None
    properties = copied_pair[1].get("Properties") if copied_pair is not None else None
    if copied_pair is None or properties is None:
        raise OperationError(f"resource {logical_id} has no Properties to copy")
    changes = TextEdits(copy.text)
    copied_key = copied_pair[0]
    changes.replace(copied_key.start, copied_key.end, requoted(copy, copied_key, new_id))
    if not rewrite(copy, changes, properties):
        raise OperationError(f"nothing to change in the copy of {logical_id}")
    result = changes.result()
    text = result[len(head) : len(result) - len(tail)]
    if document.kind == "json":
        edits.insert(end, ",\n" + text)
    else:
        edits.insert(end, text if document.text[end - 1 : end] == "\n" else "\n" + text)


def _uses_anchors(text: str) -> bool:
    try:
        events = list(yaml.parse("Resources:\n" + text))
    except yaml.YAMLError:
        return True
    return any(
        isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) for event in events
    )
