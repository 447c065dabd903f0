"""The workflow runner emulation (tests/actions_runner.py) against what GitHub documents.

The action and workflow tests trust this harness to run action.yml and the README's jobs the
way GitHub does, so it gets its own tests: tiny composite actions and jobs written here, each
checking one documented behaviour (input defaults, the command files, status functions,
masking, the expression functions of GitHub's library, actions/cache across runs, the
repository actions/checkout leaves, matrices). Git repositories and the stand-in remote are
built in tmp_path; nothing touches the network.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from actions_runner import (
    EXPRESSIONS_LIBRARY,
    CommandFileError,
    ExpressionError,
    GitHubContext,
    HarnessError,
    PullRequestRefs,
    Runner,
    commit_files,
    git,
    init_repo,
    make_pull_request,
    make_remote,
    matrix_combinations,
    parse_command_file,
    split_template,
)

pytestmark = pytest.mark.skipif(
    not EXPRESSIONS_LIBRARY.is_dir() or shutil.which("node") is None,
    reason="@actions/expressions is missing (run npm ci in tests/node) or node is not on PATH",
)

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
CACHE = "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684"


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    with Runner(tmp_path / "runner") as started:
        yield started


def _action(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "action.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir(parents=True, exist_ok=True)
    return workspace


# --- composite actions -----------------------------------------------------------------------


def test_inputs_defaults_token_and_the_runner_environment(runner: Runner, tmp_path: Path) -> None:
    action = _action(tmp_path / "action", """
        name: greet
        inputs:
          who: {default: world}
          greeting: {default: hello}
          token: {default: "${{ github.token }}"}
        outputs:
          text: {value: "${{ steps.say.outputs.text }}"}
          token-ok: {value: "${{ steps.env.outputs.token-ok }}"}
        runs:
          using: composite
          steps:
            - id: say
              shell: bash
              run: echo "text=${{ inputs.greeting }} ${{ inputs.who }}" >> "$GITHUB_OUTPUT"
            - id: env
              shell: bash
              env:
                TOKEN: ${{ inputs.token }}
              run: |
                echo "token-ok=${{ inputs.token == github.token }}" >> "$GITHUB_OUTPUT"
                echo "token: $TOKEN"
                env | grep -E '^(INPUT_|GITHUB_TOKEN=)' || echo "no INPUT_ nor GITHUB_TOKEN"
                echo "action path: $GITHUB_ACTION_PATH"
                echo "workspace: $GITHUB_WORKSPACE, cwd: $PWD"
                echo "runner: $RUNNER_OS $RUNNER_TEMP, CI=$CI, actions=$GITHUB_ACTIONS"
                echo "### done" >> "$GITHUB_STEP_SUMMARY"
    """)
    workspace = _workspace(tmp_path)
    github = GitHubContext(token="ghs_exampleToken123")

    run = runner.run_action(action, {"WHO": "octocat"}, workspace=workspace, github=github)

    assert run.status == "success", run.log
    assert run.outputs == {"text": "hello octocat", "token-ok": "true"}
    log = run.step("env").log
    assert "token: ***" in log and "ghs_exampleToken123" not in run.log
    assert "no INPUT_ nor GITHUB_TOKEN" in log
    assert f"action path: {action.resolve()}" in log
    assert f"workspace: {workspace}, cwd: {workspace}" in log
    assert "CI=true, actions=true" in log and "runner: Linux " in log.replace("macOS", "Linux")
    assert run.summary == "### done\n"


def test_github_env_and_path_reach_the_later_steps(runner: Runner, tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "hello-tool").write_text("#!/bin/sh\necho tool says hi\n", encoding="utf-8")
    (tools / "hello-tool").chmod(0o755)
    action = _action(tmp_path / "action", f"""
        name: env
        runs:
          using: composite
          steps:
            - shell: bash
              run: |
                echo "PLAIN=one=two" >> "$GITHUB_ENV"
                {{ echo "BLOCK<<EOF"; echo "line 1"; echo ""; echo "line 3"; echo "EOF"; }} \\
                  >> "$GITHUB_ENV"
                echo "{tools}" >> "$GITHUB_PATH"
                echo "before: ${{PLAIN:-unset}}"
            - id: after
              shell: bash
              run: |
                echo "plain=$PLAIN, from the context: ${{{{ env.PLAIN }}}}"
                printf 'block=[%s]\\n' "$BLOCK"
                hello-tool
                echo "first on PATH: ${{PATH%%:*}}"
    """)

    run = runner.run_action(action, workspace=_workspace(tmp_path), env={"PLAIN": "job value"})

    assert run.status == "success", run.log
    assert "before: job value" in run.log
    log = run.step("after").log
    assert "plain=one=two, from the context: one=two" in log
    assert "block=[line 1\n\nline 3]" in log
    assert "tool says hi" in log
    assert f"first on PATH: {tools}" in log
    assert run.env == {"PLAIN": "one=two", "BLOCK": "line 1\n\nline 3"}
    assert run.path == [str(tools)]


def test_a_multiline_output_keeps_its_lines(runner: Runner, tmp_path: Path) -> None:
    action = _action(tmp_path / "action", """
        name: report
        outputs:
          report: {value: "${{ steps.write.outputs.report }}"}
          count: {value: "${{ steps.write.outputs.count }}"}
        runs:
          using: composite
          steps:
            - id: write
              shell: bash
              run: |
                delimiter="ghadelimiter_$RANDOM"
                {
                  echo "report<<$delimiter"
                  printf 'a = 1\\n\\nkey<<not the end\\n'
                  echo "$delimiter"
                  echo "count=3"
                } >> "$GITHUB_OUTPUT"
    """)

    run = runner.run_action(action, workspace=_workspace(tmp_path))

    assert run.outputs == {"report": "a = 1\n\nkey<<not the end", "count": "3"}


def test_a_failing_step_fails_the_action_and_only_failure_and_always_steps_run(
    runner: Runner, tmp_path: Path
) -> None:
    action = _action(tmp_path / "action", """
        name: fails
        runs:
          using: composite
          steps:
            - {id: first, shell: bash, run: echo first}
            - {id: bad, shell: bash, run: "echo breaking; exit 3"}
            - {id: next, shell: bash, run: echo next}
            - {id: on-failure, if: failure(), shell: bash, run: echo cleaning up}
            - {id: always, if: "${{ always() }}", shell: bash, run: echo always}
            - {id: on-success, if: success(), shell: bash, run: echo success}
            - id: implicit
              if: steps.bad.outcome == 'failure'
              shell: bash
              run: echo "an if without a status function means success() && (...)"
            - id: explicit
              if: failure() && steps.bad.conclusion == 'failure'
              shell: bash
              run: echo "explicit"
    """)

    run = runner.run_action(action, workspace=_workspace(tmp_path))

    assert run.status == "failure"
    outcomes = {s.id: s.outcome for s in run.steps}
    assert outcomes == {
        "first": "success", "bad": "failure", "next": "skipped", "on-failure": "success",
        "always": "success", "on-success": "skipped", "implicit": "skipped",
        "explicit": "success",
    }
    assert run.failed_step is run.step("bad")
    assert run.step("bad").exit_code == 3
    assert "breaking\n##[error]Process completed with exit code 3.\n" in run.log
    assert "cleaning up" in run.log and "echo success" not in run.log


def test_continue_on_error_keeps_the_action_green(runner: Runner, tmp_path: Path) -> None:
    action = _action(tmp_path / "action", """
        name: tolerant
        outputs:
          seen: {value: "${{ steps.bad.outcome }}/${{ steps.bad.conclusion }}"}
        runs:
          using: composite
          steps:
            - {id: bad, shell: bash, run: exit 1, continue-on-error: true}
            - {id: after, shell: bash, run: echo after}
    """)

    run = runner.run_action(action, workspace=_workspace(tmp_path))

    assert run.status == "success"
    assert run.outputs == {"seen": "failure/success"}
    assert run.step("after").outcome == "success"


def test_the_job_status_passed_in_drives_the_status_functions(
    runner: Runner, tmp_path: Path
) -> None:
    action = _action(tmp_path / "action", """
        name: after a failure
        runs:
          using: composite
          steps:
            - {id: normal, shell: bash, run: echo normal}
            - {id: report, if: failure(), shell: bash, run: echo report}
    """)

    run = runner.run_action(action, workspace=_workspace(tmp_path), job_status="failure")

    assert [s.outcome for s in run.steps] == ["skipped", "success"]


def test_add_mask_hides_a_value_from_then_on(runner: Runner, tmp_path: Path) -> None:
    action = _action(tmp_path / "action", """
        name: masks
        runs:
          using: composite
          steps:
            - shell: bash
              run: |
                echo "before: s3cr3t-value"
                echo "::add-mask::s3cr3t-value"
                echo "after: s3cr3t-value"
                echo "::error file=infra/a.yaml,line=3,title=LG001::boom"
                echo "::group::Details"
                echo "summary has s3cr3t-value" >> "$GITHUB_STEP_SUMMARY"
            - shell: bash
              run: 'echo "next step: s3cr3t-value"'

    """)

    run = runner.run_action(action, workspace=_workspace(tmp_path))

    assert "before: s3cr3t-value\n::add-mask::***\nafter: ***\n" in run.log
    assert "next step: ***" in run.log
    assert "::error file=infra/a.yaml,line=3,title=LG001::boom" in run.log
    assert "::group::Details" in run.log
    assert run.summary == "summary has ***\n"


def test_expressions_are_evaluated_by_githubs_library(runner: Runner, tmp_path: Path) -> None:
    action = _action(tmp_path / "action", """
        name: functions
        inputs:
          names: {default: '["orders", "billing"]'}
          ref: {default: refs/heads/main}
        outputs:
          formatted: {value: "${{ format('{0}/{1} {{literal}}', inputs.ref, 1.50) }}"}
          has-billing: {value: "${{ contains(fromJSON(inputs.names), 'billing') }}"}
          branch: {value: "${{ startsWith(inputs.ref, 'REFS/HEADS/') }}"}
          joined: {value: "${{ join(fromJSON(inputs.names), ', ') }}"}
          missing: {value: "[${{ github.event.nothing.here }}]"}
          object: {value: "${{ github.event }}"}
          json: {value: "${{ toJSON(fromJSON('{\\"a\\": [1, true, null]}')) }}"}
          braces: {value: "${{ '}}' }}"}
        runs:
          using: composite
          steps: []
    """)

    run = runner.run_action(action, workspace=_workspace(tmp_path),
                            github=GitHubContext(event={"action": "opened"}))

    assert run.outputs == {
        "formatted": "refs/heads/main/1.5 {literal}",
        "has-billing": "true",
        "branch": "true",  # string comparisons ignore case
        "joined": "orders, billing",
        "missing": "[]",
        "object": "Object",
        "json": '{\n  "a": [\n    1,\n    true,\n    null\n  ]\n}',
        "braces": "}}",
    }
    assert runner.evaluate("fromJSON('[1, 2]')[1] == 2", {}) is True
    assert runner.evaluate("github.EVENT_NAME", {"github": {"event_name": "push"}}) == "push"
    assert runner.evaluate("matrix.*.name", {"matrix": {"a": {"name": "x"}}}) == ["x"]
    with pytest.raises(ExpressionError, match="Unrecognized named-value: 'secrets'"):
        runner.evaluate("secrets.GITHUB_TOKEN", {"github": {}})


def test_hash_files_hashes_the_workspace_files_as_the_runner_does(
    runner: Runner, tmp_path: Path
) -> None:
    workspace = _workspace(tmp_path)
    files = {"a/requirements.txt": b"boto3\n", "b/requirements.txt": b"pyyaml\n",
             "b/other.txt": b"x"}
    for name, content in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_bytes(content)
    action = _action(tmp_path / "action", """
        name: hashes
        outputs:
          all: {value: "${{ hashFiles('**/requirements.txt') }}"}
          some: {value: "${{ hashFiles('**/requirements.txt', '!a/**') }}"}
          none: {value: "${{ hashFiles('nothing/*') }}"}
        runs: {using: composite, steps: []}
    """)

    run = runner.run_action(action, workspace=workspace)

    def expected(*names: str) -> str:
        outer = hashlib.sha256()
        for name in names:
            outer.update(hashlib.sha256(files[name]).digest())
        return outer.hexdigest()

    assert run.outputs == {
        "all": expected("a/requirements.txt", "b/requirements.txt"),
        "some": expected("b/requirements.txt"),
        "none": "",
    }


def test_status_functions_and_unknown_contexts_fail_where_github_refuses_them(
    runner: Runner, tmp_path: Path
) -> None:
    action = _action(tmp_path / "action", """
        name: refused
        runs:
          using: composite
          steps:
            - {id: status, shell: bash, run: "echo ${{ success() }}"}
            - {id: secrets, if: always(), shell: bash, run: "echo ${{ secrets.TOKEN }}"}
    """)

    run = runner.run_action(action, workspace=_workspace(tmp_path))

    assert run.status == "failure"
    assert "Unrecognized function: 'success'" in run.step("status").log
    assert "Unrecognized named-value: 'secrets'" in run.step("secrets").log


def test_a_nested_local_action_and_an_unknown_action(runner: Runner, tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    _action(workspace / "inner", """
        name: inner
        inputs: {value: {required: true}}
        outputs: {doubled: {value: "${{ steps.d.outputs.v }}"}}
        runs:
          using: composite
          steps:
            - id: d
              shell: bash
              run: echo "v=${{ inputs.value }}${{ inputs.value }}" >> "$GITHUB_OUTPUT"
    """)
    outer = _action(tmp_path / "outer", """
        name: outer
        outputs: {result: {value: "${{ steps.call.outputs.doubled }}"}}
        runs:
          using: composite
          steps:
            - {id: call, uses: ./inner, with: {value: ab, extra: x}}
    """)

    run = runner.run_action(outer, workspace=workspace)

    assert run.status == "success", run.log
    assert run.outputs == {"result": "abab"}
    assert run.step("call").steps[0].outputs == {"v": "abab"}
    assert "Unexpected input(s) 'extra', valid inputs are ['value']" in run.log
    unknown = _action(tmp_path / "unknown", """
        name: unknown
        runs: {using: composite, steps: [{uses: someone/else@v1}]}
    """)
    with pytest.raises(HarnessError, match="someone/else@v1"):
        runner.run_action(unknown, workspace=workspace)


# --- actions/cache ---------------------------------------------------------------------------

CACHED = f"""
    name: cached
    inputs:
      version: {{default: v1}}
    outputs:
      hit: {{value: "${{{{ steps.cache.outputs.cache-hit }}}}"}}
    runs:
      using: composite
      steps:
        - id: cache
          uses: {CACHE}
          with:
            path: |
              ~/.cache/tool
              build
            key: tool-${{{{ runner.os }}}}-${{{{ inputs.version }}}}
            restore-keys: tool-${{{{ runner.os }}}}-
        - if: steps.cache.outputs.cache-hit != 'true'
          shell: bash
          run: |
            mkdir -p ~/.cache/tool build
            echo "built for ${{{{ inputs.version }}}}" > ~/.cache/tool/data
            ln -s ../.cache/tool/data ~/link
            ln -sf data ~/.cache/tool/alias
            echo artefact > build/out.txt
        - shell: bash
          run: cat ~/.cache/tool/data build/out.txt
