"""SAM templates, expanded locally by aws-sam-translator into the CloudFormation they deploy.

A template whose ``Transform`` names ``AWS::Serverless-2016-10-31`` is not what CloudFormation
deploys: the SAM transform turns each ``AWS::Serverless::Function`` into an
``AWS::Lambda::Function`` plus its role, versions, aliases, permissions, event source
mappings, rules, APIs and so on. The analysis needs that expansion, so it runs the real
translator here, the same code CloudFormation runs, with nothing that reaches AWS:

- **Region.** The translator needs one (for the partition of ARNs and the ``AWS::Region``
  pseudo parameter). It comes from the AWS configuration as boto3 reads it
  (``AWS_DEFAULT_REGION``, the profile's ``region``) when one is set, else ``us-east-1``. It
  is handed to the translator as a boto3 session, so the process environment is never
  touched, and no credentials are ever looked up.
- **Managed policies.** SAM resolves names in ``Policies`` from the map it bundles; the
  rare name it does not know is resolved by :class:`OfflinePolicyLoader` instead of IAM's
  ``ListPolicies``.
- **Serverless Application Repository.** An ``AWS::Serverless::Application`` located by
  ``ApplicationId`` and ``SemanticVersion`` would make the translator ask SAR for a template
  URL. :class:`OfflineRepository` answers instead, with a placeholder URL that names the
  application and version (so a version bump still shows as a change of ``TemplateURL``).

This is what ``samtranslator.translator.transform.transform`` does, step for step, except
that ``transform`` builds its own SAR client and takes the region from the environment; the
translator's public ``Translator`` class accepts both, so it is driven directly.

Translator errors (an invalid SAM document) become an :class:`~reviewer.errors.InputError`:
one line, ``SAM transform failed: ...``, with the line of the resource it names.

``AWS::Include`` of a local file (an API's ``DefinitionBody`` kept in ``api.yaml``) is inlined
first, as ``sam deploy`` and CloudFormation inline it before SAM runs (``includes``); one that
is not read (in S3, or a path to nothing) is named in a note of the stack, and in the error
when the translator then fails.

Local artifact paths (``CodeUri: src/``, which ``sam package`` uploads and rewrites to S3
locations before CloudFormation sees them) become content hashes first (``sam_artifacts``);
code that cannot be read is named in a note of the stack, unless a caller that sees both
sides records it (``sam_artifacts.recording``) to write the notes itself.

Not done here, and said so in the error when it is the cause: the ``AWS::LanguageExtensions``
transform (``Fn::ForEach`` and friends, which CloudFormation applies before SAM). Feature
toggles stay at the open-source translator's default: all off.

This module is imported only for SAM templates: plain templates never load the translator.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
from samtranslator.model.exceptions import (  # type: ignore[import-untyped]
    ExceptionWithMessage,
    InvalidDocumentException,
)
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.plugins.application.serverless_app_plugin import (  # type: ignore[import-untyped]
    ServerlessAppPlugin,
)
from samtranslator.translator.arn_generator import ArnGenerator  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]
from samtranslator.utils.py27hash_fix import (  # type: ignore[import-untyped]
    to_py27_compatible_template,
)

from reviewer.contract.enums import Framework
from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources import local_files
from reviewer.sources.cloudformation.includes import inline_includes
from reviewer.sources.cloudformation.region import configured_region
from reviewer.sources.cloudformation.sam_artifacts import localise_artifacts, record, unread_note
from reviewer.sources.cloudformation.sam_locations import SamSourceMap

#: The region used when the AWS configuration names none.
DEFAULT_REGION = "us-east-1"

#: AWS managed policies whose ARN has the ``service-role/`` path, as SAM itself writes them.
SERVICE_ROLE_POLICIES = frozenset({
    "AWSCodeDeployRoleForLambda",
    "AWSCodeDeployRoleForLambdaLimited",
    "AWSLambdaBasicDurableExecutionRolePolicy",
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaENIManagementAccess",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaMSKExecutionRole",
    "AWSLambdaRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
})

#: SAM resource types whose ``Policies`` name managed policies.
_POLICY_HOLDERS = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")

_RESOURCE_IN_MESSAGE = re.compile(r"Resource with id \[([^\]]+)\]")
#: What the translator says of a ``CodeUri``/``ContentUri`` that is a local path.
_LOCAL_ARTIFACT = "is not a valid S3 Uri"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
LANGUAGE_EXTENSIONS_HINT = (
    "the AWS::LanguageExtensions transform, which CloudFormation applies before SAM, "
    "is not applied here"
)
PACKAGE_HINT = (
    "latest-guard expands SAM as CloudFormation receives it, with code in S3: pass the "
    "template that sam package writes"
)


def expand(stack: StackTemplate, *, region: str | None = None) -> StackTemplate:
    """The CloudFormation template SAM deploys for ``stack``, with lines in the SAM source.

    Everything else about the stack (name, path, known parameter values, parent) is kept.

    ``region`` overrides the configured region (the fixtures pin it so that their committed
    expansions do not depend on the machine that regenerates them).
    """
    document = plain_copy(stack.path, stack.body)
    includes = inline_includes(document, stack.path, stack.line_lookup)
    local = localise_artifacts(document, stack.path, stack.line_lookup, stack=stack.name)
    unread = local.unread
    region = region or configured_region() or DEFAULT_REGION
    try:
        translated = _translate(stack, document, region)
    except InputError as exc:
        if not includes:
            raise
        causes = "; ".join(dict.fromkeys(i.cause(stack.path) for i in includes))
        raise InputError(exc.path, f"{exc.message} ({causes})", exc.line) from None
    sources = SamSourceMap(stack)
    notes = (*stack.notes, *dict.fromkeys(i.note(stack.path) for i in includes))
    if not record(unread):  # nobody compares both sides: the template says it itself
        absent = local_files.absent()
        notes = (*notes, *dict.fromkeys(
            unread_note(u) if absent is None else unread_note(u, absent.reason, absent.advice)
            for u in unread if not u.present
        ))
    return replace(
        stack,
        body=translated,
        line_lookup=sources.line_lookup,
        framework=Framework.SAM,
        source_locator=sources.locate,
        notes=notes,
        code_folders=local.folders,
    )


def plain_copy(path: Path, body: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-shaped copy of a loaded template: plain dicts, lists and scalars only.

    The loader's containers carry line numbers; the translator deep-copies, hashes and
    serialises what it is given, and mutates it in place, so it gets a copy of its own.
    """
    try:
        copied: dict[str, Any] = json.loads(json.dumps(body, allow_nan=False))
    except (TypeError, ValueError) as exc:
        reason = f"SAM transform failed: the template is not JSON-shaped: {exc}"
        raise InputError(path, reason) from None
    return copied


