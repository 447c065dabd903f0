"""Template text as the label of a Mermaid participant or message.

A label ends at a line break or ``;``; ``%%`` starts a comment or an ``%%{init}`` directive,
``:`` and arrows (``-->``) are statement syntax, quotes and backticks start strings and
Markdown labels. So only letters, digits and a few marks stay as they are; every other
character is written as a Mermaid entity code (``#59;``), which the diagram shows as the
character itself and the parser never reads as syntax.
"""

from __future__ import annotations

from reviewer.report.escape.inert_words import one_line

#: Characters a label may carry as they are; anything else becomes an entity code.
_PLAIN = frozenset(" _.,()/$+-→✖…")


def label(value: str) -> str:
    """``value`` as one Mermaid label."""
    return "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in _PLAIN else f"#{ord(ch)};"
        for ch in one_line(value)
    )
