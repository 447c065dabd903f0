"""The Datadog serverless macro (``DatadogServerless``), expanded as its published source does.

Datadog's macro instruments the Lambda functions of a template: it adds Datadog's library
and extension layers, ``DD_*`` environment variables, and points the handler at Datadog's
wrapper. Those are configuration changes, so a change of the macro's settings together with a
code change races like any other (LG001 names Layers, Environment or Handler). Facts from the
macro's source, https://github.com/DataDog/datadog-cloudformation-macro, ``serverless/src``
at version 0.29.0 (``index.ts``, ``common/env.ts``, ``lambda/lambda.ts``, ``lambda/layer.ts``,
``lambda/env.ts``, ``lambda/redirect.ts``, ``lambda/tracing.ts``, ``lambda/tags.ts``,
``common/tags.ts``):

- **Order.** It handles ``AWS::Lambda::Function`` resources only, so Datadog documents it
  *after* ``AWS::Serverless-2016-10-31`` in the ``Transform`` list; listed before it, it runs
  first (CloudFormation applies transforms in their order) and sees no SAM function.
- **Settings.** The ``Parameters`` of its ``Transform`` entry; without any, the template's
  ``Mappings: Datadog: Parameters``; over the defaults ``addLayers: true``,
  ``addExtension: false``, ``flushMetricsToLogs: true``, ``site: datadoghq.com``,
  ``enableDDTracing: true``, ``enableDDLogs: true``, ``enableEnhancedMetrics: true``,
  ``enableXrayTracing: false``, ``captureLambdaPayload: false``. Functions named in
  ``exclude`` and image functions are left alone.
- **Environment** (a variable the function sets itself is kept): ``DD_API_KEY``,
  ``DD_API_KEY_SECRET_ARN``, ``DD_API_KEY_SSM_ARN``, ``DD_KMS_API_KEY`` from the key settings;
  ``DD_SITE``, ``DD_FLUSH_TO_LOG`` (false with the extension), ``DD_ENHANCED_METRICS``,
  ``DD_TRACE_ENABLED``, ``DD_SERVERLESS_LOGS_ENABLED``, ``DD_CAPTURE_LAMBDA_PAYLOAD``,
  ``DD_SERVICE``, ``DD_ENV``, ``DD_VERSION`` (with the extension only), ``DD_TAGS`` (with the
  ``gitData`` tags appended), ``DD_LOG_LEVEL`` (always set when given), the cold-start,
  profiling, authorizer, flush-deadline, LLM Observability and FIPS settings, and
  ``DD_MERGE_XRAY_TRACES`` when dd-trace is on.
- **Layers** (``addLayers``): the library layer of the function's runtime and architecture,
  ``<pythonLayerVersion|nodeLayerVersion|dotnetLayerVersion|javaLayerVersion|rubyLayerVersion>``
  as its version; the extension (``addExtension`` or ``extensionLayerVersion``):
  ``Datadog-Extension`` or ``Datadog-Extension-ARM`` (``-FIPS`` with ``lambdaFips``) at
  ``extensionLayerVersion``. ARNs are ``arn:aws:lambda:REGION:464622532012:layer:NAME:VERSION``,
  ``arn:aws-us-gov:...:002406178527:...`` in GovCloud. The accounts and the arm64 builds'
  names come from the layer catalogue (``reviewer/model/data/published_layers.toml``); the
  x86_64 name of each runtime's layer from ``layer.ts``. The region is the one the AWS
  configuration names; when none is, it stays ``${AWS::Region}``.
- **Handler**: Python functions run ``datadog_lambda.handler.handler``, Node.js functions
  Datadog's JS handler; the original handler goes into ``DD_LAMBDA_HANDLER`` (set for every
  runtime but .NET and Java, which get ``AWS_LAMBDA_EXEC_WRAPPER`` with the extension).
- **Tracing**: ``enableXrayTracing`` sets ``TracingConfig: {Mode: Active}``.
- **Tags**: ``service``, ``env``, ``version`` and ``tags`` become tags with ``forwarderArn``;
  ``dd_sls_macro_by`` is ``SAM`` (for SAM functions) or ``CDK``.

Not written here, because they are the same on both sides of one comparison or are not the
function's: the ``dd_sls_macro`` tag (the version of the macro deployed in the account), the
settings the macro's own function holds in its environment (defaults an administrator gave
the macro), the X-Ray policy added to the role, and the forwarder's log subscriptions.
Values taken from the template's parameters stay the intrinsic functions that produce them
(``DD_TAGS`` with ``gitData`` is written as a join of its inputs, not as the text): the
comparison evaluates them with the settled parameter values. Where the macro's output cannot
be known here (a switch such as ``addLayers`` from a parameter, a runtime from a parameter, a
template the macro refuses), :class:`~reviewer.sources.cloudformation.macros.NotExpanded`
says why, and the stack is treated as for any macro that is not expanded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from enum import Enum
from functools import cache
from typing import Any

from reviewer.model.layer_catalogue import LayerArn, catalogue
from reviewer.model.template import FUNCTION, StackTemplate
from reviewer.sources.cloudformation.macros import NotExpanded, Transform
from reviewer.sources.cloudformation.region import configured_region

MACRO = "DatadogServerless"
_SAM_FUNCTION = "AWS::Serverless::Function"
_BEFORE_SAM = (
    f"macro {MACRO} runs before AWS::Serverless-2016-10-31 here (the Transform section's "
    "order), so it instruments no SAM function: Datadog lists it after the SAM transform"
)

_DEFAULTS: dict[str, Any] = {
    "addLayers": True,
    "addExtension": False,
    "exclude": [],
    "flushMetricsToLogs": True,
    "site": "datadoghq.com",
    "enableXrayTracing": False,
    "enableDDTracing": True,
    "enableDDLogs": True,
    "enableEnhancedMetrics": True,
    "captureLambdaPayload": False,
}
_SWITCHES = (
    "addLayers", "addExtension", "flushMetricsToLogs", "enableXrayTracing", "enableDDTracing",
    "lambdaFips",
)


class _Kind(Enum):
    DOTNET = "dotnet"
    JAVA = "java"
    NODE = "node"
    PYTHON = "python"
    RUBY = "ruby"
    CUSTOM = "custom"


#: The runtimes the macro knows (``runtimeLookup`` in layer.ts) and their x86_64 library
#: layer; a runtime not listed gets no layer and no handler.
_RUNTIMES: dict[str, tuple[_Kind, str | None]] = {
    **{f"dotnet{v}": (_Kind.DOTNET, "dd-trace-dotnet") for v in ("6", "8", "10")},
    **dict.fromkeys(
        ("java8", "java8.al2", "java11", "java17", "java21", "java25"),
        (_Kind.JAVA, "dd-trace-java"),
    ),
    **{f"nodejs{v}.x": (_Kind.NODE, f"Datadog-Node{v}-x") for v in
       ("12", "14", "16", "18", "20", "22", "24")},
    **{f"python{v}": (_Kind.PYTHON, "Datadog-Python" + v.replace(".", "")) for v in
       ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")},
    **{f"ruby{v}": (_Kind.RUBY, "Datadog-Ruby" + v.replace(".", "-")) for v in
       ("3.2", "3.3", "3.4", "4.0")},
    "provided.al2": (_Kind.CUSTOM, None),
    "provided.al2023": (_Kind.CUSTOM, None),
}
_VERSION_SETTING = {
    _Kind.PYTHON: "pythonLayerVersion",
    _Kind.NODE: "nodeLayerVersion",
    _Kind.DOTNET: "dotnetLayerVersion",
    _Kind.JAVA: "javaLayerVersion",
    _Kind.RUBY: "rubyLayerVersion",
}
_EXTENSION = {"x86_64": "Datadog-Extension", "arm64": "Datadog-Extension-ARM"}
_GOV_REGIONS = frozenset({"us-gov-east-1", "us-gov-west-1"})

#: Environment variables set from a setting when the function does not set them itself.
_ENV_SETTINGS = (
    ("apiKey", "DD_API_KEY"),
    ("apiKeySecretArn", "DD_API_KEY_SECRET_ARN"),
    ("apiKeySsmArn", "DD_API_KEY_SSM_ARN"),
    ("apiKMSKey", "DD_KMS_API_KEY"),
)
_LATER_SETTINGS = (
    ("enableColdStartTracing", "DD_COLD_START_TRACING"),
    ("minColdStartTraceDuration", "DD_MIN_COLD_START_DURATION"),
    ("coldStartTraceSkipLibs", "DD_COLD_START_TRACE_SKIP_LIB"),
    ("enableProfiling", "DD_PROFILING_ENABLED"),
    ("encodeAuthorizerContext", "DD_ENCODE_AUTHORIZER_CONTEXT"),
    ("decodeAuthorizerContext", "DD_DECODE_AUTHORIZER_CONTEXT"),
    ("apmFlushDeadline", "DD_APM_FLUSH_DEADLINE_MILLISECONDS"),
    ("llmObsEnabled", "DD_LLMOBS_ENABLED"),
    ("llmObsMlApp", "DD_LLMOBS_ML_APP"),
    ("llmObsAgentlessEnabled", "DD_LLMOBS_AGENTLESS_ENABLED"),
)
PYTHON_HANDLER = "datadog_lambda.handler.handler"
NODE_HANDLER_WITH_LAYERS = "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler"
NODE_HANDLER = "node_modules/datadog-lambda-js/dist/handler.handler"


def expand(stack: StackTemplate, transform: Transform) -> StackTemplate:
    """``stack`` as the Datadog macro instruments it (see the module doc)."""
    body: dict[str, Any] = json.loads(json.dumps(stack.body, default=str))
    settings = _settings(body, transform)
    resources = body.get("Resources")
    if not isinstance(resources, dict):
        return stack
    if any(isinstance(r, dict) and r.get("Type") == _SAM_FUNCTION for r in resources.values()):
        stack = replace(stack, notes=(*stack.notes, _BEFORE_SAM))
    excluded = settings.get("exclude")
    excluded = set(excluded) if isinstance(excluded, list) else set()
    functions = [
        _Function(logical_id, resource["Properties"])
        for logical_id, resource in resources.items()
        if isinstance(resource, dict)
        and resource.get("Type") == FUNCTION
        and isinstance(resource.get("Properties"), dict)
        and resource["Properties"].get("PackageType") != "Image"
        and logical_id not in excluded
    ]
    if not functions:
        return stack
    _Instrument(settings, "CDKMetadata" in resources).apply(functions)
    return replace(stack, body=body)


def _settings(body: Mapping[str, Any], transform: Transform) -> dict[str, Any]:
    """The macro's settings: the transform's parameters, else the ``Datadog`` mapping's."""
    given: Any = dict(transform.parameters)
    if not given:
        mappings = body.get("Mappings")
        datadog = mappings.get("Datadog") if isinstance(mappings, Mapping) else None
        given = datadog.get("Parameters") if isinstance(datadog, Mapping) else None
    settings = dict(_DEFAULTS)
    if isinstance(given, Mapping):
        settings.update({str(key): value for key, value in given.items()})
    for name in _SWITCHES:
        if isinstance(settings.get(name), Mapping | list):
            raise NotExpanded(f"its {name} setting is not written as a literal")
    return settings


