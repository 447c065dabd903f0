"""The Action end to end: ``reviewer.commands.action`` against the stand-in GitHub API.

Each test builds a git repository whose base commit holds the deployed templates and whose
head commit holds the pull request's, writes a real webhook payload (from
``@octokit/webhooks-examples``, adapted to that repository's commits) as the event file, and
runs the entry point with the variables the runner sets. PyGithub talks HTTP to
``tests/github_server.py``, which checks every request against GitHub's OpenAPI description.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from github_server import (
    HUMAN,
    GitHubServer,
    GitHubState,
    Pull,
    PullFile,
    iter_requests,
    needs_openapi,
    webhook_example,
)

from reviewer.commands.action import main
from reviewer.contract.enums import FailOn

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "Codertocat/Hello-World"
CANARY = "canary-secret-value-7f3a"  # an environment value in the code-env fixture
ORDERS = "infra/orders.yaml"
BILLING = "infra/billing.json"

pytestmark = needs_openapi


def _fixture(case: str, side: str) -> str:
    return next((FIXTURES / case).glob(f"{side}.*")).read_text(encoding="utf-8")


DEPLOYED = {ORDERS: _fixture("arm64-layer", "baseline"), BILLING: _fixture("code-env", "baseline")}
ARM64 = {
    ORDERS: _fixture("arm64-layer", "template"),
    # code-env's change, written as a person edits the file (two lines, not reformatted).
    BILLING: DEPLOYED[BILLING]
    .replace("worker/aaaa.zip", "worker/bbbb.zip")
    .replace('"LOG_LEVEL": "info"', f'"LOG_LEVEL": "info", "PAYMENTS_API_TOKEN": "{CANARY}"'),
}
# The fix: ship the code change alone (code-only changes do not race).
CODE_ONLY = {
    ORDERS: DEPLOYED[ORDERS].replace("orders/1111.zip", "orders/3333.zip"),
    BILLING: DEPLOYED[BILLING].replace("worker/aaaa.zip", "worker/cccc.zip"),
}


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
         *args],
        cwd=repo, capture_output=True, text=True, check=True,
    )
    return result.stdout.strip()


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _patch(before: str, after: str) -> str:
    """The ``patch`` GitHub lists for a file: hunks only, three lines of context."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), n=3, lineterm="")
    return "\n".join(list(lines)[2:])


