"""The GitHub Action's entry point: ``python -m reviewer.action``.

The runner passes each input as an environment variable named ``INPUT_`` plus the input's
name in upper case, dashes kept (``fail-on`` -> ``INPUT_FAIL-ON``). The event is the JSON file
at ``GITHUB_EVENT_PATH``. Three modes:

- ``full`` (default): analyse the pull request and publish the result (check run, summary
  comment, review) in one job. Needs a token that can write: not the case for forks.
- ``analyze``: analyse and write the JSON report (``report-path``) for a later ``publish``; no
  API call. For the ``pull_request`` workflow that may run a fork's code.
- ``publish``: read the JSON report an ``analyze`` run uploaded and publish it. For the
  ``workflow_run`` workflow, which runs no code of the pull request.

Whatever the mode, the step's outputs and the job summary are written before any network
call. The exit status is 2 when the input cannot be used; 0 when the check run carries the
verdict (or in ``analyze`` mode, where ``publish`` gives it later); otherwise 1 when a finding
reaches ``fail-on``, so that the job itself says what the check would have said.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from reviewer.errors import InputError

if TYPE_CHECKING:
    from reviewer.engine import Report
    from reviewer.github.context import RunContext
    from reviewer.run import CheckOptions

EXIT_INPUT = 2
MODES = ("full", "analyze", "publish")
COMMENTS = ("review", "summary", "off")
FAIL_ON = ("error", "warning", "notice", "never")
DEFAULT_REPORT = "latest-guard-report.json"
_STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}|arn:aws[-a-z]*:cloudformation:\S+")


@dataclass(frozen=True)
class Inputs:
    """The action's inputs, as ``action.yml`` declares them."""

    template: str = "auto"
    synth_command: str = ""
    working_directory: str = "."
    baseline: str = "git"
    aws_region: str = ""
    parameter_overrides: str = ""
    fail_on: str = ""
    comment: str = "review"
    github_token: str = ""
    config: str = ""
    sarif_file: str = ""
    mode: str = "full"
    report_path: str = DEFAULT_REPORT


def read_inputs(env: Mapping[str, str]) -> Inputs:
    """The inputs from ``INPUT_*`` variables; a missing or empty one takes its default."""
    defaults = Inputs()
    values: dict[str, str] = {}
    for field_name in Inputs.__dataclass_fields__:
        name = "INPUT_" + field_name.replace("_", "-").upper()
        value = env.get(name, "").strip()
        values[field_name] = value or str(getattr(defaults, field_name))
    inputs = Inputs(**values)
    _choice("mode", inputs.mode, MODES)
    _choice("comment", inputs.comment, COMMENTS)
    if inputs.fail_on:
        _choice("fail-on", inputs.fail_on, FAIL_ON)
    return replace(
        inputs, mode=inputs.mode.lower(), comment=inputs.comment.lower(),
        fail_on=inputs.fail_on.lower(),
    )


def _choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value.lower() not in choices:
        raise InputError(f"input {name}", f"must be one of {', '.join(choices)}")


def main(env: Mapping[str, str] | None = None, log: TextIO | None = None) -> int:
    """Run the action; returns the exit status (see the module doc)."""
    env = os.environ if env is None else env
    log = sys.stdout if log is None else log
    from reviewer.github.workflow import log_line, write_outputs

    try:
        inputs = read_inputs(env)
        workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
        context = _context(env, required=inputs.mode != "analyze")
        report = _report(inputs, env, workspace, context, log)
        return _deliver(report, inputs, env, workspace=workspace, context=context, log=log)
    except InputError as exc:
        log.write(f"::error title=latest-guard::{_escape(str(exc))}\n")
        write_outputs(_path(env, "GITHUB_OUTPUT"), {"conclusion": "failure"})
        return EXIT_INPUT
    except KeyboardInterrupt:
        log_line(log, "interrupted")
        return 130
    except Exception as exc:  # a bug: say so in one line, as the CLI does, and fail the step
        log.write(
            f"::error title=latest-guard::internal error: {type(exc).__name__}: "
            f"{_escape(str(exc))} (please report it)\n"
        )
        write_outputs(_path(env, "GITHUB_OUTPUT"), {"conclusion": "failure"})
        return EXIT_INPUT


def _context(env: Mapping[str, str], *, required: bool) -> RunContext | None:
    from reviewer.github.context import from_environment

    try:
        return from_environment(env)
    except InputError:
        if required:
            raise
        return None


def _report(
    inputs: Inputs,
    env: Mapping[str, str],
    workspace: Path,
    context: RunContext | None,
    log: TextIO,
) -> Report:
    if inputs.mode == "publish":
        from reviewer.github.artifact import read_report

        report = read_report(workspace / inputs.report_path)
        return replace(report, fail_on=inputs.fail_on) if inputs.fail_on else report
    from reviewer.github.artifact import relative_report
    from reviewer.run import run_check

    options = check_options(inputs, env, workspace, context)
    report = run_check(options, log)
    return relative_report(report, workspace)


