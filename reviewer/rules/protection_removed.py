"""LG005 protection-removed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from reviewer.contract.enums import FixNeed, Severity, Side
from reviewer.contract.findings import Finding, Fix
from reviewer.diff.context import StackContext
from reviewer.diff.function_changes import Status
from reviewer.model.consumers import Role
from reviewer.model.references import Reference
from reviewer.rules.base import ChangeRule, consumers_of, names


class ProtectionRemoved(ChangeRule):
    """A consumer that reaches the function through a version or alias goes back to `$LATEST`.

    ## What it does
    Flags a function when a consumer that invokes it through a published version or an alias
    in the *deployed* stack invokes it unqualified in the new template: its name, its ARN,
    `$LATEST`, or an alias on `$LATEST` (for instance because the change deletes the alias the
    consumer used).

    ## Why is this bad?
    The version and alias are what make a code and configuration change atomic for the
    callers. A template that drops them undoes that protection: the next change of code and
    configuration races on `$LATEST` again. The usual way to get here is the two-phase fix
    applied in the wrong order: the alias wiring is deployed first (phase one), but the
    pull request still carries the template from before it, so deploying the pull request
    deletes the alias again.

    | the same deployment | severity |
    |---|---|
    | also changes the function's code or configuration (the phase-two change) | error |
    | does not change the function | warning |

    ## Example
    Deployed:
    ```yaml
    Rule:
      Type: AWS::Events::Rule
      Properties:
        Targets: [{Id: fn, Arn: !Ref FnLive}]     # the alias
    ```
    New template:
    ```yaml
    Rule:
      Type: AWS::Events::Rule
      Properties:
        Targets: [{Id: fn, Arn: !GetAtt Fn.Arn}]  # back to $LATEST; FnLive deleted
    ```

    Use instead: keep the deployed version and alias in the template (merge the phase-one
    change into the pull request), and keep the consumers on the alias.
    """

    id: ClassVar[str] = "LG005"
    name: ClassVar[str] = "protection-removed"
    summary: ClassVar[str] = "a consumer moves from a version or alias back to $LATEST"
    default_severity: ClassVar[Severity] = Severity.WARNING
    needs: ClassVar[FixNeed | None] = FixNeed.ALIAS_WIRING

    def check(self, context: StackContext) -> Iterator[Finding]:
        for function, old in context.old_graph.functions.items():
            change = context.changes.get(function)
            new = context.new_graph.functions.get(function)
            if new is None or (change is not None and change.status is not Status.UPDATED
                               and change.status is not Status.UNCHANGED):
                continue
            before = {_path(r): r for r in old.with_role(Role.INVOKE) if r.qualified}
            moved = [
                r for r in new.with_role(Role.INVOKE)
                if not r.qualified and _path(r) in before
            ]
            if not moved:
                continue
            changed = change.on(Side.CODE, Side.CONFIG) if change is not None else []
            severity = Severity.ERROR if changed else self.default_severity
            earlier = [before[_path(r)] for r in moved]
            forms = sorted({r.form for r in earlier})
            deleted = sorted({
                r.via for r in earlier
                if r.via_kind in ("alias", "version") and r.via not in context.new.resources
            })
            if len(moved) == 1:
                count, verb = "a consumer that reaches", "invokes"
            else:
                count, verb = f"{len(moved)} consumers that reach", "invoke"
            message = (
                f"{count} {function} through {', '.join(forms)} in the deployed stack {verb} it "
                "unqualified in this template"
            )
            if deleted:
                message += f" ({', '.join(deleted)} deleted)"
            if changed:
                message += f", in the same deployment that changes its {names(changed)}"
            yield self.finding(
                severity=severity,
                stack=context.new.name,
                resource=function,
                message=message,
                location=context.new.locate(moved[0].source, moved[0].path),
                changes=tuple(changed),
                consumers=consumers_of(moved),
                why=(
                    "Without the version and alias, the next change of code and configuration "
                    "races on $LATEST again."
                ),
                fix=Fix(
                    summary=(
                        f"keep the deployed version and alias of {function} in the template "
                        "and the consumers on the alias"
                    )
                ),
            )


def _path(reference: Reference) -> tuple[str, tuple[object, ...]]:
    """A consumer's property: the resource and the path inside it."""
    return reference.source, tuple(reference.path)
