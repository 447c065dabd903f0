"""What a newcomer reads first: --help, the README's usage block and rule table, explain."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import run_cli

from reviewer.cli import usage_synopsis
from reviewer.rules.base import Rule
from reviewer.rules.registry import RULES

REPO = Path(__file__).parents[1]
UPDATE = REPO / "scripts" / "update_readme.py"


def _help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, *command, "--help")
    assert exit_.value.code == 0
    # argparse wraps help to the terminal width: join it back to compare words
    return " ".join(capsys.readouterr().out.split())


def test_pre_commit_help_describes_every_argument(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys, "pre-commit")
    assert "FILE a staged file" in text
    assert "--fail-on {error,warning,notice,never} lowest severity" in text
    assert "--config FILE configuration file" in text
    assert "--base REV the revision to compare with" in text


def test_template_help_says_subfolders_are_not_searched(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert "subfolders are not searched" in _help(capsys, "check")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| directory of templ"))
    assert "subfolders are not searched" in row


def _readme_check(readme: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(UPDATE), "--check", "--readme", str(readme)],
        capture_output=True, text=True, check=False,
    )


def test_readme_usage_and_rule_table_match_the_parser_and_the_registry() -> None:
    run = _readme_check(REPO / "README.md")
    assert run.returncode == 0, run.stderr  # the message names the command that rewrites them
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for option in ("--endpoint-url URL", "--debug", "--working-directory/-C DIR", "--base REV"):
        assert option in readme, option
    for rule in RULES:
        assert f"| {rule.id} | {rule.name} | {rule.default_severity.value} |" in readme
    assert "## Usage" in readme and "### What it reads" in readme  # the prose around stays


def test_a_drifted_readme_fails_the_check_and_names_the_fix(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    shutil.copy(REPO / "README.md", readme)
    text = readme.read_text(encoding="utf-8").replace(" [--endpoint-url URL]", "")
    text = re.sub(r"^\| LG003 .*\n", "", text, flags=re.MULTILINE)
    readme.write_text(text, encoding="utf-8")
    run = _readme_check(readme)
    assert run.returncode == 1
    assert "out of date: usage, rules" in run.stderr
    assert "python scripts/update_readme.py" in run.stderr
    rewrite = subprocess.run([sys.executable, str(UPDATE), "--readme", str(readme)],
                             capture_output=True, text=True, check=False)
    assert rewrite.returncode == 0, rewrite.stderr
    assert readme.read_text(encoding="utf-8") == (REPO / "README.md").read_text(encoding="utf-8")


def test_usage_synopsis_has_one_block_per_command() -> None:
    lines = usage_synopsis().splitlines()
    starts = [line.split()[1] for line in lines if line.startswith("latest-guard ")]
    assert starts == ["--version", "check", "pre-commit", "fix", "hook", "rules", "explain"]
    assert all(len(line) <= 96 for line in lines)
    pre_commit = next(line for line in lines if line.startswith("latest-guard pre-commit"))
    assert "--base REV" in pre_commit


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_explain_prints_each_table_row_on_one_line(
    capsys: pytest.CaptureFixture[str], rule: type[Rule]
) -> None:
    run = run_cli(capsys, "explain", rule.id)
    assert run.code == 0
    rows = [line for line in run.out.splitlines() if line.startswith("|")]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert row.endswith("|") and all(cells), row  # no half row, no empty cell


def test_explain_lg001_keeps_every_severity_row_whole(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = run_cli(capsys, "explain", "LG001").out
    rows = [line for line in out.splitlines() if line.startswith("|")]
    assert len(rows) == 6  # header, rule, error, warning, notice, may-race notice
    error = next(row for row in rows if row.endswith("| error |"))
    assert "Layers" in error and "FileSystemConfigs" in error and "SnapStart" in error
    notice, may_race = [row for row in rows if row.endswith("| notice |")]
    assert "code signing" in notice
    assert "cannot be known" in may_race


def test_explain_wraps_to_the_terminal_and_lists_a_table_too_wide_for_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS")
    out = subprocess.run(  # standard output is a pipe, not a terminal: 80 columns
        [sys.executable, "-m", "reviewer", "explain", "LG001"], capture_output=True, text=True,
        check=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    ).stdout
    code = False
    for line in out.splitlines():
        code = code != line.startswith("```")
        assert code or line.startswith("```") or len(line) <= 80, line  # code as written
    assert not any(line.startswith("|") for line in out.splitlines())
    assert "changes with the code → severity:\n- Layers, Runtime, Handler" in out
    assert "KmsKeyArn or SnapStart (the code needs them to run): error\n" in out
    monkeypatch.setenv("COLUMNS", "100")  # the table of LG005 fits in 100 columns
    assert "| does not change the function | warning |" in run_cli(capsys, "explain", "LG005").out


@pytest.mark.parametrize(("lines", "heading"), [
    (1, "latest-guard: the last line of its output:"),
    (2, "latest-guard: the last 2 lines of its output:"),
])
def test_failed_synth_counts_its_last_lines_in_english(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, lines: int, heading: str
) -> None:
    command = "; ".join(f"echo line {i}" for i in range(lines)) + "; exit 3"
    run = run_cli(capsys, "check", "--synth", command, "-C", tmp_path, "-t", "cdk.out")
    assert run.code == 2
    assert heading in run.err.splitlines()
