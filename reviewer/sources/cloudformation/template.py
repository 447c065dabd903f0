"""Template files: plain CloudFormation or SAM (expanded when its Transform says so), with the
macros of their ``Transform`` section applied where latest-guard can (:mod:`.macros`).

A template's nested stacks (``AWS::CloudFormation::Stack`` whose ``TemplateURL`` is a local
path, as ``aws cloudformation package`` accepts) are loaded too, each as a stack of its own
linked to its parent. A directory of templates is one app: every template file directly in it
is a stack named after the file, except the ones that another template nests.

A nested template or a file of a directory that cannot be read raises, unless the side is
read tolerantly (``sources.unreadable``: a baseline at a git revision): then it is set aside,
named, and the rest of the app is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources import local_files
from reviewer.sources.naming import TEMPLATE_SUFFIXES, stack_name_of
from reviewer.sources.text.files import load_template_file, load_template_text
from reviewer.sources.unreadable import set_aside

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
NESTED_STACK = "AWS::CloudFormation::Stack"
_MAX_DEPTH = 5


def is_sam(body: Mapping[str, Any]) -> bool:
    """Whether a template is SAM: it names the SAM transform (alone or in a list of transforms),
    or it declares ``AWS::Serverless::*`` resources without it (SAM's own examples often leave
    the transform out; analysed untransformed, their functions would go unchecked)."""
    transform = body.get("Transform")
    if transform == SAM_TRANSFORM or (isinstance(transform, list) and SAM_TRANSFORM in transform):
        return True
    resources = body.get("Resources")
    return isinstance(resources, Mapping) and any(
        isinstance(r, Mapping) and str(r.get("Type", "")).startswith("AWS::Serverless::")
        for r in resources.values()
    )


def load_template(path: Path, stack_name: str | None) -> list[StackTemplate]:
    """A template file and the local templates it nests."""
    return _load(path, stack_name, None, 0)


def load_template_from_text(path: Path, text: str) -> StackTemplate:
    """The template held in ``text`` (``path`` at another revision, say), SAM expanded as
    for a file; local paths (``CodeUri: src/``) are read next to ``path``."""
    return _expanded(load_template_text(path, text), None)


def _expanded(stack: StackTemplate, parent: tuple[str, str] | None) -> StackTemplate:
    """``stack`` as its transforms make it (SAM, the macros latest-guard expands), or with
    the macros it cannot expand named (:mod:`.macros`)."""
    stack.parent = parent
    if "Transform" in stack.body or is_sam(stack.body):
        from reviewer.sources.cloudformation.macros import apply_transforms

        stack = apply_transforms(stack)
        stack.parent = parent
    return stack


def load_directory(path: Path, stack_name: str | None) -> list[StackTemplate]:
    """Every template directly in ``path``, as one app (nested templates under their parent).

    Hidden files (``.name``) are not templates of the app: editors' and tools' working copies
    (``latest-guard fix`` writes one next to a SAM template while it runs) live there.
    """
    files = sorted(
        p for p in path.iterdir()
        if p.is_file() and p.suffix.lower() in TEMPLATE_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise InputError(path, "holds no template file (.yaml, .yml, .json, .template)")
    stacks: list[StackTemplate] = []
    nested: set[Path] = set()
    unread: list[tuple[Path, InputError]] = []
    for file in files:
        if file.resolve() in nested:
            continue
        try:
            loaded = _load(file, None, None, 0)
        except InputError as exc:
            if "not a CloudFormation template" in exc.message:
                continue  # parameter files, configuration: not stacks
            unread.append((file, exc))
            continue
        nested.update(_nested_files(loaded))
        stacks.extend(loaded)
    for file, error in unread:  # raises the first one unless the side is read tolerantly
        if file.resolve() not in nested:
            set_aside(error, stack_name_of(file))
    top = {id(s) for s in stacks if s.parent is None and s.path.resolve() in nested}
    stacks = [s for s in stacks if id(s) not in top]
    if not stacks and not unread:
        raise InputError(path, "holds no CloudFormation template")
    return stacks


def is_template_directory(path: Path) -> bool:
    return path.is_dir() and any(
        p.suffix.lower() in TEMPLATE_SUFFIXES for p in path.iterdir() if p.is_file()
    )


def _load(
    path: Path, stack_name: str | None, parent: tuple[str, str] | None, depth: int
) -> list[StackTemplate]:
    stack = _expanded(load_template_file(path, stack_name), parent)
    stacks = [stack]
    if depth >= _MAX_DEPTH:
        return stacks
    for logical_id, resource in stack.of_type(NESTED_STACK).items():
        url = resource.properties.get("TemplateURL")
        child = _local_template(path, url)
        if child is not None:
            name = f"{stack.name}.{logical_id}"
            try:
                stacks.extend(_load(child, name, (stack.name, logical_id), depth + 1))
            except InputError as exc:
                set_aside(exc, name)
    return stacks


def _local_template(parent: Path, url: Any) -> Path | None:
    if not isinstance(url, str) or "://" in url or url.startswith("https:"):
        return None
    if local_files.absent() is not None:
        return None
    candidate = (parent.parent / url).resolve()
    return candidate if candidate.is_file() else None


def _nested_files(stacks: list[StackTemplate]) -> set[Path]:
    """The local templates that ``stacks`` nest, read or not (one that could not be read is
    still no stack of its own)."""
    return {
        child
        for stack in stacks
        for resource in stack.of_type(NESTED_STACK).values()
        if (child := _local_template(stack.path, resource.properties.get("TemplateURL")))
        is not None
    }
