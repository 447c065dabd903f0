"""A mistyped command line: one line naming what is wrong, under the usage of the command typed."""

from __future__ import annotations

import pytest

from reviewer.cli import main


def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err.splitlines()


def test_a_bad_choice_names_the_value_and_the_choices_as_typed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    usage, error = _error(capsys, "check", "--fail-on", "bogus")
    assert usage.startswith("usage: latest-guard check ")
    assert error == (
        "latest-guard check: error: argument --fail-on: invalid choice: 'bogus' "
        "(choose from 'error', 'warning', 'notice', 'never')"
    )


def test_pre_commit_fail_on_takes_the_same_words(capsys: pytest.CaptureFixture[str]) -> None:
    usage, error = _error(capsys, "pre-commit", "--fail-on", "ERROR")
    assert usage.startswith("usage: latest-guard pre-commit [OPTION ...] [FILE ...]")
    assert "'ERROR' (choose from 'error', 'warning', 'notice', 'never')" in error
    assert "FailOn" not in error


def test_an_unknown_option_after_a_command_is_named_by_that_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    usage, error = _error(capsys, "check", "--tempalte", "template.yaml")
    assert usage == (
        "usage: latest-guard check [OPTION ...] (latest-guard check --help lists the options)"
    )
    assert error == (
        "latest-guard check: error: unrecognized arguments: --tempalte template.yaml "
        "(did you mean --template?)"
    )


def test_the_usage_of_an_error_names_what_the_command_needs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    usage, error = _error(capsys, "fix")
    assert usage == (
        "usage: latest-guard fix --template/-t FILE [OPTION ...] "
        "(latest-guard fix --help lists the options)"
    )
    assert error == "latest-guard fix: error: the following arguments are required: --template/-t"
    assert _error(capsys, "rules", "LG001") == [
        "usage: latest-guard rules",
        "latest-guard rules: error: unrecognized arguments: LG001",
    ]


@pytest.mark.parametrize("argv", [["rules"], ["explain", "LG001"]])
def test_a_reader_that_goes_away_ends_the_output_quietly(argv: list[str]) -> None:
    """``latest-guard rules | head -1``: when the reader of the output has gone, the command
    stops with the shell's status for it, and no traceback."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reviewer.cli", *argv], stdout=write,
            stderr=subprocess.PIPE, text=True, check=False, timeout=60,
        )
    finally:
        os.close(write)
    assert done.returncode == 141
    assert done.stderr == ""
