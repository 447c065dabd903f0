"""A file as it is at a git revision, read with ``git show`` (no work tree is touched)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from reviewer.errors import InputError
from reviewer.sources.git.baseline import git_environment


def read_at_revision(path: Path, revision: str) -> str | None:
    """The text of ``path`` at ``revision``; None when the file does not exist there."""
    directory = path.parent if path.parent != Path() else Path()
    try:
        result = subprocess.run(
            ["git", "show", f"{revision}:./{path.name}"],
            cwd=directory,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(path, "git is not installed: cannot read the baseline") from None
    if result.returncode == 0:
        try:
            return result.stdout.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(path, f"is not UTF-8 text at {revision}") from None
    message = result.stderr.decode(errors="replace").strip()
    if "does not exist" in message or "exists on disk, but not in" in message:
        return None
    first = message.splitlines()[0] if message else f"git exited with {result.returncode}"
    raise InputError(path, f"cannot read it at {revision}: {first}")


def read_blob(root: Path, commit: str, path: str) -> tuple[str, bytes] | None:
    """The mode and the bytes of ``path`` (from the repository's root) at ``commit``, as git
    stores them (no end-of-line or filter conversion); None when it is not a file there."""
    listed = _git_bytes(root, "ls-tree", "-z", commit, "--", path)
    if not listed:
        return None
    meta, _, _ = listed.partition(b"\t")
    mode, kind, blob = meta.decode().split()
    if kind != "blob":
        return None
    content = _git_bytes(root, "cat-file", "blob", blob)
    return (mode, content) if content is not None else None


def _git_bytes(root: Path, *args: str) -> bytes | None:
    try:
        result = subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", *args], cwd=root, capture_output=True,
            check=False, stdin=subprocess.DEVNULL, env=git_environment(),
        )
    except FileNotFoundError:
        raise InputError(root, "git is not installed") from None
    return result.stdout if result.returncode == 0 else None
