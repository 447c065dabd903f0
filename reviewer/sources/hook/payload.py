"""The payload a hook request points at: fetched from its presigned URL (or read from a saved
file once the URL has expired) and read into templates and changed resources.

A stack payload is ``{"template": ..., "previousTemplate": ...}``, each the template text as
it was submitted (JSON or YAML). What ``previousTemplate`` is on a create is not documented:
absent, ``null`` and ``""`` all mean "no previous template". A change-set payload is
``{"template": ..., "changedResources": [...]}``; each changed resource's ``beforeContext``
and ``afterContext`` are read. ``parameters`` (the values this deployment uses) and
``previousParameters`` (the values deployed now), objects of names to values, are not part of
the documented payloads; when a saved payload carries them, they are used.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewer.errors import InputError
from reviewer.sources.cloudformation.parameters import parameter_text

#: What one read of the payload may take, at most.
FETCH_TIMEOUT = 8.0
#: A payload larger than this is not a hook payload (templates are at most 1 MB each).
_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ChangedResource:
    """One entry of a change set's ``changedResources``."""

    action: str
    logical_id: str
    resource_type: str
    #: ``beforeContext`` parsed: ``{"Properties": {...}}``; None on a create.
    before: Mapping[str, Any] | None
    #: ``afterContext`` parsed, the same way; None on a delete.
    after: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class HookPayload:
    """The templates (as text) and, for a change set, what changes."""

    template: str | None
    previous_template: str | None
    changed: tuple[ChangedResource, ...] | None = None
    #: The values this deployment uses, and those deployed now (a saved payload's only).
    parameters: Mapping[str, str] = field(default_factory=dict)
    previous_parameters: Mapping[str, str] = field(default_factory=dict)


def fetch_payload(url: str, origin: str, timeout: float = FETCH_TIMEOUT) -> str:
    """The text at ``url`` (``http`` or ``https``); an ``InputError`` naming ``origin`` with a
    one-line reason when it cannot be read (an expired presigned URL answers 403)."""
    if not url.lower().startswith(("https://", "http://")):
        raise InputError(origin, "not an http(s) URL")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body: bytes = answer.read(_MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 403:
            raise InputError(
                origin,
                "refused (HTTP 403): the presigned URL has expired or is not valid; replay "
                "with --payload FILE",
            ) from None
        raise InputError(origin, f"answered HTTP {exc.code}") from None
    except TimeoutError:
        raise InputError(origin, f"did not answer within {timeout:g} s") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(origin, f"cannot be read: {reason}") from None
    if len(body) > _MAX_BYTES:
        raise InputError(origin, "larger than 16 MB: not a hook payload")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(origin, "not UTF-8 text") from None


def parse_payload(text: str, origin: str) -> HookPayload:
    """The payload in ``text`` (read from ``origin``: a URL's answer or a file)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(origin, f"the payload is not JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(document, Mapping):
        raise InputError(origin, "the payload is not a JSON object")
    template = _template(document.get("template"), "template", origin)
    previous = _template(document.get("previousTemplate"), "previousTemplate", origin)
    changed = document.get("changedResources")
    return HookPayload(
        template,
        previous,
        _changed(changed, origin) if changed is not None else None,
        _parameters(document.get("parameters"), origin),
        _parameters(document.get("previousParameters"), origin, "previousParameters"),
    )


def _template(value: Any, key: str, origin: str) -> str | None:
    """A template given as text; an object (a saved payload written by hand) as JSON text."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return json.dumps(value, indent=1)
    raise InputError(origin, f"the payload's {key} is neither a template text nor an object")


def _changed(value: Any, origin: str) -> tuple[ChangedResource, ...]:
    if not isinstance(value, list):
        raise InputError(origin, "the payload's changedResources is not a list")
    out: list[ChangedResource] = []
    for index, entry in enumerate(value):
        where = f"changedResources[{index}]"
        if not isinstance(entry, Mapping):
            raise InputError(origin, f"the payload's {where} is not an object")
        logical_id, kind = entry.get("logicalResourceId"), entry.get("resourceType")
        action = entry.get("action")
        if not all(isinstance(v, str) and v for v in (logical_id, kind, action)):
            raise InputError(
                origin, f"the payload's {where} lacks action, logicalResourceId or resourceType"
            )
        out.append(ChangedResource(
            str(action).upper(), str(logical_id), str(kind),
            _context(entry.get("beforeContext"), f"{where}.beforeContext", origin),
            _context(entry.get("afterContext"), f"{where}.afterContext", origin),
        ))
    return tuple(out)


def _context(value: Any, where: str, origin: str) -> Mapping[str, Any] | None:
    """A ``beforeContext``: a JSON string (as documented) or an object."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise InputError(origin, f"the payload's {where} is not JSON") from None
    if not isinstance(value, Mapping):
        raise InputError(origin, f"the payload's {where} is not an object")
    return value


def _parameters(value: Any, origin: str, key: str = "parameters") -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InputError(origin, f"the payload's {key} is not an object of names to values")
    return {name: parameter_text(item, origin, name) for name, item in value.items()}
