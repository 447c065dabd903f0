"""Template text in a cell of a GFM table.

GFM splits a row at every unescaped ``|``, inside a code span too, and ends it at a line
break; so text is escaped as Markdown on one line (``markdown_inline``, which escapes ``|``),
and a code span's ``|`` becomes ``\\|``, which GFM reads back as ``|`` inside the span.
"""

from __future__ import annotations

from reviewer.report.escape import code_span, markdown_inline


def text(value: str) -> str:
    """``value`` as inert Markdown in a table cell."""
    return markdown_inline.text(value)


def code(value: str) -> str:
    """``value`` as a code span in a table cell."""
    return code_span.code(value, pipes=True)
