"""Run composite actions and workflow jobs on this machine, the way GitHub's runner does.

Why: latest-guard ships as a composite action and its README gives whole workflows to copy.
A test of the Python entry point says nothing about the glue GitHub runs around it: the
``${{ }}`` expressions of action.yml, input defaults such as ``${{ github.token }}``, the files
behind GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH, ``if:`` with the status functions, the cache
between runs, the repository actions/checkout leaves behind (shallow, detached at the pull
request's merge commit). This harness runs those files for real, offline:

- every ``run:`` step is a script in a temporary file, started with the shell command line
  GitHub documents (``bash --noprofile --norc -eo pipefail {0}``...), in the environment the
  runner builds (GITHUB_*, RUNNER_*, CI, HOME; never GITHUB_TOKEN, never INPUT_* for composite
  actions);
- every expression is evaluated by GitHub's own expression library, npm
  ``@actions/expressions``, in one long-lived Node process (tests/node/expressions.mjs); the
  harness only cuts ``${{ }}`` out of strings and builds the contexts;
- ``uses:`` steps go to handlers: local composite actions run recursively; actions/checkout
  fetches from a local bare repository standing in for github.com (``make_remote`` and
  ``make_pull_request`` build it, with ``refs/pull/N/merge`` made as GitHub makes it);
  actions/cache keeps entries under the Runner's root, so a second Runner on the same root
  restores them; artifacts are copied through a folder under the root; setup-node,
  setup-python and configure-aws-credentials use what the machine has.

Everything the harness writes stays under the root given to ``Runner`` (a test's tmp_path).

Limits (what GitHub does that this does not): no containers, services, reusable workflows,
JavaScript or Docker actions (other than the emulated ones), ``needs`` between jobs,
concurrency, job timeouts, cancellation (``cancelled()`` is true only when that status is
passed in), OIDC, problem matchers, ``::stop-commands::``, ``::save-state::``, annotations
(workflow commands stay in the log as printed), the workflow's ``on:`` triggers (the test
chooses the event), cache scoping by branch, cache eviction and size limits, the cache ``!``
exclude patterns, checkout of other repositories, submodules, LFS and sparse checkout;
hashFiles takes the files in path order; the contexts allowed in each place are GitHub's for
steps, input defaults and job-level keys, but hashFiles is allowed everywhere.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fnmatch
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import urlsplit

import yaml

NODE_DIR = Path(__file__).parent / "node"
EXPRESSIONS_SCRIPT = NODE_DIR / "expressions.mjs"
EXPRESSIONS_LIBRARY = NODE_DIR / "node_modules" / "@actions" / "expressions"
SUMMARY_LIMIT = 1024 * 1024  # bytes of GITHUB_STEP_SUMMARY one step may write
CACHE_KEY_LIMIT = 512
TAGS_REFSPEC = "+refs/tags/*:refs/tags/*"
# Variables of the machine running the tests that a fresh runner would not have.
_FOREIGN_PREFIXES = ("GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_", "STATE_", "GIT_")
_COMMAND_FILES = ("OUTPUT", "ENV", "PATH", "STEP_SUMMARY", "STATE")
_ADD_MASK = re.compile(r"^\s*::add-mask::(.*)$")
_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
_GLOB_CHARS = re.compile(r"[*?\[]")
# The command lines GitHub documents for the ``shell:`` names, and their scripts' suffixes.
_SHELLS = {
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
    "python": "python {0}",
    "pwsh": "pwsh -command \". '{0}'\"",
}
_SHELL_SUFFIXES = {"bash": ".sh", "sh": ".sh", "python": ".py", "pwsh": ".ps1"}


class HarnessError(Exception):
    """The workflow or action asks for something this emulation does not do."""


class ExpressionError(Exception):
    """GitHub's expression library refused an expression or failed to evaluate it."""


class StepFailed(Exception):
    """Raised by a ``uses:`` handler to fail its step (as ``core.setFailed`` does)."""


class CommandFileError(Exception):
    """A GITHUB_OUTPUT / GITHUB_ENV file the runner would refuse."""


# --- results ---------------------------------------------------------------------------------


@dataclass
class StepResult:
    """One step as the ``steps`` context and the log show it."""

    id: str | None
    name: str
    outcome: str  # success | failure | skipped: before continue-on-error
    conclusion: str  # the same after continue-on-error
    outputs: dict[str, str]
    exit_code: int | None  # of a run step's shell; None for uses steps and skipped ones
    log: str  # what the step printed (stdout and stderr interleaved), masked
    uses: str | None = None  # the ``uses:`` value, to tell which actions ran
    steps: list[StepResult] = field(default_factory=list)  # a composite action's own steps


def _find_step(steps: Sequence[StepResult], key: str) -> StepResult:
    for step in steps:
        if key in (step.id, step.name, step.uses):
            return step
    known = [step.id or step.name for step in steps]
    raise KeyError(f"no step {key!r} (steps: {known})")


@dataclass
class ActionRun:
    """A composite action run by ``Runner.run_action``."""

    steps: list[StepResult]
    outputs: dict[str, str]
    status: str  # success | failure
    log: str  # every step's log in order, with a ``##[group]name`` line before each
    summary: str  # the GITHUB_STEP_SUMMARY contents of every step, in order
    env: dict[str, str]  # what the steps wrote to GITHUB_ENV
    path: list[str]  # what the steps wrote to GITHUB_PATH, newest first
    post_steps: list[StepResult]  # post steps of the actions used (actions/cache's save)
    home: Path

    def step(self, key: str) -> StepResult:
        """The step with this id, name or ``uses`` value."""
        return _find_step(self.steps, key)

    @property
    def failed_step(self) -> StepResult | None:
        """The first step that failed the action (continue-on-error steps do not)."""
        return next((s for s in self.steps if s.conclusion == "failure"), None)


@dataclass
class JobRun:
    """One job (one matrix combination) run by ``Runner.run_job``."""

    job: str
    name: str
    matrix: dict[str, Any]
    status: str  # success | failure | skipped
    steps: list[StepResult]  # the job's steps, then its post steps ("Post ...")
    outputs: dict[str, str]  # the job's ``outputs:``
    log: str
    summary: str
    env: dict[str, str]  # what the steps wrote to GITHUB_ENV
    permissions: Any  # the job's (else the workflow's) ``permissions``, recorded only
    workspace: Path
    home: Path

    def step(self, key: str) -> StepResult:
        """The step with this id, name or ``uses`` value."""
        return _find_step(self.steps, key)

    @property
    def step_outputs(self) -> dict[str, dict[str, str]]:
        """The outputs of every step that has an id."""
        return {s.id: s.outputs for s in self.steps if s.id}


@dataclass(frozen=True)
class PullRequestRefs:
    """A pull request on the stand-in remote, with the commits GitHub would name."""

    number: int
    base_ref: str
    head_ref: str
    base_sha: str
    head_sha: str
    merge_sha: str


# --- the github context ----------------------------------------------------------------------


