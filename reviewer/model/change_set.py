"""What CloudFormation's change set says a deployment changes, as values: names only.

``reviewer.sources.aws.change_set`` reads a change set (boto3) and hands these values over; the
diff (``reviewer.diff.change_set_changes``) turns them into change records. Only names are
kept (property names, change sources, causing entities, paths of changed keys), never a
before or after value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PropertyFact:
    """One changed attribute or property of a resource, as the change set reports it.

    ``name`` is the property name when ``attribute`` is ``Properties`` (None for other
    attributes such as ``Metadata`` or ``Tags``). ``path`` points at the changed key
    (``/Properties/Environment/Variables/TABLE``): names only, never the value.
    """

    name: str | None
    attribute: str
    change_source: str | None  # DirectModification, ParameterReference, ResourceReference, ...
    causing_entity: str | None  # a parameter name, a logical id, or "LogicalId.Attribute"
    requires_recreation: str | None  # Never, Conditionally, Always
    evaluation: str | None = None  # Static (known now) or Dynamic (known only during the update)
    change_type: str | None = None  # Add, Remove, Modify (with IncludePropertyValues)
    path: str | None = None


@dataclass(frozen=True)
class ResourceChangeFacts:
    """What the change set does to one resource; ``properties`` only for ``Modify``."""

    logical_id: str
    resource_type: str
    action: str  # Add, Modify, Remove, Import, Dynamic, SyncWithActual
    replacement: str | None  # "True", "False", "Conditional", or None when not given
    properties: tuple[PropertyFact, ...] = ()
    nested_change_set: str | None = None  # the nested change set id of a nested stack


@dataclass(frozen=True)
class StackChangeFacts:
    """The changes of one stack: the root stack, or a nested stack of it.

    ``key`` names the stack the way the loaders do: the root by the stack name given, a nested
    stack as ``<parent key>.<logical id>`` with ``parent`` = (parent key, logical id).
    ``stack_name`` is CloudFormation's own name for it (generated for nested stacks).
    """

    key: str
    stack_name: str | None
    parent: tuple[str, str] | None
    resources: tuple[ResourceChangeFacts, ...]

    def get(self, logical_id: str) -> ResourceChangeFacts | None:
        return next((r for r in self.resources if r.logical_id == logical_id), None)


@dataclass(frozen=True)
class ChangeSetFacts:
    """Everything read from one change set and its nested change sets."""

    stack_name: str
    change_set_name: str
    stacks: tuple[StackChangeFacts, ...]
    #: CloudFormation's reason when the change set was empty ("didn't contain changes").
    no_changes_reason: str | None = None

    @property
    def no_changes(self) -> bool:
        return all(not stack.resources for stack in self.stacks)

    def stack(self, key: str) -> StackChangeFacts | None:
        """The changes of a stack by key: the root's name, or ``<parent>.<logical id>``."""
        return next((s for s in self.stacks if s.key == key), None)