@cache
def _session(region: str) -> Any:
    """A boto3 session pinned to ``region``, for the translator (it never makes a call)."""
    return boto3.session.Session(region_name=region)


def parameter_values(stack: StackTemplate) -> dict[str, Any]:
    """Known parameter values of the stack, with each other parameter's ``Default``.

    The translator resolves ``Ref``s to parameters with these (in ``CodeUri`` before hashing
    a version's logical id, in SAR locations, in policy templates, ...).
    """
    values: dict[str, Any] = {}
    for name, definition in stack.parameters.items():
        if "Default" in definition:
            values[name] = definition["Default"]
    values.update(stack.parameter_values)
    return values


class OfflinePolicyLoader:
    """Managed-policy names to ARNs, without IAM.

    The translator asks a loader only for names missing from the map of AWS managed policies
    it bundles. This loader answers for every policy name the template uses (strings in
    ``Policies``, including both branches of ``Fn::If``): ``arn:<partition>:iam::aws:policy/``
    and the name, with the ``service-role/`` path for the Lambda and CodeDeploy service-role
    policies SAM attaches itself.
    """

    def __init__(self, names: Iterable[str], partition: str) -> None:
        self._names = frozenset(names)
        self._partition = partition

    def load(self) -> dict[str, str]:
        return {name: self.arn(name) for name in sorted(self._names | SERVICE_ROLE_POLICIES)}

    def arn(self, name: str) -> str:
        path = "service-role/" if name in SERVICE_ROLE_POLICIES else ""
        return f"arn:{self._partition}:iam::aws:policy/{path}{name}"


def policy_names(template: Mapping[str, Any]) -> set[str]:
    """Managed-policy names in the ``Policies`` of SAM functions and state machines."""
    holders: list[Any] = []
    globals_ = template.get("Globals")
    if isinstance(globals_, Mapping):
        holders.extend(
            section.get("Policies")
            for section in globals_.values()
            if isinstance(section, Mapping)
        )
    resources = template.get("Resources")
    if isinstance(resources, Mapping):
        for resource in resources.values():
            if not isinstance(resource, Mapping) or resource.get("Type") not in _POLICY_HOLDERS:
                continue
            properties = resource.get("Properties")
            if isinstance(properties, Mapping):
                holders.append(properties.get("Policies"))
    return {name for value in holders for name in _names_in(value)}


