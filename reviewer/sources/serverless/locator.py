"""Where a resource of a Serverless Framework package was written in the service configuration.

The generated template records no source, but the framework names what it generates after
the function key (``lib/plugins/aws/lib/naming.js`` in serverless v3): the key is normalised
(first letter upper-cased, ``-`` spelled ``Dash``, ``_`` spelled ``Underscore``) and a suffix
added: ``<Name>LambdaFunction``, ``<Name>LambdaVersion<hash>``, ``<Name>LogGroup``,
``<Name>EventSourceMappingSQS<Queue>``, ``<Name>EventsRuleSchedule1``,
``<Name>LambdaPermissionApiGateway``... So:

- a resource written under ``resources.Resources`` points at its own entry (``exact``);
- a layer ``<Name>LambdaLayer`` points at its entry under ``layers`` and a property at its key
  (``compatibleArchitectures``, ``path`` for ``Content``...) (``exact``);
- the function ``<Name>LambdaFunction`` points at its entry under ``functions`` (``exact``), and
  a property at the key that sets it: the function's own (``architecture``, ``layers``,
  ``environment`` and one variable in it, ``runtime``, ``handler``, ``memorySize``,
  ``timeout``...) or else the ``provider`` default it inherits (``exact``);
- a resource named after a function, or one that refers to exactly one function without
  being named after it (``ApiGatewayMethod...`` or an EventBridge rule named after the
  deployed function name), points at the function entry (``likely``).

The symbol of every location under a function is the function key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reviewer.contract.enums import Confidence
from reviewer.contract.findings import Location
from reviewer.contract.paths import shown
from reviewer.model.intrinsics import find_hits
from reviewer.model.template import PropertyPath, Resource
from reviewer.sources.serverless.config import Place, ServiceConfig

#: What follows the normalised function name in the logical ids the framework (and
#: serverless-plugin-canary-deployments) generates for a function.
GENERATED_SUFFIXES = (
    "LambdaFunction",  # also ...Url, ...Alias<Name> and ...DeploymentGroup
    "LambdaVersion",
    "LambdaEvConf",
    "LambdaPermission",
    "LambdaAuthorizerPermission",
    "LogGroup",
    "EventSourceMapping",
    "EventsRule",
    "EventBridgeLambdaPermission",
    "CustomEventBridge",
    "CustomCognitoUserPool",
    "CustomS3",
    "SchedulerSchedule",
    "IotTopicRule",
    "IotProvisioningTemplate",
    "SnsSubscription",
    "ProvConcLambdaAlias",
    "SnapStartLambdaAlias",
    "Alb",
    "LogsSubscriptionFilter",
    "ApiGatewayAuthorizer",
    "WebsocketsIntegration",
    "WebsocketsAuthorizer",
    "StreamConsumer",
)

#: CloudFormation property of the function -> (its key on the function, provider keys).
PROPERTY_KEYS: Mapping[str, tuple[str | None, tuple[PropertyPath, ...]]] = {
    "Architectures": ("architecture", (("architecture",),)),
    "Code": ("package", ()),
    "DeadLetterConfig": ("onError", ()),
    "Description": ("description", ()),
    "Environment": ("environment", (("environment",),)),
    "EphemeralStorage": ("ephemeralStorageSize", ()),
    "FileSystemConfigs": ("fileSystemConfig", ()),
    "FunctionName": ("name", ()),
    "Handler": ("handler", ()),
    "ImageConfig": ("image", ()),
    "KmsKeyArn": ("kmsKeyArn", (("kmsKeyArn",),)),
    "Layers": ("layers", (("layers",),)),
    "MemorySize": ("memorySize", (("memorySize",),)),
    "ReservedConcurrentExecutions": ("reservedConcurrency", ()),
    "Role": ("role", (("iam", "role"), ("role",))),
    "Runtime": ("runtime", (("runtime",),)),
    "SnapStart": ("snapStart", ()),
    "Tags": ("tags", (("tags",),)),
    "Timeout": ("timeout", (("timeout",),)),
    "TracingConfig": ("tracing", (("tracing", "lambda"),)),
    "VpcConfig": ("vpc", (("vpc",),)),
}


_SHA1 = re.compile(r"[0-9a-f]{40}")

#: CloudFormation property of a layer version -> its key under ``layers.<name>``.
LAYER_KEYS: Mapping[str, str] = {
    "CompatibleArchitectures": "compatibleArchitectures",
    "CompatibleRuntimes": "compatibleRuntimes",
    "Content": "path",
    "Description": "description",
    "LayerName": "name",
    "LicenseInfo": "licenseInfo",
}


def normalized_name(function_key: str) -> str:
    """The framework's ``getNormalizedFunctionName``: ``get-orders`` -> ``GetDashorders``."""
    name = function_key.replace("-", "Dash").replace("_", "Underscore")
    return name[:1].upper() + name[1:]


def function_logical_id(function_key: str) -> str:
    return f"{normalized_name(function_key)}LambdaFunction"


