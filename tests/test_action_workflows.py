"""``action.yml`` and the README's workflows, run the way GitHub's runner runs them.

Every job here is a workflow copied from the README (or, where a test needs a variation, that
workflow with one step added), run by ``tests/actions_runner.py``: expressions are evaluated by
GitHub's own library, ``actions/checkout`` leaves the repository as it does (a shallow,
detached merge commit by default) from a local bare repository that stands in for github.com,
and the action's steps run from ``action.yml`` itself: the environment set-up, the cache, the
review. The GitHub API is the stand-in of ``tests/github_server.py``, which checks every
request against GitHub's OpenAPI description.

The action's locked environment is installed once per test session (by the action's own
steps, in ``_shared_tool_cache``) and found by later runs in the runner's tool cache, as on a
self-hosted runner; ``test_a_second_hosted_run_restores_the_environment_from_the_cache``
covers the cold and cached paths of a GitHub-hosted runner.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from actions_runner import (
    EXPRESSIONS_LIBRARY,
    GitHubContext,
    JobRun,
    PullRequestRefs,
    Runner,
    commit_files,
    git,
    init_repo,
    make_pull_request,
    make_remote,
)
from github_server import (
    GitHubServer,
    GitHubState,
    Pull,
    PullFile,
    needs_openapi,
    webhook_example,
)

from reviewer.github.phase_one import branch_name

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
CDK_APP = Path(__file__).parent / "apps" / "cdk"
REPOSITORY = "Codertocat/Hello-World"  # the repository of the webhook examples
ACTION = "latest-guard/latest-guard"
ENV = {"LATEST_GUARD_RETRY_BACKOFF": "0.01", "LATEST_GUARD_WRITE_INTERVAL": "0"}

pytestmark = [
    pytest.mark.runner,
    pytest.mark.skipif(not EXPRESSIONS_LIBRARY.is_dir(), reason="run npm ci in tests/node"),
    needs_openapi,
    pytest.mark.skipif(not (ROOT / "requirements.lock").is_file(), reason="no lock file"),
]

BASE = (FIXTURES / "arm64-layer" / "baseline.yaml").read_text(encoding="utf-8")
ARM64 = (FIXTURES / "arm64-layer" / "template.yaml").read_text(encoding="utf-8")
CODE_ONLY = BASE.replace("orders/1111.zip", "orders/3333.zip")
LAYER_ONLY = BASE.replace("deps-x86_64:4", "deps-x86_64:5")


# --- the README's workflows ------------------------------------------------------------------


def readme_workflows() -> list[str]:
    """Every workflow (a YAML block with ``jobs:``) of the README, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    return [b for b in blocks if re.search(r"^jobs:", b, flags=re.MULTILINE)]


def readme_workflow(marker: str) -> str:
    """The one README workflow that contains ``marker``."""
    (found,) = [w for w in readme_workflows() if marker in w]
    return found


def sam_workflow() -> str:
    return readme_workflow("template: template.yaml   # the check run")


def with_step_after_checkout(workflow: str, step: dict[str, Any]) -> str:
    """``workflow`` with ``step`` added right after its checkout."""
    document = yaml.safe_load(workflow)
    (job,) = document["jobs"].values()
    at = next(i for i, s in enumerate(job["steps"]) if "checkout" in str(s.get("uses", "")))
    job["steps"].insert(at + 1, step)
    return yaml.safe_dump(document, sort_keys=False)


def with_checkout_input(workflow: str, **inputs: str) -> str:
    document = yaml.safe_load(workflow)
    (job,) = document["jobs"].values()
    checkout = next(s for s in job["steps"] if "checkout" in str(s.get("uses", "")))
    checkout.setdefault("with", {}).update(inputs)
    return yaml.safe_dump(document, sort_keys=False)


def with_action_inputs(workflow: str, **inputs: str) -> str:
    document = yaml.safe_load(workflow)
    (job,) = document["jobs"].values()
    step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith(ACTION))
    step.setdefault("with", {}).update(inputs)
    return yaml.safe_dump(document, sort_keys=False)


# --- the environment, installed once ---------------------------------------------------------


