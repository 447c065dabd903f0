"""The reference graph: which resources reach a function, how, and whether through a qualifier.

Every test builds a small template inline, loads it the way the CLI does (YAML with short-form
tags, or JSON), and asserts on what ``ReferenceGraph`` reports for the function ``Fn``: the role
of each reference (invoke, grant, configure, define, external, other), whether the path it gives
is qualified, and the consumer label a reviewer reads in a finding. The consumer table follows
facts sheet §3 (``shared/reference/aws-lambda-facts.md``); Ref/GetAtt values follow §2.
"""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from reviewer.model.consumers import Role, classify
from reviewer.model.references import AliasInfo, Reference, ReferenceGraph
from reviewer.sources.text.files import load_template_file, parse_text

if TYPE_CHECKING:
    from pathlib import Path

#: Fn is named ``my-fn`` (so literal names and ARNs can match it), published as FnVersion and
#: aliased as FnAlias (``live``). Other is a second function without a literal name. Queue and
#: Key are non-Lambda resources that consumers mention next to the function.
BASE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AliasName:
    Type: String
    Default: live
Conditions:
  IsProd: !Equals [!Ref AWS::AccountId, "123456789012"]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: my-fn
      Handler: index.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/fn-role
      Code:
        ZipFile: "def handler(event, context): return event"
  FnVersion:
    Type: AWS::Lambda::Version
    Properties:
      FunctionName: !Ref Fn
  FnAlias:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Fn
      FunctionVersion: !GetAtt FnVersion.Version
      Name: live
  Other:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/fn-role
      Code:
        ZipFile: "def handler(event, context): return event"
  Queue:
    Type: AWS::SQS::Queue
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {}
"""

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function"
INVOCATIONS = "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions"


def build_graph(tmp_path: Path, resources: str = "", outputs: str = "") -> ReferenceGraph:
    """The graph of BASE plus extra resources (YAML under ``Resources:``) and outputs."""
    text = BASE + textwrap.indent(textwrap.dedent(resources), "  ")
    if outputs:
        text += "Outputs:\n" + textwrap.indent(textwrap.dedent(outputs), "  ")
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return ReferenceGraph(load_template_file(path))


def consumer(resource_type: str, properties: str, logical_id: str = "Consumer") -> str:
    """YAML for one resource, for ``build_graph``'s ``resources``."""
    body = textwrap.indent(textwrap.dedent(properties).strip("\n"), " " * 6)
    return f"{logical_id}:\n  Type: {resource_type}\n  Properties:\n{body}\n"


def refs_from(graph: ReferenceGraph, source: str, function: str = "Fn") -> list[Reference]:
    """References to ``function`` made by the resource (or output) ``source``."""
    return [r for r in graph.functions[function].references if r.source == source]


def single_ref(graph: ReferenceGraph, source: str, function: str = "Fn") -> Reference:
    refs = refs_from(graph, source, function)
    assert len(refs) == 1, refs
    return refs[0]


# --------------------------------------------------------------------------------------------
# Consumers (facts sheet §3): role, qualification, label and property path
# --------------------------------------------------------------------------------------------

