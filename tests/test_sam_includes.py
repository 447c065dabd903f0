"""``AWS::Include`` of local files in SAM apps: inlined before the SAM transform, as a deployment
inlines them, so that an API's OpenAPI body kept in ``api.yaml`` names its callers; an include
that cannot be read (S3, a path to nothing) is named in a note, and the analysis goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import Run, git, run_cli, validate

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: "'*'"
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters:
            Location: {location}
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: {runtime}
"""

#: An OpenAPI body whose one integration calls ``{target}`` (``OrdersFn.Arn``, or the alias).
API = """\
openapi: 3.0.1
info: {{title: orders, version: '1'}}
paths:
  /orders:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: !Sub "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/\
          2015-03-31/functions/${{{target}}}/invocations"
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root / "template.yaml"


def sam_app(
    root: Path,
    *,
    location: str = "./api.yaml",
    runtime: str = "python3.12",
    code: str = "return 1",
    target: str = "OrdersFn.Arn",
    extra: dict[str, str] | None = None,
) -> Path:
    return write(root, {
        "template.yaml": TEMPLATE.format(location=location, runtime=runtime),
        "api.yaml": API.format(target=target),
        "src/app.py": f"def handler(event, context):\n    {code}\n",
        **(extra or {}),
    })


def check(capsys: pytest.CaptureFixture[str], new: Path, old: Path | str) -> Run:
    baseline = ["--baseline-ref", str(old)] if isinstance(old, str) else ["-b", str(old)]
    run = run_cli(capsys, "check", "-t", new, *baseline, "-f", "json")
    if run.code != 2:
        validate(run.report)
    return run


def finding(run: Run, rule: str) -> dict[str, Any]:
    (found,) = [f for f in run.report["findings"] if f["rule"] == rule]
    return found


def consumers(found: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["resource"], c["kind"]) for c in found["consumers"]]


def test_an_included_openapi_body_names_its_callers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The body's integration calls OrdersFn unqualified: the API is a consumer exposed to the
    race, as if the body were written in the template (which, with Cors, SAM used to refuse)."""
    old = sam_app(tmp_path / "old", runtime="python3.12", code="return 1")
    new = sam_app(tmp_path / "new", runtime="python3.13", code="return 2")
    run = check(capsys, new, old)
    assert run.code == 1, run.err
    lg001 = finding(run, "LG001")
    assert lg001["resource"] == "OrdersFn"
    assert ("OrdersApi", "API Gateway REST API (OpenAPI body)") in consumers(lg001)
    assert lg001["location"]["path"] == str(new)
    assert lg001["location"]["line"] == 13  # OrdersFn in template.yaml, not a line of api.yaml
    assert not any("AWS::Include" in n for n in run.report["stacks"][0]["notes"])