def _names_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if not value.startswith("arn:"):
            yield value
    elif isinstance(value, list):
        for item in value:
            yield from _names_in(item)
    elif isinstance(value, Mapping) and isinstance(value.get("Fn::If"), list):
        for branch in value["Fn::If"][1:]:
            yield from _names_in(branch)


class OfflineRepository:
    """Stands in for the Serverless Application Repository client the translator would use.

    SAM replaces an application's ``Location`` by the template URL SAR returns; here that URL
    is a placeholder naming the application and its version. The nested stack's content is
    not known offline either way.
    """

    def create_cloud_formation_template(
        self, ApplicationId: str, SemanticVersion: str
    ) -> dict[str, str]:
        return {
            "ApplicationId": ApplicationId,
            "SemanticVersion": SemanticVersion,
            "Status": "ACTIVE",
            "TemplateId": "offline",
            "TemplateUrl": template_url(ApplicationId, SemanticVersion),
        }

    def get_application(
        self, ApplicationId: str, SemanticVersion: str
    ) -> dict[str, str]:
        return {"ApplicationId": ApplicationId, "Version": SemanticVersion}


def template_url(application_id: str, semantic_version: str) -> str:
    """The placeholder template URL of a SAR application version."""
    return (
        "https://serverlessrepo.invalid/latest-guard-offline/"
        f"{application_id.replace(':', '/')}/{semantic_version}/template.yaml"
    )


def _translate(stack: StackTemplate, document: dict[str, Any], region: str) -> dict[str, Any]:
    """Run the SAM translator over ``document`` (which it consumes)."""
    _quiet_translator_logs()
    partition = str(ArnGenerator.get_partition_name(region))
    values = parameter_values(stack)
    values.setdefault("AWS::Region", region)
    values.setdefault("AWS::Partition", partition)
    loader = OfflinePolicyLoader(policy_names(document), partition)
    try:
        # As transform() does: hash-compatible strings first, so that generated logical ids
        # (API deployments) are the ones CloudFormation's own transform produces.
        to_py27_compatible_template(document, values)
        translator = Translator(
            None,
            Parser(),
            plugins=[ServerlessAppPlugin(sar_client=OfflineRepository(), parameters=values)],
            boto_session=_session(region),
        )
        translated = translator.translate(
            document, parameter_values=values, get_managed_policy_map=loader.load
        )
    except InvalidDocumentException as exc:
        causes = [cause.message for cause in exc.causes] or [exc.message]
        raise _failure(stack, causes) from None
    except ExceptionWithMessage as exc:
        raise _failure(stack, [exc.message]) from None
    except RecursionError:
        raise _failure(stack, ["the template is nested too deeply"]) from None
    except Exception as exc:  # the translator's own failure on input it did not expect
        reason = f"aws-sam-translator raised {type(exc).__name__}: {exc}"
        raise _failure(stack, [reason]) from None
    result: dict[str, Any] = json.loads(json.dumps(translated))
    return result


def _quiet_translator_logs() -> None:
    """Keep the translator's warnings (feature-toggle lookups, unpublished metrics) out of sight.

    They are about the translator's own service machinery, never about the user's template.
    Its logger gets a ``NullHandler`` (so Python's last-resort handler never prints to stderr)
    and, unless someone configured it, the level ``ERROR``.
    """
    logger = logging.getLogger("samtranslator")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.ERROR)


def _failure(stack: StackTemplate, messages: list[str]) -> InputError:
    """One line naming every reason the translator gave, at the first resource it names."""
    text = " ".join(" ".join(message.split()) for message in messages)
    if len(messages) > 1:
        text = f"{len(messages)} errors: {text}"
    if _LOCAL_ARTIFACT in text:
        text += f" ({PACKAGE_HINT})"
    transform = stack.body.get("Transform")
    if isinstance(transform, list) and LANGUAGE_EXTENSIONS in transform:
        text += f" ({LANGUAGE_EXTENSIONS_HINT})"
    line = None
    named = _RESOURCE_IN_MESSAGE.search(text)
    if named is not None:
        line = stack.line_lookup(("Resources", named.group(1)))
    return InputError(stack.path, f"SAM transform failed: {text}", line)
