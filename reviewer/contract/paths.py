"""Paths as a report shows them: the one place where a path is made relative.

One rule for every path of a report (the stacks' templates and baselines, finding locations,
the files of fixes and their patch headers, and paths in notes and messages): a file under the
root (the working directory of ``check``, ``-C``, or the repository of the Action) is named
relative to it, with forward slashes, so that it reads the same on every machine and run and
shows no runner paths; a file of a temporary work tree of a commit is named the git way,
``a1b2c3d:path`` (from the repository's top); any other path is left as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
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


def shown(path: Path, root: Path | None = None) -> str:
    """``path`` as a user would type it from ``root`` (the working directory by default):
    relative to it with forward slashes when it lies inside, else as given. For the paths a
    stage writes before the report is made relative (an edit's file, a source location)."""
    try:
        found = inside(str(path), root if root is not None else Path.cwd())
    except OSError:  # the working directory is gone
        found = None
    return found if found is not None else path.as_posix()


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


def relative_report(
    report: Report,
    root: Path,
    name: str | None = None,
    *,
    work_tree: tuple[Path, str] | None = None,
) -> Report:
    """``report`` with every path under ``root`` made relative to it: finding locations, the
    files of fixes, the stacks' templates, and the paths in notes and messages. With ``name``
    (``a1b2c3d`` for a work tree of that commit) a path becomes ``name:path``, and a text that
    mentions ``root`` names ``name`` instead. ``work_tree`` (a temporary work tree of a commit,
    and that commit's name) names the files under it the same way, before ``root`` is
    looked at."""
    rewrites: list[tuple[Path, str | None]] = [work_tree] if work_tree is not None else []
    rewrites.append((root, name))

    def path_of(path: str) -> str:
        for folder, named in rewrites:
            found = inside(path, folder)
            if found is not None:
                return f"{named}:{found}" if named is not None else found
        return path

    texts = _TextRewriter(rewrites)
    folders = tuple(folder for folder, _ in rewrites)
    findings = tuple(_finding(f, path_of, texts, folders) for f in report.findings)
    stacks = tuple(_stack(s, path_of, texts) for s in report.stacks)
    origin = report.paths_from if name is not None else root.absolute()
    return replace(report, findings=findings, stacks=stacks, paths_from=origin)


class _TextRewriter:
    """Replaces the spellings of each folder (as given, absolute and resolved) in free text:
    by ``name:`` for a folder of a commit, by nothing (a relative path) otherwise. A spelling
    counts only where a path starts (``/tmp/app`` is not in ``/tmp/app2`` or ``x/tmp/app``)."""

    def __init__(self, rewrites: Sequence[tuple[Path, str | None]]) -> None:
        self._rules: list[tuple[re.Pattern[str], str, str]] = []
        for folder, name in rewrites:
            inner = f"{name}:" if name is not None else ""
            whole = name if name is not None else "."
            for spelling in dict.fromkeys((str(folder.absolute()), str(folder.resolve()))):
                if spelling != os.sep:
                    self._add(rf"(?<![\w.\-/]){re.escape(spelling)}", inner, whole)
            if not folder.is_absolute() and str(folder) != ".":
                # As the user typed it (-C services/orders): only where a path begins, after a
                # space or a parenthesis, and goes on into the folder.
                self._add(rf"(?:^|(?<=[\s(])){re.escape(str(folder))}", inner, None)

    def _add(self, start: str, inner: str, whole: str | None) -> None:
        end = rf"(?P<end>{re.escape(os.sep)})"
        if whole is not None:
            end = rf"(?P<end>{re.escape(os.sep)}|(?![\w.\-/]))"
        self._rules.append((re.compile(start + end), inner, whole or ""))

    def __call__(self, text: str) -> str:
        for pattern, inner, whole in self._rules:
            text = pattern.sub(partial(_replacement, inner=inner, whole=whole), text)
        return text


def _replacement(match: re.Match[str], *, inner: str, whole: str) -> str:
    """``inner`` for a spelling that a path goes on from, ``whole`` for the folder itself."""
    return inner if match.group("end") else whole


def _finding(
    finding: Finding, path_of: _PathOf, text: _TextRewriter, folders: Sequence[Path]
) -> Finding:
    location = replace(finding.location, path=path_of(finding.location.path))
    return replace(
        finding,
        location=location,
        message=text(finding.message),
        why=text(finding.why),
        fix=_fix(finding.fix, path_of, text, folders) if finding.fix is not None else None,
    )


def _fix(fix: Fix, path_of: _PathOf, text: _TextRewriter, folders: Sequence[Path]) -> Fix:
    return replace(
        fix,
        summary=text(fix.summary),
        steps=tuple(text(step) for step in fix.steps),
        notes=tuple(text(note) for note in fix.notes),
        change=_change(fix.change, path_of, folders) if fix.change is not None else None,
        phase_one=(
            _change(fix.phase_one, path_of, folders) if fix.phase_one is not None else None
        ),
    )


def _change(change: FileChange, path_of: _PathOf, folders: Sequence[Path]) -> FileChange:
    edits = tuple(replace(edit, path=path_of(edit.path)) for edit in change.edits)
    patch = _patch(change.patch, folders) if change.patch is not None else None
    return replace(change, path=path_of(change.path), edits=edits, patch=patch)


def _patch(patch: str, folders: Sequence[Path]) -> str:
    """A unified diff whose ``--- a/`` and ``+++ b/`` headers name files under the first of
    ``folders`` that holds them relative to it (a work tree's without the commit's name), so
    that ``git apply`` takes it there."""
    lines = patch.split("\n")
    for index, line in enumerate(lines):
        for header in ("--- a/", "+++ b/"):
            if line.startswith(header):
                named = line[len(header):]
                # An absolute path is written without its leading slash (``a/tmp/x``); any
                # other is read from the current directory.
                spellings = (named,) if Path(named).is_absolute() else ("/" + named, named)
                found = next(
                    (f for folder in folders for name in spellings
                     if (f := inside(name, folder)) is not None),
                    None,
                )
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

