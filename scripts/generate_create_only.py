"""Write reviewer/diff/create_only_properties.json from the installed cfn-lint's schemas.

latest-guard needs one fact per resource type from the CloudFormation registry schemas: which
properties replace the resource when they change (``createOnlyProperties``). cfn-lint ships
those schemas, but it is large; the facts are small. This script extracts them from the
schemas of the installed cfn-lint (the ``us-east-1`` provider file and the resource schemas it
names) into a data file that ships inside the package, so cfn-lint is needed only here and in
the tests.

Usage::

    python scripts/generate_create_only.py          # rewrite the data file
    python scripts/generate_create_only.py --check  # exit 1 if the shipped file is out of date

The file is sorted with one resource type per line, so that a cfn-lint upgrade shows up as a
readable diff. Pointers keep the schema's order, as paths below ``/properties`` joined by
``/`` (``Tags/*/Key``); pointers elsewhere and ``conditionalCreateOnlyProperties`` (which
replace only in some cases) are left out, and so are types left with none.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_FILE = ROOT / "reviewer" / "diff" / "create_only_properties.json"
PROVIDER = "providers/us-east-1.json"
COMMAND = "python scripts/generate_create_only.py"


def schema_dir() -> Path:
    """cfn-lint's ``data/schemas`` folder, found without importing cfn-lint."""
    spec = find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("cfn-lint is not installed (pip install -e '.[test]')")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


def property_paths(pointers: object) -> list[str]:
    """The ``/properties/...`` pointers of a schema list, as paths below ``/properties``."""
    out: list[str] = []
    for pointer in pointers if isinstance(pointers, list) else []:
        parts = [p for p in str(pointer).split("/") if p]
        if len(parts) >= 2 and parts[0] == "properties":
            out.append("/".join(parts[1:]))
    return out


def collect(directory: Path) -> dict[str, list[str]]:
    """Each resource type of the provider file with its create-only property paths."""
    index: dict[str, str] = json.loads((directory / PROVIDER).read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}
    for resource_type, digest in sorted(index.items()):
        schema = json.loads((directory / "resources" / f"{digest}.json").read_text("utf-8"))
        paths = property_paths(schema.get("createOnlyProperties"))
        if paths:
            found[resource_type] = paths
    return found


def render(source: str, types: dict[str, list[str]]) -> str:
    """The data file's text: a header, then one resource type per line, sorted."""
    lines = [
        "{",
        f' "source": {json.dumps(source)},',
        f' "regenerate": {json.dumps(COMMAND)},',
        ' "createOnlyProperties": {',
    ]
    entries = [
        f"  {json.dumps(name)}: {json.dumps(paths)}"
        for name, paths in sorted(types.items())
    ]
    lines.append(",\n".join(entries))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def generate() -> str:
    """The data file as the installed cfn-lint's schemas make it."""
    source = f"cfn-lint {version('cfn-lint')}, cfnlint/data/schemas/{PROVIDER}"
    return render(source, collect(schema_dir()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the shipped file differs, write nothing")
    args = parser.parse_args(argv)
    text = generate()
    current = DATA_FILE.read_text(encoding="utf-8") if DATA_FILE.is_file() else ""
    if args.check:
        if text != current:
            print(f"{DATA_FILE.relative_to(ROOT)} is out of date: run {COMMAND}",
                  file=sys.stderr)
            return 1
        return 0
    if text != current:
        DATA_FILE.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {DATA_FILE.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
