"""Words GitHub would act on in rendered text: mentions, issue references and bare URLs.

GitHub turns ``@name`` into a mention (a team or a user is notified), ``#123`` and
``owner/repo#123`` into references (a cross-reference is recorded on that issue), and GFM
turns ``https://...`` and ``www....`` into links, wherever they stand in text outside code.
``quiet`` puts an invisible word joiner (U+2060) after ``@`` and ``#`` and inside ``://``
and ``www.``: the text reads the same and none of them is recognised.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

_TRIGGERS = re.compile(r"[@#]|(?<=:)(?=//)|(?<=\bwww)(?=\.)", re.IGNORECASE)
#: Line breaks, tabs and the other control characters: a name is shown on one line.
_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str) -> str:
    """``text`` with every run of white space and control characters made one space."""
    return _SPACE.sub(" ", text).strip()


def quiet(text: str) -> str:
    """``text`` with a word joiner after each ``@`` and ``#`` and inside each URL scheme."""
    return _TRIGGERS.sub(lambda m: m.group(0) + WORD_JOINER, text)
