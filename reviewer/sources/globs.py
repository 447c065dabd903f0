"""Template paths given as glob patterns (``services/*/template.yaml``), expanded.

A monorepo names its services' templates with one pattern, on the command line (quoted, so
that latest-guard expands it the same way on every shell) and in the Action's ``template``
input. A pattern expands to the paths it matches, sorted, so that a run reads the same on
every machine; ``**`` crosses folders. A path that exists is taken as it is, even when its
name holds ``[``, ``*`` or ``?``. A pattern that matches nothing is an input error that names
it: a silently empty side would check nothing and pass.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path

from reviewer.errors import InputError


def expand(paths: Iterable[Path], folder: Path) -> list[Path]:
    """``paths`` read from ``folder``, each glob pattern among them replaced by its matches."""
    out: list[Path] = []
    for path in paths:
        pattern = str(path)
        # No wildcard, or a file whose name holds one ("report [v2].yaml"): the path itself.
        if glob.escape(pattern) == pattern or (folder / path).exists():
            out.append(folder / path)
            continue
        # glob.glob, not Path.glob: a shell's rules (``*`` skips hidden files; absolute
        # patterns allowed), as the user who typed the pattern expects.
        matches = sorted(glob.glob(pattern, root_dir=folder, recursive=True))  # noqa: PTH207
        if not matches:
            raise InputError(pattern, "matches no file or directory")
        out.extend(folder / match for match in matches)
    return out
