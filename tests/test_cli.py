"""The command line as a user meets it: exit codes, one-line errors, text output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXTURES, pair, run_cli, shown

from reviewer.rules.registry import RULES

REPO = Path(__file__).parents[1]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_text_report_groups_by_stack_and_names_consumers_and_properties(
    capsys: pytest.CaptureFixture[str],
) -> None:
    template, baseline = pair("arm64-layer")
    run = run_cli(capsys, "check", "-t", template, "-b", baseline, "--stack-name", "orders-prod")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0].startswith("latest-guard ") and "baseline: template" in lines[0]
    assert "orders-prod" in lines
    text = run.out
    assert "✖ LG001 error   OrdersFn" in text
    assert f"({shown(template)}:3)" in text
    assert "Architectures x86_64 → arm64" in text
    assert "config side  Layers (swapped deps-x86_64:4 for deps-arm64:1)" in text
    for consumer in ("GetOrders", "QueueMapping", "Nightly"):
        assert consumer in text
    assert lines[-1].startswith("1 error · 0 warnings · 0 notices")


def test_output_file_receives_the_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template, baseline = pair("code-env")
    out = tmp_path / "report.json"
    run = run_cli(capsys, "check", "-t", template, "-b", baseline, "-f", "json", "-o", out)
    assert run.code == 1
    assert run.out == ""
    assert '"schema": "latest-guard/report@1"' in out.read_text(encoding="utf-8")


def test_fail_on_never_always_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    template, baseline = pair("arm64-layer")
    assert run_cli(capsys, "check", "-t", template, "-b", baseline, "--fail-on", "never").code == 0


def test_without_a_baseline_every_stack_is_new_and_the_report_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    template, _ = pair("arm64-layer")
    run = run_cli(capsys, "check", "-t", template)
    assert run.code == 0
    assert "no baseline given" in run.out


BAD_INPUTS = [
    ("missing.yaml", None, "no such file", None),
    ("broken.yaml", "Resources:\n  Fn:\n    Type: [unclosed\n", "malformed YAML", 4),
    ("broken.json", '{\n  "Resources": {\n    "Fn": {,}\n  }\n}\n', "malformed JSON", 3),
    ("list.yaml", "- just\n- a list\n", "not a CloudFormation template", 1),
    ("empty.yaml", "", "is empty", None),
    ("blank.json", "\n  \n", "is empty", None),
    ("comments.yaml", "# nothing here yet\n", "is empty", None),
    ("noresources.yaml", "Description: hello\n", "no Resources section", None),
    ("resources-list.yaml", "Resources:\n  - Fn\n", "Resources is not a mapping", 1),
    ("dupe.yaml", "Resources:\n  Fn: {Type: A}\n  Fn: {Type: B}\n", "duplicate key 'Fn'", 3),
    ("dupe.json", '{"Resources": {"A": {}, "A": {}}}', "duplicate key 'A'", None),
    ("binary.yaml", b"Resources:\n  \xff\xfe: 1\n", "not UTF-8", 2),
]


@pytest.mark.parametrize(("name", "content", "reason", "line"), BAD_INPUTS)
def test_bad_input_is_one_line_naming_the_file_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    content: str | bytes | None,
    reason: str,
    line: int | None,
) -> None:
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    good, _ = pair("arm64-layer")
    run = run_cli(capsys, "check", "--template", path, "--baseline", good)
    assert run.code == 2
    assert run.out == ""
    message = run.err.strip()
    assert "\n" not in message and "Traceback" not in message
    where = f"{path}:{line}:" if line else f"{path}:"
    assert message.startswith(f"latest-guard: error: {where}"), message
    assert reason in message


def test_a_directory_is_not_a_template(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run = run_cli(capsys, "check", "-t", tmp_path)
    assert run.code == 2
    assert str(tmp_path) in run.err and "directory" in run.err


def test_bad_baseline_is_reported_against_the_baseline_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = write(tmp_path, "old.yaml", "Resources: {Fn: {Type: !Ref}}\n  x: [\n")
    template, _ = pair("arm64-layer")
    run = run_cli(capsys, "check", "-t", template, "-b", bad)
    assert run.code == 2
    assert f"{bad}:" in run.err


def test_rules_lists_every_rule(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    run = run_cli(capsys, "rules")
    assert run.code == 0
    assert all(len(line) <= 60 for line in run.out.splitlines())  # summaries wrap, indented
    ids = [line.split()[0] for line in run.out.splitlines() if not line.startswith(" ")]
    assert ids[:3] == ["LG001", "LG002", "LG003"]
    assert ids == [rule.id for rule in RULES]  # one line per registered rule, in report order
    assert "latest-race" in run.out


@pytest.mark.parametrize("key", ["LG001", "lg001", "latest-race"])
def test_explain_prints_the_rule_documentation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough for the severity table
    run = run_cli(capsys, "explain", key)
    assert run.code == 0
    assert run.out.startswith("# LG001 latest-race")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "Use instead"):
        assert heading in run.out
    assert "| Layers, Runtime, Handler" in run.out  # the severity table


def test_explain_unknown_rule_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(capsys, "explain", "LG999")
    assert run.code == 2
    assert "unknown rule 'LG999'" in run.err


def test_local_check_never_imports_aws_or_github_clients() -> None:
    template, baseline = pair("arm64-layer")
    probe = (
        "import sys\n"
        "from reviewer.cli import main\n"
        f"code = main(['check', '-t', {str(template)!r}, '-b', {str(baseline)!r}, '-f', 'json'])\n"
        "heavy = sorted(m for m in ('boto3', 'botocore', 'github', 'samtranslator', 'cfnlint')"
        " if m in sys.modules)\n"
        "sys.stderr.write('IMPORTED=' + ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert "IMPORTED=" in result.stderr, result.stderr
    assert result.stderr.rsplit("IMPORTED=", 1)[1] == ""


def test_console_script_runs_the_example(tmp_path: Path) -> None:
    example = REPO / "examples" / "arm64-switch"
    result = subprocess.run(
        [sys.executable, "-m", "reviewer", "check", "--template", str(example / "template.yaml"),
         "--baseline", str(example / "baseline.yaml")],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "LG001 error   OrdersFn" in result.stdout


def test_fixtures_folder_is_complete() -> None:
    for folder in FIXTURES.iterdir():
        if folder.is_dir():
            assert list(folder.glob("template*")) and list(folder.glob("baseline*")), folder


def test_fix_names_the_users_file_in_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template = write(tmp_path, "template.yaml",
                     (FIXTURES / "arm64-layer" / "template.yaml").read_text(encoding="utf-8"))
    broken = write(tmp_path, "deployed.yaml", "Resources:\n  A: [\n")
    empty = write(tmp_path, "empty.yaml", "")

    for argv, named in (
        (("fix", "-t", template, "-b", broken), f"{broken}:3: malformed YAML"),
        (("fix", "-t", empty), f"{empty}: is empty"),
    ):
        run = run_cli(capsys, *argv)
        assert run.code == 2
        assert named in run.err, run.err
        assert "latest-guard-fix-" not in run.err, "a temporary copy is not the user's file"


@pytest.mark.parametrize("width", [80, 60])
def test_the_text_report_wraps_to_the_terminal_with_a_hanging_indent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    width: int,
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.chdir(tmp_path)  # short relative paths: a long path is never broken
    template, baseline = (Path(shutil.copy(path, tmp_path)).name for path in pair("arm64-layer"))
    run = run_cli(capsys, "check", "-t", template, "-b", baseline)
    assert run.code == 1
    assert all(len(line) <= width for line in run.out.splitlines()), run.out
    new = run_cli(capsys, "check", "-t", template).out.splitlines()  # a new stack's note
    start = next(n for n, line in enumerate(new) if line.startswith("  note: "))
    end = next(n for n in range(start + 1, len(new)) if not new[n].startswith(" " * 8))
    assert end - start >= 2 and all(len(line) <= width for line in new[start:end])
    assert " ".join(line.strip() for line in new[start:end]) == (
        "note: no baseline given: pass --baseline to compare with what is deployed (only LG004 "
        "ran: it judges the template alone)"
    )
