"""Which resource properties invoke a Lambda function, and which only grant or configure.

One row per consumer property (facts sheet §3). A pattern is a property path in which ``*``
stands for any one key or list index and ``**`` for any depth below. The first matching row
of a resource type decides; a reference from a listed type at an unlisted path is ``OTHER``.
"""

from __future__ import annotations

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
    EXTERNAL = "external"  # a stack output: callers outside the stack may use it
    OTHER = "other"  # a name or ARN used for something else (log group names, dimensions)


@dataclass(frozen=True)
class ConsumerRow:
    pattern: tuple[str, ...]
    role: Role
    label: str


def _rows(*rows: tuple[str, Role, str]) -> tuple[ConsumerRow, ...]:
    return tuple(ConsumerRow(tuple(p.split(".")), role, label) for p, role, label in rows)


I, G, C, D, O = Role.INVOKE, Role.GRANT, Role.CONFIGURE, Role.DEFINE, Role.OTHER

CONSUMERS: dict[str, tuple[ConsumerRow, ...]] = {
    "AWS::Lambda::Permission": _rows(("FunctionName", G, "Lambda permission")),
    "AWS::Lambda::EventSourceMapping": _rows(
        ("FunctionName", I, "event source mapping"),
        ("DestinationConfig.**", I, "event source mapping failure destination"),
    ),
    "AWS::Lambda::EventInvokeConfig": _rows(
        ("FunctionName", C, "asynchronous invocation config"),
        ("DestinationConfig.**", I, "asynchronous invocation destination"),
    ),
    "AWS::Lambda::Url": _rows(("TargetFunctionArn", I, "function URL")),
    "AWS::Lambda::Version": _rows(("FunctionName", D, "version")),
    "AWS::Lambda::Alias": _rows(("FunctionName", D, "alias")),
    "AWS::Lambda::Function": _rows(
        ("Environment.Variables.*", I, "SDK caller (environment variable)"),
    ),
    "AWS::ApiGateway::Method": _rows(("Integration.Uri", I, "API Gateway method")),
    "AWS::ApiGateway::RestApi": _rows(("Body.**", I, "API Gateway REST API (OpenAPI body)")),
    "AWS::ApiGateway::Authorizer": _rows(("AuthorizerUri", I, "API Gateway authorizer")),
    "AWS::ApiGatewayV2::Integration": _rows(("IntegrationUri", I, "API Gateway v2 integration")),
    "AWS::ApiGatewayV2::Authorizer": _rows(("AuthorizerUri", I, "API Gateway v2 authorizer")),
    "AWS::ApiGatewayV2::Api": _rows(
        ("Body.**", I, "HTTP API (OpenAPI body)"),
        ("Target", I, "HTTP API quick-create target"),
    ),
    "AWS::SNS::Subscription": _rows(("Endpoint", I, "SNS subscription")),
    "AWS::SNS::Topic": _rows(("Subscription.*.Endpoint", I, "SNS topic subscription")),
    "AWS::Events::Rule": _rows(("Targets.*.Arn", I, "EventBridge rule target")),
    "AWS::Scheduler::Schedule": _rows(("Target.Arn", I, "EventBridge Scheduler target")),
    "AWS::S3::Bucket": _rows(
        ("NotificationConfiguration.LambdaConfigurations.*.Function", I, "S3 event notification"),
    ),
    "AWS::StepFunctions::StateMachine": _rows(
        ("Definition.**", I, "Step Functions task"),
        ("DefinitionString.**", I, "Step Functions task"),
        ("DefinitionSubstitutions.**", I, "Step Functions task"),
    ),
    "AWS::Logs::SubscriptionFilter": _rows(("DestinationArn", I, "CloudWatch Logs subscription")),
    "AWS::Logs::LogGroup": (),
    "AWS::Logs::MetricFilter": (),
    "AWS::Cognito::UserPool": _rows(
        ("LambdaConfig.KMSKeyID", O, "Cognito KMS key"),
        ("LambdaConfig.**", I, "Cognito trigger"),
    ),
    "AWS::ElasticLoadBalancingV2::TargetGroup": _rows(("Targets.*.Id", I, "ALB target group")),
    "AWS::AppSync::DataSource": _rows(
        ("LambdaConfig.LambdaFunctionArn", I, "AppSync data source"),
    ),
    "AWS::AppSync::GraphQLApi": _rows(
        ("LambdaAuthorizerConfig.AuthorizerUri", I, "AppSync Lambda authorizer"),
    ),
    "AWS::IoT::TopicRule": _rows(
        ("TopicRulePayload.Actions.*.Lambda.FunctionArn", I, "IoT topic rule"),
        ("TopicRulePayload.ErrorAction.Lambda.FunctionArn", I, "IoT topic rule error action"),
    ),
    "AWS::Pipes::Pipe": _rows(
        ("Target", I, "EventBridge Pipes target"),
        ("Enrichment", I, "EventBridge Pipes enrichment"),
    ),
    "AWS::CloudFront::Distribution": _rows(
        ("DistributionConfig.**", I, "CloudFront Lambda@Edge association"),
    ),
    "AWS::CloudFormation::CustomResource": _rows(("ServiceToken", I, "custom resource")),
    "AWS::CloudFormation::LambdaHook": _rows(("LambdaFunction", I, "CloudFormation Lambda hook")),
    "AWS::CloudFormation::Macro": _rows(("FunctionName", I, "CloudFormation macro")),
    "AWS::KinesisFirehose::DeliveryStream": _rows(
        ("**", I, "Firehose record processor"),
    ),
    "AWS::CloudWatch::Alarm": _rows(
        ("AlarmActions.*", I, "CloudWatch alarm action"),
        ("OKActions.*", I, "CloudWatch alarm action"),
        ("InsufficientDataActions.*", I, "CloudWatch alarm action"),
    ),
    "AWS::CloudWatch::Dashboard": (),
    "AWS::SecretsManager::RotationSchedule": _rows(
        ("RotationLambdaARN", I, "Secrets Manager rotation"),
    ),
    "AWS::Config::ConfigRule": _rows(("Source.SourceIdentifier", I, "AWS Config custom rule")),
    "AWS::Config::OrganizationConfigRule": _rows(
        ("OrganizationCustomRuleMetadata.LambdaFunctionArn", I, "AWS Config organization rule"),
    ),
    "AWS::SES::ReceiptRule": _rows(
        ("Rule.Actions.*.LambdaAction.FunctionArn", I, "SES receipt rule"),
    ),
    "AWS::Lex::BotAlias": _rows(("BotAliasLocaleSettings.**", I, "Lex code hook")),
    "AWS::Lex::Bot": _rows(("TestBotAliasSettings.**", I, "Lex code hook")),
    "AWS::Connect::IntegrationAssociation": _rows(("IntegrationArn", I, "Connect integration")),
    "AWS::SSM::MaintenanceWindowTask": _rows(("TaskArn", I, "SSM maintenance window task")),
    "AWS::S3ObjectLambda::AccessPoint": _rows(
        ("ObjectLambdaConfiguration.**", I, "S3 Object Lambda transformation"),
    ),
    "AWS::KinesisAnalyticsV2::Application": _rows(("**", I, "Kinesis Analytics input processor")),
    "AWS::Transfer::Server": _rows(
        ("IdentityProviderDetails.Function", I, "Transfer Family identity provider"),
    ),
    "AWS::Bedrock::Agent": _rows(("ActionGroups.**", I, "Bedrock agent action group")),
    "AWS::CodePipeline::Pipeline": _rows(("Stages.**", I, "CodePipeline Lambda action")),
    "AWS::IAM::Policy": _rows(("**", G, "IAM policy")),
    "AWS::IAM::ManagedPolicy": _rows(("**", G, "IAM policy")),
    "AWS::IAM::Role": _rows(("**", G, "IAM policy")),
    "AWS::IAM::User": _rows(("**", G, "IAM policy")),
    "AWS::IAM::Group": _rows(("**", G, "IAM policy")),
    "AWS::ApplicationAutoScaling::ScalableTarget": (),
    "AWS::ApplicationAutoScaling::ScalingPolicy": (),
    "AWS::CodeDeploy::DeploymentGroup": (),
    "AWS::CloudFormation::WaitCondition": (),
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
