"""LG004 layer-architecture."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import ClassVar

from reviewer.contract.enums import FixNeed, Framework, Severity
from reviewer.contract.findings import Finding, Fix, Location
from reviewer.model.layers import (
    Architecture,
    FunctionLayers,
    LayerBuild,
    architecture,
    function_layers,
    other_architecture,
)
from reviewer.model.template import FUNCTION, Resource
from reviewer.rules.base import TemplateContext, TemplateRule, names


class LayerArchitecture(TemplateRule):
    """A function runs on one architecture and a layer it uses is built for the other.

    ## What it does
    Flags a function whose architecture (`Architectures`, also through SAM `Globals` or a
    parameter; x86_64 when it is not set) is not one its layers are built for:

    - a layer version of the app (`AWS::Lambda::LayerVersion`, also reached through a
      parameter, a nested stack's parameter, an import or a stack output) whose
      `CompatibleArchitectures` leaves the function's architecture out;
    - a published layer whose name says its architecture, from a catalogue of vendors' layers
      (Datadog, Lambda Insights, the Parameters and Secrets extension, ADOT, Powertools for
      AWS Lambda, New Relic, Elastic, ...) kept as data, each entry with its source, also
      when a mapping picks the ARN by region and every entry agrees. The ARN's account must
      be the vendor's; a layer the catalogue does not know is never guessed at, and
      architecture-neutral layers (`Datadog-Node20-x`, `dd-trace-java`) run anywhere.

    It also names two builds of one vendor's software on one function (`Datadog-Extension`
    next to `Datadog-Extension-ARM`), even where the function's architecture is not known:
    one of them is wrong either way. This rule judges the template alone: it runs on every
    stack, with or without a baseline, new stacks included.

    ## Why is this bad?
    A layer's binaries are built for one instruction set. On the other one an extension does
    not start (`exec format error`) and a library's native modules do not load, on every
    invocation and every deployment, not only during an update. Nothing in a diff shows it:
    the Datadog CDK construct keeps its x86 layers when arm64 is set through an escape hatch,
    and the Serverless Datadog plugin does when arm64 is set under `resources.extensions`.

    ## Example
    ```yaml
    Orders:
      Type: AWS::Lambda::Function
      Properties:
        Architectures: [arm64]
        Layers:
          - arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension:68   # x86_64 only
    ```

    Use instead: the layer's build for the function's architecture
    (`arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension-ARM:68`), or the
    architecture every layer supports. Where a tool adds the layers (the Datadog construct,
    the Serverless Datadog plugin), set the architecture where the tool reads it. Swapping a
    layer is a configuration change: safe in one deployment, unless the same deployment races
    a code change too (LG001 then reports the function, and both findings say so).
    """

    id: ClassVar[str] = "LG004"
    name: ClassVar[str] = "layer-architecture"
    summary: ClassVar[str] = "a function's layer is built for another architecture"
    default_severity: ClassVar[Severity] = Severity.ERROR
    needs: ClassVar[FixNeed | None] = FixNeed.MATCHING_LAYER

    def check(self, context: TemplateContext) -> Iterator[Finding]:
        stack = context.stack
        for function in stack.of_type(FUNCTION).values():
            layers = function_layers(stack, function, context.app, context.resolvers)
            builds = [_named(context, b) for b in layers.known]
            runs_on = architecture(stack, function, context.app, context.resolvers)
            if runs_on is None:
                pair = _builds_for_both(builds)
                if pair is not None:
                    yield self._both(context, function, pair)
                continue
            wrong = [b for b in builds if not b.runs_on(runs_on.name)]
            if wrong:
                yield self._mismatch(context, function, runs_on, wrong, layers, builds)

    def _mismatch(  # noqa: PLR0917
        self,
        context: TemplateContext,
        function: Resource,
        runs_on: Architecture,
        wrong: Sequence[LayerBuild],
        layers: FunctionLayers,
        builds: Sequence[LayerBuild],
    ) -> Finding:
        name, arch = function.logical_id, runs_on.name
        twins = [_twin(b, builds, arch) for b in wrong]
        message = (
            f"{name} runs on {arch}{'' if runs_on.explicit else ' (the default)'}, but "
            + "; ".join(_what_is_wrong(wrong, other_architecture(arch)))
        )
        for build, twin in zip(wrong, twins, strict=True):
            if twin is not None:
                message += f"; {build.label} and {twin.label} are two builds of {_product(twin)}"
        steps = [_step(b, t, arch) for b, t in zip(wrong, twins, strict=True)]
        steps.extend(_framework_step(context, wrong, arch))
        steps.extend(_other_architecture_step(context, function, layers, builds, arch))
        return self.finding(
            stack=context.stack.name,
            resource=name,
            message=message,
            location=_where(context, function, runs_on, wrong, twins),
            why=_WHY,
            fix=Fix(summary=_summary(wrong, twins, arch), steps=tuple(steps)),
        )

    def _both(
        self, context: TemplateContext, function: Resource, pair: tuple[LayerBuild, LayerBuild]
    ) -> Finding:
        """Both builds of one product on a function whose architecture is not known here."""
        name = function.logical_id
        first, second = sorted(pair, key=lambda b: b.index)
        return self.finding(
            stack=context.stack.name,
            resource=name,
            message=(
                f"{name} has two builds of {_product(second)}: {first.label} for "
                f"{_only(first)} and {second.label} for {_only(second)}; whichever "
                "architecture it runs on, one of them cannot run"
            ),
            location=context.stack.locate(name, ("Layers", second.index)),
            why=_WHY,
            fix=Fix(
                summary=f"keep only the build for the architecture {name} runs on",
                steps=(f"Remove whichever of {first.label} and {second.label} is not built "
                       f"for the architecture {name} runs on.",),
            ),
        )


_WHY = (
    "A layer's binaries are built for one instruction set: on the other one an extension "
    "does not start (exec format error) and native modules do not load, so the function "
    "fails on every invocation, not only during a deployment."
)

#: Runtimes Lambda offers on both architectures (custom runtimes run a binary built for one).
_PORTABLE_RUNTIME = re.compile(
    r"python3\.(?:[89]|1\d)|nodejs(?:1[2-9]|2\d)\.x|java(?:8\.al2|1[17]|2\d)"
    r"|dotnet(?:[6-9]|1\d)|ruby(?:2\.7|3\.\d)"
)


def _named(context: TemplateContext, build: LayerBuild) -> LayerBuild:
    """A layer version of the app under the name the user gave it (SAM's ``Codec``, not the
    ``Codec1a2b3c4d5e`` it generates)."""
    if build.declared_in is None:
        return build
    stack_name, logical_id = build.declared_in
    owner = context.app.stacks.get(stack_name)
    symbol = owner.locate(logical_id).symbol if owner is not None else None
    return replace(build, label=symbol) if symbol and "/" not in symbol else build


def _only(build: LayerBuild) -> str:
    return next(iter(build.architectures))


def _what_is_wrong(wrong: Sequence[LayerBuild], other: str) -> list[str]:
    """What the template says of each wrong layer: a published one is built for the other
    architecture; a layer version of the app declares it."""
    published = [b.label for b in wrong if b.published is not None]
    declared = [b.label for b in wrong if b.published is None]
    parts = []
    if published:
        verb = "is" if len(published) == 1 else "are"
        kind = "layer" if len(published) == 1 else "layers"
        parts.append(f"{kind} {names(published)} {verb} built for {other} only")
    if declared:
        kind = "layer version" if len(declared) == 1 else "layer versions"
        verb = "declares" if len(declared) == 1 else "declare"
        parts.append(f"{kind} {names(declared)} {verb} CompatibleArchitectures {other} only")
    return parts


def _product(build: LayerBuild) -> str:
    return build.published.entry.product if build.published is not None else build.label


def _same_software(one: LayerBuild, other: LayerBuild) -> bool:
    """Two published layers of one vendor that do the same job: one product, or both the
    vendor's extension (its FIPS build included)."""
    if one.published is None or other.published is None:
        return False
    a, b = one.published.entry, other.published.entry
    return a.vendor == b.vendor and (a.product == b.product or (a.extension and b.extension))


