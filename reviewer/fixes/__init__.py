"""Fixes: for each finding, a change the user can apply, built for the framework they use.

One builder per framework (``StackTemplate.framework``), picked from :data:`BUILDERS`:

- ``cloudformation`` (:mod:`.builders.cloudformation`): a hashed ``AWS::Lambda::Version``, an
  alias, every consumer and permission re-pointed, as line edits of the YAML or JSON template;
- ``sam`` (:mod:`.builders.sam`): ``AutoPublishAlias`` (and ``AutoPublishAliasAllProperties``,
  the ``AWS::LanguageExtensions`` transform) on the SAM function, plain consumers re-pointed;
- ``cdk`` (:mod:`.builders.cdk`): a snippet in the app's language around ``fn.addAlias('live')``;
- ``serverless`` (:mod:`.builders.serverless`): ``serverless-plugin-canary-deployments``
  settings on the function's entry in ``serverless.yml``.

The builders and the wiring they share live in :mod:`.builders`; they edit the user's file with
the format-keeping kit in :mod:`.edit`.

A finding whose fix is a matching layer (``FixNeed.MATCHING_LAYER``) keeps the rule's words: the
builders wire aliases, which a layer swap does not need.

A builder gets every finding about one function and returns one
:class:`~reviewer.contract.findings.Fix` for all of them (the edits must apply together), or
None; the rule's textual fix stays then.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from reviewer.contract.enums import FixNeed
from reviewer.contract.findings import Finding, Fix
from reviewer.diff.context import StackContext
from reviewer.fixes.builders import cdk, cloudformation, sam, serverless
from reviewer.fixes.builders.base import Builder

BUILDERS: dict[str, Builder] = {
    "cloudformation": cloudformation.build,
    "sam": sam.build,
    "cdk": cdk.build,
    "serverless": serverless.build,
}

_LOG = logging.getLogger(__name__)


def build_fix(
    context: StackContext, function: str, findings: Sequence[Finding]
) -> Fix | None:
    """The framework's fix for every finding about ``function`` (raises what the builder does)."""
    builder = BUILDERS.get(context.new.framework)
    if builder is None:
        return None
    return builder(context, function, findings)


def built_fixes(
    findings: Sequence[Finding], contexts: Mapping[str, StackContext]
) -> dict[tuple[str, str], Fix]:
    """The framework's fix for each function that ``findings`` (the open ones) are about, by
    stack and function, where one is built; the pipeline puts it in each finding about that
    function with :func:`fix_for` when it hands the finding over.

    A builder that fails leaves the rule's fix as it was: a fix is help, never a reason for the
    check itself to fail.
    """
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        wired = finding.needs is not FixNeed.MATCHING_LAYER
        if wired and finding.stack in contexts:
            groups[(finding.stack, finding.resource)].append(finding)
    built: dict[tuple[str, str], Fix] = {}
    for (stack, function), group in groups.items():
        try:
            fix = build_fix(contexts[stack], function, group)
        except Exception:  # a fix is optional: never fail the check for it
            _LOG.debug("no fix for %s/%s", stack, function, exc_info=True)
            continue
        if fix is not None:
            built[(stack, function)] = fix
    return built


def fix_for(rule_fix: Fix | None, built: Fix | None) -> Fix | None:
    """A finding's fix: the framework's ``built`` one in place of the rule's words, else the
    rule's."""
    if built is None:
        return rule_fix
    if rule_fix is None:
        return built
    # The rule's summary stays; the builder's concrete steps replace the rule's general
    # ones (saying both would say everything twice), or follow as one step when it has
    # none of its own.
    own = built.steps or (_capitalized(built.summary),)
    return replace(
        built,
        summary=rule_fix.summary,
        two_phase=built.two_phase or rule_fix.two_phase,
        steps=own if built.steps else (*rule_fix.steps, *own),
    )


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