@dataclass
class GitHubContext:
    """What the runner knows of the workflow run: the ``github`` context and GITHUB_* variables."""

    repository: str = "octo-org/octo-repo"
    event_name: str = "push"
    event: dict[str, Any] = field(default_factory=dict)  # the payload (GITHUB_EVENT_PATH)
    sha: str = ""
    ref: str = "refs/heads/main"
    token: str = "ghs_harnessToken000000000000000000000"  # a stand-in secret
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    graphql_url: str = "https://api.github.com/graphql"
    run_id: str = "4242"
    run_number: str = "1"
    actor: str = "octocat"
    workflow: str = "CI"
    workspace: Path | None = None  # run_action's default workspace

    @classmethod
    def for_pull_request(
        cls, refs: PullRequestRefs, event: Mapping[str, Any] | None = None, **fields: Any
    ) -> GitHubContext:
        """A ``pull_request`` run: ``sha`` the merge commit, ``ref`` refs/pull/N/merge, and
        the payload (a copy of ``event``, e.g. a webhook example) pointed at ``refs``."""
        payload: dict[str, Any] = copy.deepcopy(dict(event or {"action": "synchronize"}))
        pull = payload.setdefault("pull_request", {})
        payload["number"] = pull["number"] = refs.number
        pull.setdefault("head", {}).update(sha=refs.head_sha, ref=refs.head_ref)
        pull.setdefault("base", {}).update(sha=refs.base_sha, ref=refs.base_ref)
        if "after" in payload:
            payload["after"] = refs.head_sha
        return cls(
            event_name="pull_request", event=payload, sha=refs.merge_sha,
            ref=f"refs/pull/{refs.number}/merge", **fields,
        )

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    def _pull_side(self, side: str) -> str:
        if self.event_name not in ("pull_request", "pull_request_target"):
            return ""
        return str(self.event.get("pull_request", {}).get(side, {}).get("ref", ""))

    @property
    def ref_name(self) -> str:
        for prefix in ("refs/heads/", "refs/tags/", "refs/pull/"):
            if self.ref.startswith(prefix):
                return self.ref[len(prefix):]
        return self.ref

    @property
    def ref_type(self) -> str:
        return "tag" if self.ref.startswith("refs/tags/") else "branch"

    def as_context(
        self,
        *,
        workspace: Path | None = None,
        job: str = "",
        event_path: Path | None = None,
        action_path: str = "",
        action_repository: str = "",
        action_ref: str = "",
    ) -> dict[str, Any]:
        """The ``github`` expression context."""
        return {
            "action": "__run", "action_path": action_path, "action_ref": action_ref,
            "action_repository": action_repository, "actor": self.actor,
            "api_url": self.api_url, "base_ref": self._pull_side("base"),
            "event": self.event, "event_name": self.event_name,
            "event_path": str(event_path or ""), "graphql_url": self.graphql_url,
            "head_ref": self._pull_side("head"), "job": job, "ref": self.ref,
            "ref_name": self.ref_name, "ref_protected": False, "ref_type": self.ref_type,
            "repository": self.repository, "repository_owner": self.owner,
            "retention_days": "90", "run_attempt": "1", "run_id": self.run_id,
            "run_number": self.run_number, "secret_source": "Actions",
            "server_url": self.server_url, "sha": self.sha, "token": self.token,
            "triggering_actor": self.actor, "workflow": self.workflow,
            "workspace": str(workspace or self.workspace or ""),
        }

    def variables(self, *, workspace: Path, job: str, event_path: Path) -> dict[str, str]:
        """The GITHUB_* variables the runner sets for every step (GITHUB_TOKEN is not one)."""
        variables = {
            "GITHUB_ACTIONS": "true", "GITHUB_ACTOR": self.actor,
            "GITHUB_API_URL": self.api_url, "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(event_path), "GITHUB_GRAPHQL_URL": self.graphql_url,
            "GITHUB_JOB": job, "GITHUB_REF": self.ref, "GITHUB_REF_NAME": self.ref_name,
            "GITHUB_REF_PROTECTED": "false", "GITHUB_REF_TYPE": self.ref_type,
            "GITHUB_REPOSITORY": self.repository, "GITHUB_REPOSITORY_OWNER": self.owner,
            "GITHUB_RETENTION_DAYS": "90", "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_RUN_ID": self.run_id, "GITHUB_RUN_NUMBER": self.run_number,
            "GITHUB_SERVER_URL": self.server_url, "GITHUB_SHA": self.sha,
            "GITHUB_TRIGGERING_ACTOR": self.actor, "GITHUB_WORKFLOW": self.workflow,
            "GITHUB_WORKSPACE": str(workspace),
        }
        if self.event_name in ("pull_request", "pull_request_target"):
            variables["GITHUB_HEAD_REF"] = self._pull_side("head")
            variables["GITHUB_BASE_REF"] = self._pull_side("base")
        return variables


def _runner_os() -> str:
    system = platform.system()
    return {"Darwin": "macOS"}.get(system, system)


def _runner_arch() -> str:
    machine = platform.machine().lower()
    names = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64",
             "i386": "X86", "i686": "X86", "armv7l": "ARM"}
    return names.get(machine, machine.upper())


# --- expressions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluated:
    """An expression's value (plain JSON), its text as ``${{ }}`` inserts it, its truth."""

    value: Any
    text: str
    truthy: bool


class ExpressionEngine:
    """One Node process evaluating expressions with ``@actions/expressions``, started lazily."""

    def __init__(self, stderr_path: Path, node: str = "node") -> None:
        self._stderr_path = stderr_path
        self._node = node
        self._process: subprocess.Popen[str] | None = None
        self._stderr: TextIO | None = None

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None:
            if not EXPRESSIONS_LIBRARY.is_dir():
                raise HarnessError("@actions/expressions is missing: run npm ci in tests/node")
            self._stderr = self._stderr_path.open("w", encoding="utf-8")
            self._process = subprocess.Popen(
                [self._node, str(EXPRESSIONS_SCRIPT)], cwd=NODE_DIR, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8",
            )
        return self._process

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        *,
        status: str | None = None,
        condition: bool = False,
        workspace: Path | None = None,
    ) -> Evaluated:
        """Evaluate ``expression`` (no ``${{ }}``) over ``context``; ``status`` enables the
        status functions, ``condition`` applies the ``if:`` rule, ``workspace`` hashFiles."""
        request: dict[str, Any] = {"expression": expression, "context": context}
        if status is not None:
            request["status"] = status
        if condition:
            request["condition"] = True
        if workspace is not None:
            request["workspace"] = str(workspace)
        answer = self._ask(request)
        if "error" in answer:
            raise ExpressionError(f"{answer['error']} (in the expression: {expression})")
        return Evaluated(answer["value"], answer["text"], answer["truthy"])

    def _ask(self, request: Mapping[str, Any]) -> dict[str, Any]:
        process = self._started()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(request, default=str) + "\n")
            process.stdin.flush()
        except BrokenPipeError:
            pass  # reported below with what Node printed
        line = process.stdout.readline()
        if not line:
            if self._stderr is not None:
                self._stderr.flush()
            reason = self._stderr_path.read_text(encoding="utf-8")
            raise HarnessError(f"the expression evaluator stopped: {reason}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process is None:
            return
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
        self._process = None


def split_template(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into literal pieces (False) and the expressions inside ``${{ }}`` (True).

    A ``}}`` inside a string literal ('...', with '' for a quote) does not end an expression.
    """
    pieces: list[tuple[str, bool]] = []
    position = 0
    while (start := text.find("${{", position)) >= 0:
        end = _expression_end(text, start + 3)
        pieces += [(text[position:start], False), (text[start + 3:end].strip(), True)]
        position = end + 2
    pieces.append((text[position:], False))
    return [(piece, is_expression) for piece, is_expression in pieces if is_expression or piece]


def _expression_end(text: str, position: int) -> int:
    in_string = False
    for index in range(position, len(text) - 1):
        if text[index] == "'":
            in_string = not in_string
        elif not in_string and text.startswith("}}", index):
            return index
    raise ExpressionError(f"an expression is not closed with '}}}}': {text[position - 3:]}")


def _single_expression(text: str) -> str | None:
    """The expression when ``text`` is exactly one ``${{ }}`` (spaces around allowed)."""
    pieces = split_template(text.strip())
    if len(pieces) == 1 and pieces[0][1]:
        return pieces[0][0]
    return None


def _scalar_text(value: Any) -> str:
    """A YAML scalar as the runner reads it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# --- workflow commands and command files ------------------------------------------------------


class _Masker:
    """Secret values and ``::add-mask::`` values, replaced by ``***`` in the log."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str) -> None:
        if not value.strip():
            return
        self._values.add(value)
        self._values.update(line for line in value.splitlines() if line.strip())

    def mask(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, "***")
        return text

    def process(self, output: str) -> str:
        """A step's output as the log shows it: each ``::add-mask::`` line registers its
        value first, then every line is masked with what is registered so far."""
        lines = []
        for line in output.splitlines(keepends=True):
            command = _ADD_MASK.match(line.rstrip("\r\n"))
            if command:
                self.add(_unescape_data(command.group(1)))
            lines.append(self.mask(line))
        return "".join(lines)


def _unescape_data(data: str) -> str:
    return data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def parse_command_file(text: str) -> list[tuple[str, str]]:
    """The name/value pairs of a GITHUB_OUTPUT or GITHUB_ENV file: ``name=value`` lines and
    ``name<<DELIMITER`` ... ``DELIMITER`` blocks, with the runner's error messages."""
    lines = re.split(r"\r\n|\r|\n", text)
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            pairs.append(_named(line, line[:equals], line[equals + 1:]))
        elif heredoc >= 0:
            value, index = _heredoc(lines, index, line, line[heredoc + 2:])
            pairs.append(_named(line, line[:heredoc], value))
        else:
            raise CommandFileError(f"Invalid format '{line}'")
    return pairs


def _named(line: str, name: str, value: str) -> tuple[str, str]:
    if not name:
        raise CommandFileError(f"Invalid format '{line}'. Name must not be empty")
    return name, value


def _heredoc(lines: list[str], index: int, line: str, delimiter: str) -> tuple[str, int]:
    if not delimiter:
        raise CommandFileError(f"Invalid format '{line}'. Delimiter must not be empty")
    body: list[str] = []
    while index < len(lines):
        if lines[index] == delimiter:
            return "\n".join(body), index + 1
        body.append(lines[index])
        index += 1
    raise CommandFileError(f"Invalid value. Matching delimiter not found '{delimiter}'")


@dataclass
class _CommandFiles:
    """The fresh GITHUB_OUTPUT / ENV / PATH / STEP_SUMMARY / STATE files of one step."""

    paths: dict[str, Path]

    @classmethod
    def create(cls, temp: Path) -> _CommandFiles:
        folder = temp / "_runner_file_commands"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = uuid.uuid4().hex
        paths = {name: folder / f"{name.lower()}_{suffix}" for name in _COMMAND_FILES}
        for path in paths.values():
            path.write_text("", encoding="utf-8")
        return cls(paths)

    def variables(self) -> dict[str, str]:
        return {f"GITHUB_{name}": str(path) for name, path in self.paths.items()}

    def read(self, name: str) -> str:
        return self.paths[name].read_text(encoding="utf-8", errors="replace")


# --- the state of a job ----------------------------------------------------------------------


@dataclass
class _PostStep:
    name: str
    condition: str
    action: Callable[[], None]
    uses: str
    lines: list[str]