def _twin(build: LayerBuild, builds: Sequence[LayerBuild], arch: str) -> LayerBuild | None:
    """The build for ``arch`` of the same software as ``build``, attached next to it."""
    return next(
        (
            other for other in builds
            if other is not build and not other.neutral and other.runs_on(arch)
            and _same_software(build, other)
        ),
        None,
    )


def _builds_for_both(builds: Sequence[LayerBuild]) -> tuple[LayerBuild, LayerBuild] | None:
    """Two builds of the same software for different architectures, if a function has them."""
    for one in builds:
        for other in builds:
            if (
                one.index < other.index and not one.neutral and not other.neutral
                and one.architectures != other.architectures and _same_software(one, other)
            ):
                return one, other
    return None


def _summary(wrong: Sequence[LayerBuild], twins: Sequence[LayerBuild | None], arch: str) -> str:
    """The fix in one line: the matching build of each layer."""
    parts = []
    for build, twin in zip(wrong, twins, strict=True):
        known = build.published
        if twin is not None:
            parts.append(f"remove {build.label} (its {arch} build {twin.label} is there)")
        elif known is not None and known.counterpart is not None:
            parts.append(f"use {known.counterpart} instead of {build.label}")
        elif known is not None:
            parts.append(f"replace {build.label}: no {arch} build of it is published")
        else:
            parts.append(f"use an {arch} build of {build.label}")
    return "; ".join(parts)


