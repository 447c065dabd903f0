"""The GitHub modules that need no network: diff lines, the review plan, suggestions, the
artifact reader, inputs, the event context and workflow commands."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from reviewer.commands.action import read_inputs
from reviewer.contract.enums import (
    ChangeHow,
    ConsumerView,
    FailOn,
    FixNeed,
    Framework,
    Severity,
    Side,
)
from reviewer.contract.findings import Edit, FileChange, Finding, Fix, Location, PropertyChange
from reviewer.contract.report import Report
from reviewer.errors import InputError
from reviewer.github.context import from_environment
from reviewer.github.review import comment_body, review_body
from reviewer.github.workflow import annotation, fit_bytes, log_annotations
from reviewer.report import json_v1
from reviewer.report.json_v1 import read_report, report_from_document
from reviewer.review.diff_lines import parse_files, right_side_lines
from reviewer.review.markers import DEFAULT
from reviewer.review.plan import plan_review
from reviewer.rules.registry import catalogue

PATCH = """@@ -1,4 +1,4 @@
 Resources:
   Fn:
-    Type: old
+    Type: AWS::Lambda::Function
     Properties:
@@ -20,3 +20,4 @@
       Runtime: python3.12
-      Architectures: [x86_64]
+      Architectures: [arm64]
+      Layers: [x]
""" + " \n\\ No newline at end of file"  # an empty context line keeps its leading space


def _finding(
    resource: str = "Fn", line: int | None = 2, path: str = "t.yaml", **kw: object
) -> Finding:
    base = Finding(
        "LG001", "latest-race", Severity.ERROR, "stack", resource, "code and config change",
        Location(path, line),
        changes=(PropertyChange("Architectures", Side.CODE, ChangeHow.MODIFIED, "x86_64 → arm64"),
                 PropertyChange("Layers", Side.CONFIG, ChangeHow.MODIFIED)),
        fix=Fix("route callers through an alias"),
        view=ConsumerView.EXPOSED,
        needs=FixNeed.ALIAS_WIRING,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_right_side_lines_are_added_and_context_lines_per_hunk() -> None:
    lines = right_side_lines(PATCH)
    assert lines == {1: 0, 2: 0, 3: 0, 4: 0, 20: 1, 21: 1, 22: 1, 23: 1}
    diff = parse_files([("t.yaml", "modified", PATCH), ("gone.yaml", "removed", PATCH),
                        ("big.json", "modified", None)])
    file = diff.file("t.yaml")
    assert file is not None and file.added == frozenset({3, 21, 22})
    assert file.same_hunk(20, 22) and not file.same_hunk(4, 20)
    assert diff.file("gone.yaml") is not None and not diff.files["gone.yaml"].lines
    assert diff.file("big.json") is not None  # in the pull request: a file comment can go there


def test_plan_puts_each_finding_on_a_line_a_file_or_the_body() -> None:
    diff = parse_files([("t.yaml", "modified", PATCH), ("u.yaml", "modified", PATCH)])
    findings = [
        _finding("Fn", line=2),  # its Architectures line (21) was changed: comment there
        _finding("Far", line=30, path="u.yaml"),  # not in the diff: on the file
        _finding("Elsewhere", path="other.yaml"),  # file not in the pull request: body
        _finding("Quiet", suppressed=True),  # never posted inline
        _finding("Posted"),
    ]
    posted = {findings[4].fingerprint}
    plan = plan_review(findings, diff, posted)
    assert [(c.finding.resource, c.line) for c in plan.line_comments] == [("Fn", 21)]
    assert [(c.finding.resource, c.path) for c in plan.file_comments] == [("Far", "u.yaml")]
    assert [f.resource for f in plan.in_body] == ["Elsewhere"]
    assert plan.already_posted == posted


def test_plan_caps_inline_comments_and_sends_the_rest_to_the_body() -> None:
    diff = parse_files([("t.yaml", "modified", PATCH)])
    findings = [_finding(f"Fn{n}") for n in range(35)]
    plan = plan_review(findings, diff, set(), limit=30)
    assert len(plan.line_comments) + len(plan.file_comments) == 30
    assert len(plan.in_body) == 5
    body = review_body(plan.line_comments, plan.in_body)
    assert DEFAULT.body_fingerprints(body) == {f.fingerprint for f in plan.in_body}
    assert "30 on the lines below" in body


def test_a_fix_whose_edits_are_in_one_hunk_is_one_suggestion() -> None:
    diff = parse_files([("t.yaml", "modified", PATCH)])
    edits = (Edit("t.yaml", 21, 21, "      Architectures: [x86_64]\n"),
             Edit("t.yaml", 23, 23, "      AutoPublishAlias: live\n\n"))
    finding = _finding(fix=Fix("revert the switch", change=FileChange(edits[0].path, edits),
                               verified=True))
    (comment,) = plan_review([finding], diff, set()).line_comments
    assert (comment.start_line, comment.line) == (21, 23)
    body = comment_body(comment, "pointer")
    assert body.startswith(DEFAULT.finding(finding.fingerprint))
    assert DEFAULT.comment_fingerprint(body) == finding.fingerprint
    suggestion = body[body.index("```suggestion\n"):]
    assert suggestion == (
        "```suggestion\n      Architectures: [x86_64]\n      Layers: [x]\n"
        "      AutoPublishAlias: live\n\n```\n"
    )


def test_a_fix_that_reaches_outside_the_diff_gets_no_partial_suggestion() -> None:
    diff = parse_files([("t.yaml", "modified", PATCH)])
    edits = (Edit("t.yaml", 21, 21, "      Architectures: [x86_64]\n"),
             Edit("t.yaml", 40, 40, "      FunctionName: !Ref Alias\n"))
    finding = _finding(fix=Fix("move the consumers", change=FileChange(edits[0].path, edits),
                               verified=True))
    (comment,) = plan_review([finding], diff, set()).line_comments
    assert comment.suggestion is None and comment.line == 21
    assert "```suggestion" not in comment_body(comment, "pointer")


def test_a_fix_not_verified_to_make_its_finding_go_away_is_no_suggestion() -> None:
    diff = parse_files([("t.yaml", "modified", PATCH)])
    edits = (Edit("t.yaml", 21, 21, "      Architectures: [x86_64]\n"),)
    finding = _finding(fix=Fix("revert the switch", change=FileChange(edits[0].path, edits)))
    (comment,) = plan_review([finding], diff, set()).line_comments
    assert comment.suggestion is None
    assert "```suggestion" not in comment_body(comment, "pointer")


def _report(*findings: Finding) -> Report:
    return Report(tuple(findings), (), "git main", FailOn.ERROR)


def test_the_artifact_reads_back_into_the_same_findings() -> None:
    edits = (Edit("t.yaml", 21, 21, "      Architectures: [x86_64]\n"),)
    fixed = _finding(fix=Fix("revert", framework=Framework.CLOUDFORMATION,
                                 change=FileChange(edits[0].path, edits, "--- a"),
                                 verified=True))
    report = _report(fixed, _finding("Other", severity=Severity.WARNING))
    document = json.loads(json_v1.render(report))
    back = report_from_document(document).with_rules(catalogue())
    assert back.findings == report.findings
    assert back.failing and back.count(Severity.WARNING) == 1
    # A publish run still offers the suggestion the analyze run's fix carried.
    diff = parse_files([("t.yaml", "modified", PATCH)])
    (comment,) = plan_review(back.findings[:1], diff, set()).line_comments
    assert comment.suggestion is not None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["findings"][0].update(fingerprint="0" * 16), "fingerprint does not match"),
        (lambda d: d.update(schema="latest-guard/report@9"), "is not a latest-guard/report@1"),
        (lambda d: d["findings"][0]["location"].update(path="a\nb"), "control characters"),
        (lambda d: d["findings"][0].update(severity="fatal"), "severity must be one of"),
        (lambda d: d["summary"].update(fail_on="sometimes"), "fail_on must be one of"),
        (lambda d: d["findings"][0].update(severity=[]), "severity must be one of"),
        (lambda d: d["summary"].update(fail_on={}), "fail_on must be one of"),
        (lambda d: d["findings"][0]["location"].update(confidence=[1]), "confidence must be"),
    ],
)
def test_a_tampered_artifact_is_refused(change: object, reason: str) -> None:
    document = json.loads(json_v1.render(_report(_finding())))
    change(document)  # type: ignore[operator]
    with pytest.raises(InputError, match=reason):
        report_from_document(document)


def test_a_report_nested_too_deeply_is_refused_in_one_line(tmp_path: Path) -> None:
    hostile = tmp_path / "report.json"
    hostile.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply"):
        read_report(hostile)


def test_inputs_are_read_as_the_runner_names_them() -> None:
    inputs = read_inputs({"INPUT_FAIL-ON": "Warning", "INPUT_GITHUB-TOKEN": "t",
                          "INPUT_SARIF-FILE": "x.sarif", "INPUT_MODE": "analyze",
                          "INPUT_COMMENT": ""})
    assert (inputs.fail_on, inputs.github_token, inputs.sarif_file) == ("warning", "t", "x.sarif")
    assert (inputs.mode, inputs.comment, inputs.template) == ("analyze", "review", "auto")
    with pytest.raises(InputError, match="mode"):
        read_inputs({"INPUT_MODE": "deploy"})


def test_context_of_events(tmp_path: Path) -> None:
    def context(name: str, payload: dict[str, object]) -> object:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(payload))
        return from_environment({"GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_NAME": name,
                                 "GITHUB_EVENT_PATH": str(path), "GITHUB_SHA": "m" * 40})

    pull = {"number": 7, "pull_request": {
        "number": 7, "head": {"sha": "h" * 40, "repo": {"full_name": "fork/r"}},
        "base": {"sha": "b" * 40, "repo": {"full_name": "o/r"}}}}
    found = context("pull_request", pull)
    assert (found.pull_number, found.head_sha, found.fork, found.base_sha) == (  # type: ignore[attr-defined]
        7, "h" * 40, True, "b" * 40)
    run = {"workflow_run": {"head_sha": "h" * 40, "head_branch": "feat",
                            "head_repository": {"full_name": "o/r", "owner": {"login": "o"}},
                            "pull_requests": [{"number": 9, "base": {"repo": {"name": "r"}}}]}}
    found = context("workflow_run", run)
    assert (found.pull_number, found.fork, found.lookup) == (9, False, None)  # type: ignore[attr-defined]
    found = context("push", {"before": "p" * 40})
    assert (found.pull_number, found.head_sha, found.base_sha) == (None, "m" * 40, "p" * 40)  # type: ignore[attr-defined]


def test_workflow_commands_escape_and_respect_githubs_limits() -> None:
    finding = _finding(resource="Fn,1", message="two\nlines 100%", path="a:b,c.yaml")
    line = annotation(finding)
    assert line.startswith("::error file=a%3Ab%2Cc.yaml,line=2,title=LG001 latest-race::")
    assert "two%0Alines 100%25" in line and "\n" not in line
    out = io.StringIO()
    shown = log_annotations([_finding(f"Fn{n}") for n in range(12)], out)
    assert shown == 10 and "2 more finding(s) not annotated" in out.getvalue()


def test_the_job_summary_is_cut_to_bytes_not_characters() -> None:
    text = ("## ✖ ünïcödé\n" + "€" * 50 + "\n") * 200
    cut = fit_bytes(text, 4000)
    assert len(cut.encode("utf-8")) <= 4000 and "job summary" in cut


def test_an_unusable_input_fails_the_step_with_an_annotation(tmp_path: Path) -> None:
    from reviewer.commands.action import main

    out = io.StringIO()
    outputs = tmp_path / "output"
    code = main({"INPUT_MODE": "deploy", "GITHUB_OUTPUT": str(outputs)}, out)
    assert code == 2
    assert out.getvalue().startswith("::error title=latest-guard::input mode: must be one of")
    assert "conclusion<<" in outputs.read_text()


def test_the_local_check_never_imports_pygithub(tmp_path: Path) -> None:
    import subprocess
    import sys

    fixtures = Path(__file__).parent / "fixtures" / "arm64-layer"
    code = (
        "import sys\n"
        "from reviewer.cli import main\n"
        f"main(['check', '-t', {str(fixtures / 'template.yaml')!r},"
        f" '-b', {str(fixtures / 'baseline.yaml')!r}, '-o', {str(tmp_path / 'out')!r}])\n"
        "assert 'github' not in sys.modules, 'PyGithub imported on the local path'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_every_instance_name_has_markers_of_its_own() -> None:
    from reviewer.review.markers import Markers, instance_key

    names = ["", "services/orders", "services/orders-v2", "api:v1", "api-v1", "café", "cafè",
             "サービスA", "ストアA", "--", "x -- y", "a" * 120, "a" * 120 + "b", "a]b", "a>b"]
    keys = [instance_key(n) for n in names]
    assert len(set(keys)) == len(names), dict(zip(names, keys, strict=True))
    assert instance_key("services/orders") == "services/orders", "a plain name stays readable"
    for name in names:
        markers = Markers(name)
        for text in (markers.summary, markers.review, markers.finding("0" * 16)):
            inner = text.removeprefix("<!--").removesuffix("-->")
            assert "--" not in inner and ">" not in inner, text
        others = [Markers(n) for n in names if n != name]
        body = markers.finding("0123456789abcdef") + "\nbody"
        assert markers.comment_fingerprint(body) == "0123456789abcdef"
        assert all(o.comment_fingerprint(body) is None for o in others), name
        assert not any(o.is_summary(markers.summary + "\n") for o in others), name
