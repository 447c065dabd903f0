"""Generate the largest legal template pair latest-guard may meet, for the benchmark.

CloudFormation accepts at most 500 resources and a template body of at most 1 MB (from S3).
:func:`build_pair` makes a baseline and a new template at those limits:

- about 90 Lambda functions, each with its own execution role (a large inline policy) and a
  consumer that invokes it: an API Gateway method with its permission, an SQS or Kinesis
  event source mapping, an EventBridge rule with its permission, an SNS subscription with its
  permission; every fourth function has a version and an alias, and its consumer invokes
  the alias;
- shared layers, a REST API, parameters, conditions (``Fn::If``), ``Fn::Select``/``Fn::Split``
  of a parameter, ``Fn::ImportValue`` of another stack's export, outputs with exports;
- Step Functions state machines whose ``DefinitionString`` is an ``Fn::Sub`` of a JSON
  definition with variables, plus ``DefinitionSubstitutions``, invoking several functions;
- filler resources (DynamoDB tables read through environment variables, CloudWatch alarms)
  up to exactly 500 resources; the inline policies grow until the JSON file is just under
  1 MB.

The new side changes the code of some functions, alone or with an environment variable, the
memory size or the architecture, and the content of one shared layer (which replaces it, so
its functions' ``Layers`` change by reference): findings of every severity exist.

Both sides are written as JSON (indented) and as YAML with short-form tags (``!Ref``,
``!GetAtt``, ``!Sub`` ...). Run ``python benchmarks/generate.py DIR`` to write
``baseline.json``, ``template.json``, ``baseline.yaml`` and ``template.yaml`` into DIR.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

MAX_RESOURCES = 500
#: CloudFormation's limit for a template body uploaded to S3 is 1 MB; stay just below it.
TARGET_BYTES = 1_000_000
FUNCTIONS = 90
STATE_MACHINES = 10
LAYERS = 4
KINDS = ("api", "sqs", "kinesis", "events", "sns")
ACCOUNT = "123456789012"

Template = dict[str, Any]


# -- intrinsic-function helpers (long form, as CloudFormation receives JSON) ----------------


def ref(name: str) -> dict[str, Any]:
    return {"Ref": name}


def get_att(name: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [name, attribute]}


def sub(text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Fn::Sub": [text, variables] if variables else text}


def join(delimiter: str, items: list[Any]) -> dict[str, Any]:
    return {"Fn::Join": [delimiter, items]}


def if_(condition: str, yes: Any, no: Any) -> dict[str, Any]:
    return {"Fn::If": [condition, yes, no]}


# -- resources -------------------------------------------------------------------------------


def _policy(index: int, statements: int) -> dict[str, Any]:
    """A realistic inline policy: logs, the function's own table and queue, many S3 prefixes."""
    body: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": sub(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                f"/aws/lambda/bench-fn-{index:03d}:*"
            ),
        },
        {
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
    ]
    for n in range(statements):
        body.append(
            {
                "Sid": f"Data{index:03d}x{n:02d}",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:ListBucket",
                ],
                "Resource": [
                    join("", ["arn:", ref("AWS::Partition"), f":s3:::bench-data-{n:02d}"]),
                    sub(
                        f"arn:${{AWS::Partition}}:s3:::bench-data-{n:02d}/tenants/"
                        f"${{Stage}}/fn-{index:03d}/*"
                    ),
                ],
                "Condition": {
                    "StringEquals": {"aws:ResourceAccount": ref("AWS::AccountId")},
                    "Bool": {"aws:SecureTransport": "true"},
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": body}


def _trust(service: Any) -> dict[str, Any]:
    """A role's trust policy: ``service`` may assume it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def _role(index: int, statements: int) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": _trust("lambda.amazonaws.com"),
            "ManagedPolicyArns": [
                sub(
                    "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                    "AWSLambdaVPCAccessExecutionRole"
                )
            ],
            "Policies": [{"PolicyName": f"fn-{index:03d}-inline", "PolicyDocument": _policy(
                index, statements
            )}],
            "Tags": [{"Key": "team", "Value": f"team-{index % 7}"}],
        },
    }


def _function(index: int, layer: int, table: str) -> dict[str, Any]:
    name = f"Fn{index:03d}"
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": sub(f"${{AWS::StackName}}-fn-{index:03d}"),
            "Runtime": "python3.12",
            "Handler": f"handlers.fn_{index:03d}.handler",
            "Role": get_att(f"{name}Role", "Arn"),
            "Code": {"S3Bucket": ref("ArtifactBucket"), "S3Key": f"code/fn-{index:03d}/v1.zip"},
            "Layers": [ref(f"SharedLayer{layer}")],
            "Architectures": ["x86_64"],
            "MemorySize": if_("IsProd", 1024, 256),
            "Timeout": 30,
            "Environment": {
                "Variables": {
                    "STAGE": ref("Stage"),
                    "TABLE_NAME": ref(table),
                    "TABLE_ARN": get_att(table, "Arn"),
                    "SHARED_BUS": {"Fn::ImportValue": sub("${Stage}-shared-event-bus-arn")},
                    "LOG_LEVEL": if_("IsProd", "INFO", "DEBUG"),
                }
            },
            "VpcConfig": {
                "SecurityGroupIds": [{"Fn::ImportValue": "shared-vpc-lambda-sg"}],
                "SubnetIds": [
                    {"Fn::Select": [0, {"Fn::Split": [",", ref("SubnetIds")]}]},
                    {"Fn::Select": [1, {"Fn::Split": [",", ref("SubnetIds")]}]},
                ],
            },
            "TracingConfig": {"Mode": "Active"},
            "Tags": [
                {"Key": "service", "Value": "bench"},
                {"Key": "function", "Value": f"fn-{index:03d}"},
            ],
        },
        "Metadata": {"aws:asset:path": f"asset.fn{index:03d}"},
    }


def _permission(function_target: Any, principal: str, source_arn: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": function_target,
            "Principal": principal,
            "SourceArn": source_arn,
        },
    }


def _consumers(index: int, kind: str, aliased: bool) -> dict[str, dict[str, Any]]:
    """The resources through which traffic reaches function ``index``."""
    fn = f"Fn{index:03d}"
    target_arn: Any = ref(f"{fn}Live") if aliased else get_att(fn, "Arn")
    target_name: Any = ref(f"{fn}Live") if aliased else ref(fn)
    uri_target = f"${{{fn}Live}}" if aliased else f"${{{fn}.Arn}}"
    out: dict[str, dict[str, Any]] = {}
    if kind == "api":
        out[f"{fn}ApiResource"] = {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {
                "RestApiId": ref("Api"),
                "ParentId": get_att("Api", "RootResourceId"),
                "PathPart": f"fn{index:03d}",
            },
        }
        out[f"{fn}ApiMethod"] = {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "RestApiId": ref("Api"),
                "ResourceId": ref(f"{fn}ApiResource"),
                "HttpMethod": "POST",
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "AWS_PROXY",
                    "IntegrationHttpMethod": "POST",
                    "Uri": sub(
                        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
                        f"2015-03-31/functions/{uri_target}/invocations"
                    ),
                },
            },
        }
        out[f"{fn}ApiPermission"] = _permission(
            target_name,
            "apigateway.amazonaws.com",
            sub(f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:"
                f"${{Api}}/*/POST/fn{index:03d}"),
        )
    elif kind in ("sqs", "kinesis"):
        source = f"{fn}Queue" if kind == "sqs" else f"{fn}Stream"
        out[source] = (
            {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 180}}
            if kind == "sqs"
            else {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}}
        )
        mapping: dict[str, Any] = {
            "EventSourceArn": get_att(source, "Arn"),
            "FunctionName": target_name,
            "BatchSize": 10,
        }
        if kind == "kinesis":
            mapping["StartingPosition"] = "LATEST"
        out[f"{fn}Mapping"] = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": mapping}
    elif kind == "events":
        out[f"{fn}Schedule"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "ScheduleExpression": "rate(5 minutes)",
                "State": "ENABLED",
                "Targets": [{"Id": f"fn{index:03d}", "Arn": target_arn}],
            },
        }
        out[f"{fn}SchedulePermission"] = _permission(
            target_name, "events.amazonaws.com", get_att(f"{fn}Schedule", "Arn")
        )
    else:  # sns
        out[f"{fn}Topic"] = {"Type": "AWS::SNS::Topic", "Properties": {}}
        out[f"{fn}Subscription"] = {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": ref(f"{fn}Topic"),
                "Protocol": "lambda",
                "Endpoint": target_arn,
            },
        }
        out[f"{fn}TopicPermission"] = _permission(
            target_name, "sns.amazonaws.com", ref(f"{fn}Topic")
        )
    return out


def _version_and_alias(index: int) -> dict[str, dict[str, Any]]:
    fn = f"Fn{index:03d}"
    return {
        f"{fn}Version": {
            "Type": "AWS::Lambda::Version",
            "Properties": {"FunctionName": ref(fn)},
        },
        f"{fn}Live": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "FunctionName": ref(fn),
                "FunctionVersion": get_att(f"{fn}Version", "Version"),
                "Name": "live",
            },
        },
    }


def _definition(machine: int, functions: list[int], substituted: set[int]) -> str:
    """An Amazon States Language definition invoking ``functions`` in turn, as JSON text.

    Functions in ``substituted`` come from ``DefinitionSubstitutions``, which Step Functions
    fills in after ``Fn::Sub``: their placeholders are escaped as ``${!Name}``.
    """
    states: dict[str, Any] = {}
    for step, index in enumerate(functions):
        name = f"Step{step:02d}"
        following = f"Step{step + 1:02d}" if step + 1 < len(functions) else "Done"
        bang = "!" if index in substituted else ""
        placeholder = f"${{{bang}Fn{index:03d}Arn}}"
        if step % 2 == 0:
            task: dict[str, Any] = {"Type": "Task", "Resource": placeholder}
        else:
            task = {
                "Type": "Task",
                "Resource": "arn:${AWS::Partition}:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": placeholder,
                    "Payload.$": "$",
                },
                "OutputPath": "$.Payload",
            }
        task.update(
            {
                "Retry": [
                    {
                        "ErrorEquals": [
                            "Lambda.ServiceException",
                            "Lambda.TooManyRequestsException",
                        ],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 6,
                        "BackoffRate": 2,
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": following,
            }
        )
        states[name] = task
    states["Done"] = {"Type": "Succeed"}
    states["Failed"] = {"Type": "Fail", "Error": f"Machine{machine:02d}Failed"}
    document = {
        "Comment": f"benchmark workflow {machine} in ${{AWS::Region}} for ${{Stage}}",
        "StartAt": "Step00",
        "States": states,
    }
    return json.dumps(document, indent=2)


def _state_machine(machine: int, functions: list[int]) -> dict[str, dict[str, Any]]:
    head, rest = functions[: len(functions) // 2], functions[len(functions) // 2 :]
    variables = {f"Fn{i:03d}Arn": get_att(f"Fn{i:03d}", "Arn") for i in head}
    name = f"Workflow{machine:02d}"
    return {
        f"{name}Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": _trust(sub("states.${AWS::Region}.amazonaws.com")),
                "Policies": [
                    {
                        "PolicyName": "invoke",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "lambda:InvokeFunction",
                                    "Resource": [get_att(f"Fn{i:03d}", "Arn") for i in functions],
                                }
                            ],
                        },
                    }
                ],
            },
        },
        name: {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "RoleArn": get_att(f"{name}Role", "Arn"),
                "DefinitionString": sub(_definition(machine, functions, set(rest)), variables),
                "DefinitionSubstitutions": {
                    f"Fn{i:03d}Arn": get_att(f"Fn{i:03d}", "Arn") for i in rest
                },
            },
        },
    }


def _layer(index: int, key: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::LayerVersion",
        "Properties": {
            "LayerName": sub(f"${{AWS::StackName}}-shared-{index}"),
            "Content": {"S3Bucket": ref("ArtifactBucket"), "S3Key": key},
            "CompatibleRuntimes": ["python3.12"],
            "CompatibleArchitectures": ["x86_64"],
        },
    }


def _table(index: int) -> dict[str, Any]:
    return {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            "Tags": [{"Key": "table", "Value": f"t{index:02d}"}],
        },
    }


def _alarm(index: int) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": f"errors of fn-{index:03d}",
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": ref(f"Fn{index:03d}")}],
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        },
    }


def baseline(statements: int) -> Template:
    """The deployed template: exactly ``MAX_RESOURCES`` resources."""
    resources: dict[str, dict[str, Any]] = {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": sub("${Stage}-bench")}},
    }
    for layer in range(LAYERS):
        resources[f"SharedLayer{layer}"] = _layer(layer, f"layers/shared-{layer}/v1.zip")
    tables = [f"Table{n:02d}" for n in range(12)]
    resources.update({name: _table(n) for n, name in enumerate(tables)})
    for index in range(FUNCTIONS):
        fn = f"Fn{index:03d}"
        aliased = index % 4 == 3
        resources[f"{fn}Role"] = _role(index, statements)
        resources[fn] = _function(index, index % LAYERS, tables[index % len(tables)])
        if aliased:
            resources.update(_version_and_alias(index))
        resources.update(_consumers(index, KINDS[index % len(KINDS)], aliased))
    for machine in range(STATE_MACHINES):
        members = [(machine * 7 + step * 3) % FUNCTIONS for step in range(8)]
        resources.update(_state_machine(machine, sorted(set(members))))
    filler = 0
    while len(resources) < MAX_RESOURCES:
        resources[f"Fn{filler:03d}ErrorAlarm"] = _alarm(filler)
        filler += 1
    if len(resources) > MAX_RESOURCES:
        raise SystemExit(f"generator made {len(resources)} resources; lower FUNCTIONS")
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "latest-guard benchmark: 500 resources, about 1 MB",
        "Parameters": {
            "Stage": {"Type": "String", "Default": "prod", "AllowedValues": ["dev", "prod"]},
            "ArtifactBucket": {"Type": "String", "Default": "bench-artifacts"},
            "SubnetIds": {"Type": "String", "Default": "subnet-0a,subnet-0b"},
        },
        "Conditions": {"IsProd": {"Fn::Equals": [ref("Stage"), "prod"]}},
        "Resources": resources,
        "Outputs": {
            f"Fn{i:03d}Arn": {
                "Value": get_att(f"Fn{i:03d}", "Arn"),
                "Export": {"Name": sub(f"${{AWS::StackName}}-fn-{i:03d}-arn")},
            }
            for i in range(0, FUNCTIONS, 9)
        }
        | {"ApiId": {"Value": ref("Api")}},
    }


def changed(old: Template) -> Template:
    """The new side: code changes alone and with configuration, and one replaced layer."""
    new = copy.deepcopy(old)
    resources = new["Resources"]
    resources["SharedLayer0"]["Properties"]["Content"]["S3Key"] = "layers/shared-0/v2.zip"
    for index in range(FUNCTIONS):
        props = resources[f"Fn{index:03d}"]["Properties"]
        if index % 3 == 0:
            props["Code"]["S3Key"] = f"code/fn-{index:03d}/v2.zip"
        if index % 6 == 0:
            props["Environment"]["Variables"]["FEATURE_FLAG"] = "on"
        if index % 9 == 3:
            props["MemorySize"] = if_("IsProd", 2048, 256)
        if index % 15 == 6:
            props["Tags"].append({"Key": "cost-centre", "Value": "42"})
    return new


def build_pair(target_bytes: int = TARGET_BYTES) -> tuple[Template, Template]:
    """(baseline, new): the most policy statements that keep both JSON files under the target."""
    low, high = 0, 64
    while low < high:
        middle = (low + high + 1) // 2
        if max(len(to_json(t)) for t in _sides(middle)) <= target_bytes:
            low = middle
        else:
            high = middle - 1
    return _sides(low)


def _sides(statements: int) -> tuple[Template, Template]:
    old = baseline(statements)
    return old, changed(old)


# -- writers -----------------------------------------------------------------------------------


def to_json(template: Template) -> str:
    return json.dumps(template, indent=1) + "\n"


_SHORT = {
    "Ref": "!Ref",
    "Fn::Sub": "!Sub",
    "Fn::Join": "!Join",
    "Fn::If": "!If",
    "Fn::Select": "!Select",
    "Fn::Split": "!Split",
    "Fn::ImportValue": "!ImportValue",
    "Fn::Equals": "!Equals",
    "Fn::GetAZs": "!GetAZs",
    "Fn::Base64": "!Base64",
}


_TAGS = frozenset({*_SHORT.values(), "!GetAtt"})


class _Tagged:
    """A short-form intrinsic function for the YAML writer."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag = tag
        self.value = value


def _short_form(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Fn::GetAtt" and isinstance(arg, list) and all(
                isinstance(a, str) for a in arg
            ):
                return _Tagged("!GetAtt", ".".join(arg))
            if key in _SHORT:
                inner = _short_form(arg)
                # A YAML node has one tag: ``!ImportValue !Sub x`` keeps its outer long form.
                return {key: inner} if isinstance(inner, _Tagged) else _Tagged(_SHORT[key], inner)
        return {k: _short_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short_form(v) for v in value]
    return value


class _Dumper(yaml.SafeDumper):
    """A safe dumper that writes no anchors and leaves short-form tag arguments unquoted."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        event = self.event
        analysis = self.analysis
        if (
            style == "'"
            and isinstance(event, yaml.ScalarEvent)
            and event.tag in _TAGS
            and analysis is not None
            and not analysis.multiline
            and (analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain)
        ):
            return ""
        return style


def _represent_tagged(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value, flow_style=None)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    style = "|" if isinstance(data.value, str) and "\n" in data.value else None
    return dumper.represent_scalar(data.tag, str(data.value), style=style)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(_Tagged, _represent_tagged)
_Dumper.add_representer(str, _represent_str)


def to_yaml(template: Template) -> str:
    """YAML with short-form tags, keys in template order."""
    dumped: str = yaml.dump(
        _short_form(template), Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True
    )
    return dumped


def write_pair(directory: Path) -> dict[str, Path]:
    """Write both sides as JSON and YAML into ``directory``; returns the paths by role."""
    old, new = build_pair()
    directory.mkdir(parents=True, exist_ok=True)
    writers: dict[str, tuple[Template, Callable[[Template], str]]] = {
        "baseline.json": (old, to_json),
        "template.json": (new, to_json),
        "baseline.yaml": (old, to_yaml),
        "template.yaml": (new, to_yaml),
    }
    paths: dict[str, Path] = {}
    for name, (template, writer) in writers.items():
        path = directory / name
        path.write_text(writer(template), encoding="utf-8")
        paths[name] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="where to write the four templates")
    args = parser.parse_args(argv)
    for name, path in write_pair(args.directory).items():
        template = json.loads(path.read_text()) if name.endswith(".json") else None
        count = len(template["Resources"]) if template else ""
        print(f"{path}  {path.stat().st_size:>9,} bytes  {count}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
