"""LG004 layer-architecture."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import ClassVar

from reviewer.contract.enums import FixNeed, Severity, Side
from reviewer.contract.findings import Finding, Fix, Location
from reviewer.diff.function_changes import Status
from reviewer.model.layers import Architecture, LayerBuild, architecture, layer_builds
from reviewer.model.template import FUNCTION, Resource
from reviewer.rules.base import TemplateContext, TemplateRule, names

_OTHER = {"x86_64": "arm64", "arm64": "x86_64"}


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
      AWS Lambda, New Relic, Elastic, ...) kept as data, each entry with its source. The
      ARN's account must be the vendor's; a layer the catalogue does not know is never
      guessed at, and architecture-neutral layers (`Datadog-Node20-x`, `dd-trace-java`) run
      anywhere.

    It also names two builds of one vendor's extension on one function (`Datadog-Extension`
    next to `Datadog-Extension-ARM`). This rule judges the template alone: it runs on every
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
    architecture every layer supports. Swapping a layer is a configuration change: safe in one
    deployment, unless the same deployment also changes the function's code (see LG001).
    """

    id: ClassVar[str] = "LG004"
    name: ClassVar[str] = "layer-architecture"
    summary: ClassVar[str] = "a function's layer is built for another architecture"
    default_severity: ClassVar[Severity] = Severity.ERROR
    needs: ClassVar[FixNeed | None] = FixNeed.MATCHING_LAYER

    def check(self, context: TemplateContext) -> Iterator[Finding]:
        stack = context.stack
        for function in stack.of_type(FUNCTION).values():
            runs_on = architecture(function, context.resolvers(stack))
            if runs_on is None:
                continue
            builds = [
                _named(context, b)
                for b in layer_builds(stack, function, context.app, context.resolvers)
            ]
            wrong = [b for b in builds if not b.runs_on(runs_on.name)]
            if wrong:
                yield self._finding(context, function, runs_on, wrong, builds)

    def _finding(
        self,
        context: TemplateContext,
        function: Resource,
        runs_on: Architecture,
        wrong: Sequence[LayerBuild],
        builds: Sequence[LayerBuild],
    ) -> Finding:
        stack = context.stack
        name = function.logical_id
        arch = runs_on.name
        kind = "layer" if len(wrong) == 1 else "layers"
        verb = "is" if len(wrong) == 1 else "are"
        message = (
            f"{name} runs on {arch}{'' if runs_on.explicit else ' (the default)'}, but "
            f"{kind} {names([b.label for b in wrong])} {verb} built for {_OTHER[arch]} only"
        )
        twins = [_twin(b, builds, arch) for b in wrong]
        for build, twin in zip(wrong, twins, strict=True):
            if twin is not None:
                message += (
                    f"; {build.label} and {twin.label} are two builds of "
                    f"{twin.published.entry.product if twin.published else twin.label}"
                )
        steps = [_step(b, t, arch) for b, t in zip(wrong, twins, strict=True)]
        if runs_on.explicit and all(b.runs_on(_OTHER[arch]) for b in builds):
            steps.append(f"Or run {name} on {_OTHER[arch]}, which all its layers are built for.")
        steps.extend(_together(context, name))
        return self.finding(
            stack=stack.name,
            resource=name,
            message=message,
            location=_where(context, function, runs_on, wrong, twins),
            why=(
                "A layer's binaries are built for one instruction set: on the other one an "
                "extension does not start (exec format error) and native modules do not load, "
                "so the function fails on every invocation, not only during a deployment."
            ),
            fix=Fix(summary=_summary(wrong, twins, arch), steps=tuple(steps)),
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


def _twin(build: LayerBuild, builds: Sequence[LayerBuild], arch: str) -> LayerBuild | None:
    """The build of the same vendor's product for ``arch`` next to ``build``, if there is one."""
    if build.published is None:
        return None
    entry = build.published.entry
    for other in builds:
        known = other.published
        if (
            other is not build
            and known is not None
            and not known.entry.neutral
            and other.runs_on(arch)
            and (known.entry.vendor, known.entry.product) == (entry.vendor, entry.product)
        ):
            return other
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
            parts.append(f"use the {arch} build of {build.label}")
    return "; ".join(parts)


def _step(build: LayerBuild, twin: LayerBuild | None, arch: str) -> str:
    known = build.published
    if twin is not None:
        return (
            f"Remove {build.label} from the layers: {twin.label}, its {arch} build, is "
            "attached already (two copies of one extension run side by side)."
        )
    if known is None:
        return (
            f"Use the {arch} build of {build.label}: a layer version whose "
            f"CompatibleArchitectures include {arch}."
        )
    entry = known.entry
    if known.counterpart is None:
        why = entry.no_counterpart or f"no {arch} build is published"
        return f"Replace {build.label}: {why} (source: {entry.source})."
    exact = known.counterpart_arn()
    if exact is not None:
        return f"Use {known.counterpart}, its {arch} build: {exact}."
    return (
        f"Use {known.counterpart}, its {arch} build, at its own current version "
        f"(the builds are versioned separately; see {entry.source})."
    )


def _together(context: TemplateContext, function: str) -> list[str]:
    """When this deployment also changes the function's code, the layer swap races with it."""
    if context.change is None:
        return []
    change = context.change.changes.get(function)
    if change is None or change.status is not Status.UPDATED or not change.on(Side.CODE):
        return []
    return [
        f"This change also updates {function}'s code: swapping the layer in the same "
        "deployment changes code and configuration together, which LG001 is about; "
        "publish through an alias first, or swap the layer in a deployment of its own."
    ]


def _where(
    context: TemplateContext,
    function: Resource,
    runs_on: Architecture,
    wrong: Sequence[LayerBuild],
    twins: Sequence[LayerBuild | None],
) -> Location:
    """The line to change: a second build of an extension that is there already (it goes);
    else the line that sets the architecture when the template chooses one (the usual way to
    meet this: the function moved to arm64, its layers did not); else the layer's."""
    extra = next((b for b, t in zip(wrong, twins, strict=True) if t is not None), None)
    if extra is not None:
        return context.stack.locate(function.logical_id, ("Layers", extra.index))
    if runs_on.explicit:
        return context.stack.locate(function.logical_id, ("Architectures",))
    return context.stack.locate(function.logical_id, ("Layers", wrong[0].index))
