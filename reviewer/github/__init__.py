"""GitHub: pull-request context, review comments, the sticky summary, the check run, and the
job summary and outputs of a workflow step.

PyGithub is imported by the modules here that talk to the API (``client``, ``review``,
``summary``, ``checks``, ``publish``) and nowhere else in the package, so a local
``latest-guard check`` never pays for it. The other modules (``context``, ``diff_lines``,
``markers``, ``plan``, ``workflow``, ``artifact``) are plain Python and are tested as such.
"""
