"""The phase-one pull request: a branch from the base commit with only the phase-one change.

A two-phase finding cannot be fixed by any edit of the pull request under review: the deployed
stack sends traffic to ``$LATEST``, so the callers must move to an alias first, in a
deployment that leaves the function as it is. With ``phase-one: pull-request`` the Action
makes that deployment's change for the user (``reviewer.commands.phase_one`` builds and checks
it; this module only writes it to GitHub, through PyGithub):

- one branch per pull request and instance, ``latest-guard/phase-one/pr-<N>`` (plus the
  instance's key), holding one commit whose parent is the base commit and whose tree is the
  base tree with the phase-one files. A re-run makes the commit again only when the files or
  the base commit changed, and moves the branch to it; a branch whose head commit latest-guard
  did not make (someone pushed to it) is left alone, and the run says so;
- one pull request from that branch into the pull request's base branch, titled after the
  functions it protects; a re-run edits its title and body when they changed. A merged or
  closed one is never opened again: merged, the next step is the user's (deploy it, update
  the branch under review); closed, the user decided.

Commits go through the git-data API (tree, commit, reference), so the runner's checkout is
never touched and nothing is pushed with the runner's git credentials.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from github.GithubException import GithubException
from github.InputGitTreeElement import InputGitTreeElement

from reviewer.contract.findings import Finding, PullLink
from reviewer.contract.wording import joined
from reviewer.github.api import listed, status_of
from reviewer.github.markers import Markers, instance_key
from reviewer.report.markdown import headline

if TYPE_CHECKING:
    from github.GitRef import GitRef
    from github.Repository import Repository

BRANCH_PREFIX = "latest-guard/phase-one/"
#: The trailer of every commit latest-guard makes on a phase-one branch.
TRAILER = "Latest-Guard-Phase-One"
_UNSAFE_REF = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PhaseOneFile:
    """One file of the base commit as phase one leaves it (``path`` from the repository root)."""

    path: str
    mode: str
    text: str


@dataclass(frozen=True)
class PhaseOneChange:
    """What the phase-one branch holds, and why: built and checked before anything is sent."""

    #: The commit the branch starts from: the baseline the pull request is compared with.
    base_commit: str
    #: The branch the phase-one pull request merges into (the reviewed pull request's base).
    base_branch: str
    files: tuple[PhaseOneFile, ...]
    #: The findings it protects (their functions name the pull request).
    findings: tuple[Finding, ...]
    #: How it was checked, in one sentence.
    checked: str


@dataclass(frozen=True)
class PhaseOneOutcome:
    """What became of the phase-one pull request: its link (None when there is none) and what
    was done, in words for the log and the summary."""

    pull: PullLink | None
    state: str  # opened | updated | unchanged | merged | closed | kept (a branch not ours)
    said: str


def branch_name(number: int, instance: str = "") -> str:
    """``latest-guard/phase-one/pr-12``, with the instance's key for a named instance."""
    key = _UNSAFE_REF.sub("-", instance_key(instance)).strip("-.")
    return f"{BRANCH_PREFIX}pr-{number}" + (f"-{key}" if key else "")


def functions_of(findings: Sequence[Finding]) -> list[str]:
    return list(dict.fromkeys(f.resource for f in findings))


def title(findings: Sequence[Finding]) -> str:
    """``Route the callers of OrdersFn and BillingFn through an alias (phase one)``."""
    names = functions_of(findings)
    shown = names if len(names) <= 3 else [*names[:3], f"{len(names) - 3} more"]
    return f"Route the callers of {joined(shown)} through an alias (phase one)"


def find_pull(repo: Repository, branch: str) -> tuple[PullLink, str] | None:
    """The pull request whose head is ``branch``, with its state (open, merged or closed):
    the open one first, else the newest."""
    owner = repo.full_name.partition("/")[0]
    found: list[tuple[PullLink, str]] = []
    for _, data in listed(repo.get_pulls(state="all", head=f"{owner}:{branch}")):
        number, url = data.get("number"), data.get("html_url")
        if not isinstance(number, int) or not isinstance(url, str):
            continue
        state = "open" if data.get("state") == "open" else (
            "merged" if data.get("merged_at") else "closed"
        )
        found.append((PullLink(number, url), state))
    found.sort(key=lambda item: (item[1] != "open", -item[0].number))
    return found[0] if found else None


