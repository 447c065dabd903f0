"""From a logical id of a synthesized template back to the line of the CDK app that made it.

Three steps, each a fallback for the one before:

1. **The logical id's construct path.** CDK writes it on every resource as the
   ``aws:cdk:path`` Metadata (``OrdersStack/Orders/Handler/Resource``); when path metadata is
   switched off, the assembly's ``aws:cdk:logicalId`` metadata entries give it.
2. **The synth-time stack trace.** The assembly records, per construct path, where the
   construct was created (``aws:cdk:creationStack``): ``new OrdersService
   (/home/me/app/lib/orders.js:27:20)``. The first frame in the user's own files is the line of
   the ``new lambda.Function(...)`` call. Confidence ``exact`` (``likely`` when the trace
   passes through a construct library first). Python, Java, Go and .NET apps run CDK through
   jsii, so their traces hold no user frame and step 3 applies.
3. **A search of the app's source** (:mod:`reviewer.sources.cdk.app`) for the construct id:
   the last segment of the path that is not one CDK generates (``Resource``, ``Default``,
   ``ServiceRole``, ...), in a ``new X(this, 'Id'`` / ``X(self, "Id"`` call. Confidence
   ``likely`` for one call whose scope chain is consistent (the class that holds it is
   instantiated with the parent segment's id, or the parent cannot be checked), ``guess``
   when several calls fit or the only one does not.

A property of a resource maps to the line of its construct, where the props are written.
When no source line is found the location is the resource's line in the template. The
``symbol`` is the construct path without CDK's trailing ``/Resource`` or ``/Default`` (the
path ``cdk diff`` shows), and is set whichever way the line was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from reviewer.contract.enums import Confidence
from reviewer.contract.findings import Location
from reviewer.contract.paths import shown
from reviewer.model.template import PropertyPath, StackTemplate
from reviewer.sources.cdk.app import AppSource, ConstructCall
from reviewer.sources.cdk.assembly import CREATION_STACK, LOGICAL_ID, StackArtifact

CDK_PATH = "aws:cdk:path"

#: Construct ids CDK's own constructs give their children: never what the user wrote.
GENERATED_IDS = frozenset(
    {"Resource", "Default", "ServiceRole", "DefaultPolicy", "CurrentVersion", "LogGroup"}
)
_NESTED_STACK_SUFFIXES = (".NestedStackResource", ".NestedStack")

# "new Foo (/path/file.js:27:20)", "/path/file.js:27:20", "at Foo (file:///path/x.mjs:1:2)".
_FRAME = re.compile(r"(?:\((?P<inner>[^()]+)\)|(?:^|\s)(?P<bare>[^\s()]+))\s*$")
_POSITION = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::\d+)?$")


@dataclass(frozen=True)
class SourceLine:
    path: Path
    line: int
    confidence: Confidence


def symbol_of(construct_path: str) -> str:
    """The construct path a user recognises: ``Stack/Orders/Handler``, not ``.../Resource``."""
    for tail in ("/Resource", "/Default"):
        if construct_path.endswith(tail):
            return construct_path[: -len(tail)]
    return construct_path


class CdkSourceLocator:
    """The :data:`~reviewer.model.template.SourceLocator` of one stack of an assembly."""

    def __init__(
        self,
        stack: StackTemplate,
        artifact: StackArtifact,
        stack_path: str,
        other_stack_paths: Iterable[str],
        app: AppSource | None,
    ) -> None:
        self.stack = stack
        self.artifact = artifact
        self.stack_path = stack_path
        self.other_stack_paths = tuple(p for p in other_stack_paths if p != stack_path)
        self.app = app
        self._cache: dict[str, SourceLine | None] = {}

    def __call__(self, logical_id: str, path: PropertyPath) -> Location | None:
        construct = self.construct_path(logical_id)
        if construct is None:
            return None
        symbol = symbol_of(construct)
        if construct not in self._cache:
            self._cache[construct] = self._from_trace(construct) or self._from_search(construct)
        found = self._cache[construct]
        if found is None:
            return replace(self.stack.template_location(logical_id, path), symbol=symbol)
        return Location(_shown(found.path), found.line, found.confidence, symbol)

    # -- step 1: logical id -> construct path -------------------------------------------

    def construct_path(self, logical_id: str) -> str | None:
        resource = self.stack.resources.get(logical_id)
        if resource is not None:
            recorded = resource.metadata.get(CDK_PATH)
            if isinstance(recorded, str) and recorded:
                return recorded
        return self._paths_by_logical_id.get(logical_id)

    @cached_property
    def _paths_by_logical_id(self) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for construct, data in self.artifact.paths_with(LOGICAL_ID):
            if isinstance(data, str) and self._owns(construct):
                found.setdefault(data, construct)
        return found

    def _owns(self, construct: str) -> bool:
        """Whether ``construct`` is in this stack and not in a stack nested in it."""
        if not construct.startswith(f"{self.stack_path}/"):
            return False
        deeper = [p for p in self.other_stack_paths if p.startswith(f"{self.stack_path}/")]
        return not any(construct.startswith(f"{p}/") for p in deeper)

    # -- step 2: the synth-time stack trace ---------------------------------------------

    def _from_trace(self, construct: str) -> SourceLine | None:
        for trace in self.artifact.entries(construct, CREATION_STACK):
            if isinstance(trace, list):
                found = self._first_user_frame(trace)
                if found is not None:
                    return found
        return None

    def _first_user_frame(self, trace: list[Any]) -> SourceLine | None:
        through_library = False
        for frame in trace:
            if not isinstance(frame, str):
                continue
            position = _frame_position(frame)
            if position is None:
                continue  # "...new Function2 in aws-cdk-lib...", "...node internals..."
            recorded, line = position
            if _is_library(recorded):
                through_library = True
                continue
            path = self.app.resolve(recorded) if self.app else _existing(recorded)
            if path is None:
                return None  # the user's file is not here: search the source instead
            confidence = Confidence.LIKELY if through_library else Confidence.EXACT
            return SourceLine(path, line, confidence)
        return None

    # -- step 3: search the app's source ------------------------------------------------

    def _from_search(self, construct: str) -> SourceLine | None:
        if self.app is None:
            return None
        segments = construct.split("/")
        own = len(self.stack_path.split("/")) if construct.startswith(f"{self.stack_path}/") else 1
        for index in range(len(segments) - 1, own - 1, -1):
            segment = _construct_id(segments[index])
            if segment in GENERATED_IDS:
                continue
            calls = self.app.calls_with_id(segment)
            if not calls:
                continue
            parent = _construct_id(segments[index - 1]) if index > 0 else None
            fitting = [c for c in calls if self._fits(c, parent)]
            if len(fitting) == 1:
                return SourceLine(fitting[0].path, fitting[0].line, Confidence.LIKELY)
            chosen = (fitting or calls)[0]
            return SourceLine(chosen.path, chosen.line, Confidence.GUESS)
        return None

    def _fits(self, call: ConstructCall, parent: str | None) -> bool:
        """Whether the class holding ``call`` can be the construct named ``parent``."""
        if call.owner is None or parent is None or self.app is None:
            return True
        ids = self.app.ids_of_class(call.owner)
        return not ids or parent in ids


def _construct_id(segment: str) -> str:
    for suffix in _NESTED_STACK_SUFFIXES:
        if segment.endswith(suffix):
            return segment[: -len(suffix)]
    return segment


def _frame_position(frame: str) -> tuple[str, int] | None:
    match = _FRAME.search(frame.strip())
    if match is None:
        return None
    position = _POSITION.match(match.group("inner") or match.group("bare") or "")
    if position is None:
        return None
    return position.group("file"), int(position.group("line"))


def _is_library(recorded: str) -> bool:
    normalized = recorded.replace("\\", "/")
    return (
        "/node_modules/" in normalized
        or normalized.startswith(("node:", "internal/"))
        or "/site-packages/" in normalized
    )


def _existing(recorded: str) -> Path | None:
    path = Path(recorded.removeprefix("file://"))
    return path if path.is_file() else None


def _shown(path: Path) -> str:
    """A path relative to the working folder when it is below it, as a user would type it."""
    return shown(path)
