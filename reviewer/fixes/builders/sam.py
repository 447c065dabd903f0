"""Fixes for SAM templates: ``AutoPublishAlias`` on the function, edited in the SAM source.

SAM publishes a version and points alias ``live`` at it when a function has
``AutoPublishAlias: live``, and it re-points the function's own events (API, SQS, schedules,
S3, SNS, function URL, event invoke config...) at the alias (facts sheet §4.1). So:

- the function gets ``AutoPublishAlias: live`` as the first line of its ``Properties``
  (unless it, or ``Globals.Function``, has one already);
- ``AutoPublishAliasAllProperties: true`` when a changed property is one SAM's default hash
  leaves out (everything but ``Code``, ``Environment``, ``MemorySize`` and ``SnapStart``), or
  for LG002: otherwise no new version is published for that change;
- for LG002 where a parameter value feeds the change, ``AWS::LanguageExtensions`` before the
  SAM transform: SAM hashes parameter references as written, not their values;
- resources the user wrote beside the function (rules, permissions, OpenAPI bodies, state
  machines) are not re-pointed by SAM: their references become ``!Ref Fn.Alias`` (in a
  ``Fn::Sub``, the generated alias id ``FnAliaslive``);
- a plain alias on ``$LATEST`` gets ``FunctionVersion: !GetAtt Fn.Version.Version``;
- SAM moves the permissions of the function's events to the alias: a caller that neither SAM
  nor the fix points there (an API body in another file) keeps a plain permission on the
  unqualified function (:mod:`reviewer.fixes.builders.sam_permissions`); permissions written
  beside the function move or stay as in plain templates
  (:mod:`reviewer.fixes.builders.permissions`).

Settings go on the function, never into ``Globals``: changing the hash of every function
would give unchanged functions a new version id, and publishing an unchanged function fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from reviewer.contract.enums import ChangeHow, FixNeed, Framework, Side
from reviewer.contract.findings import Finding, Fix, PropertyChange
from reviewer.contract.wording import NOT_SAFE_ALONE
from reviewer.diff.context import StackContext
from reviewer.fixes.builders.base import (
    FIX_COMMAND,
    EditedFile,
    file_fix,
    listing,
    needs,
    two_phase,
    wire_file,
)
from reviewer.fixes.builders.repoint import AliasTarget, repoint
from reviewer.fixes.builders.reroute import repoint_consumers
from reviewer.fixes.builders.sam_permissions import keep_generated_permissions
from reviewer.fixes.builders.wired import Wired
from reviewer.fixes.builders.wiring import ALIAS_NAME, function_names
from reviewer.fixes.edit.document import Document, Node
from reviewer.fixes.edit.operations import OperationError, insert_entry, set_entry
from reviewer.fixes.edit.render import GetAtt, Style
from reviewer.fixes.edit.source import display_path
from reviewer.fixes.edit.textedit import TextEdits
from reviewer.model.consumers import Role
from reviewer.model.references import FunctionWiring
from reviewer.model.template import StackTemplate

SAM_FUNCTION = "AWS::Serverless::Function"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
#: What SAM's default AutoPublishAlias hash covers (facts sheet §4.1).
DEFAULT_HASHED = frozenset({"Code", "Environment", "MemorySize", "SnapStart"})


@dataclass(frozen=True)
class SamOptions:
    """Which SAM settings the fix needs."""

    all_properties: bool
    language_extensions: bool


def sam_alias_id(function: str, alias_name: str) -> str:
    """The logical id SAM gives the alias: ``<Fn>Alias<name>``, ``-`` as D and ``_`` as U."""
    return f"{function}Alias{alias_name.replace('-', 'D').replace('_', 'U')}"


def options_for(findings: Sequence[Finding]) -> SamOptions:
    changes: list[PropertyChange] = [c for f in findings for c in f.changes]
    outside_hash = any(
        c.side in (Side.CODE, Side.CONFIG) and c.name not in DEFAULT_HASHED for c in changes
    )
    stale = FixNeed.REPUBLISH in needs(findings)
    by_parameter = any(c.how is ChangeHow.BY_PARAMETER for c in changes)
    return SamOptions(
        all_properties=outside_hash or stale, language_extensions=stale and by_parameter
    )


def build(context: StackContext, function: str, findings: Sequence[Finding]) -> Fix | None:
    """``AutoPublishAlias`` on the function in the SAM source, and on the baseline's when the
    deployed stack has no safe path."""
    options = options_for(findings)
    wired_new = wire_file(
        context.new, context.new_graph, function,
        lambda document, stack, wiring: wire_sam(document, stack, wiring, options),
    )
    if wired_new is None:
        return None
    change, new = wired_new
    staged = two_phase(findings)
    first: EditedFile | None = None
    first_wired: Wired | None = None
    if staged:
        phase_options = SamOptions(options.all_properties, language_extensions=False)
        first, first_wired = wire_file(
            context.old, context.old_graph, function,
            lambda document, stack, wiring: wire_sam(document, stack, wiring, phase_options),
        ) or (None, None)
    template = display_path(context.new.path)
    return file_fix(
        framework=Framework.SAM,
        summary=_summary(function, new, staged, options, template),
        steps=_steps(function, new, first, first_wired, staged, template),
        staged=staged,
        change=change,
        first=first,
        notes=new.notes + (first_wired.notes if first_wired else []),
    )


def wire_sam(
    document: Document, stack: StackTemplate, wiring: FunctionWiring, options: SamOptions
) -> Wired:
    """The SAM settings and the re-pointed plain consumers of one function, as edits."""
    function = wiring.logical_id
    node = document.resource(function)
    kind = node.get("Type") if node is not None else None
    properties = node.get("Properties") if node is not None else None
    if kind is None or kind.value != SAM_FUNCTION or properties is None:
        raise OperationError(f"{function} is not an AWS::Serverless::Function with Properties")
    if properties.get("AutoPublishCodeSha256") is not None and options.all_properties:
        # The version id is that value: no setting publishes a new version until it changes.
        raise OperationError(f"{function} sets AutoPublishCodeSha256: change it with the code")
    style = Style.of(document)
    edits = TextEdits(document.text)
    defaults = _globals(document)
    own_alias = properties.get("AutoPublishAlias")
    global_alias = defaults.get("AutoPublishAlias") if defaults is not None else None
    written = own_alias or global_alias
    alias_name = written.value if written is not None and written.kind == "scalar" else None
    alias_name = alias_name or ALIAS_NAME
    out = Wired(edits, sam_alias_id(function, alias_name), alias_name)
    if written is None:
        insert_entry(document, edits, properties, "AutoPublishAlias", alias_name, style, first=True)
        out.added.append(f"AutoPublishAlias: {alias_name}")
    if options.all_properties and not _all_properties(properties, defaults):
        set_entry(document, edits, properties, "AutoPublishAliasAllProperties", True, style,
                  first=True)
        out.added.append("AutoPublishAliasAllProperties: true")
    if options.language_extensions and _add_language_extensions(document, edits, style):
        out.added.append(f"the {LANGUAGE_EXTENSIONS} transform")
    target = AliasTarget(
        function, f"{function}.Alias", out.alias_id, alias_name, function_names(stack, function)
    )
    generated = frozenset(
        r.source for r in wiring.references if document.resource(r.source) is None
    )
    built: set[str] = set()

    def settle_sam_callers() -> None:
        _repoint_owners(document, wiring, generated, target, out)
        built.update(_built_from_events(document, wiring, function, out))

    repoint_consumers(
        document, stack, wiring, target, out, style, skip=generated | {function},
        also_repointed=lambda source: (
            source in built or _repointed_by_sam(source, function, generated, out)
        ),
        before_permissions=settle_sam_callers,
        # With AutoPublishAlias, SAM moves the function's event permissions to the alias.
        generated_permissions=None if written is not None else (
            lambda repointed: keep_generated_permissions(
                document, stack, wiring, target, out, style, generated, repointed
            )
        ),
    )
    _point_latest_aliases(document, wiring, out, style)
    return out


#: The APIs SAM builds from the functions' events alone.
IMPLICIT_APIS = ("ServerlessRestApi", "ServerlessHttpApi")


def _repointed_by_sam(source: str, function: str, generated: frozenset[str], out: Wired) -> bool:
    """Whether SAM points a generated caller at the alias: the function's own events, the
    implicit APIs, and what SAM builds from a resource the fix re-points."""
    if source not in generated:
        return False
    return source.startswith((function, *IMPLICIT_APIS, *out.repointed))


def _built_from_events(
    document: Document, wiring: FunctionWiring, function: str, out: Wired
) -> set[str]:
    """Callers written beside the function whose call of it SAM wrote: an Api event's
    integration in an ``AWS::Serverless::Api``, an S3 event's notification in the bucket, a
    Cognito event's trigger in the user pool. SAM points them at the alias itself; they are no
    longer listed as not edited."""
    built: set[str] = set()
    for ref in wiring.references:
        label = f"{ref.source} ({ref.consumer})"
        node = document.resource(ref.source)
        if label not in out.untouched or ref.source == function or node is None:
            continue
        properties = node.get("Properties")
        if _is_sam_resource(node) or not document.find(properties, ref.path):
            built.add(ref.source)
            out.untouched = [other for other in out.untouched if other != label]
    return built


def _repoint_owners(
    document: Document,
    wiring: FunctionWiring,
    generated: frozenset[str],
    target: AliasTarget,
    out: Wired,
) -> None:
    """Resources SAM generates from another SAM resource (a WebSocket API's integrations, an
    API's stage variables) take the function from that resource's properties: edit them there."""
    function = wiring.logical_id
    owners = _sam_resources(document)
    exposed = {r.source for r in wiring.references if r.source in generated and not r.qualified
               and r.role in (Role.INVOKE, Role.GRANT)}
    for source in sorted(exposed):
        if source.startswith(function):
            continue  # the function's own events: SAM moves them to the alias
        owner = _longest_prefix(source, owners, function)
        node = document.resource(owner) if owner else None
        properties = node.get("Properties") if node is not None else None
        if owner is None or properties is None or owner in out.repointed:
            continue
        if repoint(document, out.edits, properties, target):
            out.repointed.append(owner)


@lru_cache(maxsize=8)
def _sam_resources(document: Document) -> frozenset[str]:
    """The logical ids of the SAM resources written in ``document`` (read once per document,
    not once per function)."""
    return frozenset(
        str(key.value) for key, value in _resources(document) if _is_sam_resource(value)
    )


def _longest_prefix(source: str, owners: frozenset[str], function: str) -> str | None:
    """The longest of ``owners`` but ``function`` that ``source`` starts with (SAM names
    what it generates from a resource after the resource)."""
    prefixes = (source[:end] for end in range(len(source), -1, -1))
    return next((p for p in prefixes if p in owners and p != function), None)


def _resources(document: Document) -> list[tuple[Node, Node]]:
    section = document.root.get("Resources")
    return list(section.pairs) if section is not None else []


def _is_sam_resource(node: Node) -> bool:
    kind = node.get("Type")
    return kind is not None and (kind.value or "").startswith("AWS::Serverless::")


def _globals(document: Document) -> Node | None:
    section = document.root.get("Globals")
    return section.get("Function") if section is not None else None


def _all_properties(properties: Node, defaults: Node | None) -> bool:
    for place in (properties, defaults):
        value = place.get("AutoPublishAliasAllProperties") if place is not None else None
        if value is not None:
            return value.kind == "scalar" and (value.value or "").lower() == "true"
    return False


def _add_language_extensions(document: Document, edits: TextEdits, style: Style) -> bool:
    """Put ``AWS::LanguageExtensions`` before the SAM transform; False when it is there."""
    transform = document.root.get("Transform")
    if transform is None:
        raise OperationError("the template names no Transform")
    if transform.kind == "scalar":
        if transform.value != SAM_TRANSFORM:
            raise OperationError("the Transform is not the SAM transform")
        replacement = style.inline([LANGUAGE_EXTENSIONS, SAM_TRANSFORM])
        edits.replace(transform.start, document.content_end(transform), replacement)
        return True
    names = [item.value for item in transform.items]
    if LANGUAGE_EXTENSIONS in names or SAM_TRANSFORM not in names:
        return False
    sam_item = transform.items[names.index(SAM_TRANSFORM)]
    if transform.flow or document.kind == "json":
        edits.insert(sam_item.start, f"{style.scalar(LANGUAGE_EXTENSIONS)}, ")
    else:
        line = document.line_start(sam_item.start)
        prefix = document.text[line : sam_item.start]
        edits.insert(line, f"{prefix}{LANGUAGE_EXTENSIONS}\n")
    return True


def _point_latest_aliases(
    document: Document, wiring: FunctionWiring, out: Wired, style: Style
) -> None:
    """A plain alias on ``$LATEST`` written beside the function: on the version SAM publishes."""
    for alias in wiring.aliases.values():
        node = document.resource(alias.logical_id)
        properties = node.get("Properties") if node is not None else None
        current = properties.get("FunctionVersion") if properties is not None else None
        if not alias.on_latest or properties is None or current is None:
            continue
        if current.kind != "scalar" or current.tag is not None:
            out.untouched.append(f"alias {alias.logical_id}")
            continue
        version = GetAtt(f"{wiring.logical_id}.Version", "Version")
        set_entry(document, out.edits, properties, "FunctionVersion", version, style)
        out.repointed.append(alias.logical_id)


def describe(function: str, wired: Wired) -> str:
    parts: list[str] = []
    if wired.added:
        parts.append(f"adds {listing(wired.added)} to {function}")
    if wired.repointed:
        parts.append(f"points {listing(wired.repointed)} at {function}.Alias")
    parts.extend(wired.settled(function))
    return "; ".join(parts) or "changes nothing"


def _summary(
    function: str, new: Wired, staged: bool, options: SamOptions, template: str
) -> str:
    command = f"({FIX_COMMAND})"
    settings = "AutoPublishAlias: " + new.alias_name
    if options.all_properties:
        settings += " with AutoPublishAliasAllProperties: true"
    if staged:
        return (
            f"give {function} {settings} (SAM then points its events at alias "
            f"{new.alias_name}) and deploy that first, without the code and configuration "
            f"change: {NOT_SAFE_ALONE} {command}"
        )
    if options.language_extensions:
        return (
            f"set AutoPublishAliasAllProperties: true on {function} and add the "
            f"{LANGUAGE_EXTENSIONS} transform before the SAM transform: a parameter feeds the "
            f"change, and SAM hashes it only once its value is resolved {command}"
        )
    return (
        f"set {settings} on {function}: SAM then publishes a new version for this change "
        f"{command}"
    )


def _steps(  # noqa: PLR0917
    function: str,
    new: Wired,
    first: EditedFile | None,
    first_wired: Wired | None,
    staged: bool,
    template: str,
) -> tuple[str, ...]:
    steps: list[str] = []
    if staged:
        if first is not None and first_wired is not None:
            steps.append(
                "Phase one, on the deployed template (the phase-one change): "
                f"{describe(function, first_wired)}. Merge and deploy it on its own: SAM "
                "publishes the function as deployed and moves its events to the alias."
            )
        else:
            steps.append(
                f"Phase one: add AutoPublishAlias: {new.alias_name} to {function} in the "
                "template that is deployed now, with no other change, and deploy it."
            )
        steps.append(
            f"Phase two, this change: {describe(function, new)}. Deploy it: "
            "the alias moves to the new version in one switch."
        )
    else:
        steps.append(f"In this template: {describe(function, new)}.")
    if new.untouched:
        steps.append(
            f"Not edited: {listing(new.untouched)}; point them at {function}.Alias yourself."
        )
    return tuple(steps)
