"""Fixes for Serverless Framework services: an alias through serverless-plugin-canary-deployments.

The framework publishes a version of every function but points events at the unqualified
ARN (facts sheet §4.3). ``serverless-plugin-canary-deployments`` creates an alias for each
function with ``deploymentSettings`` and re-points the function's events at it; with
``type: AllAtOnce`` the alias moves in one step. The fix edits the configuration the finding
points at (``serverless.yml`` or the file a ``${file(...)}`` include names): the
``deploymentSettings`` block on the function's entry, and the plugin in ``plugins``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reviewer.contract.enums import Framework
from reviewer.contract.findings import FileChange, Finding, Fix, Snippet
from reviewer.contract.wording import NOT_SAFE_ALONE
from reviewer.diff.context import StackContext
from reviewer.fixes.builders.base import EditedFile, two_phase
from reviewer.fixes.edit.document import Document, DocumentError, Node
from reviewer.fixes.edit.operations import OperationError, append_item, insert_entry
from reviewer.fixes.edit.render import Style
from reviewer.fixes.edit.source import read_file
from reviewer.fixes.edit.textedit import EditConflict, TextEdits
from reviewer.sources.serverless.config import CONFIG_NAMES, PARSED_SUFFIXES

PLUGIN = "serverless-plugin-canary-deployments"
SETTINGS: dict[str, Any] = {"type": "AllAtOnce", "alias": "Live"}


def build(context: StackContext, function: str, findings: Sequence[Finding]) -> Fix | None:
    """``deploymentSettings`` on the function's entry, and the plugin, as edits and a snippet."""
    location = findings[0].location
    key = location.symbol
    if key is None:
        return None
    staged = two_phase(findings)
    edits: tuple[Any, ...] = ()
    patch = None
    notes: list[str] = []
    change = _edit(Path(location.path), key, location.line)
    if change is not None:
        edits, patch = change.edits, change.patch
        notes.extend([change.note] if change.note else [])
    else:
        notes.append(f"add the snippet to the entry of function {key} yourself")
    steps = [
        f"npm install --save-dev {PLUGIN}",
        f"Add deploymentSettings (type AllAtOnce, alias Live) to function {key} and {PLUGIN} "
        "to plugins: the plugin creates the alias and re-points the function's events at it.",
    ]
    if staged:
        steps.insert(
            0,
            "Phase one: make this configuration change alone on the base branch (no code or "
            "configuration change to the function) and deploy it: the events move to the alias.",
        )
        steps.append("Phase two: deploy this change: the alias moves in one switch.")
    summary = (
        f"route the events of function {key} through an alias with {PLUGIN} "
        "(deploymentSettings: type AllAtOnce, alias Live)"
    )
    if staged:
        summary += (
            f", deployed first without the code and configuration change: {NOT_SAFE_ALONE}"
        )
    notes.append(
        "direct callers (SDK, other services outside serverless.yml events) must invoke the "
        "alias ARN themselves"
    )
    return Fix(
        summary=summary,
        two_phase=staged,
        steps=tuple(steps),
        framework=Framework.SERVERLESS,
        change=FileChange(location.path, edits, patch) if edits else None,
        snippet=Snippet(_snippet(key), "yaml"),
        notes=tuple(notes),
    )


def _snippet(key: str) -> str:
    return (
        f"plugins:\n  - {PLUGIN}\n\nfunctions:\n  {key}:\n    # ...\n"
        "    deploymentSettings:\n      type: AllAtOnce\n      alias: Live\n"
    )


def _edit(path: Path, key: str, line: int | None) -> EditedFile | None:  # noqa: PLR0911
    """The edits of the file that holds the function's entry (and of ``plugins`` when that is
    the same file)."""
    if path.suffix.lower() not in PARSED_SUFFIXES:
        return None
    text = read_file(path)
    if text is None:
        return None
    try:
        document = Document(path, text)
    except DocumentError:
        return None
    entry = _entry(document, key, line)
    if entry is None:
        return None
    style = Style(document.kind, False, _unit(document))
    edits = TextEdits(document.text)
    try:
        if entry.get("deploymentSettings") is None:
            insert_entry(document, edits, entry, "deploymentSettings", SETTINGS, style)
        if path.name in CONFIG_NAMES or document.root.get("service") is not None:
            _add_plugin(document, edits, style)
    except (OperationError, EditConflict):
        return None
    if not edits:
        return None
    return EditedFile.of(document, edits)


def _entry(document: Document, key: str, line: int | None) -> Node | None:
    """The mapping of function ``key``: under ``functions``, else the key at ``line``."""
    functions = document.root.get("functions")
    if functions is not None and functions.kind == "map":
        found = functions.get(key)
        if found is not None and found.kind == "map":
            return found
    for node in document.root.walk():
        for name, value in node.pairs:
            if name.value == key and value.kind == "map" and (line is None or name.line == line):
                return value
    return None


def _add_plugin(document: Document, edits: TextEdits, style: Style) -> None:
    plugins = document.root.get("plugins")
    if plugins is not None and plugins.kind == "map":
        plugins = plugins.get("modules")
    if plugins is None:
        insert_entry(document, edits, document.root, "plugins", [PLUGIN], style)
        return
    if plugins.kind != "seq":
        raise OperationError("plugins is neither a list nor a mapping with modules")
    if any(item.value == PLUGIN for item in plugins.items):
        return
    append_item(document, edits, plugins, PLUGIN, style)


def _unit(document: Document) -> int:
    functions = document.root.get("functions")
    if functions is not None and functions.pairs:
        key, value = functions.pairs[0]
        if value.kind == "map" and value.pairs and value.pairs[0][0].column > key.column:
            return value.pairs[0][0].column - key.column
    return 2
