"""A function that changes without a finding says why, in every report a person reads."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from support import validate
from template_builder import CODE_V1, CODE_V2, compare, template

from reviewer.commands.check import CheckOptions, run_check
from reviewer.config import Config
from reviewer.report import json_v1, markdown, text

ENV_A = {"Variables": {"MODE": "a"}}
ENV_B = {"Variables": {"MODE": "b"}}
PROVIDER = {"Type": "Custom::Seed",
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}}}


def aliased(code: dict[str, str], env: dict[str, Any]) -> dict[str, Any]:
    """A function whose only caller goes through an alias on a version that changes with it."""
    version_id = "FnVersion" + code["S3Key"].replace(".", "")
    return template(
        {"Fn": {"Code": code, "Environment": env}},
        resources={
            version_id: {"Type": "AWS::Lambda::Version",
                         "Properties": {"FunctionName": {"Ref": "Fn"}}},
            "Live": {"Type": "AWS::Lambda::Alias",
                     "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live",
                                    "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]}}},
            "Rule": {"Type": "AWS::Events::Rule",
                     "Properties": {"Targets": [{"Id": "t", "Arn": {"Ref": "Live"}}]}},
        },
    )


def quiet_of(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    report = compare(old, new)
    assert report.findings == ()
    (stack,) = report.stacks
    return dict(stack.quiet)


def test_code_only_and_configuration_only_say_so() -> None:
    old = template({"CodeFn": {"Code": CODE_V1, "Environment": ENV_A},
                    "ConfigFn": {"Code": CODE_V1, "Environment": ENV_A}})
    new = template({"CodeFn": {"Code": CODE_V2, "Environment": ENV_A},
                    "ConfigFn": {"Code": CODE_V1, "Environment": ENV_B, "MemorySize": 512}})
    quiet = quiet_of(old, new)
    assert quiet["CodeFn"].startswith("code only (Code)")
    assert quiet["ConfigFn"].startswith("configuration only (Environment and MemorySize)")


def test_created_and_replaced_functions_say_so() -> None:
    old = template({"Renamed": {"Code": CODE_V1, "FunctionName": "orders-v1"}})
    new = template({"Renamed": {"Code": CODE_V2, "FunctionName": "orders-v2", "Environment": ENV_B},
                    "Added": {"Code": CODE_V1}})
    quiet = quiet_of(old, new)
    assert quiet["Added"].startswith("created")
    assert quiet["Renamed"].startswith("replaced")


def test_a_function_published_through_an_alias_says_so() -> None:
    quiet = quiet_of(aliased(CODE_V1, ENV_A), aliased(CODE_V2, ENV_B))
    assert quiet == {"Fn": "published through an alias: callers move to the new version in one "
                           "switch"}


def test_a_custom_resource_provider_says_so() -> None:
    old = template({"Provider": {"Code": CODE_V1, "Environment": ENV_A}},
                   resources={"Seed": PROVIDER})
    new = template({"Provider": {"Code": CODE_V2, "Environment": ENV_B}},
                   resources={"Seed": PROVIDER})
    assert quiet_of(old, new)["Provider"].startswith("custom-resource provider")


def test_the_reasons_reach_the_text_markdown_and_json_reports() -> None:
    old = template({"CodeFn": {"Code": CODE_V1}, "Raced": {"Code": CODE_V1, "Environment": ENV_A}})
    new = template({"CodeFn": {"Code": CODE_V2}, "Raced": {"Code": CODE_V2, "Environment": ENV_B}})
    report = compare(old, new)
    assert [f.resource for f in report.findings] == ["Raced"]
    shown = text.render(report)
    assert "CodeFn: no finding, code only (Code)" in shown
    assert "Raced: no finding" not in shown
    comment = markdown.render(report)
    assert "1 changed function without a finding" in comment
    assert "`CodeFn`: code only (Code)" in comment
    document = json.loads(json_v1.render(report))
    validate(document)
    assert document["stacks"][0]["quiet_functions"] == [
        {"function": "CodeFn", "reason": "code only (Code): one call, nothing to race with"}
    ]


def test_no_reason_is_given_when_the_race_rule_is_disabled() -> None:
    old = template({"CodeFn": {"Code": CODE_V1}})
    new = template({"CodeFn": {"Code": CODE_V2}})
    report = compare(old, new, Config(disabled=frozenset({"LG001"})))
    assert report.stacks[0].quiet == ()
    assert "without a finding" not in markdown.render(report)


def test_the_reasons_survive_the_report_artifact() -> None:
    """The Action's publish step reads the report back: the reasons come with it."""
    from reviewer.report.json_v1 import report_from_document

    old = template({"CodeFn": {"Code": CODE_V1}})
    new = template({"CodeFn": {"Code": CODE_V2}})
    report = compare(old, new)
    read = report_from_document(json.loads(json_v1.render(report)))
    assert read.stacks[0].quiet == report.stacks[0].quiet != ()
    older = json.loads(json_v1.render(report))
    del older["stacks"][0]["quiet_functions"]  # a report of an earlier version
    assert report_from_document(older).stacks[0].quiet == ()


def test_a_function_whose_code_could_not_be_read_says_so(tmp_path: Path) -> None:
    """A ``CodeUri`` build folder that neither side has: the code is unknown, not unchanged.
    Beside a configuration change it may race; with its callers on an alias it is quiet, and
    says what is not known."""
    sam = (
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: build/fn/\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        "      Environment: {{Variables: {{MODE: {mode}}}}}\n"
    )
    for alias, expected in (("", None), ("      AutoPublishAlias: live\n", "quiet")):
        (tmp_path / "base.yaml").write_text(sam.format(mode="a") + alias, encoding="utf-8")
        (tmp_path / "head.yaml").write_text(sam.format(mode="b") + alias, encoding="utf-8")
        report = run_check(CheckOptions(templates=(Path("head.yaml"),),
                                        baselines=(Path("base.yaml"),),
                                        working_directory=tmp_path), io.StringIO())
        (stack,) = report.stacks
        assert any("build/fn/" in note and "Fn" in note for note in stack.notes)
        if expected is None:
            (finding,) = report.findings
            assert finding.message.startswith(
                "may race: the code could not be read (see the note), while the configuration "
                "(Environment) changes;"
            )
            continue
        assert report.findings == ()
        assert dict(stack.quiet) == {
            "Fn": "configuration (Environment) changes and the code may change (Code not read, "
                  "see the note); no caller reaches $LATEST: callers go through a version or "
                  "alias"
        }