@pytest.fixture(scope="session")
def shared_tool_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tool cache holding the action's environment, made by the action's own set-up steps
    on its first run (one run per test session, whatever the number of workers)."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if run_id else base) / f"latest-guard-tools-{run_id or 'solo'}"
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "ready"
        if not done.exists():
            workspace = shared / "workspace"
            workspace.mkdir(exist_ok=True)
            shutil.copy(FIXTURES / "arm64-layer" / "template.yaml", workspace / "t.yaml")
            with Runner(shared / "runner") as runner:
                run = runner.run_action(
                    ROOT, {"template": "t.yaml", "baseline": "none", "mode": "analyze"},
                    workspace=workspace, github=GitHubContext(repository=REPOSITORY),
                )
            assert run.status == "success", run.log
            done.write_text("ok", encoding="utf-8")
    return shared / "runner" / "tool-cache"


@pytest.fixture
def runner(tmp_path: Path, shared_tool_cache: Path) -> Iterator[Runner]:
    with Runner(tmp_path / "runner") as made:
        made.tool_cache = shared_tool_cache
        yield made


# --- a repository with a pull request --------------------------------------------------------


@dataclass
class Project:
    """A developer's clone, the stand-in for github.com, and the API stand-in's state."""

    tmp: Path
    state: GitHubState
    server: GitHubServer
    work: Path = field(init=False)
    remote: Path = field(init=False)
    refs: PullRequestRefs | None = None

    def __post_init__(self) -> None:
        self.work = init_repo(self.tmp / "work")
        self.remote = self.tmp / "remote.git"

    def on(self, branch: str, files: dict[str, str], *, new: bool = False) -> str:
        if new:
            git(self.work, "checkout", "-q", "-b", branch)
        elif git(self.work, "branch", "--list", branch):  # not the first commit of main
            git(self.work, "checkout", "-q", branch)
        return commit_files(self.work, files, f"change on {branch}")

    def publish(self, number: int = 2, *, fork: bool = False) -> PullRequestRefs:
        """Push both branches to the remote and (re)make pull request ``number``."""
        if self.remote.exists():
            for branch in ("main", "feature"):
                git(self.work, "push", "-q", "--force", str(self.remote), branch)
        else:
            make_remote(self.work, self.remote)
        self.refs = make_pull_request(
            self.remote, number=number, base_branch="main", head_branch="feature"
        )
        head_repo = "forker/Hello-World" if fork else REPOSITORY
        pull = Pull(number, self.refs.head_sha, self.refs.base_sha, head_repo)
        pull.files = self._files(self.refs)
        self.state.pulls[number] = pull
        return self.refs

    def _files(self, refs: PullRequestRefs) -> list[PullFile]:
        names = git(
            self.remote, "diff", "--name-only", f"{refs.base_sha}...{refs.head_sha}"
        ).splitlines()
        files = []
        for name in names:
            diff = git(self.remote, "diff", f"{refs.base_sha}...{refs.head_sha}", "--", name)
            hunks = diff[diff.index("@@"):] if "@@" in diff else None
            files.append(PullFile(name, hunks))
        return files

    def event(self, *, fork: bool = False) -> GitHubContext:
        assert self.refs is not None
        payload = webhook_example("pull_request", "synchronize")
        if fork:
            payload["pull_request"]["head"]["repo"]["full_name"] = "forker/Hello-World"
        return GitHubContext.for_pull_request(
            self.refs, payload, repository=REPOSITORY, api_url=self.server.url, token=TOKEN
        )

    def checks(self) -> dict[str, dict[str, Any]]:
        """The newest check run of each name."""
        newest: dict[str, dict[str, Any]] = {}
        for run in sorted(self.state.check_runs.values(), key=lambda r: r["id"]):
            newest[run["name"]] = run
        return newest

    def comments(self) -> list[dict[str, Any]]:
        return [c for c in self.state.comments_of(2) if c["user"]["type"] == "Bot"]


TOKEN = "ghs_workflowToken0000000000000000000000"  # the job's github.token


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    state = GitHubState(REPOSITORY)
    state.tokens[TOKEN] = True
    state.installation.add(TOKEN)  # the workflow's token is an installation's: no GET /user
    with GitHubServer(state) as server:
        yield Project(tmp_path, state, server)
        assert state.violations == [], "requests that GitHub's API description does not allow"


