"""Run one check from options: the pipeline the CLI and the GitHub Action share.

``run_check`` does what ``latest-guard check`` does, in order: run the synth command, find the
project when no template is named, load the new side, load the baseline (files, the same
files at a git revision, or deployed stacks), settle parameter values, and analyse. It prints
progress to ``progress`` and raises ``InputError`` for anything the user has to fix; it never
prints a parameter value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

from reviewer.errors import InputError

if TYPE_CHECKING:
    from reviewer.config import Config
    from reviewer.engine import Report
    from reviewer.model.template import StackTemplate

T = TypeVar("T")


@dataclass(frozen=True)
class CheckOptions:
    """What to compare, and how.

    At most one kind of baseline is used: ``baselines`` (paths in any form a template can
    take), ``baseline_ref`` (the same templates at a git revision) or ``baseline_stacks``
    (stacks deployed in ``region``). None of them compares with nothing: every stack is new.
    Relative paths are read from ``working_directory``.
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
    fail_on: str | None = None
    region: str | None = None
    parameter_overrides: tuple[str, ...] = ()


def run_check(options: CheckOptions, progress: TextIO) -> Report:
    """The report for ``options`` (see the module doc)."""
    from reviewer.engine import analyze

    config = _config(options)
    workdir = options.working_directory
    if options.synth:
        from reviewer.sources.synth import run_synth

        run_synth(options.synth, workdir, options.synth_timeout, progress)
    templates = [workdir / p for p in options.templates]
    if not templates:
        templates = [detected_project(workdir, synthesized=bool(options.synth), progress=progress)]
    if options.stack_name and len(templates) > 1:
        raise InputError(templates[1], "a stack name names one template; give one template")
    new = load_all(templates, options.stack_name)
    with ExitStack() as stack:
        old, label, tree = _baseline(options, templates, progress, stack)
        overrides = _overrides(options)
        if overrides or options.baseline_stacks:
            from reviewer.sources.parameters import apply_parameter_values

            new = apply_parameter_values(new, overrides, old or ())
        report = analyze(new, old, config, label)
    if tree is not None and options.baseline_ref:
        # The work tree was a temporary folder: name its files the git way, ``REF:path``, so
        # that the report reads the same on every run and shows no runner paths.
        report = replace_text(report, f"{tree}{os.sep}", f"{_short(options.baseline_ref)}:")
        report = replace_text(report, str(tree), _short(options.baseline_ref))
    return report


def _config(options: CheckOptions) -> Config:
    from reviewer.config import find_config, load_config
    from reviewer.rules.registry import RULES_BY_ID

    start = options.working_directory.resolve()
    config = load_config(options.config or find_config(start), frozenset(RULES_BY_ID))
    return replace(config, fail_on=options.fail_on) if options.fail_on else config


def _baseline(
    options: CheckOptions, templates: Sequence[Path], progress: TextIO, stack: ExitStack
) -> tuple[list[StackTemplate] | None, str, Path | None]:
    """The baseline stacks, their label, and the temporary work tree they were read from."""
    workdir = options.working_directory
    if options.baseline_stacks:
        from reviewer.sources.deployed import fetch_deployed

        deployed = fetch_deployed(
            options.baseline_stacks, region=options.region, profile=None, progress=progress
        )
        names = ", ".join(options.baseline_stacks)
        return list(deployed.stacks), f"deployed stack {names} ({deployed.region})", None
    if options.baseline_ref:
        from reviewer.sources.git_baseline import baseline_paths, repository_root, worktree

        root = repository_root(workdir.resolve())
        tree = stack.enter_context(worktree(options.baseline_ref, root))
        if options.synth:
            from reviewer.sources.synth import run_synth

            tree_workdir = baseline_paths([workdir], tree, root)[0]
            run_synth(options.synth, tree_workdir, options.synth_timeout, progress)
        paths = baseline_paths(templates, tree, root)
        present = [p for p in paths if p.exists()]
        old = load_all(present, options.stack_name)
        return old, f"git {_short(options.baseline_ref)}", tree
    if options.baselines:
        paths = [workdir / p for p in options.baselines]
        label = ", ".join(str(p) for p in options.baselines)
        return load_all(paths, options.stack_name), label, None
    return None, "none", None


def _short(ref: str) -> str:
    """A commit id cut to 12 characters; any other ref as it is."""
    return ref[:12] if re.fullmatch(r"[0-9a-f]{40}", ref) else ref


def replace_text(value: T, old: str, new: str) -> T:
    """``value`` with ``old`` replaced by ``new`` in every string it holds (dataclasses,
    tuples, lists and dicts are walked; frozen dataclasses are rebuilt)."""
    result: Any = value
    if isinstance(value, Enum):
        pass
    elif isinstance(value, str):
        result = value.replace(old, new)
    elif is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: replace_text(getattr(value, f.name), old, new)
            for f in fields(value)
            if f.init
        }
        result = replace(value, **changes)
    elif isinstance(value, tuple):
        result = tuple(replace_text(item, old, new) for item in value)
    elif isinstance(value, list):
        result = [replace_text(item, old, new) for item in value]
    elif isinstance(value, dict):
        result = {key: replace_text(item, old, new) for key, item in value.items()}
    return cast(T, result)


def _overrides(options: CheckOptions) -> dict[str, str]:
    if not options.parameter_overrides:
        return {}
    from reviewer.sources.parameters import parse_overrides

    return parse_overrides(options.parameter_overrides, base=options.working_directory)


def detected_project(workdir: Path, *, synthesized: bool, progress: TextIO) -> Path:
    """The output of the CDK app, Serverless service or SAM app found in ``workdir``."""
    from reviewer.sources.project import detect_project, require_output

    project = detect_project(workdir)
    if project is None:
        raise InputError(
            workdir.resolve(),
            "no template given, and no cdk.json, serverless.yml or SAM template.yaml here",
        )
    output = require_output(project, synthesized)
    progress.write(f"latest-guard: found a {project.kind} in {workdir}\n")
    return output


def load_all(paths: Sequence[Path], stack_name: str | None) -> list[StackTemplate]:
    """Every stack at ``paths`` (files, directories, cloud assemblies, packages)."""
    from reviewer.sources import load_side

    stacks: list[StackTemplate] = []
    for path in paths:
        stacks.extend(load_side(path, stack_name))
    return stacks
