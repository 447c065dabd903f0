"""The GitHub Action's entry point (``action/entry.py`` runs ``main``).

``action.yml`` is a composite action: its last step passes each input as an environment
variable named ``INPUT_`` plus the input's name in upper case with underscores
(``fail-on`` -> ``INPUT_FAIL_ON``; the dashed form that JavaScript and Docker actions get is
read too). The event is the JSON file at ``GITHUB_EVENT_PATH``. Three modes:

- ``full`` (default): analyse the pull request and publish the result (check run, summary
  comment, review) in one job. Needs a token that can write: not the case for forks.
- ``analyze``: analyse and write the JSON report (``report-path``) for a later ``publish``; no
  API call. For the ``pull_request`` workflow that may run a fork's code.
- ``publish``: publish for the ``workflow_run`` workflow, which runs no code of the pull
  request. Plain and SAM templates are analysed again here, read as data from the pull
  request's head commit, so a fork cannot forge the verdict; where a synth is needed, the
  uploaded report is published, and the check says that its verdict is the fork's own.

Whatever the mode, the step's outputs and the job summary are written before any network
call. The exit status is 2 when the input cannot be used; 1 when a finding reaches
``fail-on`` (unless ``fail-step`` is false: then the check run alone carries the verdict);
0 otherwise, and always in ``analyze`` mode, where ``publish`` gives the verdict later.

The token reaches this process in a file that it deletes at once (``action/token.sh``), so it
is in the environment of no process above the synth command; variables holding the same
value are removed from the environment the synth command inherits (``_withhold_token``).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from reviewer.contract.enums import (
    ActionBoolean,
    ActionMode,
    CommentMode,
    FailOn,
    PhaseOneDelivery,
)
from reviewer.errors import InputError

if TYPE_CHECKING:
    from reviewer.commands.check import CheckOptions
    from reviewer.commands.phase_one import PhaseOnePlan
    from reviewer.contract.report import Report
    from reviewer.github.context import RunContext

EXIT_INPUT = 2
#: The inputs that take one word of a closed set, in the order they are checked.
_CHOICES: dict[str, type[StrEnum]] = {
    "mode": ActionMode,
    "comment": CommentMode,
    "fail_step": ActionBoolean,
    "phase_one": PhaseOneDelivery,
}
_E = TypeVar("_E", bound=StrEnum)
DEFAULT_REPORT = "latest-guard-report.json"
_STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}|arn:aws[-a-z]*:cloudformation:\S+")
_TOKEN_INPUTS = ("INPUT_GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN_FILE")
#: action.yml hands the token over in a file (see action/token.sh), read and deleted at once.
_TOKEN_FILE = "INPUT_GITHUB_TOKEN_FILE"


@dataclass(frozen=True)
class Inputs:
    """The action's inputs, as ``action.yml`` declares them."""

    template: str = "auto"
    synth_command: str = ""
    working_directory: str = "."
    baseline: str = "git"
    aws_region: str = ""
    parameter_overrides: str = ""
    fail_on: str = ""  # a FailOn, or empty: the configuration decides
    comment: CommentMode = CommentMode.REVIEW
    github_token: str = ""
    config: str = ""
    sarif_file: str = ""
    instance: str = ""
    fail_step: ActionBoolean = ActionBoolean.TRUE
    mode: ActionMode = ActionMode.FULL
    report_path: str = DEFAULT_REPORT
    phase_one: PhaseOneDelivery = PhaseOneDelivery.COMMENT

    @property
    def instance_name(self) -> str:
        """The instance's name: given, else the working directory, else the template (when
        either is not the default), else none."""
        if self.instance:
            return self.instance
        workdir = Path(self.working_directory).as_posix().strip("/")
        if workdir not in ("", "."):
            return workdir
        templates = _items(self.template)
        if self.template.lower() != "auto" and templates:
            return ", ".join(templates)
        return ""

    @property
    def fails_step(self) -> bool:
        return self.fail_step is ActionBoolean.TRUE


def read_inputs(env: Mapping[str, str]) -> Inputs:
    """The inputs from ``INPUT_*`` variables; a missing or empty one takes its default."""
    defaults = Inputs()
    values: dict[str, Any] = {}
    for field_name in Inputs.__dataclass_fields__:
        names = ("INPUT_" + field_name.upper(), "INPUT_" + field_name.replace("_", "-").upper())
        value = next((env[n].strip() for n in names if env.get(n, "").strip()), "")
        values[field_name] = value or str(getattr(defaults, field_name))
    if not values["github_token"] and env.get(_TOKEN_FILE):
        values["github_token"] = _take_token(Path(env[_TOKEN_FILE]))
    for field_name, choices in _CHOICES.items():
        values[field_name] = _choice(field_name.replace("_", "-"), values[field_name], choices)
    if values["fail_on"]:
        values["fail_on"] = str(_choice("fail-on", values["fail_on"], FailOn))
    return Inputs(**values)


