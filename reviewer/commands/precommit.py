"""The pre-commit hook: every staged template against its version at a git revision.

pre-commit passes every changed YAML and JSON file; files that are not CloudFormation
templates (workflows, Helm charts, configuration, a README named by hand) are skipped, with
one line each that says so. The same file gets the same answer whether pre-commit passes it
or a user names it on the command line.

The hook sees what ``check --baseline-ref REV`` sees. The new side is the file where it is
named: while pre-commit runs a hook, the work tree holds the staged files (it sets unstaged
changes aside). The baseline is the file at the revision, read in a temporary work tree of that
revision (created once, only when some template is there): its local code (``CodeUri: src/``)
is that revision's code, so that a code folder staged with a configuration change is a code
change, as it is to ``check``. Its files are named the git way in the report, ``REV:path``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from reviewer.config import Config
from reviewer.contract.paths import relative_report
from reviewer.contract.report import Report
from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.pipeline.analysis import analyze
from reviewer.pipeline.sides import load_text
from reviewer.sources.git.blob import read_at_revision
from reviewer.sources.git.revision import BaseRevision
from reviewer.sources.naming import TEMPLATE_SUFFIXES
from reviewer.sources.text.files import read_text

NOT_A_TEMPLATE = "not a CloudFormation template"

# A file that fails to parse is reported as a broken template (exit 2) only when it reads like
# one: a template's suffix and a top-level template key, or a resource typed ``AWS::...``.
_TEMPLATE_MARKS = re.compile(
    r"""^(?:AWSTemplateFormatVersion|Resources)\s*:"""
    r"""|"(?:AWSTemplateFormatVersion|Resources)"\s*:"""
    r"""|^\s*"?Type"?\s*:\s*["']?AWS::""",
    re.MULTILINE,
)


@dataclass
class HookResult:
    """The reports of the templates checked, and the files skipped with the reason."""

    reports: list[Report] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


class _NotATemplate(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _looks_like_template(path: Path, text: str) -> bool:
    return path.suffix.lower() in TEMPLATE_SUFFIXES and bool(_TEMPLATE_MARKS.search(text))


def _load(path: Path, text: str) -> StackTemplate:
    """The template in ``text``; _NotATemplate when it is something else."""
    try:
        return load_text(path, text)
    except InputError as exc:
        looks_like_template = _looks_like_template(path, text)
        if exc.message.startswith("is empty"):
            raise _NotATemplate(f"{NOT_A_TEMPLATE} (it is empty)") from None
        if exc.message.startswith(NOT_A_TEMPLATE):
            # Say why a file that reads like a template is not one; other files just are not.
            raise _NotATemplate(exc.message if looks_like_template else NOT_A_TEMPLATE) from None
        if looks_like_template:
            raise
        raise _NotATemplate(NOT_A_TEMPLATE) from None


def load_if_template(path: Path, text: str) -> StackTemplate | None:
    """The template in ``text``, or None when it is plainly something else."""
    try:
        return _load(path, text)
    except _NotATemplate:
        return None


def _head_is_unborn(path: Path) -> bool:
    """True in a repository with no commit yet on the current branch (``git init`` only)."""
    directory = path.parent if path.parent != Path() else Path()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=directory, capture_output=True, check=False,
        )
        branch = subprocess.run(
            ["git", "symbolic-ref", "--quiet", "HEAD"],
            cwd=directory, capture_output=True, check=False,
        )
    except (FileNotFoundError, NotADirectoryError):
        return False
    return head.returncode != 0 and branch.returncode == 0


def _old_text(path: Path, revision: str) -> str | None:
    """``path`` at ``revision``; None when it is not there, or there is no commit yet."""
    try:
        return read_at_revision(path, revision)
    except InputError:
        if revision == "HEAD" and _head_is_unborn(path):
            return None  # the first commit: every file is new
        raise


class _RevisionTree:
    """The room of ``revision`` (:class:`~reviewer.sources.git.revision.BaseRevision`), made
    from the first template's repository and entered into ``stack``: where a template of
    that revision is read, its code beside it."""

    def __init__(self, revision: str, stack: ExitStack) -> None:
        self.revision = revision
        self._stack = stack
        self._room: BaseRevision | None = None

    def path_of(self, path: Path) -> Path:
        """Where ``path`` of the work tree is in the revision's work tree."""
        if self._room is None:
            # Named as given (``HEAD``, a branch, a commit id in full), as the labels are.
            room = BaseRevision(self.revision, path.absolute(), label=self.revision)
            self._room = self._stack.enter_context(room)
        return self._room.paths([path])[0]

    def named(self, report: Report) -> Report:
        """``report`` with the revision's files named ``REV:path``."""
        work_tree = self._room.work_tree if self._room is not None else None
        if work_tree is None:
            return report
        return relative_report(report, Path(), work_tree=work_tree)


def check_files(paths: Sequence[Path], revision: str, config: Config) -> HookResult:
    """One report per template among ``paths``, compared with ``revision`` (see the module
    doc)."""
    from reviewer.sources.cloudformation.not_code import configured_not_code

    result = HookResult()
    with ExitStack() as stack:
        stack.enter_context(
            configured_not_code(config)
        )
        base = _RevisionTree(revision, stack)
        for path in paths:
            try:
                new = _load(path, read_text(path))
            except _NotATemplate as skip:
                result.skipped.append((path, skip.reason))
                continue
            old_text = _old_text(path, revision)
            old = None if old_text is None else load_if_template(base.path_of(path), old_text)
            label = f"{path} at {revision}" if old is not None else f"{path} is new at {revision}"
            report = analyze([new], [old] if old is not None else [], config, label)
            result.reports.append(base.named(report))
    return result
