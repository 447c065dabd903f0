"""Macros of the ``Transform`` section: Datadog's serverless macro is expanded, any other macro
is named as not expanded, and its functions' configuration is not known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import Run, run_cli, validate

SECRET = "dd-api-key-0f3c9a"


@pytest.fixture(autouse=True)
def _no_configured_region(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No region from the machine's AWS configuration: layer ARNs keep ``${AWS::Region}``."""
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))


def sam_app(
    *,
    code: str = "v1",
    transform: str | None = None,
    extension: Any = 73,
    handler: str = "app.handler",
    api_key: str = SECRET,
    parameters: str = "",
) -> str:
    """A SAM app with an API-invoked arm64 Python function, instrumented by the Datadog macro
    after the SAM transform (or the ``Transform`` section given)."""
    transform = transform or (
        "Transform:\n"
        "  - AWS::Serverless-2016-10-31\n"
        "  - Name: DatadogServerless\n"
        "    Parameters:\n"
        "      pythonLayerVersion: 101\n"
        f"      extensionLayerVersion: {extension}\n"
        f"      apiKey: {api_key}\n"
        "      service: orders\n"
    )
    return (
        f"{transform}{parameters}"
        "Resources:\n"
        "  OrdersFn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        f"      CodeUri: s3://artifacts/orders-{code}.zip\n"
        f"      Handler: {handler}\n"
        "      Runtime: python3.12\n"
        "      Architectures: [arm64]\n"
        "      Events:\n"
        "        Get:\n"
        "          Type: Api\n"
        "          Properties: {Path: /orders, Method: get}\n"
    )


def check(capsys: pytest.CaptureFixture[str], tmp_path: Path, base: str, head: str,
          form: str = "json") -> Run:
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "template.yaml").write_text(head, encoding="utf-8")
    run = run_cli(capsys, "check", "-t", tmp_path / "template.yaml", "-b",
                  tmp_path / "base.yaml", "-f", form)
    if form == "json":
        validate(run.report)
    assert SECRET not in run.out + run.err
    return run


def test_an_extension_version_bump_beside_a_code_change_races_on_layers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = check(capsys, tmp_path, sam_app(extension=73), sam_app(code="v2", extension=74))
    assert run.code == 1
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"], finding["resource"]) == (
        "LG001", "error", "OrdersFn")
    assert finding["message"].startswith(
        "code (Code) and configuration (Layers) change in one deployment;")
    (layers,) = [c for c in finding["changes"]["config"] if c["property"] == "Layers"]
    assert "Datadog-Extension-ARM:73" in layers["detail"]
    assert "Datadog-Extension-ARM:74" in layers["detail"]
    text = check(capsys, tmp_path, sam_app(extension=73), sam_app(code="v2", extension=74),
                 "text")
    assert "swapped Datadog-Extension-ARM:73 for Datadog-Extension-ARM:74" in text.out