def _take_token(path: Path) -> str:
    """The token in ``path``, which is deleted: nothing started later can read it there."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(
            "input github-token", f"the token file cannot be read: {exc.strerror}"
        ) from None
    finally:
        path.unlink(missing_ok=True)
    return token


def _choice(name: str, value: str, choices: type[_E]) -> _E:
    """The member of ``choices`` that ``value`` spells, in any case."""
    try:
        return choices(value.lower())
    except ValueError:
        raise InputError(f"input {name}", f"must be one of {', '.join(choices)}") from None


def main(env: MutableMapping[str, str] | None = None, log: TextIO | None = None) -> int:
    """Run the action; returns the exit status (see the module doc)."""
    env = os.environ if env is None else env
    log = sys.stdout if log is None else log
    from reviewer.commands.signals import Stopped, stoppable
    from reviewer.github.workflow import log_line

    try:
        with stoppable():
            inputs = read_inputs(env)
            _withhold_token(env, inputs.github_token)
            workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
            _trust_workspace(env, workspace)
            context = _context(env, required=inputs.mode is not ActionMode.ANALYZE)
            report, verdict, phase_one = _report(inputs, env, workspace, context, log)
            return _deliver(
                report, inputs, env, workspace=workspace, context=context, log=log,
                verdict=verdict, phase_one=phase_one,
            )
    except InputError as exc:
        log.write(f"::error title=latest-guard::{_escape(str(exc))}\n")
        _fallback_outputs(env, log)
        return EXIT_INPUT
    except KeyboardInterrupt:
        log_line(log, "interrupted")
        return 130
    except Stopped as stopped:
        log_line(log, f"stopped by {stopped}")
        return stopped.exit_status
    except Exception as exc:  # a bug: say so in one line, as the CLI does, and fail the step
        log.write(
            f"::error title=latest-guard::internal error: {type(exc).__name__}: "
            f"{_escape(str(exc))} (please report it)\n"
        )
        _fallback_outputs(env, log)
        return EXIT_INPUT


def _withhold_token(env: MutableMapping[str, str], token: str) -> None:
    """Remove the token from the environment that the synth command and git inherit: the
    input's variable, and any other variable holding the same value."""
    for name in _TOKEN_INPUTS:
        env.pop(name, None)
    if token:
        for name in [k for k, v in env.items() if v == token]:
            del env[name]


def _trust_workspace(env: MutableMapping[str, str], workspace: Path) -> None:
    """git refuses a repository owned by another user ("dubious ownership"): the case on
    self-hosted runners and in job containers. The workspace is the job's own checkout."""
    from reviewer.sources.git.history import trust_repository

    trust_repository(env, workspace.resolve())


def _fallback_outputs(env: Mapping[str, str], log: TextIO) -> None:
    from reviewer.github.workflow import write_outputs

    try:
        write_outputs(_path(env, "GITHUB_OUTPUT"), {"conclusion": "failure"})
    except OSError as exc:
        log.write(f"::warning title=latest-guard::cannot write the step outputs: {exc.strerror}\n")


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
) -> tuple[Report, str | None, PhaseOnePlan | None]:
    """The report, the check run's conclusion when it is not the report's own, and the
    checked phase-one change when ``phase-one: pull-request`` asks for one."""
    if inputs.mode is ActionMode.PUBLISH:
        assert context is not None  # required outside analyze mode
        from reviewer.commands.fork import publish_report

        report, verdict = publish_report(inputs, env, workspace, context, log)
        if inputs.phase_one is PhaseOneDelivery.PULL_REQUEST:
            _say(log, "phase-one: pull-request is used in mode full only: the comment gives "
                      "the phase-one change")
        return report, verdict, None
    from reviewer.commands.check import run_check

    options = check_options(inputs, env, workspace, context, log)
    report = run_check(options, log)
    return report, None, _phase_one(report, options, inputs, context, log)


