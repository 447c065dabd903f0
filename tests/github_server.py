"""A stateful stand-in for the GitHub REST API, checked against GitHub's own description.

The server listens on 127.0.0.1 (a random port, one thread per request) and keeps pull
requests, their files, review comments, reviews, issue comments and check runs in memory. It
answers what latest-guard uses, the way GitHub does: pagination with ``Link`` headers, rate
limit headers, 403 "Resource not accessible by integration" for a read-only token, 422 for a
review comment on a line outside the diff or a body over 65,536 characters.

Every request is checked against the OpenAPI description GitHub publishes (npm
``@octokit/openapi``, installed by ``npm ci`` in ``tests/node``): the path and method must be
an operation there, path and query parameters must be declared with the right type, and the
JSON body must validate against the operation's request schema (``$ref`` resolved, OpenAPI's
``nullable`` understood). Anything else is answered 404 (unknown operation) or 422 and
recorded in ``violations``; the tests' fixture fails when there is any.

Faults (``inject``) make chosen requests fail before they touch the state: secondary rate
limits with ``retry-after``, server errors, or a 422 for a particular comment line; with
``landed=True`` the request is carried out first and its answer is the fault (GitHub's 502
to a POST that did land). ``rate_limit_until`` answers every request with the primary rate
limit GitHub sends once a token's hourly requests are used up.

Each token acts as an account (``users``): what it posts is written by that account, so
comments and reviews by several authors (another user pasting latest-guard's markers) are
held side by side. The workflow's and an App's installation tokens (``installation``) are
refused ``GET /user`` as on GitHub and are named by GraphQL's ``viewer`` (the one GraphQL
query served).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest

NODE_MODULES = Path(__file__).parent / "node" / "node_modules"
OPENAPI_PATH = NODE_MODULES / "@octokit" / "openapi" / "generated" / "api.github.com.json"
#: Tests that run :class:`GitHubServer` skip, saying why, where the description is not installed.
needs_openapi = pytest.mark.skipif(
    not OPENAPI_PATH.is_file(),
    reason="GitHub's OpenAPI description is missing: run npm ci in tests/node",
)
WEBHOOK_EXAMPLES = NODE_MODULES / "@octokit" / "webhooks-examples" / "api.github.com"
BODY_LIMIT = 65536
CHECK_SUMMARY_LIMIT = 65535
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
HUMAN = {"login": "octocat", "id": 583231, "type": "User"}
MALLORY = {"login": "mallory", "id": 1337, "type": "User"}
VIEWER_QUERY = "query { viewer { login } }"


# --- the OpenAPI description -----------------------------------------------------------------


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema: ``null`` added to the types."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable(value) for key, value in node.items()}
    if out.pop("nullable", False):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    spec: Mapping[str, Any]
    pattern: re.Pattern[str]
    names: tuple[str, ...]


class OpenApi:
    """Routes and request checks from GitHub's OpenAPI description."""

    def __init__(self, path: Path = OPENAPI_PATH) -> None:
        spec = json.loads(path.read_text(encoding="utf-8"))
        self.components = spec["components"]
        self._root = {"components": _nullable(spec["components"])}
        self.operations: list[Operation] = []
        for template, item in spec["paths"].items():
            names = tuple(re.findall(r"{([^}]+)}", template))
            # A git reference's name has slashes (``heads/topic/x``), and its path ends in it.
            slashed = "(.+)" if "/git/" in template else "([^/]+)"
            regex = re.sub(r"{[^}]+}", "([^/]+)", template.replace("{ref}", "\0"))
            regex = regex.replace("\0", slashed)
            pattern = re.compile(f"^{regex}$")
            for method, operation in item.items():
                if method in ("get", "post", "patch", "put", "delete"):
                    self.operations.append(
                        Operation(template, method.upper(), operation, pattern, names)
                    )
        # Literal segments win over parameters (``pulls/comments/{id}`` over ``pulls/{n}``).
        self.operations.sort(key=lambda op: len(op.names))
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
        self._lock = threading.Lock()

    def route(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for operation in self.operations:
            if operation.method != method:
                continue
            match = operation.pattern.match(path)
            if match:
                return operation, dict(zip(operation.names, match.groups(), strict=True))
        return None

    def check(
        self,
        operation: Operation,
        params: Mapping[str, str],
        query: Mapping[str, str],
        body: Any,
        has_body: bool,
    ) -> list[str]:
        """Every way the request breaks the description (empty when it conforms)."""
        problems: list[str] = []
        parameters = map(self._parameter, operation.spec.get("parameters", []))
        declared = {p["name"]: p for p in parameters}
        for name, value in params.items():
            problems.extend(self._typed(name, value, declared.get(name)))
        for name, value in query.items():
            parameter = declared.get(name)
            if parameter is None or parameter.get("in") != "query":
                problems.append(f"query parameter {name!r} is not declared")
            else:
                problems.extend(self._typed(name, value, parameter))
        request = operation.spec.get("requestBody")
        where = f"{operation.method} {operation.template}"
        if request is None:
            if has_body:
                problems.append(f"{where} takes no request body")
            return problems
        if not has_body:
            if request.get("required"):
                problems.append(f"{where} requires a request body")
            return problems
        validator = self._validator(operation)
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.path)):
            location = "/".join(str(p) for p in error.path) or "(body)"
            problems.append(f"{where}: {location}: {error.message[:300]}")
        return problems

    def _parameter(self, parameter: Mapping[str, Any]) -> Mapping[str, Any]:
        reference = parameter.get("$ref")
        if isinstance(reference, str):
            return self.components["parameters"][reference.rsplit("/", 1)[1]]  # type: ignore[no-any-return]
        return parameter

    @staticmethod
    def _typed(name: str, value: str, parameter: Mapping[str, Any] | None) -> list[str]:
        if parameter is None:
            return [f"parameter {name!r} is not declared"]
        kind = parameter.get("schema", {}).get("type")
        if kind == "integer" and not value.isdigit():
            return [f"parameter {name!r} must be an integer, got {value!r}"]
        enum = parameter.get("schema", {}).get("enum")
        if enum and value not in enum:
            return [f"parameter {name!r} must be one of {enum}, got {value!r}"]
        return []

    def _validator(self, operation: Operation) -> jsonschema.protocols.Validator:
        key = (operation.template, operation.method)
        with self._lock:
            if key not in self._validators:
                content = operation.spec["requestBody"]["content"]
                schema = _nullable(content["application/json"]["schema"])
                root = {**self._root, "allOf": [schema]}
                self._validators[key] = jsonschema.Draft4Validator(root)
            return self._validators[key]


