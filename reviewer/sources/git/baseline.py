"""The baseline side from a git revision: a temporary work tree of the repository at that ref.

``git show REF:path`` is enough for one template file (see ``blob``), but a baseline that
has to be synthesized (``npx cdk synth``, ``serverless package``) or that spans a directory
needs the whole project as it was. ``worktree(ref, repo)`` checks the revision out into a
temporary directory with ``git worktree add --detach`` (the user's work tree, index and
branches are untouched), yields it, and always removes it again, also when the body raises or
the run is interrupted with Ctrl-C. ``baseline_paths`` maps the new side's paths to the same
places in that work tree.

Untracked and ignored files (``node_modules``, virtual environments, build output) are not in
the work tree: a synth command that needs them must install them there. Hooks of the
repository (``post-checkout``) are not run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from reviewer.errors import InputError

#: Variables that point git at another repository or index (set inside git hooks, for one):
#: they would make the work tree commands act on the wrong repository.
_GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR")


def repository_root(path: Path) -> Path:
    """The top directory of the git work tree that holds ``path`` (a file or a directory)."""
    start = path if path.is_dir() else path.parent
    if not start.is_dir():
        raise InputError(path, "does not exist: cannot find its git repository")
    result = run_git(start, "rev-parse", "--show-toplevel", where=path)
    if result.returncode != 0:
        if "not a git repository" in result.stderr.lower():
            raise InputError(path, "is not in a git repository: cannot read a baseline from a ref")
        raise InputError(path, f"git cannot use its repository: {_first_line(result.stderr)}")
    return Path(result.stdout.strip())


@contextmanager
def worktree(ref: str, repo: Path) -> Iterator[Path]:
    """A temporary detached work tree of the repository holding ``repo``, at ``ref``.

    Raises InputError when git is missing, ``repo`` is not in a git repository, or ``ref``
    names no commit there. The work tree and its temporary directory are removed on exit.
    """
    root = repository_root(repo)
    commit = commit_of(root, ref)
    holder = Path(tempfile.mkdtemp(prefix="latest-guard-baseline-"))
    target = holder / root.name
    try:
        added = run_git(root, "worktree", "add", "--detach", str(target), commit, where=root)
        if added.returncode != 0:
            raise InputError(root, f"cannot check out {ref}: {_first_line(added.stderr)}")
        yield target
    finally:
        _remove(root, target, holder)


def baseline_paths(paths: Sequence[Path], worktree: Path, repo_root: Path) -> list[Path]:
    """The same files in ``worktree``: each path taken relative to ``repo_root``.

    Relative paths are read from the current directory. A path outside the repository has no
    counterpart at another revision and raises InputError.
    """
    root = repo_root.resolve()
    out: list[Path] = []
    for path in paths:
        absolute = path.absolute()
        # Resolve the folder (symbolic links such as /tmp -> /private/tmp) but not the file
        # itself, which may be a link into another place or not exist yet.
        if absolute.name in ("", ".."):
            located = absolute.resolve()
        else:
            located = absolute.parent.resolve() / absolute.name
        if located == root:
            out.append(worktree)
            continue
        try:
            relative = located.relative_to(root)
        except ValueError:
            raise InputError(
                path, f"is outside the git repository {root}: it has no baseline at a ref"
            ) from None
        out.append(worktree / relative)
    return out


def is_tracked(path: Path, repo_root: Path) -> bool:
    """Whether git tracks ``path`` (a file, or any file under a directory) in the work tree
    of ``repo_root``: a template the change adds is tracked, build output is not."""
    result = run_git(
        repo_root, "--literal-pathspecs", "ls-files", "--cached", "--", str(path.absolute()),
        where=path, check=False,
    )
    return result.returncode == 0 and bool(result.stdout.strip())


def is_ignored(path: Path, repo_root: Path) -> bool:
    """Whether ``.gitignore`` (or another exclude file) leaves ``path`` out of git: build
    output usually is, a new template the user has not added yet is not. (``check-ignore``
    takes no pathspec magic: the path is matched as a path.)"""
    result = run_git(
        repo_root, "check-ignore", "--quiet", "--", str(path.absolute()), where=path, check=False,
    )
    return result.returncode == 0


def commit_of(root: Path, ref: str) -> str:
    """The commit ``ref`` names; ``--end-of-options`` keeps a ref like ``-x`` from being read
    as an option."""
    result = run_git(
        root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
        where=root,
    )
    if result.returncode != 0 or not result.stdout.strip():
        shallow = run_git(root, "rev-parse", "--is-shallow-repository", where=root, check=False)
        hint = _shallow_hint() if shallow.stdout.strip() == "true" else ""
        raise InputError(
            root, f"unknown revision {ref}: no commit of that name in this repository{hint}"
        )
    return result.stdout.strip()


def _shallow_hint() -> str:
    """What fetches the history a shallow checkout lacks: in GitHub Actions the checkout
    step's setting, elsewhere git itself."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return " (this checkout is shallow: give actions/checkout 'fetch-depth: 0')"
    return " (this clone is shallow: run `git fetch --unshallow` to fetch its history)"


def _remove(root: Path, target: Path, holder: Path) -> None:
    """Remove the work tree (even with synth output in it) and forget it; never raise."""
    if target.exists():
        run_git(root, "worktree", "remove", "--force", str(target), where=root, check=False)
    shutil.rmtree(holder, ignore_errors=True)
    run_git(root, "worktree", "prune", where=root, check=False)


def add_config(env: MutableMapping[str, str], entries: Mapping[str, str]) -> None:
    """Add git configuration ``entries`` to ``env`` through ``GIT_CONFIG_COUNT`` and its
    ``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n`` pairs, after any already there: git reads them
    as command-line configuration, which puts no value on a command line."""
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for offset, (key, value) in enumerate(entries.items()):
        env[f"GIT_CONFIG_KEY_{count + offset}"] = key
        env[f"GIT_CONFIG_VALUE_{count + offset}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(entries))


def git_environment(config: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs in: none of the variables that point it at another
    repository, Git LFS objects left as pointers (a work tree is read as data), and
    ``config`` added as environment configuration (see :func:`add_config`)."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION}
    env["GIT_LFS_SKIP_SMUDGE"] = "1"
    if config:
        add_config(env, config)
    return env


def run_git(
    cwd: Path,
    *args: str,
    where: Path,
    check: bool = True,
    config: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run git without hooks, in an environment that does not point at another repository,
    with ``config`` added as environment configuration (see :func:`add_config`).

    ``check=False`` also swallows a missing git (used while cleaning up).
    """
    env = git_environment(config)
    command = ["git", "-c", "core.hooksPath=/dev/null", *args]
    try:
        return subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        if not check:
            return subprocess.CompletedProcess(command, 127, "", "git not found")
        raise InputError(where, "git is not installed: cannot read a baseline from a ref") from None


def _first_line(text: str) -> str:
    """What git says went wrong: its first ``fatal:`` or ``error:`` line (progress lines such
    as "Preparing worktree" come first), else its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        for prefix in ("fatal: ", "error: "):
            if line.startswith(prefix):
                return line.removeprefix(prefix)
    return lines[-1] if lines else "git failed"
