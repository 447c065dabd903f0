"""LG002 stale-version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from reviewer.contract.enums import FixNeed, Severity, Side
from reviewer.contract.findings import Finding, Fix
from reviewer.diff.context import StackContext
from reviewer.model.consumers import Role
from reviewer.model.references import FunctionWiring
from reviewer.rules.base import ChangeRule, consumers_of, names


class StaleVersion(ChangeRule):
    """Aliased traffic never gets the change: no new version is published.

    ## What it does
    Flags a function whose code or configuration changes while an alias or version routes
    traffic to it, but the `AWS::Lambda::Version` behind that traffic is not replaced: its
    logical id is fixed and none of its create-only properties (`CodeSha256`, `Description`,
    ...) changes. CloudFormation then leaves the version alone and the alias keeps pointing
    at the old snapshot. An alias pinned to a literal version number is stale the same way.

    ## Why is this bad?
    A version calls `PublishVersion` only when it is created. The change reaches `$LATEST`
    only; callers on the alias keep the old code and configuration while callers of the
    unqualified function get the new one. The deployment reports success and nothing ships
    to the traffic that matters. SAM's default `AutoPublishAlias` hash has the same blind
    spot: it ignores Handler, Runtime, Layers, Architectures, Timeout, Role and more.

    ## Example
    ```yaml
    FnVersion:                            # fixed logical id: published once, never again
      Type: AWS::Lambda::Version
      Properties: {FunctionName: !Ref Fn}
    FnLive:
      Type: AWS::Lambda::Alias
      Properties:
        FunctionName: !Ref Fn
        FunctionVersion: !GetAtt FnVersion.Version
        Name: live
    ```

    Use instead: give the version a logical id that changes with the code and configuration
    (a hash suffix, as SAM, CDK `currentVersion` and the Serverless Framework do), or set
    `AutoPublishAliasAllProperties: true` on a SAM function.
    """

    id: ClassVar[str] = "LG002"
    name: ClassVar[str] = "stale-version"
    summary: ClassVar[str] = "aliased traffic keeps the old version: no new version is published"
    default_severity: ClassVar[Severity] = Severity.WARNING
    needs: ClassVar[FixNeed | None] = FixNeed.REPUBLISH

    def check(self, context: StackContext) -> Iterator[Finding]:
        fresh = context.diff.added | context.diff.replaced
        for change in context.updated_functions():
            versioned = change.on(Side.CODE, Side.CONFIG)
            wiring = context.new_graph.functions.get(change.function)
            if not versioned or wiring is None:
                continue
            stale = _stale_targets(wiring, fresh)
            if not stale:
                continue
            refs = [r for r in wiring.with_role(Role.INVOKE, Role.EXTERNAL) if r.via in stale]
            listed = ", ".join(sorted(stale))
            yield self.finding(
                stack=change.stack,
                resource=change.function,
                message=(
                    f"{names(versioned)} change, but no new version is published for "
                    f"{listed}: aliased traffic keeps the old code and configuration"
                ),
                location=context.new.locate(change.function),
                changes=tuple(versioned),
                consumers=consumers_of(refs),
                why=(
                    "An AWS::Lambda::Version publishes only when it is created; with a fixed "
                    "logical id and unchanged create-only properties it is left as it is."
                ),
                fix=Fix(
                    summary=(
                        "give the version a logical id that changes with code and configuration "
                        "(or AutoPublishAliasAllProperties: true with SAM)"
                    ),
                ),
            )


def _stale_targets(wiring: FunctionWiring, fresh: set[str]) -> set[str]:
    """Aliases and versions that keep serving an old snapshot after this deployment."""
    stale: set[str] = set()
    for alias in wiring.aliases.values():
        if alias.on_latest:
            continue
        if alias.version is None or alias.version not in fresh:
            stale.add(alias.logical_id)
    for ref in wiring.with_role(Role.INVOKE, Role.EXTERNAL):
        if ref.via_kind == "version" and ref.via not in fresh:
            stale.add(ref.via)
    return stale
