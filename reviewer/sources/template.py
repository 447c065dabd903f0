"""A template file: plain CloudFormation, or SAM (expanded when its Transform says so)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reviewer.model.template import StackTemplate
from reviewer.sources.files import load_template_file

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def is_sam(body: Mapping[str, Any]) -> bool:
    """Whether a template names the SAM transform (alone or in a list of transforms)."""
    transform = body.get("Transform")
    if isinstance(transform, str):
        return transform == SAM_TRANSFORM
    if isinstance(transform, list):
        return SAM_TRANSFORM in transform
    return False


def load_template(path: Path, stack_name: str | None) -> list[StackTemplate]:
    stack = load_template_file(path, stack_name)
    if is_sam(stack.body):
        from reviewer.sources.sam import expand

        return [expand(stack)]
    return [stack]
