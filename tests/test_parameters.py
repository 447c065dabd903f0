"""Parameter overrides as the deploy commands take them, and how a deployment settles values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources.cloudformation.parameters import (
    apply_parameter_values,
    find_samconfig,
    load_samconfig,
    parse_overrides,
)
from reviewer.sources.text.files import load_template_text

SECRET = "hunter2-canary"

# --- --parameter-overrides ------------------------------------------------------------------


def test_key_value_items_keep_every_equals_sign_after_the_first() -> None:
    assert parse_overrides(["Stage=prod", "Query=a=b&c=d", "Empty="]) == {
        "Stage": "prod", "Query": "a=b&c=d", "Empty": ""
    }


def test_an_argument_the_shell_kept_together_is_one_value() -> None:
    assert parse_overrides(["Greeting=hello world"]) == {"Greeting": "hello world"}


def test_one_string_of_several_items_as_samconfig_stores_them() -> None:
    text = 'Stage=prod Greeting="hello world" Owner=\'team a\' Url=https://x.example/a=b'
    assert parse_overrides([text]) == {
        "Stage": "prod", "Greeting": "hello world", "Owner": "team a",
        "Url": "https://x.example/a=b",
    }


def test_sams_older_parameterkey_spelling() -> None:
    text = "ParameterKey=Stage,ParameterValue=prod ParameterKey=Size,ParameterValue=3"
    assert parse_overrides([text]) == {"Stage": "prod", "Size": "3"}


def test_later_items_win() -> None:
    assert parse_overrides(["Stage=dev", "Stage=prod"]) == {"Stage": "prod"}


@pytest.mark.parametrize(
    "document",
    [
        ["Stage=prod", "Size=3"],
        [{"ParameterKey": "Stage", "ParameterValue": "prod"},
         {"ParameterKey": "Size", "ParameterValue": "3"},
         {"ParameterKey": "Kept", "UsePreviousValue": True}],
        {"Parameters": {"Stage": "prod", "Size": 3}, "Tags": {"team": "a"}},
    ],
    ids=["key-value list", "cloudformation", "codepipeline"],
)
def test_json_parameter_files_in_the_three_forms_the_aws_cli_reads(
    tmp_path: Path, document: object
) -> None:
    (tmp_path / "params.json").write_text(json.dumps(document), encoding="utf-8")
    expected = {"Stage": "prod", "Size": "3"}
    assert parse_overrides(["file://params.json"], base=tmp_path) == expected
    assert parse_overrides(["params.json"], base=tmp_path) == expected
    absolute = f"file://{tmp_path / 'params.json'}"
    assert parse_overrides([absolute, "Size=4"]) == {"Stage": "prod", "Size": "4"}


def test_an_item_without_equals_is_named_by_position_never_by_content() -> None:
    with pytest.raises(InputError) as caught:
        parse_overrides(["Stage=prod", f"DbPassword:{SECRET}"])
    assert str(caught.value) == (
        "--parameter-overrides: item 2 is not Key=Value (a parameter name, '=' and its value)"
    )


def test_a_key_that_cannot_be_a_parameter_name_is_an_error() -> None:
    with pytest.raises(InputError, match=r"item 1: 'db-password' is not a parameter name"):
        parse_overrides([f"db-password={SECRET}"])


def test_malformed_json_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "params.json").write_text('[\n  "Stage=prod",\n  oops\n]', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        parse_overrides(["file://params.json"], base=tmp_path)
    assert (caught.value.path, caught.value.line) == (str(tmp_path / "params.json"), 3)
    assert caught.value.message.startswith("malformed JSON")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"Stage": "prod"}', "not a parameter file"),
        ('[{"ParameterKey": "Stage"}]', r"entry 1 \(Stage\) has no ParameterValue"),
        ('[42]', "entry 1 is neither"),
        ('{"Parameters": {"Stage": {"nested": 1}}}', "the value of Stage is neither"),
    ],
)
def test_json_of_another_shape_is_an_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "params.json").write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        parse_overrides(["params.json"], base=tmp_path)


def test_a_missing_parameter_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such parameter file"):
        parse_overrides(["file://absent.json"], base=tmp_path)


# --- samconfig -----------------------------------------------------------------------------

SAMCONFIG = """\
version = 0.1
[default.global.parameters]
region = "eu-west-1"
parameter_overrides = "Stage=global"

