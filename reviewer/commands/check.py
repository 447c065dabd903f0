"""Run one check from options: the pipeline the CLI and the GitHub Action share.

``run_check`` does what ``latest-guard check`` does, in order: run the synth command, find the
project when no template is named, load the new side, load the baseline (files, the same
files at a git revision, or deployed stacks), settle parameter values, and analyse. It prints
progress to ``progress`` and raises ``InputError`` for anything the user has to fix; it never
prints a parameter value.

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

import re
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from reviewer.contract.enums import FailOn
from reviewer.contract.paths import relative_report
from reviewer.errors import InputError
from reviewer.pipeline.sides import load_paths, load_source
from reviewer.sources.git.side import GitRevision, base_error_text
from reviewer.sources.sides import DeployedStacks, SideSource, TemplatePaths

if TYPE_CHECKING:
    from reviewer.config import Config
    from reviewer.contract.report import Report
    from reviewer.model.change_set import ChangeSetFacts
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
    from reviewer.pipeline.analysis import analyze
    from reviewer.sources.cloudformation.not_code import (
        configured_not_code,
        recording_hashes,
        with_not_code_notes,
    )
    from reviewer.sources.cloudformation.sam_artifacts import recording
    from reviewer.sources.cloudformation.unread_code import UnreadSides

    config = _config(options)
    with ExitStack() as stack:
        stack.enter_context(
            configured_not_code(config)
        )
        tree = _baseline_tree(options, stack)
        started = time.time()
        base_synth_error = _synthesize(options, tree, progress)
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
        sides = UnreadSides(any_stack=tree is None, new=new_unread)
        source = _baseline_source(options, templates, tree, base_synth_error)
        with recording() as old_unread, recording_hashes() as old_hashed, sides.unread_in(
            sides.new
        ):
            side = load_source(source, progress) if source is not None else None
        sides.old = old_unread
        old = list(side.stacks) if side is not None else None
        label = side.label if side is not None else "none"
        missing = dict(side.missing) if side is not None else {}
        if sides.baseline_lacks_read_code():
            # Code the new side has and the baseline lacks: unknown on both sides, not changed.
            with recording() as new_unread, recording_hashes() as new_hashed, sides.unread_in(
                sides.old
            ):
                new = load_paths(templates, new_name)
            sides.new = new_unread
        if old is not None:
            new = sides.with_notes(new, *_code_advice(options))
            new = with_not_code_notes(new, new_hashed, old_hashed, any_stack=tree is None)
        overrides, new, old = _settle_parameters(options, templates, tree, new, old)
        if options.baseline_stacks:
            new = _with_missing_notes(new, old or [], options, progress)
        change_set = _change_set(options, new, old or [], overrides, progress)
        missing_by_stack = _missing_by_stack(new, templates, missing)
        if side is not None:
            missing_by_stack.update(side.unread)
        for reason in dict.fromkeys(missing_by_stack.values()):
            progress.write(f"latest-guard: {reason}\n")
        verify = None
        if options.verify_fixes and old is not None:
            from reviewer.commands.suggestions import SuggestionCheck

            verify = SuggestionCheck(new, old, config, label)
        report = analyze(
            new, old, config, label, change_set, missing=missing_by_stack, verify=verify
        )
    # Every path from the folder the user works in; the work tree was a temporary folder: its
    # files are named the git way, ``REF:path``, so that the report reads the same on every
    # run and shows no runner paths.
    work_tree = (
        (tree.path, short_ref(options.baseline_ref))
        if tree is not None and options.baseline_ref else None
    )
    return relative_report(
        report, options.paths_from or options.working_directory, work_tree=work_tree
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


@dataclass(frozen=True)
class _Tree:
    """The temporary work tree of the baseline commit, and the repository it belongs to."""

    path: Path
    root: Path


def _baseline_tree(options: CheckOptions, stack: ExitStack) -> _Tree | None:
    """With ``baseline_ref``: a work tree of that commit, removed when ``stack`` closes."""
    if not options.baseline_ref:
        return None
    from reviewer.sources.git.baseline import repository_root, worktree

    root = repository_root(options.working_directory.resolve())
    return _Tree(stack.enter_context(worktree(options.baseline_ref, root)), root)


def _synthesize(options: CheckOptions, tree: _Tree | None, progress: TextIO) -> str | None:
    """Run the synth command on the new side and, with a git baseline, in the baseline's
    work tree at the same time (two threads: both take about the time of one). A failure on
    the new side raises; on the baseline side it is returned, to be reported as a missing
    baseline rather than failing the change that may well repair it."""
    if not options.synth:
        return None
    from reviewer.sources.synth import run_synth

    if tree is None:
        run_synth(options.synth, options.working_directory, options.synth_timeout, progress)
        return None
    from concurrent.futures import ThreadPoolExecutor

    from reviewer.sources.git.baseline import baseline_paths
    from reviewer.sources.synth import Running

    base_dir = baseline_paths([options.working_directory], tree.path, tree.root)[0]
    base_label = f"base {short_ref(options.baseline_ref or '')}"
    # Both sides run in the same folder of the repository, and are named by it.
    inside = base_dir.relative_to(tree.path).as_posix()
    shown = inside if inside != "." else "the repository's top folder"
    running = Running()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="synth") as pool:
        try:
            base = pool.submit(
                run_synth, options.synth, base_dir, options.synth_timeout, progress,
                base_label, shown=shown, running=running,
            )
            head = pool.submit(
                run_synth, options.synth, options.working_directory, options.synth_timeout,
                progress, "pull request", shown=shown, running=running,
            )
            head_error = head.exception()
            base_error = base.exception()
        except BaseException:
            # Stopped while they run (a signal): end both, or the pool would wait for them
            # before the work tree can be removed.
            running.stop()
            raise
    if head_error is not None:
        raise head_error
    if base_error is None:
        return None
    if isinstance(base_error, InputError):
        return f"the synth command failed at {base_label}: {base_error.message}"
    raise base_error


def _code_advice(options: CheckOptions) -> tuple[str, str]:
    """How the baseline side is named in a note on unread code, and the advice that fits the
    options in use."""
    if not options.baseline_ref:
        return "in the baseline", (
            "compare templates whose code is there: sam build writes "
            ".aws-sam/build/template.yaml with the built code (--baseline-ref with --synth "
            "'sam build' builds both sides)"
        )
    base = f"at base ({short_ref(options.baseline_ref)})"
    if options.synth:
        return base, (
            "the synth command did not build it: make it build the code on both sides "
            "(sam build writes .aws-sam/build/template.yaml, which names the built code)"
        )
    return base, (
        "build it on both sides: synth-command: sam build (CLI: --synth 'sam build'), and "
        "read the template it writes, .aws-sam/build/template.yaml (found without --template)"
    )


def _missing_by_stack(
    new: Sequence[StackTemplate], templates: Sequence[Path], missing: Mapping[Path, str]
) -> dict[str, str]:
    """The reason of each new-side stack loaded from a template whose baseline is missing."""
    if not missing:
        return {}
    out: dict[str, str] = {}
    for stack in new:
        where = stack.path.resolve()
        for template, reason in missing.items():
            base = template.resolve()
            if where == base or base in where.parents:
                out[stack.name] = reason
    return out


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
    options: CheckOptions,
    new: Sequence[StackTemplate],
    old: Sequence[StackTemplate],
    overrides: Mapping[str, str],
    progress: TextIO,
) -> ChangeSetFacts | None:
    """The change set of the one deployed stack, read and deleted again (``--change-set``)."""
    if not options.change_set:
        return None
    if len(options.baseline_stacks) != 1:
        raise InputError("--change-set", "needs exactly one deployed stack (--baseline-stack)")
    name = options.baseline_stacks[0]
    target = next((s for s in new if s.name == name and s.parent is None), None)
    deployed = next((s for s in old if s.name == name and s.parent is None), None)
    if target is None or deployed is None:
        progress.write(f"latest-guard: no change set: stack {name} is not deployed\n")
        return None
    from reviewer.sources.aws.change_set import change_set_facts, make_client_factory
    from reviewer.sources.text.files import read_text

    keep = [p for p in target.parameters if p not in overrides and p in deployed.parameters]
    return change_set_facts(
        name,
        read_text(target.path),
        parameters=overrides,
        previous_parameters=keep,
        template_bucket=options.template_bucket,
        client_factory=make_client_factory(
            region=options.region, profile=options.profile, endpoint_url=options.endpoint_url
        ),
        progress=progress,
    )


def _config(options: CheckOptions) -> Config:
    from reviewer.config import find_config, load_config
    from reviewer.rules.registry import RULES_BY_ID

    start = options.working_directory.resolve()
    path = options.config or (find_config(start) if options.config_search else None)
    config = load_config(path, frozenset(RULES_BY_ID))
    return replace(config, fail_on=FailOn(options.fail_on)) if options.fail_on else config


def short_ref(ref: str) -> str:
    """A commit id cut to 12 characters; any other ref as it is."""
    return ref[:12] if re.fullmatch(r"[0-9a-f]{40}", ref) else ref


def _baseline_source(
    options: CheckOptions, templates: Sequence[Path], tree: _Tree | None, synth_error: str | None
) -> SideSource | None:
    """Where the baseline comes from: the templates at a git revision, deployed stacks, or
    template paths; None without a baseline."""
    if tree is not None:
        return GitRevision(
            templates, tree.path, tree.root, short_ref(options.baseline_ref or ""),
            options.stack_name, synth_error, synthesized=bool(options.synth),
        )
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
    tree: _Tree | None,
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
    if tree is not None and old and not options.parameter_overrides:
        old_overrides, old = _base_overrides(options, templates, tree, old)
    if overrides or options.baseline_stacks:
        new = apply_parameter_values(new, overrides, old or ())
    if old_overrides and old and not options.baseline_stacks:
        old = apply_parameter_values(
            old, old_overrides, which="the baseline template (so not used there)"
        )
    return overrides, new, old


def _base_overrides(
    options: CheckOptions, templates: Sequence[Path], tree: _Tree, old: list[StackTemplate]
) -> tuple[dict[str, str], list[StackTemplate]]:
    """The parameter overrides the base commit deploys with: its own ``samconfig``, read from
    the base commit (each side deploys with its own settings). One that cannot be read there
    leaves the base with its defaults, and a note says so."""
    from reviewer.sources.git.baseline import baseline_paths

    try:
        return _overrides(options, baseline_paths(templates, tree.path, tree.root)), old
    except InputError as exc:
        note = (
            "the base's samconfig could not be read ("
            + base_error_text(exc, tree.path, short_ref(options.baseline_ref or ""))
            + "): the base is compared with its parameters' defaults"
        )
        return {}, [replace(stack, notes=(*stack.notes, note)) for stack in old]


def _overrides(options: CheckOptions, templates: Sequence[Path]) -> dict[str, str]:
    """``--parameter-overrides``; without them, a SAM project's ``samconfig`` overrides."""
    from reviewer.sources.cloudformation.parameters import (
        find_samconfig,
        load_samconfig,
        parse_overrides,
    )

    if options.parameter_overrides:
        return parse_overrides(options.parameter_overrides, base=options.working_directory)
    if len(templates) == 1 and templates[0].is_file():
        samconfig = find_samconfig(templates[0])
        if samconfig is not None:
            return dict(load_samconfig(samconfig).parameter_overrides)
    return {}


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


