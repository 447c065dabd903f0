"""The alias wiring of one function in a plain template, as edits of the user's file.

The wiring is what SAM's ``AutoPublishAlias`` generates, written by hand:

- an ``AWS::Lambda::Version`` whose logical id ends with a hash of the function's code and
  configuration (:func:`version_hash`), so that CloudFormation replaces it, and
  ``PublishVersion`` runs, whenever they change; it is retained on deletion so that the
  version an alias left stays available for a rollback;
- an ``AWS::Lambda::Alias`` on it (``live``), or the function's existing alias;
- every consumer and permission that names the function unqualified re-pointed at the alias
  (:mod:`reviewer.fixes.repoint`); an ``EventInvokeConfig`` or a function ``Url`` gets
  ``Qualifier: live`` instead, and depends on the alias.

On the new side (``publish=True``) a version the deployment would not replace is renamed to
carry the hash (LG002). On the baseline, for the phase-one change, existing versions are
left as they are: publishing again an unchanged function fails ("version already exists").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewer.diff.schemas import create_only
from reviewer.fixes.document import Document, Node
from reviewer.fixes.operations import (
    OperationError,
    add_depends_on,
    insert_resources,
    rename_resource,
    set_entry,
)
from reviewer.fixes.render import GetAtt, Ref, Style
from reviewer.fixes.repoint import AliasTarget, repoint
from reviewer.fixes.textedit import EditConflict, TextEdits
from reviewer.model.consumers import Role
from reviewer.model.intrinsics import referenced_ids
from reviewer.model.references import AliasInfo, FunctionWiring, Reference
from reviewer.model.template import StackTemplate

ALIAS_NAME = "live"
HASH_LENGTH = 10
_HASH_SUFFIX = re.compile(rf"[0-9a-f]{{{HASH_LENGTH}}}$")

#: Consumers whose ``Qualifier`` property says which version or alias the named function is.
QUALIFIED_BY_PROPERTY = {
    "AWS::Lambda::EventInvokeConfig": "FunctionName",
    "AWS::Lambda::Url": "TargetFunctionArn",
}
#: Consumers that need a version (not an alias): left for the user, with a note.
NEEDS_VERSION = frozenset({"AWS::CloudFront::Distribution"})
API_DEPLOYMENT = "AWS::ApiGateway::Deployment"
NESTED_STACK = "AWS::CloudFormation::Stack"
_API_CONSUMERS = frozenset({"AWS::ApiGateway::Method", "AWS::ApiGateway::RestApi"})


@dataclass
class Wired:
    """What the wiring of one function changes in one file."""

    edits: TextEdits
    alias_id: str
    alias_name: str
    version_id: str | None = None
    added: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    repointed: list[str] = field(default_factory=list)
    aliases_pointed: list[str] = field(default_factory=list)
    untouched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.edits)


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
    blob = {"Properties": properties, "References": referenced, "Parameters": parameters}
    text = json.dumps(blob, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def _at(properties: Mapping[str, Any], pointer: tuple[str, ...]) -> Any:
    value: Any = properties
    for key in pointer:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def hashed_id(base: str, digest: str) -> str:
    """``base`` with its hash suffix replaced by (or extended with) ``digest``."""
    stem = _HASH_SUFFIX.sub("", base) if _HASH_SUFFIX.search(base) else base
    return f"{stem}{digest}"


def unique_id(wanted: str, taken: Iterable[str]) -> str:
    names = set(taken)
    if wanted not in names:
        return wanted
    return next(f"{wanted}{n}" for n in range(2, 1000) if f"{wanted}{n}" not in names)


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
    taken = set(stack.resources)
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


def repoint_consumers(  # noqa: PLR0912, PLR0917
    document: Document,
    stack: StackTemplate,
    wiring: FunctionWiring,
    target: AliasTarget,
    out: Wired,
    style: Style,
    *,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Re-point every unqualified reference that invokes, grants or configures the function."""
    done: set[tuple[int, int]] = set()
    qualified_sources: set[str] = set()
    api_touched = False
    for ref in _to_repoint(wiring):
        if ref.source in skip:
            continue
        label = f"{ref.source} ({ref.consumer})"
        if "/" in ref.source or ref.source.startswith("Outputs."):
            out.untouched.append(label)
            continue
        node = document.resource(ref.source)
        properties = node.get("Properties") if node is not None else None
        if properties is None:
            out.untouched.append(label)
            continue
        if ref.source_type in NEEDS_VERSION:
            out.untouched.append(label)
            out.notes.append(
                f"{ref.source} needs a version ARN, not an alias: point it at "
                f"!Ref {out.version_id} yourself"
            )
            continue
        if QUALIFIED_BY_PROPERTY.get(ref.source_type) == ref.property_name:
            if ref.source not in qualified_sources:
                qualified_sources.add(ref.source)
                _qualify(document, ref, properties, target, out, style)
            continue
        nodes = document.find(properties, ref.path) or _deepest(document, properties, ref)
        count = 0
        for found in nodes:
            key = (found.start, found.end)
            if key in done:
                count += 1
                continue
            done.add(key)
            try:
                count += repoint(document, out.edits, found, target)
            except EditConflict:
                continue
        if count:
            if ref.source not in out.repointed:
                out.repointed.append(ref.source)
            api_touched = api_touched or ref.source_type in _API_CONSUMERS
        else:
            out.untouched.append(label)
    _repoint_nested_parameters(document, stack, target, out)
    if api_touched:
        _redeploy_apis(document, stack, out)