[default.deploy.parameters]
stack_name = "orders"
parameter_overrides = "Stage=prod Greeting=\\"hello world\\""

[staging.deploy.parameters]
stack_name = "orders-staging"
parameter_overrides = ["Stage=staging", "Greeting=hi there"]

[qa.global.parameters]
parameter_overrides = "Stage=qa"
"""


def test_samconfig_deploy_settings_of_the_default_environment(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(SAMCONFIG, encoding="utf-8")
    config = load_samconfig(tmp_path / "samconfig.toml")
    assert dict(config.parameter_overrides) == {"Stage": "prod", "Greeting": "hello world"}
    assert (config.stack_name, config.region, config.env) == ("orders", "eu-west-1", "default")
    assert "hello world" not in repr(config)


def test_samconfig_list_form_and_named_environments(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(SAMCONFIG, encoding="utf-8")
    staging = load_samconfig(tmp_path / "samconfig.toml", "staging")
    assert dict(staging.parameter_overrides) == {"Stage": "staging", "Greeting": "hi there"}
    qa = load_samconfig(tmp_path / "samconfig.toml", "qa")  # from the global section
    assert dict(qa.parameter_overrides) == {"Stage": "qa"}
    with pytest.raises(InputError, match="has no config environment 'prod'"):
        load_samconfig(tmp_path / "samconfig.toml", "prod")


def test_samconfig_yaml_and_a_file_without_the_default_environment(tmp_path: Path) -> None:
    path = tmp_path / "samconfig.yaml"
    path.write_text(
        "version: 0.1\nprod:\n  deploy:\n    parameters:\n      parameter_overrides: A=1 B=2\n",
        encoding="utf-8",
    )
    assert dict(load_samconfig(path, "prod").parameter_overrides) == {"A": "1", "B": "2"}
    assert dict(load_samconfig(path).parameter_overrides) == {}


def test_malformed_samconfig_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text('version = 0.1\n[default.deploy.parameters]\nstack_name = "a\n',
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_samconfig(path)
    assert caught.value.line == 3
    assert caught.value.message.startswith("malformed TOML")


def test_samconfig_is_found_next_to_the_template_or_its_project(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Resources: {}\n", encoding="utf-8")
    assert find_samconfig(tmp_path / "template.yaml") is None
    (tmp_path / "samconfig.toml").write_text(SAMCONFIG, encoding="utf-8")
    assert find_samconfig(tmp_path / "template.yaml") == tmp_path / "samconfig.toml"
    built = tmp_path / ".aws-sam" / "build"
    built.mkdir(parents=True)
    (built / "template.yaml").write_text("Resources: {}\n", encoding="utf-8")
    assert find_samconfig(built / "template.yaml") == tmp_path.resolve() / "samconfig.toml"


# --- settling values ----------------------------------------------------------------------

TEMPLATE = """\
Parameters:
  Stage: {Type: String, Default: dev}
  Size: {Type: Number, Default: 128}
  Layer: {Type: String}
  DbPassword: {Type: String, NoEcho: true}
  AmiId: {Type: "AWS::SSM::Parameter::Value<String>", Default: /app/ami}
Resources:
  Queue: {Type: AWS::SQS::Queue}
