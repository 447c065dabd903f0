"""Small helpers over PyGithub objects, shared by the review, summary and check modules.

PyGithub completes a listed object with one more request when code reads an attribute the
listing did not include (``in_reply_to_id`` of a comment that is no reply, for one). The
publisher only needs what the listing holds, so it reads the listed JSON through ``raw``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from github.GithubException import GithubException
from github.GithubObject import GithubObject


def raw(item: GithubObject) -> dict[str, Any]:
    """The JSON of a listed object as the listing returned it, without completing it."""
    # ``raw_data`` would complete the object first; the listed JSON is kept in ``_rawData``.
    data: Any = getattr(item, "_rawData", None)
    return data if isinstance(data, dict) else {}


def listed(items: Iterable[Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each object of a paginated list with its listed JSON (every page is fetched)."""
    for item in items:
        yield item, raw(item)


def status_of(exc: BaseException) -> int | None:
    return exc.status if isinstance(exc, GithubException) else None


def delete_if_present(item: Any) -> None:
    """Delete one of our comments; one already gone (a retried DELETE that had landed) is
    deleted as well as it can be."""
    try:
        item.delete()
    except GithubException as exc:
        if status_of(exc) != 404:
            raise


def message_of(exc: BaseException) -> str:
    """GitHub's message for a failed request, on one line (no request data, no headers)."""
    if isinstance(exc, GithubException):
        data = exc.data
        text = data.get("message") if isinstance(data, dict) else None
        errors = data.get("errors") if isinstance(data, dict) else None
        details = []
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                details.append(error["message"])
            elif isinstance(error, dict) and error.get("field") and error.get("code"):
                details.append(f"{error['field']}: {error['code']}")
            elif isinstance(error, str):
                details.append(error)
        line = str(text or f"HTTP {exc.status}")
        if details:
            line += " (" + "; ".join(details) + ")"
        return " ".join(line.split())
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def is_permission_error(exc: BaseException) -> bool:
    """403 (read-only token, fork) or 404 (a token that cannot see the resource); a rate
    limit, though a 403 too, is not one."""
    return status_of(exc) in (403, 404) and rate_limit_reset(exc) is None


def _header(exc: GithubException, name: str) -> str | None:
    headers = exc.headers or {}
    return next((str(v) for k, v in headers.items() if str(k).lower() == name), None)


def rate_limit_reset(exc: BaseException) -> datetime | None:
    """When the primary rate limit that refused ``exc`` resets (UTC), or None when ``exc``
    is no primary rate limit: 403 or 429 with ``x-ratelimit-remaining: 0`` or GitHub's
    "API rate limit exceeded". A limit without a readable reset time resets "now" as far
    as can be told (the epoch is never shown: see ``rate_limit_said``)."""
    if not isinstance(exc, GithubException) or exc.status not in (403, 429):
        return None
    data = exc.data
    message = str(data.get("message") or "") if isinstance(data, dict) else ""
    used_up = _header(exc, "x-ratelimit-remaining") == "0"
    if not used_up and not message.lower().startswith("api rate limit exceeded"):
        return None
    reset = _header(exc, "x-ratelimit-reset") or ""
    try:
        return datetime.fromtimestamp(int(float(reset)), UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, UTC)


def rate_limit_said(exc: BaseException) -> str | None:
    """``exc`` as a primary rate limit, in words with its reset time, or None."""
    reset = rate_limit_reset(exc)
    if reset is None:
        return None
    limit = _header(exc, "x-ratelimit-limit") if isinstance(exc, GithubException) else None
    per_hour = f" ({limit} requests an hour)" if limit and limit.isdigit() else ""
    when = (
        f"it resets at {reset:%Y-%m-%d %H:%M:%S} UTC" if reset.timestamp() > 0
        else "GitHub did not say when it resets"
    )
    return f"GitHub's API rate limit for this token is used up{per_hour}; {when}"


def is_unprocessable(exc: BaseException) -> bool:
    return status_of(exc) == 422
