"""A change the review proposes in a pull request of its own, ready for any host to send.

The phase-one change of two-phase findings is one (``reviewer.commands.phase_one`` builds,
checks and words it): a branch that starts at a base commit and holds these files, one commit
with this message, a pull request with this title and body into ``base_branch``. A host's
publisher writes it as it is (``reviewer.github.phase_one``); it decides nothing of its text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProposedFile:
    """One file of the base commit as the change leaves it (``path`` from the repository's
    root; ``mode`` as git stores it: ``100644``, ``100755``)."""

    path: str
    mode: str
    text: str


@dataclass(frozen=True)
class Proposal:
    """What the proposed pull request holds and says."""

    #: The commit the branch starts from.
    base_commit: str
    #: The branch the pull request merges into.
    base_branch: str
    files: tuple[ProposedFile, ...]
    title: str
    body: str
    #: The commit's message (a host may add a trailer of its own).
    message: str
    #: The keys of the functions it changes, as its body lists them (``markers``).
    keys: frozenset[str]
    #: The fingerprints of the findings it is for: they link the pull request once it exists.
    serves: frozenset[str]
