"""The deployable hook: ``hook/template.yaml`` and the package ``hook/build.py`` makes.

- The template passes cfn-lint (every check, as its users run it) and latest-guard itself, and
  deploys what the build makes: the runtime and architecture the wheels are built for, the
  zip's path, the handler's name, a timeout inside the hook's 30 s, the hook on the alias.
  An update of the hook's own stack cannot race; its StackSet form (``hook/stackset.py``) is
  plain CloudFormation, lint-clean, with the code in each region's bucket.
- The package, built as the README says: every compiled module is for the function's
  platform, no test or lint tool and no compiled Python file is in it, two builds give the
  same bytes, and it is far under Lambda's 50 MB.
- The same build for this machine's platform, unpacked into an empty folder, answers a stack
  request in a fresh interpreter whose path holds only that folder (no site-packages): the
  handler imports from the package alone and fails the seed race by name.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import sysconfig
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from template_builder import CODE_V1, CODE_V2, template

from reviewer.cli import main

REPO = Path(__file__).parents[1]
TEMPLATE = REPO / "hook" / "template.yaml"
BUILD = REPO / "hook" / "build.py"
STACKSET = REPO / "hook" / "stackset.py"
#: Lambda's limit for a zip uploaded directly; the package must stay far under it.
LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024
#: Distributions that belong to the tests or the GitHub publisher, never to the hook.
NOT_IN_PACKAGE = ("pytest", "cfnlint", "moto", "ruff", "mypy", "hypothesis", "github", "nacl",
                  "cryptography", "requests", "jwt")
#: cfn-lint's console script, run by this interpreter (cfnlint has no ``__main__``).
CFN_LINT = "import sys; from cfnlint.runner import main; sys.exit(main())"


def load_script(path: Path, name: str) -> ModuleType:
    """A script of ``hook/`` (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_module() -> ModuleType:
    return load_script(BUILD, "hook_build")


class _Loader(yaml.SafeLoader):
    """Reads the template's short-form tags as ``{"Fn::X": value}`` / ``{"Ref": value}``."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        value: object = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _tag)


def hook_template() -> dict[str, Any]:
    body = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_Loader)
    assert isinstance(body, dict)
    return body


# -- the template ---------------------------------------------------------------------------


def test_template_passes_cfn_lint_with_every_check() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CFN_LINT, "--", str(TEMPLATE)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_template_passes_latest_guard_at_every_severity(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    status = main(["check", "--template", str(TEMPLATE), "--fail-on", "notice",
                   "--format", "json", "--output", str(report)])
    document = json.loads(report.read_text(encoding="utf-8"))
    assert status == 0
    assert document["findings"] == []
    assert document["summary"]["exit_code"] == 0


def hook_update(tmp_path: Path, *, alias: bool) -> list[str]:
    """``check`` of an update of the hook's own stack that changes its code and its
    configuration together; with ``alias=False`` the hook invokes the function unqualified.
    Returns the findings as ``RULE resource``, exposed consumers' names appended."""
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "CodeUri: build/latest-guard-hook.zip" in text
    assert 'LATEST_GUARD_TIME_BUDGET: "20"' in text
    if not alias:
        assert text.count("!Ref GuardFunction.Alias") == 3
        text = text.replace("      AutoPublishAlias: live\n", "")
        text = text.replace("!Ref GuardFunction.Alias", "!GetAtt GuardFunction.Arn")
    sides: dict[str, Path] = {}
    for side, key, budget in (("old", "v1", "20"), ("new", "v2", "15")):
        folder = tmp_path / side
        folder.mkdir(parents=True)
        sides[side] = folder / "template.yaml"
        sides[side].write_text(
            text.replace("CodeUri: build/latest-guard-hook.zip", f"CodeUri: s3://code/{key}.zip")
            .replace('LATEST_GUARD_TIME_BUDGET: "20"', f'LATEST_GUARD_TIME_BUDGET: "{budget}"'),
            encoding="utf-8",
        )
    report = tmp_path / "report.json"
    main(["check", "--template", str(sides["new"]), "--baseline", str(sides["old"]),
          "--fail-on", "notice", "--format", "json", "--output", str(report)])
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    return [
        " ".join([finding["rule"], finding["resource"],
                  *(c["resource"] for c in finding["consumers"])])
        for finding in findings
    ]


def test_an_update_of_the_hook_itself_cannot_race(tmp_path: Path) -> None:
    """The stack follows the project's advice: its hook invokes the alias, so new code and a
    new setting in one deploy are no finding, where the same stack without the alias is."""
    assert hook_update(tmp_path / "alias", alias=True) == []
    assert hook_update(tmp_path / "latest", alias=False) == ["LG001 GuardFunction GuardHook"]


def test_template_deploys_what_the_build_makes() -> None:
    build = build_module()
    resources = hook_template()["Resources"]
    function = resources["GuardFunction"]["Properties"]
    assert function["Runtime"] == f"python{build.PYTHON_VERSION}"
    assert function["Architectures"] == ["arm64"]
    assert build.PLATFORM.endswith("_aarch64")
    assert (TEMPLATE.parent / function["CodeUri"]) == build.DEFAULT_OUT / build.ZIP_NAME
    assert function["Handler"] == "reviewer.hook.lambda_entry.handler"
    assert function["Timeout"] < 30  # the hook waits 30 s for an answer
    assert function["AutoPublishAlias"]
    assert set(function["Environment"]["Variables"]) == {
        "LATEST_GUARD_FAIL_ON", "LATEST_GUARD_TIME_BUDGET",
    }
    assert float(function["Environment"]["Variables"]["LATEST_GUARD_TIME_BUDGET"]) < (
        function["Timeout"]
    )


def test_hook_invokes_the_alias_and_its_role_may_invoke_nothing_else() -> None:
    resources = hook_template()["Resources"]
    hook = resources["GuardHook"]["Properties"]
    alias = {"Ref": "GuardFunction.Alias"}
    assert hook["LambdaFunction"] == alias
    assert hook["TargetOperations"] == ["STACK", "CHANGE_SET"]
    assert hook["ExecutionRole"] == {"Fn::GetAtt": ["HookExecutionRole", "Arn"]}
    role = resources["HookExecutionRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Effect": "Allow",
        "Principal": {"Service": "hooks.cloudformation.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert statements == [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": alias},
    ]
    assert "ManagedPolicyArns" not in role


def test_function_role_writes_logs_and_reads_stacks_only() -> None:
    role = hook_template()["Resources"]["GuardFunctionRole"]["Properties"]
    actions = sorted(
        action
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    )
    assert actions == ["cloudformation:DescribeStacks", "logs:CreateLogStream",
                       "logs:PutLogEvents"]
    assert "ManagedPolicyArns" not in role


def test_stackset_template_is_plain_cloudformation_with_regional_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hook/stackset.py PREFIX`` as the README says, on a built zip (any bytes stand in)."""
    archive = tmp_path / "latest-guard-hook.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    stackset = load_script(STACKSET, "hook_stackset")
    assert stackset.main(["acme-code", "--output", str(tmp_path)]) == 0
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    key = f"latest-guard-hook/{digest}.zip"
    assert f"s3://acme-code-REGION/{key}" in capsys.readouterr().out
    written = tmp_path / "stackset.json"
    body = json.loads(written.read_text(encoding="utf-8"))
    assert "Transform" not in body
    resources = body["Resources"]
    function = resources["GuardFunction"]
    assert function["Type"] == "AWS::Lambda::Function"
    assert function["Properties"]["Code"] == {
        "S3Bucket": {"Fn::Sub": "acme-code-${AWS::Region}"}, "S3Key": key,
    }
    aliases = [name for name, r in resources.items() if r["Type"] == "AWS::Lambda::Alias"]
    assert len(aliases) == 1
    assert resources["GuardHook"]["Properties"]["LambdaFunction"] == {"Ref": aliases[0]}
    linted = subprocess.run(
        [sys.executable, "-c", CFN_LINT, "--", str(written)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert (linted.returncode, linted.stdout) == (0, "")
    assert main(["check", "--template", str(written), "--fail-on", "notice"]) == 0


def test_stackset_template_refuses_a_prefix_no_bucket_can_have(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "latest-guard-hook.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    stackset = load_script(STACKSET, "hook_stackset")
    with pytest.raises(SystemExit) as stopped:
        stackset.main(["Acme_Code", "--output", str(tmp_path)])
    assert stopped.value.code == 2
    assert "'Acme_Code' cannot start an S3 bucket name" in capsys.readouterr().err
    assert not (tmp_path / "stackset.json").exists()


# -- the package ----------------------------------------------------------------------------


def run_build(out: Path, *options: str) -> Path:
    """``python3 hook/build.py --output OUT`` as the README says; the zip's path."""
    subprocess.run([sys.executable, str(BUILD), "--output", str(out), *options], check=True,
                   timeout=600, capture_output=True)
    return out / "latest-guard-hook.zip"


def test_build_that_pip_fails_ends_in_one_line_and_no_zip(tmp_path: Path) -> None:
    false = Path("/bin/false")
    if not false.is_file():
        pytest.skip("needs /bin/false to stand in for a failing pip")
    result = subprocess.run(
        [sys.executable, str(BUILD), "--output", str(tmp_path), "--pip", str(false)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == "hook/build.py: pip install exited 1 (its output is above)\n"
    assert not (tmp_path / "latest-guard-hook.zip").exists()


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_build(tmp_path_factory.mktemp("lambda"))


@pytest.mark.slow
def test_package_is_for_the_function_platform_and_holds_no_tool(lambda_zip: Path) -> None:
    build = build_module()
    tag = f"cpython-{build.PYTHON_VERSION.replace('.', '')}-aarch64-linux-gnu"
    with zipfile.ZipFile(lambda_zip) as zipped:
        names = zipped.namelist()
        extensions = [name for name in names if name.endswith(".so")]
        assert extensions
        for name in extensions:
            assert tag in name, name
            header = zipped.read(name)[:20]
            assert header[:4] == b"\x7fELF"
            assert int.from_bytes(header[18:20], "little") == 183, name  # EM_AARCH64
    tops = {name.split("/", 1)[0] for name in names}
    assert not tops & set(NOT_IN_PACKAGE)
    assert "reviewer/cli.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if n.startswith(("tests/", "bin/"))]
    assert names == sorted(names)
    assert lambda_zip.stat().st_size < LAMBDA_ZIP_LIMIT / 2


@pytest.mark.slow
def test_two_builds_give_the_same_bytes(lambda_zip: Path, tmp_path: Path) -> None:
    again = run_build(tmp_path)
    assert again.read_bytes() == lambda_zip.read_bytes()
    with zipfile.ZipFile(again) as zipped:
        assert {info.date_time for info in zipped.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.fixture
def served() -> Iterator[tuple[dict[str, bytes], str]]:
    """Serves ``{path: body}`` from 127.0.0.1 as the hook's presigned URL would (403 for any
    other path); yields the bodies and the server's base URL."""
    bodies: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            self.send_response(200 if body is not None else 403)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield bodies, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def race_pair() -> tuple[str, str]:
    """The seed race: arm64 code and a new environment together; SQS invokes $LATEST."""
    consumer = {"Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
        "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:orders",
        "FunctionName": {"Ref": "OrdersFn"},
    }}}
    before = template({"OrdersFn": {"Code": CODE_V1, "Architectures": ["x86_64"]}},
                      resources=consumer)
    after = template({"OrdersFn": {"Code": CODE_V2, "Architectures": ["arm64"],
                                   "Environment": {"Variables": {"MODE": "fast"}}}},
                     resources=consumer)
    return json.dumps(before), json.dumps(after)


def host_platform() -> str:
    machine = platform.machine()
    if not sysconfig.get_platform().startswith("linux-") or machine not in ("x86_64", "aarch64"):
        pytest.skip(f"the package is built for Linux only, not {sysconfig.get_platform()}")
    return f"manylinux2014_{machine}"


@pytest.mark.slow
@pytest.mark.skipif(
    not (REPO / "reviewer" / "hook" / "lambda_entry.py").is_file(),
    reason="the handler the template names (reviewer/hook/lambda_entry.py) is not in this tree",
)
def test_unpacked_package_answers_a_stack_request_on_its_own(
    tmp_path: Path, served: tuple[dict[str, bytes], str]
) -> None:
    bodies, base_url = served
    archive = run_build(
        tmp_path / "build", "--platform", host_platform(),
        "--python-version", f"{sys.version_info.major}.{sys.version_info.minor}",
    )
    folder = tmp_path / "task"
    folder.mkdir()
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder)
    previous, new = race_pair()
    bodies["/payload"] = json.dumps({"template": new, "previousTemplate": previous}).encode()
    event = {
        "clientRequestToken": "4b90a7e4-b790-456b-a937-0cfdfa211dfe",
        "awsAccountId": "123456789012",
        "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/orders/8f2e",
        "changeSetId": None,
        "hookTypeName": "Private::LatestGuard::Hook",
        "hookTypeVersion": "00000001",
        "hookModel": {"LambdaFunction":
                      "arn:aws:lambda:us-east-1:123456789012:function:guard:live"},
        "actionInvocationPoint": "UPDATE_PRE_PROVISION",
        "requestData": {"targetName": "STACK", "targetType": "STACK",
                        "targetLogicalId": "orders",
                        "payload": f"{base_url}/payload"},
        "requestContext": {"invocation": 1, "callbackContext": None},
    }
    runner = (
        "import json, sys, sysconfig\n"
        "from reviewer.hook.lambda_entry import handler\n"
        "answer = handler(json.load(sys.stdin), None)\n"
        "stdlib = (sysconfig.get_path('stdlib'), sysconfig.get_path('platstdlib'))\n"
        "outside = sorted(\n"
        "    name for name, module in sys.modules.items()\n"
        "    if (path := getattr(module, '__file__', None) or '')\n"
        "    and not path.startswith(sys.argv[1])\n"
        "    and (not path.startswith(stdlib) or 'site-packages' in path)\n"
        ")\n"
        "print(json.dumps({'answer': answer, 'outside': outside}))\n"
    )
    environment = {
        # Only the unpacked folder; -S keeps site-packages off the path, -P the working folder.
        "PYTHONPATH": str(folder),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        # What Lambda sets; no credentials, no instance metadata: nothing leaves this machine.
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "LATEST_GUARD_FAIL_ON": "error",
        "LATEST_GUARD_TIME_BUDGET": "20",
    }
    result = subprocess.run(
        [sys.executable, "-S", "-P", "-c", runner, str(folder)],
        input=json.dumps(event), capture_output=True, text=True, cwd=tmp_path,
        env=environment, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed["outside"] == []
    answer = printed["answer"]
    assert answer["clientRequestToken"] == event["clientRequestToken"]
    assert (answer["hookStatus"], answer.get("errorCode")) == ("FAILED", "NonCompliant")
    assert "OrdersFn" in answer["message"]
    assert len(answer["message"]) <= 4096
