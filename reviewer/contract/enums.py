"""The closed sets of the contract, as enums (each is a ``StrEnum``: its value is what the
JSON report and the command line spell)."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    NOTICE = "notice"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.NOTICE: 1, Severity.WARNING: 2, Severity.ERROR: 3}


class FailOn(StrEnum):
    """The lowest severity that fails a check (``never``: none does)."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"
    NEVER = "never"

    def fails(self, severity: Severity) -> bool:
        return self is not FailOn.NEVER and severity.rank >= Severity(self.value).rank


class Side(StrEnum):
    """The separate calls CloudFormation makes when it updates a function."""

    CODE = "code"  # UpdateFunctionCode
    CONFIG = "config"  # UpdateFunctionConfiguration
    TAGS = "tags"  # TagResource / UntagResource
    FUNCTION_LEVEL = "function-level"  # concurrency, code signing, recursion, runtime management
    REPLACEMENT = "replacement"  # create-only: the function is replaced


class ChangeHow(StrEnum):
    """How a property of a function changes."""

    MODIFIED = "modified"
    ADDED = "added"
    REMOVED = "removed"
    BY_REFERENCE = "by reference"  # it names a resource that is replaced
    BY_PARAMETER = "by parameter"  # it reads a parameter whose value changes


class StackStatus(StrEnum):
    """What became of a stack of the new side."""

    COMPARED = "compared"
    NEW = "new"
    REMOVED = "removed"
    #: The stack exists on the new side only because the baseline's copy could not be found or
    #: made (build output that was not synthesized there, a base that cannot be read).
    BASELINE_MISSING = "baseline-missing"


class Confidence(StrEnum):
    """How sure the mapping of a finding to the user's own source is."""

    EXACT = "exact"
    LIKELY = "likely"
    GUESS = "guess"


class Framework(StrEnum):
    """What produced a template, and so which fix builder edits it."""

    CLOUDFORMATION = "cloudformation"
    SAM = "sam"
    CDK = "cdk"
    SERVERLESS = "serverless"


class ConsumerView(StrEnum):
    """How the consumers of a finding are labelled: callers *exposed* to a race, or the
    *traffic* a finding is about."""

    EXPOSED = "exposed"
    TRAFFIC = "traffic"


class FixNeed(StrEnum):
    """What a finding needs from a fix builder."""

    #: Route traffic through a version and an alias (LG005: wire it back where it is dropped).
    ALIAS_WIRING = "alias wiring"
    #: Publish a new version whenever code or configuration changes: a version whose logical
    #: id carries a hash of all the function's properties.
    REPUBLISH = "republish"
    #: Swap a layer for its build for the function's architecture: a configuration change the
    #: rule spells out itself (no alias wiring).
    MATCHING_LAYER = "matching layer"


class RuleScope(StrEnum):
    """What a rule looks at: a stack's change (the deployed side against the new one), or the
    new template alone (it runs on every stack, with or without a baseline)."""

    CHANGE = "change"
    TEMPLATE = "template"


# The GitHub Action's inputs that take one of a few words (``action.yml``); an input is read
# case-insensitively and spelled here as the Action documents it.


class ActionMode(StrEnum):
    """What one run of the Action does (input ``mode``)."""

    FULL = "full"  # analyse and publish in one job
    ANALYZE = "analyze"  # analyse and write the report for a later publish; no API call
    PUBLISH = "publish"  # publish for the workflow_run workflow, which runs no pull-request code


class CommentMode(StrEnum):
    """How the Action comments on the pull request (input ``comment``)."""

    REVIEW = "review"  # the summary comment and review comments on the lines
    SUMMARY = "summary"  # the summary comment only
    OFF = "off"


class PhaseOneDelivery(StrEnum):
    """How the phase-one change of two-phase findings reaches the user (input ``phase-one``)."""

    COMMENT = "comment"
    PULL_REQUEST = "pull-request"


class ActionBoolean(StrEnum):
    """A yes-or-no input of the Action (``fail-step``), spelled as YAML's booleans."""

    TRUE = "true"
    FALSE = "false"
