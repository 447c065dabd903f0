"""Write the hook's template for an organization's StackSet: ``python hook/stackset.py PREFIX``.

StackSets with service-managed permissions refuse a template that uses a transform, and
``hook/template.yaml`` uses SAM's. This expands it locally with aws-sam-translator (the code
CloudFormation runs for the transform; nothing reaches AWS) into plain CloudFormation, with the
function's code read from the bucket ``PREFIX-REGION`` of each region a stack instance is in
(Lambda reads code only from a bucket in the function's own region), under a key named by the
zip's SHA-256, so that each new build publishes a new version and the alias moves to it.

Run it after ``python3 hook/build.py``, in an environment with the project's dependencies
(``pip install .``): it writes ``hook/build/stackset.json`` and prints the key to upload the
zip under, in every region's bucket.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "template.yaml"
DEFAULT_OUT = HERE / "build"
ZIP_NAME = "latest-guard-hook.zip"
FUNCTION = "GuardFunction"
#: S3 bucket names: 3 to 63 lower-case letters, digits, dots and hyphens; the region is added.
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9.-]{1,40}$")


def code_key(archive: Path) -> str:
    """The object key of ``archive``: its SHA-256, so that one build has one key."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    return f"latest-guard-hook/{digest}.zip"


def expand(template_text: str, prefix: str, key: str, region: str = "us-east-1") -> dict[str, Any]:
    """``template_text`` (the SAM template) as plain CloudFormation, its code in
    ``s3://PREFIX-${AWS::Region}/KEY``. ``region`` only picks the partition the translator
    assumes; the template names no region."""
    import boto3  # type: ignore[import-untyped]
    from cfn_tools import load_yaml  # type: ignore[import-untyped]
    from samtranslator.model.exceptions import (  # type: ignore[import-untyped]
        InvalidDocumentException,
    )
    from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
    from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

    document = json.loads(json.dumps(load_yaml(template_text)))
    function = document["Resources"][FUNCTION]["Properties"]
    # The S3 location SAM needs to expand (its version's logical id hashes it): the bucket is
    # made regional below, once the function is plain CloudFormation.
    function["CodeUri"] = f"s3://{prefix}/{key}"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        expanded: dict[str, Any] = translator.translate(
            copy.deepcopy(document), parameter_values={}, get_managed_policy_map=dict
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(cause.message for cause in exc.causes) or exc.message
        raise SystemExit(f"{TEMPLATE}: SAM transform failed: {causes}") from None
    code = expanded["Resources"][FUNCTION]["Properties"]["Code"]
    if code != {"S3Bucket": prefix, "S3Key": key}:
        raise SystemExit(f"{TEMPLATE}: unexpected code location after the transform: {code}")
    code["S3Bucket"] = {"Fn::Sub": f"{prefix}-${{AWS::Region}}"}
    result: dict[str, Any] = json.loads(json.dumps(expanded))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "prefix", help="the code buckets' names without the region: PREFIX-us-east-1, ..."
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUT,
        help="folder holding the built zip, where stackset.json is written (default: hook/build)",
    )
    args = parser.parse_args(argv)
    if not _PREFIX.match(args.prefix):
        parser.error(f"{args.prefix!r} cannot start an S3 bucket name (a-z, 0-9, '.', '-')")
    archive = args.output / ZIP_NAME
    if not archive.is_file():
        parser.error(f"{archive} not found: run python3 hook/build.py first")
    key = code_key(archive)
    expanded = expand(TEMPLATE.read_text(encoding="utf-8"), args.prefix, key)
    target = args.output / "stackset.json"
    target.write_text(json.dumps(expanded, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{target}: upload the code to each region's bucket first, e.g.")
    print(f"  aws s3 cp {archive} s3://{args.prefix}-REGION/{key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
