"""One room for a baseline revision: everything about the git ref a change is compared with.

A :class:`BaseRevision` is made once from the ref (``--baseline-ref``, the Action's ``git``
baseline) and a place in the repository. It owns:

- **the work tree** of that commit (``baseline.worktree``), made the first time something needs
  it and removed when the room closes: on a normal exit, an error, or a signal
  (``commands.signals`` turns SIGTERM and SIGHUP into an exception, so a ``with`` block or an
  ``ExitStack`` that holds the room cleans up);
- **the base-side synth**: the synth command run in the work tree at the same time as on the
  new side (:meth:`BaseRevision.synthesize`); its failure is kept, not raised, and the side the
  room hands out reports it as a missing baseline (the change may well repair it);
- **the base configuration**: the parameter overrides the base commit deploys with, its own
  ``samconfig`` (:meth:`BaseRevision.overrides`);
- **how its paths and errors are named**: the ref cut to a short label (:func:`short_ref`),
  files of the work tree named ``REF:path`` in the report (:attr:`BaseRevision.work_tree`),
  input errors as ``base (REF):path:line`` (:meth:`BaseRevision.error_text`);
- **the side**: :meth:`BaseRevision.side` gives the :class:`~reviewer.sources.sides.SideSource`
  of the new side's templates at this revision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from reviewer.errors import InputError
from reviewer.sources.git.baseline import baseline_paths, commit_of, repository_root, worktree
from reviewer.sources.git.side import GitRevision, base_error_text

if TYPE_CHECKING:
    from reviewer.model.template import StackTemplate


def short_ref(ref: str) -> str:
    """A commit id cut to 12 characters; any other ref as it is."""
    return ref[:12] if re.fullmatch(r"[0-9a-f]{40}", ref) else ref


class BaseRevision:
    """The baseline at git ref ``ref`` of the repository that holds ``where`` (a file or a
    folder; the synth command runs in the same folder on both sides). Use it as a context
    manager: leaving the block removes the work tree, if one was made."""

    def __init__(self, ref: str, where: Path, *, label: str | None = None) -> None:
        self.ref = ref
        #: How the revision is named in the report and in progress lines: ``label`` when
        #: given, else the ref (a commit id cut short, :func:`short_ref`).
        self.label = label if label is not None else short_ref(ref)
        self._where = where
        self._root: Path | None = None
        self._tree: Path | None = None
        self._open = ExitStack()
        self._synthesized = False
        self._synth_error: str | None = None

    def __enter__(self) -> BaseRevision:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Remove the work tree (never raises). Its path stays known, so that a report made
        in it can still name its files ``REF:path``."""
        self._open.close()

    @property
    def root(self) -> Path:
        """The top folder of the repository (an input error when there is none)."""
        if self._root is None:
            self._root = repository_root(self._where)
        return self._root

    @property
    def commit(self) -> str:
        """The commit the ref names (an input error when it names none)."""
        return commit_of(self.root, self.ref)

    @property
    def tree(self) -> Path:
        """The work tree of the revision, checked out the first time it is asked for."""
        if self._tree is None:
            self._tree = self._open.enter_context(worktree(self.ref, self.root))
        return self._tree

    @property
    def where(self) -> str:
        """How the revision's side is named in a note: ``base (REF)``."""
        return f"base ({self.label})"

    @property
    def work_tree(self) -> tuple[Path, str] | None:
        """The work tree and the name its files take in the report (``REF:path``), once one
        was made (``contract.paths.relative_report``)."""
        return (self._tree, self.label) if self._tree is not None else None

    def paths(self, paths: Sequence[Path]) -> list[Path]:
        """The same files in the work tree (``baseline.baseline_paths``)."""
        return baseline_paths(paths, self.tree, self.root)

    def error_text(self, exc: InputError) -> str:
        """``exc`` named the git way, ``base (REF):path:line: message``."""
        return base_error_text(exc, self.tree, self.label)

    def synthesize(self, command: str, folder: Path, timeout: float, progress: TextIO) -> None:
        """Run the synth command in ``folder`` (the new side) and in the same folder of the
        work tree at the same time (two threads: both take about the time of one). A failure
        on the new side raises; on the base side it is kept for :meth:`side`, which reports
        the base as missing rather than failing the change that may well repair it."""
        from concurrent.futures import ThreadPoolExecutor

        from reviewer.sources.synth import Running, run_synth

        self._synthesized = True
        base_dir = self.paths([folder])[0]
        base_label = f"base {self.label}"
        # Both sides run in the same folder of the repository, and are named by it.
        inside = base_dir.relative_to(self.tree).as_posix()
        shown = inside if inside != "." else "the repository's top folder"
        running = Running()
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="synth") as pool:
            try:
                base = pool.submit(
                    run_synth, command, base_dir, timeout, progress, base_label,
                    shown=shown, running=running,
                )
                head = pool.submit(
                    run_synth, command, folder, timeout, progress, "pull request",
                    shown=shown, running=running,
                )
                head_error = head.exception()
                base_error = base.exception()
            except BaseException:
                # Stopped while they run (a signal): end both, or the pool would wait for
                # them before the work tree can be removed.
                running.stop()
                raise
        if head_error is not None:
            raise head_error
        if base_error is None:
            return
        if isinstance(base_error, InputError):
            self._synth_error = (
                f"the synth command failed at {base_label}: {base_error.message}"
            )
            return
        raise base_error

    def side(self, templates: Sequence[Path], stack_name: str | None) -> GitRevision:
        """The new side's ``templates`` as they are at this revision."""
        return GitRevision(
            templates, self.tree, self.root, self.label, stack_name, self._synth_error,
            synthesized=self._synthesized,
        )

    def overrides(
        self, templates: Sequence[Path], stacks: Sequence[StackTemplate]
    ) -> tuple[dict[str, str], list[StackTemplate]]:
        """The parameter overrides the base commit deploys with: its own ``samconfig`` of the
        new side's ``templates``, read from the base commit (each side deploys with its own
        settings). One that cannot be read there leaves the base's ``stacks`` with their
        defaults, and a note on each says so."""
        from reviewer.sources.cloudformation.parameters import samconfig_overrides

        try:
            return samconfig_overrides(self.paths(templates)), list(stacks)
        except InputError as exc:
            note = (
                f"the base's samconfig could not be read ({self.error_text(exc)}): the base "
                "is compared with its parameters' defaults"
            )
            return {}, [replace(stack, notes=(*stack.notes, note)) for stack in stacks]

    def code_advice(self) -> tuple[str, str]:
        """How the base side is named in a note on code that could not be read, and how to
        make it readable on both sides."""
        if self._synthesized:
            return f"at {self.where}", (
                "the synth command did not build it: make it build the code on both sides "
                "(sam build writes .aws-sam/build/template.yaml, which names the built code)"
            )
        return f"at {self.where}", (
            "build it on both sides: synth-command: sam build (CLI: --synth 'sam build'), and "
            "read the template it writes, .aws-sam/build/template.yaml (found without "
            "--template)"
        )