def _truthy(value: Any) -> bool:
    """JavaScript's truth of a setting (the macro tests its settings that way)."""
    if isinstance(value, str):
        return value != ""
    return bool(value)


class _Function:
    """One function the macro instruments: its properties (changed in place) and runtime."""

    def __init__(self, logical_id: str, properties: dict[str, Any]) -> None:
        self.logical_id = logical_id
        self.properties = properties
        runtime = properties.get("Runtime")
        if runtime is not None and not isinstance(runtime, str):
            raise NotExpanded(f"the Runtime of {logical_id} is not written as a literal")
        architectures = properties.get("Architectures")
        first = architectures[0] if isinstance(architectures, list) and architectures else None
        if first is not None and not isinstance(first, str):
            raise NotExpanded(f"the Architectures of {logical_id} are not written as a literal")
        self.runtime = runtime
        self.architecture = first or "x86_64"
        known = _RUNTIMES.get(runtime or "")
        self.kind: _Kind | None = known[0] if known else None
        self.library: str | None = known[1] if known else None

    def variables(self) -> dict[str, Any]:
        """The function's environment variables, made a mapping the macro can add to."""
        environment = self.properties.setdefault("Environment", {})
        if not isinstance(environment, dict) or _is_function(environment):
            raise NotExpanded(f"the Environment of {self.logical_id} is not written as a mapping")
        variables = environment.setdefault("Variables", {})
        if not isinstance(variables, dict) or _is_function(variables):
            raise NotExpanded(f"the Environment of {self.logical_id} is not written as a mapping")
        return variables

    def tags(self) -> list[Any]:
        tags = self.properties.setdefault("Tags", [])
        if not isinstance(tags, list):
            raise NotExpanded(f"the Tags of {self.logical_id} are not written as a list")
        return tags

    def add_layer(self, arn: Any) -> None:
        self.properties["Layers"] = _with_layer(self.properties.get("Layers", []), arn)