def sync_phase_one(
    repo: Repository,
    change: PhaseOneChange,
    *,
    number: int,
    markers: Markers,
) -> PhaseOneOutcome:
    """Create or update the branch and the pull request for ``change`` (see the module doc).
    GitHub's errors are raised to the caller, which says them as they are."""
    branch = branch_name(number, markers.instance)
    existing = find_pull(repo, branch)
    if existing is not None and existing[1] == "merged":
        pull = existing[0]
        return PhaseOneOutcome(pull, "merged", (
            f"phase one #{pull.number} is merged: deploy it, then update this branch from "
            f"{change.base_branch}"
        ))
    if existing is not None and existing[1] == "closed":
        return PhaseOneOutcome(None, "closed", (
            f"the phase-one pull request #{existing[0].number} was closed without merging: "
            f"it is not opened again (delete the branch {branch} to have a new one made)"
        ))
    moved = _sync_branch(repo, branch, change, number)
    if moved == "kept":
        return PhaseOneOutcome(existing[0] if existing else None, "kept", (
            f"the branch {branch} has commits latest-guard did not make: it is left as it is"
        ))
    heading, body = title(change.findings), pull_request_body(change, number, markers)
    if existing is None:
        made = repo.create_pull(
            base=change.base_branch, head=branch, title=heading, body=body,
            maintainer_can_modify=True,
        )
        pull = PullLink(made.number, made.html_url)
        return PhaseOneOutcome(pull, "opened", f"opened phase one #{pull.number} ({branch})")
    pull = existing[0]
    current = repo.get_pull(pull.number)
    if moved == "unchanged" and current.title == heading and current.body == body:
        return PhaseOneOutcome(pull, "unchanged", f"phase one #{pull.number} is up to date")
    current.edit(title=heading, body=body)
    return PhaseOneOutcome(pull, "updated", f"updated phase one #{pull.number} ({branch})")


def _sync_branch(repo: Repository, branch: str, change: PhaseOneChange, number: int) -> str:
    """Point ``branch`` at a commit holding the change: created, updated, unchanged or kept."""
    ref = _ref(repo, branch)
    head = ref.object.sha if ref is not None else None
    base = repo.get_git_commit(change.base_commit)
    tree = repo.create_git_tree(
        [InputGitTreeElement(f.path, f.mode, "blob", content=f.text) for f in change.files],
        base_tree=base.tree,
    )
    if head is not None:
        current = repo.get_git_commit(head)
        if not _ours(current.message, number):
            return "kept"
        parents = [p.sha for p in current.parents]
        if current.tree.sha == tree.sha and parents == [change.base_commit]:
            return "unchanged"
    commit = repo.create_git_commit(_message(change, number), tree, [base])
    if ref is None:
        repo.create_git_ref(f"refs/heads/{branch}", commit.sha)
        return "created"
    # The reference as GitHub returned it: its url is the one to update (.../git/refs/...).
    ref.edit(commit.sha, force=True)
    return "updated"


def _ref(repo: Repository, branch: str) -> GitRef | None:
    """The branch's reference, read (so that it carries GitHub's own url), or None."""
    ref = repo.get_git_ref(f"heads/{branch}")
    try:
        ref.object  # noqa: B018  (reading it fetches the reference)
    except GithubException as exc:
        if status_of(exc) == 404:
            return None
        raise
    return ref


def _ours(message: str, number: int) -> bool:
    return f"{TRAILER}: #{number}" in message.splitlines()


def _message(change: PhaseOneChange, number: int) -> str:
    names = functions_of(change.findings)
    listed_names = "\n".join(f"- {name}" for name in names)
    return (
        f"{title(change.findings)}\n\n"
        "Each function's callers move to an alias on a version of the function as it is\n"
        "deployed; the functions themselves do not change. Deploy this before #"
        f"{number}.\n\n{listed_names}\n\n{TRAILER}: #{number}\n"
    )


def pull_request_body(change: PhaseOneChange, number: int, markers: Markers) -> str:
    """The phase-one pull request's body: what it does and why, how it was checked, and the
    findings it serves."""
    findings = "\n".join(f"- {headline(f)}" for f in change.findings)
    paths = joined([f"`{f.path}`" for f in change.files])
    return "\n".join([
        markers.phase_one(number),
        f"**Phase one of #{number}.** Merge and deploy this first, on its own.",
        "",
        f"#{number} changes the code and the configuration of functions that are invoked "
        "unqualified (`$LATEST`) in the deployed stack: while CloudFormation applies the two "
        "separate Lambda calls, callers can run the new code with the old configuration or "
        "the reverse. This pull request moves those callers to an alias on a version of each "
        "function as it is deployed now, and changes nothing else: the functions' code and "
        f"configuration stay as they are. It edits {paths}, starting from "
        f"`{change.base_commit[:12]}`, the commit #{number} is compared with.",
        "",
        f"After it is deployed, update #{number} from its base branch and let the check run "
        "again: the alias then moves to the new version in one switch. Where git reports a "
        f"conflict next to a function, keep #{number}'s function and this pull request's "
        "version and alias.",
        "",
        f"**Checked:** {change.checked}",
        "",
        "<details><summary>The findings it is for</summary>",
        "",
        findings,
        "",
        "</details>",
        "",
        "<sub>latest-guard updates this pull request while #"
        f"{number} needs it. When the workflow's own token opened it, GitHub starts no "
        "workflow for it: close and reopen it, or push to it, to run this repository's "
        "checks.</sub>",
    ]) + "\n"
