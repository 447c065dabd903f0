"""Run one check from options: the pipeline the CLI and the GitHub Action share.

``run_check`` does what ``latest-guard check`` does, in order: run the synth command, find the
project when no template is named, load the new side, load the baseline (files, the same
files at a git revision, or deployed stacks), settle parameter values, and analyse the pair
of sides (with ``--change-set``, the pair as CloudFormation's change set gives it,
``sources.aws.change_set.ChangeSetPair``). It prints progress to ``progress`` and raises
``InputError`` for anything the user has to fix; it never prints a parameter value.

Everything about a git baseline (its work tree, its synth, its samconfig, how its files and
errors are named) is the room of the revision,
:class:`~reviewer.sources.git.revision.BaseRevision`, made here once from ``baseline_ref``.

Two things of the baseline side are not the user's to fix in this change, and never end the
run with an input error:

- **A base that cannot be read** (``--baseline-ref``): a template that fails to load at the
  base commit (malformed, refused by the SAM translator, its synth failed) leaves its stacks
  *baseline-missing*: compared with nothing, the verdict neutral, the reason in a note that
  names the file the git way, ``base (REF):path:line``. A pull request that repairs a broken
  base is not failed for it. Within an app that can be read (a directory of templates, nested
  stacks, a cloud assembly), only the stacks whose own template cannot be read are left out;
  when no stack at all could be compared, every report says so as a warning in its summary.
- **Local code that cannot be read** (``CodeUri`` build output that is not in git, a folder
  that one side lacks): its functions' code identity is unknown on both sides (never a change,
  never silently unchanged): each such function is named in a note with how to build the
  code on both sides (``sam_artifacts``).

Files of a code folder that no runtime loads (``README.md``, and the configuration's
``code-ignore`` patterns) are no part of the code's identity on either side; when they are all
that changed in a function's folder, a note on the new side says so (``not_code``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from reviewer.contract.enums import FailOn
from reviewer.contract.paths import relative_report
from reviewer.errors import InputError
from reviewer.pipeline.sides import analyze_change, load_change, load_paths, load_source
from reviewer.sources.git.revision import BaseRevision
from reviewer.sources.sides import (
    ChangeSource,
    DeployedStacks,
    LoadedSide,
    SidePair,
    SideSource,
    TemplatePaths,
)

if TYPE_CHECKING:
    from reviewer.config import Config
    from reviewer.contract.report import Report
    from reviewer.model.template import StackTemplate

T = TypeVar("T")


@dataclass(frozen=True)
class CheckOptions:
    """What to compare, and how.

    At most one kind of baseline is used: ``baselines`` (paths in any form a template can
    take), ``baseline_ref`` (the same templates at a git revision) or ``baseline_stacks``
    (stacks deployed in ``region``; ``*`` names every top-level stack of the new side). None
    of them compares with nothing: every stack is new. With ``change_set`` (one deployed
    stack), CloudFormation's change set says what changes. Relative paths are read from
    ``working_directory``.
    """

    templates: tuple[Path, ...] = ()
    baselines: tuple[Path, ...] = ()
    baseline_ref: str | None = None
    baseline_stacks: tuple[str, ...] = ()
    synth: str | None = None
    working_directory: Path = Path()
    synth_timeout: float = 900.0
    stack_name: str | None = None
    config: Path | None = None
    #: Whether a missing ``config`` is looked for from the working directory up.
    config_search: bool = True
    fail_on: FailOn | None = None
    region: str | None = None
    parameter_overrides: tuple[str, ...] = ()
    profile: str | None = None
    endpoint_url: str | None = None
    change_set: bool = False
    template_bucket: str | None = None
    #: Apply each single-deployment fix to a copy of its template and analyse again: only a
    #: fix that makes its finding go away is marked verified (offered as a suggestion).
    verify_fixes: bool = False
    #: The folder the report names files from (``contract.paths``): the working directory
    #: unless given (the Action names them from the repository's top).
    paths_from: Path | None = None


def run_check(options: CheckOptions, progress: TextIO) -> Report:
    """The report for ``options`` (see the module doc)."""
    from reviewer.sources.cloudformation.not_code import (
        configured_not_code,
        recording_hashes,
        with_not_code_notes,
    )
    from reviewer.sources.cloudformation.sam_artifacts import recording
    from reviewer.sources.cloudformation.unread_code import UnreadSides

    config = _config(options)
    revision = _revision(options)
    with ExitStack() as stack:
        stack.enter_context(
            configured_not_code(config)
        )
        if revision is not None:
            stack.enter_context(revision)  # its work tree removed on every way out
        started = time.time()
        _synthesize(options, revision, progress)
        templates = _templates(options, progress, started)
        new_name = _new_stack_name(options, templates)
        with recording() as new_unread, recording_hashes() as new_hashed:
            new = load_paths(templates, new_name)
        if not options.templates:
            names = ", ".join(s.name for s in new)
            progress.write(f"latest-guard: loaded {templates[0]}: {len(new)} stack(s): {names}\n")
        options = _expand_stack_names(options, new)
        # Stacks of a git baseline have the new side's names; a file baseline's pair by name
        # or one to one, so code unread there matches a function of any stack.
        sides = UnreadSides(any_stack=revision is None, new=new_unread)
        source = _baseline_source(options, templates, revision)
        with recording() as old_unread, recording_hashes() as old_hashed, sides.unread_in(
            sides.new
        ):
            side = load_source(source, progress) if source is not None else None
        sides.old = old_unread
        old = list(side.stacks) if side is not None else None
        if sides.baseline_lacks_read_code():
            # Code the new side has and the baseline lacks: unknown on both sides, not changed.
            with recording() as new_unread, recording_hashes() as new_hashed, sides.unread_in(
                sides.old
            ):
                new = load_paths(templates, new_name)
            sides.new = new_unread
        if old is not None:
            new = sides.with_notes(new, *_code_advice(revision))
            new = with_not_code_notes(new, new_hashed, old_hashed, any_stack=revision is None)
        overrides, new, old = _settle_parameters(options, templates, revision, new, old)
        if options.baseline_stacks:
            new = _with_missing_notes(new, old or [], options, progress)
        pair = SidePair(
            LoadedSide(tuple(new), ", ".join(str(t) for t in templates)),
            replace(side, stacks=tuple(old or ())) if side is not None else None,
        )
        if options.change_set:
            pair = load_change(_change_set(options, pair, overrides), progress)
        for reason in dict.fromkeys(pair.missing().values()):
            progress.write(f"latest-guard: {reason}\n")
        verify = None
        if options.verify_fixes and pair.old is not None:
            from reviewer.commands.suggestions import SuggestionCheck

            verify = SuggestionCheck(pair.new.stacks, pair.old.stacks, config, pair.label)
        report = analyze_change(pair, config, verify=verify)
    # Every path from the folder the user works in; the work tree was a temporary folder: its
    # files are named the git way, ``REF:path``, so that the report reads the same on every
    # run and shows no runner paths.
    return relative_report(
        report,
        options.paths_from or options.working_directory,
        work_tree=revision.work_tree if revision is not None else None,
    )


def _templates(options: CheckOptions, progress: TextIO, started: float) -> list[Path]:
    """The new side's templates: those named (glob patterns expanded), else the project's
    output (a synth command that ``started`` then may have built it)."""
    from reviewer.sources.globs import expand

    workdir = options.working_directory
    templates = expand(options.templates, workdir)
    if not templates:
        templates = [
            detected_project(
                workdir, synthesized=bool(options.synth), progress=progress, since=started
            )
        ]
    if options.stack_name and len(templates) > 1:
        raise InputError(templates[1], "--stack-name names one template; give one --template")
    return templates


def _revision(options: CheckOptions) -> BaseRevision | None:
    """With ``baseline_ref``: the room of that revision, from the working directory's
    repository (its work tree made when first needed)."""
    ref = options.baseline_ref
    return BaseRevision(ref, options.working_directory.resolve()) if ref else None


def _synthesize(options: CheckOptions, revision: BaseRevision | None, progress: TextIO) -> None:
    """Run the synth command on the new side and, with a git baseline, at the base commit
    at the same time (:meth:`BaseRevision.synthesize`: a failure there is reported as a
    missing baseline rather than failing the change that may well repair it)."""
    if not options.synth:
        return
    if revision is not None:
        revision.synthesize(
            options.synth, options.working_directory, options.synth_timeout, progress
        )
        return
    from reviewer.sources.synth import run_synth

    run_synth(options.synth, options.working_directory, options.synth_timeout, progress)


def _code_advice(revision: BaseRevision | None) -> tuple[str, str]:
    """How the baseline side is named in a note on unread code, and the advice that fits it
    (a git baseline's room knows whether a synth command built its code)."""
    if revision is not None:
        return revision.code_advice()
    return "in the baseline", (
        "compare templates whose code is there: sam build writes "
        ".aws-sam/build/template.yaml with the built code (--baseline-ref with --synth "
        "'sam build' builds both sides)"
    )


def _new_stack_name(options: CheckOptions, templates: Sequence[Path]) -> str | None:
    """One template compared with one deployed stack takes that stack's name, so that its
    nested stacks are named as the deployed ones are."""
    if options.stack_name:
        return options.stack_name
    names = options.baseline_stacks
    if len(templates) == 1 and len(names) == 1 and names[0] != "*":
        return names[0]
    return None


def _expand_stack_names(options: CheckOptions, new: Sequence[StackTemplate]) -> CheckOptions:
    """``--baseline-stack '*'``: every top-level stack of the new side, by its name."""
    if "*" not in options.baseline_stacks:
        return options
    named = [n for n in options.baseline_stacks if n != "*"]
    every = [s.name for s in new if s.parent is None]
    return replace(options, baseline_stacks=tuple(dict.fromkeys((*named, *every))))


def _with_missing_notes(
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate],
    options: CheckOptions,
    progress: TextIO,
) -> list[StackTemplate]:
    """Say in the report which requested stacks are not deployed (new stacks: no race)."""
    deployed = {s.name for s in old}
    out: list[StackTemplate] = []
    for stack in new:
        requested = stack.parent is None and stack.name in options.baseline_stacks
        if requested and stack.name not in deployed:
            note = f"stack {stack.name} is not deployed: a new stack has nothing to race"
            progress.write(f"latest-guard: {note}\n")
            out.append(replace(stack, notes=(*stack.notes, note)))
        else:
            out.append(stack)
    return out


