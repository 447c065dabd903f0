"""A Serverless Framework v3 service packaged by the real tool (tests/apps/serverless).

Each ``serverless.<variant>.yml`` is the orders service at one revision; regenerate.sh packaged
them into ``out/<variant>/``. A package is checked against another the way a pull request is
checked against what is deployed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import Run, run_cli, validate

from reviewer.sources import load_side

APP = Path(__file__).parent / "apps" / "serverless"
OUT = APP / "out"
FUNCTION = "OrdersLambdaFunction"


def check(capsys: pytest.CaptureFixture[str], template: Path, baseline: Path, *extra: str) -> Run:
    run = run_cli(capsys, "check", "--template", template, "--baseline", baseline,
                  "--format", "json", *extra)
    validate(run.report)
    return run


def variant(capsys: pytest.CaptureFixture[str], name: str, baseline: str = "baseline") -> Run:
    return check(capsys, OUT / name, OUT / baseline)


def line_of(path: Path, text: str) -> int:
    """The line where ``text`` starts a line of ``path`` (indentation included)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if line.startswith(text)]
    return number


def template(package: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (package / "cloudformation-template-update-stack.json").read_text(encoding="utf-8")
    )
    return document


def changed(finding: dict[str, Any], side: str) -> list[str]:
    return [c["property"] for c in finding["changes"][side]]


def test_arm64_with_an_arm64_layer_is_an_error_at_the_function_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = variant(capsys, "arm64-layer")
    assert run.code == 1
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"], finding["stack"], finding["resource"]) == (
        "LG001", "error", "orders-dev", FUNCTION
    )
    assert changed(finding, "code") == ["Architectures", "Code"]
    (layers,) = finding["changes"]["config"]
    assert (layers["property"], layers["how"], layers["cause"]) == (
        "Layers", "by reference", "DepsLambdaLayer"
    )
    kinds = {c["resource"]: c["kind"] for c in finding["consumers"]}
    assert kinds == {
        "ApiGatewayMethodOrdersGet": "API Gateway method GET",
        "OrdersEventSourceMappingSQSOrdersQueue": "SQS event source mapping",
        "Ordersdevordersrule3EventBridgeRule": "EventBridge rule target",
    }
    config = APP / "serverless.arm64-layer.yml"
    location = finding["location"]
    assert Path(location["path"]).resolve() == config.resolve()
    assert location["line"] == line_of(config, "  orders:")
    assert (location["confidence"], location["symbol"]) == ("exact", "orders")


def test_code_with_a_new_environment_variable_is_an_error_naming_the_key_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = variant(capsys, "code-env")
    assert run.code == 1
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    assert changed(finding, "code") == ["Code"]
    (env,) = finding["changes"]["config"]
    assert env["property"] == "Environment"
    assert "RECEIPTS_BUCKET" in env["detail"]
    assert "orders-receipts-dev" not in run.out
    config = APP / "serverless.code-env.yml"
    assert finding["location"]["line"] == line_of(config, "  orders:")
    assert Path(finding["location"]["path"]).name == config.name


