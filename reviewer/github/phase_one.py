"""The phase-one pull request: a branch from the base commit with only the phase-one change.

A two-phase finding cannot be fixed by any edit of the pull request under review: the deployed
stack sends traffic to ``$LATEST``, so the callers must move to an alias first, in a
deployment that leaves the function as it is. With ``phase-one: pull-request`` the Action
makes that deployment's change for the user (``reviewer.commands.phase_one`` builds, checks and
words it, as a ``Proposal``; this module only writes it to GitHub, through PyGithub):

- one branch per pull request and instance, ``latest-guard/phase-one/pr-<N>`` (plus the
  instance's key), holding one commit whose parent is the base commit and whose tree is the
  base tree with the phase-one files. A re-run makes the commit again only when the files or
  the base commit changed, and moves the branch to it. A branch whose head commit latest-guard
  did not make (its trailer names the tree latest-guard made: a push or an amended commit
  does not keep it) is left alone and not linked: what it holds was not checked;
- one pull request from that branch into the pull request's base branch, titled after the
  functions it protects; a re-run edits its title, body and base when they changed. A closed
  one stays closed while its branch exists. A merged one is not linked as "merge first": while
  the change still needs a function it wired, the user's next step is to deploy it and update
  the branch under review; a function it did not wire gets the next generation of branch
  (``-2``, ``-3``...), as does any change once a closed one's branch is deleted.

Commits go through the git-data API (tree, commit, reference), so the runner's checkout is
never touched and nothing is pushed with the runner's git credentials.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from github.GithubException import GithubException
from github.InputGitTreeElement import InputGitTreeElement

from reviewer.contract.findings import PullLink
from reviewer.github.api import listed, status_of
from reviewer.review.markers import Markers, phase_one_functions_in
from reviewer.review.proposal import Proposal, ProposalOutcome

if TYPE_CHECKING:
    from github.GitRef import GitRef
    from github.Repository import Repository

BRANCH_PREFIX = "latest-guard/phase-one/"
#: The trailer of every commit latest-guard makes on a phase-one branch.
TRAILER = "Latest-Guard-Phase-One"
_UNSAFE_REF = re.compile(r"[^A-Za-z0-9_-]+")
#: How many generations of phase-one branches one pull request may have.
MAX_GENERATIONS = 20


def branch_name(number: int, instance: str = "", generation: int = 1) -> str:
    """``latest-guard/phase-one/pr-12``; for a named instance ``pr-12-orders-1a2b3c4d`` (its
    name's letters, digits, ``_`` and ``-``, and a hash of the whole name, so that no two
    instances share a branch); ``.2``, ``.3`` for the generations after the first (no dot is
    in the rest of the name). Every such name is one git accepts."""
    name = f"{BRANCH_PREFIX}pr-{number}"
    if instance.strip():
        slug = _UNSAFE_REF.sub("-", instance.strip()).strip("-")[:40].strip("-")
        digest = hashlib.sha256(instance.strip().encode()).hexdigest()[:8]
        name += f"-{slug}-{digest}" if slug else f"-{digest}"
    return name + (f".{generation}" if generation > 1 else "")


@dataclass(frozen=True)
class FoundPull:
    """A phase-one pull request as GitHub lists it."""

    link: PullLink
    state: str  # open | merged | closed
    #: The functions it routes through an alias (keys, read from its body).
    functions: frozenset[str]


def find_pull(repo: Repository, branch: str) -> FoundPull | None:
    """The pull request whose head is ``branch``: the open one first, else the newest."""
    owner = repo.full_name.partition("/")[0]
    found: list[FoundPull] = []
    for _, data in listed(repo.get_pulls(state="all", head=f"{owner}:{branch}")):
        number, url, body = data.get("number"), data.get("html_url"), data.get("body")
        if not isinstance(number, int) or not isinstance(url, str):
            continue
        state = "open" if data.get("state") == "open" else (
            "merged" if data.get("merged_at") else "closed"
        )
        found.append(FoundPull(PullLink(number, url), state, phase_one_functions_in(body)))
    found.sort(key=lambda pull: (pull.state != "open", -pull.link.number))
    return found[0] if found else None


@dataclass(frozen=True)
class Generation:
    """One generation of branch for a pull request, and its pull request if it has one."""

    branch: str
    pull: FoundPull | None


def generations(repo: Repository, number: int, instance: str) -> list[Generation]:
    """Each generation of branch serving pull request ``number``, with its pull request, up
    to the first that has none (each phase one holds one generation)."""
    seen: list[Generation] = []
    for generation in range(1, MAX_GENERATIONS + 1):
        branch = branch_name(number, instance, generation)
        seen.append(Generation(branch, find_pull(repo, branch)))
        if seen[-1].pull is None:
            break
    return seen


def current(repo: Repository, seen: Sequence[Generation]) -> Generation | None:
    """The generation in charge now (None: every one is used up). One whose pull request was
    merged, or closed and its branch deleted, is history: the next one serves. A closed one
    whose branch is still there stays in charge (the user closed it; it is not reopened)."""
    for generation in seen:
        pull = generation.pull
        if pull is None or pull.state == "open":
            return generation
        if pull.state == "closed" and _ref(repo, generation.branch) is not None:
            return generation
    return None


def sync_phase_one(
    repo: Repository,
    change: Proposal,
    *,
    number: int,
    markers: Markers,
) -> ProposalOutcome:
    """Create or update the branch and the pull request for ``change`` (see the module doc).
    GitHub's errors are raised to the caller, which says them as they are."""
    seen = generations(repo, number, markers.instance)
    now = current(repo, seen)
    blocked = _blocked(change, number, seen, now)
    if blocked is not None:
        return blocked
    assert now is not None  # without one, _blocked says that none is left
    branch, existing = now.branch, now.pull
    moved = _sync_branch(repo, branch, change, number)
    link = existing.link if existing is not None else None
    if moved == "kept":
        return ProposalOutcome(link, "kept", (
            f"the branch {branch} has commits latest-guard did not make: it is left as it is, "
            "and not checked"
        ))
    heading, body = change.title, change.body
    if link is None:
        made = repo.create_pull(base=change.base_branch, head=branch, title=heading, body=body)
        pull = PullLink(made.number, made.html_url)
        return ProposalOutcome(pull, "opened", f"opened phase one #{pull.number} ({branch})")
    pulled = repo.get_pull(link.number)
    if (
        moved == "unchanged" and pulled.title == heading and pulled.body == body
        and pulled.base.ref == change.base_branch
    ):
        return ProposalOutcome(link, "unchanged", f"phase one #{link.number} is up to date")
    pulled.edit(title=heading, body=body, base=change.base_branch)
    return ProposalOutcome(link, "updated", f"updated phase one #{link.number} ({branch})")


