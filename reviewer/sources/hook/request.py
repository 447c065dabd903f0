"""The request CloudFormation sends a Lambda Hook, read into a typed value.

The Hooks User Guide documents three targets: a stack (``targetType`` ``STACK``), a change
set (``CHANGE_SET``), each with a presigned URL as ``payload``, and a resource (the resource
type, or ``RESOURCE`` for Cloud Control), whose properties come inline. The syntax blocks of
the guide spell two keys ``clientRequesttoken`` and ``stackID`` while its examples spell them
``clientRequestToken`` and ``stackId``: both are read. The resource examples carry no token:
it is then empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reviewer.errors import InputError


class Target(StrEnum):
    """What a hook request is about."""

    STACK = "STACK"
    CHANGE_SET = "CHANGE_SET"
    RESOURCE = "RESOURCE"


class Action(StrEnum):
    """The operation, from ``actionInvocationPoint`` (``UPDATE_PRE_PROVISION``)."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(frozen=True)
class HookRequest:
    """One hook invocation: whom to answer, what it is about and where its templates are."""

    token: str
    target: Target
    action: Action
    #: The stack's ARN (empty for Cloud Control requests).
    stack_id: str
    #: The stack's name: ``targetLogicalId`` of a stack request, else read from ``stack_id``.
    stack_name: str
    #: The presigned URL of the payload (stack and change-set targets).
    payload_url: str | None
    #: The region of the stack, read from its ARN; None when the ARN does not say.
    region: str | None


def parse_request(event: Any, origin: str) -> HookRequest:
    """The request in ``event`` (the Lambda event, or a saved request read from ``origin``);
    an ``InputError`` naming ``origin`` when it is not a hook request."""
    if not isinstance(event, Mapping):
        raise InputError(origin, "not a hook request: the document is not a JSON object")
    data = event.get("requestData")
    if not isinstance(data, Mapping):
        raise InputError(origin, "not a hook request: it has no requestData object")
    token = request_token(event)
    stack_id = _text(event, "stackId", "stackID")
    target_type = data.get("targetType")
    if not isinstance(target_type, str) or not target_type:
        raise InputError(origin, "not a hook request: requestData.targetType is missing")
    target = (
        Target(target_type) if target_type in (Target.STACK, Target.CHANGE_SET)
        else Target.RESOURCE
    )
    action = _action(event.get("actionInvocationPoint"), target, origin)
    payload = data.get("payload")
    url = payload if isinstance(payload, str) and payload else None
    if target is not Target.RESOURCE and url is None and action is not Action.DELETE:
        raise InputError(origin, "requestData.payload (the URL of the templates) is missing")
    logical_id = data.get("targetLogicalId")
    name = _stack_name(stack_id)
    if target is Target.STACK and isinstance(logical_id, str) and logical_id:
        name = logical_id
    return HookRequest(token, target, action, stack_id, name or "stack", url, _region(stack_id))


def request_token(event: Any) -> str:
    """The request's token (either spelling), empty when it has none or is not a request:
    read before anything else can fail, so that every answer echoes it."""
    return _text(event, "clientRequestToken", "clientRequesttoken") if isinstance(
        event, Mapping
    ) else ""


def _text(event: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = event.get(key)
        if isinstance(value, str):
            return value
    return ""


def _action(point: Any, target: Target, origin: str) -> Action:
    """The action of ``actionInvocationPoint``; a change set's may be left out (the guide's
    syntax block does): it is then a change set being created."""
    if point is None and target is Target.CHANGE_SET:
        return Action.CREATE
    if isinstance(point, str) and point.endswith("_PRE_PROVISION"):
        verb = point.removesuffix("_PRE_PROVISION")
        if verb in Action.__members__:
            return Action(verb)
    raise InputError(
        origin,
        "actionInvocationPoint is not CREATE_PRE_PROVISION, UPDATE_PRE_PROVISION or "
        "DELETE_PRE_PROVISION",
    )


def _stack_name(stack_id: str) -> str:
    """``orders`` of ``arn:aws:cloudformation:eu-west-1:123456789012:stack/orders/uuid``."""
    parts = stack_id.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("stack/"):
        return parts[5].split("/")[1]
    return ""


def _region(stack_id: str) -> str | None:
    parts = stack_id.split(":")
    return parts[3] if len(parts) > 3 and parts[0] == "arn" and parts[3] else None


#: Keys of a stack or change-set request that say what it is about and hold no template value.
_REPLAY_KEYS = (
    "clientRequestToken", "clientRequesttoken", "awsAccountId", "stackId", "stackID",
    "changeSetId", "hookTypeName", "hookTypeVersion", "actionInvocationPoint",
)
_REPLAY_TARGET_KEYS = ("targetName", "targetType", "targetLogicalId")
#: What stands in a logged request for its presigned URL.
URL_LEFT_OUT = "(the presigned URL, not logged: replay with --payload FILE)"


def loggable(event: Any) -> dict[str, Any] | None:
    """A stack or change-set request as it may be logged and replayed with ``latest-guard
    hook``: what it is about, its presigned payload URL left out (it grants reading the
    templates). None for anything else: a resource request carries the resource's properties,
    which may hold secrets."""
    if not isinstance(event, Mapping):
        return None
    data = event.get("requestData")
    if not isinstance(data, Mapping) or data.get("targetType") not in (
        Target.STACK, Target.CHANGE_SET
    ):
        return None
    logged: dict[str, Any] = {
        key: event[key] for key in _REPLAY_KEYS if isinstance(event.get(key), str)
    }
    target = {key: data[key] for key in _REPLAY_TARGET_KEYS if isinstance(data.get(key), str)}
    logged["requestData"] = {**target, "payload": URL_LEFT_OUT}
    return logged
