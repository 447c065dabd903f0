"""The alias wiring of one function in a plain template, as edits of the user's file.

The wiring is what SAM's ``AutoPublishAlias`` generates, written by hand:

- an ``AWS::Lambda::Version`` whose logical id ends with a hash of the function's code and
  configuration (:func:`version_hash`), so that CloudFormation replaces it, and
  ``PublishVersion`` runs, whenever they change; it is retained on deletion so that the
  version an alias left stays available for a rollback;
- an ``AWS::Lambda::Alias`` on it (``live``), or the function's existing alias;
- every caller that names the function unqualified re-pointed at the alias, its permissions
  moved or kept, its API stages deployed again (:mod:`reviewer.fixes.builders.reroute`).

On the new side (``publish=True``) a version the deployment would not replace is renamed to
carry the hash (LG002). On the baseline, for the phase-one change, existing versions are
left as they are: publishing again an unchanged function fails ("version already exists").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reviewer.diff.schemas import create_only
from reviewer.fixes.builders.naming import digest_of, hashed_id, unique_id
from reviewer.fixes.builders.repoint import AliasTarget
from reviewer.fixes.builders.reroute import repoint_consumers
from reviewer.fixes.builders.wired import Wired
from reviewer.fixes.edit.document import Document
from reviewer.fixes.edit.operations import (
    OperationError,
    insert_resources,
    rename_resource,
    set_entry,
)
from reviewer.fixes.edit.render import GetAtt, Ref, Style
from reviewer.fixes.edit.textedit import TextEdits
from reviewer.model.intrinsics import referenced_ids
from reviewer.model.references import AliasInfo, FunctionWiring
from reviewer.model.template import StackTemplate

ALIAS_NAME = "live"


def version_hash(stack: StackTemplate, function: str) -> str:
    """A hash of what a published version of ``function`` captures, as it is written.

    The function's properties, the create-only properties of the resources they refer to
    (a replaced layer or role changes the value the function gets), and the ``Default`` of
    the parameters they use. Only what changes the deployed function changes the hash: a
    new version id without a function change would fail to publish.
    """
    resources = stack.resources
    properties = resources[function].properties
    referenced: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    pending = referenced_ids(properties)
    for _ in range(4):
        following: set[str] = set()
        for name in sorted(pending - referenced.keys() - parameters.keys()):
            if name in resources and name != function:
                resource = resources[name]
                values = {
                    "/".join(pointer): _at(resource.properties, pointer)
                    for pointer in create_only(resource.type)
                }
                referenced[name] = {"Type": resource.type, "CreateOnly": values}
                following |= referenced_ids(values)
            elif name in stack.parameters:
                parameters[name] = stack.parameters[name].get("Default")
        pending = following
    return digest_of(
        {"Properties": properties, "References": referenced, "Parameters": parameters}
    )


def _at(properties: Mapping[str, Any], pointer: tuple[str, ...]) -> Any:
    value: Any = properties
    for key in pointer:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def function_names(stack: StackTemplate, function: str) -> frozenset[str]:
    name = stack.resources[function].properties.get("FunctionName")
    return frozenset({name}) if isinstance(name, str) else frozenset()


def wire(
    document: Document,
    stack: StackTemplate,
    wiring: FunctionWiring,
    *,
    publish: bool,
    fresh: set[str],
    alias_hint: tuple[str, str] | None = None,
) -> Wired:
    """The edits that route every in-stack caller of ``wiring.logical_id`` through an alias.

    ``publish``: the new side (rename a version that would not be replaced; ``fresh`` holds
    the resources this deployment creates or replaces). ``alias_hint``: the logical id and
    name the alias gets when there is none (the new side's, for the phase-one change).
    """
    function = wiring.logical_id
    if document.resource(function) is None:
        raise OperationError(f"function {function} is not written in {document.path}")
    style = Style.of(document)
    taken = stack.resources  # asked by logical id, never copied
    digest = version_hash(stack, function)
    alias = _chosen_alias(wiring)
    if alias is not None:
        alias_id, alias_name = alias.logical_id, alias.name or ALIAS_NAME
    elif alias_hint is not None and alias_hint[0] not in taken:
        alias_id, alias_name = alias_hint
    else:
        alias_id, alias_name = unique_id(f"{function}Alias{ALIAS_NAME.title()}", taken), ALIAS_NAME
    out = Wired(TextEdits(document.text), alias_id, alias_name)
    new_resources: dict[str, dict[str, Any]] = {}
    condition = stack.resources[function].condition

    version = alias.version if alias is not None else None
    if version is None and alias is None and wiring.versions:
        version = wiring.versions[0]
    if version is not None:
        out.version_id = version
        if publish and version not in fresh:
            renamed = unique_id(hashed_id(version, digest), taken)
            rename_resource(document, out.edits, version, renamed)
            out.renamed.append((version, renamed))
            out.version_id = renamed
    else:
        out.version_id = unique_id(f"{function}Version{digest}", taken)
        new_resources[out.version_id] = _version_body(function, condition)
        out.added.append(out.version_id)
    if alias is None:
        new_resources[alias_id] = _alias_body(function, out.version_id, alias_name, condition)
        out.added.append(alias_id)
    elif alias.version is None:
        _point_alias(document, out, alias, style)
    if new_resources:
        insert_resources(document, out.edits, function, new_resources, style)

    target = AliasTarget(
        function, alias_id, alias_id, alias_name, function_names(stack, function)
    )
    repoint_consumers(document, stack, wiring, target, out, style)
    return out


def _chosen_alias(wiring: FunctionWiring) -> AliasInfo | None:
    """The function's alias to route traffic through: one on a version, else one on $LATEST."""
    aliases = sorted(wiring.aliases.values(), key=lambda a: (a.on_latest, a.logical_id))
    return aliases[0] if aliases else None


def _version_body(function: str, condition: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"Type": "AWS::Lambda::Version"}
    if condition:
        body["Condition"] = condition
    body["DeletionPolicy"] = "Retain"
    body["UpdateReplacePolicy"] = "Retain"
    body["Properties"] = {"FunctionName": Ref(function)}
    return body


def _alias_body(
    function: str, version: str, name: str, condition: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"Type": "AWS::Lambda::Alias"}
    if condition:
        body["Condition"] = condition
    body["Properties"] = {
        "Name": name,
        "FunctionName": Ref(function),
        "FunctionVersion": GetAtt(version, "Version"),
    }
    return body


def _point_alias(document: Document, out: Wired, alias: AliasInfo, style: Style) -> None:
    """An alias on ``$LATEST`` or on a literal version number: point it at the new version."""
    node = document.resource(alias.logical_id)
    properties = node.get("Properties") if node is not None else None
    current = properties.get("FunctionVersion") if properties is not None else None
    if properties is None or out.version_id is None:
        out.untouched.append(f"alias {alias.logical_id}")
        return
    if current is not None and (current.kind != "scalar" or current.tag is not None):
        out.notes.append(
            f"alias {alias.logical_id} takes its version from an expression latest-guard "
            "does not rewrite: point its FunctionVersion at the new version yourself"
        )
        out.untouched.append(f"alias {alias.logical_id}")
        return
    set_entry(document, out.edits, properties, "FunctionVersion",
              GetAtt(out.version_id, "Version"), style)
    out.aliases_pointed.append(alias.logical_id)
