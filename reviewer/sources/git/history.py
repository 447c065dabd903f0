"""Which commit a pull request is compared with, and fetching it when a checkout lacks it.

A pull request's change is what its branch adds to the base branch at the point they meet:
``git merge-base <workspace commit> <base sha>``. With the merge-commit checkout (the default
of ``actions/checkout`` on ``pull_request``) that is the base tip the merge was made on; with a
checkout of the head commit it is where the branch left the base. Comparing with the base tip
itself instead would count the base's later changes as the pull request's, reversed.

``actions/checkout`` fetches one commit by default (``fetch-depth: 1``). Then the base commit
and the history between the two are missing: ``merge_base`` fetches them from ``origin``, by
commit id and with a growing depth, before it gives up with one line that names
``fetch-depth: 0``. A remote on the GitHub server that the checkout left without credentials
(``persist-credentials: false``) is given the workflow's token for these fetches only, through
git's environment configuration: it never appears on a command line, in the repository's
configuration or in the log.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from reviewer.errors import InputError
from reviewer.sources.git.baseline import add_config, run_git

#: Depths tried in turn for the history of both commits; a full fetch comes last.
FETCH_DEPTHS = (64, 1024)


@dataclass(frozen=True)
class MergeBase:
    """The commit to compare with, and the head commit it was found from."""

    commit: str
    head: str


def trust_repository(env: MutableMapping[str, str], path: Path) -> None:
    """Let git work in ``path`` whoever owns it (a self-hosted runner, a job ``container:``):
    add it to ``safe.directory`` through git's environment configuration in ``env``, which
    the git commands of this process and of the synth command inherit."""
    add_config(env, {"safe.directory": str(path)})


def merge_base(
    root: Path,
    base: str,
    *,
    head: str = "HEAD",
    token: str | None = None,
    server_url: str = "https://github.com",
    progress: TextIO,
) -> MergeBase:
    """The merge base of ``head`` (the checked-out commit) and ``base`` (see the module doc);
    either is fetched from origin, by commit id, when it is missing."""
    named = head
    resolved = _rev_parse(root, f"{head}^{{commit}}")
    if resolved is None and named == "HEAD":
        raise InputError(root, "has no checked-out commit (HEAD): check out the pull request first")
    head = resolved or named
    found = _merge_base(root, head, base)
    if found is not None:
        return MergeBase(found, head)
    auth = _auth(root, token, server_url)
    depths: tuple[int | None, ...] = (*FETCH_DEPTHS, None)
    for depth in depths:
        what = f"depth {depth}" if depth else "the whole history"
        progress.write(
            f"latest-guard: the base commit {base[:12]} or its history with HEAD is not in this "
            f"checkout: fetching it ({what})\n"
        )
        progress.flush()
        fetched, reason = _fetch(root, (base, head), depth, auth)
        if not fetched:
            raise InputError(
                root,
                f"the base commit {base[:12]} is not in this checkout and cannot be fetched "
                f"({reason}): give actions/checkout 'fetch-depth: 0'",
            )
        found = _merge_base(root, head, base)
        if found is not None:
            return MergeBase(found, head)
    raise InputError(
        root,
        f"HEAD and the base commit {base[:12]} have no common history, even fully fetched: "
        "give actions/checkout 'fetch-depth: 0', or name the baseline with git:REF",
    )


def _merge_base(root: Path, head: str, base: str) -> str | None:
    if _rev_parse(root, f"{base}^{{commit}}") is None:
        return None
    result = _git(root, "merge-base", head, base)
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def _rev_parse(root: Path, ref: str) -> str | None:
    result = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", ref)
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def _fetch(
    root: Path, commits: tuple[str, ...], depth: int | None, auth: Mapping[str, str]
) -> tuple[bool, str]:
    """Fetch ``commits`` from origin: ``depth`` commits of history each, or all of it."""
    shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    if depth is not None:
        how = [f"--depth={depth}"]
    elif shallow:
        how = ["--unshallow"]
    else:
        how = []
    result = _git(
        root, "fetch", "--no-tags", "--no-recurse-submodules", "--quiet", *how, "origin",
        *commits, extra=auth,
    )
    if result.returncode == 0:
        return True, ""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return False, (lines[-1].removeprefix("fatal: ") if lines else "git fetch failed")


def _auth(root: Path, token: str | None, server_url: str) -> dict[str, str]:
    """Configuration that gives ``token`` to fetches from the GitHub server, unless the
    checkout persisted credentials itself (two Authorization headers are refused)."""
    if not token:
        return {}
    server = server_url.rstrip("/")
    url = _git(root, "remote", "get-url", "origin").stdout.strip()
    if not url.startswith(server + "/"):
        return {}
    # --includes: actions/checkout v6 and later keep the credentials in a file that the
    # repository's configuration includes.
    persisted = _git(
        root, "config", "--local", "--includes", "--get-regexp", r"^http\..*\.extraheader$"
    )
    if persisted.stdout.strip():
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {f"http.{server}/.extraheader": f"AUTHORIZATION: basic {basic}"}


def _git(
    root: Path, *args: str, extra: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_git(root, *args, where=root, config=extra)
