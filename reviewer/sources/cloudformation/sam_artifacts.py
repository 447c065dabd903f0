"""Local artifacts of a SAM template (``CodeUri: src/``) stand in as content hashes.

SAM templates name code by local path until ``sam package`` uploads it; the translator accepts
only S3 locations. Each local path is replaced, before translation, by an S3 URI that names a
hash of the files under it, so two sides compare by content: a change in ``src/`` is a code
change, an untouched ``src/`` is none.

**What is hashed is what the function runs.** Inside a git work tree only the files git would
track are hashed (``.gitignore`` is honoured: build output is not code); a folder git lists
nothing of (build output such as ``.aws-sam/build/OrdersFn``, ignored as a whole) and folders
outside git are hashed whole, hidden files aside. Never hashed, at any depth of the folder:

- the template that names the folder (``CodeUri: .`` holds ``template.yaml`` itself);
- ``samconfig.*`` (``samconfig.toml``, ``samconfig.yaml``): deployment settings, not code;
- anything under ``.aws-sam/`` (``sam build``'s output and cache);
- any other template file: a ``.yaml``, ``.yml``, ``.json`` or ``.template`` file whose text
  has a top-level-looking ``AWSTemplateFormatVersion:`` key or names the
  ``AWS::Serverless-2016-10-31`` transform. (A function that ships such a file as data, a
  template it deploys itself, has a change of that file not counted as a code change.)
- files that no runtime loads (``README.md``, ``LICENSE``, ``CHANGELOG.md``, ...: the list and
  how the configuration extends it are in ``not_code``). ``sam deploy`` does upload them, so
  an edit of one alone makes CloudFormation update the function's code; but the code that runs
  is the same, and a ``$LATEST`` that mixes it with a new configuration is harmless. Each
  function's folder is recorded as hashed (``not_code.recording_hashes``), so that a caller
  that sees both sides can say when such files were the only change.

A folder inside the code folder that the template names as a layer's ``ContentUri`` (or an
API's or state machine's ``DefinitionUri``) is that resource's, not part of the code around it;
another function's ``CodeUri`` inside it stays (the code around it may import it). A zip
function that names no code at all (no ``CodeUri``, ``InlineCode`` or
``ImageUri``, and no ``CodeUri`` in ``Globals``) is built by ``sam build`` from the template's
own folder (SAM CLI's default ``CodeUri`` is ``.``), and is hashed so here.

**Code that cannot be read is unknown, never unchanged in silence.** A path that does not
exist (build output that nothing built, a folder missing on one side) is replaced by the same
``unread`` placeholder on whichever side lacks it, and :func:`localise_artifacts` returns an
:class:`UnreadCode` for it. With both sides at hand (``reviewer.commands.check``), the other side is
loaded with that function's artifact treated as unread too (:func:`unread_elsewhere`), so the
function's code counts as unknown on both sides rather than changed, whatever path each side
names; the run then writes a note that names the functions and how to build their code on
both sides. Loaded on its own (pre-commit, a library caller), a template gets a note of its
own (:func:`unread_note`).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.model.template import LOCAL_BUCKET, UNREAD_KEY
from reviewer.sources import local_files
from reviewer.sources.cloudformation.not_code import HashedCode, is_not_code, record_hash
from reviewer.sources.collecting import collecting
from reviewer.sources.naming import TEMPLATE_SUFFIXES

ARTIFACT_PROPERTIES: Mapping[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
}
_FUNCTION = "AWS::Serverless::Function"
#: The properties that name a function's code folder (``DockerContext``: an image's).
_CODE_FOLDERS = frozenset({"CodeUri", "DockerContext"})
#: ``AWSTemplateFormatVersion`` as a key (YAML or JSON), or the SAM transform's name.
_DECLARES_TEMPLATE = re.compile(
    rb"""AWSTemplateFormatVersion["']?\s*:|AWS::Serverless-2016-10-31"""
)

LineOf = Callable[[tuple[str, ...]], int | None]


@dataclass(frozen=True)
class UnreadCode:
    """A local artifact whose content could not be read on one side.

    ``present`` is True when the path exists on this side but was treated as unread because
    the other side lacks it (see :func:`unread_elsewhere`).
    """

    stack: str
    template: Path
    property: str  # "CodeUri", "ContentUri", "DefinitionUri" or "DockerContext"
    value: str  # as written in the template
    path: Path  # resolved
    resources: tuple[str, ...]  # the logical ids whose code or definition it is
    line: int | None
    present: bool = False


#: A function's artifact on one side: (stack name or ``*`` for any, logical id, property).
ResourceKey = tuple[str, str, str]

_FORCED: ContextVar[frozenset[ResourceKey]] = ContextVar(
    "latest_guard_unread", default=frozenset()
)
_RECORDER: ContextVar[list[UnreadCode] | None] = ContextVar(
    "latest_guard_unread_recorder", default=None
)


@contextmanager
def unread_elsewhere(keys: Collection[ResourceKey]) -> Iterator[None]:
    """Treat the artifacts of the resources that ``keys`` name as unread while loading: the
    other side of the comparison could not read them, so their content has nothing to be
    compared with, whatever path each side names."""
    token = _FORCED.set(frozenset(keys))
    try:
        yield
    finally:
        _FORCED.reset(token)


