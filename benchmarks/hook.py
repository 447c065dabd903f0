"""Measure the CloudFormation hook's package and handler; print ONE JSON line of figures.

Usage: ``python benchmarks/hook.py [--repeat N] [--lambda-zip ZIP] [--timeout S]``

The package is built with ``hook/build.py`` twice: for the function (``manylinux2014_aarch64``,
Python 3.14: the sizes) and for this machine and interpreter (the same locked versions, the
wheels this machine can load: the times). Each time is measured in a fresh interpreter started
with ``-S -P`` whose path holds only the unpacked package, as Lambda's holds only the task
folder and the runtime; the interpreter measures itself (``time.perf_counter`` for wall
seconds, ``time.process_time`` for CPU seconds) and each figure is the best of ``--repeat``
runs. The templates come from a server on 127.0.0.1, as the hook fetches them from S3; no
AWS credentials are given and instance metadata is switched off, so a parameter lookup fails
at once, as it does for a function role without ``cloudformation:DescribeStacks``.

``zip_bytes``
    The Lambda package, ``latest-guard-hook.zip``, as uploaded (Lambda's limit: 50 MB).
``unpacked_bytes`` / ``files``
    The sum of its files' sizes once unpacked (Lambda's limit: 250 MB), and their number.
``sdk_zip_bytes``
    The compressed bytes of boto3, botocore, s3transfer, jmespath, urllib3, dateutil and six
    in the zip: what leaving the runtime's copy of the SDK to Lambda would save.
``python_startup_s``
    ``python -S -P -c pass``: the interpreter's own start, the floor under the figures below.
``cold_import_s`` / ``cold_import_cpu_s``
    ``import reviewer.hook.lambda_entry`` in a fresh interpreter: what a cold start pays
    before the first request (the runtime's own start not included).
``eval_500_s`` / ``eval_500_cpu_s``
    One ``handler(event, None)`` call, after the import, on a stack request whose payload is
    the 500-resource pair of ``benchmarks/generate.py`` (YAML, about 1 MB a side, findings of
    every severity): fetching the payload, loading both templates, the analysis and the
    answer. The first call of a fresh process: what the first request after a cold start pays.
``eval_500_status``
    The ``hookStatus`` (and ``errorCode``) it answered.
``peak_rss_500_mb``
    The peak resident memory of that process (``ru_maxrss``), imports included: what the
    function's memory size must hold.
``eval_cdk_s`` / ``eval_cdk_cpu_s`` / ``eval_cdk_status`` / ``peak_rss_cdk_mb``
    The same for the seed's CDK stack: ``tests/apps/cdk/out/datadog-x86`` as the previous
    template, ``datadog-arm64`` as the new one (``CheckoutStack``, two functions instrumented
    by the Datadog construct, one of them switched to arm64).

A figure whose runs did not finish within ``--timeout`` seconds is null.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ROOT / "hook" / "build.py"
CDK = ROOT / "tests" / "apps" / "cdk" / "out"
SDK = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")
#: Runs in the fresh interpreter: imports the handler, optionally answers one request.
CHILD = """\
import json, resource, sys, time
wall, cpu = time.perf_counter(), time.process_time()
from reviewer.hook.lambda_entry import handler
figures = {"import_s": time.perf_counter() - wall, "import_cpu_s": time.process_time() - cpu}
if len(sys.argv) > 1:
    event = json.loads(sys.argv[1])
    wall, cpu = time.perf_counter(), time.process_time()
    answer = handler(event, None)
    figures["eval_s"] = time.perf_counter() - wall
    figures["eval_cpu_s"] = time.process_time() - cpu
    figures["status"] = " ".join(filter(None, (answer["hookStatus"], answer.get("errorCode"))))