@dataclass
class _Job:
    """What the steps of one job share: folders, environment, masks, post steps, summary."""

    runner: Runner
    github: GitHubContext
    job_id: str
    workspace: Path
    home: Path
    temp: Path
    event_path: Path
    remote: Path | None
    actions: Mapping[str, Path]
    machine_env: dict[str, str]
    global_env: dict[str, str] = field(default_factory=dict)  # job env, then GITHUB_ENV
    exported: dict[str, str] = field(default_factory=dict)  # GITHUB_ENV writes
    path: list[str] = field(default_factory=list)  # GITHUB_PATH writes, newest first
    masker: _Masker = field(default_factory=_Masker)
    post: list[_PostStep] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    matrix: dict[str, Any] = field(default_factory=dict)
    strategy: dict[str, Any] = field(default_factory=dict)

    def github_context(self, **action: str) -> dict[str, Any]:
        return self.github.as_context(
            workspace=self.workspace, job=self.job_id, event_path=self.event_path, **action
        )

    def runner_context(self) -> dict[str, str]:
        return {
            "os": _runner_os(), "arch": _runner_arch(), "name": "latest-guard-harness",
            "environment": "github-hosted", "temp": str(self.temp),
            "tool_cache": str(self.runner.tool_cache),
        }

    def runner_variables(self) -> dict[str, str]:
        variables = self.github.variables(
            workspace=self.workspace, job=self.job_id, event_path=self.event_path
        )
        variables.update(
            CI="true", RUNNER_OS=_runner_os(), RUNNER_ARCH=_runner_arch(),
            RUNNER_NAME="latest-guard-harness", RUNNER_ENVIRONMENT="github-hosted",
            RUNNER_TEMP=str(self.temp), RUNNER_TOOL_CACHE=str(self.runner.tool_cache),
            RUNNER_WORKSPACE=str(self.workspace.parent),
        )
        return variables

    def export(self, name: str, value: str) -> None:
        self.global_env[name] = value
        self.exported[name] = value

    def add_path(self, entry: str) -> None:
        if entry in self.path:
            self.path.remove(entry)
        self.path.insert(0, entry)

    def add_summary(self, text: str) -> str:
        """Keep a step's summary; the error line GitHub logs when it is too large."""
        size = len(text.encode("utf-8"))
        if size > SUMMARY_LIMIT:
            return (f"##[error]$GITHUB_STEP_SUMMARY upload aborted, supports content up to a "
                    f"size of {SUMMARY_LIMIT // 1024}k, got {size // 1024}k.\n")
        if text:
            self.summary.append(self.masker.mask(text))
        return ""

    def absorb(self, files: _CommandFiles) -> tuple[dict[str, str], str]:
        """Apply a finished step's command files: (its outputs, lines for its log)."""
        outputs = dict(parse_command_file(files.read("OUTPUT")))
        for name, value in parse_command_file(files.read("ENV")):
            self.export(name, value)
        for line in files.read("PATH").splitlines():
            if line.strip():
                self.add_path(line.strip())
        return outputs, self.add_summary(files.read("STEP_SUMMARY"))

    def joined_log(self, steps: Iterable[StepResult]) -> str:
        parts = [f"##[group]{self.masker.mask(s.name)}\n##[endgroup]\n{s.log}"
                 for s in steps if s.outcome != "skipped"]
        return "".join(parts)


