"""``AWS::Include`` of local files, inlined before the SAM transform as a deployment inlines them.

A SAM app often keeps an API's OpenAPI body in a file of its own::

    DefinitionBody:
      Fn::Transform:
        Name: AWS::Include
        Parameters:
          Location: ./api.yaml

``sam deploy`` (``sam package``) uploads such a local file and rewrites ``Location`` to its S3
URI; CloudFormation's ``AWS::Include`` transform then puts the file's content where the
``Fn::Transform`` was, and only after that does the SAM transform run. Here the same happens
locally: :func:`inline_includes` reads each local file and puts its content in place, so the
SAM translator sees the body it will see at deploy time (without it, every body feature, such
as ``Cors`` or ``Auth``, fails with "does not contain a valid Swagger definition"), and the
analysis sees the callers the body names: an ``x-amazon-apigateway-integration`` whose ``uri``
is ``!Sub ...${Fn.Arn}/invocations`` makes the API a consumer of ``Fn`` exactly as if written
in the template. Because the file is part of the template, an edit of it alone is a change of
the API, and a git baseline reads the file as it is at the base commit (its work tree).

Where the content goes, as CloudFormation does it:

- ``{"Fn::Transform": ...}`` alone as a value (a property, a list item) is replaced by the file;
- beside other keys of a mapping, the file (a mapping) adds its keys there; a key the
  template writes itself keeps the template's value;
- in the top-level ``Transform`` (alone or in the list of transforms), the file's sections are
  added to the template the same way, key by key, and the entry leaves the list.

A ``Location`` is read when it is text (or a ``Fn::Sub`` of text with no ``${}`` in it) that is
not a URI: a path relative to the template's folder (``..`` allowed, as ``sam package`` allows
it) or an absolute one, to a YAML or JSON file. A file that does not parse is an input error
naming that file and line. Everything else stays unknown and is returned as an
:class:`UnreadInclude` (an ``s3://`` location, one built from parameters, a path to nothing):
the ``Fn::Transform`` is left where it is, except in the ``DefinitionBody`` of an
``AWS::Serverless::Api`` or ``HttpApi``, which SAM must be able to edit: a placeholder
definition that names the location stands in for it (so a change of the location still shows
as a change of the body), and the stack's note says that the body and the callers it names
were not seen. An included file's own ``Fn::Transform`` is left alone, as ``sam package``
leaves it (it uploads only the template's own includes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.errors import InputError
from reviewer.model.template import PropertyPath
from reviewer.sources import local_files
from reviewer.sources.text.files import parse_text, read_text

INCLUDE = "AWS::Include"
TRANSFORM = "Fn::Transform"
#: SAM API types whose ``DefinitionBody`` the translator edits (and so must be a definition).
_API_BODIES = {"AWS::Serverless::Api": "2.0", "AWS::Serverless::HttpApi": "3.0.1"}

LineOf = Callable[[PropertyPath], int | None]


@dataclass(frozen=True)
class UnreadInclude:
    """An ``AWS::Include`` whose file was not read: where it is, its location, and why."""

    where: PropertyPath  # the path of the value that holds the Fn::Transform
    location: str | None  # as written; None when an expression builds it
    reason: str
    line: int | None
    #: The location as written, as JSON (an expression too): what the placeholder names.
    written: str = ""

    @property
    def shown(self) -> str:
        """The location in words: as written, quoted, or what it is."""
        if self.location is None:
            return "a location built by an expression"
        return repr(self.location)

    @property
    def subject(self) -> str:
        """What the included content is for: a resource's value, or the template's."""
        if len(self.where) >= 2 and self.where[0] == "Resources":
            inside = ".".join(str(p) for p in self.where[2:] if p != "Properties")
            return f"{inside} of {self.where[1]}" if inside else f"resource {self.where[1]}"
        if self.where == ("Transform",):
            return "the template's Transform"
        return ".".join(str(p) for p in self.where) or "the template"

    def note(self, template: Path) -> str:
        """One line for the stack's notes (the location as written; never a value)."""
        line = f":{self.line}" if self.line is not None else ""
        reason = f", {self.reason}" if self.reason else ""
        return (
            f"AWS::Include not read: {self.subject} comes from {self.shown} "
            f"({template.name}{line}){reason}, so its content, and any caller it names, "
            "cannot be seen"
        )

    def cause(self, template: Path) -> str:
        """The words an error of the SAM transform ends with when this include is unread."""
        line = f":{self.line}" if self.line is not None else ""
        reason = f": {self.reason}" if self.reason else ""
        return f"AWS::Include of {self.shown} ({template.name}{line}) was not read{reason}"


def has_includes(document: Any) -> bool:
    """Whether ``document`` names ``AWS::Include`` anywhere (a cheap test before the walk)."""
    return INCLUDE in json.dumps(document)


def inline_includes(
    document: dict[str, Any], template: Path, line_of: LineOf
) -> list[UnreadInclude]:
    """Put the content of every local ``AWS::Include`` of ``document`` (a plain, JSON-shaped
    template: see ``sam.plain_copy``) in place; the ones that stay unknown are returned."""
    if not has_includes(document):
        return []
    inliner = _Inliner(template, line_of)
    inliner.top_level(document)
    for key in list(document):
        if key != "Transform":
            document[key] = inliner.walk(document[key], (str(key),), document)
    return inliner.unread


