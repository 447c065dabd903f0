"""Template text inside a Markdown paragraph, heading, list item or table cell.

HTML is written as entities; every character that could start Markdown syntax (emphasis,
links and images, code spans, tables, strike-through, headings, GitHub's ``$`` math) is
escaped with a backslash; the text is put on one line, so it cannot end a list item, a table
row or a block quote; mentions, references and bare URLs are made inert (``inert_words``).
The result is safe in a GFM table cell as it is: ``|`` is always escaped.
"""

from __future__ import annotations

import html
import re

from reviewer.report.escape.inert_words import one_line, quiet

_SPECIAL = re.compile(r"([\\`*_\[\]|~#$!])")


def text(value: str) -> str:
    """``value`` as inert Markdown on one line."""
    escaped = html.escape(quiet(one_line(value)), quote=False)
    # html.escape turned <, > and & into entities already; escape the remaining syntax.
    return _SPECIAL.sub(r"\\\1", escaped)


def link_target(url: str) -> str:
    """A link target that cannot close the link, open HTML or run script.

    Only ``http`` and ``https`` URLs are links; anything else becomes ``#``. Spaces,
    brackets, parentheses and angle brackets are percent-encoded."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        return "#"
    return re.sub(r"[\s()<>\[\]\"'`\\]", lambda m: f"%{ord(m.group(0)):02X}", url)
