"""Write ``<variant>.expanded.json`` beside every SAM template of this app.

SAM's "real tool" is the translator itself, so the fixtures are the SAM templates; the
expansions are committed so that a reviewer can read the CloudFormation latest-guard
analysed. They are produced by latest-guard's own loader (aws-sam-translator, offline),
with the region pinned so that they do not depend on the machine's AWS configuration:

    python tests/apps/sam/regenerate.py
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

from reviewer.sources.cloudformation.sam import expand
from reviewer.sources.text.files import load_template_file

HERE = Path(__file__).resolve().parent
REGION = "us-east-1"


def expanded_text(template: Path) -> str:
    """The translated template as committed: indented JSON, keys in the translator's order."""
    stack = expand(load_template_file(template), region=REGION)
    return json.dumps(stack.body, indent=2) + "\n"


def variants() -> list[Path]:
    return sorted(HERE.glob("*.yaml"))


def main() -> int:
    for template in variants():
        target = template.with_suffix(".expanded.json")
        target.write_text(expanded_text(template), encoding="utf-8")
        print(f"wrote {target.relative_to(HERE)}")
    print(f"aws-sam-translator {version('aws-sam-translator')}, region {REGION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
