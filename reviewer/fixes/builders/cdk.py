"""Fixes for CDK apps: a snippet in the app's language, at the construct that made the function.

The synthesized template is not what the user edits, so the fix is code: an alias on the
function's ``currentVersion`` (``fn.addAlias('live')``: CDK names the version after a hash of
the function's properties, so every change publishes), handed to each kind of consumer the
analysis found instead of the function. TypeScript, JavaScript and Python are written out;
Java, C# and Go get the one call, named. The language comes from the source file the
finding points at, else from ``cdk.json``'s ``app`` command.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reviewer.contract.enums import FixNeed, Framework
from reviewer.contract.findings import Finding, Fix, Snippet
from reviewer.contract.wording import NOT_SAFE_ALONE
from reviewer.diff.context import StackContext
from reviewer.fixes.builders.base import listing, needs, two_phase
from reviewer.model.consumers import Role

CDK_PATH = "aws:cdk:path"
#: Construct ids CDK gives its own children: never the user's name for the function.
_GENERATED = frozenset({"Resource", "Default", "CurrentVersion", "ServiceRole"})

_SUFFIX_LANGUAGE = {
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".py": "python", ".java": "java", ".cs": "csharp", ".go": "go",
}

#: Consumer kind by resource type: how the alias is handed to it.
_KIND = {
    "AWS::ApiGateway::Method": "rest",
    "AWS::ApiGateway::RestApi": "rest",
    "AWS::ApiGatewayV2::Integration": "http",
    "AWS::ApiGatewayV2::Api": "http",
    "AWS::Lambda::EventSourceMapping": "source",
    "AWS::Events::Rule": "rule",
    "AWS::Scheduler::Schedule": "schedule",
    "AWS::SNS::Subscription": "sns",
    "AWS::SNS::Topic": "sns",
    "AWS::S3::Bucket": "s3",
    "AWS::Lambda::Url": "url",
    "AWS::Logs::SubscriptionFilter": "logs",
    "AWS::StepFunctions::StateMachine": "sfn",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "alb",
    "AWS::Cognito::UserPool": "cognito",
}

_TS_LINES = {
    "rest": "new apigateway.LambdaIntegration({v})                    // API Gateway",
    "http": "new HttpLambdaIntegration('Integration', {v})           // HTTP API",
    "source": "{v}.addEventSource(new SqsEventSource(queue))           // not {fn}.addEventSource",
    "rule": "rule.addTarget(new targets.LambdaFunction({v}))         // EventBridge",
    "schedule": "new scheduler.Schedule(this, 'Schedule', {{ schedule, target: new "
    "schedulerTargets.LambdaInvoke({v}, {{}}) }})",
    "sns": "topic.addSubscription(new subscriptions.LambdaSubscription({v}))",
    "s3": "bucket.addEventNotification(s3.EventType.OBJECT_CREATED, "
    "new s3n.LambdaDestination({v}))",
    "url": "{v}.addFunctionUrl({{ authType: lambda.FunctionUrlAuthType.AWS_IAM }})  // a new URL",
    "logs": "logGroup.addSubscriptionFilter('Filter', {{ destination: new "
    "logsDestinations.LambdaDestination({v}), filterPattern }})",
    "sfn": "new tasks.LambdaInvoke(this, 'Invoke', {{ lambdaFunction: {v} }})",
    "alb": "listener.addTargets('Lambda', {{ targets: [new elbv2Targets.LambdaTarget({v})] }})",
    "cognito": "userPool.addTrigger(cognito.UserPoolOperation.PRE_SIGN_UP, {v})",
}
_PY_LINES = {
    "rest": "apigateway.LambdaIntegration({v})                        # API Gateway",
    "http": "HttpLambdaIntegration(\"Integration\", {v})                # HTTP API",
    "source": "{v}.add_event_source(SqsEventSource(queue))             # not {fn}.add_event_source",
    "rule": "rule.add_target(targets.LambdaFunction({v}))             # EventBridge",
    "schedule": "scheduler.Schedule(self, \"Schedule\", schedule=schedule, "
    "target=scheduler_targets.LambdaInvoke({v}))",
    "sns": "topic.add_subscription(subscriptions.LambdaSubscription({v}))",
    "s3": "bucket.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.LambdaDestination({v}))",
    "url": "{v}.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)  # a new URL",
    "logs": "log_group.add_subscription_filter(\"Filter\", "
    "destination=logs_destinations.LambdaDestination({v}), filter_pattern=filter_pattern)",
    "sfn": "tasks.LambdaInvoke(self, \"Invoke\", lambda_function={v})",
    "alb": "listener.add_targets(\"Lambda\", targets=[elbv2_targets.LambdaTarget({v})])",
    "cognito": "user_pool.add_trigger(cognito.UserPoolOperation.PRE_SIGN_UP, {v})",
}
_OTHER_LANGUAGES = {
    "java": 'Alias {v} = {fn}.addAlias("live");',
    "csharp": 'var {v} = {fn}.AddAlias("live");',
    "go": '{v} := {fn}.AddAlias(jsii.String("live"), nil)',
}


def build(context: StackContext, function: str, findings: Sequence[Finding]) -> Fix | None:
    """A snippet that routes the function's consumers through ``fn.addAlias('live')``."""
    resource = context.new.resources.get(function)
    if resource is None:
        return None
    location = findings[0].location
    construct = location.symbol or _construct_path(resource.metadata.get(CDK_PATH))
    language = _language(location.path, context.new.source_locator)
    name = _variable(construct or function, language)
    kinds = _consumer_kinds(context, function)
    snippet = _snippet(language, name, construct, kinds, location.path, location.line)
    staged = two_phase(findings)
    where = f"{location.path}:{location.line}" if location.line else location.path
    steps: list[str] = []
    if staged:
        steps.append(
            "Phase one: make this change alone on the base branch (the function's code and "
            "configuration as deployed now) and deploy it: the consumers move to the alias."
        )
        steps.append(
            "Phase two: rebase this change on it and deploy: the alias moves in one switch."
        )
    else:
        steps.append("Make this change with the code change: the alias moves in one switch.")
    notes = [
        "currentVersion needs lambda.Code.fromAsset or fromInline; for other code sources "
        "define a lambda.Version yourself, with a logical id that changes with the code",
    ]
    if FixNeed.REPUBLISH in needs(findings):
        notes.append(
            "CDK hashes the function's properties into its version id; a CfnParameter or "
            "another token in the environment is hashed as written, not as its value: change "
            "the version (fn.currentVersion after a description change) when only it changes"
        )
    summary = (
        f"route the consumers of {construct or function} through "
        f"{name}.addAlias('live') ({where})"
    )
    if staged:
        summary += (
            f", deployed first without the code and configuration change: {NOT_SAFE_ALONE}"
        )
    return Fix(
        summary=summary,
        two_phase=staged,
        steps=tuple(steps),
        framework=Framework.CDK,
        snippet=Snippet(snippet, language),
        notes=tuple(notes),
    )


