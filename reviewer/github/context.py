"""The run's GitHub context: repository, commit and pull request, from the runner's files.

The runner describes the event in the JSON file at ``GITHUB_EVENT_PATH`` and names it in
``GITHUB_EVENT_NAME``:

- ``pull_request`` / ``pull_request_target``: the pull request is in the payload. The commit
  to report on is its head (``GITHUB_SHA`` is the temporary merge commit, on which a check run
  would not show on the pull request). A head in another repository is a fork, whose run gets
  a read-only token.
- ``workflow_run``: the run of another workflow finished. Its ``head_sha`` is the commit;
  ``workflow_run.pull_requests`` names the pull request for branches of this repository but is
  empty for forks, so the pull request is then looked up from the head commit through the API
  (``PullRequestLookup``, filled in by the publisher).
- anything else (``push``, ``workflow_dispatch``...): no pull request; a check run still goes
  on ``GITHUB_SHA``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.errors import InputError

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True)
class PullRequestLookup:
    """What is needed to find a fork's pull request from a ``workflow_run`` event."""

    head_sha: str
    head_owner: str | None
    head_branch: str | None


@dataclass(frozen=True)
class RunContext:
    """Everything the publisher needs to know about where it runs."""

    repository: str  # owner/name
    event: str
    head_sha: str
    pull_number: int | None = None
    fork: bool = False
    lookup: PullRequestLookup | None = None
    run_url: str | None = None
    #: The commit the change is compared with in git: the pull request's base, or the commit
    #: a push moved the branch from.
    base_sha: str | None = None
    #: The branch a pull request merges into (``main``).
    base_ref: str | None = None

    @property
    def owner(self) -> str:
        return self.repository.partition("/")[0]


def from_environment(env: Mapping[str, str] | None = None) -> RunContext:
    """The context of this run, from the runner's environment variables and event file."""
    env = os.environ if env is None else env
    repository = env.get("GITHUB_REPOSITORY", "")
    if "/" not in repository:
        raise InputError("GITHUB_REPOSITORY", "is not set to owner/name: not in a workflow?")
    event = env.get("GITHUB_EVENT_NAME", "")
    payload = read_event(env.get("GITHUB_EVENT_PATH"))
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    run_id = env.get("GITHUB_RUN_ID")
    run_url = f"{server}/{repository}/actions/runs/{run_id}" if run_id else None
    sha = env.get("GITHUB_SHA", "")
    if event in PULL_REQUEST_EVENTS:
        return _pull_request(repository, event, payload, run_url, sha)
    if event == "workflow_run":
        return _workflow_run(repository, payload, run_url, sha)
    before = payload.get("before")
    base = before if isinstance(before, str) and before.strip("0") else None
    return RunContext(repository, event, sha, run_url=run_url, base_sha=base)


def read_event(path: str | None) -> Mapping[str, Any]:
    """The event payload; an empty one when the runner gave no event file."""
    if not path:
        return {}
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "the event file (GITHUB_EVENT_PATH) does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"the event file cannot be read: {exc}") from None
    return _object(payload)


def _pull_request(
    repository: str, event: str, payload: Mapping[str, Any], run_url: str | None, sha: str
) -> RunContext:
    pull = _object(payload.get("pull_request"))
    number = pull.get("number", payload.get("number"))
    head = _object(pull.get("head"))
    head_sha = head.get("sha")
    if not isinstance(number, int) or not isinstance(head_sha, str):
        raise InputError("GITHUB_EVENT_PATH", f"the {event} event names no pull request")
    head_repo = _object(head.get("repo")).get("full_name")
    base_repo = _object(_object(pull.get("base")).get("repo")).get("full_name", repository)
    # A deleted head repository (null) was a fork: its branch cannot be in this repository.
    fork = head_repo != base_repo
    base_sha = _object(pull.get("base")).get("sha")
    base_ref = _object(pull.get("base")).get("ref")
    return RunContext(
        repository, event, head_sha or sha, number, fork, run_url=run_url,
        base_sha=base_sha if isinstance(base_sha, str) else None,
        base_ref=base_ref if isinstance(base_ref, str) and base_ref else None,
    )


def _workflow_run(
    repository: str, payload: Mapping[str, Any], run_url: str | None, sha: str
) -> RunContext:
    run = _object(payload.get("workflow_run"))
    head_sha = run.get("head_sha")
    if not isinstance(head_sha, str) or not head_sha:
        raise InputError("GITHUB_EVENT_PATH", "the workflow_run event names no head commit")
    head_repo = _object(run.get("head_repository"))
    fork = head_repo.get("full_name", repository) != repository
    for pull in run.get("pull_requests") or []:
        entry = _object(pull)
        number = entry.get("number")
        base_repo = _object(_object(entry.get("base")).get("repo")).get("name")
        if isinstance(number, int) and base_repo in (None, repository.partition("/")[2]):
            return RunContext(repository, "workflow_run", head_sha, number, fork, run_url=run_url)
    owner = _object(head_repo.get("owner")).get("login")
    branch = run.get("head_branch")
    lookup = PullRequestLookup(
        head_sha,
        owner if isinstance(owner, str) else None,
        branch if isinstance(branch, str) else None,
    )
    return RunContext(repository, "workflow_run", head_sha or sha, None, fork, lookup, run_url)


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
