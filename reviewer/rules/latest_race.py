"""LG001 latest-race."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from reviewer.contract.enums import ConsumerView, FixNeed, Severity, Side
from reviewer.contract.findings import Consumer, Finding, Fix, PropertyChange
from reviewer.contract.wording import NOT_SAFE_ALONE, invokers, joined, kinds_phrase
from reviewer.diff.context import StackContext
from reviewer.diff.function_changes import FunctionChange, Status
from reviewer.diff.properties import RUNTIME_CRITICAL
from reviewer.model.consumers import Role
from reviewer.model.references import FunctionWiring
from reviewer.rules.base import ChangeRule, consumers_of, names


class LatestRace(ChangeRule):
    """Code and configuration of a function change together while traffic reaches `$LATEST`.

    ## What it does
    Flags a function whose code side (`Code`, `Architectures`) changes in the same deployment as
    its configuration side (`Layers`, `Environment`, `Runtime`, `Handler`, `Role`, ...), while
    at least one invocation path of the *deployed* stack names the function unqualified: its
    name (`Ref`), its ARN (`Fn::GetAtt Fn.Arn`), `$LATEST`, or an alias on `$LATEST`. A function
    with no version and no alias at all is exposed: every caller, in the stack or outside it,
    reaches `$LATEST`, unless CloudFormation is its only caller (a custom-resource provider
    or macro: CloudFormation invokes it only once the function's update has finished).

    ## Why is this bad?
    CloudFormation updates a function through separate Lambda calls: `UpdateFunctionCode`
    (code, architecture) and `UpdateFunctionConfiguration` (layers, environment, runtime,
    handler, role, memory, ...), and `TagResource` for tags. They are not atomic. Between them,
    `$LATEST` runs new code with the old configuration or the reverse: arm64 code with an x86
    layer (`exec format error`), new code without the environment variable it reads. Every
    unqualified caller sees that mix for seconds.

    Exposure is judged on the deployed (baseline) stack: consumers re-pointed to an alias in
    the same change are updated only after the function, because they depend on the alias,
    which depends on the version, which depends on the function.

    | changes with the code | severity |
    |---|---|
    | Layers, Runtime, Handler, Environment, ImageConfig, Role, VpcConfig, | error |
    | FileSystemConfigs, KmsKeyArn or SnapStart (the code needs them to run) | |
    | only tuning: MemorySize, Timeout, Description, TracingConfig, | warning |
    | LoggingConfig, EphemeralStorage, DeadLetterConfig, ... | |
    | only tags or function-level settings (reserved concurrency, code | notice |
    | signing, recursion, runtime management): separate calls too | |
    | a value of the other side that cannot be known here ("may race") | notice |

    **May race.** When the code changes and a configuration value of the same function
    cannot be known here, the two may still change together: a notice says which property
    and where its value comes from, never the value ("may race: Layers comes from parameter
    CommonLayers, not known"), with the same consumers and fix as an error. Not known are: a
    parameter without a value on one of the two sides (no override, no deployed value, no
    default) or of an SSM parameter type; a nested stack's output whose template is not read;
    an `Fn::Transform` (`AWS::Include` not read, a macro not expanded); and every
    configuration of a template whose `Transform` section names a macro latest-guard does not
    expand ("configuration may change through macro X, not expanded"). The same holds the
    other way round: a known configuration change beside code that cannot be known (its
    `Code` from such a value, or a SAM `CodeUri` that could not be read). An import of an
    export (`Fn::ImportValue`) is known: CloudFormation refuses to change an export while a
    stack imports it. A function that may race but that no caller reaches unqualified stays
    quiet, and the report says why ("code (Code) changes and configuration may change
    (Layers from parameter CommonLayers, not known); no caller reaches $LATEST: ...").
    With `--change-set`, CloudFormation's own answer replaces all of this.

    New functions, replaced functions (a create-only property such as `FunctionName`
    changed), new stacks, and code-only or configuration-only changes are not flagged
    (unless the other side cannot be known: see "May race").

    ## Example
    ```yaml
    Fn:
      Type: AWS::Lambda::Function
      Properties:
        Architectures: [arm64]            # was x86_64
        Layers: [!Ref ArmLayer]           # was the x86 layer
    Rule:
      Type: AWS::Events::Rule
      Properties:
        Targets: [{Id: fn, Arn: !GetAtt Fn.Arn}]   # unqualified: hits $LATEST
    ```
    A notice (may race): the code changes, and the layers come from a parameter whose value
    is not known here (no default, no override, no deployed stack to read it from):
    ```yaml
    Parameters:
      CommonLayers: {Type: CommaDelimitedList}
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties:
          Code: {S3Bucket: artifacts, S3Key: v2.zip}   # was v1.zip
          Layers: !Ref CommonLayers                    # may change in the same deployment
    ```

    Use instead: route every consumer through an alias on a published version, deployed
    *before* the code and configuration change:
    ```yaml
    FnVersion3f2a9c:                      # logical id carries a hash of code + configuration
      Type: AWS::Lambda::Version
      Properties: {FunctionName: !Ref Fn}
    FnLive:
      Type: AWS::Lambda::Alias
      Properties:
        FunctionName: !Ref Fn
        FunctionVersion: !GetAtt FnVersion3f2a9c.Version
        Name: live
    Rule:
      Type: AWS::Events::Rule
      Properties:
        Targets: [{Id: fn, Arn: !Ref FnLive}]
    ```
    With SAM, `AutoPublishAlias: live` does this wiring and re-points the function's events.
    Then deploy the change: consumers switch versions in one atomic alias move.
    """

    id: ClassVar[str] = "LG001"
    name: ClassVar[str] = "latest-race"
    summary: ClassVar[str] = "code and configuration change together while traffic reaches $LATEST"
    default_severity: ClassVar[Severity] = Severity.ERROR
    view: ClassVar[ConsumerView] = ConsumerView.EXPOSED
    needs: ClassVar[FixNeed | None] = FixNeed.ALIAS_WIRING

    def check(self, context: StackContext) -> Iterator[Finding]:
        for change in context.updated_functions():
            wiring = context.old_graph.functions.get(change.function)
            if wiring is None:
                continue
            code = change.on(Side.CODE)
            config = change.on(Side.CONFIG)
            separate = change.on(Side.TAGS, Side.FUNCTION_LEVEL)
            if code and (config or separate):
                if config:
                    critical = any(c.name in RUNTIME_CRITICAL for c in config)
                    severity = Severity.ERROR if critical else Severity.WARNING
                    paired = config
                else:
                    severity, paired = Severity.NOTICE, separate
                exposed = _exposed(wiring)
                if exposed is None:
                    continue
                yield self._finding(
                    context,
                    change,
                    severity=severity,
                    code=code,
                    paired=paired,
                    wiring=wiring,
                    exposed=exposed,
                )
                continue
            uncertain = may_race(context, change)
            exposed = _exposed(wiring) if uncertain is not None else None
            if uncertain is not None and exposed is not None:
                yield self._may_race(context, change, uncertain, wiring, exposed)

    def why_quiet(self, context: StackContext, change: FunctionChange) -> str:
        """Every changed function this rule does not flag gets a reason (:func:`why_quiet`)."""
        return why_quiet(context, change)

    def _may_race(
        self,
        context: StackContext,
        change: FunctionChange,
        uncertain: Uncertain,
        wiring: FunctionWiring,
        exposed: tuple[Consumer, ...],
    ) -> Finding:
        """A notice: one side changes, and the other side's value cannot be known here."""
        fn = change.function
        message = (
            f"may race: {joined(uncertain.unknown)}, while {uncertain.known_label} "
            f"({names(uncertain.known)}) change{'s' if uncertain.singular else ''}; "
            f"{_target(fn, wiring, exposed)}"
        )
        why = (
            "CloudFormation applies UpdateFunctionCode and UpdateFunctionConfiguration one "
            f"after the other. Whether {uncertain.other_label} changes in this deployment "
            "cannot be known here; if it does, $LATEST runs the new code with the old "
            "settings or the reverse until both finish."
        )
        return self._reported(
            context, change, wiring, exposed, severity=Severity.NOTICE, message=message, why=why
        )

    def _finding(
        self,
        context: StackContext,
        change: FunctionChange,
        *,
        severity: Severity,
        code: Sequence[PropertyChange],
        paired: Sequence[PropertyChange],
        wiring: FunctionWiring,
        exposed: tuple[Consumer, ...],
    ) -> Finding:
        fn = change.function
        target = _target(fn, wiring, exposed)
        if severity is not Severity.NOTICE:
            side = "configuration"
        elif all(c.side is Side.TAGS for c in paired):
            side = "tags"
        else:
            side = "function-level settings"
        message = (
            f"code ({names(code)}) and {side} ({names(paired)}) change in one deployment; {target}"
        )
        call = {
            Severity.NOTICE: _separate_call(paired),
        }.get(severity, "UpdateFunctionConfiguration")
        why = (
            f"CloudFormation applies UpdateFunctionCode and {call} one after the other; until "
            f"both finish, $LATEST runs the new code with the old settings or the reverse."
        )
        return self._reported(
            context, change, wiring, exposed, severity=severity, message=message, why=why
        )

    def _reported(
        self,
        context: StackContext,
        change: FunctionChange,
        wiring: FunctionWiring,
        exposed: tuple[Consumer, ...],
        *,
        severity: Severity,
        message: str,
        why: str,
    ) -> Finding:
        """The finding about ``change``'s function, its fix and its exposed callers."""
        fn = change.function
        return self.finding(
            severity=severity,
            stack=change.stack,
            resource=fn,
            message=message,
            location=context.new.locate(fn),
            changes=change.changes,
            consumers=exposed,
            why=why,
            fix=_fix(context, fn, wiring),
        )


@dataclass(frozen=True)
class Uncertain:
    """One side of a function changes, and a value of the other side cannot be known."""

    known: tuple[PropertyChange, ...]
    known_label: str  # "the code", "the configuration", ...
    other_label: str  # what may change unseen: "Layers", "the code", ...
    unknown: tuple[str, ...]  # phrases: "Layers comes from parameter X, not known"
    short: tuple[str, ...]  # "Layers from parameter X, not known"

    @property
    def singular(self) -> bool:
        return len(self.known) == 1


def may_race(context: StackContext, change: FunctionChange) -> Uncertain | None:
    """Whether the function may race although no pair of known changes says so: its code
    changes beside a configuration value that cannot be known here (a parameter without a
    value, a nested stack's output not read, an include or a macro not expanded), or its
    configuration changes beside code that cannot be known. None when neither is the case."""
    code = tuple(change.on(Side.CODE))
    others = tuple(c for c in change.changes if c.side not in (Side.CODE, Side.REPLACEMENT))
    unknown = context.unknown.get(change.function, ())
    if code and not others:
        other = [u for u in unknown if u.side is not Side.CODE]
        if not other:
            return None
        label = joined(dict.fromkeys(u.name or "the configuration" for u in other))
        return Uncertain(
            code, "the code", label,
            tuple(u.phrase for u in other), tuple(u.short for u in other),
        )
    if others and not code:
        code_side = [u for u in unknown if u.side is Side.CODE]
        phrases = [u.phrase for u in code_side]
        short = [u.short for u in code_side]
        if _code_unread(context, change.function):
            phrases.append("the code could not be read (see the note)")
            short.append("Code not read, see the note")
        if not phrases:
            return None
        kinds = sorted({_SIDE_WORDS[c.side] for c in others})
        return Uncertain(
            others, f"the {' and '.join(kinds)}", "the code", tuple(phrases), tuple(short)
        )
    return None


def why_quiet(context: StackContext, change: FunctionChange) -> str:
    """Why a function that changes gets no LG001 finding, in a few words for the reports."""
    if change.status in _STATUS_WORDS:
        return _STATUS_WORDS[change.status]
    code = change.on(Side.CODE)
    others = [c for c in change.changes if c.side is not Side.CODE]
    wiring = context.old_graph.functions.get(change.function)
    uncertain = may_race(context, change)
    if uncertain is not None:
        # A may-race function is quiet only when no caller reaches $LATEST.
        if code:
            said = f"code ({names(code)}) changes and configuration may change"
        else:
            said = f"{uncertain.known_label.removeprefix('the ')} ({names(others)}) "
            said += "changes and the code may change"
        return f"{said} ({'; '.join(uncertain.short)}); {_unreached(wiring)}"
    if not code:
        kinds = sorted({_SIDE_WORDS[c.side] for c in others})
        return f"{' and '.join(kinds)} only ({names(others)}): no code change to race with"
    if not others:
        return f"code only ({names(code)}): one call, nothing to race with"
    return _PROVIDER if _provider_only(wiring) else _ALIASED


_ALIASED = "published through an alias: callers move to the new version in one switch"
_PROVIDER = (
    "custom-resource provider: CloudFormation invokes it only after its update has finished"
)


def _provider_only(wiring: FunctionWiring | None) -> bool:
    return wiring is not None and bool(wiring.with_role(Role.DEPLOYMENT)) and not wiring.invoking


def _unreached(wiring: FunctionWiring | None) -> str:
    """Why no caller sees the mix, for a function that is not exposed."""
    if _provider_only(wiring):
        return "no caller reaches $LATEST (" + _PROVIDER + ")"
    return "no caller reaches $LATEST: callers go through a version or alias"


def _target(fn: str, wiring: FunctionWiring, exposed: tuple[Consumer, ...]) -> str:
    """Who reaches ``$LATEST`` of the deployed function, for a finding's message."""
    callers = invokers(exposed)
    if callers:
        return (
            f"{kinds_phrase(callers)} invoke{'s' if len(callers) == 1 else ''} {fn} "
            "unqualified in the deployed stack"
        )
    if wiring.has_safe_target:
        return f"callers outside the stack can reach $LATEST of {fn}"
    return f"{fn} has no version or alias in the deployed stack: every caller reaches $LATEST"


def _code_unread(context: StackContext, function: str) -> bool:
    """Whether a source could not read the function's local code (a model fact)."""
    resource = context.new.resources.get(function)
    return resource is not None and resource.code_unread


_STATUS_WORDS = {
    Status.ADDED: "created: its code and configuration arrive together",
    Status.REPLACED: "replaced (a create-only property changes): the new function starts complete",
    Status.REMOVED: "removed",
}
_SIDE_WORDS = {
    Side.CONFIG: "configuration",
    Side.TAGS: "tags",
    Side.FUNCTION_LEVEL: "function-level settings",
    Side.CODE: "code",
    Side.REPLACEMENT: "create-only properties",
}


def _separate_call(paired: Sequence[PropertyChange]) -> str:
    if all(c.side is Side.TAGS for c in paired):
        return "TagResource"
    return "a function-level call (concurrency, code signing, recursion)"


def _exposed(wiring: FunctionWiring) -> tuple[Consumer, ...] | None:
    """Unqualified invocation paths of the deployed function; None when every path is safe."""
    unqualified = [r for r in wiring.invoking if not r.qualified]
    if not unqualified and (wiring.has_safe_target or wiring.with_role(Role.DEPLOYMENT)):
        # Safe paths only, or a custom-resource provider: CloudFormation invokes it only after
        # the function's update has finished (the custom resource depends on the function).
        return None
    outside = [r for r in wiring.with_role(Role.EXTERNAL) if not r.qualified]
    return consumers_of(unqualified + outside)


def _fix(context: StackContext, fn: str, deployed: FunctionWiring) -> Fix:
    planned = context.new_graph.functions.get(fn)
    wired_now = planned is not None and planned.aliases and not [
        r for r in planned.invoking if not r.qualified
    ]
    steps = [
        f"Publish a version of {fn} whose logical id changes with its code and configuration, "
        "add an alias on it, and point every consumer and permission at the alias "
        "(SAM: AutoPublishAlias: live).",
        "Deploy that wiring on its own, without the code and configuration change.",
        "Then deploy this change: consumers move to the new version in one alias switch.",
    ]
    if wired_now:
        summary = (
            "this change already routes traffic through an alias, but the deployed stack does "
            "not: deploy the alias wiring first without the code and configuration change"
        )
    elif any(not alias.on_latest for alias in deployed.aliases.values()):
        summary = (
            "point the remaining unqualified consumers at the existing alias and deploy that "
            f"first; {NOT_SAFE_ALONE}"
        )
    elif deployed.versions and not deployed.aliases:
        summary = (
            "versions are published, but consumers invoke the function unqualified: add an "
            "alias on the published version, point the consumers at it and deploy that first; "
            f"{NOT_SAFE_ALONE}"
        )
    elif deployed.aliases:
        summary = (
            f"point the alias at a published version and deploy that first; {NOT_SAFE_ALONE}"
        )
    elif deployed.invoking:
        summary = (
            f"route the consumers through an alias and deploy that wiring first; {NOT_SAFE_ALONE}"
        )
    else:
        summary = (
            "publish a version with an alias, have callers invoke the alias, and deploy that "
            f"first; {NOT_SAFE_ALONE}"
        )
    return Fix(summary=summary, two_phase=True, steps=tuple(steps))
