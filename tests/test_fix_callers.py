"""Fixes never cut a caller off (fixtures under tests/fixtures/callers/).

Each case is fixed the way ``latest-guard fix`` does it, the fixed files are written into a
copy of the fixture folder (with the code and OpenAPI files beside them), and the analysis runs
again on them with ``latest-guard check``: clean, or clean after the phase-one change.

- a permission moves to the alias only when every caller it serves is re-pointed: an API's
  integration (WebSocket, REST, HTTP), a log subscription; a permission for another account,
  for a service with no caller in the stack, or for stacks that import the exported ARN stays,
  the alias gets a copy, and the fix names those callers;
- a deployment written by hand for a REST or WebSocket API gets a new logical id with a hash of
  what it deploys, and its stage follows; other APIs' deployments and self-deploying HTTP API
  stages are left alone;
- a SAM API whose body is an ``AWS::Include``'d OpenAPI file: the file is read, its call of
  ``${OrdersFn.Arn}`` named with its line, and OrdersFn keeps an unqualified permission; a body
  in S3 is named as not read; an integration SAM builds from an Api event moves with SAM;
- ``latest-guard fix`` works on a SAM app with local code (``CodeUri: src/``) with
  ``--baseline``, ``--baseline-ref`` and without a baseline, and names the user's file in an
  error.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES, Run, run_cli, validate

from reviewer.commands.fix import Outcome, fix_files
from reviewer.model.consumers import principal_service
from reviewer.sources import load_side
from reviewer.sources.text.files import parse_text

CALLERS = FIXTURES / "callers"
HASHED = re.compile(r"[0-9a-f]{10}$")
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]


# -- helpers ------------------------------------------------------------------------------------


def fixed(
    folder: Path, template: str = "template.yaml", baseline: str = "baseline.yaml"
) -> Outcome:
    return fix_files(folder / template, folder / baseline)


def resources(text: str) -> dict[str, Any]:
    body, _ = parse_text(Path("fixed.yaml"), text)
    found: dict[str, Any] = body["Resources"]
    return found


def applied(
    tmp_path: Path, folder: Path, outcome: Outcome, template: str = "template.yaml",
    baseline: str = "baseline.yaml",
) -> tuple[Path, Path]:
    """A copy of ``folder`` with the fixed template and the phase-one baseline written in."""
    work = tmp_path / folder.name
    shutil.copytree(folder, work)
    (work / template).write_text(outcome.after, encoding="utf-8")
    (work / baseline).write_text(outcome.baseline_after or "", encoding="utf-8")
    return work / template, work / baseline


def check(capsys: pytest.CaptureFixture[str], template: Path, baseline: Path) -> Run:
    run = run_cli(capsys, "check", "-t", template, "-b", baseline, "-f", "json")
    validate(run.report)
    return run


def assert_clean(capsys: pytest.CaptureFixture[str], template: Path, baseline: Path) -> None:
    run = check(capsys, template, baseline)
    assert run.code == 0, run.out
    assert [f["rule"] for f in run.report["findings"]] == []


def words(outcome: Outcome) -> str:
    return "\n".join(outcome.notes)


# -- permissions --------------------------------------------------------------------------------


def test_principal_services_are_read_from_the_principal() -> None:
    assert principal_service("sns.amazonaws.com") == "sns"
    assert principal_service("logs.eu-west-1.amazonaws.com") == "logs"
    assert principal_service("logs.${AWS::Region}.amazonaws.com") == "logs"
    assert principal_service("s3.${AWS::URLSuffix}") == "s3"
    assert principal_service("lambda.alarms.cloudwatch.amazonaws.com") == (
        "lambda.alarms.cloudwatch"
    )
    for outside in ("210987654321", "*", "arn:aws:iam::210987654321:root"):
        assert principal_service(outside) is None


def test_a_permission_whose_callers_are_all_repointed_moves_to_the_alias(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outcome = fixed(CALLERS)
    assert outcome.two_phase
    for text in (outcome.after, outcome.baseline_after or ""):
        found = resources(text)
        assert found["ChatPermission"]["Properties"]["FunctionName"] == {"Ref": "ChatFnAliasLive"}
        assert "ChatPermissionLive" not in found
    assert "stays" not in words(outcome)
    template, baseline = applied(tmp_path, CALLERS, outcome)
    assert_clean(capsys, template, baseline)
    assert_clean(capsys, baseline, CALLERS / "baseline.yaml")  # phase one: the wiring alone


def test_a_permission_for_another_account_stays_and_the_fix_names_the_caller(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = CALLERS / "external-caller"
    outcome = fixed(folder)
    found = resources(outcome.baseline_after or "")
    assert found["PartnerPermission"]["Properties"]["FunctionName"] == {
        "Fn::GetAtt": ["ChatFn", "Arn"]
    }
    copy = found["PartnerPermissionLive"]["Properties"]
    assert copy == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Ref": "ChatFnAliasLive"},
        "Principal": "210987654321",
    }
    assert found["ChatPermission"]["Properties"]["FunctionName"] == {"Ref": "ChatFnAliasLive"}
    note = next(n for n in outcome.notes if "PartnerPermission stays" in n)
    assert "account 210987654321" in note and "PartnerPermissionLive" in note
    template, baseline = applied(tmp_path, folder, outcome)
    assert_clean(capsys, template, baseline)


def test_the_check_report_carries_the_same_words(capsys: pytest.CaptureFixture[str]) -> None:
    folder = CALLERS / "external-caller"
    run = check(capsys, folder / "template.yaml", folder / "baseline.yaml")
    (finding,) = run.report["findings"]
    fix = finding["fix"]
    assert any("account 210987654321" in note for note in fix["notes"])
    assert any("keeps permission PartnerPermission" in step for step in fix["steps"])
    assert "+  PartnerPermissionLive:" in fix["phase_one_patch"]


def test_an_exported_arn_keeps_its_permission_and_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = CALLERS / "exported"
    outcome = fixed(folder)
    for text in (outcome.after, outcome.baseline_after or ""):
        found = resources(text)
        assert found["LogsPermission"]["Properties"]["FunctionName"] == {
            "Fn::GetAtt": ["ShipperFn", "Arn"]
        }
        assert found["LogsPermissionLive"]["Properties"]["FunctionName"] == {
            "Ref": "ShipperFnAliasLive"
        }
        subscription = found["AppLogsToShipper"]
        assert subscription["Properties"]["DestinationArn"] == {"Ref": "ShipperFnAliasLive"}
        # The subscription checks that it may invoke: it waits for the alias's permission too.
        assert subscription["DependsOn"] == ["LogsPermission", "LogsPermissionLive"]
        assert found["ShipperFnAliasLive"]["Type"] == "AWS::Lambda::Alias"
    text = words(outcome)
    assert "stacks that import output ShipperArn (export ${AWS::StackName}-ShipperArn)" in text
    assert "ShipperFn's unqualified ARN is exported" in text
    assert "permission LogsPermission stays on ShipperFn unqualified" in text
    template, baseline = applied(tmp_path, folder, outcome)
    assert_clean(capsys, template, baseline)


def test_without_an_export_the_log_permission_moves(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = CALLERS / "not-exported"
    outcome = fixed(folder)
    found = resources(outcome.baseline_after or "")
    assert found["LogsPermission"]["Properties"]["FunctionName"] == {"Ref": "ShipperFnAliasLive"}
    assert "LogsPermissionLive" not in found
    assert found["AppLogsToShipper"]["DependsOn"] == "LogsPermission"
    assert not outcome.notes
    template, baseline = applied(tmp_path, folder, outcome)
    assert_clean(capsys, template, baseline)


def test_the_forwarder_without_a_baseline_keeps_every_external_trigger(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = CALLERS / "forwarder"
    work = tmp_path / "forwarder"
    shutil.copytree(folder, work)
    run = run_cli(capsys, "fix", "-t", work / "baseline.yaml", "--write")
    assert run.code == 0, run.err
    found = resources((work / "baseline.yaml").read_text(encoding="utf-8"))
    external = ("CloudWatchLogsPermission", "S3Permission", "SNSPermission",
                "EventBridgePermission")
    for permission in external:
        assert found[permission]["Properties"]["FunctionName"] == {"Ref": "Forwarder"}
        copy = found[f"{permission}Live"]["Properties"]
        assert copy["FunctionName"] == {"Ref": "ForwarderAliasLive"}
        assert copy["Principal"] == found[permission]["Properties"]["Principal"]
        assert f"permission {permission} stays on Forwarder unqualified" in run.err
    # The schedule in the stack moves to the alias, and its own permission with it.
    target = found["RetrySchedule"]["Properties"]["Targets"][0]
    assert target["Arn"] == {"Ref": "ForwarderAliasLive"}
    assert found["RetrySchedulePermission"]["Properties"]["FunctionName"] == {
        "Ref": "ForwarderAliasLive"
    }
    assert "RetrySchedulePermissionLive" not in found
    for caller in ("logs.${AWS::Region}.amazonaws.com", "s3.amazonaws.com",
                   "sns.amazonaws.com", "export ${AWS::StackName}-ForwarderArn"):
        assert caller in run.err
    # Phase one is the wiring alone; then the change, wired the same way, is one alias switch.
    assert_clean(capsys, work / "baseline.yaml", folder / "baseline.yaml")
    run = run_cli(capsys, "fix", "-t", work / "template.yaml", "--write")
    assert run.code == 0, run.err
    assert_clean(capsys, work / "template.yaml", work / "baseline.yaml")


# -- API deployments ----------------------------------------------------------------------------


def test_a_websocket_deployment_gets_a_new_id_and_the_stage_follows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outcome = fixed(CALLERS)
    ids: list[str] = []
    for text in (outcome.after, outcome.baseline_after or ""):
        found = resources(text)
        assert "ChatDeployment" not in found
        (deployment,) = [i for i, r in found.items() if r["Type"].endswith("::Deployment")]
        assert deployment.startswith("ChatDeployment") and HASHED.search(deployment)
        assert found["ChatStage"]["Properties"]["DeploymentId"] == {"Ref": deployment}
        integration = found["ChatIntegration"]["Properties"]["IntegrationUri"]
        assert "${ChatFnAliasLive}" in integration["Fn::Sub"]
        ids.append(deployment)
    assert ids[0] == ids[1]  # phase one and phase two deploy the same API: one new id
    template, baseline = applied(tmp_path, CALLERS, outcome)
    assert_clean(capsys, template, baseline)


def test_a_rest_api_deployment_gets_a_new_id_and_other_apis_keep_theirs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = CALLERS / "rest-api"
    outcome = fixed(folder)
    found = resources(outcome.baseline_after or "")
    (deployment,) = [i for i in found if i.startswith("OrdersDeployment")]
    assert HASHED.search(deployment)
    assert found["OrdersStage"]["Properties"]["DeploymentId"] == {"Ref": deployment}
    assert found[deployment]["DependsOn"] == "GetOrders"
    assert "StatusDeployment" in found  # StatusApi does not call OrdersFn
    assert found["OrdersPermission"]["Properties"]["FunctionName"] == {"Ref": "OrdersFnAliasLive"}
    assert "orders-v1" not in words(outcome) and "orders-v2" not in (outcome.patch or "")
    template, baseline = applied(tmp_path, folder, outcome)
    assert_clean(capsys, template, baseline)


def test_a_deployment_that_creates_its_stage_is_renamed_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    work = tmp_path / "rest-api"
    shutil.copytree(CALLERS / "rest-api", work)
    for name in ("template.yaml", "baseline.yaml"):
        path = work / name
        text = path.read_text(encoding="utf-8")
        text = text.replace(
            "      RestApiId: !Ref OrdersApi\n\n  OrdersStage:",
            "      RestApiId: !Ref OrdersApi\n      StageName: prod\n\n  OrdersStage:",
        )
        path.write_text(text[: text.index("  OrdersStage:")] + text[text.index("  StatusApi:"):],
                        encoding="utf-8")
    outcome = fixed(work)
    found = resources(outcome.baseline_after or "")
    (deployment,) = [i for i in found if i.startswith("OrdersDeployment")]
    assert HASHED.search(deployment)
    assert found[deployment]["Properties"] == {"RestApiId": {"Ref": "OrdersApi"},
                                              "StageName": "prod"}
    template, baseline = applied(tmp_path / "applied", work, outcome)
    assert_clean(capsys, template, baseline)


def test_an_http_api_that_deploys_itself_gets_no_deployment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = CALLERS / "http-api"
    outcome = fixed(folder)
    found = resources(outcome.baseline_after or "")
    assert not [r for r in found.values() if r["Type"].endswith("::Deployment")]
    assert found["QuotesIntegration"]["Properties"]["IntegrationUri"] == {
        "Ref": "QuotesFnAliasLive"
    }
    assert found["QuotesPermission"]["Properties"]["FunctionName"] == {"Ref": "QuotesFnAliasLive"}
    template, baseline = applied(tmp_path, folder, outcome)
    assert_clean(capsys, template, baseline)


# -- SAM: API bodies in other files -------------------------------------------------------------


def test_a_sam_api_body_included_from_a_local_file_is_read_and_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "fixture"  # fix writes its working copies next to the template
    shutil.copytree(CALLERS / "sam-include", folder)
    outcome = fixed(folder, baseline="deployed/template.yaml")
    assert outcome.two_phase
    kept = "OrdersFnGetOrdersPermissionprodUnqualified"
    for text in (outcome.after, outcome.baseline_after or ""):
        found = resources(text)
        assert found["OrdersFn"]["Properties"]["AutoPublishAlias"] == "live"
        assert found[kept]["Properties"]["FunctionName"] == {"Ref": "OrdersFn"}
        assert found[kept]["Properties"]["Principal"] == "apigateway.amazonaws.com"
    note = next(n for n in outcome.notes if kept in n)
    assert "the OpenAPI body of OrdersApi (openapi.yaml, line 12)" in note
    assert "${OrdersFnAliaslive}" in note
    template, baseline = applied(
        tmp_path / "applied", folder, outcome, baseline="deployed/template.yaml"
    )
    # The body is part of the template (AWS::Include is inlined): until it calls the alias, as
    # the note says, the API still reaches $LATEST during the deployment.
    (left,) = outcome.remaining
    assert [c.resource for c in left.consumers] == ["OrdersApi"]
    assert [f["rule"] for f in check(capsys, template, baseline).report["findings"]] == ["LG001"]
    for body in (template.parent / "openapi.yaml", baseline.parent / "openapi.yaml"):
        text = body.read_text(encoding="utf-8")
        body.write_text(text.replace("${OrdersFn.Arn}", "${OrdersFnAliaslive}"), "utf-8")
    assert_clean(capsys, template, baseline)
    # SAM moves its own permission to the alias; the one the fix wrote keeps $LATEST callable.
    (stack,) = load_side(template)
    moved = stack.resources["OrdersFnGetOrdersPermissionprod"].properties["FunctionName"]
    assert moved == {"Ref": "OrdersFnAliaslive"}
    assert stack.resources[kept].properties["FunctionName"] == {"Ref": "OrdersFn"}


def test_an_integration_sam_builds_from_an_event_moves_with_its_permission(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = CALLERS / "sam-api"
    outcome = fixed(folder)
    assert "AutoPublishAlias: live" in outcome.after
    assert "Unqualified" not in outcome.after and not outcome.notes
    run = check(capsys, folder / "template.yaml", folder / "baseline.yaml")
    (finding,) = run.report["findings"]
    assert not [step for step in finding["fix"]["steps"] if "Not edited" in step]
    template, baseline = applied(tmp_path, folder, outcome)
    assert_clean(capsys, template, baseline)


def test_a_local_body_that_does_not_call_the_function_needs_no_permission(
    tmp_path: Path,
) -> None:
    work = tmp_path / "sam-include"
    shutil.copytree(CALLERS / "sam-include", work)
    for body in (work / "openapi.yaml", work / "deployed" / "openapi.yaml"):
        text = body.read_text(encoding="utf-8")
        body.write_text(text[: text.index("      x-amazon")] + (
            "      x-amazon-apigateway-integration:\n        type: mock\n"
        ), encoding="utf-8")
    outcome = fixed(work, baseline="deployed/template.yaml")
    assert "AutoPublishAlias: live" in outcome.after
    assert "Unqualified" not in outcome.after
    assert not [n for n in outcome.notes if "OpenAPI" in n]


def test_a_sam_api_body_in_s3_is_named_as_not_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = CALLERS / "sam-include-s3"
    outcome = fixed(folder)
    found = resources(outcome.after)
    assert "OrdersFnGetOrdersPermissionprodUnqualified" in found
    note = next(n for n in outcome.notes if "OpenAPI" in n)
    assert "s3://orders-artifacts/openapi.yaml: not a local file, not read" in note
    assert "may call OrdersFn unqualified" in note
    template, baseline = applied(tmp_path, folder, outcome)
    assert_clean(capsys, template, baseline)


def test_a_plain_rest_api_body_that_calls_the_function_keeps_its_permission(
    tmp_path: Path,
) -> None:
    work = tmp_path / "rest-api"
    shutil.copytree(CALLERS / "rest-api", work)
    (work / "orders-api.yaml").write_text(
        (CALLERS / "sam-include" / "openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    include = (
        "      Body:\n        Fn::Transform:\n          Name: AWS::Include\n"
        "          Parameters:\n            Location: orders-api.yaml\n"
    )
    for name in ("template.yaml", "baseline.yaml"):
        path = work / name
        path.write_text(path.read_text(encoding="utf-8").replace(
            "      Name: orders\n", "      Name: orders\n" + include, 1
        ), encoding="utf-8")
    outcome = fixed(work)
    found = resources(outcome.baseline_after or "")
    assert found["OrdersPermission"]["Properties"]["FunctionName"] == {"Ref": "OrdersFn"}
    assert found["OrdersPermissionLive"]["Properties"]["FunctionName"] == {
        "Ref": "OrdersFnAliasLive"
    }
    text = words(outcome)
    assert "the OpenAPI body of OrdersApi (orders-api.yaml, line 12)" in text
    assert "write ${OrdersFnAliasLive} there" in text


# -- fix on SAM apps with local code ------------------------------------------------------------


def sam_app(tmp_path: Path) -> Path:
    work = tmp_path / "sam-local-code"
    shutil.copytree(CALLERS / "sam-local-code", work)
    return work


def no_copies_left(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if "latest-guard-fix" in p.name]


def test_fix_works_on_sam_with_local_code_against_a_baseline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    work = sam_app(tmp_path)
    run = run_cli(capsys, "fix", "-t", work / "template.yaml", "-b",
                  work / "deployed" / "template.yaml")
    assert run.code == 0, run.err
    assert "+      AutoPublishAlias: live" in run.out
    assert "cannot be made safe on its own" in run.err
    first = run_cli(capsys, "fix", "-t", work / "template.yaml", "-b",
                    work / "deployed" / "template.yaml", "--phase-one", "--write")
    assert first.code == 0, first.err
    run = run_cli(capsys, "fix", "-t", work / "template.yaml", "-b",
                  work / "deployed" / "template.yaml", "--write")
    assert run.code == 0, run.err
    no_copies_left(work)
    assert_clean(capsys, work / "template.yaml", work / "deployed" / "template.yaml")


def test_fix_works_on_sam_with_local_code_without_a_baseline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    work = sam_app(tmp_path)
    run = run_cli(capsys, "fix", "-t", work / "template.yaml")
    assert run.code == 0, run.err
    assert "+      AutoPublishAlias: live" in run.out
    no_copies_left(work)


def test_fix_works_on_sam_with_local_code_against_a_git_revision(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CALLERS / "sam-local-code" / "deployed", repo)
    for argv in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "deployed"]):
        subprocess.run([*GIT, *argv], cwd=repo, check=True, capture_output=True)
    shutil.copy(CALLERS / "sam-local-code" / "template.yaml", repo / "template.yaml")
    shutil.copy(CALLERS / "sam-local-code" / "src" / "report.py", repo / "src" / "report.py")
    run = run_cli(capsys, "fix", "-t", repo / "template.yaml", "--baseline-ref", "HEAD")
    assert run.code == 0, run.err
    assert "+      AutoPublishAlias: live" in run.out
    assert "+      AutoPublishAliasAllProperties: true" in run.out
    assert "check out HEAD and run latest-guard fix" in run.err
    no_copies_left(repo)
    worktrees = subprocess.run([*GIT, "worktree", "list"], cwd=repo, check=True,
                               capture_output=True, text=True).stdout
    assert len(worktrees.splitlines()) == 1


def test_fix_names_the_users_sam_file_in_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    work = sam_app(tmp_path)
    template = work / "template.yaml"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "Type: Schedule", "Type: NoSuchEvent"
    ), encoding="utf-8")
    run = run_cli(capsys, "fix", "-t", template, "-b", work / "deployed" / "template.yaml")
    assert run.code == 2
    assert str(template) in run.err, run.err
    assert "latest-guard-fix-" not in run.err
    no_copies_left(work)