def _construct_path(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    parts = [p for p in value.split("/") if p]
    while parts and parts[-1] in _GENERATED:
        parts.pop()
    return "/".join(parts) or None


def _language(path: str, locator: Any) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in _SUFFIX_LANGUAGE:
        return _SUFFIX_LANGUAGE[suffix]
    app = getattr(locator, "app", None)
    language = getattr(app, "language", None)
    return language if isinstance(language, str) else "typescript"


def _variable(construct: str, language: str) -> str:
    """The construct's own id as a variable name: ``Orders/Handler`` gives ``handler``."""
    segments = [s for s in construct.split("/") if s and s not in _GENERATED]
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", segments[-1] if segments else "fn")
    words = [w.lower() for w in words] or ["fn"]
    if language == "python":
        name = "_".join(words)
    else:
        name = words[0] + "".join(w.title() for w in words[1:])
    return name if name[:1].isalpha() else f"fn_{name}"


def _consumer_kinds(context: StackContext, function: str) -> list[str]:
    kinds: list[str] = []
    for graph in (context.old_graph, context.new_graph):
        wiring = graph.functions.get(function)
        for ref in wiring.with_role(Role.INVOKE) if wiring else []:
            kind = _KIND.get(ref.source_type)
            if kind and kind not in kinds:
                kinds.append(kind)
    return kinds


def _snippet(  # noqa: PLR0917
    language: str, name: str, construct: str | None, kinds: list[str], path: str, line: int | None
) -> str:
    live = f"{name}Live" if language != "python" else f"{name}_live"
    header = f"{construct or name}" + (f" ({path}:{line})" if line else "")
    if language in _OTHER_LANGUAGES:
        call = _OTHER_LANGUAGES[language].format(v=live, fn=name)
        return (
            f"// {header}\n{call}\n"
            f"// then pass {live} wherever {name} is handed to a consumer "
            f"({listing(kinds) or 'integrations, event sources, targets'})\n"
        )
    if language == "python":
        lines = [
            f"# {header}",
            "# A version on every code or configuration change, and alias 'live' on it:",
            f'{live} = {name}.add_alias("live")',
            '# same as: lambda_.Alias(self, "Live", alias_name="live", '
            f"version={name}.current_version)",
        ]
        table, comment = _PY_LINES, "#"
    else:
        lines = [
            f"// {header}",
            "// A version on every code or configuration change, and alias 'live' on it:",
            f"const {live} = {name}.addAlias('live');",
            f"// same as: new lambda.Alias(this, 'Live', {{ aliasName: 'live', version: "
            f"{name}.currentVersion }});",
        ]
        table, comment = _TS_LINES, "//"
    if kinds:
        lines.append(f"{comment} Hand the alias, not the function, to its consumers:")
        lines.extend(table[k].format(v=live, fn=name) for k in kinds)
    else:
        lines.append(f"{comment} Hand {live}, not {name}, to whatever invokes it.")
    return "\n".join(lines) + "\n"