def recording() -> AbstractContextManager[list[UnreadCode]]:
    """Collect the unread artifacts of every template loaded in the block; templates then get
    no note of their own: whoever records writes the notes, knowing both sides."""
    return collecting(_RECORDER)


def record(unread: Sequence[UnreadCode]) -> bool:
    """Hand ``unread`` to the active :func:`recording`; False when none is active."""
    recorder = _RECORDER.get()
    if recorder is None:
        return False
    recorder.extend(unread)
    return True


@dataclass(frozen=True)
class LocalCode:
    """What :func:`localise_artifacts` found: the artifacts that could not be read, and the
    folder (as written) each function's code was hashed from, by logical id."""

    unread: list[UnreadCode]
    folders: dict[str, str]


def localise_artifacts(
    document: dict[str, Any], template: Path, line_of: LineOf, *, stack: str = ""
) -> LocalCode:
    """Replace local artifact paths in ``document`` (in place) by content-hash S3 URIs; the
    ones that could not be read get the ``unread`` placeholder and are named in the result,
    the functions' code folders that were hashed too."""
    resources = document.get("Resources")
    resources = resources if isinstance(resources, dict) else {}
    globals_section = document.get("Globals")
    globals_function = (
        globals_section.get("Function") if isinstance(globals_section, dict) else None
    )
    global_code = isinstance(globals_function, dict) and "CodeUri" in globals_function
    holders: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for logical_id, resource in resources.items():
        properties = resource.get("Properties") if isinstance(resource, dict) else None
        if not isinstance(properties, dict):
            continue
        if resource.get("Type") == _FUNCTION and not global_code and _code_left_out(properties):
            # As ``sam build`` does (SAM CLI's default CodeUri): the template's own folder.
            properties["CodeUri"] = "."
        holders.append((str(logical_id), resource, properties))
    # Layers' content and API or state machine definitions are never a function's code; another
    # function's folder may well be (code imports it), so it stays in.
    artifacts = [
        properties.get(name)
        for _, resource, properties in holders
        for name in ARTIFACT_PROPERTIES.get(str(resource.get("Type")), ())
        if name != "CodeUri"
    ]
    local = _Localiser(template, line_of, stack, _local_paths(template, artifacts))
    if isinstance(globals_function, dict):
        local.replace(
            globals_function, "CodeUri", ("Globals", "Function"), _global_code_users(resources)
        )
    for logical_id, resource, properties in holders:
        where = ("Resources", logical_id, "Properties")
        for name in ARTIFACT_PROPERTIES.get(str(resource.get("Type")), ()):
            local.replace(properties, name, where, (logical_id,))
        if resource.get("Type") == _FUNCTION:
            local.image_from_dockerfile(logical_id, resource, properties)
    return LocalCode(local.unread, local.folders)


def _local_paths(template: Path, values: list[Any]) -> frozenset[Path]:
    """The local paths among artifact property values, resolved next to ``template``."""
    return frozenset(
        (template.parent / value).resolve()
        for value in values
        if isinstance(value, str) and value and "://" not in value
    )


def _code_left_out(properties: Mapping[str, Any]) -> bool:
    """A zip function that names no code at all (no ``CodeUri``, ``InlineCode`` or image)."""
    return (
        properties.get("PackageType", "Zip") == "Zip"
        and not {"CodeUri", "InlineCode", "ImageUri"} & set(properties)
    )


def _global_code_users(resources: Mapping[str, Any]) -> tuple[str, ...]:
    """The functions that take ``Globals.Function.CodeUri``: no code of their own."""
    users: list[str] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != _FUNCTION:
            continue
        properties = resource.get("Properties")
        properties = properties if isinstance(properties, dict) else {}
        own = ("CodeUri", "InlineCode", "ImageUri")
        if properties.get("PackageType") == "Image" or any(k in properties for k in own):
            continue
        users.append(str(logical_id))
    return tuple(users)


