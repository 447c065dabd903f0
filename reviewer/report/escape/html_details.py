"""Template text inside raw HTML: the ``<details><summary>...</summary>`` line of a comment.

A line that starts with ``<details>`` is an HTML block to GFM: what follows on it is passed
through as HTML, not read as Markdown. So a backslash escape or a code span written with
backticks does nothing there; text must be HTML-escaped (``<``, ``>``, ``&`` and quotes as
entities) and code written as ``<code>``. Mentions, references and bare URLs are made inert
(``inert_words``): GitHub looks for them in the text of the HTML too.
"""

from __future__ import annotations

import html

from reviewer.report.escape.inert_words import one_line, quiet


def text(value: str) -> str:
    """``value`` as HTML text on one line."""
    return html.escape(quiet(one_line(value)), quote=True)


def code(value: str) -> str:
    """``value`` as an HTML ``<code>`` element (GitHub links nothing inside it)."""
    return f"<code>{html.escape(one_line(value), quote=True)}</code>"
