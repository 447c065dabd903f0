"""Fixtures shared by the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder (reference material, corpus): ``$LATEST_GUARD_SHARED`` or ``../shared``.

    Read in place; nothing from it is ever copied into the repository.
    """
    configured = os.environ.get("LATEST_GUARD_SHARED")
    return Path(configured) if configured else REPO_ROOT.parent / "shared"


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git configuration, and no repository above the test folder."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


@pytest.fixture(autouse=True)
def _unwrapped_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text output as wide as it is long (``COLUMNS``), whatever terminal runs the tests: a test
    reads a note or a message whole; the tests of the wrapping set the width themselves."""
    monkeypatch.setenv("COLUMNS", "1000")
