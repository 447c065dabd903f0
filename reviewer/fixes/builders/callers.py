"""Who a Lambda permission lets invoke the function: callers in the stack, and the rest.

A permission (``AWS::Lambda::Permission``) grants one qualifier: moved to the alias, it no
longer covers the unqualified ARN. So it may move only when every caller it served is
re-pointed at the alias by the same fix. The callers it serves:

- **in the stack**: the resources that invoke the function unqualified through the service its
  ``Principal`` names (``sns.amazonaws.com``: SNS subscriptions and topics; a permission for a
  function URL: the URL, which the fix moves to the alias with it), narrowed, when its
  ``SourceArn`` names resources of the stack, to those resources and the ones that refer to
  them (``${Api}/*``: that API's methods and integrations), or to the callers that take a
  parameter it names (``!Ref TopicArn``: the subscription to that topic); callers in other
  stacks of the app (``Fn::ImportValue``) count here too, and no edit of this file re-points
  them;
- **outside the stack**, which no edit of the template re-points: an account, an IAM principal
  or ``*`` as principal; a service with no caller in the stack, or a ``SourceArn`` that names
  no resource of it; stacks that import the unqualified ARN from an ``Export`` (when the
  ``SourceArn`` does not tie the permission to resources of this stack); and API bodies kept
  in other files (:mod:`reviewer.fixes.builders.api_bodies`) that call the function
  unqualified or were not read.

Callers are named by logical id, principal and the ``SourceArn`` as written; a parameter is
named, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reviewer.fixes.builders.api_bodies import ApiBody
from reviewer.fixes.builders.base import listing
from reviewer.fixes.builders.repoint import AliasTarget
from reviewer.model.consumers import Role, invokes_under, principal_service
from reviewer.model.intrinsics import referenced_ids
from reviewer.model.references import FunctionWiring, Reference
from reviewer.model.template import StackTemplate

PERMISSION = "AWS::Lambda::Permission"
FUNCTION_URL = "AWS::Lambda::Url"
_ACCOUNT = "AWS::AccountId"


@dataclass(frozen=True)
class PermissionCallers:
    """The callers one permission serves."""

    permission: str
    callers: tuple[Reference, ...]  # unqualified invocations it serves, re-pointable or not
    outside: tuple[str, ...]  # callers no edit of this template re-points, in words


def unqualified_invocations(wiring: FunctionWiring) -> list[Reference]:
    """The invocations of the function's unqualified ARN or name (``$LATEST`` included)."""
    return [
        r for r in wiring.references
        if r.role is Role.INVOKE and not r.qualified and r.via_kind in ("function", "name")
    ]


def exports(stack: StackTemplate, wiring: FunctionWiring) -> list[str]:
    """The outputs that export the function's unqualified ARN or name, in words."""
    found: list[str] = []
    for ref in wiring.with_role(Role.EXTERNAL):
        if ref.qualified or ref.via_kind not in ("function", "name"):
            continue
        name = ref.source.removeprefix("Outputs.")
        output = stack.outputs.get(name, {})
        export = output.get("Export")
        if not isinstance(export, Mapping):
            continue
        shown = written(export.get("Name"))
        found.append(f"stacks that import output {name} (export {shown})")
    return list(dict.fromkeys(found))


def permission_callers(
    stack: StackTemplate,
    wiring: FunctionWiring,
    permission: str,
    bodies: Sequence[ApiBody],
    target: AliasTarget,
) -> PermissionCallers:
    """The callers ``permission`` serves (see the module's documentation)."""
    properties = stack.resources[permission].properties
    if _for_function_url(properties):
        # The URL moves to the alias with the fix (Qualifier): its permission goes with it.
        urls = [r for r in unqualified_invocations(wiring) if r.source_type == FUNCTION_URL]
        return PermissionCallers(permission, tuple(urls), () if urls else (
            "callers of a function URL this fix does not see",
        ))
    service = _service_of(properties)
    if service is None:
        words = _principal_words(properties.get("Principal"))
        return PermissionCallers(permission, (), (words,))
    callers = [
        r for r in unqualified_invocations(wiring) if invokes_under(r.source_type, service)
    ]
    served_bodies = bodies_served(stack, permission, bodies)
    callers, outside = _narrowed(
        stack, wiring, properties, service, callers, bodies=served_bodies
    )
    outside.extend(
        body.describe(target) for body in served_bodies if not body.read or body.calls(target)
    )
    return PermissionCallers(permission, tuple(dict.fromkeys(callers)), tuple(outside))


