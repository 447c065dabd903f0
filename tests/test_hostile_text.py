"""Hostile text: every name a template, a path or the configuration can carry, on every surface.

One template (JSON, built here) puts HTML, Markdown, Mermaid and mention payloads into every
field that reaches a reader: logical ids of functions and consumers, a construct path, a file
name and so the stack name, environment keys, a layer name, a parameter name (and the note
that names it), an export name, a suppression reason in Metadata, and the folder of the
configuration file that ignores a function. The report goes through the CLI (Markdown and
SARIF), the job summary, and the GitHub publisher against the stand-in server; every Markdown
body is rendered by a GFM renderer (npm ``marked``) and every diagram parsed by mermaid. Nothing
of the payload may come out as an element, an attribute, a link, a mention or a reference.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from github_server import OPENAPI_PATH, GitHubServer, GitHubState, Pull, PullFile

from reviewer.cli import main
from reviewer.commands.check import CheckOptions, run_check
from reviewer.contract.report import Report
from reviewer.github.context import RunContext
from reviewer.github.publish import PublishOptions, publish
from reviewer.report import markdown

NODE = Path(__file__).parent / "node"
PAYLOAD = (
    "</summary></details><h1>x</h1><img src=x onerror=alert(1)> @org/team @octocat "
    "[x](javascript:alert(1)) [y](http://evil.example) https://evil.example www.evil.example "
    "| `a` ``` %%{init: {\"theme\":\"dark\"}}%% click L call evil() --> ; \"q\" "
    "octo/repo#1 &lt;b&gt; <!-- \nnext"
)
#: The file name (and so the stack name): a file name cannot hold "/".
FILE_NAME = "<img src=x onerror=alert(2)> @org-team [x](javascript:alert(2)) | `b` #2.json"
#: The configuration's folder: its path is the reason of a function ignored there.
CONFIG_FOLDER = "conf @org-team <b>x</b> #3"
FUNCTION = "Fn" + PAYLOAD
IGNORED = "Ign" + PAYLOAD
REPOSITORY = "octo-org/octo-repo"

pytestmark = pytest.mark.skipif(
    not OPENAPI_PATH.is_file() or not (NODE / "node_modules" / "marked").is_dir()
    or shutil.which("node") is None,
    reason="the npm packages are missing: run npm ci in tests/node",
)


def _template(version: int) -> dict[str, Any]:
    env = {"K" + PAYLOAD: "v"} if version == 1 else {"K" + PAYLOAD: "w", "N" + PAYLOAD: "x"}

    def function(**extra: Any) -> dict[str, Any]:
        return {"Type": "AWS::Lambda::Function", "Properties": {
            "Handler": "app.handler", "Role": "arn:aws:iam::1:role/r", "Runtime": "python3.12",
            "Code": {"S3Bucket": "b", "S3Key": f"v{version}.zip"},
            "Environment": {"Variables": env}, **extra,
        }}

    resources = {
        FUNCTION: function(Layers=[f"arn:aws:lambda:us-east-1:1:layer:L{PAYLOAD}:{version}",
                                   {"Ref": "Par" + PAYLOAD}]),
        "Quiet" + PAYLOAD: function(),
        IGNORED: function(),
        "Map" + PAYLOAD: {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "FunctionName": {"Ref": FUNCTION}, "EventSourceArn": "arn:aws:sqs:us-east-1:1:q"}},
    }
    resources[FUNCTION]["Metadata"] = {"aws:cdk:path": "Stack/" + PAYLOAD}
    resources["Quiet" + PAYLOAD]["Metadata"] = {
        "latest-guard": {"ignore": ["LG001"], "reason": "ok by " + PAYLOAD}}
    return {
        "Parameters": {"Par" + PAYLOAD: {"Type": "String"}},
        "Resources": resources,
        "Outputs": {"Out" + PAYLOAD: {"Value": {"Fn::GetAtt": [FUNCTION, "Arn"]},
                            "Export": {"Name": "Exp" + PAYLOAD}}},
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The new and the deployed template, and the configuration, under the working folder."""
    monkeypatch.chdir(tmp_path)
    paths = {"new": Path("new") / FILE_NAME, "old": Path("old") / FILE_NAME,
             "config": Path(CONFIG_FOLDER) / ".latest-guard.yml"}
    for side, version in (("new", 2), ("old", 1)):
        paths[side].parent.mkdir(parents=True)
        paths[side].write_text(json.dumps(_template(version), indent=1), encoding="utf-8")
    paths["config"].parent.mkdir(parents=True)
    paths["config"].write_text(json.dumps({"ignore-functions": [IGNORED]}), encoding="utf-8")
    return paths


