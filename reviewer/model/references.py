"""The reference graph: for every Lambda function, its versions, aliases and consumers.

Built from one side of one stack. Each reference says who refers to the function, through
what (the function itself, a version or an alias), whether the path it gives is qualified,
and what the reference does (invoke, grant, configure, define). Facts sheet §2 gives what
``Ref`` and ``Fn::GetAtt`` return for each Lambda resource type; §3 the consumer properties.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewer.model.consumers import Role, classify
from reviewer.model.intrinsics import Hit, find_hits, qualifier_in_suffix
from reviewer.model.template import ALIAS, FUNCTION, VERSION, PropertyPath, Resource, StackTemplate

LATEST = "$LATEST"

#: Consumers whose own ``Qualifier`` property qualifies the function that one property names:
#: (property naming the function, property holding the qualifier). Other properties of the
#: same resource (an EventInvokeConfig's destinations) are not qualified by it.
_QUALIFIER_PROPERTY: dict[str, tuple[PropertyPath, PropertyPath]] = {
    "AWS::Lambda::EventInvokeConfig": (("FunctionName",), ("Qualifier",)),
    "AWS::Lambda::Url": (("TargetFunctionArn",), ("Qualifier",)),
    "AWS::SSM::MaintenanceWindowTask": (
        ("TaskArn",),
        ("TaskInvocationParameters", "MaintenanceWindowLambdaParameters", "Qualifier"),
    ),
}

#: Consumer properties that may hold a bare function name ("my-fn" or "my-fn:live").
_NAME_PROPERTIES: dict[str, str] = {
    "AWS::Lambda::Permission": "FunctionName",
    "AWS::Lambda::EventSourceMapping": "FunctionName",
    "AWS::Lambda::EventInvokeConfig": "FunctionName",
    "AWS::Lambda::Version": "FunctionName",
    "AWS::Lambda::Alias": "FunctionName",
}

_EVENT_SOURCE_KINDS = {
    "AWS::SQS::Queue": "SQS",
    "AWS::Kinesis::Stream": "Kinesis",
    "AWS::DynamoDB::Table": "DynamoDB stream",
    "AWS::MSK::Cluster": "MSK",
    "AWS::AmazonMQ::Broker": "Amazon MQ",
    "AWS::DocDB::DBCluster": "DocumentDB",
}
_ARN_SERVICE = re.compile(r"^arn:[\w-]*:(sqs|kinesis|dynamodb|kafka|mq):")


#: (function, via, via_kind, qualifier): what a reference resolves to in its stack.
Resolution = tuple[str, str, str, str | None]


@dataclass(frozen=True)
class Reference:
    """One place that refers to a function, directly or through one of its versions or aliases."""

    source: str
    source_type: str
    path: PropertyPath
    function: str
    via: str
    via_kind: str  # "function", "version", "alias" or "name" (a literal name or ARN)
    qualifier: str | None  # None: the unqualified function; "$LATEST" counts as unqualified
    role: Role
    consumer: str

    @property
    def qualified(self) -> bool:
        return self.qualifier is not None and self.qualifier != LATEST

    @property
    def form(self) -> str:
        """How the consumer names the function, in words."""
        if self.via_kind == "alias":
            if self.qualifier == LATEST:
                return f"alias {self.via} on $LATEST"
            return f"alias {self.via}"
        if self.via_kind == "version":
            return f"version {self.via}"
        if self.qualifier == LATEST:
            return "explicit $LATEST"
        if self.qualifier is not None:
            return f"qualified ':{self.qualifier}'" if self.qualifier != "?" else "qualified"
        return "unqualified"

    @property
    def property_name(self) -> str:
        return ".".join(str(p) for p in self.path)


@dataclass(frozen=True)
class AliasInfo:
    """An ``AWS::Lambda::Alias`` and what it points at."""

    logical_id: str
    name: str | None
    function: str
    version: str | None  # logical id of the AWS::Lambda::Version it points at, when known
    on_latest: bool


@dataclass
class FunctionWiring:
    """Everything in one stack that refers to one function."""

    logical_id: str
    versions: list[str] = field(default_factory=list)
    aliases: dict[str, AliasInfo] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)

    def with_role(self, *roles: Role) -> list[Reference]:
        return [r for r in self.references if r.role in roles]

    @property
    def invoking(self) -> list[Reference]:
        return self.with_role(Role.INVOKE)

    @property
    def has_safe_target(self) -> bool:
        """A version, or an alias on a published version, exists for callers to use."""
        return bool(self.versions) or any(not a.on_latest for a in self.aliases.values())


class ReferenceGraph:
    """References to every ``AWS::Lambda::Function`` of one stack template."""

    def __init__(self, stack: StackTemplate) -> None:
        self.stack = stack
        self.functions: dict[str, FunctionWiring] = {
            logical_id: FunctionWiring(logical_id) for logical_id in stack.of_type(FUNCTION)
        }
        self._names = self._function_names()
        self._version_of: dict[str, str] = {}
        self._alias_of: dict[str, AliasInfo] = {}
        self._index_versions_and_aliases()
        self._index_references()

    def wiring(self, function: str) -> FunctionWiring:
        return self.functions[function]

    # -- construction ------------------------------------------------------------------

    def _function_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for logical_id, resource in self.stack.of_type(FUNCTION).items():
            name = resource.properties.get("FunctionName")
            if isinstance(name, str):
                names[name] = logical_id
        return names

    def _function_named_by(self, resource: Resource) -> str | None:
        value = resource.properties.get("FunctionName")
        if isinstance(value, str):
            return self._names.get(value.split(":")[0]) or self._names.get(_arn_name(value))
        for hit in find_hits(value):
            if not hit.literal and hit.target in self.functions:
                return hit.target
            if hit.literal and hit.target in self._names:
                return self._names[hit.target]
        return None

    def _index_versions_and_aliases(self) -> None:
        for logical_id, resource in self.stack.of_type(VERSION).items():
            function = self._function_named_by(resource)
            if function is not None:
                self._version_of[logical_id] = function
                self.functions[function].versions.append(logical_id)
        for logical_id, resource in self.stack.of_type(ALIAS).items():
            function = self._function_named_by(resource)
            if function is None:
                continue
            target = resource.properties.get("FunctionVersion")
            version = next(
                (h.target for h in find_hits(target) if h.target in self._version_of), None
            )
            name = resource.properties.get("Name")
            info = AliasInfo(
                logical_id=logical_id,
                name=name if isinstance(name, str) else None,
                function=function,
                version=version,
                on_latest=_mentions_latest(target),
            )
            self._alias_of[logical_id] = info
            self.functions[function].aliases[logical_id] = info

    def _index_references(self) -> None:
        for logical_id, resource in self.stack.resources.items():
            for hit in _hits_with_names(resource, self._names):
                self._add(source=logical_id, source_type=resource.type, resource=resource, hit=hit)
        for name, output in self.stack.outputs.items():
            # An export is how other stacks reach the function; an output that is not
            # exported only shows a value (to a person, a script): it is not a caller.
            exported = "Export" in output
            for hit in find_hits(output.get("Value"), ()):
                self._add(
                    source=f"Outputs.{name}",
                    source_type="Output",
                    resource=None,
                    hit=hit,
                    role=Role.EXTERNAL if exported else Role.OTHER,
                    label="stack export" if exported else "stack output",
                )

    def forget_source(self, source: str) -> None:
        """Drop the references made by one resource (its consumers are known elsewhere)."""
        for wiring in self.functions.values():
            wiring.references = [r for r in wiring.references if r.source != source]

    def add_from(
        self,
        consumer_stack: StackTemplate,
        resource: Resource,
        hit: Hit,
        resolved: Resolution,
    ) -> None:
        """Record a reference to one of this stack's functions from another stack's resource."""
        self._add(
            source=f"{consumer_stack.name}/{resource.logical_id}",
            source_type=resource.type,
            resource=resource,
            hit=hit,
            resolved=resolved,
            consumer_stack=consumer_stack,
        )

    def _add(
        self,
        *,
        source: str,
        source_type: str,
        resource: Resource | None,
        hit: Hit,
        role: Role | None = None,
        label: str | None = None,
        resolved: Resolution | None = None,
        consumer_stack: StackTemplate | None = None,
    ) -> None:
        resolved = resolved or self.resolve(hit)
        if resolved is None:
            return
        function, via, via_kind, qualifier = resolved
        if source == function and via_kind == "function":
            return  # a function's own properties never refer to itself in a way that invokes it
        if role is None:
            row = classify(source_type, hit.path)
            role, label = row.role, row.label
            if resource is not None:
                label = _describe(consumer_stack or self.stack, resource, hit.path, label)
                qualifier = _consumer_qualifier(resource, hit.path, qualifier)
        alias = self._latest_alias_named(function, qualifier) if via_kind != "alias" else None
        if alias is not None:  # ":current" names an alias on $LATEST: no protection
            via, via_kind, qualifier = alias.logical_id, "alias", LATEST
        self.functions[function].references.append(
            Reference(
                source=source,
                source_type=source_type,
                path=hit.path,
                function=function,
                via=via,
                via_kind=via_kind,
                qualifier=qualifier,
                role=role,
                consumer=label or source_type,
            )
        )

    def _latest_alias_named(self, function: str, qualifier: str | None) -> AliasInfo | None:
        """The alias of ``function`` on ``$LATEST`` that a ``:qualifier`` names, if any."""
        if qualifier is None:
            return None
        aliases = self.functions[function].aliases.values()
        return next((a for a in aliases if a.on_latest and a.name == qualifier), None)

    def resolve(self, hit: Hit) -> Resolution | None:
        """(function, via, via_kind, qualifier) of a hit that names a function, else None."""
        if hit.literal:
            function = self._names.get(hit.target)
            if function is None:
                return None
            return function, hit.target, "name", hit.literal_qualifier
        if hit.target in self.functions and hit.attribute in (None, "Arn"):
            return hit.target, hit.target, "function", qualifier_in_suffix(hit.suffix)
        if hit.target in self._version_of and hit.attribute in (None, "FunctionArn"):
            return self._version_of[hit.target], hit.target, "version", "version"
        alias = self._alias_of.get(hit.target)
        if alias is not None and hit.attribute in (None, "AliasArn"):
            qualifier = LATEST if alias.on_latest else (alias.name or "alias")
            return alias.function, hit.target, "alias", qualifier
        return None


def _hits_with_names(resource: Resource, names: Mapping[str, str]) -> Iterator[Hit]:
    yield from resource.hits
    key = _NAME_PROPERTIES.get(resource.type)
    value = resource.properties.get(key) if key else None
    if key is not None and isinstance(value, str) and not value.startswith("arn:"):
        name, _, qualifier = value.partition(":")
        if name in names:
            yield Hit((key,), name, literal=True, literal_qualifier=qualifier or None)


def _arn_name(value: str) -> str:
    parts = value.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[6]
    return value


def _mentions_latest(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith(LATEST)
    if isinstance(value, Mapping):
        return any(_mentions_latest(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_latest(v) for v in value)
    return False


def _consumer_qualifier(
    resource: Resource, path: PropertyPath, qualifier: str | None
) -> str | None:
    entry = _QUALIFIER_PROPERTY.get(resource.type)
    if entry is None or qualifier is not None or path != entry[0]:
        return qualifier
    value: Any = resource.properties
    for key in entry[1]:
        value = value.get(key) if isinstance(value, Mapping) else None
    if value is None:
        return qualifier
    if isinstance(value, str):
        return value
    return "?"


def _describe(stack: StackTemplate, resource: Resource, path: PropertyPath, label: str) -> str:
    """A more specific consumer label where the resource says more (queue type, HTTP method)."""
    props = resource.properties
    if resource.type == "AWS::Lambda::EventSourceMapping":
        kind = _event_source_kind(stack, props.get("EventSourceArn"))
        return f"{kind} event source mapping" if kind else label
    if resource.type == "AWS::ApiGateway::Method":
        method = props.get("HttpMethod")
        return f"{label} {method}" if isinstance(method, str) else label
    if resource.type == "AWS::Lambda::Function" and path:
        return f"{label} {path[-1]} of {resource.logical_id}"
    if resource.type == "AWS::Lambda::Permission":
        principal = props.get("Principal")
        return f"{label} for {principal}" if isinstance(principal, str) else label
    return label


def _event_source_kind(stack: StackTemplate, value: Any) -> str | None:
    for hit in find_hits(value):
        target = stack.resources.get(hit.target)
        if target is not None and target.type in _EVENT_SOURCE_KINDS:
            return _EVENT_SOURCE_KINDS[target.type]
    if isinstance(value, str):
        match = _ARN_SERVICE.match(value)
        if match:
            return {"sqs": "SQS", "kinesis": "Kinesis", "dynamodb": "DynamoDB stream",
                    "kafka": "MSK", "mq": "Amazon MQ"}[match.group(1)]
    return None