figures["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(figures))
"""


def build(out: Path, *options: str) -> Path:
    """``hook/build.py --output OUT OPTIONS``; the zip's path."""
    subprocess.run(
        [sys.executable, str(BUILD), "--output", str(out), *options],
        check=True, capture_output=True,
    )
    return out / "latest-guard-hook.zip"


def sizes(archive: Path) -> dict[str, int]:
    with zipfile.ZipFile(archive) as zipped:
        infos = zipped.infolist()
    return {
        "zip_bytes": archive.stat().st_size,
        "unpacked_bytes": sum(info.file_size for info in infos),
        "files": len(infos),
        "sdk_zip_bytes": sum(
            info.compress_size for info in infos if info.filename.split("/", 1)[0] in SDK
        ),
    }


@contextmanager
def serve(bodies: Mapping[str, bytes]) -> Iterator[str]:
    """Serve ``bodies`` by path from 127.0.0.1; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path, b"")
            self.send_response(200 if self.path in bodies else 403)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def stack_request(url: str, stack: str) -> dict[str, Any]:
    """A stack-update request as the hook sends it, its payload at ``url``."""
    account = "123456789012"
    return {
        "clientRequestToken": "f3c1a9e0-6a43-4b0e-9d1c-2d1b8e0e7a11",
        "awsAccountId": account,
        "stackId": f"arn:aws:cloudformation:us-east-1:{account}:stack/{stack}/0f1e2d3c",
        "changeSetId": None,
        "hookTypeName": "Private::LatestGuard::Hook",
        "hookTypeVersion": "00000001",
        "hookModel": {"LambdaFunction": f"arn:aws:lambda:us-east-1:{account}:function:g:live"},
        "actionInvocationPoint": "UPDATE_PRE_PROVISION",
        "requestData": {"targetName": "STACK", "targetType": "STACK",
                        "targetLogicalId": stack, "payload": url},
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


def child_environment(folder: Path, home: Path) -> dict[str, str]:
    """Lambda's variables that matter here, the package alone on the path, no credentials."""
    return {
        "PYTHONPATH": str(folder),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
        "LATEST_GUARD_FAIL_ON": "error",
        "LATEST_GUARD_TIME_BUDGET": "20",
    }


def best(
    runs: int, argv: Sequence[str], environment: Mapping[str, str], cwd: Path, timeout: float
) -> dict[str, Any] | None:
    """Each figure's best (lowest) value over ``runs`` fresh processes; None on a timeout."""
    results: list[dict[str, Any]] = []
    for _ in range(max(1, runs)):
        try:
            completed = subprocess.run(
                argv, capture_output=True, text=True, env=dict(environment), cwd=cwd,
                timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired:
            return None
        if completed.returncode != 0:
            raise SystemExit(f"the handler's process exited {completed.returncode}:\n"
                             f"{completed.stderr[-2000:]}")
        results.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    merged: dict[str, Any] = {}
    for key in results[0]:
        values = [result[key] for result in results]
        merged[key] = values[0] if isinstance(values[0], str) else min(values)
    return merged


def _seconds(figures: dict[str, Any] | None, key: str) -> float | None:
    return None if figures is None else round(figures[key], 4)


def _megabytes(figures: dict[str, Any] | None) -> float | None:
    return None if figures is None else round(figures["peak_rss_kb"] / 1024, 1)


def measure(repeat: int, lambda_zip: Path | None, timeout: float) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from generate import write_pair

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        figures: dict[str, Any] = sizes(lambda_zip or build(work / "lambda"))
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        local = build(work / "local", "--platform", f"manylinux2014_{os.uname().machine}",
                      "--python-version", version)
        folder = work / "task"
        with zipfile.ZipFile(local) as zipped:
            zipped.extractall(folder)
        environment = child_environment(folder, work)
        python = [sys.executable, "-S", "-P"]

        figures["python_startup_s"] = _python_startup(repeat, python, environment, work, timeout)
        imported = best(repeat, [*python, "-c", CHILD], environment, work, timeout)
        figures["cold_import_s"] = _seconds(imported, "import_s")
        figures["cold_import_cpu_s"] = _seconds(imported, "import_cpu_s")

        pair = write_pair(work / "pair")
        cdk_stack = "CheckoutStack.template.json"
        bodies = {
            "/500": {"template": pair["template.yaml"], "previousTemplate": pair["baseline.yaml"]},
            "/cdk": {"template": CDK / "datadog-arm64" / cdk_stack,
                     "previousTemplate": CDK / "datadog-x86" / cdk_stack},
        }
        payloads = {
            path: json.dumps({key: file.read_text(encoding="utf-8") for key, file in sides.items()})
            .encode()
            for path, sides in bodies.items()
        }
        with serve(payloads) as base:
            for name, path, stack in (("500", "/500", "big"), ("cdk", "/cdk", "CheckoutStack")):
                event = json.dumps(stack_request(base + path, stack))
                run = best(repeat, [*python, "-c", CHILD, event], environment, work, timeout)
                figures[f"eval_{name}_s"] = _seconds(run, "eval_s")
                figures[f"eval_{name}_cpu_s"] = _seconds(run, "eval_cpu_s")
                figures[f"eval_{name}_status"] = None if run is None else run["status"]
                figures[f"peak_rss_{name}_mb"] = _megabytes(run)
    return figures


def _python_startup(
    repeat: int, python: Sequence[str], environment: Mapping[str, str], cwd: Path,
    timeout: float,
) -> float | None:
    """The best wall time of ``python -S -P -c pass``, measured from here."""
    times: list[float] = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        try:
            subprocess.run([*python, "-c", "pass"], env=dict(environment), cwd=cwd,
                           timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            return None
        times.append(time.perf_counter() - start)
    return round(min(times), 4)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (best counts)")
    parser.add_argument("--lambda-zip", type=Path, help="measure this zip instead of building")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.repeat, args.lambda_zip, args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