def test_the_macro_alone_is_no_race(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run = check(capsys, tmp_path, sam_app(), sam_app(code="v2"))
    assert run.code == 0
    assert run.report["findings"] == []
    (stack,) = run.report["stacks"]
    assert stack["quiet_functions"] == [
        {"function": "OrdersFn", "reason": "code only (Code): one call, nothing to race with"}
    ]
    assert stack["notes"] == []


def test_the_original_handler_moves_into_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The macro points Handler at Datadog's wrapper: a new handler is an Environment change
    (DD_LAMBDA_HANDLER), and a new API key too, named by key, never by value."""
    run = check(capsys, tmp_path, sam_app(),
                sam_app(code="v2", handler="app.main", api_key="dd-api-key-rotated"))
    (finding,) = run.report["findings"]
    assert finding["severity"] == "error"
    (environment,) = [c for c in finding["changes"]["config"]
                      if c["property"] == "Environment"]
    assert "DD_LAMBDA_HANDLER" in environment["detail"]
    assert "DD_API_KEY" in environment["detail"]
    assert not [c for c in finding["changes"]["config"] if c["property"] == "Handler"]
    assert "dd-api-key-rotated" not in run.out


def test_a_layer_version_from_a_parameter_is_compared_as_it_deploys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def parameters(default: str) -> str:
        return f"Parameters:\n  ExtensionVersion:\n    Type: String\n{default}"

    known = check(capsys, tmp_path,
                  sam_app(extension="!Ref ExtensionVersion",
                          parameters=parameters("    Default: '73'\n")),
                  sam_app(code="v2", extension="!Ref ExtensionVersion",
                          parameters=parameters("    Default: '74'\n")))
    (finding,) = known.report["findings"]
    assert finding["severity"] == "error"
    assert "configuration (Layers)" in finding["message"]
    unknown = check(capsys, tmp_path,
                    sam_app(extension="!Ref ExtensionVersion", parameters=parameters("")),
                    sam_app(code="v2", extension="!Ref ExtensionVersion",
                            parameters=parameters("")))
    (notice,) = unknown.report["findings"]
    assert notice["severity"] == "notice"
    assert notice["message"].startswith(
        "may race: Layers comes from parameter ExtensionVersion, not known, while the code "
        "(Code) changes;"
    )


def test_listed_before_the_sam_transform_it_sees_no_sam_function(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """CloudFormation applies transforms in their order: the macro runs first, on a template
    whose functions are still AWS::Serverless::Function resources."""
    def first(version: int) -> str:
        return (
            "Transform:\n"
            "  - Name: DatadogServerless\n"
            "    Parameters: {pythonLayerVersion: 101, extensionLayerVersion: "
            f"{version}, apiKey: {SECRET}}}\n"
            "  - AWS::Serverless-2016-10-31\n"
        )

    run = check(capsys, tmp_path, sam_app(transform=first(73)),
                sam_app(code="v2", transform=first(74)))
    assert run.report["findings"] == []
    (note,) = run.report["stacks"][0]["notes"]
    assert note.startswith("macro DatadogServerless runs before AWS::Serverless-2016-10-31")


UNKNOWN_MACRO = "Transform: [AWS::Serverless-2016-10-31, AcmeInstrument]\n"


def test_a_macro_that_is_not_expanded_makes_a_code_change_a_notice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    base, head = sam_app(transform=UNKNOWN_MACRO), sam_app(code="v2", transform=UNKNOWN_MACRO)
    run = check(capsys, tmp_path, base, head)
    assert run.code == 0
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"]) == ("LG001", "notice")
    assert finding["message"].startswith(
        "may race: configuration may change through macro AcmeInstrument, not expanded, while "
        "the code (Code) changes; an API Gateway REST API"
    )
    assert finding["fix"]["two_phase"] is True
    (stack,) = run.report["stacks"]
    note = "macro AcmeInstrument is not expanded here: what it adds to functions is not known"
    assert stack["notes"] == [note]
    assert stack["quiet_functions"] == []
    text = check(capsys, tmp_path, base, head, "text")
    assert f"note: {note}" in text.out
    assert "nothing to race with" not in text.out


def test_a_macro_the_settings_of_which_are_not_literal_is_not_expanded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    transform = (
        "Transform:\n"
        "  - AWS::Serverless-2016-10-31\n"
        "  - Name: DatadogServerless\n"
        "    Parameters: {addLayers: !Ref AddLayers, pythonLayerVersion: 101}\n"
        "Parameters:\n"
        "  AddLayers: {Type: String, Default: 'true'}\n"
    )
    run = check(capsys, tmp_path, sam_app(transform=transform),
                sam_app(code="v2", transform=transform))
    (finding,) = run.report["findings"]
    assert finding["message"].startswith(
        "may race: configuration may change through macro DatadogServerless, not expanded")
    (note,) = run.report["stacks"][0]["notes"]
    assert note == (
        "macro DatadogServerless is not expanded here (its addLayers setting is not written as "
        "a literal): what it adds to functions is not known"
    )
