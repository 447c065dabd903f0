"""Command-line interface: argument parsing, and nothing else."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from reviewer import __version__
from reviewer.contract.enums import FailOn
from reviewer.errors import InputError
from reviewer.report import REPORTERS

if TYPE_CHECKING:
    from reviewer.config import Config

EXIT_INPUT = 2
#: The reader of the output went away: 128 + SIGPIPE, as a shell reports it.
EXIT_BROKEN_PIPE = 141

#: What ``--fail-on`` takes: the values of :class:`FailOn`, as the command line spells them.
FAIL_ON_CHOICES = tuple(level.value for level in FailOn)


class _Parser(argparse.ArgumentParser):
    """A parser whose error is one line naming the problem, after its command's usage in
    short (what it needs, ``[OPTION ...]`` for the rest, and where the options are listed)."""

    short_usage: str | None = None

    def error(self, message: str) -> NoReturn:
        if self.short_usage is None:
            self.print_usage(sys.stderr)
        else:
            print(f"usage: {self.short_usage}", file=sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="latest-guard",
        description=(
            "Find Lambda functions whose code and configuration change together while "
            "traffic reaches $LATEST."
        ),
    )
    parser.add_argument("--version", action="version", version=f"latest-guard {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    check = commands.add_parser("check", help="compare a template with its baseline")
    check.add_argument("--template", "-t", type=Path, metavar="NEW", action="append",
                       help="the new side: a template (JSON or YAML; SAM is expanded), a "
                            "directory of templates (its files only: subfolders are not "
                            "searched), a CDK cloud assembly or a Serverless package; repeat "
                            "for more stacks of one app. A template file's stack is named by "
                            "its path from the folder that holds all the templates, without "
                            "its suffix (services/orders/template.yaml beside "
                            "services/billing/template.yaml: orders/template); a lone "
                            "template by its file name")
    baseline = check.add_mutually_exclusive_group()
    baseline.add_argument("--baseline", "-b", type=Path, metavar="OLD", action="append",
                          help="what is deployed now, in any of the same forms; its stacks "
                               "pair with the new side's by the same names (paths from the "
                               "folder that holds all the baselines), or in the order given "
                               "when there are as many --baseline as --template and the names "
                               "differ")
    baseline.add_argument("--baseline-stack", metavar="NAME", action="append",
                          help="the deployed stack (read with AWS credentials); repeat for "
                               "more, or '*' for every stack of the new side by name")
    baseline.add_argument("--baseline-ref", metavar="REF",
                          help="the same templates at a git revision (e.g. origin/main), "
                               "synthesized like the new side when --synth is given")
    check.add_argument("--region", metavar="REGION", help="AWS region of the deployed stacks")
    check.add_argument("--profile", metavar="PROFILE", help="AWS profile to read them with")
    check.add_argument("--endpoint-url", metavar="URL",
                       help="CloudFormation endpoint (LocalStack, moto)")
    check.add_argument("--parameter-overrides", nargs="+", metavar="KEY=VALUE",
                       help="parameter values of the new side, as 'aws cloudformation deploy' "
                            "takes them (or a JSON file); default: a SAM project's samconfig")
    check.add_argument("--change-set", action="store_true",
                       help="ask CloudFormation what changes: create a change set of the "
                            "deployed stack, read it and delete it (never executed)")
    check.add_argument("--template-bucket", metavar="BUCKET",
                       help="S3 bucket for templates over 51,200 bytes (--change-set)")
    check.add_argument("--synth", metavar="COMMAND",
                       help="run this command first (e.g. 'npx cdk synth', 'npx serverless "
                            "package'); its output streams to standard error")
    check.add_argument("--working-directory", "-C", type=Path, metavar="DIR",
                       help="run the synth command and look for the project here; relative "
                            "--template and --baseline paths are read from here too")
    check.add_argument("--synth-timeout", type=float, default=900.0, metavar="SECONDS",
                       help="give up on the synth command after this long (default: 900)")
    check.add_argument("--stack-name", metavar="NAME",
                       help="name of the stack of one template in the report (default: "
                            "its file name)")
    check.add_argument("--format", "-f", default="text", choices=tuple(REPORTERS),
                       help="output format (default: text)")
    check.add_argument("--output", "-o", type=Path, metavar="FILE",
                       help="write the report to FILE instead of standard output")
    check.add_argument("--fail-on", choices=FAIL_ON_CHOICES,
                       help="lowest severity that makes the exit status 1 (default: the "
                            "configuration file's fail-on, else error)")
    check.add_argument("--config", type=Path, metavar="FILE",
                       help="configuration file (default: .latest-guard.yml or pyproject.toml "
                            "found from the current directory up)")
    check.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")

    hook = commands.add_parser(
        "pre-commit", help="check staged templates against their version at a git revision"
    )
    hook.add_argument("files", nargs="*", type=Path, metavar="FILE",
                      help="a staged file, as pre-commit passes them; a file that is not a "
                           "CloudFormation template is skipped with one line that says so")
    hook.add_argument("--base", default="HEAD", metavar="REV",
                      help="the revision to compare with (default: HEAD; in a repository "
                           "with no commit yet, every template is new)")
    hook.add_argument("--fail-on", choices=FAIL_ON_CHOICES,
                      help="lowest severity that makes the exit status 1 (default: error)")
    hook.add_argument("--config", type=Path, metavar="FILE",
                      help="configuration file (default: .latest-guard.yml or pyproject.toml "
                           "found from the current directory up)")
    hook.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    fix = commands.add_parser(
        "fix", help="apply the fixes to a SAM or plain template (prints a diff unless --write)"
    )
    fix.add_argument("--template", "-t", type=Path, metavar="FILE", required=True,
                     help="the template to fix: a SAM or plain CloudFormation file")
    fixed_against = fix.add_mutually_exclusive_group()
    fixed_against.add_argument("--baseline", "-b", type=Path, metavar="OLD",
                               help="what is deployed now; without it, every function that a "
                                    "resource invokes unqualified gets the alias wiring")
    fixed_against.add_argument("--baseline-ref", metavar="REF",
                               help="what is deployed now: FILE as it is at a git revision "
                                    "(e.g. origin/main)")
    fix.add_argument("--phase-one", action="store_true",
                     help="the change to deploy first, made to OLD (for a two-phase fix)")
    fix.add_argument("--write", action="store_true",
                     help="write the fixed file instead of printing the diff")
    fix.add_argument("--config", type=Path, metavar="FILE",
                     help="configuration file (default: .latest-guard.yml or pyproject.toml "
                          "found from the current directory up)")
    fix.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    fix.set_defaults(fail_on=None)

    replay = commands.add_parser(
        "hook", help="replay a CloudFormation Lambda Hook request: the response on stdout"
    )
    replay.add_argument("request", type=Path, metavar="REQUEST.json",
                        help="the hook's request (the Lambda event), saved as JSON")
    replay.add_argument("--payload", type=Path, metavar="FILE",
                        help="the payload the request's URL pointed at, saved (once the "
                             "presigned URL has expired)")
    replay.add_argument("--fail-on", choices=FAIL_ON_CHOICES, default="error",
                        help="lowest severity that answers FAILED (default: error)")
    replay.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    commands.add_parser("rules", help="list the rules")
    explain = commands.add_parser("explain", help="print the documentation of a rule")
    explain.add_argument("rule", metavar="RULE", help="a rule id (LG001) or name (latest-race)")
    for name, command in commands.choices.items():
        command.short_usage = _short_usage(name, command)
    return parser


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = commands.choices[name]
    return found


def _unrecognized(extra: Sequence[str], command: argparse.ArgumentParser) -> str:
    """The error for arguments ``command`` does not take, with the option meant where one is
    close (``--tempalte``: ``--template``)."""
    message = f"unrecognized arguments: {' '.join(extra)}"
    known = [option for action in command._actions for option in action.option_strings]
    flag = next((arg.split("=", 1)[0] for arg in extra if arg.startswith("-")), None)
    close = difflib.get_close_matches(flag, known, n=1) if flag else []
    return f"{message} (did you mean {close[0]}?)" if close else message


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def join_wrapped_table_rows(markdown: str) -> str:
    """Markdown with each table row on one line.

    Rule documentation wraps long table rows in the source: the continuation is a row whose
    cells after the first are empty. Printed as is, each part would be a row of its own.
    """
    out: list[str] = []
    for line in markdown.splitlines():
        previous = out[-1] if out else ""
        if line.startswith("|") and previous.startswith("|") and not previous.startswith("|-"):
            cells, above = _cells(line), _cells(previous)
            if cells[0] and not any(cells[1:]) and len(cells) == len(above):
                above[0] = f"{above[0]} {cells[0]}"
                out[-1] = "| " + " | ".join(above) + " |"
                continue
        out.append(line)
    return "\n".join(out)


def _option_synopsis(action: argparse.Action) -> str:
    if not action.option_strings:  # a positional argument
        name = str(action.metavar or action.dest)
        return f"{name} ..." if action.nargs in ("*", "+") else name
    flags = "/".join(sorted(action.option_strings, key=lambda option: -len(option)))
    if action.nargs == 0:
        return flags
    if action.choices is not None:
        value = "|".join(str(choice) for choice in action.choices)
    else:
        value = str(action.metavar or action.dest.upper())
    repeated = action.nargs in ("*", "+") or isinstance(action, argparse._AppendAction)
    return f"{flags} {value} ..." if repeated else f"{flags} {value}"


def _synopsis_items(parser: argparse.ArgumentParser) -> list[str]:
    """A command's arguments as its synopsis writes them, options first; ``[...]`` if optional."""
    groups = {
        id(action): group
        for group in parser._mutually_exclusive_groups
        for action in group._group_actions
    }
    items: list[str] = []
    done: set[int] = set()
    shown = [
        action for action in parser._actions
        if action.help != argparse.SUPPRESS and not isinstance(action, argparse._HelpAction)
    ]
    for action in sorted(shown, key=lambda action: not action.option_strings):  # options first
        group = groups.get(id(action))
        if group is not None:
            if id(group) in done:
                continue
            done.add(id(group))
            members = [a for a in group._group_actions if a.help != argparse.SUPPRESS]
            items.append("[" + " | ".join(_option_synopsis(a) for a in members) + "]")
        elif action.nargs not in ("*", "?") and (action.required or not action.option_strings):
            items.append(_option_synopsis(action))
        else:
            items.append(f"[{_option_synopsis(action)}]")
    return items


