"""CDK apps: cloud assemblies synthesized by the real toolkit from tests/apps/cdk/.

The assemblies under tests/apps/cdk/out/ are committed (regenerate.sh rebuilds them); each is
one variant of the same app (lib/variants.js). One test re-runs ``cdk synth`` and is skipped
unless ``npm ci`` has been run in tests/apps/cdk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import Run, run_cli, validate

APP = Path(__file__).parent / "apps" / "cdk"
OUT = APP / "out"
FUNCTION_SOURCE = APP / "lib" / "orders-service.js"


def check(capsys: pytest.CaptureFixture[str], new: Path, old: Path, *extra: str) -> Run:
    run = run_cli(capsys, "check", "--template", new, "--baseline", old, "--format", "json",
                  *extra)
    assert run.err == "", run.err
    validate(run.report)
    return run


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first occurrence of ``text`` in ``path``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def consumer_kinds(finding: dict[str, Any]) -> list[str]:
    return sorted(c["kind"] for c in finding["consumers"])


def test_arm64_with_an_arm64_layer_races_for_api_sqs_and_eventbridge(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check(capsys, OUT / "arm64-layer", OUT / "baseline")
    assert run.code == 1
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"], finding["stack"]) == (
        "LG001", "error", "OrdersStack"
    )
    assert finding["resource"].startswith("OrdersHandler")
    assert [c["property"] for c in finding["changes"]["code"]] == ["Architectures", "Code"]
    (layers,) = finding["changes"]["config"]
    assert (layers["property"], layers["how"]) == ("Layers", "by reference")
    assert consumer_kinds(finding) == [
        "API Gateway method ANY",  # LambdaRestApi: the root and {proxy+}
        "API Gateway method ANY",
        "EventBridge rule target",
        "SQS event source mapping",
    ]
    assert all(c["reference"] == "unqualified" for c in finding["consumers"])


def test_the_finding_points_at_the_function_construct_in_the_app_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (finding,) = check(capsys, OUT / "arm64-layer", OUT / "baseline").report["findings"]
    location = finding["location"]
    assert Path(location["path"]).resolve() == FUNCTION_SOURCE.resolve()
    assert location["line"] == line_of(FUNCTION_SOURCE, "new lambda.Function(this, 'Handler'")
    assert location["confidence"] == "exact"  # from the stack trace CDK records at synth
    assert location["symbol"] == "OrdersStack/Orders/Handler"


def test_code_with_a_new_environment_variable_races(capsys: pytest.CaptureFixture[str]) -> None:
    run = check(capsys, OUT / "code-env", OUT / "baseline")
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    assert [c["property"] for c in finding["changes"]["code"]] == ["Code"]
    assert [c["property"] for c in finding["changes"]["config"]] == ["Environment"]
    assert "strict" not in run.out  # the variable's value never shows


@pytest.mark.parametrize("variant", ["code-only", "config-only", "baseline-resynth"])
def test_no_finding_without_a_code_and_configuration_change(
    capsys: pytest.CaptureFixture[str], variant: str
) -> None:
    run = check(capsys, OUT / variant, OUT / "baseline", "--fail-on", "notice")
    assert run.code == 0
    assert run.report["findings"] == []


def template(variant: str, stack: str = "OrdersStack") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (OUT / variant / f"{stack}.template.json").read_text(encoding="utf-8")
    )
    return document


def test_cdk_metadata_and_asset_paths_are_not_deployment_changes() -> None:
    """The quiet variants above do change CDK's bookkeeping; this shows that they do."""
    def analytics(variant: str) -> str:
        return str(template(variant)["Resources"]["CDKMetadata"]["Properties"]["Analytics"])

    def asset_paths(variant: str) -> set[str]:
        return {
            r["Metadata"]["aws:asset:path"]
            for r in template(variant)["Resources"].values()
            if "aws:asset:path" in r.get("Metadata", {})
        }

    assert analytics("config-only") != analytics("baseline")
    assert analytics("aliased") != analytics("aliased-baseline")
    assert asset_paths("code-only") != asset_paths("baseline")


def test_a_second_synth_of_an_unchanged_app_is_identical() -> None:
    for stack in (OUT / "baseline").glob("*.template.json"):
        assert stack.read_bytes() == (OUT / "baseline-resynth" / stack.name).read_bytes()


