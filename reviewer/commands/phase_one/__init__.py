"""The phase-one change of two-phase findings, in one place, for any code host.

A two-phase finding cannot be fixed by any edit of the pull request under review: the deployed
stack sends traffic to ``$LATEST``, so the callers must move to an alias first, in a deployment
that leaves the function as it is. Here:

- ``change``: what the change is (the base commit's files it edits, the findings it serves);
- ``build``: which findings' phase one is a file the branch can hold, their edits applied in
  a work tree of the base commit, and the check of that work tree against the base;
- ``words``: what its pull request says (title, body, commit message), handed to a host's
  publisher as a ``reviewer.review.proposal.Proposal``.

Nothing here talks to a host: ``reviewer.github.phase_one`` makes the branch, the commit and
the pull request on GitHub.
"""

from __future__ import annotations

from reviewer.commands.phase_one.build import PhaseOnePlan, plan_phase_one

__all__ = ["PhaseOnePlan", "plan_phase_one"]
