"""Which account the token acts as: only that account's comments are ours.

Anyone who can comment on a pull request can paste latest-guard's hidden markers into a
comment or a review. A comment counts as ours (to edit as the summary, to delete as stale,
to count as a finding already posted) only when its marker is at its start *and* its
author is the account the token acts as:

- the workflow's ``GITHUB_TOKEN``: ``github-actions[bot]``. The Action knows it is that token
  (``action.yml`` compares ``github-token`` with ``github.token``); such a token cannot call
  ``GET /user``, and no request is needed;
- a personal access token: ``GET /user``'s login;
- a GitHub App's installation token: ``GET /user`` answers 403 ("Resource not accessible by
  integration") and ``GET /app`` needs the App's JWT, which an installation token is not;
  ``GET /installation/repositories`` answers but names no app. GraphQL's ``viewer`` does
  name it (``<slug>[bot]``, the login its comments carry), so that is asked.

When none of these answers, nothing is edited, deleted or counted (the caller posts no
comment and says why).
"""

from __future__ import annotations

from typing import Any

from github import Github
from github.GithubException import GithubException

from reviewer.github.api import status_of

#: The account the workflow's ``GITHUB_TOKEN`` acts as.
ACTIONS_BOT = "github-actions[bot]"
_VIEWER = "query { viewer { login } }"


def acting_login(github: Github, *, workflow_token: bool) -> str:
    """The login of the account the token acts as (module doc); raises GithubException
    when GitHub does not say."""
    if workflow_token:
        return ACTIONS_BOT
    try:
        login = github.get_user().login
    except GithubException as exc:
        if status_of(exc) != 403:
            raise
        _, data = github.requester.graphql_query(_VIEWER, {})
        login = _viewer_login(data)
    if not isinstance(login, str) or not login:
        raise GithubException(404, {"message": "GitHub named no account for the token"}, None)
    return login


def _viewer_login(data: dict[str, Any]) -> Any:
    viewer = (data.get("data") or {}).get("viewer") if isinstance(data, dict) else None
    return viewer.get("login") if isinstance(viewer, dict) else None


def authored_by(data: dict[str, Any], login: str) -> bool:
    """Whether the listed comment or review ``data`` was written by ``login``."""
    user = data.get("user")
    return isinstance(user, dict) and user.get("login") == login