def _check(project: dict[str, Path], capsys: pytest.CaptureFixture[str], fmt: str) -> str:
    capsys.readouterr()
    code = main(["check", "-t", str(project["new"]), "--baseline", str(project["old"]),
                 "--config", str(project["config"]), "--format", fmt, "--fail-on", "never"])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def _report(project: dict[str, Path]) -> Report:
    """The report as the Action holds it (the JSON report does not keep every field)."""
    options = CheckOptions(templates=(project["new"],), baselines=(project["old"],),
                           config=project["config"], fail_on="never")
    return run_check(options, io.StringIO())


# --- what a renderer makes of a body ---------------------------------------------------------


def _node(script: str, items: list[str]) -> list[Any]:
    run = subprocess.run(["node", str(NODE / script)], input=json.dumps(items),
                         capture_output=True, text=True, timeout=120, check=True)
    result: list[Any] = json.loads(run.stdout)
    return result


class _Elements(HTMLParser):
    """The elements of rendered HTML, and the text that is not inside code or a link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.depth: dict[str, int] = {}
        self.prose: list[str] = []
        self._quiet = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.depth[tag] = self.depth.get(tag, 0) + 1
        self._quiet += tag in ("code", "pre", "a")

    def handle_endtag(self, tag: str) -> None:
        self.depth[tag] = self.depth.get(tag, 0) - 1
        self._quiet -= tag in ("code", "pre", "a")

    def handle_data(self, data: str) -> None:
        if not self._quiet:
            self.prose.append(data)


#: What the reporter writes itself: anything else came from a payload.
OUR_TAGS = {"h3", "h4", "p", "strong", "em", "code", "pre", "ul", "ol", "li", "table", "thead",
            "tbody", "tr", "th", "td", "details", "summary", "sub", "blockquote", "br", "a"}
#: GitHub's mention and issue-reference syntax (outside code and links).
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][\w-]*")
REFERENCE = re.compile(r"(?:\b[\w.-]+/[\w.-]+)?#\d")


def assert_inert(bodies: list[str], allowed_links: tuple[str, ...] = ()) -> None:
    """Every body rendered as GFM: no element, attribute, link, mention or reference from
    the payload, and ``<details>`` balanced."""
    assert bodies
    prose_of_all = ""
    for body, rendered in zip(bodies, _node("markdown_render.mjs", bodies), strict=True):
        parsed = _Elements()
        parsed.feed(rendered)
        tags = {tag for tag, _ in parsed.tags}
        assert tags <= OUR_TAGS, (tags - OUR_TAGS, body)
        for tag, attrs in parsed.tags:
            assert set(attrs) <= {"href", "class", "start"}, (tag, attrs)
            if tag == "a":
                assert str(attrs.get("href")).startswith(allowed_links), attrs
        assert parsed.depth.get("details", 0) == 0
        assert parsed.depth.get("summary", 0) == 0
        prose = "".join(parsed.prose)
        assert not MENTION.findall(prose)
        assert not REFERENCE.findall(prose)
        assert "evil.example" not in "".join(str(a) for _, a in parsed.tags)
        prose_of_all += prose
    assert "@\u2060org/team" in prose_of_all or "@\u2060org-team" in prose_of_all


def assert_diagrams_hold_the_payload(bodies: list[str]) -> int:
    """Every Mermaid diagram parses, has only our participants, and shows the function's
    name (the payload) as the text of its label."""
    diagrams = [m.group(1) for b in bodies for m in re.finditer(r"```mermaid\n(.*?)```", b, re.S)]
    for result in _node("mermaid_parse.mjs", diagrams):
        assert result["ok"], result
        actors = dict(result["actors"])
        assert set(actors) <= {"C1", "C2", "CFN", "L"}
        names = {" ".join((prefix + PAYLOAD).split()) for prefix in ("Fn", "Ign", "Quiet")}
        assert actors["L"].removesuffix(" ($LATEST)") in names
        assert all(m[0] in actors and m[1] in actors for m in result["messages"])
    return len(diagrams)


# --- the surfaces -----------------------------------------------------------------------------


def test_the_markdown_report_renders_nothing_from_the_payload(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    body = _check(project, capsys, "markdown")
    # every field made it to the report: the test is about something
    for seen in ("Fn", "Map", "Out", "Par", "N", "L", "ok by", "conf @\u2060org-team"):
        assert seen in body
    assert "1 suppressed" in body or "suppressed" in body
    assert_inert([body])


def test_the_job_summary_and_its_diagrams(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report(project)
    full = markdown.render_full(report, commit="a" * 40, details_url="https://github.com/run/1")
    bodies = [full, *(markdown.finding_body(f) for f in report.findings)]
    assert_inert(bodies, ("https://github.com/run/1",))
    assert assert_diagrams_hold_the_payload(bodies) >= 1


def test_sarif_text_is_one_line_without_links_and_its_markdown_is_inert(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    log = json.loads(_check(project, capsys, "sarif"))
    results = log["runs"][0]["results"]
    assert results
    for result in results:
        text = result["message"]["text"]
        assert "\n" not in text
        assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", text)  # no embedded link
        for suppression in result.get("suppressions", []):
            assert "\n" not in suppression["justification"]
    assert_inert([r["message"]["markdown"] for r in results])


@pytest.mark.slow
def test_the_publisher_posts_nothing_live(
    project: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report(project)
    state = GitHubState(REPOSITORY)
    new_text = project["new"].read_text(encoding="utf-8")
    patch = f"@@ -1,0 +1,{len(new_text.splitlines())} @@\n" + "\n".join(
        "+" + line for line in new_text.splitlines())
    with GitHubServer(state) as server:
        state.add_pull(Pull(2, "b" * 40, "c" * 40, REPOSITORY,
                            files=[PullFile(str(project["new"]), patch, "added")]))
        context = RunContext(REPOSITORY, "pull_request", "b" * 40, pull_number=2,
                             run_url="https://github.com/run/1")
        outcome = publish(
            report, context,
            lambda shown, notices: markdown.render(
                shown, commit="b" * 40, details_url=context.run_url, notices=notices),
            PublishOptions(token="write-token", api_url=server.url),
            log=io.StringIO(), pointer="… cut",
        )
    assert outcome.degraded == []
    assert state.violations == []
    bodies = [c["body"] for c in state.issue_comments.values()]
    bodies += [c["body"] for c in state.review_comments.values()]
    bodies += [r["body"] for r in state.reviews.values() if r.get("body")]
    [run] = state.check_runs.values()
    bodies.append(run["output"]["summary"])
    assert len(bodies) >= 3
    assert_inert(bodies, ("https://github.com/run/1",))
    assert assert_diagrams_hold_the_payload(bodies) >= 1
    assert "\n" not in run["output"]["title"]
    annotations = [r.body for r in state.requests if r.method in ("POST", "PATCH")
                   and "/check-runs" in r.path]
    for request in annotations:
        for note in request["output"].get("annotations", []):
            assert "\n" not in note["title"]
            assert note["message"].count("\n") <= 1