def _change_set(
    options: CheckOptions, pair: SidePair, overrides: Mapping[str, str]
) -> ChangeSource:
    """The change set of the one deployed stack (``--change-set``): a source of the pair."""
    if len(options.baseline_stacks) != 1:
        raise InputError("--change-set", "needs exactly one deployed stack (--baseline-stack)")
    from reviewer.sources.aws.change_set import ChangeSetPair

    return ChangeSetPair(
        pair,
        options.baseline_stacks[0],
        overrides,
        template_bucket=options.template_bucket,
        region=options.region,
        profile=options.profile,
        endpoint_url=options.endpoint_url,
    )


def _config(options: CheckOptions) -> Config:
    from reviewer.config import find_config, load_config
    from reviewer.rules.registry import RULES_BY_ID

    start = options.working_directory.resolve()
    path = options.config or (find_config(start) if options.config_search else None)
    config = load_config(path, frozenset(RULES_BY_ID))
    return replace(config, fail_on=FailOn(options.fail_on)) if options.fail_on else config


def _baseline_source(
    options: CheckOptions, templates: Sequence[Path], revision: BaseRevision | None
) -> SideSource | None:
    """Where the baseline comes from: the templates at a git revision, deployed stacks, or
    template paths; None without a baseline."""
    if revision is not None:
        return revision.side(templates, options.stack_name)
    if options.baseline_stacks:
        return DeployedStacks(
            options.baseline_stacks, options.region, options.profile, options.endpoint_url
        )
    if options.baselines:
        from reviewer.sources.globs import expand
        from reviewer.sources.naming import by_order

        paths = tuple(expand(options.baselines, options.working_directory))
        names = by_order(paths, templates)
        return TemplatePaths(paths, options.stack_name, tuple(names) if names else None)
    return None