@dataclass
class Scenario:
    """A repository, its pull request on the stand-in server, and the runner's files."""

    server: GitHubServer
    tmp: Path
    workspace: Path
    base_sha: str = ""
    head_sha: str = ""
    number: int = 2
    log: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> GitHubState:
        return self.server.state

    def commit(self, files: dict[str, str]) -> str:
        """A new head commit with ``files``; the pull request follows it."""
        _write(self.workspace, files)
        _git(self.workspace, "add", "-A")
        _git(self.workspace, "commit", "-q", "-m", "change")
        self.head_sha = _git(self.workspace, "rev-parse", "HEAD")
        pull = self.state.pulls[self.number]
        pull.head_sha = self.head_sha
        pull.files = [
            PullFile(name, _patch(DEPLOYED.get(name, ""), text)) for name, text in files.items()
        ]
        return self.head_sha

    def pull_request_event(self, *, fork: bool = False) -> dict[str, Any]:
        payload = webhook_example("pull_request", "synchronize")
        pull = payload["pull_request"]
        pull["number"] = payload["number"] = self.number
        pull["head"]["sha"], pull["base"]["sha"] = self.head_sha, self.base_sha
        pull["base"]["ref"] = "main"  # the repository's branch (the example says master)
        if fork:
            pull["head"]["repo"]["full_name"] = "forker/Hello-World"
        return payload

    def workflow_run_event(self) -> dict[str, Any]:
        payload = webhook_example(
            "workflow_run", "completed", lambda e: not e["workflow_run"]["pull_requests"]
        )
        run = payload["workflow_run"]
        run["head_sha"], run["event"], run["head_branch"] = self.head_sha, "pull_request", "feature"
        run["head_repository"]["full_name"] = "forker/Hello-World"
        run["head_repository"]["owner"]["login"] = "forker"
        run["repository"]["full_name"] = payload["repository"]["full_name"] = REPOSITORY
        return payload

    def run(
        self,
        event: dict[str, Any],
        event_name: str = "pull_request",
        *,
        token: str = "write-token",
        workflow_token: bool = True,
        subprocess_run: bool = False,
        workspace: Path | None = None,
        github_output_dir: bool = False,
        **inputs: str,
    ) -> int:
        """Run the action as the runner does; returns its exit status (log in ``self.log``).
        ``workflow_token``: ``token`` is the workflow's ``GITHUB_TOKEN``, as action.yml
        tells the review when ``github-token`` is left at its default."""
        event_path = self.tmp / "event.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        for name in ("output", "summary"):
            (self.tmp / name).write_text("", encoding="utf-8")
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_OUTPUT": str(self.tmp / "output"),
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary"),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_SHA": "f" * 40,  # the merge commit: not where the check belongs
            "GITHUB_API_URL": self.server.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_WORKSPACE": str(workspace or self.workspace),
            "LATEST_GUARD_RETRY_BACKOFF": "0.01",
            "LATEST_GUARD_WRITE_INTERVAL": "0",
            "INPUT_TEMPLATE": f"{ORDERS}\n{BILLING}",
            "INPUT_BASELINE": "git",
            "INPUT_GITHUB-TOKEN": token,
            "LATEST_GUARD_WORKFLOW_TOKEN": str(workflow_token).lower(),
            "INPUT_MODE": "full",
            "INPUT_COMMENT": "review",
        }
        env.update({f"INPUT_{k.replace('_', '-').upper()}": v for k, v in inputs.items()})
        if github_output_dir:
            env["GITHUB_OUTPUT"] = str(self.tmp)  # a folder: no file can be written there
        self.env = env
        if subprocess_run:
            full = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.tmp), **env}
            done = subprocess.run(
                [sys.executable, "-P", "-m", "reviewer.commands.action"], env=full,
                cwd=workspace or self.workspace, capture_output=True, text=True, timeout=120,
                check=False,
            )
            self.log = done.stdout + done.stderr
            return done.returncode
        out = io.StringIO()
        with contextlib.chdir(workspace or self.workspace):  # the runner's working directory
            code = main(env, out)
        self.log = out.getvalue()
        return code

    def outputs(self) -> dict[str, str]:
        lines = (self.tmp / "output").read_text(encoding="utf-8").splitlines()
        values: dict[str, str] = {}
        while lines:
            name, _, delimiter = lines.pop(0).partition("<<")
            end = lines.index(delimiter)
            values[name] = "\n".join(lines[:end])
            del lines[: end + 1]
        return values

    def step_summary(self) -> str:
        return (self.tmp / "summary").read_text(encoding="utf-8")

    def our_comments(self) -> list[dict[str, Any]]:
        return [c for c in self.state.comments_of(self.number) if c["user"]["type"] == "Bot"]

    def summaries(self) -> list[dict[str, Any]]:
        return [c for c in self.state.issue_comments.values()
                if re.match(r"<!-- latest-guard(\[[^]]*\])?:summary -->", c["body"])]


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[Scenario]:
    with open_scenario(tmp_path) as found:
        yield found


@contextlib.contextmanager
def open_scenario(tmp_path: Path) -> Iterator[Scenario]:
    """The repository with the deployed templates on main, pull request #2 changing them
    (``ARM64``), and the stand-in server; on the way out, no request broke GitHub's API
    description and no secret left."""
    workspace = tmp_path / "repo"
    workspace.mkdir()
    _git(workspace, "init", "-q", "-b", "main")
    _write(workspace, DEPLOYED)
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-q", "-m", "deployed")
    base = _git(workspace, "rev-parse", "HEAD")
    state = GitHubState(REPOSITORY)
    with GitHubServer(state) as server:
        state.add_pull(Pull(2, base, base, REPOSITORY))
        found = Scenario(server, tmp_path, workspace, base_sha=base)
        found.commit(ARM64)
        yield found
        assert state.violations == [], "requests that GitHub's API description does not allow"
        _assert_no_secret(found)


def _assert_no_secret(scenario: Scenario) -> None:
    """No environment value of a template ever leaves: not in a request, log or summary."""
    sent = json.dumps([r.body for r in scenario.state.requests])
    for where, text in (("requests", sent), ("log", scenario.log),
                        ("job summary", scenario.step_summary())):
        assert CANARY not in text, f"an environment value leaked into the {where}"


# --- the tests -------------------------------------------------------------------------------