def _short_usage(name: str, parser: argparse.ArgumentParser) -> str:
    """``latest-guard fix --template/-t FILE [OPTION ...] (… --help lists the options)``: the
    options a command needs and its arguments; the optional ones are left to ``--help``."""
    items = _synopsis_items(parser)
    options = [item for item in items if item.startswith(("-", "[-"))]
    needed = [item for item in options if not item.startswith("[")]
    words = [f"latest-guard {name}", *needed]
    if len(needed) < len(options):
        words.append("[OPTION ...]")
    words.extend(item for item in items if item not in options)
    hint = f" (latest-guard {name} --help lists the options)" if options else ""
    return " ".join(words) + hint


def _command_synopsis(name: str, parser: argparse.ArgumentParser, width: int) -> list[str]:
    items = _synopsis_items(parser)
    lead = f"latest-guard {name}"
    lines = [lead]
    for item in items:
        if len(lines[-1]) + 1 + len(item) > width and lines[-1].strip() != lead:
            lines.append(" " * len(lead))
        lines[-1] += " " + item
    return lines


def usage_synopsis(width: int = 96) -> str:
    """The synopsis of every command, one block each, as the README's usage block shows it."""
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    lines = ["latest-guard --version"]
    for name, sub in commands.choices.items():
        lines.extend(_command_synopsis(name, sub, width))
    return "\n".join(lines) + "\n"


