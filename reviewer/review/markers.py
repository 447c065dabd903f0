"""Hidden HTML comments that let a later run recognise what an earlier run posted.

The sticky summary comment starts with ``<!-- latest-guard:summary -->``. Every inline review
comment starts with ``<!-- latest-guard:finding:<fingerprint> -->``, and a review body lists
one such marker per finding it carries. A phase-one pull request's body starts with
``<!-- latest-guard:phase-one:<number> -->``, the number of the pull request it serves, and
then ``<!-- latest-guard-phase-one-functions: <keys> -->``, the functions it changes.
The fingerprint (``Finding.fingerprint``) depends on the rule, the stack, the function and
the names of the changed properties, not on line numbers or wording, so a re-run finds what
it already said even after a rebase.

Several instances of the action may review one pull request (a matrix over the services of a
monorepo). Each one names itself, and its markers carry the name:
``<!-- latest-guard[services/orders]:summary -->``. A run recognises only the markers of its
own instance, so it never edits or deletes another instance's comments. The instance without
a name keeps the plain markers.

Only a marker at the very start of a comment identifies a comment as ours: a person quoting
one of our comments quotes it behind ``>`` and is left alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

_PLAIN = re.compile(r"[A-Za-z0-9._/@+, ]+(?:-[A-Za-z0-9._/@+, ]+)*")
_UNSAFE = re.compile(r"[^A-Za-z0-9._/@+, ]+")
_PLAIN_LENGTH = 100
_FUNCTIONS = re.compile(r"<!-- latest-guard-phase-one-functions: ([0-9a-f ]*) -->")


def instance_key(instance: str) -> str:
    """``instance`` as it can stand inside an HTML comment, one key per name.

    A plain name (letters, digits, ``._/@+,``, spaces and single dashes, at most 100
    characters) is its own key. Any other name gets a readable part and ``~`` with a hash of
    the whole name: ``~`` is not in a plain name, so no two names share a key.
    """
    name = instance.strip()
    if not name or (len(name) <= _PLAIN_LENGTH and _PLAIN.fullmatch(name)):
        return name
    readable = _UNSAFE.sub("-", name)[:60].strip(" -")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
    return f"{readable}~{digest}"


@dataclass(frozen=True)
class Markers:
    """The markers of one instance (``""``: the unnamed one)."""

    instance: str = ""

    @cached_property
    def _prefix(self) -> str:
        key = instance_key(self.instance)
        return f"<!-- latest-guard[{key}]" if key else "<!-- latest-guard"

    @property
    def summary(self) -> str:
        return f"{self._prefix}:summary -->"

    @property
    def review(self) -> str:
        """First line of the body of a review we post; the finding markers follow."""
        return f"{self._prefix}:review -->"

    def summary_part(self, number: int) -> str:
        """First line of the summary's details comment ``number`` (from 1)."""
        return f"{self._prefix}:summary-details:{number} -->"

    def part_number(self, body: str | None) -> int | None:
        """The number of one of this instance's details comments, or None for any other."""
        match = self._part.match(body or "")
        return int(match.group(1)) if match else None

    @cached_property
    def _part(self) -> re.Pattern[str]:
        return re.compile(re.escape(self._prefix) + r":summary-details:([0-9]{1,4}) -->")

    def finding(self, fingerprint: str) -> str:
        return f"{self._prefix}:finding:{fingerprint} -->"

    def phase_one(self, number: int) -> str:
        """First line of the body of the phase-one pull request made for pull request
        ``number``."""
        return f"{self._prefix}:phase-one:{number} -->"

    @cached_property
    def _finding(self) -> re.Pattern[str]:
        return re.compile(re.escape(self._prefix) + r":finding:([0-9a-f]{16}) -->")

    def is_summary(self, body: str | None) -> bool:
        return bool(body) and str(body).startswith(self.summary)

    def comment_fingerprint(self, body: str | None) -> str | None:
        """The fingerprint of an inline comment of this instance, or None for any other."""
        if not body:
            return None
        match = self._finding.match(body)
        return match.group(1) if match else None

    def body_fingerprints(self, body: str | None) -> set[str]:
        """Every finding a review body of this instance lists (a body that does not start
        with its review marker is someone else's and lists nothing)."""
        if not body or not body.startswith(self.review):
            return set()
        return set(self._finding.findall(body))


def phase_one_functions(keys: Iterable[str]) -> str:
    """The line of a phase-one pull request's body that lists the keys of its functions."""
    return f"<!-- latest-guard-phase-one-functions: {' '.join(sorted(set(keys)))} -->"


def phase_one_functions_in(body: str | None) -> frozenset[str]:
    """The keys a phase-one pull request's body lists (none: edited by hand, or not ours)."""
    found = _FUNCTIONS.search(body) if isinstance(body, str) else None
    return frozenset(found.group(1).split()) if found else frozenset()


#: The unnamed instance's markers, as every earlier release wrote them.
DEFAULT = Markers()
SUMMARY_MARKER = DEFAULT.summary
REVIEW_MARKER = DEFAULT.review
