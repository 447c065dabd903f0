"""``mode: publish``: the verdict for a pull request whose analysis ran in another workflow.

In the two-workflow setup for forks, the ``pull_request`` workflow runs with the fork's code
and uploads its JSON report; the ``workflow_run`` workflow publishes it with a token that can
write. That report is untrusted: the fork controls the workflow that wrote it.

- For plain CloudFormation and SAM templates this run does the analysis again itself: it
  fetches the pull request's head commit, checks it out into a temporary work tree (git only:
  no hook, no filter download, no build, no code of the pull request runs), and compares its
  templates with the merge base of that commit and the pull request's base (from the API),
  with this repository's own configuration. Its symbolic links are followed as ``sam deploy``
  follows them, inside the repository only: each becomes a copy of what it points at, and one
  that leads outside the repository is an input error. The uploaded report is never used:
  an input error is a ``failure`` check run that names it.
- Where that cannot be done (a synth command is needed, or the baseline is read elsewhere),
  the uploaded report is published after validation, re-rendered from its structured fields
  only (rule, severity, stack, function, file and line, the names of the changed properties,
  the consumers' resources and types): none of its free text (messages, fixes, notes) is
  published. The check run's title starts with "unverified", and a clean result is
  ``neutral``, never ``success``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from reviewer.contract.enums import FailOn
from reviewer.contract.report import Report
from reviewer.errors import InputError
from reviewer.github.workflow import log_line

if TYPE_CHECKING:
    from reviewer.commands.action import Inputs
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
    from reviewer.report.json_v1 import read_report

    reason = _why_not_reanalysed(inputs)
    if reason is None:
        try:
            report = reanalyse(inputs, env, workspace, context, log)
        except InputError as exc:
            _fail_check(inputs, env, context, exc, log)
            raise
        log_line(
            log,
            f"verdict from this run's own analysis of {context.head_sha[:12]} "
            "(the uploaded report is not used)",
        )
        return report, None
    from reviewer.rules.registry import catalogue

    uploaded = read_report(workspace / inputs.report_path).with_rules(catalogue())
    if inputs.fail_on:
        uploaded = replace(uploaded, fail_on=FailOn(inputs.fail_on))
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
    from reviewer.commands.action import check_options
    from reviewer.commands.check import run_check
    from reviewer.sources.git.baseline import repository_root, worktree
    from reviewer.sources.git.history import merge_base

    root = repository_root(workspace.resolve())
    token = inputs.github_token or None
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    base = context.base_sha or _pull_base(inputs, env, context, log) or "HEAD"
    found = merge_base(
        root, base, head=context.head_sha, token=token, server_url=server, progress=log
    )
    log_line(log, f"analysing {context.head_sha[:12]} against git {found.commit[:12]} itself")
    with worktree(found.head, root) as tree:
        follow_links(tree)
        local = replace(inputs, baseline="none", config="")
        options = replace(
            check_options(local, env, tree, context, log),
            config=_config_path(workspace, inputs),
            config_search=False,
        )
        if inputs.baseline.strip().lower() == "git":
            options = replace(options, baseline_ref=found.commit)
        return run_check(options, log)  # its paths named from the top of ``tree``


def _pull_base(
    inputs: Inputs, env: Mapping[str, str], context: RunContext, log: TextIO
) -> str | None:
    """The base commit of the pull request (a ``workflow_run`` event of a fork names none):
    from the API. None, said in the log, when it cannot be found: the checked-out branch is
    the base then."""
    from github.GithubException import GithubException

    from reviewer.github.client import RetrySettings, connect
    from reviewer.github.publish import find_pull_number

    if not inputs.github_token:
        return None
    try:
        repo = connect(
            inputs.github_token, env.get("GITHUB_API_URL"), RetrySettings.from_environment(env)
        ).get_repo(context.repository)
        number = context.pull_number
        if number is None and context.lookup is not None:
            number = find_pull_number(repo, context.lookup)
        if number is None:
            log_line(log, "no open pull request has this head: compared with the checkout")
            return None
        base = repo.get_pull(number).base.sha
    except (GithubException, OSError) as exc:
        log_line(log, f"the pull request's base could not be read ({exc}): compared with the "
                      "checkout")
        return None
    return base if isinstance(base, str) and base else None


def follow_links(tree: Path) -> None:
    """Replace every symbolic link of the pull request's work tree by a copy of what it points
    at, as ``sam deploy`` reads through it; a link that leads outside ``tree`` (it could name
    any file of the runner, whose content would then be published) or that never ends is an
    input error. A link to nothing is removed: there is nothing to read."""
    root = tree.resolve()
    budget = [_LINK_BYTES]
    for _ in range(_LINK_ROUNDS):
        links = [
            Path(folder) / name
            for folder, directories, files in os.walk(root)
            for name in [*directories, *files]
            if (Path(folder) / name).is_symlink()
        ]
        if not links:
            return
        for link in links:
            _materialise(link, root, budget)
    raise InputError(root.name, "its symbolic links lead to more links without end")


#: How many times links inside copied folders are followed before the tree counts as a loop.
_LINK_ROUNDS = 8
#: At most this much is copied for links (a link to ``.`` copies the whole repository).
_LINK_BYTES = 200 * 1024 * 1024


def _size(path: Path) -> int:
    if not path.is_dir():
        return path.stat().st_size
    return sum(
        (Path(folder) / name).lstat().st_size
        for folder, _dirs, files in os.walk(path)
        for name in files
    )


def _materialise(link: Path, root: Path, budget: list[int]) -> None:
    name = link.relative_to(root).as_posix()
    try:
        target = link.resolve(strict=True)
    except FileNotFoundError:
        link.unlink()
        return
    except (OSError, RuntimeError):
        raise InputError(name, "is a symbolic link that never ends") from None
    if not target.is_relative_to(root):
        raise InputError(
            name, "is a symbolic link to a file outside the repository: it is not followed"
        )
    budget[0] -= _size(target)
    if budget[0] < 0:
        raise InputError(name, "its symbolic links copy more than 200 MB: not followed")
    link.unlink()
    if target.is_dir():
        shutil.copytree(target, link, symlinks=True)
    else:
        shutil.copyfile(target, link)


def _fail_check(
    inputs: Inputs, env: Mapping[str, str], context: RunContext, error: InputError,
    log: TextIO,
) -> None:
    """A ``failure`` check run that names why the head commit could not be analysed: the
    uploaded report never stands in for this run's own analysis."""
    if not inputs.github_token:
        return
    from github.GithubException import GithubException

    from reviewer.github.checks import check_name, publish_failure
    from reviewer.github.client import RetrySettings, connect
    from reviewer.github.writes import Writer

    name = check_name(inputs.instance_name)
    retry = RetrySettings.from_environment(env)
    try:
        repo = connect(inputs.github_token, env.get("GITHUB_API_URL"), retry).get_repo(
            context.repository
        )
        publish_failure(
            repo, context.head_sha, str(error), name=name,
            run_key=f"latest-guard:{uuid.uuid4().hex}", writer=Writer(log, wait=retry.backoff),
        )
    except (GithubException, OSError) as exc:
        log_line(log, f"could not create the check run {name}: {exc}")
        return
    log_line(log, f"check run {name} on {context.head_sha[:7]}: failure (input error)")