def _is_function(value: Mapping[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))


def _with_layer(layers: Any, arn: Any) -> Any:
    """``getNewLayers``: the ARN appended once; into both branches of an ``Fn::If``; any other
    value is left as it is."""
    if isinstance(layers, list):
        return layers if arn in layers else [*layers, arn]
    branches = layers.get("Fn::If") if isinstance(layers, dict) else None
    if isinstance(branches, list) and len(branches) == 3:
        condition, when_true, when_false = branches
        return {"Fn::If": [condition, _with_layer(when_true, arn), _with_layer(when_false, arn)]}
    return layers


class _Instrument:
    """``instrumentLambdas``: the macro's steps, in its order."""

    def __init__(self, settings: dict[str, Any], cdk: bool) -> None:
        self.settings = settings
        self.cdk = cdk
        self.extension = settings.get("extensionLayerVersion") is not None

    def given(self, name: str) -> bool:
        return self.settings.get(name) is not None

    def apply(self, functions: list[_Function]) -> None:
        for function in functions:
            self._environment(function)
        if _truthy(self.settings["addLayers"]):
            for function in functions:
                self._library_layer(function)
        if _truthy(self.settings["addExtension"]) or self.extension:
            for function in functions:
                self._extension_layer(function)
        self._tracing(functions)
        if self.given("forwarderArn"):
            self._forwarder_tags(functions)
        for function in functions:
            self._made_by_tag(function)
        for function in functions:
            self._handler(function)

    def _environment(self, function: _Function) -> None:
        """``setEnvConfiguration``."""
        settings = self.settings
        variables = function.variables()

        def default(name: str, value: Any) -> None:
            if name not in variables:
                variables[name] = value

        synchronous = not self.extension and not _truthy(settings["flushMetricsToLogs"])
        for setting, name in _ENV_SETTINGS:
            if not self.given(setting) or name in variables:
                continue
            if name == "DD_API_KEY_SECRET_ARN" and synchronous and function.kind is _Kind.NODE:
                raise NotExpanded(f"the macro refuses apiKeySecretArn for {function.logical_id}")
            variables[name] = settings[setting]
        default("DD_SITE", settings["site"])
        if self.given("logLevel"):
            variables["DD_LOG_LEVEL"] = settings["logLevel"]
        default("DD_FLUSH_TO_LOG", False if self.extension else settings["flushMetricsToLogs"])
        default("DD_ENHANCED_METRICS", settings["enableEnhancedMetrics"])
        default("DD_TRACE_ENABLED", settings["enableDDTracing"])
        default("DD_SERVERLESS_LOGS_ENABLED", settings["enableDDLogs"])
        default("DD_CAPTURE_LAMBDA_PAYLOAD", settings["captureLambdaPayload"])
        for setting, name in (("service", "DD_SERVICE"), ("env", "DD_ENV")):
            if self.given(setting):
                default(name, settings[setting])
        if _truthy(settings.get("extensionLayerVersion")) and self.given("version"):
            default("DD_VERSION", settings["version"])
        if self.given("tags"):
            default("DD_TAGS", settings["tags"])
        if self.given("gitData"):
            # The git tags are made from gitData's text; a join of the inputs stands for them.
            parts = [variables["DD_TAGS"]] if "DD_TAGS" in variables else []
            variables["DD_TAGS"] = {"Fn::Join": [",", [*parts, settings["gitData"]]]}
        for setting, name in _LATER_SETTINGS:
            if self.given(setting):
                default(name, settings[setting])
        if self.given("lambdaFips"):
            default("DD_LAMBDA_FIPS_MODE", "true" if _truthy(settings["lambdaFips"]) else "false")

    def _library_layer(self, function: _Function) -> None:
        """``applyLayers``: the library layer of the function's runtime."""
        if function.kind is None or function.kind is _Kind.CUSTOM or function.library is None:
            return
        setting = _VERSION_SETTING[function.kind]
        if not self.given(setting):
            raise NotExpanded(f"the macro refuses it: no {setting} for {function.logical_id}")
        name = _build(function.library, function.architecture)
        function.add_layer(_layer_arn(name, self.settings[setting]))

    def _extension_layer(self, function: _Function) -> None:
        """``applyExtensionLayer``: the extension, for every function."""
        if not self.extension:
            raise NotExpanded("the macro refuses it: addExtension without extensionLayerVersion")
        name = _EXTENSION.get(function.architecture)
        if name is None:
            raise NotExpanded(f"no extension build for {function.logical_id}'s architecture")
        if _truthy(self.settings.get("lambdaFips")):
            name += "-FIPS"
        function.add_layer(_layer_arn(name, self.settings["extensionLayerVersion"]))

    def _tracing(self, functions: list[_Function]) -> None:
        """``enableTracing``: X-Ray on the function (the role's policy is not the function's),
        dd-trace through the environment."""
        xray = _truthy(self.settings["enableXrayTracing"])
        dd_trace = _truthy(self.settings["enableDDTracing"])
        for function in functions:
            if xray:
                function.properties["TracingConfig"] = {"Mode": "Active"}
            if dd_trace:
                variables = function.variables()
                variables.setdefault("DD_TRACE_ENABLED", True)
                variables["DD_MERGE_XRAY_TRACES"] = xray

    def _forwarder_tags(self, functions: list[_Function]) -> None:
        """``addDDTags``, and the macro's refusal of unnamed functions without a stack name."""
        if not self.given("stackName") and any(
            "FunctionName" not in f.properties for f in functions
        ):
            raise NotExpanded("the macro refuses it: forwarderArn without stackName")
        for function in functions:
            tags = function.tags()
            keys = {tag.get("Key") for tag in tags if isinstance(tag, Mapping)}
            for setting in ("service", "env", "version"):
                if _truthy(self.settings.get(setting)) and setting not in keys:
                    tags.append({"Key": setting, "Value": self.settings[setting]})
                    keys.add(setting)
            extra = self.settings.get("tags")
            if isinstance(extra, str) and extra:
                for item in extra.split(","):
                    key, _, value = item.partition(":")
                    if key and value and key not in keys:
                        tags.append({"Key": key, "Value": value.split(":")[0]})
                        keys.add(key)

    def _made_by_tag(self, function: _Function) -> None:
        """``addCDKTag`` / ``addSAMTag``."""
        tags = function.tags()
        by_sam = any(
            isinstance(tag, Mapping)
            and tag.get("Key") == "lambda:createdBy"
            and tag.get("Value") == "SAM"
            for tag in tags
        )
        if self.cdk:
            tags.append({"Key": "dd_sls_macro_by", "Value": "CDK"})
        elif by_sam:
            tags.append({"Key": "dd_sls_macro_by", "Value": "SAM"})
        if not tags:
            del function.properties["Tags"]

    def _handler(self, function: _Function) -> None:
        """``redirectHandlers``."""
        if function.kind in (_Kind.DOTNET, _Kind.JAVA):
            if _truthy(self.settings["addExtension"]) or self.extension:
                function.variables()["AWS_LAMBDA_EXEC_WRAPPER"] = "/opt/datadog_wrapper"
            return
        original = function.properties.get("Handler")
        variables = function.variables()
        if original is not None:
            variables["DD_LAMBDA_HANDLER"] = original
        else:
            variables.pop("DD_LAMBDA_HANDLER", None)
        if function.kind is _Kind.PYTHON:
            function.properties["Handler"] = PYTHON_HANDLER
        elif function.kind is _Kind.NODE:
            layers = _truthy(self.settings["addLayers"])
            function.properties["Handler"] = NODE_HANDLER_WITH_LAYERS if layers else NODE_HANDLER