def test_a_change_behind_an_alias_on_the_current_version_is_safe(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check(capsys, OUT / "aliased", OUT / "aliased-baseline", "--fail-on", "notice")
    assert run.code == 0
    assert run.report["findings"] == []
    (stack,) = run.report["stacks"]
    assert [name[:13] for name in stack["changed_functions"]] == ["OrdersHandler"]


def test_wiring_the_alias_in_the_same_change_still_races(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (finding,) = check(capsys, OUT / "aliased", OUT / "baseline").report["findings"]
    assert (finding["rule"], finding["severity"]) == ("LG001", "error")
    assert finding["fix"]["two_phase"] is True


def test_a_consumer_in_another_stack_through_an_export_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check(capsys, OUT / "two-stack-arm64-layer", OUT / "two-stack-baseline")
    assert "Fn::ImportValue" in json.dumps(template("two-stack-baseline", "OrdersSchedule"))
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["stack"]) == ("LG001", "OrdersCore")
    rules = [c for c in finding["consumers"] if c["type"] == "AWS::Events::Rule"]
    assert [(c["resource"].split("/")[0], c["kind"]) for c in rules] == [
        ("OrdersSchedule", "EventBridge rule target")
    ]
    assert finding["location"]["symbol"] == "OrdersCore/Orders/Handler"


def test_a_consumer_in_another_stack_through_a_weak_reference_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = check(capsys, OUT / "two-stack-weak-arm64-layer", OUT / "two-stack-weak-baseline")
    (finding,) = run.report["findings"]
    assert any(c["type"] == "AWS::Events::Rule" for c in finding["consumers"])


def test_stages_and_nested_stacks_are_all_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    run = check(capsys, OUT / "nested-baseline", OUT / "nested-baseline")
    assert run.report["findings"] == []
    stacks = {s["name"]: s for s in run.report["stacks"]}
    nested = "Prod-Backend.JobsNestedStackJobsNestedStackResource4FE929C3"
    assert set(stacks) == {"Edge", "Prod-Backend", nested}
    assert all(s["status"] == "compared" for s in stacks.values())
    assert stacks[nested]["template"].endswith(
        "assembly-Prod/ProdBackendJobs6FD9E394.nested.template.json"
    )
    assert stacks[nested]["functions"] == 1


def test_a_race_inside_a_nested_stack_of_a_stage(capsys: pytest.CaptureFixture[str]) -> None:
    run = check(capsys, OUT / "nested-code-env", OUT / "nested-baseline")
    (finding,) = run.report["findings"]
    assert finding["stack"].startswith("Prod-Backend.JobsNestedStack")
    assert consumer_kinds(finding) == ["EventBridge rule target"]
    assert finding["location"]["symbol"] == "Prod/Backend/Jobs/Workers/Handler"
    assert Path(finding["location"]["path"]).resolve() == FUNCTION_SOURCE.resolve()


def test_stack_name_picks_one_stack_of_the_assembly(capsys: pytest.CaptureFixture[str]) -> None:
    run = check(capsys, OUT / "nested-code-env", OUT / "nested-baseline", "--stack-name", "Edge")
    assert [s["name"] for s in run.report["stacks"]] == ["Edge"]
    missing = run_cli(capsys, "check", "--template", OUT / "nested-baseline",
                      "--stack-name", "Nope")
    assert missing.code == 2
    assert "no stack 'Nope'" in missing.err and "Prod-Backend" in missing.err


def copy_app(into: Path) -> Path:
    """The fixture app's sources and cdk.json, as another checkout of it would hold them."""
    for part in ("cdk.json", "bin", "lib"):
        if (APP / part).is_dir():
            shutil.copytree(APP / part, into / part)
        else:
            shutil.copy(APP / part, into / part)
    return into


def test_traces_recorded_on_another_machine_point_into_this_checkout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    app = copy_app(tmp_path)
    new = shutil.copytree(OUT / "arm64-layer", app / "cdk.out")
    (finding,) = check(capsys, new, OUT / "baseline").report["findings"]
    source = app / "lib" / "orders-service.js"
    assert Path(finding["location"]["path"]).resolve() == source.resolve()
    assert finding["location"]["confidence"] == "exact"


# -- source lines without a synth-time stack trace (Python, Java, Go, .NET apps) ----------


def without_traces(assembly: Path, into: Path) -> Path:
    """A copy of an assembly as a jsii app writes it: no creation stack trace of user code."""
    shutil.copytree(assembly, into)
    for metadata in into.rglob("*.metadata.json"):
        entries = json.loads(metadata.read_text(encoding="utf-8"))
        kept = {
            path: [e for e in items if e["type"] != "aws:cdk:creationStack"]
            for path, items in entries.items()
        }
        metadata.write_text(json.dumps(kept), encoding="utf-8")
    return into


PY_STACK = '''\
import aws_cdk as cdk
from aws_cdk import aws_lambda as _lambda
from constructs import Construct


RUNTIME = _lambda.Runtime.NODEJS_24_X


class OrdersService(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.handler = _lambda.Function(
            self,
            "Handler",
            runtime=RUNTIME,
            handler="index.handler",
            code=_lambda.Code.from_asset("lambda/v2"),
        )


class BillingService(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.handler = _lambda.Function(self, "Handler", runtime=RUNTIME, handler="bill.main")


class OrdersStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        OrdersService(self, "Orders")
        BillingService(self, "Billing")
'''


def python_app(root: Path, assembly: Path) -> Path:
    (root / "cdk.json").write_text('{"app": "python3 app.py"}', encoding="utf-8")
    (root / "app.py").write_text(
        "import aws_cdk as cdk\nfrom orders.stack import OrdersStack\n\n"
        'app = cdk.App()\nOrdersStack(app, "OrdersStack")\napp.synth()\n',
        encoding="utf-8",
    )
    (root / "orders").mkdir()
    (root / "orders" / "stack.py").write_text(PY_STACK, encoding="utf-8")
    return without_traces(assembly, root / "cdk.out")


def finding_location(
    capsys: pytest.CaptureFixture[str], new: Path, old: Path
) -> dict[str, Any]:
    (finding,) = check(capsys, new, old).report["findings"]
    location: dict[str, Any] = finding["location"]
    return location


def test_a_python_app_is_searched_for_the_construct_id_along_its_scope_chain(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = python_app(tmp_path, OUT / "code-env")
    location = finding_location(capsys, new, OUT / "baseline")
    source = tmp_path / "orders" / "stack.py"
    # Two constructs are called "Handler"; only OrdersService is instantiated as "Orders".
    assert Path(location["path"]).resolve() == source.resolve()
    assert location["line"] == line_of(source, "self.handler = _lambda.Function(")
    assert (location["confidence"], location["symbol"]) == ("likely", "OrdersStack/Orders/Handler")


def test_an_ambiguous_construct_id_is_a_guess(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = python_app(tmp_path, OUT / "code-env")
    source = tmp_path / "orders" / "stack.py"
    source.write_text(PY_STACK.replace('"Billing"', '"Orders"'), encoding="utf-8")
    location = finding_location(capsys, new, OUT / "baseline")
    assert Path(location["path"]).resolve() == source.resolve()
    assert location["confidence"] == "guess"


def test_a_javascript_app_without_traces_is_searched_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy_app(tmp_path)
    new = without_traces(OUT / "arm64-layer", tmp_path / "cdk.out")
    location = finding_location(capsys, new, OUT / "baseline")
    source = tmp_path / "lib" / "orders-service.js"
    assert Path(location["path"]).resolve() == source.resolve()
    assert location["line"] == line_of(source, "new lambda.Function(this, 'Handler'")
    assert (location["confidence"], location["symbol"]) == ("likely", "OrdersStack/Orders/Handler")


def test_without_the_app_source_the_template_line_keeps_the_construct_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = without_traces(OUT / "code-env", tmp_path / "cdk.out")
    (finding,) = check(capsys, new, OUT / "baseline").report["findings"]
    location = finding["location"]
    template_file = new / "OrdersStack.template.json"
    assert Path(location["path"]).resolve() == template_file.resolve()
    assert location["line"] == line_of(template_file, f'"{finding["resource"]}": {{')
    assert (location["confidence"], location["symbol"]) == (None, "OrdersStack/Orders/Handler")


def test_without_path_metadata_the_manifest_still_names_the_construct(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``cdk synth --no-path-metadata``: the logical ids stay in the assembly's metadata."""
    new = shutil.copytree(OUT / "code-env", copy_app(tmp_path) / "cdk.out")
    template_file = new / "OrdersStack.template.json"
    body = json.loads(template_file.read_text(encoding="utf-8"))
    for resource in body["Resources"].values():
        resource.get("Metadata", {}).pop("aws:cdk:path", None)
    template_file.write_text(json.dumps(body, indent=1), encoding="utf-8")
    (finding,) = check(capsys, new, OUT / "baseline").report["findings"]
    assert finding["location"]["symbol"] == "OrdersStack/Orders/Handler"
    assert finding["location"]["confidence"] == "exact"


def test_an_assembly_with_a_missing_template_is_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = shutil.copytree(OUT / "nested-baseline", tmp_path / "cdk.out")
    (broken / "assembly-Prod" / "ProdBackendJobs6FD9E394.nested.template.json").unlink()
    run = run_cli(capsys, "check", "--template", broken)
    assert run.code == 2
    assert "ProdBackendJobs6FD9E394.nested.template.json" in run.err
    assert "nested stack" in run.err


# -- the real toolkit ---------------------------------------------------------------------


def lg001(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            f["severity"],
            f["resource"],
            json.dumps(f["changes"], sort_keys=True),
            consumer_kinds(f),
            f["location"]["line"],
            f["location"]["symbol"],
        )
        for f in report["findings"]
        if f["rule"] == "LG001"
    ]


@pytest.mark.realtools
def test_a_fresh_synth_gives_the_committed_result(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if not (APP / "node_modules" / ".bin" / "cdk").exists():
        pytest.skip("the CDK toolkit is not installed: run `npm ci` in tests/apps/cdk")
    env = {
        **os.environ,
        "CDK_DEFAULT_ACCOUNT": "123456789012",
        "CDK_DEFAULT_REGION": "us-east-1",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_VALIDATION": "false",
    }
    for variant in ("baseline", "arm64-layer"):
        subprocess.run(
            [str(APP / "node_modules" / ".bin" / "cdk"), "synth", "--no-notices", "-q",
             "-o", str(tmp_path / variant), "-c", f"variant={variant}"],
            cwd=APP, env=env, check=True, capture_output=True, timeout=300,
        )
    fresh = check(capsys, tmp_path / "arm64-layer", tmp_path / "baseline").report
    committed = check(capsys, OUT / "arm64-layer", OUT / "baseline").report
    assert lg001(fresh) == lg001(committed)
    assert len(lg001(fresh)) == 1