"""


def stack(text: str = TEMPLATE, name: str = "orders") -> StackTemplate:
    return load_template_text(Path(f"{name}.yaml"), text, name)


def deployed(values: dict[str, str], name: str = "orders") -> StackTemplate:
    old = stack(name=name)
    old.parameter_values = values
    return old


def test_an_override_wins_then_the_deployed_value_then_the_default() -> None:
    old = deployed({"Stage": "prod", "Size": "256", "Layer": "arn:layer:1",
                    "DbPassword": "****", "AmiId": "ami-1"})
    (new,) = apply_parameter_values([stack()], {"Stage": "staging"}, [old])
    assert new.parameter_values == {"Stage": "staging", "Size": "256", "Layer": "arn:layer:1",
                                    "DbPassword": "****", "AmiId": "ami-1"}
    assert new.notes == ()


def test_without_a_deployed_stack_defaults_apply_and_a_parameter_without_value_is_noted() -> None:
    (new,) = apply_parameter_values([stack()], {"DbPassword": SECRET})
    assert new.parameter_values == {"DbPassword": SECRET}
    assert new.parameter_value("Stage") == "dev"
    (note,) = new.notes
    assert note.startswith("parameter Layer has no value (no override, no deployed value, no "
                           "Default)")


def test_an_overridden_noecho_value_that_is_masked_when_deployed_is_unknown() -> None:
    old = deployed({"Stage": "dev", "Size": "128", "Layer": "l", "DbPassword": "****",
                    "AmiId": "ami-1"})
    (new,) = apply_parameter_values([stack()], {"DbPassword": SECRET}, [old])
    assert new.parameter_values["DbPassword"] == "****"  # compares equal: no change claimed
    (note,) = new.notes
    assert "DbPassword is NoEcho and overridden" in note
    assert SECRET not in note and SECRET not in repr(new)


def test_an_ssm_parameter_pointed_elsewhere_resolves_to_an_unknown_value() -> None:
    old = deployed({"Stage": "dev", "Size": "128", "Layer": "l", "DbPassword": "x",
                    "AmiId": "ami-1"})
    (new,) = apply_parameter_values([stack()], {"AmiId": "/app/other-ami"}, [old])
    assert new.parameter_values["AmiId"] == "ami-1"
    (note,) = new.notes
    assert note.startswith("parameter AmiId names an SSM parameter, resolved at deploy time")


def test_an_override_no_parameter_declares_is_noted_once() -> None:
    first, second = stack(name="a"), stack(name="b")
    out = apply_parameter_values([first, second], {"Layer": "l", "DbPassword": "p", "Stag": "x"})
    assert out[0].notes == ("override(s) for Stag: no such parameter in the template",)
    assert out[1].notes == ()


def test_stacks_pair_by_name_and_nested_stacks_are_left_to_their_parent() -> None:
    child = stack(name="a.Child")
    child.parent = ("a", "Child")
    child.parameter_values = {"Stage": "from-parent"}
    new = [stack(name="a"), child, stack(name="b")]
    old = [deployed({"Stage": "a-deployed"}, "a"), deployed({"Stage": "b-deployed"}, "b")]
    settled = apply_parameter_values(new, {}, old)
    assert [s.parameter_value("Stage") for s in settled] == [
        "a-deployed", "from-parent", "b-deployed"
    ]
    assert settled[1] is child


def test_an_override_for_a_parameter_the_change_adds_is_named_on_the_baseline_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The new template declares ``Subnets``, the deployed one does not: the override is used
    on the new side, and the note says it is the baseline that has no such parameter."""
    from reviewer.cli import main

    def body(with_parameter: bool) -> dict[str, object]:
        out: dict[str, object] = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
        if with_parameter:
            out["Parameters"] = {"Subnets": {"Type": "String", "Default": ""}}
        return out

    (tmp_path / "new.json").write_text(json.dumps(body(True)), encoding="utf-8")
    (tmp_path / "old.json").write_text(json.dumps(body(False)), encoding="utf-8")
    code = main(["check", "-t", str(tmp_path / "new.json"), "-b", str(tmp_path / "old.json"),
                 "--parameter-overrides", "Subnets=subnet-secret-1", "-f", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    (stack,) = report["stacks"]
    assert stack["notes"] == [
        "override(s) for Subnets: no such parameter in the baseline template (so not used there)"
    ]
    assert "subnet-secret-1" not in json.dumps(report)
