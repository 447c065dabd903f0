"""Logical ids the fixes give: a hash suffix that follows what a resource captures, and no
clash with an id the template has."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Container
from typing import Any

HASH_LENGTH = 10
_HASH_SUFFIX = re.compile(rf"[0-9a-f]{{{HASH_LENGTH}}}$")


def digest_of(value: Any) -> str:
    """A short hash of a JSON-shaped value (keys sorted, so that order does not count)."""
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def hashed_id(base: str, digest: str) -> str:
    """``base`` with its hash suffix replaced by (or extended with) ``digest``."""
    stem = _HASH_SUFFIX.sub("", base) if _HASH_SUFFIX.search(base) else base
    return f"{stem}{digest}"


def unique_id(wanted: str, taken: Container[str]) -> str:
    """``wanted``, or ``wanted`` with the first number from 2 that makes it free.

    ``taken`` is asked, not copied (a stack's resources: a mapping by logical id), so that
    naming one resource does not cost the size of the template."""
    if wanted not in taken:
        return wanted
    return next(f"{wanted}{n}" for n in range(2, 1000) if f"{wanted}{n}" not in taken)


def id_part(name: str) -> str:
    """``name`` as part of a logical id: letters and digits only (``live-2`` gives ``Live2``)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))