"""


def test_cache_is_cold_then_warm_across_runners_on_one_root(tmp_path: Path) -> None:
    action = _action(tmp_path / "action", CACHED)
    root = tmp_path / "runner"

    with Runner(root) as first:
        cold = first.run_action(action, workspace=_workspace(tmp_path / "one"))
    with Runner(root) as second:
        warm = second.run_action(action, workspace=_workspace(tmp_path / "two"))
        other = second.run_action(action, {"version": "v2"},
                                  workspace=_workspace(tmp_path / "three"))

    assert cold.status == warm.status == other.status == "success", cold.log + warm.log
    assert cold.outputs == {"hit": ""}, "a miss leaves cache-hit unset, as actions/cache v4"
    assert [s.name for s in cold.post_steps] == [f"Post {CACHE}"]
    assert "Cache saved with key: tool-" in cold.log
    assert warm.outputs == {"hit": "true"}
    assert warm.step("Run cat ~/.cache/tool/data build/out.txt").log == "built for v1\nartefact\n"
    assert "Cache hit occurred on the primary key" in warm.log
    alias = warm.home / ".cache" / "tool" / "alias"
    assert alias.is_symlink() and alias.read_text(encoding="utf-8") == "built for v1\n"
    assert not (warm.home / "link").exists(), "only the cached paths come back"
    assert other.outputs == {"hit": "false"}, "a restore-keys match is not a hit"
    assert "Cache saved with key: tool-Linux-v2" in other.log.replace("macOS", "Linux")


def test_a_failed_run_does_not_save_the_cache(runner: Runner, tmp_path: Path) -> None:
    action = _action(tmp_path / "action", CACHED.replace(
        "run: cat ~/.cache/tool/data build/out.txt", "run: exit 1"))

    run = runner.run_action(action, workspace=_workspace(tmp_path))

    assert run.status == "failure"
    assert [s.outcome for s in run.post_steps] == ["skipped"]
    assert runner.cache.entries() == []


# --- actions/checkout ------------------------------------------------------------------------


def _repository(tmp_path: Path) -> tuple[Path, PullRequestRefs]:
    source = init_repo(tmp_path / "source")
    commit_files(source, {"README.md": "one\n"}, "first")
    git(source, "tag", "v1")
    commit_files(source, {"infra/app.yaml": "Resources: {}\n"}, "second")
    git(source, "switch", "--quiet", "-c", "feature")
    commit_files(source, {"infra/app.yaml": "Resources: {A: {Type: X}}\n"}, "feature")
    git(source, "switch", "--quiet", "main")
    commit_files(source, {"README.md": "two\n"}, "base moves on")
    remote = make_remote(source, tmp_path / "remote.git")
    return remote, make_pull_request(remote, number=7, base_branch="main", head_branch="feature")


INSPECT = """
    on: pull_request
    jobs:
      look:
        runs-on: ubuntu-latest
        steps:
          - id: checkout
            uses: {checkout}
            with: {with_}
          - id: inspect
            run: |
              echo "head=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
              echo "shallow=$(git rev-parse --is-shallow-repository)" >> "$GITHUB_OUTPUT"
              echo "commits=$(git rev-list --count HEAD)" >> "$GITHUB_OUTPUT"
              echo "branch=$(git symbolic-ref --quiet --short HEAD || echo detached)" \\
                >> "$GITHUB_OUTPUT"
              echo "tags=$(git tag | tr '\\n' ' ')" >> "$GITHUB_OUTPUT"
              echo "header=$(git config --get http.https://github.com/.extraheader || true)" \\
                >> "$GITHUB_OUTPUT"
