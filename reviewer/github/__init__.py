"""GitHub: pull-request context, review comments, the sticky summary, the check run, the
phase-one pull request, and the job summary and outputs of a workflow step.

What a review says and where it goes is host-neutral and lives in ``reviewer.review``; the
modules here send it through PyGithub. PyGithub is imported by the modules that talk to the
API (``client``, ``review``, ``summary``, ``checks``, ``phase_one``, ``publish``) and nowhere
else in the package, so a local ``latest-guard check`` never pays for it. The other modules
(``context``, ``limits``, ``workflow``) are plain Python and are tested as such.
"""
