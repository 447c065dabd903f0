"""``mode: publish``: the verdict for a pull request whose analysis ran in another workflow.

In the two-workflow setup for forks, the ``pull_request`` workflow runs with the fork's code
and uploads its JSON report; the ``workflow_run`` workflow publishes it with a token that can
write. That report is untrusted: the fork controls the workflow that wrote it.

- For plain CloudFormation and SAM templates this run does the analysis again itself: it
  fetches the pull request's head commit, checks it out into a temporary work tree (git only:
  no hook, no build, no code of the pull request runs), and compares its templates with the
  merge base of that commit and the checked-out base branch, with this repository's own
  configuration. The uploaded report is not used.
- Where that cannot be done (a synth command is needed, or the templates are build output),
  the uploaded report is published as it is, after validation, and the check says that its
  verdict comes from the fork's own run; a clean result is then ``neutral``, never
  ``success``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from reviewer.errors import InputError
from reviewer.github.workflow import log_line

if TYPE_CHECKING:
    from reviewer.action import Inputs
    from reviewer.engine import Report
    from reviewer.github.context import RunContext

_REANALYSED_BASELINES = ("git", "none")


def publish_report(
    inputs: Inputs,
    env: Mapping[str, str],
    workspace: Path,
    context: RunContext,
    log: TextIO,
) -> tuple[Report, str | None]:
    """The report to publish, and the check run's conclusion when it is not the report's."""
    from reviewer.github.artifact import read_report

    reason = _why_not_reanalysed(inputs)
    if reason is None:
        try:
            report = reanalyse(inputs, env, workspace, context, log)
        except InputError as exc:
            reason = f"the head commit's templates could not be analysed here ({exc})"
        else:
            log_line(
                log,
                f"verdict from this run's own analysis of {context.head_sha[:12]} "
                "(the uploaded report is not used)",
            )
            return report, None
    uploaded = read_report(workspace / inputs.report_path)
    if inputs.fail_on:
        uploaded = replace(uploaded, fail_on=inputs.fail_on)
    return _unverified(uploaded, reason, log)


def _why_not_reanalysed(inputs: Inputs) -> str | None:
    if inputs.synth_command:
        return "the templates need a synth command, which never runs on a fork's code here"
    if inputs.baseline.strip().lower() not in _REANALYSED_BASELINES:
        return f"baseline {inputs.baseline.strip()!r} is analysed only by the fork's own run"
    return None


def reanalyse(
    inputs: Inputs,
    env: Mapping[str, str],
    workspace: Path,
    context: RunContext,
    log: TextIO,
) -> Report:
    """Analyse the head commit's templates against the merge base with the checked-out
    base branch, reading the head commit as data (see the module doc)."""
    from reviewer.action import check_options
    from reviewer.github.artifact import relative_report
    from reviewer.run import run_check
    from reviewer.sources.git_baseline import repository_root, worktree
    from reviewer.sources.git_history import merge_base

    root = repository_root(workspace.resolve())
    token = inputs.github_token or None
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    found = merge_base(
        root, "HEAD", head=context.head_sha, token=token, server_url=server, progress=log
    )
    log_line(log, f"analysing {context.head_sha[:12]} against git {found.commit[:12]} itself")
    with worktree(found.head, root) as tree:
        local = replace(inputs, baseline="none", config="")
        options = replace(
            check_options(local, env, tree, context, log),
            config=_config_path(workspace, inputs),
            config_search=False,
        )
        if inputs.baseline.strip().lower() == "git":
            options = replace(options, baseline_ref=found.commit)
        report = run_check(options, log)
        return relative_report(report, tree)


def _config_path(workspace: Path, inputs: Inputs) -> Path | None:
    """This repository's configuration file, from the checked-out base branch (the pull
    request's own copy is never read: it could switch rules off)."""
    from reviewer.config import find_config

    if inputs.config:
        return (workspace / inputs.config).resolve()
    return find_config((workspace / inputs.working_directory).resolve())


def _unverified(report: Report, reason: str, log: TextIO) -> tuple[Report, str]:
    from reviewer.github.verdict import conclusion

    note = (
        f"unverified: this verdict is the pull request's own workflow run's ({reason}); "
        "a fork can change that workflow, so a clean result is neutral, not success"
    )
    log_line(log, note)
    stacks = tuple(replace(s, notes=(note, *s.notes)) for s in report.stacks)
    verdict = conclusion(report)
    return replace(report, stacks=stacks), ("neutral" if verdict == "success" else verdict)