"""


def _checkout_job(
    runner: Runner, tmp_path: Path, with_: str
) -> tuple[dict[str, str], PullRequestRefs]:
    """Check out pull request 7 with ``with_`` (formatted with ``refs``); what git says."""
    remote, refs = _repository(tmp_path)
    github = GitHubContext.for_pull_request(refs, repository="octo-org/octo-repo")
    workflow = INSPECT.format(checkout=CHECKOUT, with_=with_.format(refs=refs))
    (job,) = runner.run_job(textwrap.dedent(workflow), "look", github=github, remote=remote)
    assert job.status == "success", job.log
    return job.step_outputs["inspect"], refs


def test_pull_request_merge_commit_is_made_as_github_makes_it(tmp_path: Path) -> None:
    remote, refs = _repository(tmp_path)
    parents = git(remote, "rev-list", "--parents", "-n", "1", refs.merge_sha).split()[1:]
    assert parents == [refs.base_sha, refs.head_sha]
    assert git(remote, "rev-parse", "refs/pull/7/head") == refs.head_sha
    message = git(remote, "log", "-1", "--format=%s", refs.merge_sha)
    assert message == f"Merge {refs.head_sha} into {refs.base_sha}"
    files = git(remote, "ls-tree", "-r", "--name-only", refs.merge_sha).split()
    assert files == ["README.md", "infra/app.yaml"]


def test_checkout_of_a_pull_request_is_shallow_and_detached_at_the_merge(
    runner: Runner, tmp_path: Path
) -> None:
    found, refs = _checkout_job(runner, tmp_path, "{{}}")

    assert found["head"] == refs.merge_sha
    assert (found["shallow"], found["commits"], found["branch"]) == ("true", "1", "detached")
    assert found["tags"] == ""
    token = GitHubContext().token
    expected = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    assert found["header"] == f"AUTHORIZATION: basic {expected}"


def test_checkout_of_the_head_sha(runner: Runner, tmp_path: Path) -> None:
    found, refs = _checkout_job(runner, tmp_path, "{{ref: {refs.head_sha}}}")

    assert found["head"] == refs.head_sha
    assert (found["shallow"], found["commits"]) == ("true", "1")


def test_checkout_with_full_history_and_no_credentials(runner: Runner, tmp_path: Path) -> None:
    found, refs = _checkout_job(runner, tmp_path, "{{fetch-depth: 0, persist-credentials: false}}")

    assert found["head"] == refs.merge_sha
    assert (found["shallow"], found["commits"]) == ("false", "5")
    assert found["tags"].split() == ["v1"]
    assert found["header"] == ""


# --- jobs ------------------------------------------------------------------------------------

MATRIX = """
    on: push
    permissions: {contents: read}
    env:
      STAGE: test
    jobs:
      review:
        name: review ${{ matrix.service }}
        runs-on: ubuntu-latest
        strategy:
          matrix:
            service: [orders, billing]
            include:
              - {service: billing, region: eu-west-1}
        defaults:
          run:
            working-directory: services
        env:
          SERVICE: ${{ matrix.service }}
        outputs:
          said: ${{ steps.say.outputs.said }}
        steps:
          - run: mkdir -p services
            working-directory: .
          - id: say
            run: |
              echo "said=$STAGE/$SERVICE/${{ matrix.region || 'no region' }} in ${PWD##*/}" \\
                >> "$GITHUB_OUTPUT"
              echo "token ${{ secrets.GITHUB_TOKEN }}"
              echo "- ${{ strategy.job-index }} of ${{ strategy.job-total }}" \\
                >> "$GITHUB_STEP_SUMMARY"
          - uses: octo/tool@v2
            id: tool
            with: {word: "${{ matrix.service }}"}
