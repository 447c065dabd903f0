"""The room of a baseline revision, as a user notices it: whatever way a run with
``--baseline-ref`` ends, no work tree of the base commit is left in the repository or on disk,
and the base is named by its short ref."""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from pathlib import Path

import pytest
from support import git, run_cli, validate
from template_builder import CODE_V1, CODE_V2, template

from reviewer.errors import InputError
from reviewer.sources.git.revision import BaseRevision

pytestmark = pytest.mark.usefixtures("isolated_git")

#: The synth command: the built template is a copy of ``src.json`` (it fails without one).
BUILD = shlex.join([
    sys.executable, "-c",
    "import os, shutil, sys; os.path.exists('src.json') or sys.exit('Build Failed: no src.json'); "
    "os.makedirs('out', exist_ok=True); shutil.copy('src.json', 'out/template.json')",
])


def body(code: dict[str, str], runtime: str) -> str:
    return json.dumps(template({"OrdersFn": {"Code": code, "Runtime": runtime}}), indent=1)


def worktrees(root: Path) -> list[str]:
    return [
        line.removeprefix("worktree ")
        for line in git(root, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder temporary work trees are made in, watched by the test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose template is build output (``out/``, ignored) made from ``src.json``;
    the current directory."""
    root = tmp_path / "orders"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("out/\n", encoding="utf-8")
    (root / "template.json").write_text(body(CODE_V1, "python3.12"), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    monkeypatch.chdir(root)
    return root


def test_a_base_synth_that_fails_leaves_a_missing_baseline_and_no_work_tree(
    repo: Path, temporary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``src.json`` is new in the change: the build fails at the base commit only."""
    (repo / "src.json").write_text(body(CODE_V2, "python3.13"), encoding="utf-8")
    run = run_cli(capsys, "check", "-t", "out/template.json", "--baseline-ref", "main",
                  "--synth", BUILD, "-f", "json")
    assert run.code == 0, run.err
    validate(run.report)
    (stack,) = run.report["stacks"]
    assert stack["status"] == "baseline-missing"
    assert any("the synth command failed at base main" in n for n in stack["notes"])
    assert worktrees(repo) == [str(repo)]
    assert list(temporary.iterdir()) == []


def test_a_new_side_synth_that_fails_is_one_line_and_leaves_no_work_tree(
    repo: Path, temporary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The base has ``src.json`` and builds; the change deletes it, so its build fails."""
    (repo / "src.json").write_text(body(CODE_V1, "python3.12"), encoding="utf-8")
    git(repo, "add", "src.json")
    git(repo, "commit", "-q", "-m", "source")
    (repo / "src.json").unlink()
    run = run_cli(capsys, "check", "-t", "out/template.json", "--baseline-ref", "HEAD",
                  "--synth", BUILD)
    assert run.code == 2
    (line,) = run.err.strip().splitlines()[-1:]
    assert line.startswith("latest-guard: ") and "failed with exit status 1" in line
    assert "Traceback" not in run.err
    assert worktrees(repo) == [str(repo)]
    assert list(temporary.iterdir()) == []


def test_a_commit_id_is_named_by_its_first_twelve_characters(
    repo: Path, temporary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit = git(repo, "rev-parse", "HEAD").strip()
    (repo / "template.json").write_text(body(CODE_V2, "python3.13"), encoding="utf-8")
    run = run_cli(capsys, "check", "-t", "template.json", "--baseline-ref", commit, "-f", "json")
    assert run.code == 1, run.err
    assert run.report["baseline"] == f"git {commit[:12]}"
    assert [(f["rule"], f["resource"]) for f in run.report["findings"]] == [("LG001", "OrdersFn")]
    assert commit not in run.out.replace(commit[:12], "")
    assert worktrees(repo) == [str(repo)]
    assert list(temporary.iterdir()) == []


def test_the_room_makes_a_work_tree_only_when_asked_and_removes_it(
    repo: Path, temporary: Path
) -> None:
    with BaseRevision("main", repo) as revision:
        assert revision.commit == git(repo, "rev-parse", "main").strip()
        assert worktrees(repo) == [str(repo)]  # the commit alone needs no work tree
        (base,) = revision.paths([repo / "template.json"])
        assert json.loads(base.read_text(encoding="utf-8"))["Resources"]["OrdersFn"]
        assert len(worktrees(repo)) == 2
    assert worktrees(repo) == [str(repo)]
    assert list(temporary.iterdir()) == []


def test_an_unknown_ref_is_named_before_any_work_tree(repo: Path, temporary: Path) -> None:
    with pytest.raises(InputError, match="unknown revision release-9"), BaseRevision(
        "release-9", repo
    ) as revision:
        revision.side([repo / "template.json"], None)
    assert worktrees(repo) == [str(repo)]
    assert list(temporary.iterdir()) == []