def _step(build: LayerBuild, twin: LayerBuild | None, arch: str) -> str:
    known = build.published
    if twin is not None:
        both = (
            " (two copies of one extension would run side by side)"
            if known is not None and known.entry.extension else ""
        )
        return (
            f"Remove {build.label} from the layers: {twin.label}, its {arch} build, is "
            f"attached already{both}."
        )
    if known is None:
        return (
            f"Use an {arch} build of {build.label}: a layer version built for {arch}, whose "
            f"CompatibleArchitectures include it."
        )
    entry = known.entry
    if known.counterpart is None:
        why = entry.no_counterpart or f"no {arch} build is published"
        return f"Replace {build.label}: {why} (source: {entry.source})."
    if not known.counterpart_here:
        return (
            f"Use {known.counterpart}, its {arch} build, from its publisher's account for "
            f"this region: account {known.arn.account} does not publish it (see "
            f"{entry.source})."
        )
    exact = known.counterpart_arn()
    if exact is not None:
        return f"Use {known.counterpart}, its {arch} build: {exact}."
    return (
        f"Use {known.counterpart}, its {arch} build, at its own current version "
        f"(the builds are versioned separately; see {entry.source})."
    )


def _framework_step(
    context: TemplateContext, wrong: Sequence[LayerBuild], arch: str
) -> list[str]:
    """Where a tool adds the layers, the fix is the architecture the tool reads."""
    if not any(b.published is not None for b in wrong):
        return []
    if context.stack.framework is Framework.CDK:
        return [
            "If a construct adds these layers (the Datadog construct does), it picks them "
            "from the function's `architecture` prop: set that (`lambda.Architecture."
            f"{_CDK_ARCHITECTURE[arch]}`) rather than overriding `Architectures` in the template."
        ]
    if context.stack.framework is Framework.SERVERLESS:
        return [
            "If a plugin adds these layers (serverless-plugin-datadog does), set "
            f"`architecture: {arch}` on the function or the provider: plugins do not read "
            "`resources.extensions`."
        ]
    return []


_CDK_ARCHITECTURE = {"x86_64": "X86_64", "arm64": "ARM_64"}


def _other_architecture_step(
    context: TemplateContext,
    function: Resource,
    layers: FunctionLayers,
    builds: Sequence[LayerBuild],
    arch: str,
) -> list[str]:
    """The other way out, when it is one: every layer is known to run on the other
    architecture and the runtime exists there (a custom runtime's binary does not move)."""
    other = other_architecture(arch)
    runtime = context.resolvers(context.stack).value(function.properties.get("Runtime"))
    portable = isinstance(runtime, str) and _PORTABLE_RUNTIME.fullmatch(runtime) is not None
    if layers.unknown or not portable or not all(b.runs_on(other) for b in builds):
        return []
    return [
        f"Or run {function.logical_id} on {other} (Architectures: [{other}]): every layer "
        f"it has is built for {other}; rebuild any native code it ships for {other}."
    ]


def _where(
    context: TemplateContext,
    function: Resource,
    runs_on: Architecture,
    wrong: Sequence[LayerBuild],
    twins: Sequence[LayerBuild | None],
) -> Location:
    """The line to change: a second build of the same software that is there already (it
    goes); else the line that sets the architecture when the template chooses one (the usual
    way to meet this: the function moved to arm64, its layers did not); else the layer's."""
    extra = next((b for b, t in zip(wrong, twins, strict=True) if t is not None), None)
    if extra is not None:
        return context.stack.locate(function.logical_id, ("Layers", extra.index))
    if runs_on.explicit:
        return context.stack.locate(function.logical_id, ("Architectures",))
    return context.stack.locate(function.logical_id, ("Layers", wrong[0].index))