def check_options(
    inputs: Inputs, env: Mapping[str, str], workspace: Path, context: RunContext | None
) -> CheckOptions:
    """The ``run_check`` options the inputs ask for."""
    from reviewer.run import CheckOptions

    workdir = workspace / inputs.working_directory
    templates = () if inputs.template.lower() == "auto" else tuple(_paths(inputs.template))
    options = CheckOptions(
        templates=templates,
        synth=inputs.synth_command or None,
        working_directory=workdir,
        config=workspace / inputs.config if inputs.config else None,
        fail_on=inputs.fail_on or None,
        region=inputs.aws_region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
        parameter_overrides=tuple(_items(inputs.parameter_overrides)),
    )
    return _with_baseline(options, inputs.baseline, workdir, context)


def _with_baseline(
    options: CheckOptions, baseline: str, workdir: Path, context: RunContext | None
) -> CheckOptions:
    """``git`` (the event's base commit), ``git:REF``, ``none``, paths, or stack names."""
    value = baseline.strip()
    if value.lower() == "none":
        return options
    if value.lower() == "git":
        base = context.base_sha if context is not None else None
        if not base:
            raise InputError(
                "input baseline",
                "'git' compares with the pull request's base (or the commit a push replaced), "
                "and this event has neither: give git:REF, a path or a stack name",
            )
        return replace(options, baseline_ref=base)
    if value.lower().startswith("git:"):
        return replace(options, baseline_ref=value[4:].strip())
    items = _paths(value)
    if all((workdir / item).exists() for item in items):
        return replace(options, baselines=tuple(items))
    names = [str(item) for item in items]
    for name in names:
        if not _STACK_NAME.fullmatch(name):
            raise InputError(
                "input baseline", f"{name}: no such file, and not a CloudFormation stack name"
            )
    return replace(options, baseline_stacks=tuple(names))


def _deliver(
    report: Report,
    inputs: Inputs,
    env: Mapping[str, str],
    *,
    workspace: Path,
    context: RunContext | None,
    log: TextIO,
) -> int:
    """Write everything local first, then publish (unless analysing only)."""
    from reviewer.github.verdict import conclusion
    from reviewer.github.workflow import (
        log_annotations,
        log_line,
        write_outputs,
        write_step_summary,
    )
    from reviewer.report import json_v1, markdown, sarif

    head = context.head_sha if context is not None else None
    run_url = context.run_url if context is not None else None
    summary = markdown.render(report, commit=head, details_url=run_url)
    if inputs.mode != "publish":
        _write(workspace / inputs.report_path, json_v1.render(report))
    if inputs.sarif_file:
        _write(workspace / inputs.sarif_file, sarif.render(report, root=workspace))
    from reviewer.findings import Severity

    write_outputs(
        _path(env, "GITHUB_OUTPUT"),
        {
            "findings": str(sum(1 for f in report.findings if not f.suppressed)),
            "errors": str(report.count(Severity.ERROR)),
            "warnings": str(report.count(Severity.WARNING)),
            "report-path": inputs.report_path,
            "conclusion": conclusion(report),
        },
    )
    write_step_summary(_path(env, "GITHUB_STEP_SUMMARY"), summary)
    log.write(_text_report(report))
    if inputs.mode == "analyze":
        log_annotations(report.findings, log)
        log_line(log, f"report written to {inputs.report_path}; publish it with mode: publish")
        return 0
    assert context is not None  # required outside analyze mode
    check_created, degraded = _publish(
        report, inputs, env, context=context, summary=summary, log=log
    )
    if degraded is not None:
        log.write(f"::warning title=latest-guard::{_escape(degraded)}\n")
        log_annotations(report.findings, log)
    return 0 if check_created else report.exit_code


def _publish(
    report: Report,
    inputs: Inputs,
    env: Mapping[str, str],
    *,
    context: RunContext,
    summary: str,
    log: TextIO,
) -> tuple[bool, str | None]:
    """Publish: whether the check run carries the verdict, and what could not be done."""
    from reviewer.github.workflow import log_line

    if not inputs.github_token:
        return False, "no github-token: the verdict is this step's exit status and job summary"
    from reviewer.github.client import RetrySettings
    from reviewer.github.publish import PublishOptions, publish

    options = PublishOptions(
        token=inputs.github_token,
        api_url=env.get("GITHUB_API_URL"),
        comment=inputs.comment,
        retry=RetrySettings.from_environment(env),
    )
    pointer = _pointer(context.run_url)
    outcome = publish(report, context, summary, options, log=log, pointer=pointer)
    for reason in outcome.degraded:
        log_line(log, reason)
    if not outcome.degraded:
        return True, None
    if outcome.check_created:
        return True, "published in part: " + "; ".join(outcome.degraded)
    return False, (
        "no check run could be created, so this step's exit status gives the verdict; "
        "findings follow as annotations and in the job summary"
    )


def _pointer(run_url: str | None) -> str:
    where = f"[the job summary]({run_url})" if run_url else "the job summary"
    return f"… cut to fit GitHub's limit: {where} has the full report"


def _text_report(report: Report) -> str:
    from reviewer.report import text

    return text.render(report)


def _write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot be written: {exc.strerror}") from None


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name)
    return Path(value) if value else None


def _items(text: str) -> list[str]:
    """Items of a multi-line input: one per line (blank lines and ``#`` comments skipped)."""
    return [
        line.strip() for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def _paths(text: str) -> list[Path]:
    return [Path(item) for line in _items(text) for item in line.split(",") if item.strip()]


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


if __name__ == "__main__":
    sys.exit(main())