@dataclass
class _Frame:
    """One list of steps being run: a job's, or a composite action's."""

    job: _Job
    static: dict[str, Any]  # contexts fixed for the frame (github, runner, inputs, matrix...)
    env: dict[str, str]  # env of the step that called a composite action; {} for a job
    status: str  # success | failure | cancelled: what success() and failure() look at
    composite: bool
    action: dict[str, str] = field(default_factory=dict)  # GITHUB_ACTION_PATH and friends
    defaults: dict[str, str] = field(default_factory=dict)  # defaults.run of a job
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # the steps context
    results: list[StepResult] = field(default_factory=list)

    @property
    def engine(self) -> ExpressionEngine:
        return self.job.runner.engine

    def env_context(self, step_env: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**self.job.global_env, **self.env, **(step_env or {})}

    def contexts(self, step_env: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {**self.static, "env": self.env_context(step_env), "steps": self.steps,
                "job": {"status": self.status}}

    def interpolate(self, template: Any, contexts: Mapping[str, Any]) -> str:
        """A string with its ``${{ }}`` replaced by the values' text (a YAML scalar as is)."""
        if not isinstance(template, str):
            return _scalar_text(template)
        return "".join(
            self.engine.evaluate(piece, contexts, workspace=self.job.workspace).text
            if is_expression else piece
            for piece, is_expression in split_template(template)
        )

    def value(self, raw: Any, contexts: Mapping[str, Any]) -> Any:
        """A typed setting (continue-on-error, timeout-minutes): one ``${{ }}`` keeps the
        value's type, anything else is a string."""
        if not isinstance(raw, str):
            return raw
        expression = _single_expression(raw)
        if expression is None:
            return self.interpolate(raw, contexts)
        return self.engine.evaluate(expression, contexts, workspace=self.job.workspace).value

    def condition(self, raw: Any, contexts: Mapping[str, Any]) -> bool:
        """A step's ``if:``: a bare expression or one ``${{ }}``; ``success()`` by default."""
        if raw is None:
            expression = "success()"
        elif isinstance(raw, bool):
            expression = _scalar_text(raw)
        else:
            text = str(raw).strip()
            single = _single_expression(text)
            if single is not None:
                expression = single
            elif "${{" in text:  # mixed text: a string, true when not empty
                quoted = self.interpolate(text, contexts).replace("'", "''")
                expression = f"'{quoted}'"
            else:
                expression = text
        evaluated = self.engine.evaluate(
            expression, contexts, status=self.status, condition=True,
            workspace=self.job.workspace,
        )
        return evaluated.truthy


# --- steps -----------------------------------------------------------------------------------


@dataclass
class _Outcome:
    ok: bool
    log: str
    exit_code: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    children: list[StepResult] = field(default_factory=list)
    uses: str | None = None


def _run_steps(frame: _Frame, steps: Sequence[Mapping[str, Any]]) -> None:
    for spec in steps:
        frame.results.append(_run_step(frame, spec))


def _run_step(frame: _Frame, spec: Mapping[str, Any]) -> StepResult:
    name = _step_name(frame, spec)
    try:
        runs = frame.condition(spec.get("if"), frame.contexts())
    except ExpressionError as error:
        return _record(frame, spec, name, _Outcome(False, f"##[error]{error}\n"))
    if not runs:
        return _record_skipped(frame, spec, name)
    try:
        outcome = _execute(frame, spec)
    except ExpressionError as error:
        outcome = _Outcome(False, f"##[error]{error}\n", uses=spec.get("uses"))
    return _record(frame, spec, name, outcome)


def _step_name(frame: _Frame, spec: Mapping[str, Any]) -> str:
    if "name" in spec:
        with contextlib.suppress(ExpressionError):
            return frame.interpolate(spec["name"], frame.contexts())
        return str(spec["name"])
    if "run" in spec:
        lines = str(spec["run"]).strip().splitlines()
        return f"Run {lines[0] if lines else ''}"
    return f"Run {spec.get('uses', '')}"


def _execute(frame: _Frame, spec: Mapping[str, Any]) -> _Outcome:
    contexts = frame.contexts()
    step_env = {str(k): frame.interpolate(v, contexts) for k, v in (spec.get("env") or {}).items()}
    if "run" in spec:
        return _run_script(frame, spec, step_env)
    if "uses" in spec:
        return _run_uses(frame, spec, step_env)
    raise HarnessError(f"a step needs `run` or `uses`: {dict(spec)}")


def _record_skipped(frame: _Frame, spec: Mapping[str, Any], name: str) -> StepResult:
    step_id = _step_id(spec)
    if step_id:
        frame.steps[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
    return StepResult(step_id, name, "skipped", "skipped", {}, None, "", spec.get("uses"))


def _step_id(spec: Mapping[str, Any]) -> str | None:
    return str(spec["id"]) if spec.get("id") is not None else None


def _continue_on_error(frame: _Frame, spec: Mapping[str, Any]) -> bool:
    raw = spec.get("continue-on-error", False)
    try:
        value = frame.value(raw, frame.contexts())
    except ExpressionError:
        return False
    return value is True or str(value).lower() == "true"


def _record(frame: _Frame, spec: Mapping[str, Any], name: str, outcome: _Outcome) -> StepResult:
    result = "success" if outcome.ok else "failure"
    conclusion = "success" if outcome.ok or _continue_on_error(frame, spec) else "failure"
    if conclusion == "failure":
        frame.status = "failure"
    step_id = _step_id(spec)
    if step_id:
        frame.steps[step_id] = {
            "outputs": dict(outcome.outputs), "outcome": result, "conclusion": conclusion,
        }
    return StepResult(step_id, name, result, conclusion, dict(outcome.outputs),
                      outcome.exit_code, outcome.log, outcome.uses, outcome.children)


def _timeout(frame: _Frame, spec: Mapping[str, Any]) -> float:
    raw = spec.get("timeout-minutes")
    if raw is None:
        return frame.job.runner.step_timeout
    return float(frame.value(raw, frame.contexts())) * 60


# --- run steps -------------------------------------------------------------------------------


def _run_script(frame: _Frame, spec: Mapping[str, Any], step_env: dict[str, str]) -> _Outcome:
    job = frame.job
    shell = spec.get("shell") or frame.defaults.get("shell")
    if frame.composite and not shell:
        raise HarnessError(f"a composite action's run step needs `shell`: {dict(spec)}")
    contexts = frame.contexts(step_env)
    script = frame.interpolate(spec["run"], contexts)
    workdir = _working_directory(frame, spec, contexts)
    files = _CommandFiles.create(job.temp)
    env = _process_env(frame, step_env, files, _step_id(spec))
    argv, suffix = _shell_command(shell, env)
    script_path = job.temp / f"{uuid.uuid4()}{suffix}"
    script_path.write_text(script, encoding="utf-8")
    argv = [part.replace("{0}", str(script_path)) for part in argv]
    if not workdir.is_dir():
        return _Outcome(False, f"##[error]An error occurred trying to start process "
                               f"'{argv[0]}' with working directory '{workdir}'. "
                               "No such file or directory\n")
    timeout = _timeout(frame, spec)
    exit_code, output = _spawn(argv, workdir, env, timeout)
    log = job.masker.process(output)
    if output and not output.endswith("\n"):
        log += "\n"
    log += _exit_line(exit_code, timeout)
    try:
        outputs, notes = job.absorb(files)
    except CommandFileError as error:
        return _Outcome(False, log + f"##[error]{error}\n", exit_code)
    return _Outcome(exit_code == 0, log + notes, exit_code, outputs)


def _exit_line(exit_code: int | None, timeout: float) -> str:
    if exit_code is None:
        return f"##[error]The step has timed out after {timeout / 60:g} minutes.\n"
    if exit_code != 0:
        return f"##[error]Process completed with exit code {exit_code}.\n"
    return ""


def _working_directory(frame: _Frame, spec: Mapping[str, Any], contexts: Mapping[str, Any]) -> Path:
    raw = spec.get("working-directory", frame.defaults.get("working-directory"))
    if raw is None:
        return frame.job.workspace
    return frame.job.workspace / frame.interpolate(raw, contexts)


def _process_env(
    frame: _Frame, step_env: Mapping[str, str], files: _CommandFiles | None, step_id: str | None
) -> dict[str, str]:
    """A step's environment: the machine's, the env context, then what the runner sets
    (GITHUB_* and RUNNER_* cannot be overridden), with GITHUB_PATH's entries first in PATH."""
    job = frame.job
    env = {**job.machine_env, **frame.env_context(step_env)}
    env.update(job.runner_variables())
    env.update(frame.action)
    env["GITHUB_ACTION"] = step_id or f"__run_{len(frame.results) + 1}"
    if files is not None:
        env.update(files.variables())
    env["PATH"] = os.pathsep.join([*job.path, env.get("PATH", os.defpath)])
    return env


def _which(command: str, env: Mapping[str, str]) -> str | None:
    return shutil.which(command, path=env.get("PATH"))


def _shell_command(shell: str | None, env: Mapping[str, str]) -> tuple[list[str], str]:
    """The command line (with ``{0}``) and script suffix of a ``shell:`` value."""
    if shell is None:  # a job step with no shell: bash -e {0}, or sh where bash is missing
        template = "bash -e {0}" if _which("bash", env) else "sh -e {0}"
    elif shell in _SHELLS:
        template = _SHELLS[shell]
    elif "{0}" in shell:
        template = shell
    else:
        raise HarnessError(f"shell {shell!r} is neither one GitHub knows nor a template with {{0}}")
    argv = shlex.split(template)
    executable = _which(argv[0], env)
    if executable is None:
        raise HarnessError(f"the shell {argv[0]!r} is not on the step's PATH")
    return [executable, *argv[1:]], _SHELL_SUFFIXES.get(Path(argv[0]).name, "")


def _spawn(
    argv: list[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[int | None, str]:
    """Run a step's process (its own session, so a timeout ends its children too)."""
    with subprocess.Popen(
        argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    ) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            return None, output.decode("utf-8", errors="replace")
    return process.returncode, output.decode("utf-8", errors="replace")


# --- uses steps ------------------------------------------------------------------------------


Handler = Callable[["UseCall"], Mapping[str, str] | None]


@dataclass
class UseCall:
    """What a ``uses:`` handler gets: the step's inputs and the job it runs in.

    A handler returns the step's outputs (or None), logs with ``info``/``warning``, fails the
    step by raising ``StepFailed``, and may register a post step with ``on_post``.
    """

    uses: str
    inputs: dict[str, str]
    env: dict[str, str]  # the step's process environment
    runner: Runner
    lines: list[str]
    _job: _Job

    @property
    def github(self) -> GitHubContext:
        return self._job.github

    @property
    def workspace(self) -> Path:
        return self._job.workspace

    @property
    def home(self) -> Path:
        return self._job.home

    @property
    def temp(self) -> Path:
        return self._job.temp

    @property
    def remote(self) -> Path | None:
        return self._job.remote

    def input(self, name: str, default: str = "") -> str:
        """An input (names are case-insensitive); ``default`` when missing or empty."""
        for key, value in self.inputs.items():
            if key.lower() == name.lower() and value != "":
                return value
        return default

    def flag(self, name: str, default: bool) -> bool:
        return self.input(name, _scalar_text(default)).strip().lower() == "true"

    def input_lines(self, name: str) -> list[str]:
        return [line.strip() for line in self.input(name).splitlines() if line.strip()]

    def info(self, text: str) -> None:
        self.lines.append(text)

    def warning(self, text: str) -> None:
        self.lines.append(f"##[warning]{text}")

    def set_env(self, name: str, value: str) -> None:
        self._job.export(name, value)

    def add_path(self, entry: str) -> None:
        self._job.add_path(entry)

    def add_mask(self, value: str) -> None:
        self._job.masker.add(value)

    def on_post(self, action: Callable[[], None], condition: str = "success()") -> None:
        """Run ``action`` after the job's (or run_action's) last step, when ``condition``
        holds then (post steps run in reverse order, as GitHub runs them)."""
        self._job.post.append(_PostStep(f"Post {self.uses}", condition, action, self.uses,
                                        self.lines))

    def expand(self, path: str) -> Path:
        """``~`` to the runner's HOME, a relative path to the workspace."""
        if path == "~" or path.startswith("~/"):
            return self.home / path[2:]
        return self.workspace / path


def _run_uses(frame: _Frame, spec: Mapping[str, Any], step_env: dict[str, str]) -> _Outcome:
    uses = str(spec["uses"])
    contexts = frame.contexts(step_env)
    inputs = {str(k): frame.interpolate(v, contexts) for k, v in (spec.get("with") or {}).items()}
    action_dir = _local_action(frame.job, uses)
    if action_dir is not None:
        return _run_nested_action(frame, uses, action_dir, inputs, step_env)
    name = uses.partition("@")[0]
    handler = frame.job.runner.handlers.get(name)
    if handler is None:
        known = sorted(frame.job.runner.handlers)
        raise HarnessError(
            f"no emulation for `uses: {uses}`: map it to a local folder with actions=, or "
            f"register a handler in Runner.handlers (emulated: {known})"
        )
    return _run_handler(frame, uses, handler, inputs, step_env)


def _local_action(job: _Job, uses: str) -> Path | None:
    """The folder of a local action (``./path``) or of one mapped in ``actions``."""
    if uses.startswith("docker://"):
        raise HarnessError(f"Docker actions are not emulated: {uses}")
    if uses == "." or uses.startswith("./"):
        return job.workspace / uses
    name = uses.partition("@")[0]
    parts = name.split("/")
    folder = job.actions.get("/".join(parts[:2]))
    if folder is None:
        return None
    return Path(folder).joinpath(*parts[2:])


def _run_nested_action(
    frame: _Frame, uses: str, action_dir: Path, inputs: dict[str, str], step_env: dict[str, str]
) -> _Outcome:
    name, _, ref = uses.partition("@")
    repository = "" if uses.startswith(".") else "/".join(name.split("/")[:2])
    result = _run_composite(
        frame.job, action_dir, inputs, caller_env={**frame.env, **step_env},
        status=frame.status, repository=repository, ref=ref,
    )
    failed = next((s for s in result.steps if s.conclusion == "failure"), None)
    return _Outcome(
        result.status == "success", result.notes + frame.job.joined_log(result.steps),
        failed.exit_code if failed else None, result.outputs, result.steps, uses,
    )


def _run_handler(
    frame: _Frame, uses: str, handler: Handler, inputs: dict[str, str], step_env: dict[str, str]
) -> _Outcome:
    lines: list[str] = []
    env = _process_env(frame, step_env, None, None)
    call = UseCall(uses, inputs, env, frame.job.runner, lines, frame.job)
    try:
        outputs = dict(handler(call) or {})
        ok = True
    except StepFailed as failure:
        lines.append(f"##[error]{failure}")
        outputs, ok = {}, False
    log = frame.job.masker.process("".join(f"{line}\n" for line in lines))
    return _Outcome(ok, log, None, outputs, uses=uses)


# --- composite actions -----------------------------------------------------------------------


@dataclass
class _CompositeResult:
    steps: list[StepResult]
    outputs: dict[str, str]
    status: str
    notes: str  # warnings and errors of the action itself (inputs, outputs)


def _load_action(action_dir: Path) -> dict[str, Any]:
    for name in ("action.yml", "action.yaml"):
        path = action_dir / name
        if path.is_file():
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
            if not isinstance(loaded, dict):
                raise HarnessError(f"{path} is not an action's metadata")
            return loaded
    raise HarnessError(f"no action.yml in {action_dir}")


def _run_composite(
    job: _Job,
    action_dir: Path,
    given: Mapping[str, str],
    *,
    caller_env: Mapping[str, str],
    status: str,
    repository: str = "",
    ref: str = "",
) -> _CompositeResult:
    metadata = _load_action(action_dir)
    runs = metadata.get("runs") or {}
    if runs.get("using") != "composite":
        raise HarnessError(f"{action_dir}: only composite actions run here, not "
                           f"{runs.get('using')!r}")
    action_path = str(action_dir.resolve())
    github = job.github_context(action_path=action_path, action_repository=repository,
                                action_ref=ref)
    static = {"github": github, "runner": job.runner_context(), "strategy": job.strategy,
              "matrix": job.matrix}
    action = {"GITHUB_ACTION_PATH": action_path, "GITHUB_ACTION_REPOSITORY": repository,
              "GITHUB_ACTION_REF": ref}
    frame = _Frame(job, static, dict(caller_env), status, True, action)
    inputs, notes = _action_inputs(frame, metadata.get("inputs") or {}, given)
    frame.static["inputs"] = inputs
    _run_steps(frame, runs.get("steps") or [])
    outputs, errors = _action_outputs(frame, metadata.get("outputs") or {})
    if errors:
        frame.status = "failure"
    return _CompositeResult(frame.results, outputs, frame.status, job.masker.mask(notes + errors))


def _action_inputs(
    frame: _Frame, declared: Mapping[str, Any], given: Mapping[str, str]
) -> tuple[dict[str, str], str]:
    """The ``inputs`` context: given values, else the (evaluated) defaults; and a warning
    for inputs the action does not declare, as GitHub logs it."""
    lowered = {name.lower(): _scalar_text(value) for name, value in given.items()}
    contexts = {key: frame.static[key] for key in ("github", "runner", "strategy", "matrix")}
    contexts["job"] = {"status": frame.status}
    inputs: dict[str, str] = {}
    for name, spec in declared.items():
        if str(name).lower() in lowered:
            inputs[str(name)] = lowered[str(name).lower()]
        else:
            default = (spec or {}).get("default", "")
            inputs[str(name)] = frame.interpolate(default, contexts)
    unexpected = sorted(set(lowered) - {str(n).lower() for n in declared})
    note = ""
    if unexpected:
        valid = ", ".join(f"'{n}'" for n in declared)
        names = ", ".join(f"'{n}'" for n in unexpected)
        note = f"##[warning]Unexpected input(s) {names}, valid inputs are [{valid}]\n"
    return inputs, note


def _action_outputs(frame: _Frame, declared: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    outputs: dict[str, str] = {}
    errors = ""
    contexts = frame.contexts()
    for name, spec in declared.items():
        try:
            outputs[str(name)] = frame.interpolate((spec or {}).get("value", ""), contexts)
        except ExpressionError as error:
            errors += f"##[error]output {name}: {error}\n"
    return outputs, errors


def _run_post_steps(job: _Job, status: str) -> tuple[list[StepResult], str]:
    """The post steps, last registered first; returns them and the status after them."""
    results = []
    for post in reversed(job.post):
        contexts = {"github": job.github_context(), "runner": job.runner_context(),
                    "env": dict(job.global_env), "job": {"status": status}}
        runs = job.runner.engine.evaluate(post.condition, contexts, status=status,
                                          condition=True).truthy
        if not runs:
            results.append(StepResult(None, post.name, "skipped", "skipped", {}, None, "",
                                      post.uses))
            continue
        start = len(post.lines)
        ok = True
        try:
            post.action()
        except StepFailed as failure:
            post.lines.append(f"##[error]{failure}")
            ok, status = False, "failure"
        log = job.masker.process("".join(f"{line}\n" for line in post.lines[start:]))
        outcome = "success" if ok else "failure"
        results.append(StepResult(None, post.name, outcome, outcome, {}, None, log, post.uses))
    return results, status


# --- jobs ------------------------------------------------------------------------------------


def matrix_combinations(matrix: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The combinations of ``strategy.matrix``: the product of its lists, less ``exclude``,
    then ``include`` merged in as GitHub documents (one empty combination without a matrix)."""
    if not matrix:
        return [{}]
    if isinstance(matrix, str):
        raise HarnessError(f"a matrix from an expression is not emulated: {matrix}")
    keys = [key for key in matrix if key not in ("include", "exclude")]
    combinations = [dict(zip(keys, values, strict=True))
                    for values in product(*(matrix[key] for key in keys))] if keys else []
    for rule in matrix.get("exclude") or []:
        combinations = [c for c in combinations
                        if not all(c.get(k) == v for k, v in rule.items())]
    extra: list[dict[str, Any]] = []
    for entry in matrix.get("include") or []:
        matched = [c for c in combinations
                   if all(c[k] == v for k, v in entry.items() if k in keys)]
        for combination in matched:
            combination.update({k: v for k, v in entry.items() if k not in keys})
        if not matched:
            extra.append(dict(entry))
    return combinations + extra or [{}]


def _load_workflow(workflow: str | Path) -> dict[str, Any]:
    text = workflow.read_text(encoding="utf-8") if isinstance(workflow, Path) else workflow
    document = yaml.safe_load(text)
    if not isinstance(document, dict) or not isinstance(document.get("jobs"), dict):
        raise HarnessError("not a workflow: no `jobs`")
    return document


def _refuse_unsupported(job_id: str, spec: Mapping[str, Any]) -> None:
    for key in ("uses", "services", "container"):
        if key in spec:
            raise HarnessError(f"job {job_id}: `{key}` is not emulated")


def _run_defaults(document: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, str]:
    defaults: dict[str, str] = {}
    for source in (document, spec):
        for key, value in ((source.get("defaults") or {}).get("run") or {}).items():
            defaults[str(key)] = _scalar_text(value)
    return defaults


# --- the runner ------------------------------------------------------------------------------


class Runner:
    """Runs composite actions and workflow jobs under ``root`` (a scratch folder).

    ``root`` holds the tool cache, the actions/cache store, the artifacts, and one folder a
    run (its HOME, RUNNER_TEMP and, for jobs, workspace); a second Runner on the same root
    shares the cache store and artifacts. ``handlers`` maps ``owner/repo[/path]`` to the
    function emulating that action; add to it to emulate more.
    """

    def __init__(self, root: Path, *, step_timeout: float = 300.0, node: str = "node") -> None:
        self.root = Path(root)
        self.tool_cache = self.root / "tool-cache"
        self.artifacts = self.root / "artifacts"
        self.runs = self.root / "runs"
        for folder in (self.tool_cache, self.artifacts, self.runs):
            folder.mkdir(parents=True, exist_ok=True)
        self.cache = CacheStore(self.root / "cache")
        self.step_timeout = step_timeout
        self.handlers: dict[str, Handler] = dict(BUILTIN_HANDLERS)
        self.engine = ExpressionEngine(self.root / f"expressions-{uuid.uuid4().hex[:8]}.log", node)

    def __enter__(self) -> Runner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the Node process (files stay under root)."""
        self.engine.close()

    def evaluate(self, expression: str, context: Mapping[str, Any]) -> Any:
        """One expression (without ``${{ }}``) over plain JSON contexts, as GitHub would."""
        return self.engine.evaluate(expression, context).value

    def run_action(
        self,
        action_dir: Path,
        inputs: Mapping[str, str] | None = None,
        *,
        workspace: Path | None = None,
        github: GitHubContext | None = None,
        env: Mapping[str, str] | None = None,
        job_status: str = "success",
        remote: Path | None = None,
        actions: Mapping[str, Path] | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> ActionRun:
        """Run the composite action in ``action_dir`` as one step of a job whose ``env`` is
        ``env`` (env context and process environment) and whose status so far is
        ``job_status``; then the post steps its actions registered (actions/cache's save)."""
        github = github or GitHubContext()
        folder = workspace or github.workspace
        if folder is None:
            raise HarnessError("run_action needs a workspace (or github.workspace)")
        job = self._new_job(github, "test", Path(folder), remote, actions, secrets, {})
        job.global_env = dict(env or {})
        result = _run_composite(job, Path(action_dir), dict(inputs or {}), caller_env={},
                                status=job_status)
        post, status = _run_post_steps(job, result.status)
        log = result.notes + job.joined_log(result.steps) + job.joined_log(post)
        return ActionRun(result.steps, result.outputs, status, log, "".join(job.summary),
                         dict(job.exported), list(job.path), post, job.home)

    def run_job(
        self,
        workflow: str | Path,
        job: str,
        *,
        github: GitHubContext,
        remote: Path | None = None,
        actions: Mapping[str, Path] | None = None,
        matrix: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> list[JobRun]:
        """Run job ``job`` of ``workflow`` (YAML text, or a Path to a file) once per matrix
        combination, each on a fresh workspace. ``matrix`` replaces the job's
        ``strategy.matrix``; ``env`` is added to the machine's environment (not to the env
        context); ``secrets`` and ``variables`` fill the secrets and vars contexts."""
        document = _load_workflow(workflow)
        spec = document["jobs"].get(job)
        if not isinstance(spec, dict):
            raise HarnessError(f"no job {job!r} in the workflow")
        _refuse_unsupported(job, spec)
        chosen = matrix if matrix is not None else (spec.get("strategy") or {}).get("matrix")
        combinations = matrix_combinations(chosen)
        options = _JobOptions(github, remote, actions or {}, dict(env or {}),
                              dict(secrets or {}), dict(variables or {}))
        return [self._run_combination(document, job, combination, index, len(combinations),
                                      options)
                for index, combination in enumerate(combinations)]

    # -- internals --

    def _new_job(
        self,
        github: GitHubContext,
        job_id: str,
        workspace: Path | None,
        remote: Path | None,
        actions: Mapping[str, Path] | None,
        secrets: Mapping[str, str] | None,
        machine_env: Mapping[str, str],
    ) -> _Job:
        run = Path(tempfile.mkdtemp(prefix=f"{job_id}-", dir=self.runs))
        home, temp = run / "home", run / "temp"
        name = github.repository.rsplit("/", 1)[-1]
        workspace = workspace or run / "work" / name / name
        event_path = temp / "_github_workflow" / "event.json"
        for folder in (home, temp, workspace, event_path.parent):
            folder.mkdir(parents=True, exist_ok=True)
        event_path.write_text(json.dumps(github.event), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN_PREFIXES)}
        env.update(HOME=str(home), **machine_env)
        job = _Job(self, github, job_id, workspace, home, temp, event_path, remote,
                   dict(actions or {}), env)
        for secret in (github.token, *(secrets or {}).values()):
            job.masker.add(secret)
        return job

    def _run_combination(
        self,
        document: Mapping[str, Any],
        job_id: str,
        combination: dict[str, Any],
        index: int,
        total: int,
        options: _JobOptions,
    ) -> JobRun:
        spec = document["jobs"][job_id]
        job = self._new_job(options.github, job_id, None, options.remote, options.actions,
                            options.secrets, options.env)
        job.matrix = combination
        job.strategy = {"fail-fast": True, "job-index": index, "job-total": total,
                        "max-parallel": total}
        static = {
            "github": job.github_context(), "runner": job.runner_context(),
            "secrets": {"GITHUB_TOKEN": options.github.token, **options.secrets},
            "vars": options.variables, "matrix": job.matrix, "strategy": job.strategy,
            "needs": {}, "inputs": options.github.event.get("inputs") or {},
        }
        frame = _Frame(job, static, {}, "success", False, defaults=_run_defaults(document, spec))
        name = frame.interpolate(spec.get("name", job_id), _job_level(static))
        permissions = spec.get("permissions", document.get("permissions"))
        if not frame.condition(spec.get("if"), _job_level(static)):
            return JobRun(job_id, name, combination, "skipped", [], {}, "", "", {}, permissions,
                          job.workspace, job.home)
        job.global_env = _job_env(frame, document, spec, static)
        _run_steps(frame, spec.get("steps") or [])
        post, status = _run_post_steps(job, frame.status)
        frame.status = status
        outputs = {str(k): frame.interpolate(v, frame.contexts())
                   for k, v in (spec.get("outputs") or {}).items()}
        steps = frame.results + post
        return JobRun(job_id, name, combination, status, steps, outputs, job.joined_log(steps),
                      "".join(job.summary), dict(job.exported), permissions, job.workspace,
                      job.home)


@dataclass(frozen=True)
class _JobOptions:
    github: GitHubContext
    remote: Path | None
    actions: Mapping[str, Path]
    env: dict[str, str]
    secrets: dict[str, str]
    variables: dict[str, str]


def _job_level(static: Mapping[str, Any]) -> dict[str, Any]:
    """The contexts a job's ``name``, ``if`` and ``env`` see (no steps, no env yet)."""
    keys = ("github", "needs", "strategy", "matrix", "vars", "inputs", "secrets")
    return {key: static[key] for key in keys}


def _job_env(
    frame: _Frame, document: Mapping[str, Any], spec: Mapping[str, Any], static: Mapping[str, Any]
) -> dict[str, str]:
    contexts = _job_level(static)
    env = {str(k): frame.interpolate(v, contexts) for k, v in (document.get("env") or {}).items()}
    contexts["env"] = dict(env)
    env.update({str(k): frame.interpolate(v, contexts) for k, v in (spec.get("env") or {}).items()})
    return env


# --- git: the stand-in for github.com ---------------------------------------------------------

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "GitHub", "GIT_AUTHOR_EMAIL": "noreply@github.com",
                "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in ``repo`` (the machine's git configuration ignored); its stripped stdout."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    clean.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, **(env or {}))
    done = subprocess.run(["git", *args], cwd=repo, env=clean, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise HarnessError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
    return done.stdout.strip()


def init_repo(path: Path, branch: str = "main") -> Path:
    """A new repository at ``path`` on ``branch`` (no commit yet)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--initial-branch", branch)
    return path


def commit_files(repo: Path, files: Mapping[str, str], message: str = "change") -> str:
    """Write ``files`` (path: text) in ``repo``, commit everything; the new commit's SHA."""
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "--quiet", "--allow-empty", "-m", message,
        env=GIT_IDENTITY)
    return git(repo, "rev-parse", "HEAD")


def make_remote(source: Path, remote: Path) -> Path:
    """A bare copy of ``source``'s branches and tags at ``remote``, serving any commit by SHA
    as GitHub does; actions/checkout fetches from it (file:// so shallow fetches are real)."""
    remote.parent.mkdir(parents=True, exist_ok=True)
    git(remote.parent, "clone", "--bare", "--quiet", "--no-local", str(source), str(remote))
    git(remote, "config", "uploadpack.allowAnySHA1InWant", "true")
    git(remote, "config", "uploadpack.allowFilter", "true")
    return remote


def push_branches(source: Path, remote: Path) -> None:
    """Send ``source``'s branches and tags to the remote (force: a pull request's new head)."""
    git(source, "push", "--quiet", "--force", str(remote), "refs/heads/*:refs/heads/*",
        "refs/tags/*:refs/tags/*")


def make_pull_request(
    remote: Path, *, number: int, base_branch: str, head_branch: str
) -> PullRequestRefs:
    """Pull request ``number`` on the remote: ``refs/pull/N/head`` at the head branch and
    ``refs/pull/N/merge`` a new commit merging it into the base tip (parents: base, head;
    message "Merge HEAD into BASE"), as GitHub makes them; no work tree is needed."""
    base = git(remote, "rev-parse", f"refs/heads/{base_branch}^{{commit}}")
    head = git(remote, "rev-parse", f"refs/heads/{head_branch}^{{commit}}")
    try:
        tree = git(remote, "merge-tree", "--write-tree", base, head).splitlines()[0]
    except HarnessError as error:
        raise HarnessError(f"pull request {number} does not merge cleanly: {error}") from error
    merge = git(remote, "commit-tree", tree, "-p", base, "-p", head,
                "-m", f"Merge {head} into {base}", env=GIT_IDENTITY)
    git(remote, "update-ref", f"refs/pull/{number}/head", head)
    git(remote, "update-ref", f"refs/pull/{number}/merge", merge)
    return PullRequestRefs(number, base_branch, head_branch, base, head, merge)


# --- actions/checkout ------------------------------------------------------------------------


@dataclass
class _CheckoutGit:
    """git in the checkout folder, each command logged as actions/checkout logs it."""

    call: UseCall
    folder: Path

    def run(self, *args: str, check: bool = True) -> tuple[int, str]:
        self.call.info(f"[command]git {' '.join(args)}")
        env = {**self.call.env, "GIT_TERMINAL_PROMPT": "0"}
        done = subprocess.run(["git", *args], cwd=self.folder, env=env, capture_output=True,
                              text=True, check=False)
        printed = (done.stdout + done.stderr).rstrip()
        if printed:
            self.call.info(printed)
        if check and done.returncode:
            raise StepFailed(f"The process 'git' failed with exit code {done.returncode}")
        return done.returncode, done.stdout.strip()

    def succeeds(self, *args: str) -> bool:
        return self.run(*args, check=False)[0] == 0


def _checkout_target(ref_input: str, github: GitHubContext) -> tuple[str, str]:
    """(ref, commit) to check out: the event's ref and sha, a SHA alone, or a ref alone."""
    if not ref_input:
        ref = github.ref
        if github.sha and ref and not ref.startswith("refs/"):
            ref = f"refs/heads/{ref}"
        return ref, github.sha
    if _SHA.match(ref_input):
        return "", ref_input
    return ref_input, ""


def _ref_kind(ref: str) -> tuple[str, str]:
    """("heads" | "pull" | "tags" | "other" | "short", the name after the prefix)."""
    upper = ref.upper()
    for kind in ("heads", "pull", "tags"):
        prefix = f"refs/{kind}/"
        if upper.startswith(prefix.upper()):
            return kind, ref[len(prefix):]
    return ("other" if upper.startswith("REFS/") else "short"), ref


def _refspecs(ref: str, commit: str) -> list[str]:
    """What to fetch for one ref and/or commit (the depth > 0 fetch)."""
    kind, name = _ref_kind(ref)
    destination = {"heads": f"refs/remotes/origin/{name}", "pull": f"refs/remotes/pull/{name}",
                   "tags": ref, "other": ref}
    if commit:
        if not ref or kind in ("short", "other"):
            return [commit]
        return [f"+{commit}:{destination[kind]}"]
    if kind == "short":
        return [f"+refs/heads/{ref}*:refs/remotes/origin/{ref}*",
                f"+refs/tags/{ref}*:refs/tags/{ref}*"]
    return [f"+{ref}:{destination[kind]}"]


def _all_history_refspecs(ref: str, commit: str) -> list[str]:
    specs = ["+refs/heads/*:refs/remotes/origin/*", TAGS_REFSPEC]
    kind, name = _ref_kind(ref)
    if kind == "pull":
        specs.append(f"+{commit or ref}:refs/remotes/pull/{name}")
    return specs


def _fetch(git_cli: _CheckoutGit, specs: list[str], depth: int, tags: bool) -> None:
    args = ["-c", "protocol.version=2", "fetch"]
    if TAGS_REFSPEC not in specs and not tags:
        args.append("--no-tags")
    args += ["--prune", "--no-recurse-submodules"]
    if depth > 0:
        args.append(f"--depth={depth}")
    elif (git_cli.folder / ".git" / "shallow").exists():
        args.append("--unshallow")
    git_cli.run(*args, "origin", *specs)


def _fetched_as_expected(git_cli: _CheckoutGit, ref: str, commit: str) -> bool:
    """After a full-history fetch: is the ref at the event's commit (else fetch the commit)?"""
    if not commit:
        return True
    if not ref:
        return git_cli.succeeds("rev-parse", "--verify", "--quiet", f"{commit}^{{object}}")
    kind, name = _ref_kind(ref)
    local = {"heads": f"refs/remotes/origin/{name}", "tags": ref}.get(kind)
    if local is None:
        return True
    found = git_cli.run("rev-parse", "--verify", "--quiet", local, check=False)
    return found[0] == 0 and found[1] == commit


def _checkout_point(git_cli: _CheckoutGit, ref: str, commit: str) -> tuple[str, str | None]:
    """(what to check out, the start point of a local branch or None for a detached HEAD)."""
    if not ref:
        return commit, None
    kind, name = _ref_kind(ref)
    if kind == "heads":
        return name, f"refs/remotes/origin/{name}"
    if kind == "pull":
        return f"refs/remotes/pull/{name}", None
    if kind in ("tags", "other"):
        return ref, None
    if git_cli.succeeds("rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{ref}"):
        return ref, f"refs/remotes/origin/{ref}"
    if git_cli.succeeds("rev-parse", "--verify", "--quiet", f"refs/tags/{ref}"):
        return f"refs/tags/{ref}", None
    raise StepFailed(f"A branch or tag with the name '{ref}' could not be found")


def _prepare_folder(git_cli: _CheckoutGit, url: str) -> None:
    """A repository whose origin is the remote: reused when it is one, else made afresh."""
    folder = git_cli.folder
    if (folder / ".git").is_dir():
        found = git_cli.run("config", "--get", "remote.origin.url", check=False)
        if found == (0, url):
            git_cli.run("clean", "-ffdx")
            git_cli.run("reset", "--hard", "HEAD", check=False)
            return
    if folder.exists() and any(folder.iterdir()):
        git_cli.call.info(f"Deleting the contents of '{folder}'")
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    git_cli.run("init", "--quiet", str(folder))
    git_cli.run("remote", "add", "origin", url)


def _auth_key(call: UseCall) -> str:
    parts = urlsplit(call.github.server_url)
    return f"http.{parts.scheme}://{parts.netloc}/.extraheader"


def _configure_auth(git_cli: _CheckoutGit, token: str) -> None:
    credential = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    git_cli.call.add_mask(credential)
    git_cli.run("config", "--local", _auth_key(git_cli.call),
                f"AUTHORIZATION: basic {credential}")


def _refuse_checkout_inputs(call: UseCall) -> None:
    repository = call.input("repository", call.github.repository)
    if repository.lower() != call.github.repository.lower():
        raise HarnessError(f"actions/checkout of another repository is not emulated: {repository}")
    for name in ("sparse-checkout", "filter"):
        if call.input(name):
            raise HarnessError(f"actions/checkout `{name}` is not emulated")
    if call.flag("lfs", False) or call.input("submodules", "false").lower() != "false":
        raise HarnessError("actions/checkout lfs and submodules are not emulated")


def _checkout(call: UseCall) -> dict[str, str]:
    """actions/checkout v4: init, auth header, fetch (shallow by default), then a detached
    HEAD at the pull request's merge commit (or a local branch for a branch ref)."""
    if call.remote is None:
        raise HarnessError("actions/checkout needs the remote: pass remote= to the Runner call")
    _refuse_checkout_inputs(call)
    folder = call.workspace / call.input("path", ".")
    if not folder.resolve().is_relative_to(call.workspace.resolve()):
        raise StepFailed(f"Repository path '{folder}' is not under '{call.workspace}'")
    ref, commit = _checkout_target(call.input("ref"), call.github)
    depth, tags = int(call.input("fetch-depth", "1")), call.flag("fetch-tags", False)
    git_cli = _CheckoutGit(call, folder)
    folder.mkdir(parents=True, exist_ok=True)
    _prepare_folder(git_cli, f"file://{Path(call.remote).resolve()}")
    git_cli.run("config", "--local", "gc.auto", "0")
    _configure_auth(git_cli, call.input("token", call.github.token))
    if depth <= 0:
        _fetch(git_cli, _all_history_refspecs(ref, commit), depth, tags)
        if not _fetched_as_expected(git_cli, ref, commit):
            _fetch(git_cli, _refspecs(ref, commit), depth, tags)
    else:
        _fetch(git_cli, _refspecs(ref, commit), depth, tags)
    target, start = _checkout_point(git_cli, ref, commit)
    if start:
        git_cli.run("checkout", "--progress", "--force", "-B", target, start)
    else:
        git_cli.run("checkout", "--progress", "--force", target)
    head = git_cli.run("log", "-1", "--format=%H")[1]
    if not call.flag("persist-credentials", True):
        git_cli.run("config", "--local", "--unset-all", _auth_key(call))
    return {"ref": ref, "commit": head}


# --- actions/cache ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheEntry:
    key: str
    version: str
    created: int
    folder: Path


class CacheStore:
    """actions/cache's service, as folders: one entry a key and version, never overwritten."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def entries(self) -> list[CacheEntry]:
        found = []
        for meta in sorted(self.folder.glob("*/meta.json")):
            data = json.loads(meta.read_text(encoding="utf-8"))
            found.append(CacheEntry(data["key"], data["version"], data["created"], meta.parent))
        return found

    def find(self, keys: Sequence[str], version: str) -> CacheEntry | None:
        """The primary key's exact match, else for each key in turn the newest entry whose
        key starts with it (same version: same paths)."""
        candidates = [entry for entry in self.entries() if entry.version == version]
        for key in keys:
            exact = [entry for entry in candidates if entry.key == key]
            if exact:
                return exact[0]
            prefixed = [entry for entry in candidates if entry.key.startswith(key)]
            if prefixed:
                return max(prefixed, key=lambda entry: entry.created)
        return None

    def save(self, key: str, version: str, items: Sequence[tuple[dict[str, str], Path]]) -> bool:
        """Store ``items`` (where to restore, what to copy); False when the key exists."""
        if any(e.key == key and e.version == version for e in self.entries()):
            return False
        folder = Path(tempfile.mkdtemp(prefix="entry-", dir=self.folder))
        for index, (_, source) in enumerate(items):
            _copy(source, folder / "data" / str(index))
        meta = {"key": key, "version": version, "created": time.time_ns(),
                "items": [where for where, _ in items]}
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        return True

    @staticmethod
    def restore(entry: CacheEntry, call: UseCall) -> None:
        meta = json.loads((entry.folder / "meta.json").read_text(encoding="utf-8"))
        for index, where in enumerate(meta["items"]):
            _copy(entry.folder / "data" / str(index), _restored_path(call, where))


def _copy(source: Path, target: Path) -> None:
    """Copy a file, folder or symlink (symlinks kept as links), merging into folders."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or (target.is_file() and not source.is_dir()):
        target.unlink()
    if source.is_symlink():
        target.symlink_to(source.readlink())
    elif source.is_dir():
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def _stored_path(call: UseCall, path: Path) -> dict[str, str]:
    """Where a cached path goes back: relative to the workspace or HOME, as the cache's
    archive keeps it, so a later run with other folders restores it to its own."""
    for base, folder in (("workspace", call.workspace), ("home", call.home)):
        if path.is_relative_to(folder):
            return {"base": base, "path": path.relative_to(folder).as_posix()}
    return {"base": "absolute", "path": str(path)}


def _restored_path(call: UseCall, where: Mapping[str, str]) -> Path:
    folders = {"workspace": call.workspace, "home": call.home}
    base = folders.get(where["base"])
    return base / where["path"] if base is not None else Path(where["path"])


def _glob(path: Path) -> list[Path]:
    parts = path.parts
    first = next(i for i, part in enumerate(parts) if _GLOB_CHARS.search(part))
    return sorted(Path(*parts[:first]).glob("/".join(parts[first:])))


def _matching(call: UseCall, patterns: Sequence[str]) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        path = call.expand(pattern)
        if _GLOB_CHARS.search(pattern):
            found += _glob(path)
        elif path.exists() or path.is_symlink():
            found.append(path)
    return found


def _cache_version(paths: Sequence[str]) -> str:
    return hashlib.sha256("|".join([*paths, "gzip"]).encode()).hexdigest()


def _cache_inputs(call: UseCall) -> tuple[str, list[str]]:
    key, paths = call.input("key"), [p for p in call.input_lines("path") if not p.startswith("!")]
    if not key:
        raise StepFailed("Input required and not supplied: key")
    if not paths:
        raise StepFailed("Input required and not supplied: path")
    if len(key) > CACHE_KEY_LIMIT:
        raise StepFailed(f"Key Validation Error: {key} cannot be larger than 512 characters.")
    if "," in key:
        raise StepFailed(f"Key Validation Error: {key} cannot contain commas.")
    return key, paths


def _same_key(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _restore(call: UseCall, key: str, paths: list[str], *, report_keys: bool) -> dict[str, str]:
    """actions/cache's restore: ``cache-hit`` only when something matched ('true' for the
    primary key, 'false' for a restore key); the restore action also reports the keys."""
    restore_keys = call.input_lines("restore-keys")
    outputs = {"cache-primary-key": key} if report_keys else {}
    entry = call.runner.cache.find([key, *restore_keys], _cache_version(paths))
    if entry is None:
        if call.flag("fail-on-cache-miss", False):
            raise StepFailed("Failed to restore cache entry. Exiting as fail-on-cache-miss is "
                             f"set. Input key: {key}")
        call.info(f"Cache not found for input keys: {', '.join([key, *restore_keys])}")
        return outputs
    if report_keys:
        outputs["cache-matched-key"] = entry.key
    outputs["cache-hit"] = _scalar_text(_same_key(entry.key, key))
    if call.flag("lookup-only", False):
        call.info(f"Cache found and can be restored from key: {entry.key}")
    else:
        CacheStore.restore(entry, call)
        call.info(f"Cache restored from key: {entry.key}")
    return outputs


def _save(call: UseCall, key: str, paths: list[str]) -> bool:
    items = [(_stored_path(call, path), path) for path in _matching(call, paths)]
    if not items:
        call.warning("Path Validation Error: Path(s) specified in the action for caching "
                     "do(es) not exist, hence no cache is being saved.")
        return False
    if not call.runner.cache.save(key, _cache_version(paths), items):
        call.warning(f"Failed to save: Unable to reserve cache with key {key}, another job "
                     "may be creating this cache.")
        return False
    call.info(f"Cache saved with key: {key}")
    return True


def _cache(call: UseCall) -> dict[str, str]:
    """actions/cache v4: restore now, save in a post step when the job succeeded and the
    primary key did not hit."""
    key, paths = _cache_inputs(call)
    outputs = _restore(call, key, paths, report_keys=False)

    def save() -> None:
        if outputs.get("cache-hit") == "true":
            call.info(f"Cache hit occurred on the primary key {key}, not saving cache.")
        else:
            _save(call, key, paths)

    call.on_post(save, "success()")
    return outputs


def _cache_restore(call: UseCall) -> dict[str, str]:
    key, paths = _cache_inputs(call)
    return _restore(call, key, paths, report_keys=True)


def _cache_save(call: UseCall) -> dict[str, str]:
    key, paths = _cache_inputs(call)
    if not _save(call, key, paths):
        call.warning("Cache save failed.")
    return {}


# --- setup actions and credentials --------------------------------------------------------------


def _version_of(call: UseCall, command: str) -> tuple[str, str]:
    """The path and version of a command on the step's PATH ("" when missing)."""
    found = _which(command, call.env)
    if found is None:
        return "", ""
    done = subprocess.run([found, "--version"], capture_output=True, text=True, check=False,
                          env=call.env)
    words = (done.stdout or done.stderr).split()
    return found, words[-1] if done.returncode == 0 and words else ""


def _setup_node(call: UseCall) -> dict[str, str]:
    path, version = _version_of(call, "node")
    call.info(f"actions/setup-node: not emulated, this machine's node is used ({path} {version})")
    return {"node-version": version, "cache-hit": "false"}


def _setup_python(call: UseCall) -> dict[str, str]:
    path, version = _version_of(call, "python3")
    call.info(f"actions/setup-python: not emulated, this machine's python3 is used "
              f"({path} {version})")
    return {"python-version": version, "python-path": path, "cache-hit": "false"}


def _configure_aws(call: UseCall) -> dict[str, str]:
    """aws-actions/configure-aws-credentials: exports the region; the credentials are the
    ones the test put in the environment (no STS here)."""
    region = call.input("aws-region")
    if region:
        call.set_env("AWS_REGION", region)
        call.set_env("AWS_DEFAULT_REGION", region)
    call.info(f"aws-actions/configure-aws-credentials: region {region or '(none)'}; "
              "credentials not emulated")
    return {}


# --- artifacts -------------------------------------------------------------------------------


def _files_under(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path] if path.is_file() else []


def _search_path(call: UseCall, pattern: str) -> Path:
    """A pattern's folder or file before its first wildcard (@actions/glob's search path)."""
    parts = call.expand(pattern).parts
    cut = next((i for i, part in enumerate(parts) if _GLOB_CHARS.search(part)), len(parts))
    return Path(*parts[:cut])


def _artifact_files(call: UseCall, patterns: list[str]) -> tuple[list[Path], Path]:
    """The files upload-artifact sends and the folder their names are relative to."""
    includes = [p for p in patterns if not p.startswith("!")]
    excluded = {x for p in _matching(call, [p[1:] for p in patterns if p.startswith("!")])
                for x in [p, *_files_under(p)]}
    files = sorted({f for path in _matching(call, includes) for f in _files_under(path)
                    if f not in excluded and not any(parent in excluded for parent in f.parents)})
    roots = [_search_path(call, pattern) for pattern in includes]
    if len(roots) > 1:
        root = Path(os.path.commonpath(roots))
    elif len(files) == 1 and roots and roots[0] == files[0]:
        root = files[0].parent
    else:
        root = roots[0] if roots else call.workspace
    if not call.flag("include-hidden-files", False):
        files = [f for f in files if not any(p.startswith(".") for p in f.relative_to(root).parts)]
    return files, root


def _upload_artifact(call: UseCall) -> dict[str, str]:
    name = call.input("name", "artifact")
    files, root = _artifact_files(call, call.input_lines("path"))
    if not files:
        message = (f"No files were found with the provided path: {call.input('path')}. "
                   "No artifacts will be uploaded.")
        behaviour = call.input("if-no-files-found", "warn")
        if behaviour == "error":
            raise StepFailed(message)
        (call.warning if behaviour == "warn" else call.info)(message)
        return {}
    target = call.runner.artifacts / name
    if target.exists():
        if not call.flag("overwrite", False):
            raise StepFailed("Failed to CreateArtifact: Received non-retryable error: Failed "
                             "request: (409) Conflict: an artifact with this name already "
                             "exists on the workflow run")
        shutil.rmtree(target)
    for file in files:
        _copy(file, target / file.relative_to(root))
    number = len(list(call.runner.artifacts.iterdir()))
    call.info(f"Artifact {name} has been successfully uploaded! ({len(files)} files)")
    url = f"{call.github.server_url}/{call.github.repository}/actions/runs/{call.github.run_id}"
    return {"artifact-id": str(number), "artifact-url": f"{url}/artifacts/{number}"}


def _download_artifact(call: UseCall) -> dict[str, str]:
    destination = call.expand(call.input("path", "."))
    name = call.input("name")
    store = call.runner.artifacts
    if name:
        if not (store / name).is_dir():
            raise StepFailed(f"Unable to download artifact(s): Artifact not found for name: {name}")
        _copy(store / name, destination)
        return {"download-path": str(destination)}
    pattern, merge = call.input("pattern", "*"), call.flag("merge-multiple", False)
    for artifact in sorted(store.iterdir()):
        if fnmatch.fnmatchcase(artifact.name, pattern):
            _copy(artifact, destination if merge else destination / artifact.name)
    return {"download-path": str(destination)}


BUILTIN_HANDLERS: dict[str, Handler] = {
    "actions/checkout": _checkout,
    "actions/cache": _cache,
    "actions/cache/restore": _cache_restore,
    "actions/cache/save": _cache_save,
    "actions/setup-node": _setup_node,
    "actions/setup-python": _setup_python,
    "aws-actions/configure-aws-credentials": _configure_aws,
    "actions/upload-artifact": _upload_artifact,
    "actions/download-artifact": _download_artifact,
}
