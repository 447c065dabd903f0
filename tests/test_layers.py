"""The package's floors: an import never goes from a lower stage up to a higher one.

Data flows one way, sources → model → diff → rules → fixes → reporters → publishers; the
contract (findings, fixes, the report) is below everything; reporters and publishers read
only the contract; the commands and the entry points sit on top. Rule ids stay in rules/.

The floors are checked between top-level folders; some arrows go down a floor and still
cross a seam, so inner folders and modules are checked too:

- **What a source knows reaches the judging stages as a fact of the model.** ``diff`` and
  ``rules`` import no ``reviewer.sources`` module at all (code a source could not read is
  ``Resource.code_unread``; a change set's facts are ``reviewer.model.change_set``), nor does
  the analysis (``pipeline.analysis``: sides come in loaded). ``fixes`` edit the user's own
  files, so they may read the sources' knowledge of those files and nothing else: the text
  digest (``sources.text.files``) and the Serverless Framework's file names
  (``sources.serverless.config``), listed in ``SOURCES_SEEN_FROM``.
- **Fixes read findings, not rules.** ``fixes`` sits above ``rules`` but imports nothing from
  it: a fix builder is given what a change rule is given (``diff.context.StackContext``) and
  the findings (the contract), and acts on a finding's traits, never on its rule
  (``FLOORS_SKIPPED``).
- **No stage outside rules/ names a rule.** Outside ``reviewer/rules/`` only the rules' API is
  imported (``rules.base``: the shapes of a rule and what it is given; ``rules.registry``: the
  list; ``rules.together``: two rules' findings joined), never one rule's module; and no code
  identifier there (a name, an attribute, a function, a class, an argument) is a rule's class
  name or holds a rule's name (``latest_race``) or id (``lg001``), quoted or not.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
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
    ("cli", "__main__", "hook"),
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
    return [(module, module.split(".")[1], target.split(".")[1])
            for module, target in _module_imports()]


def _module_imports() -> list[tuple[str, str]]:
    """(module, the ``reviewer`` module it imports, in full), every import."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        parts = module.split(".")
        if len(parts) == 2 and parts[1] == "__init__":
            continue  # the package itself: its version only
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                target = name.split(".")
                if target[0] == "reviewer" and len(target) > 1:
                    found.append((module, name))
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


#: Per importing stage (or module), the only ``reviewer.sources`` modules it may import.
SOURCES_SEEN_FROM: dict[str, tuple[str, ...]] = {
    "reviewer.diff": (),
    "reviewer.rules": (),
    "reviewer.pipeline.analysis": (),
    "reviewer.fixes": ("reviewer.sources.text.files", "reviewer.sources.serverless.config"),
}
#: Floors below a stage that it still may not import.
FLOORS_SKIPPED: dict[str, tuple[str, ...]] = {"reviewer.fixes": ("reviewer.rules",)}
#: The modules of rules/ that other stages may import.
RULES_API = ("reviewer.rules.base", "reviewer.rules.registry", "reviewer.rules.together")


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_judging_stages_see_sources_only_through_the_model() -> None:
    crossing = sorted(
        f"{module} imports {target}"
        for module, target in _module_imports()
        if _within(target, "reviewer.sources")
        for importer, allowed in SOURCES_SEEN_FROM.items()
        if _within(module, importer) and target not in allowed
    )
    assert not crossing, "\n".join(crossing)


def test_no_import_of_a_skipped_floor() -> None:
    skipping = sorted(
        f"{module} imports {target}"
        for module, target in _module_imports()
        for importer, skipped in FLOORS_SKIPPED.items()
        if _within(module, importer) and any(_within(target, floor) for floor in skipped)
    )
    assert not skipping, "\n".join(skipping)


def test_no_rule_module_imported_outside_the_rules() -> None:
    named = sorted(
        f"{module} imports {target}"
        for module, target in _module_imports()
        if _within(target, "reviewer.rules") and not _within(module, "reviewer.rules")
        and target not in RULES_API and target != "reviewer.rules"
    )
    assert not named, "\n".join(named)


def _rules() -> list[tuple[str, str, str]]:
    """(class name, id, name) of every rule class in rules/ (a class with an ``id``)."""
    found = []
    for path in sorted((PACKAGE / "rules").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            values = {
                item.target.id: item.value.value
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str)
            }
            if "id" in values and "name" in values:
                found.append((node.name, values["id"], values["name"]))
    return found


def _identifiers(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, identifier) of every name the code gives or reads."""
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            yield line, node.id
        elif isinstance(node, ast.Attribute):
            yield line, node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield line, node.name
        elif isinstance(node, ast.arg | ast.keyword) and node.arg:
            yield line, node.arg
        elif isinstance(node, ast.alias):
            yield line, node.asname or node.name


def test_rules_are_known_to_the_checks_below() -> None:
    assert len(_rules()) >= 5, _rules()


def test_no_rule_named_in_code_outside_the_rules() -> None:
    rules = _rules()
    classes = {cls for cls, _, _ in rules}
    held = [name.replace("-", "_") for _, _, name in rules] + [id.lower() for _, id, _ in rules]
    found = sorted(
        f"{path.relative_to(PACKAGE.parent)}:{line} {identifier}"
        for path in PACKAGE.rglob("*.py")
        if "rules" not in path.relative_to(PACKAGE).parts
        for line, identifier in _identifiers(ast.parse(path.read_text(encoding="utf-8")))
        if identifier.split(".")[-1] in classes
        or any(part in identifier.lower() for part in held)
    )
    assert not found, "rules named outside reviewer/rules/: " + ", ".join(found)