def rules_table() -> str:
    """The README's table of rules, from the registry."""
    from reviewer.rules.registry import RULES

    rows = ["| id | name | default severity | finds |", "|---|---|---|---|"]
    for rule in RULES:
        summary = rule.summary.replace("|", "\\|")
        rows.append(f"| {rule.id} | {rule.name} | {rule.default_severity.value} | {summary} |")
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the command's own parser, with its own usage
        command = _subcommand(parser, args.command)
        command.error(_unrecognized(extra, command))
    try:
        if args.command == "rules":
            return _rules()
        if args.command == "explain":
            return _explain(args.rule)
        return _run(args)
    except BrokenPipeError:
        # The reader went away (``latest-guard rules | head -1``): nothing more to say, and
        # the interpreter's last flush must not fail on the closed pipe either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _run(args: argparse.Namespace) -> int:
    """Run a command that reads inputs: one line and exit status 2 for an input error, the
    signal's status when it is stopped (its work tree removed), one line for a bug."""
    from reviewer.commands.signals import Stopped, stoppable

    try:
        run = {"check": _check, "fix": _fix, "hook": _hook}.get(args.command, _pre_commit)
        with stoppable():
            return run(args)
    except InputError as exc:
        print(f"latest-guard: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("latest-guard: interrupted", file=sys.stderr)
        return 130
    except Stopped as stopped:
        print(f"latest-guard: stopped by {stopped}", file=sys.stderr)
        return stopped.exit_status
    except BrokenPipeError:
        raise  # not a bug: the reader of the output went away (see main)
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
    return replace(config, fail_on=FailOn(args.fail_on)) if args.fail_on else config


def _check(args: argparse.Namespace) -> int:
    from reviewer.commands.check import CheckOptions, run_check

    if args.change_set and not args.baseline_stack:
        raise InputError("--change-set", "needs --baseline-stack: the deployed stack to compare")
    options = CheckOptions(
        templates=tuple(args.template or ()),
        baselines=tuple(args.baseline or ()),
        baseline_ref=args.baseline_ref,
        baseline_stacks=tuple(args.baseline_stack or ()),
        synth=args.synth,
        working_directory=args.working_directory or Path(),
        synth_timeout=args.synth_timeout,
        stack_name=args.stack_name,
        config=args.config,
        fail_on=FailOn(args.fail_on) if args.fail_on else None,
        region=args.region,
        parameter_overrides=tuple(args.parameter_overrides or ()),
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        change_set=args.change_set,
        template_bucket=args.template_bucket,
    )
    report = run_check(options, sys.stderr)
    output = REPORTERS[args.format](report)
    if args.output:
        try:
            args.output.write_text(output, encoding="utf-8")
        except OSError as exc:
            raise InputError(args.output, f"cannot be written: {exc.strerror}") from None
    else:
        sys.stdout.write(output)
    return report.exit_code


def _hook(args: argparse.Namespace) -> int:
    from reviewer.commands.hook import replay

    return replay(args.request, args.payload, FailOn(args.fail_on), sys.stdout, sys.stderr)


def _pre_commit(args: argparse.Namespace) -> int:
    from reviewer.commands.precommit import check_files

    if not args.files:
        # pre-commit passes the changed files; by hand, name them (it never looks for them).
        print("latest-guard: no files given: nothing checked (name the templates, or run it "
              "through pre-commit)", file=sys.stderr)
        return 0
    result = check_files(args.files, args.base, _config(args))
    for path, reason in result.skipped:
        print(f"latest-guard: skipped {path}: {reason}", file=sys.stderr)
    for report in result.reports:
        if report.findings:
            sys.stdout.write(REPORTERS["text"](report))
    return max((r.exit_code for r in result.reports), default=0)


def _fix(args: argparse.Namespace) -> int:
    from reviewer.commands.fix import fix_files, write
    from reviewer.contract.wording import NOT_SAFE_ALONE

    if args.phase_one and args.baseline is None:
        raise InputError(args.template, "--phase-one needs --baseline: the deployed template "
                                        "(for a git revision, run fix on its checkout)")
    outcome = fix_files(
        args.template, args.baseline, _config(args), baseline_ref=args.baseline_ref
    )
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
        first = (
            f"latest-guard fix -t {args.template} -b {args.baseline} --phase-one"
            if args.baseline is not None
            else f"check out {args.baseline_ref} and run latest-guard fix -t {args.template} "
                 "there: without a baseline it adds the wiring alone"
        )
        print(
            f"latest-guard: {NOT_SAFE_ALONE}: deploy the alias wiring "
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
    from reviewer.report.terminal import hanging, terminal_width
    from reviewer.rules.registry import RULES

    name_width = max(len(rule.name) for rule in RULES)
    for rule in RULES:
        head = f"{rule.id}  {rule.name:<{name_width}}  {rule.default_severity.value:<8} "
        print("\n".join(hanging(head, rule.summary, terminal_width())))
    return 0


def _explain(key: str) -> int:
    from reviewer.report.terminal import terminal_width, wrap_markdown
    from reviewer.rules.registry import RULES

    for rule in RULES:
        if key.upper() == rule.id or key.lower() == rule.name:
            print(f"# {rule.id} {rule.name}\n")
            print(wrap_markdown(join_wrapped_table_rows(rule.doc()), terminal_width()))
            return 0
    known = ", ".join(f"{r.id} ({r.name})" for r in RULES)
    print(f"latest-guard: error: unknown rule {key!r}; known: {known}", file=sys.stderr)
    return EXIT_INPUT


if __name__ == "__main__":  # python -P -m reviewer.cli, with the package on PYTHONPATH
    raise SystemExit(main())