def _repoint_nested_parameters(
    document: Document, stack: StackTemplate, target: AliasTarget, out: Wired
) -> None:
    """A caller in a nested stack gets the function through a parameter this file passes."""
    for logical_id in stack.of_type(NESTED_STACK):
        prefix = f"{stack.name}.{logical_id}/"
        if not any(label.startswith(prefix) for label in out.untouched):
            continue
        node = document.resource(logical_id)
        properties = node.get("Properties") if node is not None else None
        parameters = properties.get("Parameters") if properties is not None else None
        if parameters is None:
            continue
        try:
            count = repoint(document, out.edits, parameters, target)
        except EditConflict:
            continue
        if count:
            out.repointed.append(logical_id)
            out.untouched = [label for label in out.untouched if not label.startswith(prefix)]


def _to_repoint(wiring: FunctionWiring) -> list[Reference]:
    roles = (Role.INVOKE, Role.GRANT, Role.CONFIGURE)
    return [
        r for r in wiring.references
        if r.role in roles and not r.qualified and r.via_kind in ("function", "name")
    ]


def _deepest(document: Document, properties: Node, ref: Reference) -> list[Node]:
    found = document.deepest(properties, ref.path)
    return [found] if found is not None else []


def _qualify(  # noqa: PLR0917
    document: Document,
    ref: Reference,
    properties: Node,
    target: AliasTarget,
    out: Wired,
    style: Style,
) -> None:
    """``Qualifier: live`` on an EventInvokeConfig or a function URL, after the alias exists."""
    set_entry(document, out.edits, properties, "Qualifier", target.alias_name, style)
    add_depends_on(document, out.edits, ref.source, out.alias_id, style)
    out.repointed.append(ref.source)
    if ref.source_type == "AWS::Lambda::Url":
        out.notes.append(
            f"function URL {ref.source} moves to the alias: its URL changes, so callers that "
            "stored the old one need the new one (stack output or console)"
        )


def _redeploy_apis(document: Document, stack: StackTemplate, out: Wired) -> None:
    """REST API deployments snapshot their integrations: rename them so that the stage gets a
    new deployment with the integrations that now name the alias."""
    for logical_id, resource in stack.of_type(API_DEPLOYMENT).items():
        if "StageName" in resource.properties:
            out.notes.append(
                f"API Gateway serves the new integrations only after a new deployment: "
                f"redeploy the stage of {logical_id} (its StageName keeps latest-guard from "
                "renaming it)"
            )
            continue
        renamed = unique_id(f"{logical_id}{out.alias_name.title()}", stack.resources)
        try:
            rename_resource(document, out.edits, logical_id, renamed)
        except (EditConflict, OperationError):
            out.notes.append(f"redeploy the stage of {logical_id} after this change")
            continue
        out.renamed.append((logical_id, renamed))
