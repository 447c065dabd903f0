"""Which resource properties invoke a Lambda function, and which only grant or configure.

One row per consumer property (facts sheet §3). A pattern is a property path in which ``*``
stands for any one key or list index and ``**`` for any depth below. The first matching row
of a resource type decides; a reference from a listed type at an unlisted path is ``OTHER``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from reviewer.model.template import PropertyPath


class Role(StrEnum):
    """What a reference to a function does."""

    INVOKE = "invoke"  # traffic flows through it
    GRANT = "grant"  # a permission to invoke (Lambda permission, IAM policy)
    CONFIGURE = "configure"  # settings attached to a qualifier (EventInvokeConfig)
    DEFINE = "define"  # a version or an alias of the function
    EXTERNAL = "external"  # a stack export: callers outside the stack may use it
    # CloudFormation itself invokes it during deployments (custom resources, macros): only after
    # the function's update has finished, or before it started, never in between.
    DEPLOYMENT = "deployment"
    OTHER = "other"  # a name or ARN used for something else (log group names, dimensions)


@dataclass(frozen=True)
class ConsumerRow:
    pattern: tuple[str, ...]
    role: Role
    label: str


def _rows(*rows: tuple[str, Role, str]) -> tuple[ConsumerRow, ...]:
    return tuple(ConsumerRow(tuple(p.split(".")), role, label) for p, role, label in rows)


INV, GRT, CFG, DEF, OTH = Role.INVOKE, Role.GRANT, Role.CONFIGURE, Role.DEFINE, Role.OTHER
DPL = Role.DEPLOYMENT

CONSUMERS: dict[str, tuple[ConsumerRow, ...]] = {
    "AWS::Lambda::Permission": _rows(("FunctionName", GRT, "Lambda permission")),
    "AWS::Lambda::EventSourceMapping": _rows(
        ("FunctionName", INV, "event source mapping"),
        ("DestinationConfig.**", INV, "event source mapping failure destination"),
    ),
    "AWS::Lambda::EventInvokeConfig": _rows(
        ("FunctionName", CFG, "asynchronous invocation config"),
        ("DestinationConfig.**", INV, "asynchronous invocation destination"),
    ),
    "AWS::Lambda::Url": _rows(("TargetFunctionArn", INV, "function URL")),
    "AWS::Lambda::Version": _rows(("FunctionName", DEF, "version")),
    "AWS::Lambda::Alias": _rows(("FunctionName", DEF, "alias")),
    "AWS::Lambda::Function": _rows(
        ("Environment.Variables.*", INV, "SDK caller (environment variable)"),
    ),
    "AWS::ApiGateway::Method": _rows(("Integration.Uri", INV, "API Gateway method")),
    "AWS::ApiGateway::RestApi": _rows(("Body.**", INV, "API Gateway REST API (OpenAPI body)")),
    "AWS::ApiGateway::Authorizer": _rows(("AuthorizerUri", INV, "API Gateway authorizer")),
    "AWS::ApiGatewayV2::Integration": _rows(("IntegrationUri", INV, "API Gateway v2 integration")),
    "AWS::ApiGatewayV2::Authorizer": _rows(("AuthorizerUri", INV, "API Gateway v2 authorizer")),
    "AWS::ApiGatewayV2::Api": _rows(
        ("Body.**", INV, "HTTP API (OpenAPI body)"),
        ("Target", INV, "HTTP API quick-create target"),
    ),
    "AWS::SNS::Subscription": _rows(("Endpoint", INV, "SNS subscription")),
    "AWS::SNS::Topic": _rows(("Subscription.*.Endpoint", INV, "SNS topic subscription")),
    "AWS::Events::Rule": _rows(("Targets.*.Arn", INV, "EventBridge rule target")),
    "AWS::Scheduler::Schedule": _rows(("Target.Arn", INV, "EventBridge Scheduler target")),
    "AWS::S3::Bucket": _rows(
        ("NotificationConfiguration.LambdaConfigurations.*.Function", INV, "S3 event notification"),
    ),
    "AWS::StepFunctions::StateMachine": _rows(
        ("Definition.**", INV, "Step Functions task"),
        ("DefinitionString.**", INV, "Step Functions task"),
        ("DefinitionSubstitutions.**", INV, "Step Functions task"),
    ),
    "AWS::Logs::SubscriptionFilter": _rows(("DestinationArn", INV, "CloudWatch Logs subscription")),
    "AWS::Logs::LogGroup": (),
    "AWS::Logs::MetricFilter": (),
    "AWS::Cognito::UserPool": _rows(
        ("LambdaConfig.KMSKeyID", OTH, "Cognito KMS key"),
        ("LambdaConfig.**", INV, "Cognito trigger"),
    ),
    "AWS::ElasticLoadBalancingV2::TargetGroup": _rows(("Targets.*.Id", INV, "ALB target group")),
    "AWS::AppSync::DataSource": _rows(
        ("LambdaConfig.LambdaFunctionArn", INV, "AppSync data source"),
    ),
    "AWS::AppSync::GraphQLApi": _rows(
        ("LambdaAuthorizerConfig.AuthorizerUri", INV, "AppSync Lambda authorizer"),
    ),
    "AWS::IoT::TopicRule": _rows(
        ("TopicRulePayload.Actions.*.Lambda.FunctionArn", INV, "IoT topic rule"),
        ("TopicRulePayload.ErrorAction.Lambda.FunctionArn", INV, "IoT topic rule error action"),
    ),
    "AWS::Pipes::Pipe": _rows(
        ("Target", INV, "EventBridge Pipes target"),
        ("Enrichment", INV, "EventBridge Pipes enrichment"),
    ),
    "AWS::CloudFront::Distribution": _rows(
        ("DistributionConfig.**", INV, "CloudFront Lambda@Edge association"),
    ),
    "AWS::CloudFormation::CustomResource": _rows(("ServiceToken", DPL, "custom resource")),
    "AWS::CloudFormation::Stack": _rows(
        ("Parameters.*", INV, "parameter of a nested stack whose template was not loaded"),
    ),
    "AWS::CloudFormation::LambdaHook": _rows(("LambdaFunction", INV, "CloudFormation Lambda hook")),
    "AWS::CloudFormation::Macro": _rows(("FunctionName", DPL, "CloudFormation macro")),
    "AWS::KinesisFirehose::DeliveryStream": _rows(
        ("**", INV, "Firehose record processor"),
    ),
    "AWS::CloudWatch::Alarm": _rows(
        ("AlarmActions.*", INV, "CloudWatch alarm action"),
        ("OKActions.*", INV, "CloudWatch alarm action"),
        ("InsufficientDataActions.*", INV, "CloudWatch alarm action"),
    ),
    "AWS::CloudWatch::Dashboard": (),
    "AWS::SecretsManager::RotationSchedule": _rows(
        ("RotationLambdaARN", INV, "Secrets Manager rotation"),
    ),
    "AWS::Config::ConfigRule": _rows(("Source.SourceIdentifier", INV, "AWS Config custom rule")),
    "AWS::Config::OrganizationConfigRule": _rows(
        ("OrganizationCustomRuleMetadata.LambdaFunctionArn", INV, "AWS Config organization rule"),
    ),
    "AWS::SES::ReceiptRule": _rows(
        ("Rule.Actions.*.LambdaAction.FunctionArn", INV, "SES receipt rule"),
    ),
    "AWS::Lex::BotAlias": _rows(("BotAliasLocaleSettings.**", INV, "Lex code hook")),
    "AWS::Lex::Bot": _rows(("TestBotAliasSettings.**", INV, "Lex code hook")),
    "AWS::Connect::IntegrationAssociation": _rows(("IntegrationArn", INV, "Connect integration")),
    "AWS::SSM::MaintenanceWindowTask": _rows(("TaskArn", INV, "SSM maintenance window task")),
    "AWS::S3ObjectLambda::AccessPoint": _rows(
        ("ObjectLambdaConfiguration.**", INV, "S3 Object Lambda transformation"),
    ),
    "AWS::KinesisAnalyticsV2::Application": _rows(("**", INV, "Kinesis Analytics input processor")),
    "AWS::Transfer::Server": _rows(
        ("IdentityProviderDetails.Function", INV, "Transfer Family identity provider"),
    ),
    "AWS::Bedrock::Agent": _rows(("ActionGroups.**", INV, "Bedrock agent action group")),
    "AWS::CodePipeline::Pipeline": _rows(("Stages.**", INV, "CodePipeline Lambda action")),
    "AWS::IAM::Policy": _rows(("**", GRT, "IAM policy")),
    "AWS::IAM::ManagedPolicy": _rows(("**", GRT, "IAM policy")),
    "AWS::IAM::Role": _rows(("**", GRT, "IAM policy")),
    "AWS::IAM::User": _rows(("**", GRT, "IAM policy")),
    "AWS::IAM::Group": _rows(("**", GRT, "IAM policy")),
    "AWS::ApplicationAutoScaling::ScalableTarget": (),
    "AWS::ApplicationAutoScaling::ScalingPolicy": (),
    "AWS::CodeDeploy::DeploymentGroup": (),
    "AWS::CloudFormation::WaitCondition": (),
    # A secret names or describes a function (its rotation is AWS::SecretsManager::
    # RotationSchedule's): no path of it invokes.
    "AWS::SecretsManager::Secret": (),
}

#: A reference from a resource type the table does not know: treated as a possible caller.
UNKNOWN_TYPE_ROW = ConsumerRow(("**",), Role.INVOKE, "reference")


def _matches(pattern: Sequence[str], path: PropertyPath) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_matches(rest, path[i:]) for i in range(len(path) + 1)) if rest else True
    if not path:
        return False
    if head in ("*", str(path[0])):
        return _matches(rest, path[1:])
    return False


def classify(resource_type: str, path: PropertyPath) -> ConsumerRow:
    """The consumer row for a reference at ``path`` in a resource of ``resource_type``."""
    if resource_type.startswith("Custom::"):
        resource_type = "AWS::CloudFormation::CustomResource"
    rows = CONSUMERS.get(resource_type)
    if rows is None:
        return ConsumerRow(UNKNOWN_TYPE_ROW.pattern, Role.INVOKE, f"reference from {resource_type}")
    for row in rows:
        if _matches(row.pattern, path):
            return row
    return ConsumerRow((), Role.OTHER, f"{resource_type} property")


#: Resource types that invoke a function under a service principal's permission, where the type
#: does not name the service: the ``Principal`` of an ``AWS::Lambda::Permission`` without its
#: domain (``logs`` for ``logs.amazonaws.com`` and ``logs.eu-west-1.amazonaws.com``). Any other
#: type invokes under the service its namespace names (``AWS::SNS::Topic``: ``sns``,
#: ``AWS::ApiGatewayV2::Integration``: ``apigateway``). Services that invoke with a role of
#: their own (SQS mappings, Step Functions, Scheduler, Pipes) need no permission.
PRINCIPAL_CONSUMERS: dict[str, frozenset[str]] = {
    "cognito-idp": frozenset({"AWS::Cognito::UserPool"}),
    "lambda.alarms.cloudwatch": frozenset({"AWS::CloudWatch::Alarm"}),
    "elasticloadbalancing": frozenset({"AWS::ElasticLoadBalancingV2::TargetGroup"}),
}

_SERVICE_PRINCIPAL = re.compile(
    r"^(?P<service>lambda\.alarms\.cloudwatch|[a-z0-9-]+)"
    r"(?:\.(?:[a-z]{2}(?:-[a-z]+)+-\d|\$\{AWS::Region\}))?"
    r"\.(?:amazonaws\.com(?:\.cn)?|amazon\.com|\$\{AWS::URLSuffix\})$"
)


def principal_service(principal: str) -> str | None:
    """The service a permission's principal names (``sns`` for ``sns.amazonaws.com``), or None
    for an account, an IAM principal or ``*``."""
    match = _SERVICE_PRINCIPAL.match(principal)
    return match.group("service") if match else None


def invokes_under(resource_type: str, service: str) -> bool:
    """Whether a resource of ``resource_type`` invokes through ``service``'s principal."""
    if resource_type in PRINCIPAL_CONSUMERS.get(service, frozenset()):
        return True
    parts = resource_type.split("::")
    if len(parts) != 3 or parts[0] != "AWS":
        return False
    namespace = parts[1].lower()
    return bool(service) and "." not in service and namespace.startswith(service.replace("-", ""))
