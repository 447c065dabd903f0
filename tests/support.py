"""Helpers shared by the tests: run the CLI in-process and read its JSON report."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reviewer.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA_PATH = Path(__file__).parents[1] / "reviewer" / "report" / "schema" / "report-v1.json"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def report(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Run:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def shown(path: Path) -> str:
    """``path`` as a report names it: relative to the current directory when it is under
    it, else as it is."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def pair(case: str) -> tuple[Path, Path]:
    """(template, baseline) of a fixture folder."""
    folder = FIXTURES / case
    template = next(folder.glob("template.*"))
    baseline = next(folder.glob("baseline.*"))
    return template, baseline


def check_case(capsys: pytest.CaptureFixture[str], case: str, *extra: str) -> Run:
    template, baseline = pair(case)
    run = run_cli(capsys, "check", "--template", template, "--baseline", baseline,
                  "--format", "json", *extra)
    validate(run.report)
    return run


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def validate(document: dict[str, Any]) -> None:
    """Fail with every schema error when the report does not match report@1."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` as a test user; its standard output."""
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    )
    return result.stdout