@pytest.mark.parametrize("name", ["code-only", "config-only"])
def test_code_alone_or_configuration_alone_is_not_a_race(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    run = variant(capsys, name)
    assert run.code == 0
    assert run.report["findings"] == []
    assert run.report["stacks"][0]["changed_functions"] == [FUNCTION]


def test_packaging_the_same_service_again_changes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before, again = template(OUT / "baseline"), template(OUT / "baseline-repackaged")
    # What a re-package rewrites: the timestamped artifact keys and the API deployment's id.
    code_keys = [t["Resources"][FUNCTION]["Properties"]["Code"]["S3Key"] for t in (before, again)]
    layer_keys = [
        t["Resources"]["DepsLambdaLayer"]["Properties"]["Content"]["S3Key"] for t in (before, again)
    ]
    deployments = [
        {k for k in t["Resources"] if k.startswith("ApiGatewayDeployment")} for t in (before, again)
    ]
    assert code_keys[0] != code_keys[1]
    assert layer_keys[0] != layer_keys[1]
    assert deployments[0] != deployments[1]

    run = variant(capsys, "baseline-repackaged")
    assert run.code == 0
    assert run.report["findings"] == []
    (stack,) = run.report["stacks"]
    assert (stack["name"], stack["status"], stack["changed_functions"]) == (
        "orders-dev", "compared", []
    )


def test_traffic_through_the_canary_plugin_alias_is_safe(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check(capsys, OUT / "aliased", OUT / "aliased-baseline", "--fail-on", "warning")
    assert run.code == 0
    assert [f for f in run.report["findings"] if f["severity"] in ("error", "warning")] == []
    assert run.report["stacks"][0]["changed_functions"] == [FUNCTION]


def test_properties_and_generated_resources_point_at_the_service_configuration() -> None:
    (stack,) = load_side(OUT / "code-env")
    config = APP / "serverless.code-env.yml"

    def where(logical_id: str, *path: str | int) -> tuple[str, int | None, str | None, str | None]:
        found = stack.locate(logical_id, path)
        return Path(found.path).name, found.line, found.confidence, found.symbol

    entry = line_of(config, "  orders:")
    # Set on the function, and one variable of its environment.
    assert where(FUNCTION, "Handler") == (config.name, entry + 1, "exact", "orders")
    assert where(FUNCTION, "Environment", "Variables", "RECEIPTS_BUCKET") == (
        config.name, line_of(config, "      RECEIPTS_BUCKET:"), "exact", "orders"
    )
    # Inherited from the provider.
    assert where(FUNCTION, "Runtime") == (
        config.name, line_of(config, "  runtime:"), "exact", "orders"
    )
    assert where(FUNCTION, "Environment", "Variables", "ORDERS_TABLE") == (
        config.name, line_of(config, "    ORDERS_TABLE:"), "exact", "orders"
    )
    # Written nowhere: the function entry.
    assert where(FUNCTION, "FunctionName") == (config.name, entry, "exact", "orders")
    # Generated for the function, by name or by what they invoke.
    for generated in ("OrdersLogGroup", "OrdersEventSourceMappingSQSOrdersQueue",
                      "ApiGatewayMethodOrdersGet", "Ordersdevordersrule3EventBridgeRule"):
        assert where(generated) == (config.name, entry, "likely", "orders"), generated
    # Written by the user under resources.
    assert where("OrdersQueue", "VisibilityTimeout") == (
        config.name, line_of(config, "        VisibilityTimeout:"), "exact", "OrdersQueue"
    )
    # Neither: the generated template.
    assert Path(stack.locate("ServerlessDeploymentBucket").path).name == (
        "cloudformation-template-update-stack.json"
    )


def test_architecture_and_layer_changes_point_at_the_keys_that_made_them() -> None:
    (stack,) = load_side(OUT / "arm64-layer")
    config = APP / "serverless.arm64-layer.yml"
    wanted: list[tuple[str, tuple[str | int, ...]]] = [
        (FUNCTION, ("Architectures",)),
        (FUNCTION, ("Layers", 0)),
        ("DepsLambdaLayer", ()),
        ("DepsLambdaLayer", ("CompatibleArchitectures",)),
    ]
    found = {(logical_id, path): stack.locate(logical_id, path) for logical_id, path in wanted}
    lines = {where: (location.line, location.symbol) for where, location in found.items()}
    assert lines == {
        (FUNCTION, ("Architectures",)): (line_of(config, "  architecture: arm64"), "orders"),
        (FUNCTION, ("Layers", 0)): (line_of(config, "      - !Ref DepsLambdaLayer"), "orders"),
        ("DepsLambdaLayer", ()): (line_of(config, "  deps:"), "deps"),
        ("DepsLambdaLayer", ("CompatibleArchitectures",)): (
            line_of(config, "    compatibleArchitectures:"), "deps"
        ),
    }


def copy_package(source: str, service: Path) -> Path:
    """A package in a user's layout: ``<service>/.serverless`` next to its configuration."""
    package = service / ".serverless"
    shutil.copytree(OUT / source, package)
    state = json.loads((package / "serverless-state.json").read_text())
    config = state["service"]["serviceFilename"]
    shutil.copy(APP / config, service / config)
    return package


def test_a_package_inside_its_service_folder_points_at_that_configuration(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = copy_package("arm64-layer", tmp_path / "pr")
    old = copy_package("baseline", tmp_path / "main")
    (finding,) = check(capsys, new, old).report["findings"]
    config = tmp_path / "pr" / "serverless.arm64-layer.yml"
    assert Path(finding["location"]["path"]) == config
    assert finding["location"]["line"] == line_of(config, "  orders:")


def test_a_configuration_of_another_service_is_not_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = copy_package("arm64-layer", tmp_path / "pr")
    config = tmp_path / "pr" / "serverless.arm64-layer.yml"
    config.write_text(config.read_text().replace("service: orders", "service: billing"))
    (finding,) = check(capsys, new, OUT / "baseline").report["findings"]
    # The generated template instead: the line of the function resource there.
    assert Path(finding["location"]["path"]) == new / "cloudformation-template-update-stack.json"
    assert finding["location"]["confidence"] is None


def test_function_keys_are_normalised_like_the_framework_names_them(tmp_path: Path) -> None:
    service = tmp_path / "svc"
    package = service / ".serverless"
    package.mkdir(parents=True)
    fn = {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs20.x"}}
    template = {"Resources": {"GetDashordersUnderscorev2LambdaFunction": fn,
                              "GetDashordersUnderscorev2LogGroup": {"Type": "AWS::Logs::LogGroup"},
                              "GetDashordersLambdaFunction": fn}}
    (package / "cloudformation-template-update-stack.json").write_text(json.dumps(template))
    (service / "serverless.yml").write_text(
        "service: shop\nprovider:\n  name: aws\nfunctions:\n"
        "  get-orders:\n    handler: a.main\n"
        "  get-orders_v2:\n    handler: b.main\n    events:\n"
        "      - sqs:\n          arn: !GetAtt Queue.Arn\n"
    )
    (stack,) = load_side(package)
    assert stack.framework == "serverless"
    assert stack.name == "svc"  # no serverless-state.json: named after the service folder
    assert (stack.locate("GetDashordersLambdaFunction").line,
            stack.locate("GetDashordersLambdaFunction").symbol) == (5, "get-orders")
    assert stack.locate("GetDashordersUnderscorev2LogGroup").symbol == "get-orders_v2"
    assert stack.locate("GetDashordersUnderscorev2LambdaFunction", ("Handler",)).line == 8


SERVERLESS = APP / "node_modules" / ".bin" / "serverless"
FRESH = {"baseline": "serverless.yml", "arm64-layer": "serverless.arm64-layer.yml"}


def package_all(into: Path) -> None:
    """``serverless package`` of each FRESH variant into ``into/<variant>``.

    One after the other: the framework builds in ``<service>/.serverless`` before it moves
    the package to ``--package``, so two runs in one service folder would collide.
    """
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIAFAKE",
        "AWS_SECRET_ACCESS_KEY": "fake",
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
    }
    for name, config in FRESH.items():
        run = subprocess.run(
            [str(SERVERLESS), "package", "--config", config, "--package", str(into / name)],
            cwd=APP, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=300, check=False,
        )
        assert run.returncode == 0, f"serverless package of {name} failed:\n{run.stdout}"


def comparable(document: dict[str, Any]) -> str:
    """A template without what every package rewrites: artifact folders, deployment ids."""
    text = json.dumps(document, sort_keys=True)
    text = re.sub(r"serverless/orders/dev/[^/\"]+/", "serverless/orders/dev/<package>/", text)
    return re.sub(r"ApiGatewayDeployment\d+", "ApiGatewayDeployment<epoch>", text)


@pytest.mark.realtools
def test_a_fresh_package_gives_the_committed_result(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if not SERVERLESS.exists() or shutil.which("node") is None:
        pytest.skip("Serverless Framework v3 is not installed: run `npm ci` in "
                    "tests/apps/serverless")
    package_all(tmp_path)
    for name in FRESH:
        assert comparable(template(tmp_path / name)) == comparable(template(OUT / name)), (
            f"tests/apps/serverless/out/{name} is stale: run regenerate.sh"
        )
    fresh = check(capsys, tmp_path / "arm64-layer", tmp_path / "baseline").report
    committed = variant(capsys, "arm64-layer").report
    assert len(fresh["findings"]) == 1
    # The same finding, down to the serverless.yml line: the fresh package sits outside the
    # service, whose folder the state's artifact paths name.
    assert fresh["findings"] == committed["findings"]


def hand_written_package(service: Path, functions: dict[str, str]) -> Path:
    """A package folder with one resource per function, as ``serverless package`` names them."""
    package = service / ".serverless"
    package.mkdir(parents=True)
    fn = {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs20.x"}}
    resources = {f"{logical_id}LambdaFunction": fn for logical_id in functions.values()}
    (package / "cloudformation-template-update-stack.json").write_text(
        json.dumps({"Resources": resources})
    )
    state = {"service": {"service": "shop", "provider": {"stage": "prod"},
                         "serviceFilename": "serverless.yml",
                         "functions": {key: {} for key in functions}}}
    (package / "serverless-state.json").write_text(json.dumps(state))
    return package


def test_functions_and_resources_split_into_other_files_are_followed(tmp_path: Path) -> None:
    service = tmp_path / "svc"
    package = hand_written_package(service, {"orders": "Orders", "refunds": "Refunds"})
    (service / "serverless.yml").write_text(
        "service: shop\nprovider:\n  name: aws\n  timeout: 9\n"
        "functions:\n  - ${file(fns/orders.yml)}\n  - refunds:\n      handler: r.main\n"
        "resources:\n  - ${file(res.yml)}\n"
    )
    (service / "fns").mkdir()
    (service / "fns" / "orders.yml").write_text("orders:\n  handler: o.main\n  timeout: 20\n")
    (service / "res.yml").write_text("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n")
    (stack,) = load_side(package)
    assert stack.name == "shop-prod"
    orders = stack.locate("OrdersLambdaFunction", ("Timeout",))
    assert (Path(orders.path).name, orders.line, orders.symbol) == ("orders.yml", 3, "orders")
    refunds = stack.locate("RefundsLambdaFunction", ("Timeout",))
    assert (Path(refunds.path).name, refunds.line) == ("serverless.yml", 4)  # provider.timeout
    assert stack.locate("RefundsLambdaFunction").line == 7
    queue = stack.locate("Queue")
    assert (Path(queue.path).name, queue.line) == ("res.yml", 2)


def test_a_typescript_configuration_points_at_the_function_key(tmp_path: Path) -> None:
    service = tmp_path / "svc"
    package = hand_written_package(service, {"get-orders": "GetDashorders"})
    state = json.loads((package / "serverless-state.json").read_text())
    state["service"]["serviceFilename"] = "serverless.ts"
    (package / "serverless-state.json").write_text(json.dumps(state))
    (service / "serverless.ts").write_text(
        "const config = {\n  service: 'shop',\n  functions: {\n"
        "    'get-orders': {\n      handler: 'src/get.main',\n    },\n  },\n};\n"
        "export default config;\n"
    )
    (stack,) = load_side(package)
    found = stack.locate("GetDashordersLambdaFunction", ("Handler",))
    assert (Path(found.path).name, found.line, found.confidence, found.symbol) == (
        "serverless.ts", 4, "likely", "get-orders"
    )
