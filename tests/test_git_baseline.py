"""The baseline from a git ref: a temporary work tree of a real repository, always removed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from support import FIXTURES, git

from reviewer.config import Config
from reviewer.errors import InputError
from reviewer.pipeline.analysis import analyze
from reviewer.sources import load_side
from reviewer.sources.git.baseline import baseline_paths, repository_root, worktree

pytestmark = pytest.mark.usefixtures("isolated_git")

CASE = FIXTURES / "arm64-layer"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main has the deployed template; the work tree has the new one, not committed."""
    root = tmp_path / "orders-service"
    (root / "infra").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    shutil.copy(CASE / "baseline.yaml", root / "infra" / "template.yaml")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    shutil.copy(CASE / "template.yaml", root / "infra" / "template.yaml")
    return root


def worktrees(root: Path) -> list[str]:
    return [
        line.removeprefix("worktree ")
        for line in git(root, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def test_worktree_holds_the_file_as_committed_and_the_change_is_found(repo: Path) -> None:
    new = repo / "infra" / "template.yaml"
    with worktree("main", repo) as tree:
        [old] = baseline_paths([new], tree, repository_root(repo))
        assert old == tree / "infra" / "template.yaml"
        assert old.read_text(encoding="utf-8") == (CASE / "baseline.yaml").read_text("utf-8")
        report = analyze(load_side(new, None), load_side(old, None), Config(), "ref main")
    assert [(f.rule, f.resource, f.severity.value) for f in report.findings] == [
        ("LG001", "OrdersFn", "error")
    ]
    # The user's work tree keeps the new content.
    assert new.read_text(encoding="utf-8") == (CASE / "template.yaml").read_text("utf-8")


def test_worktree_is_removed_afterwards_even_with_synth_output_in_it(repo: Path) -> None:
    with worktree("HEAD", repo / "infra") as tree:
        (tree / "cdk.out").mkdir()
        (tree / "cdk.out" / "manifest.json").write_text("{}", encoding="utf-8")
        (tree / "infra" / "template.yaml").write_text("edited by a synth\n", encoding="utf-8")
    assert not tree.exists()
    assert not tree.parent.exists()
    assert worktrees(repo) == [str(repo)]
    assert git(repo, "status", "--porcelain") == " M infra/template.yaml\n"


def test_worktree_is_removed_when_the_body_raises(repo: Path) -> None:
    with pytest.raises(RuntimeError, match="synth failed"), worktree("main", repo) as tree:
        assert (tree / "infra" / "template.yaml").is_file()
        raise RuntimeError("synth failed")
    assert not tree.parent.exists()
    assert worktrees(repo) == [str(repo)]


def test_a_tag_or_an_older_commit_works(repo: Path) -> None:
    git(repo, "tag", "v1")
    git(repo, "commit", "-q", "-am", "new layer")
    with worktree("v1", repo) as tree:
        text = (tree / "infra" / "template.yaml").read_text(encoding="utf-8")
    assert "deps-x86_64" in text
    with worktree("HEAD~1", repo) as tree:
        assert (tree / "infra" / "template.yaml").read_text(encoding="utf-8") == text


def test_unknown_ref_is_one_line_naming_it(repo: Path) -> None:
    with pytest.raises(InputError) as caught, worktree("release/2024-01", repo):
        pytest.fail("no work tree for an unknown ref")
    message = str(caught.value)
    assert "unknown revision release/2024-01" in message
    assert "\n" not in message
    assert worktrees(repo) == [str(repo)]


def test_a_ref_that_looks_like_an_option_is_just_unknown(repo: Path) -> None:
    with pytest.raises(InputError, match="unknown revision --orphan"), worktree("--orphan", repo):
        pytest.fail("no work tree")


def test_repository_hooks_do_not_run(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "post-checkout"
    marker = repo / "hook-ran"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\n", encoding="utf-8")
    hook.chmod(0o755)
    with worktree("main", repo) as tree:
        assert (tree / "infra").is_dir()
    assert not marker.exists()


def test_path_outside_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(InputError, match="is not in a git repository") as caught, \
            worktree("main", plain / "template.yaml"):
        pytest.fail("no work tree outside a repository")
    assert caught.value.path == str(plain / "template.yaml")


def test_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "template.yaml"
    with pytest.raises(InputError, match="does not exist"), worktree("main", missing):
        pytest.fail("no work tree")


def test_git_not_installed(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(InputError, match="git is not installed"), worktree("main", repo):
        pytest.fail("no work tree without git")


def test_baseline_paths_relative_to_the_current_directory(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "infra")
    tree = tmp_path / "tree"
    assert baseline_paths(
        [Path("template.yaml"), Path(), Path("..")], tree, repository_root(Path())
    ) == [tree / "infra" / "template.yaml", tree / "infra", tree]
    with pytest.raises(InputError, match="outside the git repository") as caught:
        baseline_paths([tmp_path / "elsewhere.yaml"], tree, repo)
    assert caught.value.path == str(tmp_path / "elsewhere.yaml")


def test_baseline_paths_through_a_symbolic_link_to_the_repository(
    repo: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(repo)
    tree = tmp_path / "tree"
    assert baseline_paths([link / "infra" / "template.yaml"], tree, repository_root(link)) == [
        tree / "infra" / "template.yaml"
    ]


def test_cli_compares_with_the_same_template_at_a_git_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reviewer.cli import main

    fixtures = Path(__file__).parent / "fixtures" / "arm64-layer"
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    template = repo / "infra" / "template.yaml"
    template.write_text((fixtures / "baseline.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "deployed"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                       cwd=repo, check=True, capture_output=True)
    template.write_text((fixtures / "template.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(repo)
    # A temporary folder of this test's own: other tests (and workers) make work trees too.
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    code = main(["check", "-t", "infra/template.yaml", "--baseline-ref", "HEAD", "-f", "json"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    report = json.loads(captured.out)
    assert report["baseline"] == "git HEAD"
    assert report["findings"][0]["rule"] == "LG001"
    assert not list(private.glob("latest-guard-baseline-*"))


def test_a_git_failure_is_named_by_its_error_not_its_progress_line(tmp_path: Path) -> None:
    """git prints "Preparing worktree" before the error: the error is what the user reads."""
    from reviewer.sources.git.baseline import _first_line

    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                       cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x", encoding="utf-8")
    failed = subprocess.run(["git", "worktree", "add", "--detach", "busy", "HEAD"],
                            cwd=tmp_path, capture_output=True, text=True, check=False)
    assert failed.returncode != 0
    assert failed.stderr.startswith("Preparing worktree")
    assert _first_line(failed.stderr) == "'busy' already exists"


@pytest.mark.parametrize(
    ("signum", "said"),
    [
        (signal.SIGTERM, "latest-guard: stopped by SIGTERM"),
        (signal.SIGHUP, "latest-guard: stopped by SIGHUP"),
        (signal.SIGINT, "latest-guard: interrupted"),
    ],
)
def test_a_stopped_run_removes_its_work_tree_and_ends_its_synth_commands(
    repo: Path, tmp_path: Path, signum: signal.Signals, said: str
) -> None:
    """A cancelled CI job sends SIGTERM (SIGINT first on GitHub), a closed terminal SIGHUP:
    the run stops its synth commands, removes the baseline's work tree, and exits with
    128 + the signal's number."""
    git(repo, "commit", "-q", "-am", "the change")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    pids = tmp_path / "synth.pids"
    synth = f"echo $$ >> {pids}; exec sleep 30"
    process = subprocess.Popen(
        [sys.executable, "-m", "reviewer", "check", "-t", "infra/template.yaml",
         "--baseline-ref", "HEAD~1", "--synth", synth],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(temporary),
             "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    try:
        started = _wait_for(lambda: pids.is_file() and len(pids.read_text().split()) == 2)
        assert started, "both synth commands should be running"
        assert len(list(temporary.glob("latest-guard-baseline-*"))) == 1
        assert len(worktrees(repo)) == 2
        process.send_signal(signum)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 128 + signum, err
    assert said in err
    assert list(temporary.iterdir()) == []
    assert worktrees(repo) == [str(repo)]
    for pid in map(int, pids.read_text().split()):
        assert _wait_for(partial(_ended, pid)), f"synth {pid} still runs"


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
