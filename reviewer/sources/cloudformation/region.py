"""The region the AWS configuration names, read as every AWS tool reads it.

Expanders that write ARNs or pseudo-parameter values (the SAM translator, the Datadog macro's
layer ARNs) need a region. boto3 is imported only when one is asked for.
"""

from __future__ import annotations

import os
from functools import cache

#: Environment variables that decide which region the AWS configuration names.
_REGION_SETTINGS = ("AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE")


def configured_region() -> str | None:
    """The region the AWS configuration names (environment or profile), if any."""
    return _region_for(tuple(os.environ.get(name) for name in _REGION_SETTINGS))


@cache
def _region_for(settings: tuple[str | None, ...]) -> str | None:
    """The configured region, looked up once per combination of ``settings`` (the cache key).

    A boto3 session reads the configuration as every AWS tool does, but costs tens of
    milliseconds to create: a template pair would pay it twice.
    """
    del settings  # only the cache key; boto3 reads the same variables itself
    import boto3  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]

    try:
        region = boto3.session.Session().region_name
    except BotoCoreError:  # an unreadable profile: fall back to the default region
        return None
    return region if isinstance(region, str) and region else None
