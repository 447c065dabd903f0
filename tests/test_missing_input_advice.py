"""What a user is told when an input is missing: the advice fits where they are (a file not
there, a template not added to git yet, a shallow clone on a laptop or in GitHub Actions)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import run_cli
from template_builder import CODE_V1, template

TEMPLATE = json.dumps(template({"Fn": {"Code": CODE_V1}}))


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c",
         "commit.gpgsign=false", *args],
        cwd=cwd, check=True, capture_output=True,
    )


def _words(text: str) -> str:
    """``text`` with its lines joined: the text report wraps notes to the terminal's width."""
    return " ".join(text.split())


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository of two commits holding ``template.yaml``, the current directory."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    _git(repo, "add", "template.yaml")
    _git(repo, "commit", "-q", "-m", "first")
    (repo / "README.md").write_text("x\n", encoding="utf-8")
    _git(repo, "add", "README.md")
    _git(repo, "commit", "-q", "-m", "second")
    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return repo


def test_fix_of_a_file_that_is_not_there_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = run_cli(capsys, "fix", "-t", "missing.yaml")
    assert run.code == 2
    assert run.err == "latest-guard: error: missing.yaml: no such file\n"


def test_fix_of_a_folder_says_what_fix_edits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cdk.out").mkdir()
    run = run_cli(capsys, "fix", "-t", "cdk.out")
    assert run.code == 2
    assert "fix edits a template file" in run.err
    assert "no such file" not in run.err


def test_a_new_template_not_added_yet_is_told_to_git_add_it(
    capsys: pytest.CaptureFixture[str], repository: Path
) -> None:
    (repository / "orders.yaml").write_text(TEMPLATE, encoding="utf-8")
    run = run_cli(capsys, "check", "-t", "orders.yaml", "--baseline-ref", "HEAD")
    assert run.code == 0
    assert "orders.yaml is not in git: if it is a new template, `git add` it" in _words(run.out)
    _git(repository, "add", "orders.yaml")
    added = run_cli(capsys, "check", "-t", "orders.yaml", "--baseline-ref", "HEAD")
    assert "baseline missing" not in added.out + added.err  # now a new stack, said as such


def test_an_ignored_template_is_build_output_made_on_both_sides_by_synth(
    capsys: pytest.CaptureFixture[str], repository: Path
) -> None:
    (repository / ".gitignore").write_text("built.yaml\n", encoding="utf-8")
    (repository / "built.yaml").write_text(TEMPLATE, encoding="utf-8")
    run = run_cli(capsys, "check", "-t", "built.yaml", "--baseline-ref", "HEAD")
    assert "is not in git (build output): give synth-command (--synth)" in _words(run.out)
    assert "git add" not in run.out


@pytest.mark.parametrize(("actions", "advice"), [
    (None, "(this clone is shallow: run `git fetch --unshallow` to fetch its history)"),
    ("true", "(this checkout is shallow: give actions/checkout 'fetch-depth: 0')"),
])
def test_a_shallow_clone_is_told_how_to_fetch_the_history_where_it_runs(
    capsys: pytest.CaptureFixture[str], repository: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, actions: str | None, advice: str,
) -> None:
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", "--depth", "1", repository.as_uri(), str(clone))
    monkeypatch.chdir(clone)
    if actions is not None:
        monkeypatch.setenv("GITHUB_ACTIONS", actions)
    run = run_cli(capsys, "check", "-t", "template.yaml", "--baseline-ref", "HEAD~1")
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert run.err.endswith(f"unknown revision HEAD~1: no commit of that name in this repository "
                            f"{advice}\n")