def _narrowed(
    stack: StackTemplate,
    wiring: FunctionWiring,
    properties: Mapping[str, Any],
    service: str,
    callers: list[Reference],
    *,
    bodies: Sequence[ApiBody],
) -> tuple[list[Reference], list[str]]:
    """The callers a permission's ``SourceArn`` leaves, and the callers outside the stack."""
    source_arn = properties.get("SourceArn")
    named = referenced_ids(source_arn)
    pins = (named & stack.resources.keys()) - {wiring.logical_id}  # not a copy of the keys
    shared = named & stack.parameters.keys()  # a topic ARN or a bucket name both take
    if pins:
        tied = [r for r in callers if _tied(stack, r.source, pins)]
        if tied or bodies:  # a body kept elsewhere is named by the caller
            return tied, []
        return [], [
            f"{listing(sorted(pins))} in its SourceArn, which invokes {wiring.logical_id} by no "
            "path this fix sees"
        ]
    if shared and any(_tied(stack, r.source, shared) for r in callers):
        return [r for r in callers if _tied(stack, r.source, shared)], []
    outside: list[str] = []
    if not callers:
        outside.append(_service_words(properties.get("Principal"), service, source_arn))
    elif source_arn is not None:
        outside.append(
            f"whatever its SourceArn ({written(source_arn)}) names outside this stack"
        )
    return callers, [*outside, *exports(stack, wiring)]


def _for_function_url(properties: Mapping[str, Any]) -> bool:
    return (
        "FunctionUrlAuthType" in properties
        or properties.get("Action") == "lambda:InvokeFunctionUrl"
        or properties.get("InvokedViaFunctionUrl") in (True, "true")
    )


def _tied(stack: StackTemplate, source: str, pins: set[str]) -> bool:
    """Whether the resource ``source`` is one that ``pins`` names, or refers to one of them."""
    if source in pins:
        return True
    resource = stack.resources.get(source)
    return resource is not None and bool(referenced_ids(resource.properties) & pins)


def bodies_served(
    stack: StackTemplate, permission: str, bodies: Sequence[ApiBody]
) -> list[ApiBody]:
    """The API bodies kept elsewhere that ``permission`` lets call the function."""
    properties = stack.resources[permission].properties
    if _service_of(properties) != "apigateway":
        return []
    pins = referenced_ids(properties.get("SourceArn")) & stack.resources.keys()
    return [b for b in bodies if not pins or b.api in pins]


def _service_of(properties: Mapping[str, Any]) -> str | None:
    """The service a permission's principal names; also when written as
    ``!Sub logs.${AWS::Region}.amazonaws.com``."""
    principal = properties.get("Principal")
    if isinstance(principal, Mapping) and len(principal) == 1:
        principal = principal.get("Fn::Sub")
    return principal_service(principal) if isinstance(principal, str) else None


def _principal_words(principal: Any) -> str:
    if principal == "*":
        return "any principal (*)"
    if isinstance(principal, str):
        if principal.isdigit():
            return f"account {principal}"
        return f"principal {principal}"
    if isinstance(principal, Mapping) and principal.get("Ref") == _ACCOUNT:
        return "callers of this account (its principal is AWS::AccountId)"
    return f"the principal {written(principal)}"


def _service_words(principal: Any, service: str, source_arn: Any) -> str:
    shown = principal if isinstance(principal, str) else written(principal)
    words = f"callers allowed as {shown}: no resource of this stack invokes it through {service}"
    if source_arn is not None:
        words += f" (SourceArn {written(source_arn)})"
    return words


def written(value: Any) -> str:
    """A value as the template writes it, naming parameters rather than their values."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref" and isinstance(argument, str):
            return argument if argument.startswith("AWS::") else f"parameter {argument}"
        if function == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) and argument else argument
            if isinstance(text, str):
                return text
        if function == "Fn::GetAtt":
            parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
            return ".".join(str(p) for p in parts)
        if function == "Fn::ImportValue":
            return f"the import of {written(argument)}"
    return "an expression"
