"""A function's architecture, and the architecture each of its layers is built for.

A layer's architecture is known two ways, and never guessed:

- a layer version of the app (``AWS::Lambda::LayerVersion``, reached by ``Ref`` or
  ``LayerVersionArn``, also through a parameter, a nested stack's parameter, an import or a
  stack output) that declares ``CompatibleArchitectures``;
- a published layer whose ARN the catalogue (:mod:`.layer_catalogue`) knows by name and
  publisher account, also when a mapping picks the ARN by region and every entry agrees.

Anything else (a layer whose ARN is not known here, one without ``CompatibleArchitectures``,
a name the catalogue does not hold) is left out, and counted as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reviewer.model.app import AppGraph
from reviewer.model.intrinsics import reference_of
from reviewer.model.layer_catalogue import BUILDS, Known, LayerArn, arn_text, catalogue
from reviewer.model.resolve import Resolver, Resolvers
from reviewer.model.template import Resource, StackTemplate

LAYER_VERSION = "AWS::Lambda::LayerVersion"
DEFAULT_ARCHITECTURE = "x86_64"


def other_architecture(architecture: str) -> str:
    """``arm64`` for ``x86_64`` and the reverse."""
    return BUILDS[1 - BUILDS.index(architecture)]


@dataclass(frozen=True)
class Architecture:
    """What a function runs on, and whether its template says so (or it is the default)."""

    name: str
    explicit: bool


@dataclass(frozen=True)
class LayerBuild:
    """One layer of a function whose architecture is known."""

    #: The position of the layer in the function's ``Layers``.
    index: int
    #: The layer as a person names it: a published layer's name, a layer version's logical id.
    label: str
    #: The architectures it runs on (both for an architecture-neutral layer).
    architectures: frozenset[str]
    #: A published layer: its catalogue entry.
    published: Known | None = None
    #: A layer version of the app: the stack and logical id that declare it.
    declared_in: tuple[str, str] | None = None

    def runs_on(self, architecture: str) -> bool:
        return architecture in self.architectures

    @property
    def neutral(self) -> bool:
        return len(self.architectures) > 1


@dataclass(frozen=True)
class FunctionLayers:
    """The layers of one function: those whose architecture is known, and how many are not."""

    known: tuple[LayerBuild, ...]
    unknown: int


def architecture(
    stack: StackTemplate, function: Resource, app: AppGraph, resolvers: Resolvers
) -> Architecture | None:
    """The function's architecture as deployed (a parameter's value, also one a parent stack
    passes); None when it is not known, or for an image function (which has no layers)."""
    if function.properties.get("PackageType") == "Image":
        return None
    written = function.properties.get("Architectures")
    if written is None:
        return Architecture(DEFAULT_ARCHITECTURE, explicit=False)
    value = resolvers(stack).value(written)
    if not isinstance(value, list) or len(value) != 1:
        return None
    for _, item in app.trace(stack, value[0], resolvers):
        if _is_architecture(item):
            return Architecture(str(item), explicit=True)
    return None


def function_layers(
    stack: StackTemplate, function: Resource, app: AppGraph, resolvers: Resolvers
) -> FunctionLayers:
    """The layers of ``function``: those whose architecture is known, in ``Layers`` order."""
    items = resolvers(stack).value(function.properties.get("Layers", []))
    if not isinstance(items, list):
        return FunctionLayers((), 1)
    known = []
    for index, item in enumerate(items):
        build = _build(index, stack, item, app, resolvers)
        if build is not None:
            known.append(build)
    return FunctionLayers(tuple(known), len(items) - len(known))


def _build(
    index: int, stack: StackTemplate, item: Any, app: AppGraph, resolvers: Resolvers
) -> LayerBuild | None:
    for origin, value in app.trace(stack, item, resolvers):
        text = arn_text(value)
        if text is not None:
            return _published(index, text)
        candidates = _candidates(value)
        if candidates is not None:
            return _agreed(index, candidates)
        declared = _declared(origin, value)
        if declared is not None:
            return _in_app(index, origin, declared, resolvers(origin))
    return None


def _candidates(value: Any) -> list[str] | None:
    """The texts a lookup keyed by what is not known (the region) can give."""
    if not isinstance(value, Mapping) or "Fn::FindInMap" not in value:
        return None
    candidates = value.get("Candidates")
    if not isinstance(candidates, Mapping) or not candidates:
        return None
    texts = list(candidates.values())
    return texts if all(isinstance(text, str) for text in texts) else None


def _agreed(index: int, texts: Sequence[str]) -> LayerBuild | None:
    """A layer picked from a mapping: known when every entry is, for the same architectures."""
    builds = [_published(index, text) for text in texts]
    first = builds[0]
    if first is None or any(b is None or b.architectures != first.architectures for b in builds):
        return None
    return first


def _published(index: int, text: str) -> LayerBuild | None:
    arn = LayerArn.parse(text)
    known = catalogue().lookup(arn) if arn is not None else None
    if known is None:
        return None
    entry = known.entry
    runs_on = frozenset(BUILDS) if entry.neutral else frozenset({entry.architecture})
    return LayerBuild(index, known.arn.name, runs_on, published=known)


def _declared(stack: StackTemplate, value: Any) -> Resource | None:
    """The layer version of ``stack`` that ``value`` names (``Ref``, ``LayerVersionArn``)."""
    reference = reference_of(value)
    if reference is None or reference[1] not in (None, "LayerVersionArn"):
        return None
    resource = stack.resources.get(reference[0])
    return resource if resource is not None and resource.type == LAYER_VERSION else None


def _in_app(
    index: int, stack: StackTemplate, layer: Resource, resolver: Resolver
) -> LayerBuild | None:
    written = layer.properties.get("CompatibleArchitectures")
    if written is None:
        return None
    value = resolver.value(written)
    if not isinstance(value, list) or not value or not all(map(_is_architecture, value)):
        return None
    return LayerBuild(
        index, layer.logical_id, frozenset(str(v) for v in value),
        declared_in=(stack.name, layer.logical_id),
    )


def _is_architecture(value: Any) -> bool:
    return isinstance(value, str) and value in BUILDS
