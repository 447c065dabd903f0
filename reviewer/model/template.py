"""One side of one stack: a parsed CloudFormation template and where its parts came from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer.contract.enums import Framework
from reviewer.contract.findings import Location

if TYPE_CHECKING:
    from reviewer.model.intrinsics import Hit

PropertyPath = tuple[str | int, ...]

FUNCTION = "AWS::Lambda::Function"
VERSION = "AWS::Lambda::Version"
ALIAS = "AWS::Lambda::Alias"
NESTED_STACK = "AWS::CloudFormation::Stack"

#: The S3 bucket a source names for local code it stands in for by a hash (SAM's ``CodeUri:
#: src/``), and the key it names for local code it could not read (a folder that does not
#: exist): the same on every side, so code that is not known never shows as a change.
#: :attr:`Resource.code_unread` is how the stages after the sources read that fact.
LOCAL_BUCKET = "latest-guard-local-artifacts"
UNREAD_KEY = "unread"


@dataclass(frozen=True)
class Resource:
    """A resource of a template, as written (intrinsic functions in long form)."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]
    metadata: Mapping[str, Any]
    condition: str | None = None

    @cached_property
    def hits(self) -> tuple[Hit, ...]:
        """Every reference in the properties (``find_hits``), computed once per resource.

        The reference graph, the app linker and the diff each read them; a template is not
        changed once it is loaded, so they can share one walk.
        """
        from reviewer.model.intrinsics import find_hits

        return tuple(find_hits(self.properties))

    @property
    def code_unread(self) -> bool:
        """Whether a source could not read this function's code (``Code``) or this layer's
        content (``Content``): its value is the unread placeholder, which says nothing about
        whether the code changes."""
        return any(
            isinstance(location := self.properties.get(key), Mapping)
            and location.get("S3Bucket") == LOCAL_BUCKET
            and location.get("S3Key") == UNREAD_KEY
            for key in ("Code", "Content")
        )

    def suppressions(self) -> Mapping[str, str]:
        """Rule ids ignored through ``Metadata: {latest-guard: {ignore: [...], reason: ...}}``."""
        entry = self.metadata.get("latest-guard")
        if not isinstance(entry, Mapping):
            return {}
        ignore = entry.get("ignore", [])
        if isinstance(ignore, str):
            ignore = [ignore]
        reason = entry.get("reason")
        text = str(reason) if isinstance(reason, str) and reason else "suppressed in Metadata"
        return {str(rule).upper(): text for rule in ignore if isinstance(ignore, list)}


LineLookup = Callable[[PropertyPath], int | None]

#: Maps a logical id (and property path) of the analysed template to the user's own source.
SourceLocator = Callable[[str, PropertyPath], Location | None]


@dataclass
class StackTemplate:
    """A template of one stack with the means to point back at its source lines."""

    name: str
    path: Path
    body: Mapping[str, Any]
    line_lookup: LineLookup = field(repr=False)
    framework: Framework = Framework.CLOUDFORMATION  # or what produced it
    parameter_values: Mapping[str, str] = field(default_factory=dict, repr=False)
    source_locator: SourceLocator | None = field(default=None, repr=False)
    #: For a nested stack: the parent stack's name and the logical id of its
    #: ``AWS::CloudFormation::Stack`` resource there.
    parent: tuple[str, str] | None = None
    #: What the report should say about how this side was obtained (a deployed stack's
    #: rolled-back state, a parameter whose value is not known); names, never values.
    notes: tuple[str, ...] = ()
    #: Transforms (macros) this template names that were not expanded here: what they add to
    #: its functions is not known (:mod:`reviewer.sources.cloudformation.macros`).
    unexpanded_macros: tuple[str, ...] = ()
    #: SHA-256 (hex) of the text the template was read from, before any expansion; None when
    #: it was not read from text (a deployed stack's template is). Fixes edit a file only when
    #: it still holds that text.
    source_digest: str | None = field(default=None, repr=False)
    #: The local folder each function's code was read from, as the template writes it (SAM's
    #: ``CodeUri: src/``), by logical id: its ``Code`` names only a hash of that folder, and a
    #: report says which folder changed. Empty for code that is not local.
    code_folders: Mapping[str, str] = field(default_factory=dict, repr=False)

    @cached_property
    def resources(self) -> dict[str, Resource]:
        """Resources by logical id; entries that are not resources are skipped."""
        out: dict[str, Resource] = {}
        section = self.body.get("Resources")
        if not isinstance(section, Mapping):
            return out
        for logical_id, raw in section.items():
            if not isinstance(raw, Mapping) or not isinstance(raw.get("Type"), str):
                continue
            properties = raw.get("Properties")
            metadata = raw.get("Metadata")
            condition = raw.get("Condition")
            out[str(logical_id)] = Resource(
                logical_id=str(logical_id),
                type=raw["Type"],
                properties=properties if isinstance(properties, Mapping) else {},
                metadata=metadata if isinstance(metadata, Mapping) else {},
                condition=condition if isinstance(condition, str) else None,
            )
        return out

    @cached_property
    def parameters(self) -> dict[str, Mapping[str, Any]]:
        section = self.body.get("Parameters")
        if not isinstance(section, Mapping):
            return {}
        return {str(k): v for k, v in section.items() if isinstance(v, Mapping)}

    @cached_property
    def outputs(self) -> dict[str, Mapping[str, Any]]:
        section = self.body.get("Outputs")
        if not isinstance(section, Mapping):
            return {}
        return {str(k): v for k, v in section.items() if isinstance(v, Mapping)}

    @cached_property
    def _by_type(self) -> dict[str, dict[str, Resource]]:
        by_type: dict[str, dict[str, Resource]] = {}
        for logical_id, resource in self.resources.items():
            by_type.setdefault(resource.type, {})[logical_id] = resource
        return by_type

    def of_type(self, resource_type: str) -> dict[str, Resource]:
        """The resources of one type by logical id, in template order (a new dict each time)."""
        return dict(self._by_type.get(resource_type, {}))

    def parameter_value(self, name: str) -> Any:
        """The value a parameter takes on this side: a known value, else its Default."""
        if name in self.parameter_values:
            return self.parameter_values[name]
        return self.parameters.get(name, {}).get("Default")

    def locate(self, logical_id: str, path: PropertyPath = ()) -> Location:
        """Where the user wrote a resource or property: their source when its line there is
        known, else this template's nearest line."""
        if self.source_locator is not None:
            found = self.source_locator(logical_id, path)
            if found is not None and found.line is not None:
                return found
        return self.template_location(logical_id, path)

    def template_location(self, logical_id: str, path: PropertyPath = ()) -> Location:
        """The line of a resource or property in this template (the nearest known line: the
        ``Resources`` section's for a resource the template does not spell, one a transform
        added)."""
        full: PropertyPath = ("Resources", logical_id, *(("Properties", *path) if path else ()))
        line = None
        for depth in range(len(full), 0, -1):
            line = self.line_lookup(full[:depth])
            if line is not None:
                break
        return Location(path=str(self.path), line=line)
