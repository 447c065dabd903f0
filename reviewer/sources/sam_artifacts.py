"""Local artifacts of a SAM template (``CodeUri: src/``) stand in as content hashes.

SAM templates name code by local path until ``sam package`` uploads it; the translator accepts
only S3 locations. Each local path is replaced, before translation, by an S3 URI that names a
hash of the files under it, so two sides compare by content: a change in ``src/`` is a code
change, an untouched ``src/`` is none. Inside a git work tree only the files git would track
are hashed (``.gitignore`` is honoured, build output is not code); elsewhere every file but
hidden ones. A path that does not exist is an error: comparing against a copy of a template
without its code would hide or invent a change.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from reviewer.errors import InputError

LOCAL_BUCKET = "latest-guard-local-artifacts"
ARTIFACT_PROPERTIES: Mapping[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
}


def localise_artifacts(document: dict[str, Any], template: Path, line_of: Any) -> None:
    """Replace local artifact paths in ``document`` (in place) by content-hash S3 URIs."""
    hashes: dict[Path, str] = {}

    def replace(holder: dict[str, Any], name: str, where: tuple[str, ...]) -> None:
        _replace(holder, name, template, hashes, where=where, line_of=line_of)

    globals_section = document.get("Globals")
    globals_function = (
        globals_section.get("Function") if isinstance(globals_section, dict) else None
    )
    if isinstance(globals_function, dict):
        replace(globals_function, "CodeUri", ("Globals", "Function"))
    resources = document.get("Resources")
    if not isinstance(resources, dict):
        return
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict):
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        where = ("Resources", logical_id, "Properties")
        for name in ARTIFACT_PROPERTIES.get(str(resource.get("Type")), ()):
            replace(properties, name, where)
        if resource.get("Type") == "AWS::Serverless::Function":
            _image_from_dockerfile(resource, properties, template, hashes)


def _replace(
    holder: dict[str, Any],
    name: str,
    template: Path,
    hashes: dict[Path, str],
    *,
    where: tuple[str, ...],
    line_of: Any,
) -> None:
    value = holder.get(name)
    if not isinstance(value, str) or value.startswith("s3://") or "://" in value:
        return
    local = (template.parent / value).resolve()
    if not local.exists():
        line = line_of((*where, name))
        raise InputError(
            template,
            f"{name} {value!r} does not exist next to the template: latest-guard hashes local "
            "code to compare it; compare against a checkout (--baseline-ref) or the "
            "packaged template",
            line,
        )
    if local not in hashes:
        hashes[local] = content_hash(local)
    holder[name] = f"s3://{LOCAL_BUCKET}/{hashes[local]}"


def _image_from_dockerfile(
    resource: dict[str, Any], properties: dict[str, Any], template: Path, hashes: dict[Path, str]
) -> None:
    """An image function built by ``sam build`` from its Metadata's Docker context."""
    metadata = resource.get("Metadata")
    if properties.get("PackageType") != "Image" or properties.get("ImageUri"):
        return
    if not isinstance(metadata, dict) or "Dockerfile" not in metadata:
        return
    context = (template.parent / str(metadata.get("DockerContext", "."))).resolve()
    if not context.exists():
        raise InputError(template, f"DockerContext {context} does not exist")
    if context not in hashes:
        hashes[context] = content_hash(context)
    properties["ImageUri"] = (
        f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{LOCAL_BUCKET}:{hashes[context][:32]}"
    )


def content_hash(path: Path) -> str:
    """SHA-256 over the relative names and bytes of the files at ``path``."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest()
    for relative in sorted(_files(path)):
        digest.update(relative.as_posix().encode() + b"\0")
        try:
            digest.update((path / relative).read_bytes())
        except (FileNotFoundError, IsADirectoryError):  # a tracked file deleted in the work tree
            digest.update(b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


def _files(directory: Path) -> Iterator[Path]:
    tracked = _git_files(directory)
    if tracked is not None:
        yield from tracked
        return
    for file in directory.rglob("*"):
        relative = file.relative_to(directory)
        if file.is_file() and not any(part.startswith(".") for part in relative.parts):
            yield relative


def _git_files(directory: Path) -> list[Path] | None:
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    if result.returncode != 0:
        return None
    names = {Path(n) for n in result.stdout.decode(errors="replace").split("\0") if n}
    return sorted(names)
