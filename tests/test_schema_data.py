"""The create-only property facts shipped in reviewer/diff/ against the cfn-lint they come from.

The package reads a generated data file instead of cfn-lint's schemas (cfn-lint is a test
dependency only). These tests regenerate the file from the installed cfn-lint and fail, naming
the command to run, when the two differ, so the facts never drift silently.
"""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from reviewer.diff.schemas import create_only, schemas_available

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "generate_create_only.py"
DATA = ROOT / "reviewer" / "diff" / "create_only_properties.json"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_create_only", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changes(shipped: dict[str, list[str]], fresh: dict[str, list[str]]) -> list[str]:
    names = sorted(shipped.keys() | fresh.keys())
    return [
        f"{name}: {shipped.get(name)} -> {fresh.get(name)}"
        for name in names if shipped.get(name) != fresh.get(name)
    ]


def test_shipped_data_is_what_the_installed_cfn_lint_generates() -> None:
    if importlib.util.find_spec("cfnlint") is None:
        pytest.skip("cfn-lint is not installed (pip install -e '.[test]')")
    generator = _generator()
    fresh_text = generator.generate()
    shipped_text = DATA.read_text(encoding="utf-8")
    if fresh_text == shipped_text:
        return
    shipped, fresh = json.loads(shipped_text), json.loads(fresh_text)
    changes = _changes(shipped["createOnlyProperties"], fresh["createOnlyProperties"])
    pytest.fail(
        f"{DATA.relative_to(ROOT)} is out of date ({shipped['source']}; installed: "
        f"{fresh['source']}); regenerate it with: {generator.COMMAND}\n"
        + "\n".join(changes[:20] or ["(only the layout or the header differs)"]),
        pytrace=False,
    )


def test_data_file_is_sorted_with_one_resource_type_per_line() -> None:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line.startswith('  "')]
    names = [json.loads(line.split(": ", 1)[0]) for line in entries]
    assert names == sorted(names)
    assert len(names) == len(json.loads("\n".join(lines))["createOnlyProperties"])


def test_create_only_reads_the_shipped_facts() -> None:
    assert schemas_available()
    assert ("Content",) in create_only("AWS::Lambda::LayerVersion")
    assert ("FunctionName",) in create_only("AWS::Lambda::Function")
    assert ("Code",) not in create_only("AWS::Lambda::Function")  # an update, not a replacement
    assert create_only("AWS::Lambda::Url") == (("TargetFunctionArn",), ("Qualifier",))
    assert create_only("Custom::Anything") == ()


def test_the_data_file_ships_in_the_package_and_cfn_lint_does_not() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "diff/create_only_properties.json" in project["tool"]["setuptools"]["package-data"][
        "reviewer"
    ]
    runtime = " ".join(project["project"]["dependencies"]).lower()
    assert "cfn-lint" not in runtime and "cfn_lint" not in runtime
    for source in (ROOT / "reviewer").rglob("*.py"):
        assert "cfnlint" not in source.read_text(encoding="utf-8"), source