def _blocked(
    change: Proposal, number: int, seen: Sequence[Generation], now: Generation | None
) -> ProposalOutcome | None:
    """Why no branch is written this run: a merged phase one that wires a function the change
    is for (the branch under review has not been updated from it yet: a new one would repeat
    it), a closed one, or no generation left; None when it may be written."""
    wanted = change.keys
    for generation in seen:
        pull = generation.pull
        # A body without the functions' keys (edited by hand) may wire any of them.
        if pull is not None and pull.state == "merged" and (
            pull.functions & wanted or not pull.functions
        ):
            return ProposalOutcome(pull.link, "merged", (
                f"phase one #{pull.link.number} is merged: deploy it, then update this branch "
                f"from {change.base_branch}"
            ))
    if now is None:
        return ProposalOutcome(None, "exhausted", (
            f"#{number} has had {MAX_GENERATIONS} phase-one pull requests: no other is made"
        ))
    if now.pull is not None and now.pull.state == "closed":
        return ProposalOutcome(now.pull.link, "closed", (
            f"the phase-one pull request #{now.pull.link.number} was closed without merging: "
            f"it is not opened again (delete the branch {now.branch} to have a new one made)"
        ))
    return None


def _sync_branch(repo: Repository, branch: str, change: Proposal, number: int) -> str:
    """Point ``branch`` at a commit holding the change: created, updated, unchanged or kept.

    The branch is moved with a forced update: it holds one commit, made again on the base
    commit each time. A head commit latest-guard did not make (another message, or a tree
    that is not the one its trailer names: an amended commit) is never replaced.
    """
    ref = _ref(repo, branch)
    head = ref.object.sha if ref is not None else None
    base = repo.get_git_commit(change.base_commit)
    tree = repo.create_git_tree(
        [InputGitTreeElement(f.path, f.mode, "blob", content=f.text) for f in change.files],
        base_tree=base.tree,
    )
    if head is not None:
        current = repo.get_git_commit(head)
        if not _ours(current.message, current.tree.sha, number):
            return "kept"
        parents = [p.sha for p in current.parents]
        if current.tree.sha == tree.sha and parents == [change.base_commit]:
            return "unchanged"
    commit = repo.create_git_commit(_message(change, number, tree.sha), tree, [base])
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


def _ours(message: str, tree: str, number: int) -> bool:
    return f"{TRAILER}: #{number} tree {tree}" in message.splitlines()


def _message(change: Proposal, number: int, tree: str) -> str:
    """The proposal's message with the trailer that marks the commit as latest-guard's."""
    return f"{change.message}\n\n{TRAILER}: #{number} tree {tree}\n"
