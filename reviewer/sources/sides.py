"""Where a side of a comparison comes from, behind one protocol; and a change, both sides at once.

A side is read from template paths (files, directories, cloud assemblies, packages), from the
stacks deployed in AWS, or from the same templates at a git revision
(:class:`reviewer.sources.git.side.GitRevision`, handed out by the baseline's room,
:class:`reviewer.sources.git.revision.BaseRevision`): each is a :class:`SideSource` whose
``load`` gives the stacks, a label for the report, and the templates whose counterpart on
that side is missing (with why).

Some sources hold both sides of a change: CloudFormation's change set of a deployed stack, a
hook request (a previous and a new template), a Terraform plan. Each is a
:class:`ChangeSource` whose ``load_pair`` gives a :class:`SidePair`; two sides read apart
make a pair too (``SidePair(new, old)``), so that the analysis takes a change one way
(``pipeline.sides.analyze_change``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from reviewer.model.change_set import ChangeSetFacts
from reviewer.model.template import StackTemplate


@dataclass(frozen=True)
class LoadedSide:
    """The stacks of one side, as the report names it."""

    stacks: tuple[StackTemplate, ...]
    label: str
    #: New-side templates (by path) whose counterpart is missing on this side, with why.
    missing: Mapping[Path, str] = field(default_factory=dict)
    #: Stacks of this side (by name) whose own template could not be read while the rest of
    #: their app was (a file of a directory, a nested stack's template), with why.
    unread: Mapping[str, str] = field(default_factory=dict)


class SideSource(Protocol):
    """Anything a side can be read from."""

    def load(self, progress: TextIO) -> LoadedSide: ...


@dataclass(frozen=True)
class SidePair:
    """A change: the two sides of one comparison, as one source holds them.

    ``new`` is what is about to be deployed; ``old`` what it replaces (None when there is
    nothing to compare with: every stack is new). ``change_set`` is what the source knows
    about the change beyond the two templates (CloudFormation's own account of what changes
    in each resource), None when the templates alone say it. The pair's stacks pair by name
    (``pipeline.analysis.pair_stacks``).
    """

    new: LoadedSide
    old: LoadedSide | None = None
    change_set: ChangeSetFacts | None = None

    @property
    def label(self) -> str:
        """How the report names the baseline: the old side's label, ``none`` without one."""
        return self.old.label if self.old is not None else "none"

    def missing(self) -> dict[str, str]:
        """Why a new-side stack has no baseline, by its name: each stack loaded from (or
        under) a template whose counterpart the old side lacks, and each stack whose own
        template the old side could not read."""
        if self.old is None:
            return {}
        out: dict[str, str] = {}
        if self.old.missing:
            for stack in self.new.stacks:
                where = stack.path.resolve()
                for template, reason in self.old.missing.items():
                    base = template.resolve()
                    if where == base or base in where.parents:
                        out[stack.name] = reason
        out.update(self.old.unread)
        return out


class ChangeSource(Protocol):
    """Anything both sides of a change are read from at once: a change set, a hook request
    (a previous and a new template), a Terraform plan. ``load_pair`` reads them and says what
    it does on ``progress``; it raises ``InputError`` for what the user has to fix."""

    def load_pair(self, progress: TextIO) -> SidePair: ...


@dataclass(frozen=True)
class TemplatePaths:
    """Templates in any form a path can hold."""

    paths: tuple[Path, ...]
    stack_name: str | None = None
    #: The name each path stands for (``sources.naming``): by default its own, from the
    #: folder that holds all of ``paths``.
    names: tuple[str, ...] | None = None

    def load(self, progress: TextIO) -> LoadedSide:
        stacks = load_named(self.paths, self.stack_name, self.names)
        label = ", ".join(f"{_kind(p)} {p}" for p in self.paths)
        return LoadedSide(tuple(stacks), label)


def load_named(
    paths: Sequence[Path], stack_name: str | None, names: Sequence[str] | None = None
) -> list[StackTemplate]:
    """Every stack at ``paths`` (files, directories, cloud assemblies, Serverless packages),
    the stacks of template files named by ``names`` or else by their paths
    (:mod:`reviewer.sources.naming`); an input error when two stacks cannot be told apart."""
    from reviewer.sources import load_side
    from reviewer.sources.naming import named, require_distinct, side_names

    with named(paths, names if names is not None else side_names(paths)):
        stacks = [stack for path in paths for stack in load_side(path, stack_name)]
    require_distinct(stacks)
    return stacks


@dataclass(frozen=True)
class DeployedStacks:
    """Stacks deployed in CloudFormation (boto3 is imported only when they are read)."""

    names: Sequence[str]
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    def load(self, progress: TextIO) -> LoadedSide:
        from reviewer.sources.aws.deployed import fetch_deployed

        deployed = fetch_deployed(
            self.names,
            region=self.region,
            profile=self.profile,
            progress=progress,
            endpoint_url=self.endpoint_url,
        )
        return LoadedSide(tuple(deployed.stacks), deployed.label)


def _kind(path: Path) -> str:
    """What a path holds, as the label names it (``template``, ``cloud assembly``, ...)."""
    from reviewer.sources import detect

    source = detect(path)
    return source.name if source is not None else "path"
