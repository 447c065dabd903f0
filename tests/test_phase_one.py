"""The phase-one pull request (``phase-one: pull-request``), end to end.

The stand-in GitHub keeps the repository's objects in a bare repository ("origin", cloned from
the workspace at the base commit): its git-data endpoints write real commits there, so a test
reads the phase-one branch with git and runs ``latest-guard check`` on it, as a reviewer of
that pull request would. The pull request under review (#2) is the one of
``test_github_action``: OrdersFn switches to arm64 with its layer, Worker gets new code and a
new environment variable, both invoked unqualified in the deployed stack (two-phase LG001).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from github_server import Pull, PullFile, iter_requests, needs_openapi
from test_github_action import (
    ARM64,
    BILLING,
    CODE_ONLY,
    DEPLOYED,
    ORDERS,
    Scenario,
    _git,
    _patch,
    open_scenario,
)

from reviewer.commands.check import CheckOptions, run_check
from reviewer.commands.phase_one import plan_phase_one
from reviewer.contract.enums import FailOn, Framework, Severity
from reviewer.contract.findings import Edit, FileChange, Finding, Fix, Location
from reviewer.contract.report import Report
from reviewer.github.phase_one import branch_name

# The instance is named after its two templates; the branch carries its name and a hash of it.
INSTANCE = "infra/orders.yaml, infra/billing.json"
BRANCH = branch_name(2, INSTANCE)


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[Scenario]:
    """A pull request on the local GitHub server: skipped, saying why, without its OpenAPI
    description (the tests without the server still run)."""
    if needs_openapi.args[0]:
        pytest.skip(needs_openapi.kwargs["reason"])
    with open_scenario(tmp_path) as found:
        yield found


@pytest.fixture
def origin(scenario: Scenario) -> Path:
    """The repository as GitHub holds it: the base branch only."""
    bare = scenario.tmp / "origin.git"
    _git(scenario.tmp, "clone", "-q", "--bare", str(scenario.workspace), str(bare))
    _git(bare, "update-ref", "refs/heads/main", scenario.base_sha)
    scenario.state.git_dir = bare
    return bare


def _phase_one_pulls(scenario: Scenario) -> list[Pull]:
    return [p for p in scenario.state.pulls.values() if p.head_ref == BRANCH]


def _branch_head(origin: Path) -> str:
    return _git(origin, "rev-parse", f"refs/heads/{BRANCH}")


def _check_branch(scenario: Scenario, origin: Path) -> subprocess.CompletedProcess[str]:
    """``latest-guard check`` of a clone of the phase-one branch against the base commit."""
    clone = scenario.tmp / "reviewer-clone"
    _git(scenario.tmp, "clone", "-q", "--branch", BRANCH, str(origin), str(clone))
    return subprocess.run(
        [sys.executable, "-P", "-m", "reviewer", "check", "-t", ORDERS, "-t", BILLING,
         "--baseline-ref", scenario.base_sha],
        cwd=clone, capture_output=True, text=True, timeout=120, check=False,
    )


def _before_details(body: str) -> str:
    return body.split("<details>", 1)[0]


def test_a_two_phase_pull_request_gets_a_phase_one_pull_request_that_passes_the_check(
    scenario: Scenario, origin: Path
) -> None:
    code = scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert code == 1, scenario.log  # the pull request itself still races
    (pull,) = _phase_one_pulls(scenario)
    assert (pull.base_ref, pull.state, pull.number) == ("main", "open", 3)
    assert pull.title == "Route the callers of Worker and OrdersFn through an alias (phase one)"
    assert pull.body.startswith(
        "<!-- latest-guard[infra/orders.yaml, infra/billing.json]:phase-one:2 -->"
    )
    assert "**Checked:** `latest-guard check` of this branch against" in pull.body
    assert "opened phase one #3" in scenario.log
    # One commit on the base commit, touching the two templates only.
    head = _branch_head(origin)
    assert _git(origin, "rev-parse", f"{head}^") == scenario.base_sha
    changed = _git(origin, "diff", "--name-only", scenario.base_sha, head).splitlines()
    assert sorted(changed) == sorted([ORDERS, BILLING])
    assert "Latest-Guard-Phase-One: #2" in _git(origin, "log", "-1", "--format=%B", head)
    orders = _git(origin, "show", f"{head}:{ORDERS}")
    assert "Type: AWS::Lambda::Alias" in orders
    assert "Architectures: [x86_64]" in orders  # the function as deployed
    # The branch passes the check against the base: no LG001, nothing at all.
    checked = _check_branch(scenario, origin)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 errors · 0 warnings · 0 notices" in checked.stdout
    assert "LG001" not in checked.stdout
    # Everything the reviewer reads links it.
    (summary,) = scenario.summaries()
    link = f"[#3](https://github.com/{scenario.state.repository}/pull/3)"
    assert f"**Phase one:** merge and deploy {link} first" in summary["body"]
    comments = scenario.our_comments()
    assert len(comments) == 2
    for comment in comments:
        short = _before_details(comment["body"])
        assert f"merge and deploy {link} first" in short
        assert len(short) < 700, short
    (check,) = scenario.state.check_runs.values()
    assert link in check["output"]["summary"]
    report = json.loads((scenario.workspace / "latest-guard-report.json").read_text())
    assert {f["fix"]["phase_one_pull"]["number"] for f in report["findings"]} == {3}
    assert f"merge and deploy {link} first" in scenario.step_summary()


@pytest.mark.slow  # three runs of the Action against the local GitHub server
def test_a_rerun_keeps_one_branch_and_one_pull_request_up_to_date(
    scenario: Scenario, origin: Path
) -> None:
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    first = _branch_head(origin)
    commits = len(list(iter_requests(scenario.state, "POST", r"/git/commits$")))

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert _branch_head(origin) == first, "the same change: no new commit"
    assert len(list(iter_requests(scenario.state, "POST", r"/git/commits$"))) == commits
    assert "phase one #3 is up to date" in scenario.log
    assert len(_phase_one_pulls(scenario)) == 1

    # Worker's change becomes code only: phase one is for OrdersFn alone now.
    scenario.commit({ORDERS: ARM64[ORDERS], BILLING: CODE_ONLY[BILLING]})
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    (pull,) = _phase_one_pulls(scenario)
    assert pull.number == 3
    assert pull.title == "Route the callers of OrdersFn through an alias (phase one)"
    head = _branch_head(origin)
    assert head != first
    assert _git(origin, "rev-parse", f"{head}^") == scenario.base_sha  # rebuilt, not stacked
    assert _git(origin, "diff", "--name-only", scenario.base_sha, head) == ORDERS
    assert "updated phase one #3" in scenario.log


def test_when_no_finding_needs_it_the_summary_says_so_and_it_stays_open(
    scenario: Scenario, origin: Path
) -> None:
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    scenario.commit(CODE_ONLY)

    code = scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert code == 0, scenario.log
    (pull,) = _phase_one_pulls(scenario)
    assert pull.state == "open"  # the user closes it
    (summary,) = scenario.summaries()
    assert "[#3](https://github.com/" in summary["body"]
    assert "is no longer needed by this change" in summary["body"]
    assert not list(iter_requests(scenario.state, "PATCH", r"/pulls/3$"))


def test_a_merged_phase_one_is_not_opened_again(scenario: Scenario, origin: Path) -> None:
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    merged = scenario.state.pulls[3]
    merged.state, merged.merged = "closed", True
    head = _branch_head(origin)

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert len(_phase_one_pulls(scenario)) == 1
    assert _branch_head(origin) == head
    (summary,) = scenario.summaries()
    assert "is merged. Deploy it, then update this branch from main" in summary["body"]
    assert "merge and deploy [#3]" not in summary["body"]  # it is merged: not "merge first"


def test_after_a_merged_one_a_function_it_did_not_wire_gets_a_new_generation(
    scenario: Scenario, origin: Path
) -> None:
    scenario.commit({ORDERS: ARM64[ORDERS], BILLING: CODE_ONLY[BILLING]})  # OrdersFn only
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    first = scenario.state.pulls[3]
    assert first.title == "Route the callers of OrdersFn through an alias (phase one)"
    first.state, first.merged = "closed", True
    scenario.commit({ORDERS: CODE_ONLY[ORDERS], BILLING: ARM64[BILLING]})  # Worker only

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    second = scenario.state.pulls[4]
    assert (second.head_ref, second.state) == (branch_name(2, INSTANCE, 2), "open")
    assert second.title == "Route the callers of Worker through an alias (phase one)"
    (summary,) = scenario.summaries()
    assert "merge and deploy [#4]" in summary["body"] and "[#3]" not in summary["body"]


def test_a_closed_one_whose_branch_was_deleted_makes_way_for_a_new_one(
    scenario: Scenario, origin: Path
) -> None:
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    scenario.state.pulls[3].state = "closed"
    _git(origin, "update-ref", "-d", f"refs/heads/{BRANCH}")

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert scenario.state.pulls[4].head_ref == f"{BRANCH}.2"
    assert scenario.state.pulls[3].state == "closed"


def test_a_closed_phase_one_stays_closed(scenario: Scenario, origin: Path) -> None:
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    scenario.state.pulls[3].state = "closed"

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert [p.state for p in _phase_one_pulls(scenario)] == ["closed"]
    (summary,) = scenario.summaries()
    assert "was closed without merging: it is not opened again" in summary["body"]
    assert "merge and deploy [#3]" not in summary["body"]


def test_a_branch_someone_else_pushed_to_is_left_alone(
    scenario: Scenario, origin: Path
) -> None:
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    ours = _branch_head(origin)
    tree = _git(origin, "rev-parse", f"{ours}^{{tree}}")
    theirs = _git(origin, "commit-tree", tree, "-p", ours, "-m", "tweak the alias by hand")
    _git(origin, "update-ref", f"refs/heads/{BRANCH}", theirs)
    scenario.commit({ORDERS: ARM64[ORDERS], BILLING: CODE_ONLY[BILLING]})

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert _branch_head(origin) == theirs
    assert "has commits latest-guard did not make: it is left as it is" in scenario.log
    assert not list(iter_requests(scenario.state, "PATCH", r"/git/refs/"))
    (summary,) = scenario.summaries()  # what it holds was not checked: not "merge it first"
    assert "merge and deploy [#3]" not in summary["body"]
    assert "it is left as it is, and not checked" in summary["body"]


def test_an_amended_commit_on_the_branch_is_not_replaced(
    scenario: Scenario, origin: Path
) -> None:
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    clone = scenario.tmp / "someone"
    _git(scenario.tmp, "clone", "-q", "--branch", BRANCH, str(origin), str(clone))
    (clone / ORDERS).write_text(DEPLOYED[ORDERS] + "# a note\n", encoding="utf-8")
    _git(clone, "commit", "-q", "-a", "--amend", "--no-edit")  # the message and trailer kept
    _git(clone, "push", "-q", "--force", "origin", BRANCH)
    amended = _branch_head(origin)
    scenario.commit({ORDERS: ARM64[ORDERS], BILLING: CODE_ONLY[BILLING]})

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert _branch_head(origin) == amended
    assert "has commits latest-guard did not make" in scenario.log


def test_when_actions_may_not_open_pull_requests_the_run_says_how_to_allow_it(
    scenario: Scenario, origin: Path
) -> None:
    scenario.state.actions_may_create_pulls = False

    code = scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert code == 1
    assert not _phase_one_pulls(scenario)
    warning = next(line for line in scenario.log.splitlines() if line.startswith("::warning"))
    assert "GitHub Actions is not permitted to create or approve pull requests" in warning
    assert "Allow GitHub Actions to create and approve pull requests" in warning
    (summary,) = scenario.summaries()  # the rest is published as usual
    assert "merge and deploy [#" not in summary["body"]
    assert len(scenario.state.check_runs) == 1


def test_comments_posted_before_the_phase_one_existed_are_brought_up_to_date(
    scenario: Scenario, origin: Path
) -> None:
    scenario.state.actions_may_create_pulls = False
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    before = {c["id"]: c["body"] for c in scenario.our_comments()}
    assert not any("merge and deploy [#" in body for body in before.values())
    scenario.state.actions_may_create_pulls = True  # the setting is turned on

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    after = {c["id"]: c["body"] for c in scenario.our_comments()}
    assert after.keys() == before.keys()  # the same comments, edited: no new ones
    for number, body in after.items():
        assert "merge and deploy [#3](https://github.com/" in body
        # Only the what-to-do line changed.
        changed = [a for a, b in zip(body.split("\n"), before[number].split("\n"), strict=True)
                   if a != b]
        assert len(changed) == 1 and changed[0].startswith("**Fix in two deployments:**")
    assert "2 brought up to date" in scenario.log


def test_a_comment_that_may_not_be_edited_is_left_and_the_review_goes_on(
    scenario: Scenario, origin: Path
) -> None:
    scenario.state.actions_may_create_pulls = False
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    scenario.state.actions_may_create_pulls = True
    scenario.state.inject("PATCH", r"/pulls/comments/", 403, "Must have admin rights", times=2)

    code = scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert code == 1
    assert scenario.log.count("GitHub refused to edit a comment (Must have admin rights)") == 2
    (summary,) = scenario.summaries()
    assert "merge and deploy [#3]" in summary["body"]


def test_a_token_without_contents_write_is_told_what_it_needs(
    scenario: Scenario, origin: Path
) -> None:
    scenario.state.inject("POST", r"/git/trees$", 403, "Resource not accessible by integration")

    scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert "phase-one: pull-request needs 'contents: write' and 'pull-requests: write'" in (
        scenario.log
    )
    assert not _phase_one_pulls(scenario)


def test_no_phase_one_pull_request_for_a_fork(scenario: Scenario, origin: Path) -> None:
    scenario.run(
        scenario.pull_request_event(fork=True), token="read-token", phase_one="pull-request"
    )

    assert "the pull request comes from a fork: no branch is made from its changes" in (
        scenario.log
    )
    assert not list(iter_requests(scenario.state, "POST", r"/git/|/pulls$"))


def test_a_git_ref_baseline_is_resolved_to_its_commit(scenario: Scenario, origin: Path) -> None:
    _git(scenario.workspace, "tag", "deployed", scenario.base_sha)

    scenario.run(
        scenario.pull_request_event(), phase_one="pull-request", baseline="git:deployed"
    )

    assert len(_phase_one_pulls(scenario)) == 1
    head = _branch_head(origin)
    assert _git(origin, "rev-parse", f"{head}^") == scenario.base_sha
    assert "against base" in scenario.log and "no phase-one pull request" not in scenario.log


def test_the_default_makes_no_phase_one_pull_request(scenario: Scenario, origin: Path) -> None:
    scenario.run(scenario.pull_request_event())

    assert not _phase_one_pulls(scenario)
    assert not list(iter_requests(scenario.state, "GET", r"/git/"))
    comment = scenario.our_comments()[0]["body"]
    assert "Phase one: the change to the deployed template" in comment  # the diff, collapsed


def test_after_phase_one_is_merged_the_updated_branch_no_longer_races(
    scenario: Scenario, origin: Path
) -> None:
    """The whole way: merge the phase-one branch into main, bring the pull request's change
    onto it, and check again: LG001 is gone; what is left is LG002, a version to rename so
    that the alias moves to the new code, whose fix is checked to remove it."""
    scenario.run(scenario.pull_request_event(), phase_one="pull-request")
    workspace = scenario.workspace
    _git(workspace, "fetch", "-q", str(origin), f"{BRANCH}:phase-one")
    _git(workspace, "checkout", "-q", "-B", "main", "phase-one")
    _git(workspace, "checkout", "-q", "-b", "updated", "main")
    for path, text in ARM64.items():  # the pull request's edits, on the new base
        base, phase_one = DEPLOYED[path], (workspace / path).read_text(encoding="utf-8")
        (workspace / path).write_text(
            _rebase_edit(base, text, phase_one), encoding="utf-8"
        )
    _git(workspace, "commit", "-q", "-am", "the change again, on phase one")
    scenario.base_sha = _git(workspace, "rev-parse", "main")
    scenario.head_sha = _git(workspace, "rev-parse", "HEAD")
    pull = scenario.state.pulls[2]
    pull.head_sha, pull.base_sha = scenario.head_sha, scenario.base_sha
    pull.files = [
        PullFile(path, _patch(_git(workspace, "show", f"main:{path}") + "\n",
                              (workspace / path).read_text(encoding="utf-8")))
        for path in ARM64
    ]

    code = scenario.run(scenario.pull_request_event(), phase_one="pull-request")

    assert code == 0, scenario.log
    report = json.loads((workspace / "latest-guard-report.json").read_text())
    assert {(f["rule"], f["resource"]) for f in report["findings"]} == {
        ("LG002", "OrdersFn"), ("LG002", "Worker"),
    }
    assert all(f["fix"]["verified"] for f in report["findings"])
    assert "phase one #3 is no longer needed by this change" in scenario.log


def _rebase_edit(base: str, changed: str, onto: str) -> str:
    """``onto`` with the lines ``changed`` changes in ``base`` changed the same way (the
    fixtures change lines in place, so line numbers carry over)."""
    old, new, out = base.splitlines(), changed.splitlines(), onto.splitlines()
    assert len(old) == len(new)
    for a, b in zip(old, new, strict=True):
        if a != b:
            out[out.index(a)] = b
    return "\n".join(out) + "\n"


# --- the plan, from findings ----------------------------------------------------------------


def _finding(resource: str, framework: Framework, edits: tuple[Edit, ...], path: str) -> Finding:
    fix = Fix(
        "route the consumers through an alias and deploy that wiring first", two_phase=True,
        framework=framework, phase_one=FileChange(path, edits) if edits else None,
    )
    return Finding(
        "LG001", "latest-race", Severity.ERROR, "stack", resource, "races",
        Location("template.yaml", 3), fix=fix,
    )


@pytest.fixture
def repository(tmp_path: Path) -> tuple[Path, str]:
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "template.yaml").write_text(DEPLOYED[ORDERS], encoding="utf-8")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path, _git(tmp_path, "rev-parse", "HEAD")


def _plan(repository: tuple[Path, str], findings: list[Finding]) -> Any:
    root, base = repository
    report = Report(tuple(findings), (), "git", FailOn.ERROR)
    options = CheckOptions(
        templates=(Path("template.yaml"),), working_directory=root, baseline_ref=base
    )
    return plan_phase_one(report, options, base_branch="main", progress=io.StringIO())


def test_a_cdk_or_serverless_phase_one_is_left_to_the_comment(
    repository: tuple[Path, str],
) -> None:
    plan = _plan(repository, [
        _finding("ApiFn", Framework.CDK, (), ""),
        _finding("QueueFn", Framework.SERVERLESS, (), ""),
    ])

    assert plan.change is None
    assert plan.said == (
        "phase one of ApiFn is a change of the CDK app's source: its comment gives the code to "
        "write; no phase-one pull request is made for it",
        "phase one of QueueFn is a change of serverless.yml: its comment gives the code to "
        "write; no phase-one pull request is made for it",
    )


def test_overlapping_phase_ones_wait_for_the_next_run(repository: tuple[Path, str]) -> None:
    _, base = repository
    label = base[:12]
    first = Edit(f"{label}:template.yaml", 13, 13, "  A:\n    Type: AWS::SNS::Topic\n  Api:\n")
    second = Edit(f"{label}:template.yaml", 13, 14, "  B:\n    Type: AWS::SNS::Topic\n  Api:\n")

    plan = _plan(repository, [
        _finding("OneFn", Framework.CLOUDFORMATION, (first,), first.path),
        _finding("TwoFn", Framework.CLOUDFORMATION, (second,), second.path),
    ])

    assert plan.change is not None
    assert [f.resource for f in plan.change.findings] == ["OneFn"]
    (file,) = plan.change.files
    assert file.path == "template.yaml" and "  A:\n" in file.text and "  B:\n" not in file.text
    assert plan.said == (
        "phase one of TwoFn overlaps another function's in template.yaml: it is left for the "
        "next run, once this phase one is merged",
    )


def test_a_phase_one_that_still_races_is_not_sent(repository: tuple[Path, str]) -> None:
    """An edit that changes the function itself is caught by the check of the branch."""
    _, base = repository
    label = base[:12]
    lines = DEPLOYED[ORDERS].splitlines(keepends=True)

    def swap(text: str, old: str, new: str) -> Edit:
        number = next(n for n, line in enumerate(lines, 1) if text in line)
        return Edit(f"{label}:template.yaml", number, number, lines[number - 1].replace(old, new))

    races = (
        swap("Architectures: [x86_64]", "x86_64", "arm64"),
        swap("layer:deps-x86_64:4", "deps-x86_64:4", "deps-arm64:1"),
    )

    plan = _plan(repository, [_finding("OrdersFn", Framework.CLOUDFORMATION, races, races[0].path)])

    assert plan.change is None
    (said,) = plan.said
    assert said.startswith(f"no phase-one pull request: checked against base {label}, the "
                           "phase-one change of OrdersFn still has LG001 on OrdersFn")


def test_without_a_git_baseline_the_summary_says_why_there_is_none(
    scenario: Scenario, origin: Path
) -> None:
    deployed = scenario.workspace / "deployed"
    deployed.mkdir()
    (deployed / "orders.yaml").write_text(DEPLOYED[ORDERS], encoding="utf-8")
    (deployed / "billing.json").write_text(DEPLOYED[BILLING], encoding="utf-8")

    code = scenario.run(
        scenario.pull_request_event(), phase_one="pull-request",
        baseline="deployed/orders.yaml\ndeployed/billing.json",
    )

    assert code == 1, scenario.log
    (summary,) = scenario.summaries()
    assert "> **Phase one:** phase-one: pull-request needs baseline: git" in summary["body"]
    assert not _phase_one_pulls(scenario)
    assert not list(iter_requests(scenario.state, "GET", r"/git/"))
    assert not list(iter_requests(scenario.state, "POST", r"/git/|/pulls$"))


def test_a_sam_phase_one_publishes_an_alias_and_passes_its_check(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "callers" / "sam-api"
    _git(tmp_path, "init", "-q", "-b", "main")
    template = tmp_path / "template.yaml"
    template.write_text((fixture / "baseline.yaml").read_text(encoding="utf-8"))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "deployed")
    base = _git(tmp_path, "rev-parse", "HEAD")
    template.write_text((fixture / "template.yaml").read_text(encoding="utf-8"))
    options = CheckOptions(
        templates=(Path("template.yaml"),), working_directory=tmp_path, baseline_ref=base
    )
    report = run_check(options, io.StringIO())
    assert [(f.rule, f.fix.two_phase) for f in report.findings if f.fix] == [("LG001", True)]

    plan = plan_phase_one(report, options, base_branch="main", progress=io.StringIO())

    assert plan.said == ()
    assert plan.change is not None
    (file,) = plan.change.files
    assert file.path == "template.yaml"
    assert "      AutoPublishAlias: live\n" in file.text
    assert "orders-1.zip" in file.text  # the code as deployed
    assert plan.change.checked.endswith("OrdersFn keeps its code and configuration.")
    assert _git(tmp_path, "status", "--porcelain") == "M template.yaml"  # the checkout as it was


def test_a_crlf_template_keeps_its_line_endings(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "main")
    crlf = DEPLOYED[ORDERS].replace("\n", "\r\n")
    (tmp_path / "template.yaml").write_bytes(crlf.encode())
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    base = _git(tmp_path, "rev-parse", "HEAD")
    topic = Edit(f"{base[:12]}:template.yaml", 13, 13,
                 "  Alarm:\n    Type: AWS::SNS::Topic\n  Api:\r\n")

    plan = _plan((tmp_path, base), [
        _finding("OrdersFn", Framework.CLOUDFORMATION, (topic,), topic.path)
    ])

    assert plan.change is not None, plan.said
    (file,) = plan.change.files
    assert "  Alarm:\r\n    Type: AWS::SNS::Topic\r\n" in file.text
    assert file.text.count("\n") == file.text.count("\r\n")


def test_the_branch_reads_as_the_instance_it_serves() -> None:
    assert branch_name(2) == "latest-guard/phase-one/pr-2"
    assert branch_name(2, generation=2) == "latest-guard/phase-one/pr-2.2"
    assert BRANCH.startswith("latest-guard/phase-one/pr-2-infra-orders-yaml-infra-billing-json-")


@pytest.mark.parametrize("instance", ["", "stack.lock", "services/a..b", "@team/orders ~1", "..."])
def test_branch_names_are_names_git_accepts(instance: str) -> None:
    name = branch_name(12, instance, 3)
    assert name.startswith("latest-guard/phase-one/pr-12") and name.endswith(".3")
    done = subprocess.run(["git", "check-ref-format", f"refs/heads/{name}"], check=False)
    assert done.returncode == 0, name


def test_no_two_instances_or_generations_share_a_branch() -> None:
    names = [
        branch_name(12, instance, generation)
        for instance in ("", "2", "orders", "orders-2", "services/orders", "services.orders",
                         "template.yaml", "template yaml", "...")
        for generation in (1, 2, 3)
    ]
    assert len(set(names)) == len(names)