@cache
def openapi() -> OpenApi:
    return OpenApi()


def webhook_example(
    event: str, action: str, predicate: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any]:
    """A real payload of ``event`` with ``action`` from ``@octokit/webhooks-examples``."""
    index = json.loads((WEBHOOK_EXAMPLES / "index.json").read_text(encoding="utf-8"))
    for entry in index:
        if entry["name"] != event:
            continue
        for example in entry["examples"]:
            if example.get("action") == action and (predicate is None or predicate(example)):
                return json.loads(json.dumps(example))  # a deep copy to adapt freely
    raise LookupError(f"no {event}/{action} example")


# --- state -----------------------------------------------------------------------------------


@dataclass
class PullFile:
    filename: str
    patch: str | None
    status: str = "modified"

    def commentable(self) -> set[int]:
        """New-side lines GitHub would accept a comment on (added and context lines)."""
        lines: set[int] = set()
        current: int | None = None
        for text in (self.patch or "").splitlines():
            header = re.match(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@", text)
            if header:
                current = int(header.group(1))
            elif current is not None and not text.startswith(("-", "\\")):
                lines.add(current)
                current += 1
        return lines


@dataclass
class Pull:
    number: int
    head_sha: str
    base_sha: str
    head_repo: str
    head_ref: str = "feature"
    base_ref: str = "main"
    state: str = "open"
    files: list[PullFile] = field(default_factory=list)
    title: str = "Switch OrdersFn to arm64"
    body: str = ""
    merged: bool = False
    user: dict[str, Any] = field(default_factory=lambda: dict(HUMAN))


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int
    when: Callable[[Any], bool] | None = None
    #: Carry the request out, then answer with the fault.
    landed: bool = False


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    at: float


class GitHubState:
    """What the server holds; tests seed it and read it back."""

    def __init__(self, repository: str = "octo-org/octo-repo") -> None:
        self.repository = repository
        self.pulls: dict[int, Pull] = {}
        self.review_comments: dict[int, dict[str, Any]] = {}
        self.reviews: dict[int, dict[str, Any]] = {}
        self.issue_comments: dict[int, dict[str, Any]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.tokens: dict[str, bool] = {"write-token": True, "read-token": False,
                                        "mallory-token": True, "octocat-token": True}
        #: The account each token acts as.
        self.users: dict[str, dict[str, Any]] = {
            "write-token": BOT, "read-token": BOT, "mallory-token": MALLORY,
            "octocat-token": HUMAN,
        }
        #: Tokens of an installation (the workflow's, an App's): no ``GET /user``.
        self.installation: set[str] = {"write-token", "read-token"}
        #: The account the request being answered acts as (set under ``lock``).
        self.actor: dict[str, Any] = BOT
        #: When set (epoch seconds), every request meets the primary rate limit until then.
        self.rate_limit_until: int | None = None
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.base_url = ""
        #: The repository's git objects and branches (a bare repository) for the git-data
        #: endpoints and for new pull requests; None: those endpoints answer 404.
        self.git_dir: Path | None = None
        #: The repository setting "Allow GitHub Actions to create and approve pull requests"
        #: (off by default on GitHub for new organisations and repositories).
        self.actions_may_create_pulls = True
        self.lock = threading.RLock()
        self._ids = iter(range(1000, 10**9))

    def next_id(self) -> int:
        return next(self._ids)

    def add_pull(self, pull: Pull) -> Pull:
        self.pulls[pull.number] = pull
        return pull

    def inject(
        self,
        method: str,
        path: str,
        status: int,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        when: Callable[[Any], bool] | None = None,
        errors: list[Any] | None = None,
        landed: bool = False,
    ) -> None:
        body: dict[str, Any] = {"message": message,
                                "documentation_url": "https://docs.github.com/rest"}
        if errors is not None:
            body["errors"] = errors
        self.faults.append(
            Fault(method, re.compile(path), status, body, dict(headers or {}), times, when,
                  landed)
        )

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def comments_of(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.review_comments.values() if c["pull_number"] == number]

    def url(self, path: str) -> str:
        return f"{self.base_url}/repos/{self.repository}{path}"


# --- the HTTP side ---------------------------------------------------------------------------


class _Reply(Exception):
    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, dict(headers or {})


def _error(status: int, message: str, errors: list[Any] | None = None) -> _Reply:
    body: dict[str, Any] = {"message": message, "documentation_url": "https://docs.github.com/rest",
                            "status": str(status)}
    if errors:
        body["errors"] = errors
    return _Reply(status, body)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the state records every request."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        status = 500
        try:
            if raw:
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    state.violations.append(f"{method} {parts.path}: the body is not JSON")
                    raise _error(400, "Problems parsing JSON") from None
            status, payload, headers = self._respond(method, parts.path, query, body, bool(raw))
        except _Reply as reply:
            status, payload, headers = reply.status, reply.body, reply.headers
        with state.lock:
            state.requests.append(
                Recorded(method, parts.path, query, body, status, time.monotonic())
            )
        self._send(status, payload, headers)

    def _respond(
        self, method: str, path: str, query: dict[str, str], body: Any, has_body: bool
    ) -> tuple[int, Any, dict[str, str]]:
        state = self.server.state
        if (method, path) == ("POST", "/graphql"):
            return self._graphql(body)
        found = self.server.api.route(method, path)
        if found is None:
            state.violations.append(f"{method} {path}: no such operation in GitHub's API")
            raise _error(404, "Not Found")
        operation, params = found
        problems = self.server.api.check(operation, params, query, body, has_body)
        if problems:
            state.violations.extend(problems)
            raise _error(422, "Invalid request.", problems)
        token = self._token()
        if token not in state.tokens:
            raise _error(401, "Bad credentials")
        limited = self._rate_limited()
        if limited is not None:
            raise limited
        landed = self._fault(method, path, body)
        if method != "GET" and not state.tokens[token]:
            raise _error(403, "Resource not accessible by integration")
        if params.get("owner") and f"{params['owner']}/{params.get('repo')}" != state.repository:
            raise _error(404, "Not Found")
        handler = _ROUTES.get((method, operation.template))
        if handler is None:
            state.violations.append(f"{method} {operation.template}: not served by this stand-in")
            raise _error(404, "Not Found")
        with state.lock:
            state.actor = state.users.get(token, BOT)
            if operation.template == "/user" and token in state.installation:
                raise _error(403, "Resource not accessible by integration")
            answer = handler(state, params, query, body)
        if landed is not None:
            raise _Reply(landed.status, landed.body, landed.headers)
        return answer

    def _fault(self, method: str, path: str, body: Any) -> Fault | None:
        """The fault this request meets: raised when it fails the request undone, returned
        when the request is to be carried out first."""
        state = self.server.state
        with state.lock:
            for fault in state.faults:
                if (
                    fault.times > 0
                    and fault.method == method
                    and fault.path.search(path)
                    and (fault.when is None or fault.when(body))
                ):
                    fault.times -= 1
                    if not fault.landed:
                        raise _Reply(fault.status, fault.body, fault.headers)
                    return fault
        return None

    def _token(self) -> str:
        return self.headers.get("Authorization", "").split(" ")[-1]

    def _rate_limited(self) -> _Reply | None:
        until = self.server.state.rate_limit_until
        if until is None or time.time() >= until:
            return None
        body = {"message": "API rate limit exceeded for installation ID 4242.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}
        return _Reply(403, body, {"X-RateLimit-Remaining": "0", "X-RateLimit-Used": "5000",
                                  "X-RateLimit-Reset": str(until)})

    def _graphql(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        """The one GraphQL query served: who the token acts as."""
        state = self.server.state
        token = self._token()
        if token not in state.tokens:
            raise _error(401, "Bad credentials")
        limited = self._rate_limited()
        if limited is not None:
            raise limited
        if not isinstance(body, dict) or " ".join(str(body.get("query")).split()) != VIEWER_QUERY:
            state.violations.append(f"POST /graphql: a query this stand-in does not serve: {body}")
            raise _error(400, "Problems parsing JSON")
        login = state.users.get(token, BOT)["login"]
        return 200, {"data": {"viewer": {"login": login}}}, {}

    def _send(self, status: int, payload: Any, headers: Mapping[str, str]) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        sent = {
            "X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999",
            "X-RateLimit-Reset": str(int(time.time()) + 3600), "X-RateLimit-Used": "1",
            "X-RateLimit-Resource": "core", "X-GitHub-Api-Version-Selected": "2022-11-28",
        }
        sent.update(headers)  # a fault's headers replace the defaults
        for name, value in sent.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: GitHubState, api: OpenApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.api = api


class GitHubServer:
    """``with GitHubServer() as server:``: ``server.url`` is the API URL, ``server.state``
    what it holds."""

    def __init__(self, state: GitHubState | None = None) -> None:
        self.state = state or GitHubState()
        self._server = _Server(self.state, openapi())
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self.state.base_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> GitHubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- endpoints -------------------------------------------------------------------------------

Params = dict[str, str]
Answer = tuple[int, Any, dict[str, str]]
Handler = Callable[[GitHubState, Params, Params, Any], Answer]
_ROUTES: dict[tuple[str, str], Handler] = {}
_REPO = "/repos/{owner}/{repo}"


def _route(method: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _ROUTES[(method, _REPO + template)] = handler
        return handler

    return register


def _page(state: GitHubState, path: str, items: list[Any], query: Mapping[str, str]) -> Answer:
    """One page of ``items`` with GitHub's ``Link`` header."""
    per_page = min(int(query.get("per_page", 30)), 100)
    page = max(int(query.get("page", 1)), 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []
    extra = "".join(f"&{k}={v}" for k, v in query.items() if k not in ("page", "per_page"))
    last = max(1, -(-len(items) // per_page))
    if page < last:
        links.append(f'<{state.url(path)}?per_page={per_page}&page={page + 1}{extra}>; rel="next"')
        links.append(f'<{state.url(path)}?per_page={per_page}&page={last}{extra}>; rel="last"')
    return 200, chunk, {"Link": ", ".join(links)} if links else {}


def _authenticated_user(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    """``GET /user``: the account a personal token acts as (an installation token is
    refused before it gets here)."""
    return 200, {**state.actor, "node_id": "U_1", "avatar_url": "", "url": "",
                 "html_url": f"https://github.com/{state.actor['login']}"}, {}


_ROUTES[("GET", "/user")] = _authenticated_user


def _pull(state: GitHubState, params: Mapping[str, str]) -> Pull:
    pull = state.pulls.get(int(params["pull_number"]))
    if pull is None:
        raise _error(404, "Not Found")
    return pull


def _repo_json(state: GitHubState, full_name: str) -> dict[str, Any]:
    owner, _, name = full_name.partition("/")
    return {"id": abs(hash(full_name)) % 10**8, "name": name, "full_name": full_name,
            "owner": {"login": owner, "id": 1, "type": "Organization"},
            "url": f"{state.base_url}/repos/{full_name}", "private": False}


def pull_json(state: GitHubState, pull: Pull) -> dict[str, Any]:
    return {
        "id": pull.number * 7, "number": pull.number, "state": pull.state,
        "title": pull.title, "body": pull.body, "merged": pull.merged,
        "merged_at": _now() if pull.merged else None,
        "url": state.url(f"/pulls/{pull.number}"),
        "html_url": f"https://github.com/{state.repository}/pull/{pull.number}",
        "user": pull.user,
        "head": {"sha": pull.head_sha, "ref": pull.head_ref, "label": pull.head_ref,
                 "repo": _repo_json(state, pull.head_repo),
                 "user": {"login": pull.head_repo.partition("/")[0]}},
        "base": {"sha": pull.base_sha, "ref": pull.base_ref, "label": pull.base_ref,
                 "repo": _repo_json(state, state.repository)},
    }


@_route("GET", "/pulls/{pull_number}")
def _get_pull(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    return 200, pull_json(state, _pull(state, params)), {}


@_route("GET", "/pulls")
def _list_pulls(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    wanted = query.get("state", "open")
    head = query.get("head")
    pulls = [
        pull_json(state, p) for p in state.pulls.values()
        if wanted in ("all", p.state)
        and (head is None or head == f"{p.head_repo.partition('/')[0]}:{p.head_ref}")
    ]
    return _page(state, "/pulls", pulls, query)


@_route("GET", "/commits/{commit_sha}/pulls")
def _commit_pulls(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    sha = params["commit_sha"]
    pulls = [pull_json(state, p) for p in state.pulls.values() if p.head_sha == sha]
    return _page(state, f"/commits/{sha}/pulls", pulls, query)


@_route("GET", "/pulls/{pull_number}/files")
def _files(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    pull = _pull(state, params)
    files = []
    for f in pull.files:
        entry: dict[str, Any] = {"sha": "0" * 40, "filename": f.filename, "status": f.status,
                                 "additions": 1, "deletions": 1, "changes": 2,
                                 "blob_url": "", "raw_url": "", "contents_url": ""}
        if f.patch is not None:
            entry["patch"] = f.patch
        files.append(entry)
    return _page(state, f"/pulls/{pull.number}/files", files, query)


def _review_comment_json(state: GitHubState, comment: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in comment.items() if k != "pull_number"}
    out["url"] = state.url(f"/pulls/comments/{comment['id']}")
    out["pull_request_url"] = state.url(f"/pulls/{comment['pull_number']}")
    out["html_url"] = f"https://github.com/{state.repository}/pull/{comment['pull_number']}"
    return out


@_route("GET", "/pulls/{pull_number}/comments")
def _list_review_comments(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    pull = _pull(state, params)
    items = [_review_comment_json(state, c) for c in state.comments_of(pull.number)]
    return _page(state, f"/pulls/{pull.number}/comments", items, query)


def _check_body(text: Any) -> None:
    if isinstance(text, str) and len(text) > BODY_LIMIT:
        raise _error(422, "Validation Failed",
                     [{"resource": "IssueComment", "code": "custom", "field": "body",
                       "message": f"body is too long (maximum is {BODY_LIMIT} characters)"}])


def _new_review_comment(
    state: GitHubState, pull: Pull, item: Mapping[str, Any], commit: str, review_id: int | None
) -> dict[str, Any]:
    """Validate one review comment as GitHub would, and build it (not stored yet)."""
    _check_body(item.get("body"))
    files = {f.filename: f for f in pull.files}
    path = item.get("path")
    if path not in files:
        raise _error(422, "Unprocessable Entity",
                     ["Path could not be resolved"])
    subject = item.get("subject_type", "line")
    line = item.get("line")
    if subject == "line":
        if item.get("side", "RIGHT") != "RIGHT" or not isinstance(line, int):
            raise _error(422, "Unprocessable Entity", ["line is required for a line comment"])
        commentable = files[path].commentable()
        start = item.get("start_line")
        for n in range(start if isinstance(start, int) else line, line + 1):
            if n not in commentable:
                raise _error(422, "Unprocessable Entity",
                             ["Pull request review thread line must be part of the diff"])
    return {
        "id": state.next_id(), "pull_number": pull.number, "body": item.get("body", ""),
        "path": path, "line": line if subject == "line" else None,
        "original_line": line if subject == "line" else None,
        "start_line": item.get("start_line"), "side": "RIGHT" if subject == "line" else None,
        "subject_type": subject, "commit_id": commit, "original_commit_id": commit,
        "pull_request_review_id": review_id, "user": state.actor, "diff_hunk": "@@",
        "created_at": _now(), "updated_at": _now(), "position": line,
        "author_association": "NONE",
    }


@_route("POST", "/pulls/{pull_number}/comments")
def _create_review_comment(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    pull = _pull(state, params)
    review_id = state.next_id()
    commit = body.get("commit_id", pull.head_sha)
    comment = _new_review_comment(state, pull, body, commit, review_id)
    state.reviews[review_id] = _review(state, pull, review_id, "", commit)
    state.review_comments[comment["id"]] = comment
    return 201, _review_comment_json(state, comment), {}


def _edited(comments: dict[int, dict[str, Any]], params: Params, body: Any) -> dict[str, Any]:
    """The comment ``params`` names, with the new body (checked as GitHub checks it)."""
    comment = comments.get(int(params["comment_id"]))
    if comment is None:
        raise _error(404, "Not Found")
    _check_body(body.get("body"))
    comment["body"], comment["updated_at"] = body["body"], _now()
    return comment


@_route("PATCH", "/pulls/comments/{comment_id}")
def _edit_review_comment(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    return 200, _review_comment_json(state, _edited(state.review_comments, params, body)), {}


@_route("DELETE", "/pulls/comments/{comment_id}")
def _delete_review_comment(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    if state.review_comments.pop(int(params["comment_id"]), None) is None:
        raise _error(404, "Not Found")
    return 204, None, {}


def _review(
    state: GitHubState, pull: Pull, review_id: int, body: str, commit: str
) -> dict[str, Any]:
    return {"id": review_id, "pull_number": pull.number, "body": body, "state": "COMMENTED",
            "user": state.actor, "commit_id": commit, "submitted_at": _now(),
            "html_url": f"https://github.com/{state.repository}/pull/{pull.number}",
            "pull_request_url": state.url(f"/pulls/{pull.number}"),
            "author_association": "NONE",
            "_links": {"html": {"href": ""}, "pull_request": {"href": ""}}}


@_route("GET", "/pulls/{pull_number}/reviews")
def _list_reviews(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    pull = _pull(state, params)
    items = [{k: v for k, v in r.items() if k != "pull_number"}
             for r in state.reviews.values() if r["pull_number"] == pull.number]
    return _page(state, f"/pulls/{pull.number}/reviews", items, query)


@_route("POST", "/pulls/{pull_number}/reviews")
def _create_review(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    pull = _pull(state, params)
    commit = body.get("commit_id", pull.head_sha)
    _check_body(body.get("body"))
    empty = not body.get("body") and not body.get("comments")
    if body.get("event") in ("COMMENT", "REQUEST_CHANGES") and empty:
        raise _error(422, "Unprocessable Entity", ["Body is required for COMMENT reviews"])
    review_id = state.next_id()
    # One bad comment rejects the whole review, as on GitHub.
    comments = [_new_review_comment(state, pull, item, commit, review_id)
                for item in body.get("comments", [])]
    state.reviews[review_id] = _review(state, pull, review_id, body.get("body", ""), commit)
    for comment in comments:
        state.review_comments[comment["id"]] = comment
    return 200, {k: v for k, v in state.reviews[review_id].items() if k != "pull_number"}, {}


def _issue_comment_json(state: GitHubState, comment: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in comment.items() if k != "issue_number"}
    out["url"] = state.url(f"/issues/comments/{comment['id']}")
    out["html_url"] = f"https://github.com/{state.repository}/pull/{comment['issue_number']}"
    out["issue_url"] = state.url(f"/issues/{comment['issue_number']}")
    return out


@_route("GET", "/issues/{issue_number}/comments")
def _list_issue_comments(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    number = int(params["issue_number"])
    items = [_issue_comment_json(state, c) for c in state.issue_comments.values()
             if c["issue_number"] == number]
    return _page(state, f"/issues/{number}/comments", items, query)


@_route("POST", "/issues/{issue_number}/comments")
def _create_issue_comment(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    _check_body(body.get("body"))
    comment = {"id": state.next_id(), "issue_number": int(params["issue_number"]),
               "body": body["body"], "user": state.actor, "created_at": _now(),
               "updated_at": _now(), "author_association": "NONE"}
    state.issue_comments[comment["id"]] = comment
    return 201, _issue_comment_json(state, comment), {}


@_route("PATCH", "/issues/comments/{comment_id}")
def _edit_issue_comment(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    return 200, _issue_comment_json(state, _edited(state.issue_comments, params, body)), {}


def _check_output(run: dict[str, Any], output: Mapping[str, Any] | None) -> None:
    if output is None:
        return
    summary = output.get("summary", "")
    if len(summary) > CHECK_SUMMARY_LIMIT:
        raise _error(422, "Invalid request.",
                     [f"Only {CHECK_SUMMARY_LIMIT} characters are allowed; "
                      f"{len(summary)} were supplied."])
    annotations = output.get("annotations", [])
    if len(annotations) > 50:
        raise _error(422, "Invalid request.", ["Only 50 annotations are allowed per request"])
    run["output"] = {"title": output.get("title"), "summary": summary,
                     "text": output.get("text")}
    run["annotations"].extend(annotations)


def _check_json(state: GitHubState, run: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in run.items() if k != "annotations"}
    out["url"] = state.url(f"/check-runs/{run['id']}")
    out["output"] = {**run.get("output", {}), "annotations_count": len(run["annotations"]),
                     "annotations_url": state.url(f"/check-runs/{run['id']}/annotations")}
    return out


@_route("POST", "/check-runs")
def _create_check(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    run: dict[str, Any] = {"id": state.next_id(), "name": body["name"],
                           "head_sha": body["head_sha"], "status": body.get("status", "queued"),
                           "conclusion": body.get("conclusion"),
                           "started_at": _now(), "completed_at": _now(), "annotations": [],
                           "html_url": "", "details_url": "", "check_suite": {"id": 1},
                           "app": {"id": 15368, "slug": "github-actions"},
                           "external_id": body.get("external_id")}
    _check_output(run, body.get("output"))
    state.check_runs[run["id"]] = run
    return 201, _check_json(state, run), {}


@_route("GET", "/commits/{ref}/check-runs")
def _list_checks(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    runs = [_check_json(state, r) for r in state.check_runs.values()
            if r["head_sha"] == params["ref"]
            and query.get("check_name", r["name"]) == r["name"]]
    status, page, headers = _page(state, f"/commits/{params['ref']}/check-runs", runs, query)
    return status, {"total_count": len(runs), "check_runs": page}, headers


@_route("GET", "/check-runs/{check_run_id}")
def _get_check(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    run = state.check_runs.get(int(params["check_run_id"]))
    if run is None:
        raise _error(404, "Not Found")
    return 200, _check_json(state, run), {}


@_route("PATCH", "/check-runs/{check_run_id}")
def _update_check(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    run = state.check_runs.get(int(params["check_run_id"]))
    if run is None:
        raise _error(404, "Not Found")
    for key in ("status", "conclusion", "name"):
        if key in body:
            run[key] = body[key]
    _check_output(run, body.get("output"))
    return 200, _check_json(state, run), {}


# --- git data and new pull requests, backed by a bare repository (``state.git_dir``) -----------

_GIT_BOT = {"GIT_AUTHOR_NAME": "github-actions[bot]",
            "GIT_AUTHOR_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
            "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}


def _git(state: GitHubState, *args: str, stdin: str | None = None,
         env: Mapping[str, str] | None = None) -> str | None:
    """``git`` in the repository; its output, or None when it fails."""
    if state.git_dir is None:
        raise _error(404, "Not Found")
    done = subprocess.run(
        ["git", "--git-dir", str(state.git_dir), *args], input=stdin, capture_output=True,
        text=True, check=False, env={**os.environ, **_GIT_BOT, **(env or {})},
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _object_type(state: GitHubState, sha: str) -> str | None:
    return _git(state, "cat-file", "-t", sha) if re.fullmatch(r"[0-9a-f]{40}", sha) else None


def _ref_json(state: GitHubState, ref: str, sha: str) -> dict[str, Any]:
    return {"ref": ref, "node_id": "REF_" + sha[:8], "url": state.url(f"/git/{ref}"),
            "object": {"type": "commit", "sha": sha, "url": state.url(f"/git/commits/{sha}")}}


def _commit_json(state: GitHubState, sha: str) -> dict[str, Any]:
    text = _git(state, "cat-file", "commit", sha)
    if text is None:
        raise _error(404, "Not Found")
    head, _, message = text.partition("\n\n")
    tree, parents, people = "", [], {}
    for line in head.splitlines():
        key, _, value = line.partition(" ")
        if key == "tree":
            tree = value
        elif key == "parent":
            parents.append(value)
        elif key in ("author", "committer"):
            match = re.match(r"(.*) <(.*)> (\d+) ", value)
            if match:
                when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(match.group(3))))
                people[key] = {"name": match.group(1), "email": match.group(2), "date": when}
    return {
        "sha": sha, "node_id": "C_" + sha[:8], "url": state.url(f"/git/commits/{sha}"),
        "html_url": f"https://github.com/{state.repository}/commit/{sha}",
        "author": people.get("author"), "committer": people.get("committer"),
        "message": message, "tree": {"sha": tree, "url": state.url(f"/git/trees/{tree}")},
        "parents": [{"sha": p, "url": state.url(f"/git/commits/{p}"),
                     "html_url": f"https://github.com/{state.repository}/commit/{p}"}
                    for p in parents],
        "verification": {"verified": False, "reason": "unsigned", "signature": None,
                         "payload": None, "verified_at": None},
    }


@_route("GET", "/git/ref/{ref}")
def _get_ref(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    ref = "refs/" + params["ref"]
    sha = _git(state, "rev-parse", "--verify", "--quiet", ref + "^{commit}")
    if sha is None:
        raise _error(404, "Not Found")
    return 200, _ref_json(state, ref, sha), {}


@_route("POST", "/git/refs")
def _create_ref(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    ref, sha = body["ref"], body["sha"]
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise _error(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if _object_type(state, sha) != "commit":
        raise _error(422, "Object does not exist")
    if _git(state, "rev-parse", "--verify", "--quiet", ref) is not None:
        raise _error(422, "Reference already exists")
    _git(state, "update-ref", ref, sha)
    return 201, _ref_json(state, ref, sha), {}


@_route("PATCH", "/git/refs/{ref}")
def _update_ref(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    ref, sha = "refs/" + params["ref"], body["sha"]
    old = _git(state, "rev-parse", "--verify", "--quiet", ref)
    if old is None:
        raise _error(422, "Reference does not exist")
    if _object_type(state, sha) != "commit":
        raise _error(422, "Object does not exist")
    if not body.get("force") and _git(state, "merge-base", "--is-ancestor", old, sha) is None:
        raise _error(422, "Update is not a fast forward")
    _git(state, "update-ref", ref, sha)
    return 200, _ref_json(state, ref, sha), {}


@_route("GET", "/git/commits/{commit_sha}")
def _get_commit(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    if _object_type(state, params["commit_sha"]) != "commit":  # a full id; no ref names
        raise _error(404, "Not Found")
    return 200, _commit_json(state, params["commit_sha"]), {}


@_route("POST", "/git/trees")
def _create_tree(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    """A tree from ``base_tree`` and the entries given (content, a blob's sha, or null to
    delete), built in a scratch index as GitHub builds it."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        base = body.get("base_tree")
        if base is not None and _object_type(state, base) != "tree":
            raise _error(422, "Invalid tree info", ["base_tree is not a tree"])
        _git(state, "read-tree", *([base] if base else ["--empty"]), env=index)
        for entry in body["tree"]:
            path, mode = entry.get("path"), entry.get("mode", "100644")
            if not isinstance(path, str) or path.startswith("/") or "" in path.split("/"):
                raise _error(422, "Invalid tree info", [f"bad path {path!r}"])
            if "content" in entry and entry.get("sha") is not None:
                raise _error(422, "Invalid tree info", ["give sha or content, not both"])
            if "content" in entry:
                blob = _git(state, "hash-object", "-w", "--stdin", stdin=entry["content"])
            elif entry.get("sha") is None and "sha" in entry:
                _git(state, "update-index", "--force-remove", path, env=index)
                continue
            else:
                blob = entry.get("sha")
                if _object_type(state, str(blob)) != "blob":
                    raise _error(422, "Invalid tree info", [f"{path}: no such blob"])
            _git(state, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}",
                 env=index)
        tree = _git(state, "write-tree", env=index)
    assert tree is not None
    listing = _git(state, "ls-tree", "-l", tree) or ""
    entries = []
    for line in listing.splitlines():
        meta, _, name = line.partition("\t")
        mode, kind, sha, size = meta.split()
        item = {"path": name, "mode": mode, "type": kind, "sha": sha,
                "url": state.url(f"/git/{kind}s/{sha}")}
        if size != "-":
            item["size"] = int(size)
        entries.append(item)
    return 201, {"sha": tree, "url": state.url(f"/git/trees/{tree}"), "truncated": False,
                 "tree": entries}, {}


@_route("POST", "/git/commits")
def _create_commit(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    tree = body["tree"]
    if _object_type(state, tree) != "tree":
        raise _error(422, "Tree SHA does not exist")
    parents = body.get("parents", [])
    for parent in parents:
        if _object_type(state, parent) != "commit":
            raise _error(422, "Parent SHA does not exist or is not a commit object")
    flags = [arg for parent in parents for arg in ("-p", parent)]
    sha = _git(state, "commit-tree", tree, *flags, stdin=body["message"])
    assert sha is not None
    return 201, _commit_json(state, sha), {}


@_route("POST", "/pulls")
def _create_pull(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    if not state.actions_may_create_pulls:
        raise _error(403, "GitHub Actions is not permitted to create or approve pull requests.")
    owner = state.repository.partition("/")[0]
    head = body["head"].removeprefix(f"{owner}:")
    head_sha = _git(state, "rev-parse", "--verify", "--quiet", f"refs/heads/{head}")
    base_sha = _git(state, "rev-parse", "--verify", "--quiet", f"refs/heads/{body['base']}")
    if head_sha is None or base_sha is None:
        field_name = "head" if head_sha is None else "base"
        raise _error(422, "Validation Failed",
                     [{"resource": "PullRequest", "field": field_name, "code": "invalid"}])
    for pull in state.pulls.values():
        if pull.state == "open" and (pull.head_ref, pull.base_ref) == (head, body["base"]):
            raise _error(422, "Validation Failed", [{
                "resource": "PullRequest", "code": "custom",
                "message": f"A pull request already exists for {owner}:{head}."}])
    _check_body(body.get("body"))
    number = max([0, *state.pulls]) + 1
    pull = state.add_pull(Pull(
        number, head_sha, base_sha, state.repository, head_ref=head, base_ref=body["base"],
        title=body.get("title", ""), body=body.get("body", ""), user=dict(BOT),
    ))
    return 201, pull_json(state, pull), {}


@_route("PATCH", "/pulls/{pull_number}")
def _edit_pull(state: GitHubState, params: Params, query: Params, body: Any) -> Answer:
    pull = _pull(state, params)
    _check_body(body.get("body"))
    pull.title = body.get("title", pull.title)
    pull.body = body.get("body", pull.body)
    pull.state = body.get("state", pull.state)
    return 200, pull_json(state, pull), {}


def iter_requests(state: GitHubState, method: str, pattern: str) -> Iterator[Recorded]:
    """The recorded requests of ``method`` whose path matches ``pattern``."""
    regex = re.compile(pattern)
    return (r for r in state.requests if r.method == method and regex.search(r.path))
