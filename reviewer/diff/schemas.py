"""Create-only properties of resource types, read from the schemas that cfn-lint ships.

Only the JSON files are read (cfn-lint's Python modules are not imported), one per resource
type that actually changed, and each at most once per run.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

PropertyPointer = tuple[str, ...]


@cache
def _schema_dir() -> Path | None:
    spec = find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"
    return directory if directory.is_dir() else None


@cache
def _provider_index() -> dict[str, str]:
    directory = _schema_dir()
    if directory is None:
        return {}
    index: dict[str, str] = json.loads(
        (directory / "providers" / "us-east-1.json").read_text(encoding="utf-8")
    )
    return index


@cache
def _schema(resource_type: str) -> dict[str, Any]:
    directory = _schema_dir()
    digest = _provider_index().get(resource_type)
    if directory is None or digest is None:
        return {}
    schema: dict[str, Any] = json.loads(
        (directory / "resources" / f"{digest}.json").read_text(encoding="utf-8")
    )
    return schema


@cache
def create_only(resource_type: str) -> tuple[PropertyPointer, ...]:
    """Property paths whose change always replaces a resource of this type.

    ``conditionalCreateOnlyProperties`` are left out: they replace only in some cases, and
    treating them as replacements would hide updates.
    """
    schema = _schema(resource_type)
    pointers = schema.get("createOnlyProperties", [])
    out: list[PropertyPointer] = []
    for pointer in pointers:
        parts = tuple(p for p in str(pointer).split("/") if p)
        if len(parts) >= 2 and parts[0] == "properties":
            out.append(parts[1:])
    return tuple(out)


def schemas_available() -> bool:
    return bool(_provider_index())
