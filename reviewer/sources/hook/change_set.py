"""A change set's baseline, rebuilt from the new template and what the change set says each
changed resource was before (``beforeContext``): the same rules then judge a change set as
they judge two templates.

The contexts give every number and boolean as a string ("512", "false"). Such a string
compares equal to the template's 512 or false: it takes the template's type, so that a value
the change set does not change is not seen as changed. Where the template writes an
intrinsic function (``Ref``, ``Fn::GetAtt``, ...) and the context holds a plain value, that
value is the expression resolved: when the ``afterContext`` holds the same value there (or the
expression itself, not resolved), the template's expression is kept; when it holds another
plain value, the before value is kept, so that the change is seen (a code key passed as a
parameter, say).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from reviewer.model.template import StackTemplate
from reviewer.sources.hook.payload import ChangedResource


def rebuilt_baseline(new: StackTemplate, changed: Sequence[ChangedResource]) -> StackTemplate:
    """``new`` as it was before the change set: created resources left out, updated ones
    with their ``beforeContext`` properties, deleted ones put back."""
    section = new.body.get("Resources")
    resources: dict[str, Any] = dict(section) if isinstance(section, Mapping) else {}
    for change in changed:
        current = resources.get(change.logical_id)
        if change.action == "CREATE":
            resources.pop(change.logical_id, None)
            continue
        if change.before is None:
            continue
        before = change.before.get("Properties")
        properties = before if isinstance(before, Mapping) else {}
        raw: dict[str, Any] = dict(current) if isinstance(current, Mapping) else {}
        raw["Type"] = change.resource_type
        template_properties = raw.get("Properties")
        after = change.after.get("Properties") if change.after is not None else None
        raw["Properties"] = typed_like(
            properties, template_properties, after if isinstance(after, Mapping) else _UNSAID
        )
        resources[change.logical_id] = raw
    body = {**new.body, "Resources": resources}
    return replace(
        new,
        body=body,
        line_lookup=_no_lines,
        source_digest=None,
        notes=(),
    )


#: The ``afterContext`` says nothing at this place (absent, or not read).
_UNSAID = object()


def typed_like(value: Any, template: Any, after: Any = _UNSAID) -> Any:
    """``value`` (from a ``beforeContext``) with each scalar that the template writes as a
    number or a boolean of the same value given the template's type; a template intrinsic
    kept where the context holds a plain value that ``after`` (the ``afterContext`` at the
    same place) does not change (see the module doc)."""
    if _is_intrinsic(template) and not _is_intrinsic(value):
        changes = after is not _UNSAID and not _is_intrinsic(after) and after != value
        return value if changes else template
    if isinstance(value, Mapping):
        inner = template if isinstance(template, Mapping) else {}
        later = after if isinstance(after, Mapping) else {}
        return {
            key: typed_like(item, inner.get(key), later.get(key, _UNSAID))
            for key, item in value.items()
        }
    if isinstance(value, list):
        inner_list = template if isinstance(template, list) else []
        later_list = after if isinstance(after, list) else []
        return [
            typed_like(
                item,
                inner_list[index] if index < len(inner_list) else None,
                later_list[index] if index < len(later_list) else _UNSAID,
            )
            for index, item in enumerate(value)
        ]
    if isinstance(value, str):
        return _scalar(value, template)
    return value


def _scalar(text: str, template: Any) -> Any:
    """The context's text as the template's type when it reads as one."""
    if isinstance(template, bool):
        lowered = text.strip().lower()
        return lowered == "true" if lowered in ("true", "false") else text
    if isinstance(template, int | float):
        try:
            number = float(text)
        except ValueError:
            return text
        if isinstance(template, int) and number.is_integer():
            return int(number)
        return number
    return text


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition")


def _no_lines(path: Any) -> int | None:
    return None
