"""Template text as one line of plain text: a check run's title, an annotation, SARIF.

GitHub shows these as text (never as HTML or Markdown), so nothing is escaped but the line
breaks and control characters, which could forge a second line. SARIF's ``message.text``
reads ``[text](id)`` as an embedded link, and its escapes (``\\[``, ``\\]``, ``\\\\``) are
what ``sarif`` applies.
"""

from __future__ import annotations

import re

from reviewer.report.escape.inert_words import one_line

_SARIF_SPECIAL = re.compile(r"([\\\[\]])")


def text(value: str) -> str:
    """``value`` on one line."""
    return one_line(value)


def sarif(value: str) -> str:
    """``value`` on one line, as SARIF plain text without embedded links."""
    return _SARIF_SPECIAL.sub(r"\\\1", one_line(value))