def test_first_run_reviews_summarises_and_fails_the_check(scenario: Scenario) -> None:
    code = scenario.run(scenario.pull_request_event(), subprocess_run=True)

    assert code == 1, scenario.log  # the step fails as the check does
    assert "::error title=latest-guard::2 errors · 0 warnings · 0 notices: a finding reaches " \
        "fail-on error" in scenario.log
    state = scenario.state
    (check,) = state.check_runs.values()
    name = f"latest-guard ({ORDERS}, {BILLING})"  # the instance, named after its templates
    assert (check["name"], check["head_sha"]) == (name, scenario.head_sha)
    assert check["conclusion"] == "failure"
    assert check["output"]["title"].startswith("2 errors")
    assert {(a["path"], a["annotation_level"]) for a in check["annotations"]} == {
        (ORDERS, "failure"), (BILLING, "failure"),
    }
    # One review; the orders finding sits on the line that switches the architecture.
    (review,) = state.reviews.values()
    comments = {c["path"]: c for c in scenario.our_comments()}
    orders = comments[ORDERS]
    assert orders["subject_type"] == "line" and orders["line"] == 9
    assert ARM64[ORDERS].splitlines()[8].strip() == "Architectures: [arm64]"
    assert orders["body"].startswith(f"<!-- latest-guard[{ORDERS}, {BILLING}]:finding:")
    assert "**LG001 latest-race (error)**" in orders["body"]
    # Two-phase: no edit of this pull request removes the finding, so nothing is suggested.
    assert not any("```suggestion" in c["body"] for c in scenario.our_comments())
    assert (comments[BILLING]["subject_type"], comments[BILLING]["line"]) == ("line", 9)
    assert "PAYMENTS_API_TOKEN" not in json.dumps(review)
    (summary,) = scenario.summaries()
    assert "### latest-guard · 2 errors" in summary["body"]
    assert scenario.head_sha[:7] in summary["body"]
    outputs = scenario.outputs()
    assert outputs == {"findings": "2", "errors": "2", "warnings": "0",
                       "report-path": "latest-guard-report.json", "conclusion": "failure",
                       "check-name": name}
    assert "### latest-guard · 2 errors" in scenario.step_summary()
    report = json.loads((scenario.workspace / "latest-guard-report.json").read_text())
    assert report["schema"] == "latest-guard/report@1"
    assert {f["location"]["path"] for f in report["findings"]} == {ORDERS, BILLING}


def test_rerun_on_the_same_commit_posts_nothing_new(scenario: Scenario) -> None:
    for n in range(120):  # a busy conversation: the summary lands on the second page
        comment_id = scenario.state.next_id()
        scenario.state.issue_comments[comment_id] = {
            "id": comment_id, "issue_number": 2, "body": f"comment {n}", "user": HUMAN,
            "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
            "author_association": "MEMBER",
        }
    scenario.run(scenario.pull_request_event())
    comments = {c["id"] for c in scenario.our_comments()}
    summary = scenario.summaries()[0]["body"]
    before = len(scenario.state.requests)

    assert scenario.run(scenario.pull_request_event(), fail_step="false") == 0

    again = scenario.state.requests[before:]
    posted = [r.path for r in again if r.method in ("POST", "PATCH", "DELETE")]
    assert posted == [f"/repos/{REPOSITORY}/check-runs"], "only the check run is made again"
    assert {c["id"] for c in scenario.our_comments()} == comments
    assert len(scenario.state.reviews) == 1
    assert scenario.summaries()[0]["body"] == summary


def test_fixed_pull_request_deletes_old_comments_and_passes(scenario: Scenario) -> None:
    scenario.run(scenario.pull_request_event())
    billing = next(c for c in scenario.our_comments() if c["path"] == BILLING)
    reply = scenario.state.next_id()
    scenario.state.review_comments[reply] = {
        **billing, "id": reply, "body": "We deploy billing by hand, see runbook.",
        "user": HUMAN, "in_reply_to_id": billing["id"],
    }

    scenario.commit(CODE_ONLY)
    assert scenario.run(scenario.pull_request_event()) == 0

    state = scenario.state
    assert [c["path"] for c in scenario.our_comments()] == [BILLING], (
        "the orders comment is deleted; the billing one has a reply and stays"
    )
    latest = max(state.check_runs.values(), key=lambda r: r["id"])
    assert (latest["conclusion"], latest["head_sha"]) == ("success", scenario.head_sha)
    (summary,) = scenario.summaries()
    assert "✓ no findings" in summary["body"]
    assert scenario.head_sha[:7] in summary["body"]
    assert scenario.outputs()["conclusion"] == "success"