def _build(library: str, architecture: str) -> str:
    """The name of a library layer's build for ``architecture``: the x86_64 name, or the
    arm64 build the catalogue names for it (the same name when it runs on both)."""
    if architecture == "x86_64":
        return library
    accounts = _accounts()
    arn = LayerArn("aws", "us-east-1", accounts["aws"], library, None)
    known = catalogue().lookup(arn)
    if architecture == "arm64" and known is not None:
        if known.entry.neutral:
            return library
        if known.counterpart is not None:
            return known.counterpart
    raise NotExpanded(f"no {architecture} build of {library} is known")


@cache
def _accounts() -> dict[str, str]:
    """Datadog's publishing account per partition, from the catalogue's Extension examples."""
    entry = catalogue().entry_named(_EXTENSION["x86_64"])
    found: dict[str, str] = {}
    for example in entry.examples if entry is not None else ():
        arn = LayerArn.parse(example)
        if arn is not None:
            found.setdefault(arn.partition, arn.account)
    if set(found) != {"aws", "aws-us-gov"}:
        raise NotExpanded("the layer catalogue names no Datadog publishing account")
    return found


def _layer_arn(name: str, version: Any) -> Any:
    """The ARN of a Datadog layer version: text when the region and version are known, else
    an ``Fn::Sub`` that keeps ``${AWS::Region}`` and the version's intrinsic function."""
    if isinstance(version, bool) or not isinstance(version, str | int | float | Mapping):
        raise NotExpanded("a layer version is not a number")
    region = configured_region()
    partition = "aws-us-gov" if region in _GOV_REGIONS else "aws"
    account = _accounts()[partition]
    where = region or "${AWS::Region}"
    if isinstance(version, Mapping):
        text = f"arn:{partition}:lambda:{where}:{account}:layer:{name}:${{Version}}"
        return {"Fn::Sub": [text, {"Version": dict(version)}]}
    number = str(int(version)) if isinstance(version, float) and version.is_integer() else str(
        version
    )
    text = f"arn:{partition}:lambda:{where}:{account}:layer:{name}:{number}"
    return {"Fn::Sub": text} if region is None else text