class _Localiser:
    """The hashes of one template's local artifacts, and the ones that could not be read."""

    def __init__(
        self, template: Path, line_of: LineOf, stack: str, artifacts: frozenset[Path]
    ) -> None:
        self.template = template
        self.line_of = line_of
        self.stack = stack
        #: The local layer contents and definitions of the template: one inside a code folder
        #: is that resource's, not part of the code around it.
        self.artifacts = artifacts
        self.hashes: dict[Path, tuple[str, dict[str, str]]] = {}
        self.unread: list[UnreadCode] = []
        #: The code folder (as written) of each function whose code was hashed.
        self.folders: dict[str, str] = {}
        self.forced = _FORCED.get()

    def replace(
        self,
        holder: dict[str, Any],
        name: str,
        where: tuple[str, ...],
        resources: tuple[str, ...],
    ) -> None:
        value = holder.get(name)
        if not isinstance(value, str) or value.startswith("s3://") or "://" in value:
            return
        digest = self._digest(value, name, (*where, name), resources)
        holder[name] = f"s3://{LOCAL_BUCKET}/{digest}"

    def image_from_dockerfile(
        self, logical_id: str, resource: dict[str, Any], properties: dict[str, Any]
    ) -> None:
        """An image function built by ``sam build`` from its Metadata's Docker context."""
        metadata = resource.get("Metadata")
        if properties.get("PackageType") != "Image" or properties.get("ImageUri"):
            return
        if not isinstance(metadata, dict) or "Dockerfile" not in metadata:
            return
        value = str(metadata.get("DockerContext", "."))
        where = ("Resources", logical_id, "Metadata", "DockerContext")
        digest = self._digest(value, "DockerContext", where, (logical_id,))
        properties["ImageUri"] = (
            f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{LOCAL_BUCKET}:{digest[:32]}"
        )

    def _digest(
        self, value: str, name: str, where: tuple[str, ...], resources: tuple[str, ...]
    ) -> str:
        local = (self.template.parent / value).resolve()
        exists = local_files.absent() is None and local.exists()
        forced = any(
            (stack, resource, name) in self.forced
            for stack in (self.stack, "*")
            for resource in resources
        )
        if not exists or forced:
            if resources:  # a Globals CodeUri that no function takes is nobody's code
                line = self.line_of(where) or self.line_of(where[:-1])
                self.unread.append(UnreadCode(
                    self.stack, self.template, name, value, local, resources, line, exists
                ))
            return UNREAD_KEY
        if local not in self.hashes:
            nested = tuple(a for a in self.artifacts if a != local and a.is_relative_to(local))
            self.hashes[local] = _hash(local, template=self.template, nested=nested)
        digest, not_code = self.hashes[local]
        record_hash(HashedCode(self.stack, name, value, resources, digest, not_code))
        if name in _CODE_FOLDERS:
            self.folders.update(dict.fromkeys(resources, value))
        return digest


def unread_note(unread: UnreadCode, where: str = "does not exist", advice: str = "") -> str:
    """One line naming the resources whose code was not read, and why; names, never values
    other than the path as written."""
    names = list(unread.resources)
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    what = "definition" if unread.property == "DefinitionUri" else "code"
    line = f":{unread.line}" if unread.line is not None else ""
    subject = f"{what} not read for {shown}" if shown else f"{what} not read"
    advice = advice or (
        "build it first, on both sides of the comparison (sam build writes "
        ".aws-sam/build/template.yaml, which names the built code)"
    )
    return (
        f"{subject}: {unread.property} {unread.value!r} ({unread.template}{line}) {where}, "
        f"so a change of that {what} cannot be seen; {advice}"
    )


def content_hash(
    path: Path, *, template: Path | None = None, nested: tuple[Path, ...] = ()
) -> str:
    """SHA-256 over the relative names and bytes of the files at ``path`` that are code (see
    the module doc); ``template`` is the template that names ``path``, never hashed, and
    ``nested`` the folders (or files) inside ``path`` that are other resources' artifacts."""
    return _hash(path, template=template, nested=nested)[0]


def _hash(
    path: Path, *, template: Path | None, nested: tuple[Path, ...]
) -> tuple[str, dict[str, str]]:
    """:func:`content_hash`, and the SHA-256 of each file left out as one no runtime loads
    (``not_code``), by its path relative to ``path``."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest(), {}
    skip = _inside(template, path)
    others = tuple(inside for inside in (_inside(n, path) for n in nested) if inside is not None)
    left_out: dict[str, str] = {}
    for relative in sorted(_files(path)):
        if _not_code_by_name(relative) or relative == skip:
            continue
        if any(relative == other or relative.is_relative_to(other) for other in others):
            continue
        try:
            data = (path / relative).read_bytes()
        except (FileNotFoundError, IsADirectoryError):  # a tracked file deleted in the work tree
            data = None
        if data is not None and is_template_file(relative, data):
            continue
        if is_not_code(relative):
            shown = hashlib.sha256(data).hexdigest() if data is not None else "<missing>"
            left_out[relative.as_posix()] = shown
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(b"<missing>" if data is None else data)
        digest.update(b"\0")
    return digest.hexdigest(), left_out


def _inside(file: Path | None, folder: Path) -> Path | None:
    """``file`` relative to ``folder`` when it lies inside it."""
    if file is None:
        return None
    try:
        return file.resolve().relative_to(folder.resolve())
    except ValueError:
        return None


def _not_code_by_name(relative: Path) -> bool:
    """SAM's own files: ``.aws-sam/`` (build output and cache) and ``samconfig.*``."""
    return ".aws-sam" in relative.parts or relative.name.lower().startswith("samconfig.")


def is_template_file(relative: Path, data: bytes) -> bool:
    """Whether a file is a SAM or CloudFormation template (see the module doc for the rule)."""
    return relative.suffix.lower() in TEMPLATE_SUFFIXES and bool(_DECLARES_TEMPLATE.search(data))


def _files(directory: Path) -> Iterator[Path]:
    tracked = _git_files(directory)
    if tracked:
        yield from tracked
        return
    # Outside git, or a folder git lists nothing of (ignored build output): every file.
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
