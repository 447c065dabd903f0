"""A small builder of function templates for tests, and a comparison of two of them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reviewer.config import Config
from reviewer.contract.report import Report
from reviewer.model.template import StackTemplate
from reviewer.pipeline.analysis import analyze
from reviewer.sources.text.files import load_template_text

CODE_V1 = {"S3Bucket": "artifacts", "S3Key": "v1.zip"}
CODE_V2 = {"S3Bucket": "artifacts", "S3Key": "v2.zip"}


def template(
    functions: dict[str, dict[str, Any]],
    *,
    parameters: dict[str, Any] | None = None,
    conditions: dict[str, Any] | None = None,
    mappings: dict[str, Any] | None = None,
    resources: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A template whose functions have the given properties (``Condition`` is lifted to the
    resource); a handler and a role are filled in."""
    body: dict[str, Any] = {}
    if parameters:
        body["Parameters"] = parameters
    if conditions:
        body["Conditions"] = conditions
    if mappings:
        body["Mappings"] = mappings
    body["Resources"] = dict(resources or {})
    for name, given in functions.items():
        properties = {key: value for key, value in given.items() if key != "Condition"}
        condition = given.get("Condition")
        resource: dict[str, Any] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Handler": "app.handler", "Role": "arn:aws:iam::1:role/r",
                           "Runtime": "python3.12", **properties},
        }
        if condition:
            resource["Condition"] = condition
        body["Resources"][name] = resource
    if outputs:
        body["Outputs"] = outputs
    return body


def stack(body: dict[str, Any], name: str = "head.json") -> StackTemplate:
    """The stack ``app`` of a template body, as if read from ``name``."""
    return load_template_text(Path(name), json.dumps(body), "app")


def compare(
    old: dict[str, Any],
    new: dict[str, Any],
    config: Config | None = None,
    known: Mapping[str, str] | None = None,
) -> Report:
    """The report of ``new`` against the baseline ``old``; ``known``: parameter values known
    on both sides (as the deployed stack and an override give them), not only defaults."""
    sides = [stack(new), stack(old, "base.json")]
    if known:
        sides = [replace(side, parameter_values=dict(known)) for side in sides]
    return analyze(sides[:1], sides[1:], config or Config(), "base.json")


def rules_of(report: Report) -> list[tuple[str, str]]:
    return [(f.rule, f.resource) for f in report.findings]