def run_job(runner: Runner, project: Project, workflow: str, *, fork: bool = False,
            env: dict[str, str] | None = None) -> list[JobRun]:
    return runner.run_job(
        workflow, next(iter(yaml.safe_load(workflow)["jobs"])), github=project.event(fork=fork),
        remote=project.remote, actions={ACTION: ROOT}, env={**ENV, **(env or {})},
    )


def review_step(job: JobRun) -> Any:
    """The action's step of ``job``, and within it, its ``Review`` step."""
    action = next(s for s in job.steps if str(s.uses or "").startswith(ACTION))
    return action, next(s for s in action.steps if s.name == "Review")


def sam_project(project: Project, head: str) -> PullRequestRefs:
    project.on("main", {"template.yaml": BASE})
    project.on("feature", {"template.yaml": head}, new=True)
    return project.publish()


# --- the tests -------------------------------------------------------------------------------


def test_readme_sam_workflow_fails_the_job_with_the_check(
    runner: Runner, project: Project
) -> None:
    sam_project(project, ARM64)

    (job,) = run_job(runner, project, sam_workflow())

    action, review = review_step(job)
    assert job.status == "failure" and review.exit_code == 1, job.log
    assert "::error title=latest-guard::1 error · 0 warnings · 0 notices: a finding reaches " \
        "fail-on error" in job.log
    check = project.checks()["latest-guard (template.yaml)"]
    assert check["conclusion"] == "failure"
    assert check["head_sha"] == project.refs.head_sha  # type: ignore[union-attr]
    assert action.outputs["conclusion"] == "failure"
    assert action.outputs["check-name"] == "latest-guard (template.yaml)"
    assert action.outputs["errors"] == "1"
    assert "### latest-guard · 1 error" in job.summary
    (comment,) = project.comments()
    assert comment["path"] == "template.yaml" and comment["line"] == 9
    # action.yml tells the review that github-token is the workflow's: it acts as
    # github-actions[bot], and no request asks who the token is.
    assert not [r for r in project.state.requests if r.path in ("/user", "/graphql")]
    # The default checkout holds one commit: the base was fetched, by commit id.
    assert "is not in this checkout: fetching it" in job.log
    assert "Traceback" not in job.log


def test_a_clean_pull_request_passes_everywhere(runner: Runner, project: Project) -> None:
    sam_project(project, CODE_ONLY)

    (job,) = run_job(runner, project, sam_workflow())

    action, review = review_step(job)
    assert job.status == "success" and review.exit_code == 0, job.log
    assert project.checks()["latest-guard (template.yaml)"]["conclusion"] == "success"
    assert action.outputs["conclusion"] == "success"
    assert not project.comments()


@pytest.mark.parametrize("checkout", ["merge commit", "head commit"])
def test_a_branch_behind_main_is_compared_with_its_merge_base(
    runner: Runner, project: Project, checkout: str
) -> None:
    # The branch changes the code only; main, after the branch left it, changed the layer.
    # Compared with main's tip, the pull request would seem to change both (a false LG001).
    project.on("main", {"template.yaml": BASE})
    project.on("feature", {"template.yaml": CODE_ONLY}, new=True)
    project.on("main", {"template.yaml": LAYER_ONLY})
    project.publish()
    workflow = sam_workflow()
    if checkout == "head commit":
        workflow = with_checkout_input(
            workflow, ref="${{ github.event.pull_request.head.sha }}"
        )

    (job,) = run_job(runner, project, workflow)

    action, review = review_step(job)
    assert review.exit_code == 0, job.log
    assert action.outputs["findings"] == "0"
    assert project.checks()["latest-guard (template.yaml)"]["conclusion"] == "success"
    base = project.refs.base_sha  # type: ignore[union-attr]
    if checkout == "merge commit":
        assert f"baseline: git {base[:12]} (the base commit itself)" in job.log
    else:
        branch_point = git(project.work, "merge-base", "main", "feature")
        assert f"baseline: git {branch_point[:12]} (where HEAD" in job.log


