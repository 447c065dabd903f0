"""The package's floors: an import never goes from a lower stage up to a higher one.

Data flows one way, sources → model → diff → rules → fixes → reporters → publishers; the
contract (findings, fixes, the report) is below everything; reporters and publishers read
only the contract; the commands and the entry points sit on top. Rule ids stay in rules/.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "reviewer"

#: Lowest first; a module may import its own floor and the floors below it.
FLOORS = (
    ("contract", "errors"),
    ("config",),
    ("model",),
    ("sources",),
    ("diff",),
    ("rules",),
    ("fixes",),
    ("pipeline",),
    ("report",),
    ("review",),
    ("github",),
    ("commands",),
    ("cli", "__main__"),
)
#: What reporters and publishers may import besides themselves: the contract only.
CONTRACT_ONLY = {"report": {"contract", "errors", "report"},
                 "review": {"contract", "errors", "report", "review"},
                 "github": {"contract", "errors", "report", "review", "github"}}


def _floor(stage: str) -> int:
    for index, stages in enumerate(FLOORS):
        if stage in stages:
            return index
    raise AssertionError(f"reviewer.{stage} is on no floor: add it to FLOORS")


def _imports() -> list[tuple[str, str, str]]:
    """(module, its stage, the stage of a ``reviewer`` module it imports), every import."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        parts = module.split(".")
        if len(parts) == 2 and parts[1] == "__init__":
            continue  # the package itself: its version only
        stage = parts[1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                target = name.split(".")
                if target[0] == "reviewer" and len(target) > 1:
                    found.append((module, stage, target[1]))
    return found


def test_no_import_goes_up_a_floor() -> None:
    upward = [
        f"{module} imports reviewer.{target}"
        for module, stage, target in _imports()
        if _floor(target) > _floor(stage)
    ]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("stage", sorted(CONTRACT_ONLY))
def test_reporters_and_publishers_read_only_the_contract(stage: str) -> None:
    allowed = CONTRACT_ONLY[stage]
    other = sorted({
        f"{module} imports reviewer.{target}"
        for module, own, target in _imports()
        if own == stage and target not in allowed
    })
    assert not other, "\n".join(other)


def test_no_rule_id_outside_the_rules() -> None:
    rule_id = re.compile(r"[\"']LG\d{3}[\"']")
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "rules" not in path.relative_to(PACKAGE).parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if rule_id.search(line)
    ]
    assert not found, "rule ids outside reviewer/rules/: " + ", ".join(found)