class _Inliner:
    def __init__(self, template: Path, line_of: LineOf) -> None:
        self.template = template
        self.line_of = line_of
        self.unread: list[UnreadInclude] = []

    def top_level(self, document: dict[str, Any]) -> None:
        """Includes in the top-level ``Transform``: their sections join the template."""
        transform = document.get("Transform")
        entries = transform if isinstance(transform, list) else [transform]
        kept: list[Any] = []
        for index, entry in enumerate(entries):
            where: PropertyPath = ("Transform", index) if isinstance(transform, list) else (
                "Transform",
            )
            content = self.content(entry, where, ("Transform",))
            if content is _UNREAD or content is _NOT_INCLUDE:
                kept.append(entry)
                continue
            _merge(document, content, self.template, where)
        if isinstance(transform, list):
            document["Transform"] = kept
        elif not kept:
            del document["Transform"]

    def walk(self, value: Any, path: PropertyPath, root: dict[str, Any]) -> Any:
        """``value`` with its includes put in place (containers are changed in place)."""
        if isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = self.walk(item, (*path, index), root)
            return value
        if not isinstance(value, dict):
            return value
        if TRANSFORM in value:
            content = self.content(value[TRANSFORM], path, path)
            if content is _UNREAD:
                return self._placeholder(value, path, root)
            if content is not _NOT_INCLUDE:
                if len(value) == 1:
                    return content
                del value[TRANSFORM]
                _merge(value, content, self.template, path)
                return value
        for key in list(value):
            value[key] = self.walk(value[key], (*path, str(key)), root)
        return value

    def content(self, spec: Any, where: PropertyPath, line_path: PropertyPath) -> Any:
        """The included file's content; ``_NOT_INCLUDE`` for another transform, ``_UNREAD``
        (and an entry in ``unread``) when it cannot be read here."""
        if not isinstance(spec, dict) or spec.get("Name") != INCLUDE:
            return _NOT_INCLUDE
        parameters = spec.get("Parameters")
        raw = parameters.get("Location") if isinstance(parameters, dict) else None
        location = _text(raw)
        line = self.line_of((*line_path, TRANSFORM)) or self.line_of(line_path)
        if location is None:
            return self._unread(where, None, "", line, json.dumps(raw, sort_keys=True))
        if "://" in location or location.startswith("s3:"):
            reason = "in S3" if location.startswith("s3:") else "not a local file"
            return self._unread(where, location, reason, line)
        if (absent := local_files.absent()) is not None:
            return self._unread(where, location, absent.reason, line)
        path = self.template.parent / location
        if not path.is_file():
            reason = "a folder, not a file" if path.is_dir() else "no such file"
            return self._unread(where, location, reason, line)
        text = read_text(path)
        parsed, _ = parse_text(path, text)
        try:
            return json.loads(json.dumps(parsed, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise InputError(path, f"cannot be included: it is not JSON-shaped: {exc}") from None

    def _unread(
        self,
        where: PropertyPath,
        location: str | None,
        reason: str,
        line: int | None,
        written: str = "",
    ) -> Any:
        self.unread.append(UnreadInclude(where, location, reason, line, written or location or ""))
        return _UNREAD

    def _placeholder(
        self, value: dict[str, Any], path: PropertyPath, root: dict[str, Any]
    ) -> Any:
        """An unread include stays, except as an API's ``DefinitionBody`` (see the module doc)."""
        if len(path) != 4 or path[0] != "Resources":
            return value
        if path[2:] != ("Properties", "DefinitionBody"):
            return value
        resources = root.get("Resources")
        resource = resources.get(path[1]) if isinstance(resources, dict) else None
        kind = resource.get("Type") if isinstance(resource, dict) else None
        version = _API_BODIES.get(kind) if isinstance(kind, str) else None
        if version is None or len(value) != 1:
            return value
        unread = self.unread[-1]
        key = "swagger" if version == "2.0" else "openapi"
        return {
            key: version,
            "info": {"title": str(path[1]), "version": "unread"},
            "paths": {},
            "x-latest-guard-unread-include": unread.written,
        }


_UNREAD = object()
_NOT_INCLUDE = object()


def _text(value: Any) -> str | None:
    """A location as text: a string, or a ``Fn::Sub`` of a string with nothing to substitute."""
    if isinstance(value, dict) and len(value) == 1 and "Fn::Sub" in value:
        value = value["Fn::Sub"]
        if isinstance(value, list) and len(value) == 2 and value[1] in ({}, None):
            value = value[0]
        if not isinstance(value, str) or "${" in value:
            return None
    return value if isinstance(value, str) and value else None


def _merge(target: dict[str, Any], content: Any, template: Path, where: PropertyPath) -> None:
    """Add ``content``'s keys to ``target``; mappings both hold are merged one level down (the
    template's own entries win)."""
    if not isinstance(content, dict):
        shown = ".".join(str(p) for p in where)
        raise InputError(
            template,
            f"AWS::Include at {shown} sits beside other keys, so its file must hold a mapping",
        )
    for key, value in content.items():
        mine = target.get(key)
        if isinstance(mine, dict) and isinstance(value, dict):
            target[key] = {**value, **mine}
        elif key not in target:
            target[key] = value
