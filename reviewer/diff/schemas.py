"""Create-only properties of resource types, from a data file shipped with the package.

The facts come from the CloudFormation registry schemas that cfn-lint ships, but cfn-lint is
far too large to install for them: ``scripts/generate_create_only.py`` extracts them into
``create_only_properties.json`` (one line per resource type), read here once per run.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

PropertyPointer = tuple[str, ...]

DATA_FILE = "create_only_properties.json"


@cache
def _create_only_index() -> dict[str, tuple[PropertyPointer, ...]]:
    text = files("reviewer.diff").joinpath(DATA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, list[str]] = json.loads(text)["createOnlyProperties"]
    return {
        resource_type: tuple(tuple(path.split("/")) for path in paths)
        for resource_type, paths in loaded.items()
    }


def create_only(resource_type: str) -> tuple[PropertyPointer, ...]:
    """Property paths whose change always replaces a resource of this type.

    ``conditionalCreateOnlyProperties`` are left out: they replace only in some cases, and
    treating them as replacements would hide updates.
    """
    return _create_only_index().get(resource_type, ())


def schemas_available() -> bool:
    return bool(_create_only_index())
