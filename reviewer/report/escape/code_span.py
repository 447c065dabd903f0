"""Template text as an inline Markdown code span: nothing inside it is markup.

The span's fence is one backtick longer than any run of backticks inside, with a space of
padding when the text starts or ends with a backtick, so the text cannot close it. Inside a
code span GitHub links neither mentions nor references, and HTML is shown as text, so the
text stays as it is (copied from the comment, a path still works), on one line.
"""

from __future__ import annotations

import re

from reviewer.report.escape.inert_words import one_line


def code(value: str, *, pipes: bool = False) -> str:
    """``value`` as a code span; ``pipes``: ``|`` escaped, for a GFM table cell."""
    flat = one_line(value)
    if pipes:
        flat = flat.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
