"""A PyGithub client with the retry policy GitHub asks integrators to follow.

- Secondary rate limits (403 or 429 with ``retry-after``, or a 403 whose message says
  "secondary rate limit") are retried for every request: GitHub refused it before doing
  anything. ``retry-after`` is honoured, up to ``max_wait`` seconds (a longer wait fails the
  request rather than hanging the job); so is a primary rate limit that resets within it.
- Server errors (5xx) and answers lost on the way back are retried here for reads and for
  the writes that may be sent twice (GET, PUT, DELETE), never for POST and PATCH: GitHub
  answers 502 to a POST that did land, and sending it again would post a review twice.
  ``writes.write_once`` sends those again, after looking for what landed.
- Writes are spaced (``write_interval``), as GitHub recommends to stay under the secondary
  limits (at most 80 content-creating requests a minute).

``RetrySettings.from_environment`` reads two variables meant for tests and impatient
self-hosted setups: ``LATEST_GUARD_RETRY_BACKOFF`` (the backoff base and the wait after a
secondary limit without ``retry-after``, seconds) and ``LATEST_GUARD_WRITE_INTERVAL``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from github import Auth, Github, GithubRetry

from reviewer import __version__

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class RetrySettings:
    attempts: int = 5
    backoff: float = 2.0
    max_wait: float = 120.0
    write_interval: float = 1.0
    read_interval: float = 0.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> RetrySettings:
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            backoff=_number(env.get("LATEST_GUARD_RETRY_BACKOFF"), defaults.backoff),
            write_interval=_number(
                env.get("LATEST_GUARD_WRITE_INTERVAL"), defaults.write_interval
            ),
        )


#: Writes that are not the same when sent twice (a second review, appended annotations).
NOT_IDEMPOTENT = frozenset({"POST", "PATCH"})
#: Answers by which GitHub refused a request before acting on it (rate limits).
REFUSED_UNDONE = frozenset({403, 429})


class _Retry(GithubRetry):
    """PyGithub's retry, with 429 retried too, ``retry-after`` capped at ``max_wait``, and
    POST and PATCH retried only when GitHub refused them undone (a rate limit)."""

    def __init__(self, max_wait: float = 120.0, **kwargs: Any) -> None:
        self.max_wait = max_wait
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> _Retry:
        retry = super().new(**kw)
        retry.max_wait = self.max_wait
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.max_wait)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() in NOT_IDEMPOTENT:
            if status_code not in REFUSED_UNDONE:
                return False
            # A rate limit: nothing was done, so the write is as safe to send again as a read.
            method = "GET"
        return bool(super().is_retry(method, status_code, has_retry_after))

    def increment(self, *args: Any, **kwargs: Any) -> Any:
        """Say in the log when GitHub made a request wait (PyGithub's own log is silenced)."""
        retry = super().increment(*args, **kwargs)
        response = kwargs.get("response", args[2] if len(args) > 2 else None)
        method = kwargs.get("method", args[0] if args else None)
        url = kwargs.get("url", args[1] if len(args) > 1 else None)
        if response is not None:
            path = urlsplit(str(url or "")).path
            sys.stdout.write(
                f"latest-guard: GitHub answered {response.status} to {method} {path}: "
                "retrying\n"
            )
            sys.stdout.flush()
        return retry


def connect(token: str, api_url: str | None, settings: RetrySettings) -> Github:
    """A client for the REST API at ``api_url`` (``GITHUB_API_URL``; GitHub.com when unset)."""
    logging.getLogger("github").setLevel(logging.WARNING)
    retry = _Retry(
        max_wait=settings.max_wait,
        total=settings.attempts,
        backoff_factor=settings.backoff,
        secondary_rate_wait=settings.backoff * 4,
        max_rate_limit_wait=settings.max_wait,
        status_forcelist=[429, *range(500, 600)],
        raise_on_status=False,
        respect_retry_after_header=True,
        # Read errors (the answer lost after the request was sent) retried for these only.
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}),
    )
    return Github(
        auth=Auth.Token(token),
        base_url=(api_url or DEFAULT_API_URL).rstrip("/"),
        user_agent=f"latest-guard/{__version__}",
        per_page=100,
        retry=retry,
        timeout=30,
        seconds_between_requests=settings.read_interval,
        seconds_between_writes=settings.write_interval,
        lazy=True,
    )


def _number(text: str | None, default: float) -> float:
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return value if value >= 0 else default
