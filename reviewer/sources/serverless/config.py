"""The Serverless Framework configuration a package came from, read with the line of every key.

Supported configuration files:

- ``serverless.yml`` / ``serverless.yaml`` and ``serverless.json``: parsed with positions
  (the template loader: ``${...}`` variables stay text, ``!Ref``/``!GetAtt``... become long-form
  intrinsics), so a function entry, each of its keys and each ``provider`` key has its line.
  ``functions`` and ``resources`` may be split into other files with ``${file(path)}`` or
  ``${file(path):key}``, alone or as items of a list; those files are read the same way.
- ``serverless.js`` / ``.ts`` / ``.mjs`` / ``.cjs``: code is not run. A function entry is found
  by its key in the text (the first ``key:`` after ``functions``), for the function keys that
  ``serverless-state.json`` lists; its keys and ``provider`` are not located.

Anything that cannot be read leaves that part without a line; it never fails the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer.errors import InputError
from reviewer.model.template import LineLookup, PropertyPath
from reviewer.sources.text.files import json_line_lookup, parse_text, read_text, yaml_line_lookup

PARSED_SUFFIXES = (".yml", ".yaml", ".json")
CODE_SUFFIXES = (".js", ".ts", ".mjs", ".cjs")
#: The names ``serverless`` looks for in a service folder, in its order.
CONFIG_NAMES = tuple(
    f"serverless{suffix}" for suffix in (".yml", ".yaml", ".json", ".js", ".mjs", ".cjs", ".ts")
)

_MAX_INCLUDE_DEPTH = 4
_FILE_VARIABLE = re.compile(r"^\$\{file\(\s*['\"]?([^'\"()$]+?)['\"]?\s*\)(?::([\w.-]+))?\}$")


@dataclass(frozen=True)
class Place:
    """A value of a configuration file and where it sits: its file, key path and lines."""

    path: Path
    value: Any
    lookup: LineLookup
    at: PropertyPath = ()

    def line(self, keys: PropertyPath = ()) -> int | None:
        """The line of a key below this place (of the place itself for no keys)."""
        return self.lookup((*self.at, *keys))

    def child(self, key: str | int) -> Place | None:
        """The place of one key or item below this one, if it is there."""
        value = self.value
        if isinstance(value, Mapping) and isinstance(key, str) and key in value:
            return Place(self.path, value[key], self.lookup, (*self.at, key))
        if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            return Place(self.path, value[key], self.lookup, (*self.at, key))
        return None


@dataclass(frozen=True)
class ServiceConfig:
    """The parts of a service configuration that point back at the user's lines.

    ``exact`` is False for configurations written in code, whose function entries were found
    by searching the text.
    """

    path: Path
    service: str | None = None
    provider: Place | None = None
    functions: Mapping[str, Place] = field(default_factory=dict)
    layers: Mapping[str, Place] = field(default_factory=dict)
    resources: Mapping[str, Place] = field(default_factory=dict)
    #: ``resources.extensions``: properties merged into the resources the framework
    #: generates (``OrdersLambdaFunction: {Properties: {Architectures: [arm64]}}``).
    extensions: Mapping[str, Place] = field(default_factory=dict)
    exact: bool = True


def load_service_config(path: Path, function_keys: Sequence[str] = ()) -> ServiceConfig | None:
    """Read a configuration file; ``function_keys`` are searched for in code configurations."""
    suffix = path.suffix.lower()
    if suffix in CODE_SUFFIXES:
        return _code_config(path, function_keys)
    if suffix not in PARSED_SUFFIXES:
        return None
    root = _parse(path)
    if root is None or not isinstance(root.value, Mapping):
        return None
    service = root.value.get("service")
    if isinstance(service, Mapping):  # the v1 form: service: {name: ...}
        service = service.get("name")
    sections = list(_sections(root.child("resources"), path.parent))
    blocks = [
        block
        for section in sections
        for block in _sections(section.child("Resources"), path.parent)
    ]
    extended = [
        block
        for section in sections
        for block in _sections(section.child("extensions"), path.parent)
    ]
    provider = root.child("provider")
    return ServiceConfig(
        path=path,
        service=service if isinstance(service, str) else None,
        provider=provider if provider is not None and isinstance(provider.value, Mapping) else None,
        functions=_entries(_sections(root.child("functions"), path.parent)),
        layers=_entries(_sections(root.child("layers"), path.parent)),
        resources=_entries(blocks),
        extensions=_entries(extended),
    )


def _entries(sections: Iterable[Place]) -> dict[str, Place]:
    """The entries of a section by key; the first section that defines a key wins."""
    entries: dict[str, Place] = {}
    for section in sections:
        for key in section.value:
            entry = section.child(key)
            if entry is not None:
                entries.setdefault(str(key), entry)
    return entries


def _parse(path: Path) -> Place | None:
    """A parsed YAML or JSON file with its line lookup; None when it cannot be read."""
    try:
        text = read_text(path)
        document, kind = parse_text(path, text)
    except InputError:
        return None
    lookup: LineLookup = yaml_line_lookup(document) if kind == "yaml" else json_line_lookup(text)
    return Place(path, document, lookup)


def _sections(place: Place | None, base: Path, depth: int = 0) -> Iterator[Place]:
    """The mappings a section is made of: itself, its list items, the files it names.

    Files naming files are followed a few levels deep (a file that names itself stops there).
    """
    if place is None:
        return
    value = place.value
    if isinstance(value, Mapping):
        yield place
    elif isinstance(value, list):
        for index in range(len(value)):
            item = place.child(index)
            if item is not None and not isinstance(item.value, list):
                yield from _sections(item, base, depth)
    elif isinstance(value, str) and depth < _MAX_INCLUDE_DEPTH:
        included = _included(value, base)
        if included is not None:
            yield from _sections(included, included.path.parent, depth + 1)


def _included(variable: str, base: Path) -> Place | None:
    """The place a ``${file(path)}`` or ``${file(path):a.b}`` variable reads."""
    match = _FILE_VARIABLE.match(variable.strip())
    if match is None:
        return None
    place = _parse(base / match.group(1))
    for key in (match.group(2) or "").split("."):
        if place is None or not key:
            continue
        place = place.child(key)
    return place


def _code_config(path: Path, function_keys: Sequence[str]) -> ServiceConfig | None:
    try:
        lines = read_text(path).splitlines()
    except InputError:
        return None
    start = next(
        (n for n, text in enumerate(lines) if re.search(r"\bfunctions\b\s*[:=]", text)), None
    )
    if start is None:
        return None
    functions: dict[str, Place] = {}
    for key in function_keys:
        quoted = re.escape(key)
        pattern = re.compile(rf"^\s*(?:{quoted}|(['\"`]){quoted}\1)\s*:")
        found = next((n for n in range(start, len(lines)) if pattern.match(lines[n])), None)
        if found is not None:
            functions[key] = Place(path, None, _only_line(found + 1))
    return ServiceConfig(path=path, functions=functions, exact=False)


def _only_line(line: int) -> LineLookup:
    def lookup(keys: PropertyPath) -> int | None:
        return line if not keys else None

    return lookup
