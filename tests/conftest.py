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
