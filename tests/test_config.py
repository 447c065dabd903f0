"""Configuration: .latest-guard.yml and [tool.latest-guard] in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import pair, run_cli


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # the search for a configuration file stops at a repository root
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], case: str, *extra: str) -> tuple[int, str, str]:
    template, baseline = pair(case)
    run = run_cli(capsys, "check", "-t", template, "-b", baseline, "-f", "json", *extra)
    return run.code, run.out, run.err


def test_fail_on_from_the_config_file(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    assert check(capsys, "tuning-only")[0] == 0
    (workdir / ".latest-guard.yml").write_text("fail-on: warning\n", encoding="utf-8")
    assert check(capsys, "tuning-only")[0] == 1


def test_command_line_fail_on_wins_over_the_file(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    (workdir / ".latest-guard.yml").write_text("fail-on: warning\n", encoding="utf-8")
    assert check(capsys, "tuning-only", "--fail-on", "error")[0] == 0


def test_disabled_rule_does_not_run(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    (workdir / ".latest-guard.yml").write_text("rules:\n  disable: [LG003]\n", encoding="utf-8")
    code, out, _ = check(capsys, "alias-on-latest")
    assert '"LG003"' not in out
    assert '"LG001"' in out
    assert code == 1


def test_enable_runs_only_the_listed_rules(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    (workdir / ".latest-guard.yml").write_text("rules:\n  enable: [lg003]\n", encoding="utf-8")
    code, out, _ = check(capsys, "alias-on-latest")
    assert '"LG001"' not in out and '"LG003"' in out
    assert code == 0


def test_ignored_function_is_reported_as_suppressed(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    (workdir / ".latest-guard.yml").write_text(
        "ignore-functions:\n  - OrdersFn\n", encoding="utf-8"
    )
    code, out, _ = check(capsys, "arm64-layer")
    assert code == 0
    assert '"suppressed": true' in out
    assert "function ignored in" in out and ".latest-guard.yml" in out


def test_pyproject_table_is_read(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.latest-guard]\nfail-on = "notice"\n', encoding="utf-8"
    )
    assert check(capsys, "code-tag")[0] == 1


def test_explicit_config_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "guard.yml"
    config.write_text("fail-on: never\n", encoding="utf-8")
    assert check(capsys, "arm64-layer", "--config", str(config))[0] == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("fail-on: sometimes\n", "fail-on must be one of"),
        ("failon: error\n", "unknown setting 'failon'"),
        ("rules:\n  disable: [LG042]\n", "unknown rule LG042"),
        ("ignore-functions: OrdersFn\n", "ignore-functions must be a list"),
        ("fail-on: [\n", "malformed YAML"),
    ],
)
def test_bad_config_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], workdir: Path, text: str, reason: str
) -> None:
    (workdir / ".latest-guard.yml").write_text(text, encoding="utf-8")
    code, out, err = check(capsys, "arm64-layer")
    assert code == 2 and out == ""
    assert err.startswith("latest-guard: error: ") and ".latest-guard.yml" in err
    assert reason in err and err.count("\n") == 1
