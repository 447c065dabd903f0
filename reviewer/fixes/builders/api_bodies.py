"""API definitions kept outside the template: read where they are local, named where not.

An API's OpenAPI body can live in a file of its own: ``Body`` (plain) or ``DefinitionBody``
(SAM) through ``Fn::Transform: {Name: AWS::Include, Parameters: {Location: ...}}``,
``BodyS3Location`` (plain) or ``DefinitionUri`` (SAM). A fix edits the template only: a body
there that calls a function's unqualified ARN keeps calling it after the fix, so the
permission it relies on must stay, and the note says what to write in that file. (The analysis
sees a SAM template's local ``AWS::Include``, which the sources stage inlines, so such a caller
leaves its finding open until the file is edited; the other forms it does not see.) Local
files (relative to the template, as ``sam package`` and ``aws cloudformation package`` read
them) are read here to find those calls and their lines; an S3 location or a computed one is
reported as not read.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache

from reviewer.fixes.builders.repoint import AliasTarget, repoint
from reviewer.fixes.edit.document import Document, DocumentError, Node
from reviewer.fixes.edit.source import read_file
from reviewer.fixes.edit.textedit import EditConflict, TextEdits

#: API resource types and the properties that may hold their body elsewhere.
BODY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::ApiGateway::RestApi": ("Body", "BodyS3Location"),
    "AWS::ApiGatewayV2::Api": ("Body", "BodyS3Location"),
    "AWS::Serverless::Api": ("DefinitionBody", "DefinitionUri"),
    "AWS::Serverless::HttpApi": ("DefinitionBody", "DefinitionUri"),
}
INCLUDE = "AWS::Include"


@dataclass(frozen=True)
class ApiBody:
    """The body of one API, kept outside the template."""

    api: str  # logical id of the API (SAM keeps it for the API it generates)
    where: str  # the location as written: "openapi.yaml", "s3://bucket/key"
    document: Document | None  # the file, read and parsed; None when it was not read
    why_unread: str | None = None

    @property
    def read(self) -> bool:
        return self.document is not None

    def calls(self, target: AliasTarget) -> tuple[int, ...]:
        """The lines (1-based) where the body names ``target.function`` unqualified."""
        return _calls(self.document, target) if self.document is not None else ()

    def describe(self, target: AliasTarget) -> str:
        """The body and what was found in it, in words (names and lines, never values)."""
        if self.document is None:
            return f"the OpenAPI body of {self.api} ({self.where}: {self.why_unread})"
        lines = self.calls(target)
        if not lines:
            return f"the OpenAPI body of {self.api} ({self.where})"
        at = "line" if len(lines) == 1 else "lines"
        shown = ", ".join(str(line) for line in lines)
        return f"the OpenAPI body of {self.api} ({self.where}, {at} {shown})"


@lru_cache(maxsize=32)
def _calls(document: Document, target: AliasTarget) -> tuple[int, ...]:
    edits = TextEdits(document.text)
    with contextlib.suppress(EditConflict):
        repoint(document, edits, document.root, target)
    lines = {document.position(start)[0] for start, _, _ in edits.changes}
    for name in target.names:
        # A literal ARN inside an integration URI: ".../functions/arn:...:function:NAME/..."
        pattern = re.compile(r":function:" + re.escape(name) + r"(?![\w-]|:[\w$])")
        lines.update(
            document.position(match.start())[0] for match in pattern.finditer(document.text)
        )
    return tuple(sorted(lines))


def api_bodies(document: Document) -> list[ApiBody]:
    """Every API of the template whose body is kept outside it.

    Read once per document: every function's fix asks, and the answer does not depend on the
    function (each body's calls are looked up per function, :meth:`ApiBody.calls`).
    """
    return list(_api_bodies(document))


@lru_cache(maxsize=8)
def _api_bodies(document: Document) -> tuple[ApiBody, ...]:
    section = document.root.get("Resources")
    found: list[ApiBody] = []
    for key, node in section.pairs if section is not None and section.kind == "map" else []:
        kind = node.get("Type")
        properties = node.get("Properties")
        names = BODY_PROPERTIES.get(kind.value or "") if kind is not None else None
        if names is None or properties is None or properties.kind != "map":
            continue
        inline, located = (properties.get(name) for name in names)
        body = _included(document, str(key.value), inline) or _located(
            document, str(key.value), located
        )
        if body is not None:
            found.append(body)
    return tuple(found)


def _included(document: Document, api: str, node: Node | None) -> ApiBody | None:
    """A body written as ``Fn::Transform`` of ``AWS::Include``."""
    intrinsic = node.intrinsic() if node is not None else None
    if intrinsic is None or intrinsic[0] != "Fn::Transform":
        return None
    argument = intrinsic[1]
    name = argument.get("Name")
    parameters = argument.get("Parameters")
    if name is None or name.value != INCLUDE:
        return None
    location = parameters.get("Location") if parameters is not None else None
    return _at(document, api, location)


def _located(document: Document, api: str, node: Node | None) -> ApiBody | None:
    """A body named by location: a path or URI, or an S3 bucket and key."""
    if node is None:
        return None
    if node.kind == "map" and node.intrinsic() is None:
        bucket, key = _text(node.get("Bucket")), _text(node.get("Key"))
        where = f"s3://{bucket}/{key}" if bucket and key else "an S3 location"
        return ApiBody(api, where, None, "in S3, not read")
    return _at(document, api, node)


def _at(document: Document, api: str, location: Node | None) -> ApiBody:
    text = _text(location)
    if text is None:
        return ApiBody(api, "a location built by an expression", None, "not read")
    if "://" in text or text.startswith("s3:"):
        return ApiBody(api, text, None, "not a local file, not read")
    path = document.path.parent / text
    content = read_file(path) if path.is_file() else None
    if content is None:
        return ApiBody(api, text, None, "no such file next to the template")
    try:
        return ApiBody(api, text, Document(path, content))
    except DocumentError:
        return ApiBody(api, text, None, "not readable as YAML or JSON")


def _text(node: Node | None) -> str | None:
    """A plain scalar's text (not a tag such as ``!Sub``), or None."""
    if node is None or node.kind != "scalar" or node.tag is not None or not node.value:
        return None
    return node.value
