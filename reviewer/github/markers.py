"""Hidden HTML comments that let a later run recognise what an earlier run posted.

The sticky summary comment starts with ``<!-- latest-guard:summary -->``. Every inline review
comment starts with ``<!-- latest-guard:finding:<fingerprint> -->``, and a review body lists
one such marker per finding it carries. The fingerprint (``Finding.fingerprint``) depends on
the rule, the stack, the function and the names of the changed properties, not on line
numbers or wording, so a re-run finds what it already said even after a rebase.

Only a marker at the very start of a comment identifies a comment as ours: a person quoting
one of our comments quotes it behind ``>`` and is left alone.
"""

from __future__ import annotations

import re

SUMMARY_MARKER = "<!-- latest-guard:summary -->"
#: First line of the body of a review we post; the finding markers follow.
REVIEW_MARKER = "<!-- latest-guard:review -->"
_FINDING_PREFIX = "<!-- latest-guard:finding:"
_FINDING = re.compile(r"<!-- latest-guard:finding:([0-9a-f]{16}) -->")


def finding_marker(fingerprint: str) -> str:
    return f"{_FINDING_PREFIX}{fingerprint} -->"


def is_summary(body: str | None) -> bool:
    return bool(body) and str(body).startswith(SUMMARY_MARKER)


def comment_fingerprint(body: str | None) -> str | None:
    """The fingerprint of an inline comment we posted, or None for anyone else's comment."""
    if not body or not body.startswith(_FINDING_PREFIX):
        return None
    match = _FINDING.match(body)
    return match.group(1) if match else None


def body_fingerprints(body: str | None) -> set[str]:
    """Every finding a review body of ours lists (a body that does not start with a marker
    of ours is someone else's and lists nothing)."""
    if not body or not body.startswith(REVIEW_MARKER):
        return set()
    return set(_FINDING.findall(body))
