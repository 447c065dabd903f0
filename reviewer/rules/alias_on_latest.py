"""LG003 alias-on-latest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from reviewer.contract.enums import Severity, Side
from reviewer.contract.findings import Finding, Fix
from reviewer.diff.context import StackContext
from reviewer.model.consumers import Role
from reviewer.rules.base import ChangeRule, consumers_of, names


class AliasOnLatest(ChangeRule):
    """An alias on `$LATEST` guards a function that changes: it protects nothing.

    ## What it does
    Flags an `AWS::Lambda::Alias` whose `FunctionVersion` is `$LATEST` when the function it
    names changes code or configuration in this deployment.

    ## Why is this bad?
    An alias looks like the safe path, but one on `$LATEST` follows every intermediate state
    of the unpublished function. Callers on it see the same mixed code and configuration as
    unqualified callers while CloudFormation updates the function in separate calls.

    ## Example
    ```yaml
    FnLive:
      Type: AWS::Lambda::Alias
      Properties:
        FunctionName: !Ref Fn
        FunctionVersion: $LATEST
        Name: live
    ```

    Use instead: point the alias at a published version whose logical id changes with the
    code and configuration:
    ```yaml
    FnLive:
      Type: AWS::Lambda::Alias
      Properties:
        FunctionName: !Ref Fn
        FunctionVersion: !GetAtt FnVersion3f2a9c.Version
        Name: live
    ```
    """

    id: ClassVar[str] = "LG003"
    name: ClassVar[str] = "alias-on-latest"
    summary: ClassVar[str] = "an alias on $LATEST guards a function that changes"
    default_severity: ClassVar[Severity] = Severity.WARNING

    def check(self, context: StackContext) -> Iterator[Finding]:
        for change in context.updated_functions():
            versioned = change.on(Side.CODE, Side.CONFIG)
            wiring = context.new_graph.functions.get(change.function)
            if not versioned or wiring is None:
                continue
            on_latest = sorted(a.logical_id for a in wiring.aliases.values() if a.on_latest)
            if not on_latest:
                continue
            refs = [
                r for r in wiring.with_role(Role.INVOKE, Role.EXTERNAL) if r.via in on_latest
            ]
            yield self.finding(
                stack=change.stack,
                resource=change.function,
                message=(
                    f"{names(versioned)} change and alias {', '.join(on_latest)} points at "
                    "$LATEST: its callers see every intermediate state"
                ),
                location=context.new.locate(on_latest[0]),
                changes=tuple(versioned),
                consumers=consumers_of(refs),
                why="An alias on $LATEST is not a snapshot; it follows the function's updates.",
                fix=Fix(
                    summary=(
                        "point the alias at a published version whose logical id changes with "
                        "code and configuration"
                    )
                ),
            )
