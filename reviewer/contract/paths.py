"""Paths as a report shows them: the one place where a path is made relative.

A report names files relative to a root (the repository, or a temporary work tree of the base
commit) with forward slashes, so that it reads the same on every machine and run and shows
no runner paths; a path outside the root is left as it is.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath

from reviewer.contract.findings import FileChange, Finding, Fix
from reviewer.contract.report import Report, StackSummary

_PathOf = Callable[[str], str]


def inside(path: str, root: Path) -> str | None:
    """``path`` relative to ``root`` (posix); None when it is elsewhere or empty."""
    if not path:
        return None
    given = Path(path)
    absolute = (given if given.is_absolute() else Path.cwd() / given).resolve()
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def repository_path(path: str) -> bool:
    """True for a path relative to the repository that stays inside it (``a/b.yaml``)."""
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in path


def at_revision(path: str, name: str) -> str | None:
    """The repository path in ``name:path``, the way ``relative_report`` names a file of a
    work tree of commit ``name``; None for any other path."""
    prefix = f"{name}:"
    if not path.startswith(prefix):
        return None
    inner = path[len(prefix):]
    return inner if repository_path(inner) else None


def relative_report(report: Report, root: Path, name: str | None = None) -> Report:
    """``report`` with every path under ``root`` made relative to it: finding locations, the
    files of fixes, the stacks' templates. With ``name`` (``a1b2c3d`` for a work tree of that
    commit) a path becomes ``name:path``, and a text that mentions ``root`` (a note, a
    message) names ``name`` instead."""

    def path_of(path: str) -> str:
        found = inside(path, root)
        if found is None:
            return path
        return f"{name}:{found}" if name is not None else found

    texts = _TextRewriter(root, name)
    findings = tuple(_finding(f, path_of, texts, root) for f in report.findings)
    stacks = tuple(_stack(s, path_of, texts) for s in report.stacks)
    return replace(report, findings=findings, stacks=stacks)


class _TextRewriter:
    """Replaces the root's spelling (as given and resolved) in free text, when named."""

    def __init__(self, root: Path, name: str | None) -> None:
        self._roots = tuple(dict.fromkeys((str(root), str(root.resolve()))))
        self._name = name

    def __call__(self, text: str) -> str:
        if self._name is None:
            return text
        for root in self._roots:
            text = text.replace(f"{root}{os.sep}", f"{self._name}:").replace(root, self._name)
        return text


def _finding(finding: Finding, path_of: _PathOf, text: _TextRewriter, root: Path) -> Finding:
    location = replace(finding.location, path=path_of(finding.location.path))
    return replace(
        finding,
        location=location,
        message=text(finding.message),
        why=text(finding.why),
        fix=_fix(finding.fix, path_of, text, root) if finding.fix is not None else None,
    )


def _fix(fix: Fix, path_of: _PathOf, text: _TextRewriter, root: Path) -> Fix:
    return replace(
        fix,
        summary=text(fix.summary),
        steps=tuple(text(step) for step in fix.steps),
        notes=tuple(text(note) for note in fix.notes),
        change=_change(fix.change, path_of, root) if fix.change is not None else None,
        phase_one=_change(fix.phase_one, path_of, root) if fix.phase_one is not None else None,
    )


def _change(change: FileChange, path_of: _PathOf, root: Path) -> FileChange:
    edits = tuple(replace(edit, path=path_of(edit.path)) for edit in change.edits)
    patch = _patch(change.patch, root) if change.patch is not None else None
    return replace(change, path=path_of(change.path), edits=edits, patch=patch)


def _patch(patch: str, root: Path) -> str:
    """A unified diff whose ``--- a/`` and ``+++ b/`` headers name files under ``root``
    named relative to it, so that ``git apply`` takes it in the repository."""
    lines = patch.split("\n")
    for index, line in enumerate(lines):
        for header in ("--- a/", "+++ b/"):
            if line.startswith(header):
                named = line[len(header):]
                found = inside(named if Path(named).is_absolute() else "/" + named, root)
                if found is not None:
                    lines[index] = header + found
    return "\n".join(lines)


def _stack(stack: StackSummary, path_of: _PathOf, text: _TextRewriter) -> StackSummary:
    return replace(
        stack,
        template=path_of(stack.template),
        baseline=path_of(stack.baseline) if stack.baseline is not None else None,
        notes=tuple(text(note) for note in stack.notes),
        quiet=tuple((function, text(why)) for function, why in stack.quiet),
    )

