"""CDK cloud assemblies: every stack ``cdk synth`` wrote, with lines in the app's own source.

One side of a check can be a cloud assembly folder (any name; it holds ``manifest.json``).
It yields one stack template (``framework="cdk"``) per stack:

- each ``aws:cloudformation:stack`` artifact, named as CloudFormation will name it
  (``properties.stackName``, else the artifact id);
- the stacks of every CDK ``Stage`` (nested assemblies), which CDK names ``Stage-Stack``;
- every nested stack: an ``AWS::CloudFormation::Stack`` resource whose template is an asset of
  the assembly (its Metadata ``aws:asset:path`` names the file). Like a nested template
  file, it is named ``<parent stack>.<logical id>`` and its ``parent`` is (parent stack name,
  logical id of the ``AWS::CloudFormation::Stack`` resource); the whole-app graph follows the
  ``Parameters`` that resource passes. Literal parameter values also become the nested stack's
  known ``parameter_values``.

Each template is loaded with line positions, and its ``source_locator`` maps a logical id to
the construct that made it (:mod:`reviewer.sources.cdk.source_map`).

What is metadata and not deployment (``aws:cdk:path``, ``aws:asset:path``, the
``CDKMetadata`` resource's analytics) never makes a function change: the diff compares resource
properties, and ``AWS::CDK::Metadata`` is not a function nor referred to by one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reviewer.contract.enums import Framework
from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources.cdk.app import AppSource
from reviewer.sources.cdk.assembly import (
    MANIFEST,
    TEMPLATE_FILE,
    StackArtifact,
    stack_artifacts,
)
from reviewer.sources.cdk.source_map import CDK_PATH, CdkSourceLocator
from reviewer.sources.text.files import load_template_file
from reviewer.sources.unreadable import set_aside

NESTED_STACK = "AWS::CloudFormation::Stack"
ASSET_PATH = "aws:asset:path"
ASSET_PROPERTY = "aws:asset:property"


def load_assembly(path: Path, stack_name: str | None) -> list[StackTemplate]:
    """Every stack of the cloud assembly at ``path``; ``stack_name`` keeps that one only.

    ``stack_name`` may be the stack name, the artifact id or the display name (``Prod/Api``);
    the stacks nested in the chosen stack come with it. An assembly of a single stack that
    goes by another name is renamed instead, as a single template file would be.
    """
    artifacts = stack_artifacts(path)
    if not artifacts:
        raise InputError(path / MANIFEST, "the cloud assembly holds no CloudFormation stack")
    if stack_name is not None:
        artifacts = _select(path, artifacts, stack_name)
    app = AppSource.find(path)
    stacks: list[StackTemplate] = []
    for artifact in artifacts:
        stacks.extend(_stack_and_nested(artifact, app))
    return stacks


def _select(path: Path, artifacts: list[StackArtifact], name: str) -> list[StackArtifact]:
    chosen = [a for a in artifacts if name in (a.stack_name, a.artifact_id, a.display_name)]
    if not chosen and len(artifacts) == 1:
        return [replace(artifacts[0], stack_name=name)]
    if not chosen:
        known = ", ".join(a.stack_name for a in artifacts)
        raise InputError(path, f"the cloud assembly has no stack {name!r} (it has: {known})")
    return chosen


def _stack_and_nested(artifact: StackArtifact, app: AppSource | None) -> Iterator[StackTemplate]:
    stack_paths = _stack_paths(artifact)
    top_path = stack_paths.get(artifact.template_file.name, artifact.display_name)
    try:
        stack = _load(artifact.template_file, artifact.stack_name)
    except InputError as exc:
        set_aside(exc, artifact.stack_name)
        return
    _attach_locator(stack, artifact, top_path, stack_paths, app)
    yield stack
    yield from _nested(stack, artifact, stack_paths, app)


def _nested(
    parent: StackTemplate,
    artifact: StackArtifact,
    stack_paths: Mapping[str, str],
    app: AppSource | None,
) -> Iterator[StackTemplate]:
    """The nested stacks of ``parent`` whose templates the assembly holds, depth first."""
    for logical_id, resource in parent.resources.items():
        if resource.type != NESTED_STACK:
            continue
        asset = resource.metadata.get(ASSET_PATH)
        asset_property = resource.metadata.get(ASSET_PROPERTY, "TemplateURL")
        if not isinstance(asset, str) or asset_property != "TemplateURL":
            continue  # a nested stack from elsewhere (a TemplateURL the app does not build)
        template = artifact.assembly_dir / asset
        name = f"{parent.name}.{logical_id}"
        try:
            if not template.is_file():
                raise InputError(
                    template,
                    f"the template of nested stack {logical_id} (stack {parent.name}) is "
                    "missing from the cloud assembly",
                )
            child = _load(template, name)
        except InputError as exc:
            set_aside(exc, name)
            continue
        raw = resource.properties.get("Parameters")
        passed: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        construct_path = stack_paths.get(asset) or _nested_path(resource.metadata.get(CDK_PATH))
        child.parent = (parent.name, logical_id)
        child.parameter_values = {
            str(k): str(v)
            for k, v in passed.items()
            if isinstance(v, str | int | float) and not isinstance(v, bool)
        }
        _attach_locator(child, artifact, construct_path, stack_paths, app)
        yield child
        yield from _nested(child, artifact, stack_paths, app)


def _load(template: Path, name: str) -> StackTemplate:
    stack = load_template_file(template, name)
    stack.framework = Framework.CDK
    return stack


def _attach_locator(
    stack: StackTemplate,
    artifact: StackArtifact,
    construct_path: str,
    stack_paths: Mapping[str, str],
    app: AppSource | None,
) -> None:
    stack.source_locator = CdkSourceLocator(
        stack, artifact, construct_path, stack_paths.values(), app
    )


def _stack_paths(artifact: StackArtifact) -> dict[str, str]:
    """Construct path of every stack in the artifact (nested ones too), by template file."""
    return {
        data: construct
        for construct, data in artifact.paths_with(TEMPLATE_FILE)
        if isinstance(data, str)
    }


def _nested_path(resource_path: Any) -> str:
    """``Prod/Api/Jobs`` from the nested stack resource's ``Prod/Api/Jobs.NestedStack/...``."""
    if not isinstance(resource_path, str):
        return ""
    head, marker, _ = resource_path.partition(".NestedStack/")
    return head if marker else ""
