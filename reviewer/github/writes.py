"""Writes that happen once, even when GitHub's answer is lost.

GitHub may answer 502 (or the connection may drop) after it carried out a POST: the review
is there, the answer is not. The HTTP layer therefore never sends a POST or a PATCH again by
itself (``client``). ``Writer.once`` does, after it has looked for what the write would have
made, by the markers this run wrote into it (the finding markers of a review or comment, the
summary marker, the check run's ``external_id``): what is there is taken as the answer, and
only what is not is sent again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO, TypeVar

from github.GithubException import GithubException

from reviewer.github.api import status_of
from reviewer.github.workflow import log_line

T = TypeVar("T")
L = TypeVar("L")


def lost_answer(exc: BaseException) -> bool:
    """A failure after which the write may have landed: a server error or a connection
    that ended without an answer (requests' errors are OSErrors)."""
    if isinstance(exc, GithubException):
        status = status_of(exc)
        return status is not None and status >= 500
    return isinstance(exc, OSError)


@dataclass(frozen=True)
class Writer:
    """Sends writes once (module doc): ``attempts`` in all, ``wait`` seconds apart at first,
    doubling; what happened is said in ``log``."""

    log: TextIO | None = None
    wait: float = 2.0
    attempts: int = 3

    def once(self, what: str, send: Callable[[], T], landed: Callable[[], L | None]) -> T | L:
        """``send()``; when its answer is lost, ``landed()`` says whether it was carried out
        anyway (what it made, or None), and only when it was not is it sent again."""
        attempt = 1
        while True:
            try:
                return send()
            except (GithubException, OSError) as exc:
                if not lost_answer(exc):
                    raise
                found = landed()
                if found is not None:
                    self._say(f"GitHub's answer to {what} was lost, but it was done")
                    return found
                if attempt >= self.attempts:
                    raise
                self._say(f"GitHub's answer to {what} was lost and it was not done: "
                          "sending it again")
                time.sleep(self.wait * 2 ** (attempt - 1))
                attempt += 1

    def edit(self, what: str, send: Callable[[], T]) -> T:
        """An edit that leaves the same result however often it is sent (a comment's new
        body): sent again when its answer is lost."""
        return self.once(what, send, lambda: None)

    def _say(self, text: str) -> None:
        if self.log is not None:
            log_line(self.log, text)