def test_fork_with_read_only_token_degrades_to_annotations(scenario: Scenario) -> None:
    code = scenario.run(
        scenario.pull_request_event(fork=True), token="read-token", sarif_file="lg.sarif"
    )

    assert code == 1, "no check run: the exit status gives the verdict"
    state = scenario.state
    assert not state.check_runs and not state.reviews and not state.issue_comments
    assert {r.status for r in state.writes()} == {403}
    assert f"::error file={ORDERS},line=3,title=LG001 latest-race::" in scenario.log
    assert "read-only token" in scenario.log and "mode: analyze" in scenario.log
    assert "### latest-guard · 2 errors" in scenario.step_summary()
    assert scenario.outputs()["conclusion"] == "failure"
    sarif = json.loads((scenario.workspace / "lg.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == 2


def test_analyze_then_publish_from_workflow_run(scenario: Scenario, tmp_path: Path) -> None:
    assert scenario.run(
        scenario.pull_request_event(fork=True), token="read-token", mode="analyze",
        report_path="out/report.json",
    ) == 0
    assert scenario.state.requests == [], "analyze makes no API call"
    assert "::error file=infra/orders.yaml" in scenario.log
    artifact = tmp_path / "artifact"
    artifact.mkdir()
    (artifact / "report.json").write_bytes((scenario.workspace / "out/report.json").read_bytes())

    # Without a checkout the head commit cannot be analysed again: an input error, and a
    # failing check that names it; the uploaded report never stands in for the analysis.
    code = scenario.run(
        scenario.workflow_run_event(), "workflow_run", mode="publish",
        report_path="report.json", workspace=artifact,
    )

    assert code == 2, scenario.log
    assert "unverified" not in scenario.log
    state = scenario.state
    (check,) = state.check_runs.values()
    assert (check["head_sha"], check["conclusion"]) == (scenario.head_sha, "failure")
    assert check["output"]["title"].startswith("input error")
    assert "git" in check["output"]["summary"], check["output"]["summary"]
    assert not scenario.our_comments() and not scenario.summaries()


def test_line_outside_githubs_diff_falls_back_to_a_file_comment(scenario: Scenario) -> None:
    def on_line_9(body: Any) -> bool:
        items = body.get("comments", [body]) if isinstance(body, dict) else []
        return any(i.get("path") == ORDERS and i.get("line") == 9 for i in items)

    for path in (r"/pulls/2/reviews$", r"/pulls/2/comments$"):
        scenario.state.inject(
            "POST", path, 422, "Unprocessable Entity", when=on_line_9,
            errors=["Pull request review thread line must be part of the diff"],
        )

    assert scenario.run(scenario.pull_request_event()) == 1

    comments = {c["path"]: c for c in scenario.our_comments()}
    assert comments[ORDERS]["subject_type"] == "file"
    assert comments[ORDERS]["body"].count(":finding:") == 1
    assert "GitHub refused the review" in scenario.log
    assert len(scenario.our_comments()) == 2


def test_rate_limits_and_server_errors_are_retried(scenario: Scenario) -> None:
    scenario.state.inject(
        "POST", r"/pulls/2/reviews$", 403,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
        "again.",
        headers={"Retry-After": "1"},
    )
    scenario.state.inject("POST", r"/issues/2/comments$", 502, "Server Error")

    assert scenario.run(scenario.pull_request_event(), fail_step="false") == 0

    attempts = list(iter_requests(scenario.state, "POST", r"/pulls/2/reviews$"))
    assert [a.status for a in attempts] == [403, 200]
    assert attempts[1].at - attempts[0].at >= 1.0, "retry-after is honoured"
    assert len(scenario.state.reviews) == 1
    summaries = list(iter_requests(scenario.state, "POST", r"/issues/2/comments$"))
    assert [a.status for a in summaries] == [502, 201]
    assert len(scenario.summaries()) == 1


def _post_as(scenario: Scenario, token: str, path: str, body: dict[str, Any]) -> None:
    """A write to the stand-in with ``token``, as another user's client makes it."""
    request = urllib.request.Request(
        f"{scenario.server.url}/repos/{REPOSITORY}{path}", data=json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status in (200, 201)


APP = {"login": "lg-reviewer[bot]", "id": 9000001, "type": "Bot"}


@pytest.mark.parametrize(
    ("token", "workflow_token", "login"),
    [("write-token", True, "github-actions[bot]"),  # the workflow's GITHUB_TOKEN
     ("app-token", False, APP["login"]),  # an App's installation token: GraphQL viewer
     ("octocat-token", False, "octocat")],  # a personal token: GET /user
)
def test_another_users_comments_with_our_markers_are_never_ours(
    scenario: Scenario, token: str, workflow_token: bool, login: str
) -> None:
    state = scenario.state
    state.tokens["app-token"], state.users["app-token"] = True, APP
    state.installation.add("app-token")
    scenario.run(scenario.pull_request_event())  # what latest-guard posts, to copy from
    (summary,) = scenario.summaries()
    posted = scenario.our_comments()
    (review,) = state.reviews.values()
    state.issue_comments.clear()
    state.review_comments.clear()
    state.reviews.clear()
    # Another user pastes every marker: a summary, each finding on its line, a review body.
    _post_as(scenario, "mallory-token", "/issues/2/comments",
             {"body": summary["body"].replace("2 errors", "all clear, approved by security")})
    for comment in posted:
        _post_as(scenario, "mallory-token", "/pulls/2/comments", {
            "body": comment["body"], "commit_id": scenario.head_sha, "path": comment["path"],
            "line": comment["line"], "side": "RIGHT"})
    _post_as(scenario, "mallory-token", "/pulls/2/reviews", {
        "body": review["body"] + "".join(
            c["body"].split("\n", 1)[0] + "\n" for c in posted), "event": "COMMENT"})
    theirs = {**{c["id"]: c["body"] for c in state.issue_comments.values()},
              **{c["id"]: c["body"] for c in state.review_comments.values()}}

    assert scenario.run(scenario.pull_request_event(), token=token,
                        workflow_token=workflow_token) == 1
    scenario.commit(CODE_ONLY)  # fixed: our comments would be deleted, theirs must stay
    assert scenario.run(scenario.pull_request_event(), token=token,
                        workflow_token=workflow_token) == 0

    kept = {**{c["id"]: c["body"] for c in state.issue_comments.values()},
            **{c["id"]: c["body"] for c in state.review_comments.values()}}
    assert {k: kept.get(k) for k in theirs} == theirs, "another user's comment was touched"
    mine = [c for c in state.review_comments.values() if c["user"]["login"] == login]
    assert not mine, "our own comments of the fixed findings are deleted"
    ours = [c for c in state.issue_comments.values() if c["user"]["login"] == login]
    assert len(ours) == 1 and "✓ no findings" in ours[0]["body"], "our own summary, edited"
    first = [r for r in state.reviews.values() if r["user"]["login"] == login]
    assert len(first) == 1, "the findings were posted, not counted as posted by the copies"
    assert {c["user"]["login"] for c in scenario.state.review_comments.values()} == {"mallory"}
    identity = [r.path for r in state.requests if r.path in ("/user", "/graphql")]
    assert identity == {"write-token": [], "app-token": ["/user", "/graphql"] * 2,
                        "octocat-token": ["/user"] * 2}[token]


def test_a_write_that_landed_before_a_502_is_not_made_twice(scenario: Scenario) -> None:
    state = scenario.state
    for path in (r"/pulls/2/reviews$", r"/issues/2/comments$", r"/check-runs$"):
        state.inject("POST", path, 502, "Server Error", landed=True)

    assert scenario.run(scenario.pull_request_event(), fail_step="false") == 0

    for path in (r"/pulls/2/reviews$", r"/issues/2/comments$", r"/check-runs$"):
        sent = [r.status for r in iter_requests(state, "POST", path)]
        assert sent == [502], f"POST {path} was sent again after it had landed"
    assert len(state.reviews) == 1 and len(scenario.our_comments()) == 2
    assert len(scenario.summaries()) == 1 and len(state.check_runs) == 1
    assert scenario.log.count("was lost, but it was done") == 3
    assert "::warning" not in scenario.log, "nothing is reported as not published"


def test_a_write_lost_before_it_landed_is_made_once(scenario: Scenario) -> None:
    scenario.state.inject("POST", r"/pulls/2/reviews$", 502, "Server Error")

    assert scenario.run(scenario.pull_request_event(), fail_step="false") == 0

    sent = [r.status for r in iter_requests(scenario.state, "POST", r"/pulls/2/reviews$")]
    assert sent == [502, 200]
    assert len(scenario.state.reviews) == 1 and len(scenario.our_comments()) == 2
    assert "was lost and it was not done: sending it again" in scenario.log


def test_a_primary_rate_limit_names_itself_and_when_it_resets(scenario: Scenario) -> None:
    reset = int(time.time()) + 1800
    scenario.state.rate_limit_until = reset

    assert scenario.run(scenario.pull_request_event(), fail_step="false") == 0

    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(reset))
    failed = [line for line in scenario.log.splitlines() if "could not" in line]
    assert [line.partition(":")[2].strip().partition(":")[0] for line in failed] == [
        "could not create the check run", "could not update the summary comment",
        "could not post the review",
    ]
    assert all(f"API rate limit for this token is used up (5000 requests an hour); it "
               f"resets at {when}" in line for line in failed), scenario.log
    assert "permission" not in scenario.log and "checks: write" not in scenario.log
    assert not scenario.state.check_runs and not scenario.state.reviews
    assert len(scenario.state.requests) < 10, "no waiting out an hour's reset"


def _many_functions(count: int, arm64: bool) -> str:
    lines = ["Resources:"]
    for n in range(count):
        arch = "arm64" if arm64 else "x86_64"
        layer = f"deps-{arch}:{2 if arm64 else 1}"
        lines += [
            f"  Fn{n:03d}:", "    Type: AWS::Lambda::Function", "    Properties:",
            "      Runtime: python3.12", "      Handler: app.handler",
            "      Role: arn:aws:iam::123456789012:role/fn",
            f"      Architectures: [{arch}]",
            f"      Code: {{S3Bucket: artifacts, S3Key: fn/{n}-{arch}.zip}}",
            f"      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:{layer}]",
            f"  Rule{n:03d}:", "    Type: AWS::Events::Rule", "    Properties:",
            "      ScheduleExpression: rate(1 day)",
            f"      Targets: [{{Id: t, Arn: !GetAtt Fn{n:03d}.Arn}}]",
        ]
    return "\n".join(lines) + "\n"


def _many_report(tmp: Path, path: str, count: int) -> str:
    """A report@1 with ``count`` findings on ``path``: the arm64-layer finding, once per
    function of ``_many_functions``, each on its function's line."""
    from reviewer.commands.check import CheckOptions, run_check
    from reviewer.contract.findings import Location
    from reviewer.contract.report import Report
    from reviewer.report import json_v1

    folder = FIXTURES / "arm64-layer"
    template, baseline = (next(folder.glob(f"{side}.*")) for side in ("template", "baseline"))
    report = run_check(CheckOptions((template,), (baseline,)), io.StringIO())
    (finding,) = report.findings
    findings = tuple(
        replace(finding, resource=f"Fn{n:03d}", location=Location(path, 2 + 14 * n),
                fix=replace(finding.fix, change=None) if finding.fix else None)
        for n in range(count)
    )
    document = tmp / "report.json"
    document.write_text(json_v1.render(Report(findings, report.stacks, "git main", FailOn.ERROR)))
    return document.name


def test_many_findings_are_capped_batched_and_cut_with_a_pointer(scenario: Scenario) -> None:
    many = "infra/many.yaml"
    before, after = _many_functions(70, arm64=False), _many_functions(70, arm64=True)
    scenario.state.pulls[2].files = [PullFile(many, _patch(before, after))]
    artifact = scenario.tmp / "artifact"
    artifact.mkdir()
    name = _many_report(artifact, many, 70)
    # The answer to the annotation update is lost after it landed: appended once, not twice.
    scenario.state.inject("PATCH", r"/check-runs/\d+$", 502, "Server Error", landed=True)

    code = scenario.run(
        scenario.pull_request_event(), mode="publish", report_path=name, workspace=artifact,
        fail_step="false", synth_command="npx cdk synth",  # so the uploaded report stands
    )

    assert code == 0, scenario.log
    state = scenario.state
    (summary,) = scenario.summaries()
    assert len(summary["body"]) <= 65536
    # every finding keeps its row; the details shrink so that nothing is cut
    assert "cut to fit" not in summary["body"]
    assert all(f"`Fn{n:03d}`" in summary["body"] for n in range(70))
    assert "Fn069" in scenario.step_summary(), "the job summary keeps every finding"
    (check,) = state.check_runs.values()
    assert len(check["annotations"]) == 70
    patches = list(iter_requests(state, "PATCH", r"/check-runs/\d+$"))
    assert len(patches) == 1, "50 annotations with the creation, 20 in one update"
    assert patches[0].status == 502 and "an annotation batch was lost, but it was done" in \
        scenario.log
    assert len(check["output"]["summary"]) <= 65535
    comments = scenario.our_comments()
    assert len(comments) == 30
    assert {c["line"] for c in comments} == {8 + 14 * n for n in range(30)}, "Architectures lines"
    reviews = [r["body"] for r in state.reviews.values()]
    assert sum(body.count(":finding:") for body in reviews) == 40
    assert all(len(body) <= 65536 for body in reviews)


def test_every_one_of_100_findings_can_be_read_where_the_pull_request_says(
    scenario: Scenario,
) -> None:
    from reviewer.commands.fork import structured
    from reviewer.report.json_v1 import read_report
    from reviewer.report.markdown import DETAILS_FOLLOW, finding_body, headline
    from reviewer.rules.registry import catalogue

    many = "infra/many.yaml"
    before, after = _many_functions(100, arm64=False), _many_functions(100, arm64=True)
    scenario.state.pulls[2].files = [PullFile(many, _patch(before, after))]
    artifact = scenario.tmp / "artifact"
    artifact.mkdir()
    name = _many_report(artifact, many, 100)
    # a report that needed a synth stands, as its structured fields (see reviewer.commands.fork)
    findings = structured(read_report(artifact / name).with_rules(catalogue()), "").findings

    def publish() -> int:
        return scenario.run(
            scenario.pull_request_event(), mode="publish", report_path=name,
            workspace=artifact, fail_step="false", synth_command="npx cdk synth",
        )

    assert publish() == 0, scenario.log
    state = scenario.state
    inline = [c["body"] for c in scenario.our_comments()]
    reviews = [r["body"] for r in state.reviews.values()]
    (summary,) = scenario.summaries()
    details = [c["body"] for c in state.issue_comments.values()
               if re.match(r"<!-- latest-guard(\[[^]]*\])?:summary-details:\d+ -->", c["body"])]
    (check,) = state.check_runs.values()
    bodies = [*inline, *reviews, summary["body"], *details, check["output"]["summary"]]
    assert all(len(b) <= 65535 for b in bodies)
    assert len(inline) == 30
    for finding in findings:
        text = finding_body(finding)
        assert any(text in b for b in inline + reviews), f"{finding.resource}: text not posted"
    # a review lists a finding as posted only where it shows that finding's text
    for body in reviews:
        listed = set(re.findall(r":finding:([0-9a-f]{16}) -->", body))
        shown = [f for f in findings if finding_body(f) in body]
        assert listed == {f.fingerprint for f in shown}
        count = re.search(r"· (\d+) findings? in this review", body)
        assert count is not None and int(count.group(1)) == len(shown), body[:400]
    assert sum(b.count(":finding:") for b in reviews) == 70
    # the summary has no room for the details: it says where they are, and they are there
    assert DETAILS_FOLLOW in summary["body"]
    assert "review comment" not in summary["body"]
    assert details, "the details comments the summary points at"
    for finding in findings:
        # a <details> summary line is HTML: its code is a <code> element (reviewer/report/escape)
        assert any(f"<code>{finding.resource}</code>" in d and headline(finding) in d
                   for d in details)
    assert "70 in the review body" in scenario.log

    # a re-run on the same commit posts nothing again and leaves the details as they are
    writes = len(state.writes())
    assert publish() == 0, scenario.log
    assert len(state.reviews) == len(reviews) and len(scenario.our_comments()) == 30
    assert [w for w in state.writes()[writes:] if "/check-runs" not in w.path] == []


def test_details_comments_are_the_tokens_own_and_made_once(scenario: Scenario) -> None:
    from reviewer.commands.fork import structured
    from reviewer.report.json_v1 import read_report
    from reviewer.report.markdown import headline
    from reviewer.rules.registry import catalogue

    many = "infra/many.yaml"
    before, after = _many_functions(100, arm64=False), _many_functions(100, arm64=True)
    state = scenario.state
    state.pulls[2].files = [PullFile(many, _patch(before, after))]
    artifact = scenario.tmp / "artifact"
    artifact.mkdir()
    name = _many_report(artifact, many, 100)
    findings = structured(read_report(artifact / name).with_rules(catalogue()), "").findings
    part = "<!-- latest-guard[infra/orders.yaml, infra/billing.json]:summary-details:{} -->"
    # Another user pastes details markers: part 1 (which this run writes) and part 9 (which
    # it does not: a stale part of ours would be deleted).
    for number in (1, 9):
        _post_as(scenario, "mallory-token", "/issues/2/comments",
                 {"body": part.format(number) + "\nall clear, approved by security"})
    theirs = {c["id"]: c["body"] for c in state.issue_comments.values()}
    # GitHub carries out the first details comment but its answer is lost.
    state.inject("POST", r"/issues/2/comments$", 502, "Server Error", landed=True,
                 when=lambda body: ":summary-details:1 -->" in str(body))

    assert scenario.run(
        scenario.pull_request_event(), mode="publish", report_path=name, workspace=artifact,
        fail_step="false", synth_command="npx cdk synth",
    ) == 0, scenario.log

    kept = {c["id"]: c["body"] for c in state.issue_comments.values()}
    assert {k: kept.get(k) for k in theirs} == theirs, "another user's comment was touched"
    ours = [c["body"] for c in state.issue_comments.values() if c["user"]["type"] == "Bot"
            and re.match(r"<!-- latest-guard(\[[^]]*\])?:summary-details:\d+ -->", c["body"])]
    numbers = sorted(int(re.findall(r":summary-details:(\d+) -->", b)[0]) for b in ours)
    assert numbers == list(range(1, len(numbers) + 1)), "each part once, none taken as there"
    for finding in findings:
        assert any(headline(finding) in b for b in ours), f"{finding.resource}: no details"
    assert "was lost, but it was done" in scenario.log


def test_comment_summary_posts_the_summary_and_no_review(scenario: Scenario) -> None:
    assert scenario.run(scenario.pull_request_event(), comment="summary", fail_on="never") == 0
    assert len(scenario.summaries()) == 1
    assert not scenario.state.reviews and not scenario.our_comments()
    (check,) = scenario.state.check_runs.values()
    assert check["conclusion"] == "neutral", "findings below fail-on show but do not block"


def test_the_stand_in_refuses_what_github_would(tmp_path: Path) -> None:
    from github import Auth, Github, GithubException

    state = GitHubState(REPOSITORY)
    with GitHubServer(state) as server:
        client = Github(auth=Auth.Token("write-token"), base_url=server.url, retry=None,
                        seconds_between_writes=0, lazy=True)
        repo = client.get_repo(REPOSITORY)
        with pytest.raises(GithubException) as refused:
            repo.create_check_run(name="x", head_sha="a" * 40, conclusion="green")
        assert refused.value.status == 422
        with pytest.raises(GithubException) as unknown:
            repo.get_pull(2).get_commits().totalCount  # noqa: B018 - the request is the test
        assert unknown.value.status == 404
    assert any("conclusion" in v for v in state.violations)
    assert any("not served by this stand-in" in v for v in state.violations)


def test_a_clean_pull_request_gets_a_green_check_and_no_comment(scenario: Scenario) -> None:
    scenario.commit(CODE_ONLY)
    assert scenario.run(scenario.pull_request_event()) == 0
    (check,) = scenario.state.check_runs.values()
    assert (check["conclusion"], check["output"]["title"]) == ("success", "no findings")
    assert not scenario.state.issue_comments and not scenario.state.reviews


def test_a_fix_verified_to_remove_its_finding_is_offered_as_a_suggestion(
    scenario: Scenario,
) -> None:
    stale = "infra/stale.yaml"
    _write(scenario.workspace, {stale: _fixture("stale-version", "baseline")})
    _git(scenario.workspace, "add", "-A")
    _git(scenario.workspace, "commit", "-q", "-m", "deployed: a versioned function")
    scenario.base_sha = _git(scenario.workspace, "rev-parse", "HEAD")
    scenario.state.pulls[scenario.number].base_sha = scenario.base_sha
    scenario.commit({stale: _fixture("stale-version", "template")})
    code = scenario.run(scenario.pull_request_event(), template=f"{ORDERS}\n{BILLING}\n{stale}")
    assert code == 0, scenario.log  # LG002 is a warning
    (comment,) = scenario.our_comments()
    assert comment["path"] == stale
    assert "**LG002 stale-version (warning)**" in comment["body"]
    assert "```suggestion\n" in comment["body"]
    report = json.loads((scenario.workspace / "latest-guard-report.json").read_text())
    (finding,) = report["findings"]
    assert finding["fix"]["verified"] is True


CHECKOUT = "infra/checkout.yaml"
CHECKOUT_TEMPLATE = """\
Resources:
  Checkout:
    Type: AWS::Lambda::Function
    Properties:
      Code: {S3Bucket: artifacts, S3Key: checkout/1.zip}
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/checkout
      Runtime: python3.12
      Architectures: [arm64]
      Layers:
        - arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Python312-ARM:104
        - arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Extension:68
"""


def test_a_new_template_with_a_layer_for_the_other_architecture_fails_the_check(
    scenario: Scenario,
) -> None:
    """A template added by the pull request has no baseline; the layer rule judges it alone."""
    scenario.commit({**CODE_ONLY, CHECKOUT: CHECKOUT_TEMPLATE})
    code = scenario.run(
        scenario.pull_request_event(), template=f"{ORDERS}\n{BILLING}\n{CHECKOUT}"
    )
    assert code == 1, scenario.log
    (check,) = scenario.state.check_runs.values()
    assert check["conclusion"] == "failure"
    assert check["output"]["title"].startswith("1 error")
    (comment,) = scenario.our_comments()
    assert (comment["path"], comment["line"]) == (CHECKOUT, 9)
    assert "**LG004 layer-architecture (error)**" in comment["body"]
    assert "Datadog-Extension is built for x86\\_64 only" in comment["body"]
    assert "Datadog-Extension-ARM" in comment["body"]


@pytest.mark.slow  # about 6 s: the Action run in a child process
def test_an_unwritable_runner_file_is_one_error_line_not_a_traceback(
    scenario: Scenario,
) -> None:
    # In a job container, or on a runner whose files belong to another user, the step's
    # output file may not be writable: say so in one line and fail the step.
    code = scenario.run(scenario.pull_request_event(), subprocess_run=True,
                        github_output_dir=True)

    assert code == 2, scenario.log
    errors = [line for line in scenario.log.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "the runner's file cannot be written" in errors[0]
    assert "Traceback" not in scenario.log
    assert not scenario.state.check_runs, "nothing is published when the outputs are lost"
