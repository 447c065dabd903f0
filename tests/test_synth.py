"""Synth commands and project detection, as a user runs them in a repository root."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from support import FIXTURES, run_cli

PYTHON = sys.executable


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_synth_command_output_is_streamed_then_loaded(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    source = FIXTURES / "arm64-layer" / "template.yaml"
    command = (
        f"echo building; {PYTHON} -c \"import shutil; shutil.copy('{source}', 'out.yaml')\"; "
        "echo done"
    )
    baseline = FIXTURES / "arm64-layer" / "baseline.yaml"
    run = run_cli(capsys, "check", "--synth", command, "-t", "out.yaml", "-b", baseline)
    assert run.code == 1
    assert "running `echo building" in run.err
    assert "  │ building" in run.err and "  │ done" in run.err
    assert "finished in" in run.err
    assert "LG001" in run.out


def test_failing_synth_shows_its_last_lines_and_one_error_line(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    command = (
        "for i in $(seq 1 40); do echo line $i; done; echo 'Error: no credentials' >&2; exit 3"
    )
    run = run_cli(capsys, "check", "--synth", command, "-t", "cdk.out")
    assert run.code == 2
    assert run.out == ""
    lines = run.err.splitlines()
    assert "the last 25 lines of its output" in run.err
    assert "  │ Error: no credentials" in lines
    assert "  │ line 15" not in lines[lines.index(next(x for x in lines if "the last" in x)):]
    assert lines[-1].startswith("latest-guard: error: ")
    assert "failed with exit status 3" in lines[-1]
    assert "Traceback" not in run.err


def test_synth_that_hangs_is_stopped_at_the_timeout(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    run = run_cli(capsys, "check", "--synth", "echo started; sleep 30", "--synth-timeout", "1",
                  "-t", "x.yaml")
    assert run.code == 2
    assert "did not finish within 1 s" in run.err.splitlines()[-1]
    assert "  │ started" in run.err


def test_working_directory_holds_the_project(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    app = project / "services" / "orders"
    app.mkdir(parents=True)
    shutil.copy(FIXTURES / "arm64-layer" / "template.yaml", app / "new.yaml")
    shutil.copy(FIXTURES / "arm64-layer" / "baseline.yaml", app / "old.yaml")
    run = run_cli(capsys, "check", "-C", app, "-t", "new.yaml", "-b", "old.yaml")
    assert run.code == 1


def test_no_template_and_no_project_says_what_it_looked_for(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    run = run_cli(capsys, "check")
    assert run.code == 2
    assert "no template given, and no cdk.json, serverless.yml or SAM template.yaml" in run.err


def test_cdk_project_without_synth_output_names_the_command(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    (project / "cdk.json").write_text('{"app": "node bin/app.js"}', encoding="utf-8")
    run = run_cli(capsys, "check")
    assert run.code == 2
    assert "cdk.out" in run.err and "--synth 'npx cdk synth'" in run.err


def test_serverless_project_without_package_names_the_command(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    (project / "serverless.yml").write_text("service: orders\n", encoding="utf-8")
    run = run_cli(capsys, "check")
    assert run.code == 2
    assert ".serverless" in run.err and "--synth 'npx serverless package'" in run.err


def test_cdk_output_folder_is_read_from_cdk_json(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    (project / "cdk.json").write_text('{"app": "x", "output": "build/cdk"}', encoding="utf-8")
    run = run_cli(capsys, "check")
    assert run.code == 2
    assert "build/cdk" in run.err