def test_short_forms_json_files_and_includes_outside_an_api_are_inlined(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``!Transform``, a ``!Sub`` location, a JSON file, an include in the top-level Transform
    list (whose sections join the template) and one inside a function's properties (whose keys
    join them): the Runtime written in ``props.yaml`` changes, the template does not."""
    template = (
        "Transform:\n"
        "  - Name: AWS::Include\n"
        "    Parameters: {Location: shared/queue.yaml}\n"
        "  - AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  OrdersApi:\n"
        "    Type: AWS::Serverless::Api\n"
        "    Properties:\n"
        "      StageName: prod\n"
        "      Cors: \"'*'\"\n"
        "      DefinitionBody:\n"
        "        !Transform {Name: AWS::Include, Parameters: {Location: !Sub api.json}}\n"
        "  OrdersFn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: src/\n"
        "      Handler: app.handler\n"
        "      Events:\n"
        "        Queue: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}\n"
        "      Fn::Transform:\n"
        "        Name: AWS::Include\n"
        "        Parameters: {Location: ../shared-config/props.yaml}\n"
    )
    api = (
        '{"swagger": "2.0", "info": {"title": "orders", "version": "1"}, "paths": {"/orders": '
        '{"get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",'
        ' "uri": {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/'
        'functions/${OrdersFn.Arn}/invocations"}}}}}}\n'
    )
    queue = (
        "Resources:\n"
        "  Jobs:\n"
        "    Type: AWS::SQS::Queue\n"
        "  Nightly:\n"
        "    Type: AWS::Events::Rule\n"
        "    Properties:\n"
        "      ScheduleExpression: rate(1 day)\n"
        "      Targets: [{Id: orders, Arn: !GetAtt OrdersFn.Arn}]\n"
    )
    for side, runtime, code in (("old", "python3.12", "1"), ("new", "python3.13", "2")):
        write(tmp_path / side, {
            "app/template.yaml": template,
            "app/api.json": api,
            "app/shared/queue.yaml": queue,
            "shared-config/props.yaml": f"Runtime: {runtime}\nMemorySize: 256\n",
            "app/src/app.py": f"def handler(event, context):\n    return {code}\n",
        })
    run = check(capsys, tmp_path / "new/app/template.yaml", tmp_path / "old/app/template.yaml")
    assert run.code == 1, run.err
    lg001 = finding(run, "LG001")
    assert [c["property"] for c in lg001["changes"]["config"]] == ["Runtime"]
    assert {resource for resource, _ in consumers(lg001)} == {
        "OrdersApi", "OrdersFnQueue", "Nightly",
    }


@pytest.mark.parametrize(("location", "said"), [
    ("s3://artifacts/orders/api.yaml", "'s3://artifacts/orders/api.yaml' (template.yaml:9), in S3"),
    ("!Sub ./${Stage}/api.yaml", "a location built by an expression (template.yaml:9)"),
])
def test_an_include_that_is_not_local_stays_unknown_with_a_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, location: str, said: str
) -> None:
    old = sam_app(tmp_path / "old", location=location, runtime="python3.12", code="return 1")
    new = sam_app(tmp_path / "new", location=location, runtime="python3.13", code="return 2")
    run = check(capsys, new, old)
    assert run.code == 1, run.err  # the race is still found; only the API's part is unknown
    assert "OrdersApi" not in {resource for resource, _ in consumers(finding(run, "LG001"))}
    (stack,) = run.report["stacks"]
    assert (
        f"AWS::Include not read: DefinitionBody of OrdersApi comes from {said}, so its "
        "content, and any caller it names, cannot be seen"
    ) in stack["notes"]


def test_an_included_file_that_does_not_exist_is_a_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = sam_app(tmp_path / "old", location="../missing/api.yaml", runtime="python3.12")
    new = sam_app(tmp_path / "new", location="../missing/api.yaml", runtime="python3.13")
    run = check(capsys, new, old)
    assert run.code == 0, run.err  # Runtime alone changes: nothing to race with
    (stack,) = run.report["stacks"]
    assert any(
        n.startswith("AWS::Include not read: DefinitionBody of OrdersApi comes from "
                     "'../missing/api.yaml' (template.yaml:9), no such file")
        for n in stack["notes"]
    ), stack["notes"]


def test_a_missing_include_the_transform_cannot_do_without_names_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template = TEMPLATE.format(location="./api.yaml", runtime="python3.12") + (
        "      Fn::Transform:\n"
        "        Name: AWS::Include\n"
        "        Parameters: {Location: ./props.yaml}\n"
    )
    new = sam_app(tmp_path / "new", extra={"template.yaml": template})
    run = run_cli(capsys, "check", "-t", new)
    assert run.code == 2
    assert run.out == ""
    (line,) = run.err.splitlines()
    assert line.startswith(f"latest-guard: error: {new}:13: SAM transform failed: ")
    assert line.endswith(
        "(AWS::Include of './props.yaml' (template.yaml:19) was not read: no such file)"
    )


def test_a_malformed_included_file_is_an_input_error_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = sam_app(tmp_path / "new", extra={"api.yaml": "openapi: 3.0.1\npaths: [\n"})
    run = run_cli(capsys, "check", "-t", new)
    assert run.code == 2
    (line,) = run.err.splitlines()
    assert line.startswith(f"latest-guard: error: {new.parent / 'api.yaml'}:3: malformed YAML")


@pytest.mark.usefixtures("isolated_git")
def test_the_git_baseline_reads_the_included_file_of_the_base_commit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deployed: the body calls OrdersFn through its alias. The change edits api.yaml alone,
    back to the unqualified ARN: a change of the API that removes the protection (LG005)."""
    root = tmp_path / "orders"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    alias = TEMPLATE.format(location="./api.yaml", runtime="python3.12") + (
        "      AutoPublishAlias: live\n"
    )
    sam_app(root, target="OrdersFnAliaslive", extra={"template.yaml": alias})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    (root / "api.yaml").write_text(API.format(target="OrdersFn.Arn"), encoding="utf-8")
    monkeypatch.chdir(root)
    run = check(capsys, Path("template.yaml"), "HEAD")
    assert run.code == 0, run.err  # LG005 is a warning when the function does not change
    lg005 = finding(run, "LG005")
    assert lg005["resource"] == "OrdersFn"
    assert ("OrdersApi", "API Gateway REST API (OpenAPI body)") in consumers(lg005)
    assert lg005["location"]["path"] == "template.yaml"
    # The same commit against itself: the base reads its own api.yaml, and nothing changed.
    git(root, "stash", "-q")
    assert check(capsys, Path("template.yaml"), "HEAD").report["findings"] == []
