"""Where the CloudFormation that SAM generates was written in the SAM template.

The translated template has no lines of its own: every finding must point at the SAM source
the user edits. :class:`SamSourceMap` maps a logical id of the translated template, and a
property path on it, to a line of the SAM template:

- a resource SAM kept under its own logical id (the ``AWS::Lambda::Function`` of an
  ``AWS::Serverless::Function``, an API, a plain CloudFormation resource) points at that
  resource, and a property at the SAM property it came from: the same name (``Layers``,
  ``Runtime``, ``Environment.Variables.KEY``), or its SAM spelling (``Code`` from
  ``CodeUri``/``InlineCode``/``ImageUri``, ``TracingConfig`` from ``Tracing``); a property
  inherited from ``Globals`` points at the ``Globals`` line;
- a generated resource is traced by SAM's naming: it is named after the SAM resource that
  produced it, followed by the event (``<Fn><Event>`` for a rule or an event source mapping,
  ``<Fn><Event>Permission...``), the embedded connector, or the feature (``<Fn>Role``,
  ``<Fn>Version<hash>`` and ``<Fn>Alias<name>`` from ``AutoPublishAlias``, ``<Fn>Url``,
  ``<Fn>EventInvokeConfig``, ``<Fn>DeploymentGroup``); it points at that event or property;
- the implicit APIs (``ServerlessRestApi...``, ``ServerlessHttpApi...``) point at the first
  function event that creates them, and the CodeDeploy application and its role at the first
  ``DeploymentPreference``.

The translator (1.115) records no source id in the resources it generates, so the naming
is what there is; such locations are marked ``likely`` (``guess`` when several sources fit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reviewer.contract.enums import Confidence
from reviewer.contract.findings import Location
from reviewer.model.template import PropertyPath, StackTemplate

SERVERLESS_PREFIX = "AWS::Serverless::"

#: CloudFormation property names that SAM spells differently on its own resource types.
RENAMED: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "AWS::Serverless::Function": {
        "Code": ("CodeUri", "InlineCode", "ImageUri"),
        "TracingConfig": ("Tracing",),
        "DeadLetterConfig": ("DeadLetterQueue",),
    },
    "AWS::Serverless::LayerVersion": {"Content": ("ContentUri",)},
    "AWS::Serverless::StateMachine": {
        "DefinitionString": ("Definition",),
        "DefinitionS3Location": ("DefinitionUri",),
    },
}

#: Logical-id suffixes of resources SAM generates for a feature, and the property that asks
#: for it. The first match wins (``Version`` and ``Alias`` before anything shorter).
FEATURE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("Version", "AutoPublishAlias"),
    ("Alias", "AutoPublishAlias"),
    ("EventInvokeConfig", "EventInvokeConfig"),
    ("DeploymentGroup", "DeploymentPreference"),
    ("Url", "FunctionUrlConfig"),
    ("Role", "Policies"),
)

#: Implicit resources shared by the whole template: id prefix, the event type that creates
#: it and the event property that, when set, names an explicit API instead.
IMPLICIT_APIS: tuple[tuple[str, str, str], ...] = (
    ("ServerlessRestApi", "Api", "RestApiId"),
    ("ServerlessHttpApi", "HttpApi", "ApiId"),
)
CODEDEPLOY_SHARED = ("ServerlessDeploymentApplication", "CodeDeployServiceRole")


@dataclass(frozen=True)
class _Origin:
    """A place in the SAM source: a path from the document root, and how sure it is."""

    path: PropertyPath
    confidence: Confidence
    symbol: str


class SamSourceMap:
    """Lines of the SAM source for the resources and properties of its translation."""

    def __init__(self, source: StackTemplate) -> None:
        self._path = str(source.path)
        self._lines = source.line_lookup
        resources = source.body.get("Resources")
        self._resources: dict[str, Mapping[str, Any]] = {
            str(k): v
            for k, v in (resources.items() if isinstance(resources, Mapping) else ())
            if isinstance(v, Mapping)
        }
        self._sam = {
            logical_id: str(raw.get("Type"))
            for logical_id, raw in self._resources.items()
            if str(raw.get("Type", "")).startswith(SERVERLESS_PREFIX)
        }
        # Longest first: a generated id is attributed to the longest SAM id it starts with.
        self._sam_ids = sorted(self._sam, key=len, reverse=True)

    def line_lookup(self, path: PropertyPath) -> int | None:
        """The line of ``path`` in the translated template, read in the SAM source.

        Paths the translation shares with the source (a plain resource carried through, the
        ``Resources.<Fn>`` entry of a function, ``Parameters``, ``Outputs``) have the source's
        line; generated resources and properties have none.
        """
        return self._lines(path)

    def locate(self, logical_id: str, path: PropertyPath = ()) -> Location | None:
        """The SAM source line of a translated resource (and property), if it can be traced."""
        origin = self._origin(logical_id, path)
        if origin is None:
            return None
        line = self._line_of(origin.path)
        if line is None:
            return None
        return Location(self._path, line, confidence=origin.confidence, symbol=origin.symbol)

    # -- tracing -------------------------------------------------------------------------

    def _origin(self, logical_id: str, path: PropertyPath) -> _Origin | None:
        if logical_id in self._sam:
            return self._property(logical_id, path, base_confidence=Confidence.EXACT)
        if logical_id in self._resources:
            return self._carried(logical_id, path)
        for sam_id in self._sam_ids:
            if logical_id.startswith(sam_id) and len(logical_id) > len(sam_id):
                origin = self._generated(sam_id, logical_id[len(sam_id):], path)
                if origin is not None:
                    return origin
        longest = next((s for s in self._sam_ids if logical_id.startswith(s)), None)
        if longest is not None:
            return _Origin(("Resources", longest), Confidence.GUESS, longest)
        return self._shared(logical_id)

    def _carried(self, logical_id: str, path: PropertyPath) -> _Origin:
        """A plain resource: the translation carries it through as written."""
        full: PropertyPath = ("Resources", logical_id, *(("Properties", *path) if path else ()))
        for depth in range(len(full), 1, -1):
            if self._lines(full[:depth]) is not None:
                confidence = Confidence.EXACT if depth == len(full) else Confidence.LIKELY
                return _Origin(full[:depth], confidence, _symbol(full[:depth]))
        return _Origin(full[:2], Confidence.LIKELY, logical_id)

    def _generated(self, sam_id: str, rest: str, path: PropertyPath) -> _Origin | None:
        """A resource SAM generated for ``sam_id``, named ``sam_id + rest``."""
        raw = self._resources[sam_id]
        properties = raw.get("Properties")
        properties = properties if isinstance(properties, Mapping) else {}
        for section, owner in (("Events", properties), ("Connectors", raw)):
            children = owner.get(section)
            if not isinstance(children, Mapping):
                continue
            names = sorted((str(n) for n in children if rest.startswith(str(n))), key=len)
            if names:
                name = names[-1]
                base: PropertyPath = (
                    ("Properties", "Events", name) if section == "Events" else ("Connectors", name)
                )
                return self._under(sam_id, base, path)
        for suffix, prop in FEATURE_SUFFIXES:
            if rest.startswith(suffix):
                feature = self._property(sam_id, (prop,), Confidence.LIKELY)
                if path:
                    found = self._property(sam_id, path, Confidence.LIKELY)
                    if found.path != ("Resources", sam_id):
                        return found
                return _Origin(feature.path, Confidence.LIKELY, feature.symbol)
        return None

    def _under(self, sam_id: str, base: PropertyPath, path: PropertyPath) -> _Origin:
        """A generated resource from an event or connector: its own properties, or itself."""
        root: PropertyPath = ("Resources", sam_id, *base)
        for depth in range(len(path), 0, -1):
            candidate: PropertyPath = (*root, "Properties", *path[:depth])
            if self._lines(candidate) is not None:
                return _Origin(candidate, Confidence.LIKELY, _symbol(candidate))
        return _Origin(root, Confidence.LIKELY, _symbol(root))

    def _property(self, sam_id: str, path: PropertyPath, base_confidence: Confidence) -> _Origin:
        """The SAM property behind ``path``: on the resource, else in its ``Globals`` section.

        Returns the deepest part of the path found (the resource itself when none is), marked
        ``exact`` only when the whole path was found on a resource traced exactly.
        """
        resource: PropertyPath = ("Resources", sam_id)
        best = _Origin(resource, base_confidence if not path else Confidence.LIKELY, sam_id)
        if not path:
            return best
        best_depth = 0
        renamed = RENAMED.get(self._sam[sam_id], {}).get(str(path[0]))
        spellings = [(name,) for name in renamed] if renamed else [tuple(path)]
        section = self._sam[sam_id].removeprefix(SERVERLESS_PREFIX)
        for keys in spellings:
            for root in ((*resource, "Properties"), ("Globals", section)):
                depth = self._depth((*root, *keys))
                if depth > best_depth:
                    found: PropertyPath = (*root, *keys[:depth])
                    confidence = base_confidence if depth == len(keys) else Confidence.LIKELY
                    best, best_depth = _Origin(found, confidence, _symbol(found)), depth
        return best

    def _depth(self, full: PropertyPath) -> int:
        """How many keys after the root (``Resources.<id>.Properties`` or ``Globals.X``) exist."""
        root = 3 if full[0] == "Resources" else 2
        for depth in range(len(full), root, -1):
            if self._lines(full[:depth]) is not None:
                return depth - root
        return 0

    def _shared(self, logical_id: str) -> _Origin | None:
        """Resources SAM generates once per template: implicit APIs, the CodeDeploy app."""
        for prefix, event_type, explicit in IMPLICIT_APIS:
            if logical_id.startswith(prefix):
                return self._first(self._implicit_events(event_type, explicit))
        if logical_id.startswith(CODEDEPLOY_SHARED):
            return self._first(self._deployment_preferences())
        return None

    def _implicit_events(self, event_type: str, explicit: str) -> list[PropertyPath]:
        found: list[PropertyPath] = []
        for sam_id in self._sam:
            properties = self._resources[sam_id].get("Properties")
            events = properties.get("Events") if isinstance(properties, Mapping) else None
            if not isinstance(events, Mapping):
                continue
            for name, event in events.items():
                if not isinstance(event, Mapping) or event.get("Type") != event_type:
                    continue
                settings = event.get("Properties")
                if isinstance(settings, Mapping) and explicit in settings:
                    continue
                found.append(("Resources", sam_id, "Properties", "Events", str(name)))
        return found

    def _deployment_preferences(self) -> list[PropertyPath]:
        found: list[PropertyPath] = [
            ("Resources", sam_id, "Properties", "DeploymentPreference") for sam_id in self._sam
        ]
        found.append(("Globals", "Function", "DeploymentPreference"))
        return [p for p in found if self._lines(p) is not None]

    def _first(self, paths: list[PropertyPath]) -> _Origin | None:
        """The earliest of several possible sources; a guess when there is more than one."""
        placed = [(line, p) for p in paths if (line := self._lines(p)) is not None]
        if not placed:
            return None
        _, first = min(placed)
        confidence = Confidence.LIKELY if len(placed) == 1 else Confidence.GUESS
        return _Origin(first, confidence, _symbol(first))

    def _line_of(self, path: PropertyPath) -> int | None:
        for depth in range(len(path), 0, -1):
            line = self._lines(path[:depth])
            if line is not None:
                return line
        return None


def _symbol(path: PropertyPath) -> str:
    """A readable name for a source path: ``Fn.Events.Queue``, ``Globals.Function.Runtime``."""
    parts = [str(p) for p in path]
    if parts[:1] == ["Resources"]:
        parts = parts[1:]
        if len(parts) > 1 and parts[1] == "Properties":
            del parts[1]
    return ".".join(parts)