def _phase_one(
    report: Report,
    options: CheckOptions,
    inputs: Inputs,
    context: RunContext | None,
    log: TextIO,
) -> PhaseOnePlan | None:
    """The checked phase-one change and what was said of it, when it is asked for and this
    run may send it."""
    from reviewer.commands.phase_one import PhaseOnePlan, plan_phase_one

    if inputs.phase_one is not PhaseOneDelivery.PULL_REQUEST or not any(
        f.needs_two_deployments for f in report.findings
    ):
        return None
    why_not = (
        "mode analyze makes no API call" if inputs.mode is ActionMode.ANALYZE
        else "this run reviews no pull request" if context is None or context.pull_number is None
        else "the pull request comes from a fork: no branch is made from its changes"
        if context.fork
        else "no github-token" if not inputs.github_token
        else "the event names no base branch" if not context.base_ref
        else ""
    )
    if why_not:
        _say(log, f"phase-one: pull-request: {why_not}; the comment gives the phase-one change")
        return None
    assert context is not None and context.base_ref is not None
    try:
        plan = plan_phase_one(
            report, options, base_branch=context.base_ref, progress=log,
            base_tip=context.base_sha,
        )
    except InputError as exc:  # an extra the user asked for: the review goes on without it
        plan = PhaseOnePlan(None, (f"no phase-one pull request: {exc}",))
    except Exception as exc:  # a bug: its text in the log only, and the review goes on
        log.write(
            f"::warning title=latest-guard::phase one: internal error: {type(exc).__name__}: "
            f"{_escape(str(exc))} (please report it)\n"
        )
        plan = PhaseOnePlan(None, (
            "no phase-one pull request: an internal error stopped it (the job log has it)",
        ))
    for line in plan.said:
        _say(log, line)
    return plan


def _say(log: TextIO, line: str) -> None:
    from reviewer.github.workflow import log_line

    log_line(log, line)


def check_options(
    inputs: Inputs,
    env: Mapping[str, str],
    workspace: Path,
    context: RunContext | None,
    log: TextIO,
) -> CheckOptions:
    """The ``run_check`` options the inputs ask for."""
    from reviewer.commands.check import CheckOptions

    workdir = workspace / inputs.working_directory
    templates = () if inputs.template.lower() == "auto" else tuple(_paths(inputs.template))
    options = CheckOptions(
        templates=templates,
        synth=inputs.synth_command or None,
        working_directory=workdir,
        config=workspace / inputs.config if inputs.config else None,
        fail_on=FailOn(inputs.fail_on) if inputs.fail_on else None,
        region=inputs.aws_region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
        parameter_overrides=tuple(_items(inputs.parameter_overrides)),
        verify_fixes=True,  # review comments offer only suggestions that fix
        paths_from=workspace,  # review comments and annotations name files from the top
    )
    return _with_baseline(
        options, inputs, env=env, workdir=workdir, context=context, log=log
    )


def _with_baseline(
    options: CheckOptions,
    inputs: Inputs,
    *,
    env: Mapping[str, str],
    workdir: Path,
    context: RunContext | None,
    log: TextIO,
) -> CheckOptions:
    """``git`` (the merge base with the event's base commit), ``git:REF``, ``none``, paths,
    or stack names."""
    value = inputs.baseline.strip()
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
        return replace(options, baseline_ref=_merge_base(inputs, env, workdir, base, log))
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


def _merge_base(
    inputs: Inputs, env: Mapping[str, str], workdir: Path, base: str, log: TextIO
) -> str:
    """The merge base of the checked-out commit and ``base``, fetched when missing."""
    from reviewer.github.workflow import log_line
    from reviewer.sources.git.baseline import repository_root
    from reviewer.sources.git.history import merge_base

    found = merge_base(
        repository_root(workdir.resolve()),
        base,
        token=inputs.github_token or None,
        server_url=env.get("GITHUB_SERVER_URL", "https://github.com"),
        progress=log,
    )
    how = (
        "the base commit itself" if found.commit == base
        else f"where HEAD {found.head[:12]} meets base {base[:12]}"
    )
    log_line(log, f"baseline: git {found.commit[:12]} ({how})")
    return found.commit


def _deliver(
    report: Report,
    inputs: Inputs,
    env: Mapping[str, str],
    *,
    workspace: Path,
    context: RunContext | None,
    log: TextIO,
    verdict: str | None = None,
    phase_one: PhaseOnePlan | None = None,
) -> int:
    """Write everything local first, then publish (unless analysing only)."""
    from reviewer.github.checks import check_name
    from reviewer.github.workflow import (
        log_annotations,
        log_line,
        write_outputs,
        write_step_summary,
    )
    from reviewer.report import json_v1, markdown, sarif
    from reviewer.review.verdict import conclusion

    head = context.head_sha if context is not None else None
    run_url = context.run_url if context is not None else None
    full = markdown.render_full(report, commit=head, details_url=run_url)
    if inputs.mode is not ActionMode.PUBLISH:
        _write(workspace / inputs.report_path, json_v1.render(report))
    if inputs.sarif_file:
        _write(workspace / inputs.sarif_file, sarif.render(report, root=workspace))
    from reviewer.contract.enums import Severity

    outputs = {
        "findings": str(sum(1 for f in report.findings if not f.suppressed)),
        "errors": str(report.count(Severity.ERROR)),
        "warnings": str(report.count(Severity.WARNING)),
        "report-path": inputs.report_path,
        "conclusion": verdict or conclusion(report),
        "check-name": check_name(inputs.instance_name),
    }
    try:
        write_outputs(_path(env, "GITHUB_OUTPUT"), outputs)
        write_step_summary(_path(env, "GITHUB_STEP_SUMMARY"), full)
    except OSError as exc:
        raise InputError(
            exc.filename or "GITHUB_OUTPUT", f"the runner's file cannot be written: {exc.strerror}"
        ) from None
    log.write(_text_report(report))
    if inputs.mode is ActionMode.ANALYZE:
        log_annotations(report.findings, log)
        log_line(log, f"report written to {inputs.report_path}; publish it with mode: publish")
        return 0
    assert context is not None  # required outside analyze mode
    degraded = _publish(
        report, inputs, env, workspace=workspace, context=context, log=log, verdict=verdict,
        phase_one=phase_one,
    )
    if degraded is not None:
        log.write(f"::warning title=latest-guard::{_escape(degraded)}\n")
        log_annotations(report.findings, log)
    failing = (verdict or conclusion(report)) == "failure"
    if failing and inputs.fails_step:
        log.write(f"::error title=latest-guard::{_escape(_verdict_line(report))}\n")
        return 1
    return 0


