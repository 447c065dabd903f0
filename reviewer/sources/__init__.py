"""Sources: turn what the user points at into the stack templates of one side.

Each source says whether it recognises a path (``detect``) and loads it (``load``, named as
``module:function`` and imported only when used, so a plain template never pays for the
others). ``SOURCES`` is tried in order; the first that recognises the path wins. A template
file whose ``Transform`` names ``AWS::Serverless-2016-10-31`` is expanded by the SAM source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from reviewer.errors import InputError
from reviewer.model.template import StackTemplate

Loader = Callable[[Path, str | None], list[StackTemplate]]


@dataclass(frozen=True)
class Source:
    name: str
    detect: Callable[[Path], bool]
    loader: str  # "module:function"

    def load(self, path: Path, stack_name: str | None) -> list[StackTemplate]:
        module, _, function = self.loader.partition(":")
        load: Loader = getattr(import_module(module), function)
        return load(path, stack_name)


def _cloud_assembly(path: Path) -> bool:
    return path.is_dir() and (path / "manifest.json").is_file()


def _serverless_package(path: Path) -> bool:
    return path.is_dir() and (path / "cloudformation-template-update-stack.json").is_file()


def _template_file(path: Path) -> bool:
    return path.is_file()


def _template_directory(path: Path) -> bool:
    from reviewer.sources.cloudformation.template import is_template_directory

    return is_template_directory(path)


SOURCES: tuple[Source, ...] = (
    Source("CDK cloud assembly", _cloud_assembly, "reviewer.sources.cdk.stacks:load_assembly"),
    Source(
        "Serverless Framework package",
        _serverless_package,
        "reviewer.sources.serverless.package:load_package",
    ),
    Source(
        "template file", _template_file, "reviewer.sources.cloudformation.template:load_template"
    ),
    Source(
        "directory of templates",
        _template_directory,
        "reviewer.sources.cloudformation.template:load_directory",
    ),
)


def detect(path: Path) -> Source | None:
    """The source that recognises ``path``, if any."""
    return next((source for source in SOURCES if source.detect(path)), None)


def load_side(path: Path, stack_name: str | None = None) -> list[StackTemplate]:
    """All stacks found at ``path``; ``stack_name`` names a single-template side."""
    if not path.exists():
        raise InputError(path, "no such file or directory")
    source = detect(path)
    if source is not None:
        return source.load(path, stack_name)
    if path.is_dir():
        raise InputError(
            path,
            "is a directory that holds no template latest-guard can read (expected template "
            "files, a CDK cloud assembly with manifest.json or a Serverless package with "
            "cloudformation-template-update-stack.json)",
        )
    raise InputError(path, "is not a regular file")
