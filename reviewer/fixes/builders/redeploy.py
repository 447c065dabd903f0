"""API Gateway serves a snapshot: once its integrations call the alias, deploy the API again.

A stage of a REST API (``AWS::ApiGateway::Deployment``) or of a WebSocket API
(``AWS::ApiGatewayV2::Deployment``) serves a deployment: a snapshot of the routes and
integrations taken when the deployment was created. CloudFormation updates a re-pointed
integration in place, but a deployment written by hand keeps its logical id and is never
created again, so the stage keeps calling the unqualified ARN, whose permission may just have
moved to the alias. (SAM's ``AWS::Serverless::Api`` names its deployment after a hash of the
body; an HTTP API stage with ``AutoDeploy`` deploys itself.)

So every deployment written in the template for an API whose integrations the fix re-points
gets a logical id that ends with a hash of what it deploys (the API's resources and the alias
they now call): CloudFormation creates it, the stages' ``DeploymentId`` is renamed with it and
moves to it, and the old deployment is deleted. The new deployment depends on the re-pointed
integrations, so that it is created after they are updated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewer.fixes.builders.dependencies import dependencies, in_template_order, referrers
from reviewer.fixes.builders.naming import digest_of, hashed_id, unique_id
from reviewer.fixes.edit.document import Document
from reviewer.fixes.edit.operations import OperationError, add_depends_on, rename_resource
from reviewer.fixes.edit.render import Style
from reviewer.fixes.edit.textedit import EditConflict, TextEdits
from reviewer.model.intrinsics import referenced_ids
from reviewer.model.template import StackTemplate


@dataclass(frozen=True)
class ApiFamily:
    """One kind of API: its deployment and stage types, and what calls a function in it."""

    api: str
    deployment: str
    stage: str
    api_property: str  # the property of its resources that names the API
    consumers: frozenset[str]


FAMILIES = (
    ApiFamily(
        "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage",
        "RestApiId",
        frozenset({
            "AWS::ApiGateway::Method", "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Authorizer",
        }),
    ),
    ApiFamily(
        "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Deployment", "AWS::ApiGatewayV2::Stage",
        "ApiId",
        frozenset({
            "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Api",
            "AWS::ApiGatewayV2::Authorizer",
        }),
    ),
)


@dataclass(frozen=True)
class Redeployed:
    """One deployment renamed: its old and new logical ids and the stages that follow it."""

    old: str
    new: str
    stages: tuple[str, ...]
    notes: tuple[str, ...] = ()


def redeploy(  # noqa: PLR0917
    document: Document,
    edits: TextEdits,
    stack: StackTemplate,
    repointed: Sequence[str],
    alias: str,
    style: Style,
) -> list[Redeployed]:
    """Rename the static deployments of every API whose integrations ``repointed`` holds."""
    done: list[Redeployed] = []
    for family in FAMILIES:
        consumers = [
            source for source in repointed
            if source in stack.resources and stack.resources[source].type in family.consumers
        ]
        if not consumers:
            continue
        apis = {source: _api_of(stack, family, source) for source in consumers}
        for logical_id, resource in stack.of_type(family.deployment).items():
            if document.resource(logical_id) is None:
                continue  # generated (SAM names it after a hash of the body already)
            deployed = _apis(stack, family, resource.properties.get(family.api_property))
            mine = [c for c, api in apis.items() if api is None or api in deployed]
            if not mine:
                continue
            renamed = _rename(document, edits, stack, family, logical_id, deployed, alias)
            if renamed is None:
                done.append(Redeployed(logical_id, logical_id, (), (
                    f"deploy the API of {logical_id} again after this change: its stage "
                    "serves the integrations as they were when it was deployed",
                )))
                continue
            _depend(document, edits, stack, logical_id, mine, style)
            done.append(renamed)
    return done


def _rename(  # noqa: PLR0917
    document: Document,
    edits: TextEdits,
    stack: StackTemplate,
    family: ApiFamily,
    logical_id: str,
    deployed: set[str],
    alias: str,
) -> Redeployed | None:
    digest = digest_of({"Deploys": _snapshot(stack, family, deployed), "Alias": alias})
    new = unique_id(hashed_id(logical_id, digest), stack.resources)
    if new == logical_id:
        return None
    try:
        rename_resource(document, edits, logical_id, new)
    except (OperationError, EditConflict):
        return None
    stages = tuple(
        stage for stage, resource in stack.of_type(family.stage).items()
        if logical_id in referenced_ids(resource.properties.get("DeploymentId"))
    )
    return Redeployed(logical_id, new, stages)


def _snapshot(stack: StackTemplate, family: ApiFamily, apis: set[str]) -> dict[str, object]:
    """What a deployment of ``apis`` captures: the APIs and the resources that refer to them,
    as written (deployments and stages aside)."""
    skip = {family.deployment, family.stage}
    captured = [stack.resources[name] for name in in_template_order(
        stack, set(apis).union(*(referrers(stack, api) for api in apis))
    )]
    return {
        resource.logical_id: {"Type": resource.type, "Properties": resource.properties}
        for resource in captured
        if resource.type not in skip
    }


def _api_of(stack: StackTemplate, family: ApiFamily, source: str) -> str | None:
    """The API a re-pointed consumer belongs to, when the stack says which."""
    resource = stack.resources[source]
    if resource.type == family.api:
        return source
    found = _apis(stack, family, resource.properties.get(family.api_property))
    return min(found) if found else None


def _apis(stack: StackTemplate, family: ApiFamily, value: object) -> set[str]:
    return {
        name for name in referenced_ids(value)
        if name in stack.resources and stack.resources[name].type == family.api
    }


def _depend(  # noqa: PLR0917
    document: Document,
    edits: TextEdits,
    stack: StackTemplate,
    deployment: str,
    consumers: Iterable[str],
    style: Style,
) -> None:
    """Make the deployment wait for the consumers it does not reach through its references."""
    reached = dependencies(stack, deployment)
    for consumer in consumers:
        if consumer in reached:
            continue
        try:
            add_depends_on(document, edits, deployment, consumer, style)
        except (OperationError, EditConflict):
            continue
        reached.add(consumer)