def _verdict_line(report: Report) -> str:
    from reviewer.review.verdict import title

    return (
        f"{title(report)}: a finding reaches fail-on {report.fail_on} "
        "(fail-step: false leaves the verdict to the check run alone)"
    )


def _publish(
    report: Report,
    inputs: Inputs,
    env: Mapping[str, str],
    *,
    workspace: Path,
    context: RunContext,
    log: TextIO,
    verdict: str | None,
    phase_one: PhaseOnePlan | None,
) -> str | None:
    """Publish; what could not be done, in one line, or None."""
    from reviewer.github.workflow import log_line
    from reviewer.report import markdown

    if not inputs.github_token:
        return (
            "no github-token: nothing is published; the verdict is in this step's outputs and "
            "job summary" + (" and its exit status" if inputs.fails_step else "")
        )
    from reviewer.github.client import RetrySettings
    from reviewer.github.limits import GITHUB_BODY_LIMIT
    from reviewer.github.publish import PublishOptions, publish

    options = PublishOptions(
        token=inputs.github_token,
        api_url=env.get("GITHUB_API_URL"),
        comment=inputs.comment,
        retry=RetrySettings.from_environment(env),
        instance=inputs.instance_name,
        verdict=verdict,
        unverified=verdict is not None,  # only an unverified report has a verdict of its own
        phase_one=inputs.phase_one is PhaseOneDelivery.PULL_REQUEST,
        workflow_token=env.get("LATEST_GUARD_WORKFLOW_TOKEN", "").lower() == "true",
    )
    change, said = (phase_one.change, phase_one.said) if phase_one else (None, ())
    proposal = None
    if change is not None and context.pull_number is not None:
        from reviewer.commands.phase_one.words import proposal as worded
        from reviewer.review.markers import Markers

        proposal = worded(change, context.pull_number, Markers(inputs.instance_name))
    pointer = _pointer(context.run_url)

    def render(shown: Report, notices: Sequence[str]) -> markdown.Summary:
        return markdown.summary(
            shown, commit=context.head_sha, details_url=context.run_url, notices=notices,
            details_follow=inputs.comment is not CommentMode.OFF, limit=GITHUB_BODY_LIMIT,
        )

    outcome = publish(
        report, context, render, options, log=log, pointer=pointer, phase_one=proposal,
        phase_one_said=said,
    )
    if outcome.report is not None and outcome.report is not report:
        _record_phase_one(outcome.report, inputs, env, workspace)
    for reason in outcome.degraded:
        log_line(log, reason)
    if not outcome.degraded:
        return None
    if outcome.check_created:
        return "published in part: " + "; ".join(outcome.degraded)
    return (
        "no check run could be created, so this step's exit status gives the verdict; "
        "findings follow as annotations and in the job summary"
    )


def _record_phase_one(
    report: Report, inputs: Inputs, env: Mapping[str, str], workspace: Path
) -> None:
    """The JSON report again, now with the phase-one pull request, and a line of the job
    summary that links it (both were written before the pull request existed)."""
    from reviewer.report import json_v1, markdown

    _write(workspace / inputs.report_path, json_v1.render(report))
    line = markdown.phase_one_line([f for f in report.findings if not f.suppressed])
    summary = _path(env, "GITHUB_STEP_SUMMARY")
    if summary is None or not line:
        return
    try:
        with summary.open("a", encoding="utf-8") as out:
            out.write(f"\n{line}\n")
    except OSError as exc:
        raise InputError(summary, f"the runner's file cannot be written: {exc.strerror}") from None


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