"""


def test_a_matrix_job_runs_once_per_combination(runner: Runner, tmp_path: Path) -> None:
    tool = _action(tmp_path / "tool", """
        name: tool
        inputs: {word: {}}
        outputs: {upper: {value: "${{ steps.u.outputs.upper }}"}}
        runs:
          using: composite
          steps:
            - {id: u, shell: bash, run: "echo upper=${{ inputs.word }} >> $GITHUB_OUTPUT"}
    """)

    jobs = runner.run_job(textwrap.dedent(MATRIX), "review", github=GitHubContext(),
                          actions={"octo/tool": tool})

    assert [j.matrix for j in jobs] == [
        {"service": "orders"}, {"service": "billing", "region": "eu-west-1"},
    ]
    assert [j.name for j in jobs] == ["review orders", "review billing"]
    assert [j.outputs for j in jobs] == [
        {"said": "test/orders/no region in services"},
        {"said": "test/billing/eu-west-1 in services"},
    ]
    assert [j.step_outputs["tool"] for j in jobs] == [{"upper": "orders"}, {"upper": "billing"}]
    assert [j.summary for j in jobs] == ["- 0 of 2\n", "- 1 of 2\n"]
    assert all(j.status == "success" and "token ***" in j.log for j in jobs)
    assert jobs[0].workspace != jobs[1].workspace, "each combination gets a fresh machine"
    assert jobs[0].permissions == {"contents": "read"}


def test_matrix_include_and_exclude_follow_the_documented_rules() -> None:
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "exclude": [{"fruit": "pear", "animal": "dog"}],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }

    assert matrix_combinations(matrix) == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]
    assert matrix_combinations(None) == [{}]


def test_job_steps_default_to_bash_without_pipefail(runner: Runner) -> None:
    workflow = """
        on: push
        jobs:
          shells:
            runs-on: ubuntu-latest
            steps:
              - {id: default, run: "false | true"}
              - {id: bash, shell: bash, run: "false | true"}
              - {id: sh, if: always(), shell: sh, run: "echo $0"}
    """
    (job,) = runner.run_job(textwrap.dedent(workflow), "shells", github=GitHubContext())
    assert [s.outcome for s in job.steps] == ["success", "failure", "success"]
    assert job.step("sh").log.endswith(".sh\n")


def test_artifacts_and_setup_actions_between_two_jobs(runner: Runner) -> None:
    workflow = """
        on: push
        jobs:
          analyze:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/setup-python@v5
                with: {python-version: "3.12"}
              - uses: actions/setup-node@v4
              - uses: aws-actions/configure-aws-credentials@v4
                with: {aws-region: eu-west-1}
              - run: |
                  mkdir -p out/.hidden && echo "region $AWS_REGION" > out/report.json
                  echo secret > out/.hidden/x
              - uses: actions/upload-artifact@v4
                with: {name: report, path: out/}
          publish:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
                id: get
                with: {name: report, path: in}
              - run: cat in/report.json; ls -A in
    """
    document = textwrap.dedent(workflow)

    (analyze,) = runner.run_job(document, "analyze", github=GitHubContext())
    (publish,) = runner.run_job(document, "publish", github=GitHubContext())

    assert analyze.status == publish.status == "success", analyze.log + publish.log
    assert [s.uses for s in analyze.steps] == [
        "actions/setup-python@v5", "actions/setup-node@v4",
        "aws-actions/configure-aws-credentials@v4", None, "actions/upload-artifact@v4",
    ]
    assert analyze.env == {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert publish.steps[1].log == "region eu-west-1\nreport.json\n", "hidden files stay out"
    assert publish.step_outputs["get"] == {"download-path": str(publish.workspace / "in")}


def test_a_job_if_can_skip_the_job(runner: Runner) -> None:
    workflow = """
        on: push
        jobs:
          only-on-pulls:
            if: github.event_name == 'pull_request'
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
    """
    (job,) = runner.run_job(textwrap.dedent(workflow), "only-on-pulls", github=GitHubContext())
    assert (job.status, job.steps) == ("skipped", [])


# --- the pieces ------------------------------------------------------------------------------


def test_command_files_parse_both_forms_and_refuse_what_the_runner_refuses() -> None:
    text = "a=1\nb=x=y\r\nc<<END\nline\n\nENDING\nEND\n\nd<<E\nE\n"
    assert parse_command_file(text) == [
        ("a", "1"), ("b", "x=y"), ("c", "line\n\nENDING"), ("d", ""),
    ]
    with pytest.raises(CommandFileError, match="Matching delimiter not found 'END'"):
        parse_command_file("c<<END\nline\n")
    with pytest.raises(CommandFileError, match="Invalid format 'novalue'"):
        parse_command_file("novalue\n")


def test_templates_split_around_expressions_and_strings() -> None:
    assert split_template("a ${{ x }} b ${{ '}}' }}") == [
        ("a ", False), ("x", True), (" b ", False), ("'}}'", True),
    ]
    assert split_template("plain") == [("plain", False)]
    with pytest.raises(ExpressionError, match="not closed"):
        split_template("${{ x ")
