"""Command-line interface: argument parsing, and nothing else."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer import __version__
from reviewer.errors import InputError

if TYPE_CHECKING:
    from reviewer.config import Config
    from reviewer.model.template import StackTemplate

EXIT_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="latest-guard",
        description=(
            "Find Lambda functions whose code and configuration change together while "
            "traffic reaches $LATEST."
        ),
    )
    parser.add_argument("--version", action="version", version=f"latest-guard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="compare a template with its baseline")
    check.add_argument("--template", "-t", type=Path, metavar="NEW", action="append",
                       help="the new side: a template (JSON or YAML; SAM is expanded), a "
                            "directory of templates, a CDK cloud assembly or a Serverless "
                            "package; repeat for more stacks of one app")
    check.add_argument("--baseline", "-b", type=Path, metavar="OLD", action="append",
                       help="what is deployed now, in any of the same forms")
    check.add_argument("--synth", metavar="COMMAND",
                       help="run this command first (e.g. 'npx cdk synth', 'npx serverless "
                            "package'); its output streams to standard error")
    check.add_argument("--working-directory", "-C", type=Path, metavar="DIR",
                       help="run the synth command and look for the project here; relative "
                            "--template and --baseline paths are read from here too")
    check.add_argument("--synth-timeout", type=float, default=900.0, metavar="SECONDS",
                       help="give up on the synth command after this long (default: 900)")
    check.add_argument("--stack-name", metavar="NAME",
                       help="name of the stack in the report (default: the template file name)")
    check.add_argument("--format", "-f", default="text",
                       choices=("text", "json", "markdown", "sarif"),
                       help="output format (default: text)")
    check.add_argument("--output", "-o", type=Path, metavar="FILE",
                       help="write the report to FILE instead of standard output")
    check.add_argument("--fail-on", choices=("error", "warning", "notice", "never"),
                       help="lowest severity that makes the exit status 1 (default: error)")
    check.add_argument("--config", type=Path, metavar="FILE",
                       help="configuration file (default: .latest-guard.yml or pyproject.toml "
                            "found from the current directory up)")
    check.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")

    hook = commands.add_parser(
        "pre-commit", help="check staged templates against their version at a git revision"
    )
    hook.add_argument("files", nargs="*", type=Path, metavar="FILE")
    hook.add_argument("--base", default="HEAD", metavar="REV",
                      help="the revision to compare with (default: HEAD)")
    hook.add_argument("--fail-on", choices=("error", "warning", "notice", "never"))
    hook.add_argument("--config", type=Path, metavar="FILE")
    hook.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    fix = commands.add_parser(
        "fix", help="apply the fixes to a SAM or plain template (prints a diff unless --write)"
    )
    fix.add_argument("--template", "-t", type=Path, metavar="FILE", required=True,
                     help="the template to fix: a SAM or plain CloudFormation file")
    fix.add_argument("--baseline", "-b", type=Path, metavar="OLD",
                     help="what is deployed now; without it, every function that a resource "
                          "invokes unqualified gets the alias wiring")
    fix.add_argument("--phase-one", action="store_true",
                     help="the change to deploy first, made to OLD (for a two-phase fix)")
    fix.add_argument("--write", action="store_true",
                     help="write the fixed file instead of printing the diff")
    fix.add_argument("--config", type=Path, metavar="FILE")
    fix.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    fix.set_defaults(fail_on=None)

    commands.add_parser("rules", help="list the rules")
    explain = commands.add_parser("explain", help="print the documentation of a rule")
    explain.add_argument("rule", metavar="RULE", help="a rule id (LG001) or name (latest-race)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "rules":
        return _rules()
    if args.command == "explain":
        return _explain(args.rule)
    try:
        run = {"check": _check, "fix": _fix}.get(args.command, _pre_commit)
        return run(args)
    except InputError as exc:
        print(f"latest-guard: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("latest-guard: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"latest-guard: internal error: {type(exc).__name__}: {exc} "
            "(re-run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INPUT


def _config(args: argparse.Namespace) -> Config:
    from reviewer.config import find_config, load_config
    from reviewer.rules.registry import RULES_BY_ID

    config = load_config(args.config or find_config(Path.cwd()), frozenset(RULES_BY_ID))
    return replace(config, fail_on=args.fail_on) if args.fail_on else config


def _check(args: argparse.Namespace) -> int:
    from reviewer.engine import analyze
    from reviewer.report import REPORTERS
    config = _config(args)
    workdir: Path = args.working_directory or Path()
    if args.synth:
        from reviewer.sources.synth import run_synth

        run_synth(args.synth, workdir, args.synth_timeout, sys.stderr)
    templates = [workdir / p for p in args.template or []]
    if not templates:
        templates = [_detected_project(workdir, synthesized=bool(args.synth))]
    if args.stack_name and len(templates) > 1:
        raise InputError(templates[1], "--stack-name names one template; give one --template")
    new = _load_all(templates, args.stack_name)
    if not args.template:
        names = ", ".join(s.name for s in new)
        print(f"latest-guard: loaded {templates[0]}: {len(new)} stack(s): {names}",
              file=sys.stderr)
    baselines = [workdir / p for p in args.baseline or []]
    old = _load_all(baselines, args.stack_name) if baselines else None
    label = ", ".join(f"{_kind(p)} {p}" for p in baselines) if baselines else "none"
    report = analyze(new, old, config, label)
    output = REPORTERS[args.format](report)
    if args.output:
        try:
            args.output.write_text(output, encoding="utf-8")
        except OSError as exc:
            raise InputError(args.output, f"cannot be written: {exc.strerror}") from None
    else:
        sys.stdout.write(output)
    return report.exit_code


def _detected_project(workdir: Path, synthesized: bool) -> Path:
    from reviewer.sources.project import detect_project, require_output

    project = detect_project(workdir)
    if project is None:
        raise InputError(
            workdir.resolve(),
            "no --template given, and no cdk.json, serverless.yml or SAM template.yaml here",
        )
    output = require_output(project, synthesized)
    print(f"latest-guard: found a {project.kind} in {workdir}", file=sys.stderr)
    return output


def _load_all(paths: Sequence[Path], stack_name: str | None) -> list[StackTemplate]:
    from reviewer.sources import load_side

    stacks: list[StackTemplate] = []
    for path in paths:
        stacks.extend(load_side(path, stack_name))
    return stacks


def _kind(path: Path) -> str:
    from reviewer.sources import detect

    source = detect(path)
    return source.name if source is not None else "path"


def _pre_commit(args: argparse.Namespace) -> int:
    from reviewer.precommit import check_files
    from reviewer.report import REPORTERS

    reports = check_files(args.files, args.base, _config(args))
    for report in reports:
        if report.findings:
            sys.stdout.write(REPORTERS["text"](report))
    return max((r.exit_code for r in reports), default=0)


def _fix(args: argparse.Namespace) -> int:
    from reviewer.fixes.apply import fix_files, write

    if args.phase_one and args.baseline is None:
        raise InputError(args.template, "--phase-one needs --baseline: the deployed template")
    outcome = fix_files(args.template, args.baseline, _config(args))
    if args.phase_one:
        target, before, after = args.baseline, outcome.baseline_before, outcome.baseline_after
        patch = outcome.phase_one_patch
    else:
        target, before, after, patch = args.template, outcome.before, outcome.after, outcome.patch
    if args.write and after is not None and after != before:
        write(target, after)
        print(f"latest-guard: fixed {target}", file=sys.stderr)
    elif patch:
        sys.stdout.write(patch)
    if not patch:
        print(f"latest-guard: nothing to change in {target}", file=sys.stderr)
    if outcome.two_phase and not args.phase_one:
        first = f"latest-guard fix -t {args.template} -b {args.baseline} --phase-one"
        print(
            "latest-guard: this change cannot be made safe on its own: deploy the alias wiring "
            f"first, without the code and configuration change ({first})",
            file=sys.stderr,
        )
    for note in outcome.notes:
        print(f"latest-guard: note: {note}", file=sys.stderr)
    for finding in outcome.remaining:
        print(f"latest-guard: not fixed: {finding.rule} {finding.stack}/{finding.resource}: "
              f"{finding.fix.summary if finding.fix else finding.message}", file=sys.stderr)
    return 1 if outcome.remaining else 0


def _rules() -> int:
    from reviewer.rules.registry import RULES

    for rule in RULES:
        print(f"{rule.id}  {rule.name:<16} {rule.default_severity.value:<8} {rule.summary}")
    return 0


def _explain(key: str) -> int:
    from reviewer.rules.registry import RULES

    for rule in RULES:
        if key.upper() == rule.id or key.lower() == rule.name:
            print(f"# {rule.id} {rule.name}\n")
            print(rule.doc())
            return 0
    known = ", ".join(f"{r.id} ({r.name})" for r in RULES)
    print(f"latest-guard: error: unknown rule {key!r}; known: {known}", file=sys.stderr)
    return EXIT_INPUT
