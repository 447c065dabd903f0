"""A deployed stack's current parameter values, read with ``DescribeStacks``: what a hook
judges a stack update with when its request carries none.

Reading them needs ``cloudformation:DescribeStacks`` for the stack. Without it (or without
credentials, or when the call fails or is slow) the values are unknown and the reason is
returned, never raised: the hook judges without them and says so. The endpoint is the one
boto3 is configured with (``AWS_ENDPOINT_URL`` included), so a local stand-in serves it.
Values are returned to be used, never to be printed; NoEcho values come back masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Seconds for one connection and one read: a hook answers within 30 s in all.
_CONNECT_TIMEOUT = 2.0
_READ_TIMEOUT = 5.0


@dataclass(frozen=True)
class StackParameters:
    """The values read, or why there are none (``reason``)."""

    values: dict[str, str] = field(default_factory=dict)
    reason: str | None = None


def current_parameters(stack: str, region: str | None) -> StackParameters:
    """The current parameter values of ``stack`` (its name or ARN) in ``region``."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]
    from botocore.exceptions import (  # type: ignore[import-untyped]
        BotoCoreError,
        ClientError,
        NoCredentialsError,
    )

    config = Config(
        connect_timeout=_CONNECT_TIMEOUT,
        read_timeout=_READ_TIMEOUT,
        retries={"max_attempts": 1, "mode": "standard"},
    )
    try:
        client = boto3.session.Session().client(
            "cloudformation", region_name=region, config=config
        )
        answer: Any = client.describe_stacks(StackName=stack)
    except NoCredentialsError:
        return StackParameters(reason="no AWS credentials to read them with")
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "an error"))
        return StackParameters(reason=f"DescribeStacks was refused ({code})")
    except BotoCoreError as exc:
        return StackParameters(reason=f"DescribeStacks failed ({type(exc).__name__})")
    stacks = answer.get("Stacks") or []
    if not stacks:
        return StackParameters(reason="DescribeStacks did not return the stack")
    return StackParameters(parameter_values(stacks[0]))


def parameter_values(described: Mapping[str, Any]) -> dict[str, str]:
    """Each parameter's value in a stack's description (``DescribeStacks``): the resolved one
    for SSM parameter types; NoEcho stays masked."""
    values: dict[str, str] = {}
    for entry in described.get("Parameters") or []:
        key = entry.get("ParameterKey")
        value = entry.get("ResolvedValue", entry.get("ParameterValue"))
        if isinstance(key, str) and isinstance(value, str):
            values[key] = value
    return values