def _settle_parameters(
    options: CheckOptions,
    templates: Sequence[Path],
    revision: BaseRevision | None,
    new: list[StackTemplate],
    old: list[StackTemplate] | None,
) -> tuple[dict[str, str], list[StackTemplate], list[StackTemplate] | None]:
    """Each side with the parameter values it deploys with; also the new side's overrides.

    The new side takes ``--parameter-overrides`` (else its ``samconfig``) and, against a
    deployed stack, the values deployed. A git baseline takes the same overrides when they
    were given, else the ``samconfig`` of the base commit; a file baseline, the new side's.
    """
    from reviewer.sources.cloudformation.parameters import apply_parameter_values

    overrides = _overrides(options, templates)
    old_overrides = overrides
    if revision is not None and old and not options.parameter_overrides:
        old_overrides, old = revision.overrides(templates, old)
    if overrides or options.baseline_stacks:
        new = apply_parameter_values(new, overrides, old or ())
    if old_overrides and old and not options.baseline_stacks:
        old = apply_parameter_values(
            old, old_overrides, which="the baseline template (so not used there)"
        )
    return overrides, new, old


def _overrides(options: CheckOptions, templates: Sequence[Path]) -> dict[str, str]:
    """``--parameter-overrides``; without them, a SAM project's ``samconfig`` overrides."""
    from reviewer.sources.cloudformation.parameters import parse_overrides, samconfig_overrides

    if options.parameter_overrides:
        return parse_overrides(options.parameter_overrides, base=options.working_directory)
    return samconfig_overrides(templates)


def detected_project(
    workdir: Path, *, synthesized: bool, progress: TextIO, since: float | None = None
) -> Path:
    """The output of the CDK app, Serverless service or SAM app found in ``workdir``; after a
    synth command that started at ``since`` and built a SAM app, the built template."""
    from reviewer.sources.project import detect_project, require_output

    project = detect_project(workdir)
    if project is None:
        raise InputError(
            workdir.resolve(),
            "no template given, and no cdk.json, serverless.yml or SAM template.yaml here",
        )
    output = require_output(project, synthesized, since)
    progress.write(f"latest-guard: found a {project.kind} in {workdir}\n")
    return output


