"""The scenarios users meet, each a pair of small templates under tests/fixtures/."""

from __future__ import annotations

from typing import Any

import pytest
from support import check_case


def findings(report: dict[str, Any], rule: str | None = None) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if rule is None or f["rule"] == rule]


def changed(finding: dict[str, Any], side: str) -> list[str]:
    return [c["property"] for c in finding["changes"][side]]


def test_arm64_switch_with_arm64_layer_is_one_error_naming_all_three_consumers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check_case(capsys, "arm64-layer")
    assert run.code == 1
    (finding,) = findings(run.report)
    assert (finding["rule"], finding["severity"], finding["resource"]) == (
        "LG001", "error", "OrdersFn"
    )
    assert changed(finding, "code") == ["Architectures", "Code"]
    assert changed(finding, "config") == ["Layers"]
    consumers = {c["resource"]: c for c in finding["consumers"]}
    assert set(consumers) == {"GetOrders", "QueueMapping", "Nightly"}
    assert consumers["QueueMapping"]["kind"] == "SQS event source mapping"
    assert consumers["GetOrders"]["kind"].startswith("API Gateway method")
    assert consumers["Nightly"]["kind"] == "EventBridge rule target"
    assert all(c["reference"] == "unqualified" for c in consumers.values())
    assert finding["location"]["line"] == 3
    assert finding["location"]["path"].endswith("arm64-layer/template.yaml")
    assert finding["fix"]["two_phase"] is True


def test_code_and_a_new_environment_variable_is_an_error_that_names_the_key_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check_case(capsys, "code-env")
    (finding,) = findings(run.report)
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    (env,) = finding["changes"]["config"]
    assert env["property"] == "Environment"
    assert "PAYMENTS_API_TOKEN" in env["detail"]
    assert "canary-secret-value-7f3a" not in run.out
    assert finding["location"]["line"] == 3  # JSON templates point at their lines too


@pytest.mark.parametrize(
    "case",
    ["code-only", "config-only", "new-function", "replaced-function", "custom-resource-provider"],
)
def test_not_a_race(capsys: pytest.CaptureFixture[str], case: str) -> None:
    run = check_case(capsys, case)
    assert run.code == 0
    assert findings(run.report) == []


def test_code_and_tags_is_a_notice_that_passes_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check_case(capsys, "code-tag")
    assert run.code == 0
    (finding,) = findings(run.report)
    assert (finding["rule"], finding["severity"]) == ("LG001", "notice")
    assert changed(finding, "tags") == ["Tags"]
    assert "secret-tag-value-91b2" not in run.out
    assert check_case(capsys, "code-tag", "--fail-on", "notice").code == 1


def test_code_and_tuning_only_configuration_is_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check_case(capsys, "tuning-only")
    (finding,) = findings(run.report)
    assert (finding["rule"], finding["severity"]) == ("LG001", "warning")
    assert changed(finding, "config") == ["MemorySize", "Timeout"]
    assert run.code == 0
    assert check_case(capsys, "tuning-only", "--fail-on", "warning").code == 1


def test_traffic_already_on_an_alias_with_a_fresh_version_is_safe(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check_case(capsys, "aliased")
    assert run.code == 0
    assert findings(run.report) == []
    (stack,) = run.report["stacks"]
    assert stack["changed_functions"] == ["Fn"]


def test_alias_added_in_the_same_change_still_races(capsys: pytest.CaptureFixture[str]) -> None:
    run = check_case(capsys, "alias-added")
    (finding,) = findings(run.report)
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    # Exposure is judged on what is deployed: the consumers as they are today.
    assert {c["resource"] for c in finding["consumers"]} == {"GetOrders", "QueueMapping", "Nightly"}
    assert finding["fix"]["two_phase"] is True
    assert "already routes traffic through an alias" in finding["fix"]["summary"]


def test_fixed_version_behind_an_alias_is_stale(capsys: pytest.CaptureFixture[str]) -> None:
    run = check_case(capsys, "stale-version")
    (finding,) = findings(run.report)
    assert (finding["rule"], finding["severity"], finding["resource"]) == (
        "LG002", "warning", "Fn"
    )
    assert "FnLive" in finding["message"]
    assert [c["resource"] for c in finding["consumers"]] == ["Schedule"]
    assert findings(run.report, "LG001") == []


def test_alias_on_latest_gives_no_protection(capsys: pytest.CaptureFixture[str]) -> None:
    run = check_case(capsys, "alias-on-latest")
    (lg003,) = findings(run.report, "LG003")
    assert lg003["resource"] == "Fn"
    assert "FnLive" in lg003["message"]
    # The alias on $LATEST is no qualified path: code + Handler also race for its callers.
    (lg001,) = findings(run.report, "LG001")
    assert [c["reference"] for c in lg001["consumers"]] == ["alias FnLive on $LATEST"]


def test_layer_replaced_in_the_same_stack_changes_layers_by_reference(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check_case(capsys, "layer-by-reference")
    (finding,) = findings(run.report)
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    assert changed(finding, "code") == ["Architectures"]
    (layers,) = finding["changes"]["config"]
    assert (layers["property"], layers["how"], layers["cause"]) == (
        "Layers", "by reference", "DepsLayer"
    )
    assert finding["consumers"][0]["kind"] == "Kinesis event source mapping"


def test_layer_changed_through_a_parameter_counts(capsys: pytest.CaptureFixture[str]) -> None:
    run = check_case(capsys, "parameter-layer")
    (finding,) = findings(run.report)
    (layers,) = finding["changes"]["config"]
    assert (layers["how"], layers["cause"]) == ("by parameter", "DepsLayerArn")
    assert "deps:8" not in run.out and "deps:7" not in run.out  # NoEcho values stay hidden
    assert [c["kind"] for c in finding["consumers"]] == ["function URL"]


def test_function_without_consumers_or_alias_is_exposed_to_direct_callers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check_case(capsys, "no-consumers")
    (finding,) = findings(run.report)
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    assert finding["consumers"] == []
    assert "no version or alias" in finding["message"]


def test_metadata_suppression_keeps_the_finding_in_the_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check_case(capsys, "suppressed")
    assert run.code == 0
    (finding,) = findings(run.report)
    assert finding["suppressed"] is True
    assert finding["suppression_reason"].startswith("batch consumers retry")
    assert run.report["summary"]["suppressed"] == 1
    assert run.report["summary"]["errors"] == 0


def test_a_template_compared_with_itself_has_no_findings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from support import pair, run_cli

    template, _ = pair("arm64-layer")
    run = run_cli(capsys, "check", "-t", template, "-b", template, "-f", "json")
    assert run.code == 0
    assert run.report["findings"] == []
    assert run.report["stacks"][0]["changed_functions"] == []


def test_fingerprints_are_stable_and_distinct(capsys: pytest.CaptureFixture[str]) -> None:
    first = findings(check_case(capsys, "arm64-layer").report)[0]["fingerprint"]
    again = findings(check_case(capsys, "arm64-layer").report)[0]["fingerprint"]
    other = findings(check_case(capsys, "code-env").report)[0]["fingerprint"]
    assert first == again != other
