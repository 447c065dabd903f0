"""The permissions SAM generates for a function's events, once it has ``AutoPublishAlias``.

With ``AutoPublishAlias`` SAM writes every permission of the function's own events on the
alias, and points the events it builds (rules, subscriptions, the integrations it adds to an
API body) at the alias too. What it does not point there: an API body it never reads (an
``AWS::Include`` of an OpenAPI file, a ``DefinitionUri``), and a resource written beside the
function that the fix could not re-point. Such a caller would lose its permission; so for each
generated permission that serves one, the fix writes a plain ``AWS::Lambda::Permission`` for
the unqualified function beside it (the generated one's properties, ``<Permission>Unqualified``)
and names the callers that keep it.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any

from reviewer.fixes.builders.api_bodies import api_bodies
from reviewer.fixes.builders.callers import PERMISSION, bodies_served, permission_callers
from reviewer.fixes.builders.naming import unique_id
from reviewer.fixes.builders.repoint import AliasTarget
from reviewer.fixes.builders.wired import Wired
from reviewer.fixes.edit.document import Document
from reviewer.fixes.edit.operations import insert_resources
from reviewer.fixes.edit.render import GetAtt, Ref, Style, Sub
from reviewer.model.references import FunctionWiring, Reference
from reviewer.model.template import StackTemplate

#: A SAM-generated permission's properties that the copy keeps (not its FunctionName).
KEPT_PROPERTIES = ("Action", "Principal", "SourceAccount", "SourceArn", "EventSourceToken")


def keep_generated_permissions(  # noqa: PLR0917
    document: Document,
    stack: StackTemplate,
    wiring: FunctionWiring,
    target: AliasTarget,
    out: Wired,
    style: Style,
    generated: frozenset[str],
    repointed: Callable[[Reference], bool],
) -> None:
    """A plain permission on the unqualified function for each generated one that serves a
    caller neither SAM nor the fix points at the alias."""
    function = wiring.logical_id
    bodies = api_bodies(document)
    added: dict[str, dict[str, Any]] = {}
    for ref in wiring.references:
        if (ref.source not in generated or ref.source_type != PERMISSION or ref.qualified
                or not ref.source.startswith(function)):
            continue
        served = permission_callers(stack, wiring, ref.source, bodies, target)
        left = [
            f"{caller.source} ({caller.consumer}), which the fix does not re-point"
            for caller in served.callers if not repointed(caller)
        ]
        left += [
            f"{body.describe(target)}, which calls {function} unqualified" if body.read
            else f"{body.describe(target)}, which may call {function} unqualified"
            for body in bodies_served(stack, ref.source, bodies)
            if not body.read or body.calls(target)
        ]
        if not left:
            continue
        taken: ChainMap[str, Any] = ChainMap(added, stack.resources)  # asked, not copied
        new_id = unique_id(f"{ref.source}Unqualified", taken)
        added[new_id] = _permission_body(function, stack.resources[ref.source].properties)
        out.kept.append((new_id, None))
        out.notes.append(
            f"with AutoPublishAlias, SAM moves permission {ref.source} to alias "
            f"{target.alias_name}, but not these callers: {'; '.join(left)}. {new_id} keeps "
            f"that permission on {function} unqualified; point them at the alias (in an "
            f"OpenAPI body: ${{{target.alias_sub}}} instead of ${{{function}.Arn}}), then "
            f"remove {new_id}"
        )
    if added:
        insert_resources(document, out.edits, function, added, style)


def _permission_body(function: str, generated: Mapping[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {"FunctionName": Ref(function)}
    for name in KEPT_PROPERTIES:
        if name in generated:
            properties[name] = as_written(generated[name])
    return {"Type": PERMISSION, "Properties": properties}


def as_written(value: Any) -> Any:
    """A generated value in the forms the user writes: ``!Ref``, ``!GetAtt``, one ``!Sub``
    string (SAM's ``Fn::Sub`` variables that are references or plain text put in place)."""
    if isinstance(value, Mapping) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref" and isinstance(argument, str):
            return Ref(argument)
        if function == "Fn::GetAtt" and isinstance(argument, list) and len(argument) == 2:
            return GetAtt(str(argument[0]), str(argument[1]))
        if function == "Fn::Sub":
            return _sub(argument)
    if isinstance(value, Mapping):
        return {str(k): as_written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_written(v) for v in value]
    return value


def _sub(argument: Any) -> Any:
    if isinstance(argument, str):
        return Sub(argument)
    if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)
            and isinstance(argument[1], Mapping)):
        return {"Fn::Sub": argument}
    text: str = argument[0]
    for name, variable in argument[1].items():
        written = as_written(variable)
        if isinstance(written, Ref):
            inline = f"${{{written.target}}}"
        elif isinstance(written, GetAtt):
            inline = f"${{{written.target}.{written.attribute}}}"
        elif isinstance(written, str) and "${" not in written:
            inline = written
        else:
            return {"Fn::Sub": [text, {k: as_written(v) for k, v in argument[1].items()}]}
        text = text.replace(f"${{{name}}}", inline)
    return Sub(text)
