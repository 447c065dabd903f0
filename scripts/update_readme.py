"""Rewrite the README's usage block and rule table from the code they describe.

The usage block is rendered from the command-line parser (``reviewer.cli.usage_synopsis``),
the rule table from the rules registry (``reviewer.cli.rules_table``). Each sits between a
``<!-- BEGIN name -->`` and an ``<!-- END name -->`` comment; the prose around them is left
alone.

Usage::

    python scripts/update_readme.py          # rewrite README.md
    python scripts/update_readme.py --check  # exit 1, naming the stale blocks, if it drifted
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer.cli import rules_table, usage_synopsis  # noqa: E402

COMMAND = "python scripts/update_readme.py"


def blocks() -> dict[str, str]:
    """The generated text of each marked block, by name."""
    return {"usage": f"```\n{usage_synopsis()}```\n", "rules": rules_table()}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN {name}\b[^\n]*-->\n)(.*?)(<!-- END {name} -->)", re.DOTALL
    )


def render(readme: str) -> tuple[str, list[str]]:
    """``readme`` with every block regenerated, and the names of the blocks that changed."""
    stale: list[str] = []
    for name, text in blocks().items():
        pattern = _pattern(name)
        match = pattern.search(readme)
        if match is None:
            raise SystemExit(f"update_readme: no '<!-- BEGIN {name} -->' block in the README")
        if match.group(2) != text:
            stale.append(name)
        readme = readme[: match.start(2)] + text + readme[match.end(2):]
    return readme, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a block is out of date")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", metavar="FILE")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    updated, stale = render(text)
    if args.check:
        if stale:
            print(f"{args.readme}: out of date: {', '.join(stale)}; run `{COMMAND}`",
                  file=sys.stderr)
            return 1
        return 0
    if stale:
        args.readme.write_text(updated, encoding="utf-8")
        print(f"update_readme: rewrote {', '.join(stale)} in {args.readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
