"""ARCHITECTURE.md, checked where a test can check it.

- The heavy libraries' table: each library is imported only in the modules the table names, at
  a module's top only where it says so, inside functions elsewhere (``importlib`` imports by
  name count too); and each place the table names does import it, so the table is not stale.
- The floors' table has a row for every folder and module of ``reviewer/``.
- Wording said in many places is written once, in ``contract/wording.py``: no second helper that
  puts a count before a noun, and the two-phase sentence nowhere else.
- Paths are made relative to the working directory in ``contract/paths.py`` only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "reviewer"
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
WORDING = PACKAGE / "contract" / "wording.py"
PATHS = PACKAGE / "contract" / "paths.py"
#: Calls that import a module named by a string (``untyped("boto3")``).
_IMPORTERS = ("import_module", "untyped", "_untyped")


def _table(heading: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first Markdown table whose header starts with
    ``heading``."""
    lines = ARCHITECTURE.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"| {heading} |")), None)
    if start is None:
        return []
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _code(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def _modules() -> Iterator[tuple[str, Path]]:
    """(path inside ``reviewer/``, file) of every module."""
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path


def _named(module: str, places: list[str]) -> bool:
    return any(module == p or (p.endswith("/") and module.startswith(p)) for p in places)


class _Imports(ast.NodeVisitor):
    """Top-level names of the modules a file imports: at its top, or inside a function.
    Imports under ``if TYPE_CHECKING:`` load nothing and are left out."""

    def __init__(self) -> None:
        self.top: set[str] = set()
        self.inside: set[str] = set()
        self._depth = 0

    def _add(self, name: str) -> None:
        (self.inside if self._depth else self.top).add(name.split(".", maxsplit=1)[0])

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for item in node.orelse:
                self.visit(item)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            self._add(node.module)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        first = node.args[0] if node.args else None
        if name in _IMPORTERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            self._add(first.value)
        self.generic_visit(node)


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


@cache
def _imports(path: Path) -> _Imports:
    found = _Imports()
    found.visit(_tree(path))
    return found


HEAVY = _table("library")


def test_the_heavy_libraries_table_is_read() -> None:
    assert {name for row in HEAVY for name in _code(row[0])} >= {
        "boto3", "botocore", "samtranslator", "github", "cfn_flip", "deepdiff",
    }


@pytest.mark.parametrize("row", HEAVY, ids=[row[0] for row in HEAVY])
def test_heavy_libraries_are_imported_only_where_the_table_says(row: list[str]) -> None:
    libraries = {name for name in _code(row[0]) if " " not in name}
    at_top, in_functions = _code(row[1]), _code(row[2])
    wrong = []
    importing: set[str] = set()
    for module, path in _modules():
        found = _imports(path)
        for library in sorted(libraries & (found.top | found.inside)):
            importing.add(module)
            if library in found.top and not _named(module, at_top):
                wrong.append(f"{module} imports {library} at its top")
            elif not _named(module, at_top + in_functions):
                wrong.append(f"{module} imports {library}, and ARCHITECTURE.md does not say so")
    assert not wrong, "\n".join(wrong)
    stale = [p for p in at_top + in_functions if not any(_named(m, [p]) for m in importing)]
    assert not stale, f"ARCHITECTURE.md names {stale} for {row[0]}, which import none of it"


def test_every_folder_and_module_of_the_package_has_a_row() -> None:
    named = {name.rstrip("/") for row in _table("floor") for name in _code(row[1])}
    parts = {
        path.name
        for path in PACKAGE.iterdir()
        if (path.is_dir() and any(path.rglob("*.py"))) or path.suffix == ".py"
    } - {"__init__.py"}
    assert parts - named == set(), f"no row in ARCHITECTURE.md's floors for {parts - named}"
    assert named - parts == set(), f"rows for what is not in reviewer/: {named - parts}"


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


#: A plural made by hand: ``{'s' if n != 1 else ''}``.
_HAND_PLURAL = re.compile(r"""['"]s['"] if [^'"]+ != 1 else ['"]{2}""")


def test_counts_are_worded_in_one_place() -> None:
    found: list[str] = []
    for module, path in _modules():
        if path == WORDING:
            continue
        text = path.read_text(encoding="utf-8")
        found.extend(
            f"{module}: def {f.name}" for f in _functions(_tree(path)) if "plural" in f.name
        )
        found.extend(
            f"{module}:{number}"
            for number, line in enumerate(text.splitlines(), start=1)
            if _HAND_PLURAL.search(line)
        )
    assert not found, "counts worded outside contract/wording.py: " + ", ".join(found)


def _strings(tree: ast.AST) -> Iterator[str]:
    """Every string literal, adjacent literals joined (as Python joins them)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def test_the_two_phase_sentence_is_written_once() -> None:
    sentence = "cannot be made safe on its own"
    found = [
        module
        for module, path in _modules()
        for text in _strings(_tree(path))
        if sentence in text
    ]
    assert found == ["contract/wording.py"], found


def _mentions_cwd(node: ast.AST) -> bool:
    return any(
        isinstance(inner, ast.Attribute) and inner.attr == "cwd" for inner in ast.walk(node)
    )


def test_paths_are_made_relative_in_one_place() -> None:
    found = [
        f"{module}:{node.lineno}"
        for module, path in _modules()
        if path != PATHS
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("relative_to", "relpath")
        and any(_mentions_cwd(arg) for arg in node.args)
    ]
    assert not found, "paths made relative outside contract/paths.py: " + ", ".join(found)
