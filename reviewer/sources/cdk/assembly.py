"""Reading a CDK cloud assembly: its manifest, the stacks it declares and their metadata.

A cloud assembly is the folder ``cdk synth`` writes (``cdk.out`` by default, any name here).
Its ``manifest.json`` lists *artifacts*. Two kinds matter:

- ``aws:cloudformation:stack``: one stack. ``properties.templateFile`` names its template
  (relative to the assembly folder), ``properties.stackName`` the name CloudFormation knows
  it by (absent when it equals the artifact id), ``displayName`` the construct path
  (``Prod/Backend``). Its *metadata*, keyed by construct path (``/Prod/Backend/Fn/Resource``),
  sits inline under ``metadata`` or, since cloud assembly schema 50 or so, in the file that
  ``additionalMetadataFile`` names.
- ``cdk:cloud-assembly``: a nested assembly, written for every CDK ``Stage``;
  ``properties.directoryName`` names its folder, which holds a manifest of its own.

Everything else (asset manifests, the construct tree, feature-flag reports) is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer.errors import InputError

MANIFEST = "manifest.json"
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"

#: Metadata entry types read from the assembly.
LOGICAL_ID = "aws:cdk:logicalId"
CREATION_STACK = "aws:cdk:creationStack"
TEMPLATE_FILE = "aws:cdk:templateFile"

Metadata = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class StackArtifact:
    """One ``aws:cloudformation:stack`` artifact of an assembly (or of a nested one)."""

    artifact_id: str
    stack_name: str
    display_name: str
    template_file: Path
    assembly_dir: Path
    metadata: Metadata = field(default_factory=dict, repr=False)

    def entries(self, construct_path: str, kind: str) -> list[Any]:
        """The data of the metadata entries of ``kind`` recorded for ``construct_path``."""
        key = construct_path if construct_path.startswith("/") else f"/{construct_path}"
        return [
            entry.get("data")
            for entry in self.metadata.get(key, ())
            if isinstance(entry, Mapping) and entry.get("type") == kind
        ]

    def paths_with(self, kind: str) -> Iterator[tuple[str, Any]]:
        """(construct path without the leading slash, data) of every entry of ``kind``."""
        for key, entries in self.metadata.items():
            for entry in entries:
                if isinstance(entry, Mapping) and entry.get("type") == kind:
                    yield key.lstrip("/"), entry.get("data")


def read_json(path: Path, what: str) -> Any:
    """A JSON file of the assembly, or an InputError naming it and the reason."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, f"{what} is missing from the cloud assembly") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"malformed JSON in {what}: {exc.msg}", exc.lineno) from None


def stack_artifacts(directory: Path) -> list[StackArtifact]:
    """Every stack of the assembly at ``directory``, nested assemblies (Stages) included.

    Stacks come in manifest order; the stacks of a Stage take the place of its artifact.
    """
    return list(_walk(directory, set()))


def _walk(directory: Path, seen: set[Path]) -> Iterator[StackArtifact]:
    key = directory.resolve()
    if key in seen:  # a manifest cannot name its own folder, but a symlink could
        return
    seen.add(key)
    manifest_path = directory / MANIFEST
    manifest = read_json(manifest_path, MANIFEST)
    artifacts = manifest.get("artifacts") if isinstance(manifest, Mapping) else None
    if artifacts is None:
        return
    if not isinstance(artifacts, Mapping):
        raise InputError(manifest_path, "not a cloud assembly manifest: artifacts is not a mapping")
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, Mapping):
            continue
        properties = artifact.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        kind = artifact.get("type")
        if kind == STACK_ARTIFACT:
            yield _stack(directory, str(artifact_id), artifact, properties)
        elif kind == NESTED_ASSEMBLY_ARTIFACT:
            folder = properties.get("directoryName")
            if isinstance(folder, str) and (directory / folder / MANIFEST).is_file():
                yield from _walk(directory / folder, seen)
            elif isinstance(folder, str):
                raise InputError(
                    directory / folder,
                    f"the nested cloud assembly of {artifact_id} (a CDK Stage) is missing",
                )


def _stack(
    directory: Path, artifact_id: str, artifact: Mapping[str, Any], properties: Mapping[str, Any]
) -> StackArtifact:
    template = properties.get("templateFile")
    if not isinstance(template, str) or not template:
        raise InputError(
            directory / MANIFEST, f"stack artifact {artifact_id} names no templateFile"
        )
    name = properties.get("stackName")
    display = artifact.get("displayName")
    return StackArtifact(
        artifact_id=artifact_id,
        stack_name=name if isinstance(name, str) and name else artifact_id,
        display_name=display if isinstance(display, str) and display else artifact_id,
        template_file=directory / template,
        assembly_dir=directory,
        metadata=_metadata(directory, artifact),
    )


def _metadata(directory: Path, artifact: Mapping[str, Any]) -> Metadata:
    """Inline ``metadata`` merged with the ``additionalMetadataFile`` of one artifact."""
    merged: dict[str, list[Mapping[str, Any]]] = {}
    sources: list[Any] = [artifact.get("metadata")]
    extra = artifact.get("additionalMetadataFile")
    if isinstance(extra, str) and (directory / extra).is_file():
        sources.append(read_json(directory / extra, extra))
    for source in sources:
        if not isinstance(source, Mapping):
            continue
        for path, entries in source.items():
            if isinstance(entries, list):
                kept = [e for e in entries if isinstance(e, Mapping)]
                merged.setdefault(str(path), []).extend(kept)
    return merged