CONSUMER_CASES: list[Any] = [
    pytest.param(
        "AWS::Lambda::Permission",
        """
        FunctionName: !GetAtt Fn.Arn
        Action: lambda:InvokeFunction
        Principal: sns.amazonaws.com
        """,
        Role.GRANT, None, "Lambda permission for sns.amazonaws.com", ("FunctionName",),
        id="permission-unqualified",
    ),
    pytest.param(
        "AWS::Lambda::Permission",
        """
        FunctionName: !Ref FnAlias
        Action: lambda:InvokeFunction
        Principal: apigateway.amazonaws.com
        """,
        Role.GRANT, "live", "Lambda permission for apigateway.amazonaws.com", ("FunctionName",),
        id="permission-on-alias",
    ),
    pytest.param(
        "AWS::Lambda::EventSourceMapping",
        """
        FunctionName: !GetAtt Fn.Arn
        EventSourceArn: !GetAtt Queue.Arn
        """,
        Role.INVOKE, None, "SQS event source mapping", ("FunctionName",),
        id="esm-sqs-queue",
    ),
    pytest.param(
        "AWS::Lambda::EventSourceMapping",
        """
        FunctionName: !Ref Fn
        EventSourceArn: arn:aws:sqs:us-east-1:123456789012:orders
        StartingPosition: LATEST
        """,
        Role.INVOKE, None, "SQS event source mapping", ("FunctionName",),
        id="esm-sqs-literal-arn",
    ),
    pytest.param(
        "AWS::Lambda::EventSourceMapping",
        """
        FunctionName: !Ref FnAlias
        EventSourceArn: arn:aws:kinesis:us-east-1:123456789012:stream/clicks
        StartingPosition: LATEST
        """,
        Role.INVOKE, "live", "Kinesis event source mapping", ("FunctionName",),
        id="esm-kinesis-alias",
    ),
    pytest.param(
        "AWS::Lambda::EventInvokeConfig",
        """
        FunctionName: !Ref Fn
        Qualifier: live
        MaximumRetryAttempts: 0
        """,
        Role.CONFIGURE, "live", "asynchronous invocation config", ("FunctionName",),
        id="event-invoke-config-live",
    ),
    pytest.param(
        "AWS::Lambda::EventInvokeConfig",
        """
        FunctionName: !Ref Fn
        Qualifier: $LATEST
        MaximumRetryAttempts: 0
        """,
        Role.CONFIGURE, "$LATEST", "asynchronous invocation config", ("FunctionName",),
        id="event-invoke-config-latest",
    ),
    pytest.param(
        "AWS::Lambda::Url",
        """
        TargetFunctionArn: !GetAtt Fn.Arn
        AuthType: NONE
        """,
        Role.INVOKE, None, "function URL", ("TargetFunctionArn",),
        id="url-unqualified",
    ),
    pytest.param(
        "AWS::Lambda::Url",
        """
        TargetFunctionArn: !GetAtt Fn.Arn
        Qualifier: live
        AuthType: NONE
        """,
        Role.INVOKE, "live", "function URL", ("TargetFunctionArn",),
        id="url-qualifier-property",
    ),
    pytest.param(
        "AWS::Lambda::Url",
        """
        TargetFunctionArn: !Ref FnAlias
        AuthType: AWS_IAM
        """,
        Role.INVOKE, "live", "function URL", ("TargetFunctionArn",),
        id="url-alias-arn",
    ),
    pytest.param(
        "AWS::ApiGateway::Method",
        f"""
        HttpMethod: POST
        ResourceId: abc123
        RestApiId: def456
        AuthorizationType: NONE
        Integration:
          Type: AWS_PROXY
          IntegrationHttpMethod: POST
          Uri: !Sub {INVOCATIONS}/${{Fn.Arn}}/invocations
        """,
        Role.INVOKE, None, "API Gateway method POST", ("Integration", "Uri"),
        id="apigw-method-fn-arn",
    ),
    pytest.param(
        "AWS::ApiGateway::Method",
        f"""
        HttpMethod: GET
        ResourceId: abc123
        RestApiId: def456
        AuthorizationType: NONE
        Integration:
          Type: AWS_PROXY
          IntegrationHttpMethod: POST
          Uri: !Sub {INVOCATIONS}/${{FnAlias}}/invocations
        """,
        Role.INVOKE, "live", "API Gateway method GET", ("Integration", "Uri"),
        id="apigw-method-alias",
    ),
    pytest.param(
        "AWS::ApiGateway::Method",
        f"""
        HttpMethod: ANY
        ResourceId: abc123
        RestApiId: def456
        AuthorizationType: NONE
        Integration:
          Type: AWS_PROXY
          IntegrationHttpMethod: POST
          Uri: !Sub {INVOCATIONS}/${{Fn.Arn}}:live/invocations
        """,
        Role.INVOKE, "live", "API Gateway method ANY", ("Integration", "Uri"),
        id="apigw-method-fn-arn-colon-live",
    ),
    pytest.param(
        "AWS::ApiGateway::RestApi",
        f"""
        Body:
          openapi: "3.0.1"
          paths:
            /orders:
              post:
                x-amazon-apigateway-integration:
                  type: aws_proxy
                  httpMethod: POST
                  uri: !Sub {INVOCATIONS}/${{Fn.Arn}}/invocations
        """,
        Role.INVOKE, None, "API Gateway REST API (OpenAPI body)",
        ("Body", "paths", "/orders", "post", "x-amazon-apigateway-integration", "uri"),
        id="apigw-restapi-openapi-body",
    ),
    pytest.param(
        "AWS::ApiGateway::Authorizer",
        f"""
        Name: tokens
        RestApiId: def456
        Type: TOKEN
        IdentitySource: method.request.header.Authorization
        AuthorizerUri: !Sub {INVOCATIONS}/${{Fn.Arn}}/invocations
        """,
        Role.INVOKE, None, "API Gateway authorizer", ("AuthorizerUri",),
        id="apigw-authorizer",
    ),
    pytest.param(
        "AWS::ApiGatewayV2::Integration",
        f"""
        ApiId: abc
        IntegrationType: AWS_PROXY
        PayloadFormatVersion: "2.0"
        IntegrationUri: !Sub {INVOCATIONS}/${{Fn.Arn}}/invocations
        """,
        Role.INVOKE, None, "API Gateway v2 integration", ("IntegrationUri",),
        id="apigwv2-integration-uri",
    ),
    pytest.param(
        "AWS::ApiGatewayV2::Integration",
        """
        ApiId: abc
        IntegrationType: AWS_PROXY
        PayloadFormatVersion: "2.0"
        IntegrationUri: !Ref FnAlias
        """,
        Role.INVOKE, "live", "API Gateway v2 integration", ("IntegrationUri",),
        id="apigwv2-integration-alias-arn",
    ),
    pytest.param(
        "AWS::ApiGatewayV2::Authorizer",
        f"""
        ApiId: abc
        Name: lambda-auth
        AuthorizerType: REQUEST
        AuthorizerPayloadFormatVersion: "2.0"
        AuthorizerUri: !Sub {INVOCATIONS}/${{Fn.Arn}}/invocations
        """,
        Role.INVOKE, None, "API Gateway v2 authorizer", ("AuthorizerUri",),
        id="apigwv2-authorizer",
    ),
    pytest.param(
        "AWS::ApiGatewayV2::Api",
        f"""
        Body:
          openapi: "3.0.1"
          paths:
            /items:
              get:
                x-amazon-apigateway-integration:
                  type: aws_proxy
                  payloadFormatVersion: "2.0"
                  uri: !Sub {INVOCATIONS}/${{FnAlias}}/invocations
        """,
        Role.INVOKE, "live", "HTTP API (OpenAPI body)",
        ("Body", "paths", "/items", "get", "x-amazon-apigateway-integration", "uri"),
        id="apigwv2-api-body",
    ),
    pytest.param(
        "AWS::ApiGatewayV2::Api",
        """
        Name: quick
        ProtocolType: HTTP
        Target: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "HTTP API quick-create target", ("Target",),
        id="apigwv2-api-quick-create-target",
    ),
    pytest.param(
        "AWS::SNS::Subscription",
        """
        Protocol: lambda
        TopicArn: arn:aws:sns:us-east-1:123456789012:orders
        Endpoint: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "SNS subscription", ("Endpoint",),
        id="sns-subscription",
    ),
    pytest.param(
        "AWS::SNS::Topic",
        """
        Subscription:
          - Protocol: email
            Endpoint: ops@example.com
          - Protocol: lambda
            Endpoint: !Ref FnAlias
        """,
        Role.INVOKE, "live", "SNS topic subscription", ("Subscription", 1, "Endpoint"),
        id="sns-topic-inline-subscription",
    ),
    pytest.param(
        "AWS::Events::Rule",
        """
        ScheduleExpression: rate(5 minutes)
        Targets:
          - Id: worker
            Arn: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "EventBridge rule target", ("Targets", 0, "Arn"),
        id="events-rule-target",
    ),
    pytest.param(
        "AWS::Scheduler::Schedule",
        """
        ScheduleExpression: rate(1 hour)
        FlexibleTimeWindow:
          Mode: "OFF"
        Target:
          Arn: !GetAtt Fn.Arn
          RoleArn: arn:aws:iam::123456789012:role/scheduler
        """,
        Role.INVOKE, None, "EventBridge Scheduler target", ("Target", "Arn"),
        id="scheduler-schedule",
    ),
    pytest.param(
        "AWS::S3::Bucket",
        """
        NotificationConfiguration:
          LambdaConfigurations:
            - Event: s3:ObjectCreated:*
              Function: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "S3 event notification",
        ("NotificationConfiguration", "LambdaConfigurations", 0, "Function"),
        id="s3-bucket-notification",
    ),
    pytest.param(
        "AWS::StepFunctions::StateMachine",
        """
        RoleArn: arn:aws:iam::123456789012:role/sfn
        Definition:
          StartAt: Work
          States:
            Work:
              Type: Task
              Resource: !GetAtt Fn.Arn
              End: true
        """,
        Role.INVOKE, None, "Step Functions task", ("Definition", "States", "Work", "Resource"),
        id="sfn-definition",
    ),
    pytest.param(
        "AWS::StepFunctions::StateMachine",
        """
        RoleArn: arn:aws:iam::123456789012:role/sfn
        DefinitionString: !Sub |
          {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${Fn.Arn}", "Payload.$": "$"}, "End": true}}}
        """,
        Role.INVOKE, None, "Step Functions task", ("DefinitionString",),
        id="sfn-definition-string-sub",
    ),
    pytest.param(
        "AWS::StepFunctions::StateMachine",
        """
        RoleArn: arn:aws:iam::123456789012:role/sfn
        DefinitionString: !Sub |
          {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": "${Fn.Arn}:live", "End": true}}}
        """,
        Role.INVOKE, "live", "Step Functions task", ("DefinitionString",),
        id="sfn-definition-string-sub-qualified",
    ),
    pytest.param(
        "AWS::StepFunctions::StateMachine",
        """
        RoleArn: arn:aws:iam::123456789012:role/sfn
        DefinitionS3Location:
          Bucket: defs
          Key: machine.asl.json
        DefinitionSubstitutions:
          WorkerArn: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "Step Functions task", ("DefinitionSubstitutions", "WorkerArn"),
        id="sfn-definition-substitutions",
    ),
    pytest.param(
        "AWS::Logs::SubscriptionFilter",
        """
        LogGroupName: /app/orders
        FilterPattern: ""
        DestinationArn: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "CloudWatch Logs subscription", ("DestinationArn",),
        id="logs-subscription-filter",
    ),
    pytest.param(
        "AWS::Cognito::UserPool",
        """
        LambdaConfig:
          PreSignUp: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "Cognito trigger", ("LambdaConfig", "PreSignUp"),
        id="cognito-pre-sign-up",
    ),
    pytest.param(
        "AWS::Cognito::UserPool",
        """
        LambdaConfig:
          PreTokenGenerationConfig:
            LambdaArn: !Ref FnAlias
            LambdaVersion: V2_0
        """,
        Role.INVOKE, "live", "Cognito trigger",
        ("LambdaConfig", "PreTokenGenerationConfig", "LambdaArn"),
        id="cognito-pre-token-generation-config",
    ),
    pytest.param(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        """
        TargetType: lambda
        Targets:
          - Id: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "ALB target group", ("Targets", 0, "Id"),
        id="elbv2-target-group",
    ),
    pytest.param(
        "AWS::AppSync::DataSource",
        """
        ApiId: abc
        Name: orders
        Type: AWS_LAMBDA
        LambdaConfig:
          LambdaFunctionArn: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "AppSync data source", ("LambdaConfig", "LambdaFunctionArn"),
        id="appsync-data-source",
    ),
    pytest.param(
        "AWS::AppSync::GraphQLApi",
        """
        Name: api
        AuthenticationType: AWS_LAMBDA
        LambdaAuthorizerConfig:
          AuthorizerUri: !Ref FnAlias
        """,
        Role.INVOKE, "live", "AppSync Lambda authorizer",
        ("LambdaAuthorizerConfig", "AuthorizerUri"),
        id="appsync-graphql-authorizer",
    ),
    pytest.param(
        "AWS::IoT::TopicRule",
        """
        TopicRulePayload:
          Sql: SELECT * FROM 'sensors/#'
          Actions:
            - Lambda:
                FunctionArn: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "IoT topic rule",
        ("TopicRulePayload", "Actions", 0, "Lambda", "FunctionArn"),
        id="iot-topic-rule-action",
    ),
    pytest.param(
        "AWS::IoT::TopicRule",
        """
        TopicRulePayload:
          Sql: SELECT * FROM 'sensors/#'
          Actions: []
          ErrorAction:
            Lambda:
              FunctionArn: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "IoT topic rule error action",
        ("TopicRulePayload", "ErrorAction", "Lambda", "FunctionArn"),
        id="iot-topic-rule-error-action",
    ),
    pytest.param(
        "AWS::Pipes::Pipe",
        """
        RoleArn: arn:aws:iam::123456789012:role/pipe
        Source: !GetAtt Queue.Arn
        Target: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "EventBridge Pipes target", ("Target",),
        id="pipes-target",
    ),
    pytest.param(
        "AWS::Pipes::Pipe",
        """
        RoleArn: arn:aws:iam::123456789012:role/pipe
        Source: !GetAtt Queue.Arn
        Enrichment: !Ref FnAlias
        Target: arn:aws:sqs:us-east-1:123456789012:out
        """,
        Role.INVOKE, "live", "EventBridge Pipes enrichment", ("Enrichment",),
        id="pipes-enrichment",
    ),
    pytest.param(
        "Custom::Foo",
        """
        ServiceToken: !GetAtt Fn.Arn
        Size: 3
        """,
        Role.DEPLOYMENT, None, "custom resource", ("ServiceToken",),
        id="custom-resource-custom-type",
    ),
    pytest.param(
        "AWS::CloudFormation::CustomResource",
        """
        ServiceToken: !GetAtt Fn.Arn
        """,
        Role.DEPLOYMENT, None, "custom resource", ("ServiceToken",),
        id="custom-resource-aws-type",
    ),
    pytest.param(
        "AWS::CloudFront::Distribution",
        """
        DistributionConfig:
          Enabled: true
          DefaultCacheBehavior:
            TargetOriginId: site
            ViewerProtocolPolicy: redirect-to-https
            LambdaFunctionAssociations:
              - EventType: viewer-request
                LambdaFunctionARN: !Ref FnVersion
        """,
        Role.INVOKE, "version", "CloudFront Lambda@Edge association",
        ("DistributionConfig", "DefaultCacheBehavior", "LambdaFunctionAssociations", 0,
         "LambdaFunctionARN"),
        id="cloudfront-edge-version",
    ),
    pytest.param(
        "AWS::KinesisFirehose::DeliveryStream",
        """
        ExtendedS3DestinationConfiguration:
          BucketARN: arn:aws:s3:::logs
          RoleARN: arn:aws:iam::123456789012:role/firehose
          ProcessingConfiguration:
            Enabled: true
            Processors:
              - Type: Lambda
                Parameters:
                  - ParameterName: LambdaArn
                    ParameterValue: !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "Firehose record processor",
        ("ExtendedS3DestinationConfiguration", "ProcessingConfiguration", "Processors", 0,
         "Parameters", 0, "ParameterValue"),
        id="firehose-processor",
    ),
    pytest.param(
        "AWS::CloudWatch::Alarm",
        """
        MetricName: Errors
        Namespace: AWS/SQS
        Statistic: Sum
        Period: 60
        EvaluationPeriods: 1
        Threshold: 1
        ComparisonOperator: GreaterThanThreshold
        AlarmActions:
          - !GetAtt Fn.Arn
        """,
        Role.INVOKE, None, "CloudWatch alarm action", ("AlarmActions", 0),
        id="alarm-action",
    ),
    pytest.param(
        "AWS::CloudWatch::Alarm",
        """
        MetricName: Errors
        Namespace: AWS/SQS
        Statistic: Sum
        Period: 60
        EvaluationPeriods: 1
        Threshold: 1
        ComparisonOperator: GreaterThanThreshold
        OKActions:
          - arn:aws:lambda:us-east-1:123456789012:function:my-fn:live
        """,
        Role.INVOKE, "live", "CloudWatch alarm action", ("OKActions", 0),
        id="alarm-ok-action-literal-alias",
    ),
    pytest.param(
        "AWS::SecretsManager::RotationSchedule",
        """
        SecretId: arn:aws:secretsmanager:us-east-1:123456789012:secret:db
        RotationLambdaARN: !GetAtt Fn.Arn
        RotationRules:
          AutomaticallyAfterDays: 30
        """,
        Role.INVOKE, None, "Secrets Manager rotation", ("RotationLambdaARN",),
        id="secrets-rotation",
    ),
    pytest.param(
        "AWS::Config::ConfigRule",
        """
        Source:
          Owner: CUSTOM_LAMBDA
          SourceIdentifier: !GetAtt Fn.Arn
          SourceDetails:
            - EventSource: aws.config
              MessageType: ConfigurationItemChangeNotification
        """,
        Role.INVOKE, None, "AWS Config custom rule", ("Source", "SourceIdentifier"),
        id="config-rule",
    ),
    pytest.param(
        "AWS::SSM::MaintenanceWindowTask",
        """
        WindowId: mw-0123456789abcdef0
        TaskType: LAMBDA
        Priority: 1
        TaskArn: !GetAtt Fn.Arn
        TaskInvocationParameters:
          MaintenanceWindowLambdaParameters:
            Qualifier: live
        """,
        Role.INVOKE, "live", "SSM maintenance window task", ("TaskArn",),
        id="ssm-maintenance-window-qualifier",
    ),
]


@pytest.mark.parametrize(
    ("resource_type", "properties", "role", "qualifier", "label", "path"), CONSUMER_CASES
)
def test_consumer_reference(
    tmp_path: Path,
    resource_type: str,
    properties: str,
    role: Role,
    qualifier: str | None,
    label: str,
    path: tuple[str | int, ...],
) -> None:
    graph = build_graph(tmp_path, consumer(resource_type, properties))

    ref = single_ref(graph, "Consumer")

    assert ref.role is role
    assert ref.qualifier == qualifier
    assert ref.qualified is (qualifier not in (None, "$LATEST"))
    assert ref.consumer == label
    assert ref.path == path
    assert ref.source_type == resource_type
    assert ref.function == "Fn"


def test_edge_association_with_version_is_qualified_through_the_version(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::CloudFront::Distribution", """
        DistributionConfig:
          Enabled: true
          CacheBehaviors:
            - PathPattern: /img/*
              TargetOriginId: site
              ViewerProtocolPolicy: allow-all
              LambdaFunctionAssociations:
                - EventType: origin-response
                  LambdaFunctionARN: !Ref FnVersion
        """))

    ref = single_ref(graph, "Consumer")

    assert (ref.via, ref.via_kind, ref.qualified) == ("FnVersion", "version", True)
    assert ref.form == "version FnVersion"


def test_event_source_mapping_label_without_known_source(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Lambda::EventSourceMapping", """
        FunctionName: !Ref Fn
        EventSourceArn: !ImportValue shared-queue-arn
        """))

    ref = single_ref(graph, "Consumer")

    assert ref.role is Role.INVOKE
    assert ref.consumer == "event source mapping"


# --------------------------------------------------------------------------------------------
# Properties that mention the function without invoking it
# --------------------------------------------------------------------------------------------


def test_alarm_dimension_naming_the_function_is_not_an_invocation(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::CloudWatch::Alarm", """
        MetricName: Errors
        Namespace: AWS/Lambda
        Statistic: Sum
        Period: 60
        EvaluationPeriods: 1
        Threshold: 1
        ComparisonOperator: GreaterThanThreshold
        Dimensions:
          - Name: FunctionName
            Value: !Ref Fn
        """))

    ref = single_ref(graph, "Consumer")

    assert ref.role is Role.OTHER
    assert ref.path == ("Dimensions", 0, "Value")
    assert ref not in graph.functions["Fn"].invoking


def test_alarm_with_action_and_dimension_counts_only_the_action(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::CloudWatch::Alarm", """
        MetricName: Throttles
        Namespace: AWS/Lambda
        Statistic: Sum
        Period: 60
        EvaluationPeriods: 1
        Threshold: 1
        ComparisonOperator: GreaterThanThreshold
        Dimensions:
          - Name: FunctionName
            Value: !Ref Fn
        AlarmActions:
          - !GetAtt Fn.Arn
        """))

    invoking = [r for r in graph.functions["Fn"].invoking if r.source == "Consumer"]

    assert [r.path for r in invoking] == [("AlarmActions", 0)]


def test_log_group_named_after_the_function_is_not_an_invocation(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Logs::LogGroup", """
        LogGroupName: !Sub /aws/lambda/${Fn}
        RetentionInDays: 14
        """))

    ref = single_ref(graph, "Consumer")

    assert ref.role is Role.OTHER
    assert graph.functions["Fn"].invoking == []


def test_cognito_kms_key_is_not_a_lambda_reference(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Cognito::UserPool", """
        LambdaConfig:
          KMSKeyID: !GetAtt Key.Arn
          CustomSMSSender:
            LambdaArn: !GetAtt Fn.Arn
            LambdaVersion: V1_0
        """))

    ref = single_ref(graph, "Consumer")

    assert ref.path == ("LambdaConfig", "CustomSMSSender", "LambdaArn")
    assert ref.role is Role.INVOKE
    assert classify("AWS::Cognito::UserPool", ("LambdaConfig", "KMSKeyID")).role is not Role.INVOKE


@pytest.mark.parametrize(
    "trigger",
    [
        "PreSignUp", "PostConfirmation", "PreAuthentication", "PostAuthentication",
        "DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse",
        "PreTokenGeneration", "UserMigration", "CustomMessage",
    ],
)
def test_every_cognito_trigger_invokes(trigger: str) -> None:
    assert classify("AWS::Cognito::UserPool", ("LambdaConfig", trigger)).role is Role.INVOKE


@pytest.mark.parametrize(
    "resource_type",
    ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"],
)
def test_iam_policy_resource_grants(tmp_path: Path, resource_type: str) -> None:
    graph = build_graph(tmp_path, consumer(resource_type, """
        PolicyName: invoke
        Roles: [caller]
        PolicyDocument:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !GetAtt Fn.Arn
        """))

    ref = single_ref(graph, "Consumer")

    assert ref.role is Role.GRANT
    assert ref.consumer == "IAM policy"
    assert ref.path == ("PolicyDocument", "Statement", 0, "Resource")


def test_inline_role_policy_grants(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::IAM::Role", """
        AssumeRolePolicyDocument: {}
        Policies:
          - PolicyName: invoke
            PolicyDocument:
              Statement:
                - Effect: Allow
                  Action: lambda:InvokeFunction
                  Resource:
                    - !GetAtt Fn.Arn
                    - !Sub ${Fn.Arn}:*
        """))

    refs = refs_from(graph, "Consumer")

    assert len(refs) == 2
    assert {r.role for r in refs} == {Role.GRANT}
    assert graph.functions["Fn"].invoking == []


def test_environment_variable_of_another_function_is_an_sdk_caller(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, """
        Caller:
          Type: AWS::Lambda::Function
          Properties:
            Handler: index.handler
            Runtime: python3.12
            Role: arn:aws:iam::123456789012:role/fn-role
            Code:
              ZipFile: "def handler(event, context): return event"
            Environment:
              Variables:
                WORKER_FUNCTION: !Ref Fn
        """)

    ref = single_ref(graph, "Caller")

    assert ref.role is Role.INVOKE
    assert not ref.qualified
    assert ref.path == ("Environment", "Variables", "WORKER_FUNCTION")
    assert ref.consumer.startswith("SDK caller")
    assert "WORKER_FUNCTION" in ref.consumer
    assert "Caller" in ref.consumer


def test_environment_variable_holding_the_alias_is_a_qualified_sdk_caller(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, """
        Caller:
          Type: AWS::Lambda::Function
          Properties:
            Handler: index.handler
            Runtime: python3.12
            Role: arn:aws:iam::123456789012:role/fn-role
            Code:
              ZipFile: "def handler(event, context): return event"
            Environment:
              Variables:
                WORKER_ARN: !Ref FnAlias
        """)

    ref = single_ref(graph, "Caller")

    assert (ref.role, ref.qualifier, ref.via_kind) == (Role.INVOKE, "live", "alias")


def test_non_environment_property_of_a_function_does_not_invoke(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, """
        Caller:
          Type: AWS::Lambda::Function
          Properties:
            Handler: index.handler
            Runtime: python3.12
            Role: arn:aws:iam::123456789012:role/fn-role
            Code:
              ZipFile: "def handler(event, context): return event"
            Tags:
              - Key: sibling
                Value: !Ref Fn
        """)

    assert single_ref(graph, "Caller").role is Role.OTHER


def test_unknown_resource_type_is_treated_as_a_caller(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Acme::Widget", """
        Handler:
          Arn: !GetAtt Fn.Arn
        """))

    ref = single_ref(graph, "Consumer")

    assert ref.role is Role.INVOKE
    assert "AWS::Acme::Widget" in ref.consumer
    assert ref.path == ("Handler", "Arn")


def test_known_type_at_an_unlisted_property_is_not_an_invocation(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::SNS::Subscription", """
        Protocol: sqs
        TopicArn: arn:aws:sns:us-east-1:123456789012:orders
        Endpoint: !GetAtt Queue.Arn
        FilterPolicy:
          source: [!Ref Fn]
        """))

    assert single_ref(graph, "Consumer").role is Role.OTHER


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


def test_exports_are_external_paths_and_plain_outputs_are_not(tmp_path: Path) -> None:
    """Other stacks reach a function through an export; an output that is not exported only
    shows a value, so it is no caller (it was one of the false "consumers" on real stacks)."""
    graph = build_graph(tmp_path, outputs="""
        FnArn:
          Value: !GetAtt Fn.Arn
          Export:
            Name: shared-fn-arn
        FnName:
          Value: !Ref Fn
        LiveArn:
          Value: !Ref FnAlias
        """)

    exported = single_ref(graph, "Outputs.FnArn")
    named = single_ref(graph, "Outputs.FnName")
    live = single_ref(graph, "Outputs.LiveArn")

    assert exported.role is Role.EXTERNAL
    assert named.role is live.role is Role.OTHER
    assert exported.consumer == "stack export"
    assert named.consumer == "stack output"
    assert (exported.qualified, named.qualified, live.qualified) == (False, False, True)
    assert graph.functions["Fn"].invoking == []


# --------------------------------------------------------------------------------------------
# Resolution forms: Ref, GetAtt, Sub, Join, If, Select/Split, literal ARNs and names
# --------------------------------------------------------------------------------------------

RESOLUTION_CASES: list[Any] = [
    pytest.param("!Ref Fn", "Fn", "function", None, id="ref-is-the-name"),
    pytest.param("!GetAtt Fn.Arn", "Fn", "function", None, id="getatt-dotted-short"),
    pytest.param("!GetAtt [Fn, Arn]", "Fn", "function", None, id="getatt-list-short"),
    pytest.param("{Fn::GetAtt: [Fn, Arn]}", "Fn", "function", None, id="getatt-list-long"),
    pytest.param("{Fn::GetAtt: Fn.Arn}", "Fn", "function", None, id="getatt-dotted-long"),
    pytest.param('!Sub "${Fn.Arn}"', "Fn", "function", None, id="sub-getatt"),
    pytest.param('!Sub "${Fn}"', "Fn", "function", None, id="sub-ref"),
    pytest.param('!Sub "${Fn.Arn}:live"', "Fn", "function", "live", id="sub-colon-alias"),
    pytest.param('!Sub "${Fn.Arn}:7"', "Fn", "function", "7", id="sub-colon-version"),
    pytest.param('!Sub "${Fn.Arn}:${AliasName}"', "Fn", "function", "?", id="sub-colon-param"),
    pytest.param('!Sub "${Fn.Arn}:$LATEST"', "Fn", "function", "$LATEST", id="sub-latest"),
    pytest.param(
        '!Sub ["${Target}", {Target: !GetAtt Fn.Arn}]', "Fn", "function", None,
        id="sub-variable-map",
    ),
    pytest.param(
        '!Sub ["${Target}:live", {Target: !GetAtt Fn.Arn}]', "Fn", "function", "live",
        id="sub-variable-map-qualified",
    ),
    pytest.param(
        '!Sub ["${Target}", {Target: !Ref FnAlias}]', "FnAlias", "alias", "live",
        id="sub-variable-map-alias",
    ),
    pytest.param(
        '!Join ["", ["arn:aws:lambda:", !Ref AWS::Region, ":", !Ref AWS::AccountId,'
        ' ":function:", !Ref Fn]]',
        "Fn", "function", None, id="join-arn-with-ref",
    ),
    pytest.param(
        '!Join ["", ["arn:aws:lambda:", !Ref AWS::Region, ":", !Ref AWS::AccountId,'
        ' ":function:my-fn"]]',
        "my-fn", "name", None, id="join-arn-with-literal-name",
    ),
    pytest.param(
        '!Join ["", ["arn:aws:lambda:", !Ref AWS::Region, ":", !Ref AWS::AccountId,'
        ' ":function:my-fn:live"]]',
        "my-fn", "name", "live", id="join-arn-with-literal-name-qualified",
    ),
    pytest.param(
        '!Join [":", [!GetAtt Fn.Arn, live]]', "Fn", "function", "live", id="join-colon-live"
    ),
    pytest.param(
        '!Join ["", [!GetAtt Fn.Arn, ":live"]]', "Fn", "function", "live",
        id="join-empty-delimiter-live",
    ),
    pytest.param(
        '!Join [":", [!GetAtt Fn.Arn, !Ref AliasName]]', "Fn", "function", "?",
        id="join-colon-parameter",
    ),
    pytest.param("!Select [0, [!GetAtt Fn.Arn, !GetAtt Other.Arn]]", "Fn", "function", None,
                 id="select-list"),
    pytest.param(
        '!Select [0, !Split [",", !Sub "${Fn.Arn},${Other.Arn}"]]', "Fn", "function", None,
        id="select-split",
    ),
    pytest.param(f"{LAMBDA_ARN}:my-fn", "my-fn", "name", None, id="literal-arn"),
    pytest.param(f"{LAMBDA_ARN}:my-fn:live", "my-fn", "name", "live", id="literal-arn-alias"),
    pytest.param(f"{LAMBDA_ARN}:my-fn:12", "my-fn", "name", "12", id="literal-arn-version"),
    pytest.param(
        f'"{LAMBDA_ARN}:my-fn:$LATEST"', "my-fn", "name", "$LATEST", id="literal-arn-latest"
    ),
    pytest.param(
        "!Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:my-fn",
        "my-fn", "name", None, id="sub-literal-name",
    ),
    pytest.param(
        "!Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:my-fn",
        "my-fn", "name", None, id="sub-literal-name-partition",
    ),
    pytest.param(
        "!Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:my-fn:live",
        "my-fn", "name", "live", id="sub-literal-name-partition-qualified",
    ),
    pytest.param("!Ref FnVersion", "FnVersion", "version", "version", id="ref-version"),
    pytest.param(
        "!GetAtt FnVersion.FunctionArn", "FnVersion", "version", "version",
        id="getatt-version-function-arn",
    ),
    pytest.param("!Ref FnAlias", "FnAlias", "alias", "live", id="ref-alias"),
    pytest.param("!GetAtt FnAlias.AliasArn", "FnAlias", "alias", "live", id="getatt-alias-arn"),
]


@pytest.mark.parametrize(("value", "via", "via_kind", "qualifier"), RESOLUTION_CASES)
def test_resolution_forms(
    tmp_path: Path, value: str, via: str, via_kind: str, qualifier: str | None
) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Events::Rule", f"""
        ScheduleExpression: rate(5 minutes)
        Targets:
          - Id: target
            Arn: {value}
        """))

    ref = single_ref(graph, "Consumer")

    assert (ref.via, ref.via_kind, ref.qualifier) == (via, via_kind, qualifier)
    assert ref.qualified is (qualifier not in (None, "$LATEST"))
    assert ref.role is Role.INVOKE
    assert ref.path == ("Targets", 0, "Arn")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("!GetAtt FnVersion.Version", id="version-number"),
        pytest.param("!GetAtt Fn.SnapStartResponse.ApplyOn", id="other-function-attribute"),
        pytest.param(f"{LAMBDA_ARN}:someone-else", id="arn-of-a-function-not-in-the-stack"),
        pytest.param(f"{LAMBDA_ARN}:my-fn-canary", id="arn-with-a-longer-name"),
        pytest.param('!Sub "${!Fn.Arn}"', id="escaped-sub-token"),
        pytest.param("!ImportValue my-fn-arn", id="import-value"),
        pytest.param("!GetAtt Queue.Arn", id="another-resource"),
    ],
)
def test_values_that_do_not_name_fn(tmp_path: Path, value: str) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Events::Rule", f"""
        ScheduleExpression: rate(5 minutes)
        Targets:
          - Id: target
            Arn: {value}
        """))

    assert refs_from(graph, "Consumer") == []


def test_fn_if_yields_both_branches(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::SNS::Subscription", """
        Protocol: lambda
        TopicArn: arn:aws:sns:us-east-1:123456789012:orders
        Endpoint: !If [IsProd, !Ref FnAlias, !GetAtt Fn.Arn]
        """))

    refs = refs_from(graph, "Consumer")

    assert sorted((r.via_kind, r.qualified) for r in refs) == [
        ("alias", True),
        ("function", False),
    ]
    assert {r.path for r in refs} == {("Endpoint",)}
    assert {r.role for r in refs} == {Role.INVOKE}


def test_fn_if_around_a_whole_list_item(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Events::Rule", """
        ScheduleExpression: rate(5 minutes)
        Targets:
          - !If
            - IsProd
            - Id: live
              Arn: !Ref FnAlias
            - Id: latest
              Arn: !GetAtt Fn.Arn
        """))

    refs = refs_from(graph, "Consumer")

    assert [(r.path, r.qualified) for r in refs] == [
        (("Targets", 0, "Arn"), True),
        (("Targets", 0, "Arn"), False),
    ]
    assert {r.role for r in refs} == {Role.INVOKE}


def test_join_building_an_invocation_uri(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::ApiGateway::Method", """
        HttpMethod: POST
        ResourceId: abc123
        RestApiId: def456
        AuthorizationType: NONE
        Integration:
          Type: AWS_PROXY
          IntegrationHttpMethod: POST
          Uri: !Join
            - ""
            - - "arn:aws:apigateway:"
              - !Ref AWS::Region
              - ":lambda:path/2015-03-31/functions/"
              - !GetAtt Fn.Arn
              - "/invocations"
        """) + consumer("AWS::ApiGateway::Method", """
        HttpMethod: GET
        ResourceId: abc123
        RestApiId: def456
        AuthorizationType: NONE
        Integration:
          Type: AWS_PROXY
          IntegrationHttpMethod: POST
          Uri: !Join
            - ""
            - - "arn:aws:apigateway:"
              - !Ref AWS::Region
              - ":lambda:path/2015-03-31/functions/"
              - !GetAtt Fn.Arn
              - ":live/invocations"
        """, logical_id="LiveMethod"))

    assert single_ref(graph, "Consumer").qualified is False
    assert single_ref(graph, "LiveMethod").qualifier == "live"


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param(f"{INVOCATIONS}/{LAMBDA_ARN}:my-fn/invocations", id="unqualified"),
        pytest.param(f"{INVOCATIONS}/{LAMBDA_ARN}:my-fn:live/invocations", id="qualified"),
    ],
)
def test_literal_function_arn_inside_an_invocation_uri(tmp_path: Path, uri: str) -> None:
    graph = build_graph(tmp_path, consumer("AWS::ApiGateway::Authorizer", f"""
        Name: tokens
        RestApiId: def456
        Type: TOKEN
        AuthorizerUri: !Sub {uri}
        """))

    ref = single_ref(graph, "Consumer")

    assert ref.via_kind == "name"
    assert ref.qualified is uri.endswith(":live/invocations")


@pytest.mark.parametrize(
    ("resource_type", "name", "role", "qualifier"),
    [
        pytest.param("AWS::Lambda::EventSourceMapping", "my-fn", Role.INVOKE, None, id="esm"),
        pytest.param(
            "AWS::Lambda::EventSourceMapping", "my-fn:live", Role.INVOKE, "live", id="esm-alias"
        ),
        pytest.param(
            "AWS::Lambda::EventSourceMapping", '"my-fn:$LATEST"', Role.INVOKE, "$LATEST",
            id="esm-latest",
        ),
        pytest.param("AWS::Lambda::Permission", "my-fn", Role.GRANT, None, id="permission"),
        pytest.param(
            "AWS::Lambda::Permission", "my-fn:live", Role.GRANT, "live", id="permission-alias"
        ),
    ],
)
def test_bare_function_name_matches_a_literal_function_name(
    tmp_path: Path, resource_type: str, name: str, role: Role, qualifier: str | None
) -> None:
    graph = build_graph(tmp_path, consumer(resource_type, f"""
        FunctionName: {name}
        EventSourceArn: !GetAtt Queue.Arn
        Action: lambda:InvokeFunction
        Principal: events.amazonaws.com
        """))

    ref = single_ref(graph, "Consumer")

    assert (ref.via, ref.via_kind, ref.role, ref.qualifier) == ("my-fn", "name", role, qualifier)
    assert ref.qualified is (qualifier not in (None, "$LATEST"))


def test_bare_name_of_a_function_outside_the_stack_is_ignored(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Lambda::EventSourceMapping", """
        FunctionName: someone-else
        EventSourceArn: !GetAtt Queue.Arn
        """))

    assert all(w.references == [] or all(r.source != "Consumer" for r in w.references)
               for w in graph.functions.values())


def test_json_template_with_dotted_getatt(tmp_path: Path) -> None:
    body = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": {"ZipFile": "x"}, "Handler": "i.h", "Runtime": "nodejs20.x"},
            },
            "Topic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "Subscription": [
                        {"Protocol": "lambda", "Endpoint": {"Fn::GetAtt": "Fn.Arn"}},
                        {"Protocol": "lambda", "Endpoint": {"Fn::GetAtt": ["Fn", "Arn"]}},
                    ]
                },
            },
        }
    }
    path = tmp_path / "template.json"
    path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    graph = ReferenceGraph(load_template_file(path))

    refs = refs_from(graph, "Topic")

    assert [r.path for r in refs] == [
        ("Subscription", 0, "Endpoint"),
        ("Subscription", 1, "Endpoint"),
    ]
    assert all(r.role is Role.INVOKE and not r.qualified for r in refs)


def test_parse_text_short_form_tags_reach_the_graph(tmp_path: Path) -> None:
    text = BASE + textwrap.indent(consumer("AWS::SNS::Subscription", """
        Protocol: lambda
        TopicArn: arn:aws:sns:us-east-1:123456789012:orders
        Endpoint: !Sub "${Fn.Arn}:live"
        """), "  ")
    body, kind = parse_text(tmp_path / "t.yaml", text)

    assert kind == "yaml"
    assert body["Resources"]["Consumer"]["Properties"]["Endpoint"] == {"Fn::Sub": "${Fn.Arn}:live"}


def test_reference_points_at_the_consumer_line(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Events::Rule", """
        ScheduleExpression: rate(5 minutes)
        Targets:
          - Id: target
            Arn: !GetAtt Fn.Arn
        """))
    ref = single_ref(graph, "Consumer")
    lines = (tmp_path / "template.yaml").read_text(encoding="utf-8").splitlines()

    line = graph.stack.locate(ref.source, ref.path).line

    assert line is not None
    assert lines[line - 1].strip() == "Arn: !GetAtt Fn.Arn"


# --------------------------------------------------------------------------------------------
# Which function a reference lands on
# --------------------------------------------------------------------------------------------


def test_references_land_on_the_function_they_name(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Events::Rule", """
        ScheduleExpression: rate(5 minutes)
        Targets:
          - Id: a
            Arn: !GetAtt Fn.Arn
          - Id: b
            Arn: !GetAtt Other.Arn
        """))

    assert [r.path for r in refs_from(graph, "Consumer", "Fn")] == [("Targets", 0, "Arn")]
    assert [r.path for r in refs_from(graph, "Consumer", "Other")] == [("Targets", 1, "Arn")]


def test_event_invoke_config_qualifier_does_not_qualify_its_destination(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Lambda::EventInvokeConfig", """
        FunctionName: !Ref Other
        Qualifier: live
        DestinationConfig:
          OnFailure:
            Destination: !GetAtt Fn.Arn
        """))

    config = single_ref(graph, "Consumer", "Other")
    destination = single_ref(graph, "Consumer", "Fn")

    assert (config.role, config.qualifier) == (Role.CONFIGURE, "live")
    assert destination.role is Role.INVOKE
    assert destination.consumer == "asynchronous invocation destination"
    assert destination.qualified is False


def test_url_qualifier_applies_to_its_target(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Lambda::Url", """
        TargetFunctionArn: !Ref Fn
        Qualifier: $LATEST
        AuthType: NONE
        """))

    ref = single_ref(graph, "Consumer")

    assert ref.qualifier == "$LATEST"
    assert ref.qualified is False
    assert ref.form == "explicit $LATEST"


def test_invoking_lists_only_invocation_paths(tmp_path: Path) -> None:
    graph = build_graph(
        tmp_path,
        consumer("AWS::Lambda::Permission", """
            FunctionName: !Ref Fn
            Action: lambda:InvokeFunction
            Principal: s3.amazonaws.com
            """, logical_id="Perm")
        + consumer("AWS::Lambda::EventSourceMapping", """
            FunctionName: !Ref Fn
            EventSourceArn: !GetAtt Queue.Arn
            """, logical_id="Esm"),
        outputs="""
        Name:
          Value: !Ref Fn
          Export: {Name: orders-fn}
        """,
    )
    wiring = graph.functions["Fn"]

    assert [r.source for r in wiring.invoking] == ["Esm"]
    assert [r.source for r in wiring.with_role(Role.GRANT)] == ["Perm"]
    assert [r.source for r in wiring.with_role(Role.EXTERNAL)] == ["Outputs.Name"]
    assert sorted(r.source for r in wiring.with_role(Role.DEFINE)) == ["FnAlias", "FnVersion"]


# --------------------------------------------------------------------------------------------
# Versions and aliases
# --------------------------------------------------------------------------------------------


def test_versions_and_aliases_are_indexed(tmp_path: Path) -> None:
    graph = build_graph(tmp_path)
    wiring = graph.functions["Fn"]

    assert wiring.versions == ["FnVersion"]
    assert wiring.aliases == {
        "FnAlias": AliasInfo(
            logical_id="FnAlias", name="live", function="Fn", version="FnVersion", on_latest=False
        )
    }
    assert wiring.has_safe_target
    assert graph.functions["Other"].versions == []
    assert graph.functions["Other"].aliases == {}
    assert not graph.functions["Other"].has_safe_target


def test_version_and_alias_definitions_are_not_invocations(tmp_path: Path) -> None:
    graph = build_graph(tmp_path)

    version = single_ref(graph, "FnVersion")
    alias = single_ref(graph, "FnAlias")

    assert (version.role, alias.role) == (Role.DEFINE, Role.DEFINE)
    assert graph.functions["Fn"].invoking == []


def test_version_and_alias_named_by_literal_function_name(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, """
        NamedVersion:
          Type: AWS::Lambda::Version
          Properties:
            FunctionName: my-fn
        NamedAlias:
          Type: AWS::Lambda::Alias
          Properties:
            FunctionName: arn:aws:lambda:us-east-1:123456789012:function:my-fn
            FunctionVersion: !GetAtt NamedVersion.Version
            Name: blue
        Consumer:
          Type: AWS::SNS::Subscription
          Properties:
            Protocol: lambda
            TopicArn: arn:aws:sns:us-east-1:123456789012:orders
            Endpoint: !Ref NamedAlias
        """)
    wiring = graph.functions["Fn"]

    assert wiring.versions == ["FnVersion", "NamedVersion"]
    assert wiring.aliases["NamedAlias"].version == "NamedVersion"
    ref = single_ref(graph, "Consumer")
    assert (ref.via, ref.via_kind, ref.qualifier) == ("NamedAlias", "alias", "blue")


def test_alias_on_latest_gives_no_qualification(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, """
        LatestAlias:
          Type: AWS::Lambda::Alias
          Properties:
            FunctionName: !Ref Other
            FunctionVersion: $LATEST
            Name: current
        Consumer:
          Type: AWS::SNS::Subscription
          Properties:
            Protocol: lambda
            TopicArn: arn:aws:sns:us-east-1:123456789012:orders
            Endpoint: !Ref LatestAlias
        """)
    wiring = graph.functions["Other"]

    info = wiring.aliases["LatestAlias"]
    ref = single_ref(graph, "Consumer", "Other")

    assert (info.on_latest, info.version, info.name) == (True, None, "current")
    assert not wiring.has_safe_target
    assert (ref.via, ref.via_kind, ref.qualifier) == ("LatestAlias", "alias", "$LATEST")
    assert ref.qualified is False
    assert ref.form == "alias LatestAlias on $LATEST"


@pytest.mark.parametrize(
    ("resource_type", "properties", "role"),
    [
        pytest.param(
            "AWS::SNS::Subscription",
            """
            Protocol: lambda
            TopicArn: arn:aws:sns:us-east-1:123456789012:orders
            Endpoint: !Sub "${Fn.Arn}:current"
            """,
            Role.INVOKE,
            id="sub-suffix",
        ),
        pytest.param(
            "AWS::SNS::Subscription",
            f"""
            Protocol: lambda
            TopicArn: arn:aws:sns:us-east-1:123456789012:orders
            Endpoint: {LAMBDA_ARN}:my-fn:current
            """,
            Role.INVOKE,
            id="literal-arn",
        ),
        pytest.param(
            "AWS::Lambda::EventSourceMapping",
            """
            FunctionName: my-fn:current
            EventSourceArn: !GetAtt Queue.Arn
            """,
            Role.INVOKE,
            id="bare-name",
        ),
        pytest.param(
            "AWS::Lambda::Url",
            """
            TargetFunctionArn: !GetAtt Fn.Arn
            Qualifier: current
            AuthType: NONE
            """,
            Role.INVOKE,
            id="qualifier-property",
        ),
        pytest.param(
            "AWS::Lambda::Permission",
            """
            FunctionName: !Sub "${Fn}:current"
            Action: lambda:InvokeFunction
            Principal: sns.amazonaws.com
            """,
            Role.GRANT,
            id="permission",
        ),
    ],
)
def test_qualifier_naming_an_alias_on_latest_is_not_qualified(
    tmp_path: Path, resource_type: str, properties: str, role: Role
) -> None:
    graph = build_graph(
        tmp_path,
        textwrap.dedent("""
        CurrentAlias:
          Type: AWS::Lambda::Alias
          Properties:
            FunctionName: !Ref Fn
            FunctionVersion: $LATEST
            Name: current
        """)
        + consumer(resource_type, properties),
    )

    ref = single_ref(graph, "Consumer")

    assert (ref.via, ref.via_kind, ref.qualifier) == ("CurrentAlias", "alias", "$LATEST")
    assert ref.qualified is False
    assert ref.role is role


def test_qualifier_naming_a_published_alias_stays_qualified(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, consumer("AWS::SNS::Subscription", """
        Protocol: lambda
        TopicArn: arn:aws:sns:us-east-1:123456789012:orders
        Endpoint: !Sub "${Fn.Arn}:live"
        """))

    ref = single_ref(graph, "Consumer")

    assert (ref.qualifier, ref.qualified) == ("live", True)


def test_alias_on_a_literal_version_number(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, """
        PinnedAlias:
          Type: AWS::Lambda::Alias
          Properties:
            FunctionName: !Ref Other
            FunctionVersion: "3"
            Name: pinned
        """)
    info = graph.functions["Other"].aliases["PinnedAlias"]

    assert (info.on_latest, info.version) == (False, None)
    assert graph.functions["Other"].has_safe_target


def test_alias_name_from_an_intrinsic_still_qualifies(tmp_path: Path) -> None:
    graph = build_graph(tmp_path, """
        ParamAlias:
          Type: AWS::Lambda::Alias
          Properties:
            FunctionName: !Ref Fn
            FunctionVersion: !GetAtt FnVersion.Version
            Name: !Ref AliasName
        Consumer:
          Type: AWS::Lambda::Url
          Properties:
            TargetFunctionArn: !Ref ParamAlias
            AuthType: NONE
        """)

    ref = single_ref(graph, "Consumer")

    assert graph.functions["Fn"].aliases["ParamAlias"].name is None
    assert ref.via_kind == "alias"
    assert ref.qualified is True


@pytest.mark.parametrize(
    ("value", "form"),
    [
        pytest.param("!GetAtt Fn.Arn", "unqualified", id="function"),
        pytest.param("!Ref FnVersion", "version FnVersion", id="version"),
        pytest.param("!Ref FnAlias", "alias FnAlias", id="alias"),
        pytest.param('!Sub "${Fn.Arn}:live"', "qualified ':live'", id="suffix"),
        pytest.param('!Sub "${Fn.Arn}:${AliasName}"', "qualified", id="suffix-parameter"),
    ],
)
def test_form_describes_how_the_consumer_names_the_function(
    tmp_path: Path, value: str, form: str
) -> None:
    graph = build_graph(tmp_path, consumer("AWS::Scheduler::Schedule", f"""
        ScheduleExpression: rate(1 hour)
        FlexibleTimeWindow:
          Mode: "OFF"
        Target:
          Arn: {value}
          RoleArn: arn:aws:iam::123456789012:role/scheduler
        """))

    assert single_ref(graph, "Consumer").form == form


def test_a_secret_that_names_a_function_does_not_invoke_it(tmp_path: Path) -> None:
    graph = build_graph(
        tmp_path,
        consumer("AWS::SecretsManager::Secret", """
            Name: !Sub "${Fn}-credentials"
            Description: !GetAtt Fn.Arn
            """, logical_id="Creds"),
    )
    wiring = graph.functions["Fn"]
    assert wiring.invoking == []
    assert {r.role for r in wiring.references if r.source == "Creds"} == {Role.OTHER}