@dataclass(frozen=True)
class ServerlessLocator:
    """A :data:`~reviewer.model.template.SourceLocator` over one service configuration."""

    config: ServiceConfig
    resources: Mapping[str, Resource]

    def __call__(self, logical_id: str, path: PropertyPath) -> Location | None:
        written = self.config.resources.get(logical_id)
        if written is not None:
            return self._resource(logical_id, written, path)
        layer = self._layer(logical_id)
        if layer is not None:
            return self._layer_location(layer, path)
        key = self.owner(logical_id)
        if key is None:
            return None
        extended = self._extension(logical_id, path)
        if extended is not None:
            return Location(_shown(extended.path), extended.line(), Confidence.EXACT, key)
        entry = self.config.functions[key]
        exact = self.config.exact and logical_id == function_logical_id(key)
        confidence = Confidence.EXACT if exact else Confidence.LIKELY
        place = self._property(entry, path) if exact and path else None
        line = (place or entry).line()
        return Location(_shown((place or entry).path), line, confidence, key)

    def owner(self, logical_id: str) -> str | None:
        """The function key a resource was generated for, by its name or its references."""
        key = self._named_after(logical_id)
        if key is not None:
            return key
        resource = self.resources.get(logical_id)
        if resource is None:
            return None
        owners = {self._named_after(hit.target) for hit in find_hits(resource.properties)}
        owners.discard(None)
        return owners.pop() if len(owners) == 1 else None

    def _named_after(self, logical_id: str) -> str | None:
        """The function whose normalised name starts ``logical_id``, followed by a generated
        suffix; the longest name wins (keys ``orders`` and ``ordersLambda`` both fit
        ``OrdersLambdaLogGroup``; only ``ordersLambda`` made it)."""
        matches = [
            key
            for key in self.config.functions
            if logical_id.startswith(name := normalized_name(key))
            and logical_id[len(name):].startswith(GENERATED_SUFFIXES)
        ]
        return max(matches, key=lambda key: len(normalized_name(key)), default=None)

    def _extension(self, logical_id: str, path: PropertyPath) -> Place | None:
        """The property as ``resources.extensions`` sets it: that wins over the function's
        own keys (the framework merges the extension last)."""
        extension = self.config.extensions.get(logical_id) if path else None
        return _descend(extension, ("Properties", *path)) if extension is not None else None

    def _property(self, entry: Place, path: PropertyPath) -> Place | None:
        """The key that sets a function property: the function's own, else the provider's."""
        own, inherited = PROPERTY_KEYS.get(str(path[0]), (None, ()))
        places: list[tuple[Place | None, PropertyPath]] = []
        if own:
            places.append((entry, (own,)))
        places.extend((self.config.provider, keys) for keys in inherited)
        detail = _detail(path)
        deeper = [(place, (*keys, *detail)) for place, keys in places] if detail else []
        for place, keys in deeper + places:
            found = _descend(place, keys)
            if found is not None:
                return found
        return None

    def _layer(self, logical_id: str) -> str | None:
        """The layer key of ``<Name>LambdaLayer`` (``<Name>LambdaLayer<sha1>`` when retained)."""
        for key in self.config.layers:
            stem = f"{normalized_name(key)}LambdaLayer"
            if logical_id == stem or (
                logical_id.startswith(stem) and _SHA1.fullmatch(logical_id[len(stem):])
            ):
                return key
        return None

    def _layer_location(self, key: str, path: PropertyPath) -> Location:
        entry = self.config.layers[key]
        name = LAYER_KEYS.get(str(path[0])) if path else None
        place = (entry.child(name) if name else None) or entry
        return Location(_shown(place.path), place.line(), Confidence.EXACT, key)

    def _resource(self, logical_id: str, entry: Place, path: PropertyPath) -> Location:
        line = entry.line()
        if path:
            full: PropertyPath = ("Properties", *path)
            for depth in range(len(full), 0, -1):
                found = entry.line(full[:depth])
                if found is not None:
                    line = found
                    break
        return Location(_shown(entry.path), line, Confidence.EXACT, logical_id)


def _shown(path: Path) -> str:
    """A file named from the working folder when it lies inside it (like the template), else
    by its absolute path: the configuration was found by searching absolute folders."""
    return shown(path)


def _detail(path: PropertyPath) -> PropertyPath:
    """The part of a property path that the configuration spells the same way below the key.

    ``Environment.Variables.KEY`` is ``environment.KEY``; ``Layers.0`` is ``layers.0``.
    """
    if path[0] == "Environment" and len(path) >= 3 and path[1] == "Variables":
        return (path[2],)
    if path[0] == "Layers" and len(path) >= 2 and isinstance(path[1], int):
        return (path[1],)
    return ()


def _descend(place: Place | None, keys: PropertyPath) -> Place | None:
    for key in keys:
        if place is None:
            return None
        place = place.child(key)
    return place
