"""CloudFormation Lambda Hook requests for tests: the documented request shapes, a local
HTTP server that serves their payloads behind a URL as S3's presigned URL does (or refuses
it, 403, once "expired"), and a replay through the command line."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reviewer.cli import main

ACCOUNT = "123456789012"
REGION = "us-east-1"
TOKEN = "4b90a7e4-b790-456b-a937-0cfdfa211dfe"


@dataclass
class PayloadServer:
    """Serves each payload at a path of its own on 127.0.0.1; ``expired`` ones answer 403
    with the XML body S3 gives."""

    url: str
    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    def serve(self, payload: Mapping[str, Any] | str, *, expired: bool = False) -> str:
        path = f"/payloads/{uuid.uuid4().hex}?X-Amz-Signature=abc"
        text = payload if isinstance(payload, str) else json.dumps(payload)
        if expired:
            body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            self.routes[path] = (403, body)
        else:
            self.routes[path] = (200, text.encode())
        return self.url + path


@contextmanager
def payload_server() -> Iterator[PayloadServer]:
    server_state: dict[str, PayloadServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state = server_state["server"]
            state.fetched.append(self.path)
            status, body = state.routes.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = httpd.server_address[:2]
    server_state["server"] = PayloadServer(f"http://{host!s}:{port}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()


def stack_arn(stack: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/{uuid.uuid4()}"


def stack_request(url: str | None, action: str = "UPDATE", stack: str = "orders") -> dict[str, Any]:
    """A stack-target request, as the Hooks User Guide's example shows it."""
    return {
        "clientRequestToken": TOKEN,
        "awsAccountId": ACCOUNT,
        "stackId": stack_arn(stack),
        "changeSetId": None,
        "hookTypeName": "Private::Lambda::LatestGuard",
        "hookTypeVersion": "00000008",
        "hookModel": {"LambdaFunction": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:guard"},
        "actionInvocationPoint": f"{action}_PRE_PROVISION",
        "requestData": {
            "targetName": "STACK",
            "targetType": "STACK",
            "targetLogicalId": stack,
            "payload": url or "",
        },
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


def change_set_request(url: str, stack: str = "orders") -> dict[str, Any]:
    """A change-set-target request: the change set's ARN as its logical id."""
    change_set = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:changeSet/cs-1/{uuid.uuid4()}"
    request = stack_request(url, "CREATE", stack)
    request["changeSetId"] = change_set
    request["requestData"] = {
        "targetName": "CHANGE_SET",
        "targetType": "CHANGE_SET",
        "targetLogicalId": change_set,
        "payload": url,
    }
    return request


def resource_request() -> dict[str, Any]:
    """A resource-target request (the guide's example has no token)."""
    return {
        "awsAccountId": ACCOUNT,
        "stackId": stack_arn("orders"),
        "changeSetId": None,
        "hookTypeName": "Private::Lambda::LatestGuard",
        "hookTypeVersion": "00000008",
        "hookModel": {"LambdaFunction": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:guard"},
        "actionInvocationPoint": "UPDATE_PRE_PROVISION",
        "requestData": {
            "targetName": "AWS::Lambda::Function",
            "targetType": "AWS::Lambda::Function",
            "targetLogicalId": "Orders",
            "targetModel": {"resourceProperties": {"MemorySize": 512},
                            "previousResourceProperties": {"MemorySize": 256}},
        },
        "requestContext": {"invocation": 1, "callbackContext": None},
    }


@dataclass(frozen=True)
class Replayed:
    code: int
    response: dict[str, Any]
    err: str

    @property
    def message(self) -> str:
        return str(self.response["message"])


def replay(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, request: Mapping[str, Any], *extra: str
) -> Replayed:
    """``latest-guard hook REQUEST.json`` on ``request``: exit status, response, stderr."""
    path = tmp_path / f"request-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    code = main(["hook", str(path), *extra])
    out, err = capsys.readouterr()
    return Replayed(code, json.loads(out), err)


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials and no AWS configuration: DescribeStacks cannot be called."""
    for name in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CLOUDFORMATION", "LATEST_GUARD_FAIL_ON", "LATEST_GUARD_TIME_BUDGET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