def _config_path(workspace: Path, inputs: Inputs) -> Path | None:
    """This repository's configuration file, from the checked-out base branch (the pull
    request's own copy is never read: it could switch rules off)."""
    from reviewer.config import find_config

    if inputs.config:
        return (workspace / inputs.config).resolve()
    return find_config((workspace / inputs.working_directory).resolve())


def _unverified(report: Report, reason: str, log: TextIO) -> tuple[Report, str]:
    from reviewer.review.verdict import conclusion

    note = (
        f"unverified: this verdict is the pull request's own workflow run's ({reason}); "
        "a fork can change that workflow, so a clean result is neutral, not success, and "
        "only the report's structured fields are shown, none of its text"
    )
    log_line(log, note)
    shown = structured(report, note)
    verdict = conclusion(shown)
    return shown, ("neutral" if verdict == "success" else verdict)


def structured(report: Report, note: str) -> Report:
    """The fork's report with its structured fields only: every text it wrote (messages,
    reasons, fixes, notes, property details, consumer labels, the names of quiet functions,
    the baseline's description) is replaced by text of this run's, made from those fields;
    the renderers escape the fields themselves as they escape any template's."""
    from reviewer.contract.wording import joined

    by_id = {rule.id: rule for rule in report.rules}
    findings = []
    for f in report.findings:
        rule = by_id.get(f.rule)
        changes = tuple(replace(c, detail=None, cause=None) for c in f.changes)
        names = joined(list(dict.fromkeys(c.name for c in changes))) or "no property named"
        findings.append(replace(
            f,
            name=rule.name if rule is not None else "unknown-rule",
            message=(
                f"unverified: the pull request's own run reports {f.rule} for {f.resource} "
                f"(changes: {names})"
            ),
            changes=changes,
            consumers=tuple(
                replace(c, label=c.type, form="as the pull request's run reports")
                for c in f.consumers
            ),
            why="", fix=None, suppression_reason=None, suppression_source=None, when=None,
        ))
    stacks = tuple(replace(s, notes=(note,), quiet=()) for s in report.stacks)
    return replace(
        report, findings=tuple(findings), stacks=stacks,
        baseline="as the pull request's own run read it (unverified)",
    )