def test_a_base_that_cannot_be_fetched_names_fetch_depth(
    runner: Runner, project: Project
) -> None:
    sam_project(project, ARM64)
    workflow = with_step_after_checkout(
        sam_workflow(), {"run": "git remote set-url origin file:///nonexistent/repo.git"}
    )

    (job,) = run_job(runner, project, workflow)

    _, review = review_step(job)
    assert job.status == "failure" and review.exit_code == 2
    errors = [line for line in review.log.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, review.log
    assert "give actions/checkout 'fetch-depth: 0'" in errors[0]
    assert "Traceback" not in job.log
    assert not project.state.check_runs


def test_monorepo_instances_keep_to_their_own_check_and_comments(
    runner: Runner, project: Project
) -> None:
    orders, billing = "services/orders/template.yaml", "services/billing/template.yaml"
    project.on("main", {orders: BASE, billing: BASE})
    project.on("feature", {orders: ARM64, billing: ARM64}, new=True)
    project.publish()
    workflow = readme_workflow("matrix:")

    jobs = run_job(runner, project, workflow)

    assert [j.matrix["service"] for j in jobs] == ["services/orders", "services/billing"]
    assert all(j.status == "failure" for j in jobs)
    checks = project.checks()
    assert {n: c["conclusion"] for n, c in checks.items()} == {
        "latest-guard (services/orders)": "failure",
        "latest-guard (services/billing)": "failure",
    }
    by_path = {c["path"]: c for c in project.comments()}
    assert set(by_path) == {orders, billing}
    assert by_path[orders]["body"].startswith("<!-- latest-guard[services/orders]:finding:")
    summaries = [c["body"].split("\n", 1)[0] for c in project.state.issue_comments.values()]
    assert sorted(summaries) == [
        "<!-- latest-guard[services/billing]:summary -->",
        "<!-- latest-guard[services/orders]:summary -->",
    ]

    # orders is fixed; billing is not. Each instance touches only its own comments.
    project.on("feature", {orders: CODE_ONLY})
    project.publish()
    jobs = run_job(runner, project, workflow)

    assert [j.status for j in jobs] == ["success", "failure"]
    assert [c["path"] for c in project.comments()] == [billing]
    assert project.checks()["latest-guard (services/orders)"]["conclusion"] == "success"
    assert project.checks()["latest-guard (services/billing)"]["conclusion"] == "failure"


def test_a_prebuilt_cloud_assembly_without_a_base_synth_is_neutral_not_green(
    runner: Runner, project: Project
) -> None:
    project.on("main", {"README.md": "orders app\n", ".gitignore": "/cdk.out\n"})
    project.on("feature", {"README.md": "orders app, arm64\n"}, new=True)
    project.publish()
    workflow = with_step_after_checkout(
        readme_workflow("template: cdk.out"),
        {"name": "synthesize (the pull request only)",
         "run": 'cp -r "$ASSEMBLY" cdk.out',
         "env": {"ASSEMBLY": str(CDK_APP / "out" / "arm64-layer")}},
    )
    workflow = with_action_inputs(workflow, **{"synth-command": ""})

    (job,) = run_job(runner, project, workflow)

    action, review = review_step(job)
    assert review.exit_code == 0, job.log
    check = project.checks()["latest-guard (cdk.out)"]
    assert check["conclusion"] == "neutral"
    assert check["output"]["title"] == "baseline missing for OrdersStack"
    assert "cdk.out does not exist at base" in check["output"]["summary"]
    assert "give synth-command" in check["output"]["summary"]
    assert action.outputs["conclusion"] == "neutral"


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_a_workspace_owned_by_another_user_still_works(runner: Runner, project: Project) -> None:
    sam_project(project, ARM64)
    workflow = with_step_after_checkout(
        sam_workflow(), {"run": "chown -R 1001:1001 . && git status 2>&1 | head -1 || true"}
    )

    (job,) = run_job(runner, project, workflow)

    assert "detected dubious ownership" in job.log, "git itself refuses the folder"
    _, review = review_step(job)
    assert review.exit_code == 1, job.log
    assert project.checks()["latest-guard (template.yaml)"]["conclusion"] == "failure"


def test_the_synth_command_runs_on_both_sides_without_the_token(
    runner: Runner, project: Project
) -> None:
    # A "synth" that writes the SAM template from a source file, and records what it sees.
    project.on("main", {"src/template.yaml": BASE, ".gitignore": "/template.yaml\n"})
    project.on("feature", {"src/template.yaml": ARM64}, new=True)
    project.publish()
    seen = project.tmp / "synth-env"
    # The synth's own environment, then the environment of every process above it (any of
    # them could be read through /proc by the synth, which runs as the same user).
    record = (
        f'{{ env; p=$$; while [ "$p" -gt 1 ]; do '
        f"tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null; "
        f"p=$(cut -d' ' -f4 /proc/$p/stat); done; }} > \"{seen}.$$\""
    )
    workflow = with_action_inputs(
        sam_workflow(), **{"synth-command": f"{record} && cp src/template.yaml template.yaml"},
    )

    (job,) = run_job(runner, project, workflow)

    _, review = review_step(job)
    assert review.exit_code == 1, job.log
    assert "(pull request)" in job.log and "(base " in job.log
    # One file per synth (they run at the same time).
    environments = [
        f.read_text(encoding="utf-8") for f in seen.parent.glob(f"{seen.name}.*")
    ]
    assert len(environments) == 2, "one synth on each side"
    token = project.event().token
    for environment in environments:
        assert token not in environment, "the token is in the synth's or an ancestor's env"
        assert "GITHUB_WORKSPACE=" in environment, "the rest of the runner's environment is there"
    assert not list(Path(runner.root).rglob("latest-guard-token.*")), "the token file is gone"
    assert project.checks(), "the review still published with the token"


def test_forks_analyze_then_publish_with_a_verdict_the_fork_cannot_forge(
    runner: Runner, project: Project
) -> None:
    sam_project(project, ARM64)
    project.publish(fork=True)
    analyze = readme_workflow("name: latest-guard analyze")
    (analysed,) = run_job(runner, project, analyze, fork=True)
    assert analysed.status == "success", analysed.log
    assert not project.state.requests, "the fork's run makes no API call"
    # The fork uploads a report that says all is well.
    (uploaded,) = (runner.artifacts).rglob("report.json")
    forged = json.loads(uploaded.read_text(encoding="utf-8"))
    forged["findings"], forged["summary"]["errors"], forged["summary"]["exit_code"] = [], 0, 0
    uploaded.write_text(json.dumps(forged), encoding="utf-8")

    published = publish_fork_report(runner, project)

    _, review = review_step(published)
    assert review.exit_code == 1, published.log
    assert "the uploaded report is not used" in published.log
    check = project.checks()["latest-guard (template.yaml)"]
    assert project.refs is not None
    assert (check["conclusion"], check["head_sha"]) == ("failure", project.refs.head_sha)
    assert len(project.comments()) == 1


def publish_fork_report(runner: Runner, project: Project) -> JobRun:
    """The README's publish workflow, on the workflow_run event of the fork's analyze run."""
    publish = readme_workflow("name: latest-guard publish")
    payload = webhook_example(
        "workflow_run", "completed", lambda e: not e["workflow_run"]["pull_requests"]
    )
    run = payload["workflow_run"]
    refs = project.refs
    assert refs is not None
    run.update(head_sha=refs.head_sha, event="pull_request", head_branch="feature",
               conclusion="success", id=4242)
    run["head_repository"]["full_name"] = "forker/Hello-World"
    run["head_repository"]["owner"]["login"] = "forker"
    main_tip = git(project.remote, "rev-parse", "main")
    github = GitHubContext(
        repository=REPOSITORY, event_name="workflow_run", event=payload, sha=main_tip,
        ref="refs/heads/main", api_url=project.server.url, token=TOKEN,
    )
    (published,) = runner.run_job(
        publish, "publish", github=github, remote=project.remote, actions={ACTION: ROOT},
        env=ENV,
    )
    return published


def _fork_links_template(project: Project, target: str) -> None:
    """The fork's branch: ``template.yaml`` made a symbolic link to ``target``."""
    project.on("main", {"template.yaml": BASE})
    git(project.work, "checkout", "-q", "-b", "feature")
    (project.work / "template.yaml").unlink()
    (project.work / "template.yaml").symlink_to(target)
    git(project.work, "add", "-A")
    git(project.work, "-c", "user.name=f", "-c", "user.email=f@example.com", "commit", "-qm",
        "link")
    project.publish(fork=True)


def _forge(runner: Runner, note: str) -> None:
    """The fork's uploaded report: no findings, and a note of its own on every stack."""
    (uploaded,) = (runner.artifacts).rglob("report.json")
    forged = json.loads(uploaded.read_text(encoding="utf-8"))
    forged["findings"], forged["summary"]["errors"], forged["summary"]["exit_code"] = [], 0, 0
    for stack in forged["stacks"]:
        stack["notes"] = [note]
    uploaded.write_text(json.dumps(forged), encoding="utf-8")


def test_a_forks_link_inside_the_repository_is_followed_and_its_report_never_used(
    runner: Runner, project: Project
) -> None:
    project.on("main", {"infra/stack.yaml": BASE})
    _fork_links_template(project, "infra/stack.yaml")
    git(project.work, "checkout", "-q", "feature")
    (project.work / "infra" / "stack.yaml").write_text(ARM64, encoding="utf-8")
    git(project.work, "add", "-A")
    git(project.work, "-c", "user.name=f", "-c", "user.email=f@example.com", "commit", "-qm",
        "the change, behind the link")
    project.publish(fork=True)
    (analysed,) = run_job(runner, project, readme_workflow("name: latest-guard analyze"),
                          fork=True)
    assert analysed.status == "success", analysed.log
    _forge(runner, "approved by security")

    published = publish_fork_report(runner, project)

    check = project.checks()["latest-guard (template.yaml)"]
    assert check["conclusion"] == "failure", published.log
    assert "LG001" in check["output"]["summary"] and "OrdersFn" in check["output"]["summary"]
    assert "approved by security" not in json.dumps([r.body for r in project.state.requests])
    assert "the uploaded report is not used" in published.log


def test_a_forks_link_outside_the_repository_is_a_failure_naming_it(
    runner: Runner, project: Project
) -> None:
    outside = project.tmp / "runner-secret.yaml"
    outside.write_text(ARM64.replace("OrdersFn", "RunnerSecretFn"), encoding="utf-8")
    _fork_links_template(project, str(outside))
    (analysed,) = run_job(runner, project, readme_workflow("name: latest-guard analyze"),
                          fork=True)
    assert analysed.status == "success", analysed.log
    _forge(runner, "approved by security")

    published = publish_fork_report(runner, project)

    requests = json.dumps([r.body for r in project.state.requests])
    assert "RunnerSecretFn" not in requests and "RunnerSecretFn" not in published.log
    assert "approved by security" not in requests
    check = project.checks()["latest-guard (template.yaml)"]
    assert check["conclusion"] == "failure"
    assert check["output"]["title"].startswith("input error")
    assert "template.yaml" in check["output"]["summary"]
    assert "outside the repository" in check["output"]["summary"]
    assert not project.comments()


def test_a_fork_needing_a_synth_gets_an_unverified_verdict(tmp_path: Path) -> None:
    """The publish run cannot synthesize a fork's CDK app: it publishes the uploaded report,
    and a clean one is neutral, not success."""
    import io

    from reviewer.commands.action import Inputs
    from reviewer.commands.fork import _unverified, _why_not_reanalysed
    from reviewer.report.json_v1 import read_report

    (tmp_path / "r.json").write_text(json.dumps({
        "schema": "latest-guard/report@1", "tool": {"name": "latest-guard", "version": "0"},
        "baseline": "git x", "findings": [],
        "stacks": [{"name": "S", "template": "cdk.out", "baseline": None, "status": "compared",
                    "functions": 1, "changed_functions": [], "notes": []}],
        "summary": {"errors": 0, "warnings": 0, "notices": 0, "suppressed": 0,
                    "fail_on": "error", "exit_code": 0},
    }), encoding="utf-8")

    reason = _why_not_reanalysed(Inputs(synth_command="npx cdk synth"))
    assert reason is not None and "synth" in reason
    report, verdict = _unverified(read_report(tmp_path / "r.json"), reason, io.StringIO())
    assert verdict == "neutral"
    assert report.stacks[0].notes[0].startswith("unverified: ")


def test_a_forks_report_is_published_by_its_structured_fields_only(tmp_path: Path) -> None:
    """Where only the fork's report exists, none of its free text reaches the pull request:
    the findings are re-rendered from rule, severity, stack, function, place and property
    names, under an "unverified" title."""
    import io

    from reviewer.commands.check import CheckOptions, run_check
    from reviewer.commands.fork import _unverified
    from reviewer.github.checks import publish_check
    from reviewer.report import json_v1, markdown
    from reviewer.report.json_v1 import read_report
    from reviewer.rules.registry import catalogue

    folder = FIXTURES / "arm64-layer"
    real = run_check(CheckOptions((folder / "template.yaml",), (folder / "baseline.yaml",)),
                     io.StringIO())
    document = json.loads(json_v1.render(real))
    planted = "approved by security <img src=x> @org/team"
    (finding,) = document["findings"]
    finding["message"] = finding["why"] = planted
    finding["fix"]["summary"] = planted
    finding["fix"]["steps"] = [planted]
    for stack in document["stacks"]:
        stack["notes"] = [planted]
    document["baseline"] = planted
    (tmp_path / "r.json").write_text(json.dumps(document), encoding="utf-8")
    uploaded = read_report(tmp_path / "r.json").with_rules(catalogue())

    report, verdict = _unverified(uploaded, "a synth command is needed", io.StringIO())

    assert verdict == "failure", "the fork's own findings still block"
    for text in (markdown.render(report), markdown.render_full(report)):
        assert "approved by security" not in text and "<img" not in text, text
        assert "LG001" in text and "OrdersFn" in text

    class Repo:
        def create_check_run(self, **fields: Any) -> Any:
            self.fields = fields
            return type("Run", (), {"conclusion": fields["conclusion"]})()

    repo = Repo()
    publish_check(repo, "a" * 40, report, markdown.render(report), "", verdict=verdict,  # type: ignore[arg-type]
                  unverified=True, run_key="latest-guard:this-run")
    assert repo.fields["output"]["title"].startswith("unverified: 1 error")
    assert "approved by security" not in json.dumps(repo.fields)


@pytest.mark.slow
def test_a_second_hosted_run_restores_the_environment_from_the_cache(
    tmp_path: Path, project: Project
) -> None:
    sam_project(project, CODE_ONLY)
    first_runner = Runner(tmp_path / "first")
    with first_runner:
        (first,) = run_job(first_runner, project, sam_workflow())
    # A new hosted runner: its tool cache (at the same path, as on every hosted runner) is
    # empty; the repository's Actions cache is the same.
    shutil.rmtree(first_runner.tool_cache)
    with Runner(tmp_path / "second") as second_runner:
        second_runner.cache = first_runner.cache
        second_runner.tool_cache = first_runner.tool_cache
        first_runner.tool_cache.mkdir()
        (second,) = run_job(second_runner, project, sam_workflow())
    # A self-hosted runner that keeps its tool cache (the one the second run restored).
    with Runner(tmp_path / "first") as kept:
        (third,) = run_job(kept, project, sam_workflow())

    def steps(job: JobRun) -> dict[str, str]:
        action = next(s for s in job.steps if str(s.uses or "").startswith(ACTION))
        return {s.name: s.outcome for s in action.steps}

    assert [j.status for j in (first, second, third)] == ["success"] * 3, first.log
    assert steps(first)["Install the locked dependencies"] == "success"
    assert steps(second)["Restore the environment"] == "success"
    assert steps(second)["Install the locked dependencies"] == "skipped"
    assert steps(third)["Restore the environment"] == "skipped"
    assert steps(third)["Check the environment against the lock"] == "success"
    assert steps(third)["Install the locked dependencies"] == "skipped"


@pytest.mark.slow
def test_a_tool_cache_edited_by_a_pull_request_is_rebuilt_before_it_runs(
    tmp_path: Path, shared_tool_cache: Path
) -> None:
    tools = tmp_path / "tool-cache"
    shutil.copytree(shared_tool_cache, tools, symlinks=True)
    (planted,) = tools.glob("latest-guard/*/lib/python3*/site-packages/yaml/__init__.py")
    proof = tmp_path / "ran"
    planted.write_text(
        planted.read_text(encoding="utf-8") + f"\nopen({str(proof)!r}, 'w').close()\n",
        encoding="utf-8",
    )
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shutil.copy(FIXTURES / "arm64-layer" / "template.yaml", workspace / "t.yaml")

    def run() -> tuple[dict[str, str], str]:
        with Runner(tmp_path / "runner") as runner:
            runner.tool_cache = tools
            done = runner.run_action(
                ROOT, {"template": "t.yaml", "baseline": "none", "mode": "analyze"},
                workspace=workspace, github=GitHubContext(repository=REPOSITORY),
            )
        assert done.status == "success", done.log
        return {s.name: s.outcome for s in done.steps}, done.log

    steps, log = run()
    assert steps["Check the environment against the lock"] == "success"
    assert steps["Install the locked dependencies"] == "success"
    assert re.search(r"yaml/__init__\.py \((?i:pyyaml)-[0-9.]+\.dist-info\) differs from its "
                     r"recorded hash", log), log
    assert "it is rebuilt from the lock" in log
    assert not proof.exists(), "the edited file never ran"
    # the rebuilt environment is trusted by the next run
    steps, log = run()
    assert steps["Install the locked dependencies"] == "skipped"
    assert "the cached environment matches the lock" in log


@pytest.mark.slow
@pytest.mark.realtools
@pytest.mark.skipif(
    not (CDK_APP / "node_modules" / "aws-cdk-lib").is_dir(), reason="run npm ci in tests/apps/cdk"
)
def test_readme_cdk_workflow_synthesizes_both_sides_with_the_real_toolkit(
    runner: Runner, project: Project
) -> None:
    app = {
        str(p.relative_to(CDK_APP)): p.read_text(encoding="utf-8")
        for folder in ("bin", "lib", "lambda", "layers")
        for p in sorted((CDK_APP / folder).rglob("*")) if p.is_file()
    }
    for name in ("package.json", "package-lock.json"):
        app[name] = (CDK_APP / name).read_text(encoding="utf-8")
    config = json.loads((CDK_APP / "cdk.json").read_text(encoding="utf-8"))
    config["context"]["variant"] = "baseline"
    app["cdk.json"] = json.dumps(config, indent=2)
    app[".gitignore"] = "/node_modules\n/cdk.out\n"
    project.on("main", app)
    config["context"]["variant"] = "arm64-layer"
    project.on("feature", {"cdk.json": json.dumps(config, indent=2)}, new=True)
    project.publish()
    npm = {
        # The runner's npm would download; here the packages come from this machine's cache.
        "npm_config_cache": str(Path.home() / ".npm"),
        "npm_config_prefer_offline": "true",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DEFAULT_ACCOUNT": "123456789012",
        "CDK_DEFAULT_REGION": "us-east-1",
    }

    (job,) = run_job(runner, project, readme_workflow("template: cdk.out"), env=npm)

    action, review = review_step(job)
    assert review.exit_code == 1, job.log
    assert "finished in" in job.log and "(base " in job.log and "(pull request)" in job.log
    check = project.checks()["latest-guard (cdk.out)"]
    assert check["conclusion"] == "failure"
    report = json.loads(
        (job.workspace / action.outputs["report-path"]).read_text(encoding="utf-8")
    )
    assert {(f["rule"], f["stack"]) for f in report["findings"]} == {("LG001", "OrdersStack")}


def test_readme_phase_one_workflow_opens_the_phase_one_pull_request(
    runner: Runner, project: Project
) -> None:
    refs = sam_project(project, ARM64)
    project.state.git_dir = project.remote  # GitHub's copy: the branch is written there

    (job,) = run_job(runner, project, readme_workflow("phase-one: pull-request   #"))

    _, review = review_step(job)
    assert job.status == "failure" and review.exit_code == 1, job.log  # #2 still races
    branch = branch_name(2, "template.yaml")  # the instance, named after its template
    assert branch.startswith("latest-guard/phase-one/pr-2-template-yaml-")
    (pull,) = [p for p in project.state.pulls.values() if p.head_ref == branch]
    assert (pull.number, pull.base_ref) == (3, "main")
    assert pull.title == "Route the callers of OrdersFn through an alias (phase one)"
    head = git(project.remote, "rev-parse", f"refs/heads/{branch}")
    assert git(project.remote, "rev-parse", f"{head}^") == refs.base_sha
    phase_one = git(project.remote, "show", f"{head}:template.yaml")
    assert "Type: AWS::Lambda::Alias" in phase_one and "Architectures: [x86_64]" in phase_one
    (comment,) = project.comments()
    assert "merge and deploy [#3](https://github.com/" in comment["body"]
    assert "opened phase one #3" in job.log
