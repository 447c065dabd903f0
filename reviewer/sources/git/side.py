"""The templates of the new side as they are at a git revision: a side of the comparison.

The revision is checked out in a temporary work tree (``baseline.worktree``) by the room of
the revision (``revision.BaseRevision``), which also runs the synth command there and hands
this side out; this reads the templates at the same paths.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from reviewer.contract.paths import inside
from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources.sides import LoadedSide


@dataclass(frozen=True)
class GitRevision:
    """The new side's ``templates`` in the work tree ``tree`` of ``ref`` (repository ``root``).

    ``synth_error`` is why the synth command failed there, if it did; ``synthesized`` whether
    one ran (it says what to advise when a template is missing).
    """

    templates: Sequence[Path]
    tree: Path
    root: Path
    ref: str
    stack_name: str | None = None
    synth_error: str | None = None
    synthesized: bool = False

    def load(self, progress: TextIO) -> LoadedSide:
        """The stacks found at the revision, and each template whose baseline is missing.

        A template that is not at the revision is a new stack when git tracks it on the new
        side (the change adds it). When git does not track it, it is build output (a cloud
        assembly, a package) that nothing made at the revision, or a new template not added
        yet (a file that ``.gitignore`` does not leave out): its baseline is missing, and
        comparing it as "new" would give a silent green. A template that is there but cannot
        be loaded (malformed, refused by the SAM translator) is missing too, with the error
        named the git way (``base (REF):path:line``): the change may well repair it. Within an
        app that can be read, a template that cannot (a file of a directory, a nested stack's
        template) leaves only its own stack unread, named in ``unread``.
        """
        from reviewer.sources.git.baseline import baseline_paths
        from reviewer.sources.naming import named, side_names

        paths = baseline_paths(self.templates, self.tree, self.root)
        # The revision's stacks take the new side's names, path for path.
        with named(paths, side_names(self.templates)):
            return self._load(paths)

    def _load(self, paths: Sequence[Path]) -> LoadedSide:
        from reviewer.sources import load_side
        from reviewer.sources.git.baseline import is_ignored, is_tracked
        from reviewer.sources.unreadable import tolerating

        stacks: list[StackTemplate] = []
        missing: dict[Path, str] = {}
        unread: dict[str, str] = {}
        for template, path in zip(self.templates, paths, strict=True):
            tracked = is_tracked(template, self.root)
            inside = path.relative_to(self.tree).as_posix()
            if self.synth_error is not None and not tracked:
                # Whatever the failed synth left there is not the baseline.
                missing[template] = (
                    f"baseline missing: {inside} at base ({self.ref}): {self.synth_error}"
                )
                continue
            if path.exists():
                try:
                    with tolerating() as set_aside:
                        loaded = load_side(path, self.stack_name)
                except InputError as exc:
                    which = (
                        "every stack" if len(self.templates) == 1 else f"the stacks of {inside}"
                    )
                    missing[template] = (
                        f"base could not be read: {base_error_text(exc, self.tree, self.ref)}; "
                        f"{which} compared as new"
                    )
                    continue
                stacks.extend(loaded)
                for each in set_aside:
                    unread[each.stack] = (
                        "base could not be read: "
                        f"{base_error_text(each.error, self.tree, self.ref)}; stack {each.stack} "
                        "not compared (the rest of the app was)"
                    )
                continue
            if not tracked:
                built = not template.is_file() or is_ignored(template, self.root)
                missing[template] = self._absent(inside, built)
        return LoadedSide(tuple(stacks), f"git {self.ref}", missing, unread)

    def _absent(self, inside: str, built: bool) -> str:
        if self.synthesized:
            return (
                f"baseline missing: the synth command did not write {inside} at base "
                f"({self.ref}); make it write the template path on both sides"
            )
        if not built:  # a file git does not leave out: most likely a new template, not added
            return (
                f"baseline missing: {inside} is not in git: if it is a new template, `git add` "
                "it (a template the change adds is a new stack); if it is build output, give "
                "synth-command (--synth) so that it is made on both sides"
            )
        return (
            f"baseline missing: {inside} does not exist at base ({self.ref}) and is not in git "
            "(build output): give synth-command (--synth) so that it is made on both sides, "
            "or compare with the deployed stack"
        )


def base_error_text(exc: InputError, worktree: Path, ref: str) -> str:
    """An input error of the baseline side, named the git way: ``base (REF):path:line:
    message``, with the path inside the repository and no temporary work tree in it."""
    where = f"base ({ref})"
    found = inside(str(exc.path), worktree)
    if found is not None:
        where += f":{found}"
    if exc.line is not None:
        where += f":{exc.line}"
    message = exc.message
    for root in dict.fromkeys((str(worktree), str(worktree.resolve()))):
        message = message.replace(f"{root}{os.sep}", "").replace(root, ".")
    return f"{where}: {message}"

