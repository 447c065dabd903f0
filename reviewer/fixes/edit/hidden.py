"""The lines of a template that a patch never shows as context: they hold secret-bearing values.

latest-guard prints no value of an environment variable, a tag or a parameter, anywhere. A
patch shows the lines it changes and, as context, the lines around them; the builders never
change such a value, and :mod:`reviewer.fixes.edit.textedit` keeps these lines out of the context.

Hidden are the lines of every value (not key) below ``Environment``, ``Tags`` and a resource's
``Parameters`` (a nested stack's, a SAM application's), at any depth, in their Serverless
spellings too; and below ``Default`` and ``AllowedValues`` of the template's own
``Parameters``. A text that cannot be read as a template hides every line.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from reviewer.fixes.edit.document import Document, DocumentError, Node

#: Keys whose whole value is secret-bearing, wherever they are (top-level ``Parameters`` aside).
SECRET_KEYS = frozenset({
    "Environment", "environment", "Tags", "tags", "stackTags", "Parameters", "params",
    "stackParameters",
})
#: Keys of a parameter's declaration that hold its values.
PARAMETER_VALUES = frozenset({"Default", "AllowedValues"})


class Everything(frozenset[int]):
    """Every line (a text that cannot be read as a template)."""

    def __contains__(self, line: object) -> bool:
        return True


@lru_cache(maxsize=4)
def hidden_lines(document: Document) -> frozenset[int]:
    """The 0-based lines of ``document`` that show a secret-bearing value."""
    lines: set[int] = set()
    for node in _secret_values(document.root):
        for leaf in _scalars(node):
            first = document.position(leaf.start)[0] - 1
            last = document.position(max(leaf.start, document.content_end(leaf) - 1))[0] - 1
            lines.update(range(first, last + 1))
    return frozenset(lines)


def _scalars(node: Node) -> Iterator[Node]:
    """The scalar values in ``node`` (keys left out: a key names, a value may tell)."""
    if node.kind == "scalar":
        yield node
    elif node.kind == "map":
        for _, value in node.pairs:
            yield from _scalars(value)
    else:
        for item in node.items:
            yield from _scalars(item)


@lru_cache(maxsize=4)
def hidden_lines_of(path: str, text: str) -> frozenset[int]:
    """:func:`hidden_lines` of a text; every line when it is not a template."""
    try:
        document = Document(Path(path), text)
    except DocumentError:
        return Everything()
    return hidden_lines(document)


def _secret_values(root: Node) -> Iterator[Node]:
    if root.kind != "map":
        yield from _below(root)
        return
    for key, value in root.pairs:
        if key.value == "Parameters" and value.kind == "map":
            for _, declaration in value.pairs:
                if declaration.kind != "map":
                    yield declaration
                    continue
                for name, setting in declaration.pairs:
                    if name.value in PARAMETER_VALUES:
                        yield setting
        else:
            yield from _below(value)


def _below(node: Node) -> Iterator[Node]:
    """The values under a secret key below ``node``."""
    if node.kind == "map":
        for key, value in node.pairs:
            if key.value in SECRET_KEYS:
                yield value
            else:
                yield from _below(value)
    elif node.kind == "seq":
        for item in node.items:
            yield from _below(item)
