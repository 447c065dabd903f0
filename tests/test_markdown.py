"""The pull-request summary comment and inline comments, as a reviewer would read them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from reviewer.config import Config
from reviewer.contract.enums import ChangeHow, ConsumerView, FailOn, FixNeed, Severity, Side
from reviewer.contract.findings import Consumer, Finding, Fix, Location, PropertyChange
from reviewer.contract.report import Report, StackSummary
from reviewer.github.limits import GITHUB_BODY_LIMIT
from reviewer.pipeline.analysis import analyze
from reviewer.report import REPORTERS, markdown
from reviewer.report.markdown import finding_body, render, truncate
from reviewer.sources import load_side

FIXTURES = Path(__file__).parent / "fixtures"
CANARIES = ("canary-secret-value-7f3a", "secret-tag-value-91b2", "deps:7", "deps:8")
RACING = ("arm64-layer", "alias-added", "alias-on-latest", "code-env", "code-tag",
          "cross-stack", "layer-by-reference", "nested-stack", "no-consumers",
          "parameter-layer", "tuning-only")


def report_for(case: str, config: Config | None = None) -> Report:
    folder = FIXTURES / case
    template, baseline = next(folder.glob("template*")), next(folder.glob("baseline*"))
    return analyze(
        load_side(template), load_side(baseline), config or Config(), f"template file {baseline}"
    )


def table_rows(body: str) -> list[list[str]]:
    """Cells of every table row after the header, split at unescaped ``|`` as GFM does."""
    rows = [line for line in body.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[1:]]


def mermaid_blocks(body: str) -> list[list[str]]:
    return [m.split("\n") for m in re.findall(r"```mermaid\n(.*?)\n```", body, re.S)]


def open_blocks(body: str) -> tuple[bool, int]:
    """(a code fence is left open, <details> opened minus closed) outside fences."""
    fence: str | None = None
    depth = 0
    for line in body.splitlines():
        marker = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if fence is not None:
            if marker and marker.group(1).startswith(fence) and not line[marker.end():].strip():
                fence = None
            continue
        if marker:
            fence = marker.group(1)
            continue
        depth += len(re.findall(r"<details\b", line)) - len(re.findall(r"</details>", line))
    return fence is not None, depth


def html_tags(body: str) -> set[str]:
    """HTML tags a renderer would see: code fences and code spans are inert and left out."""
    prose = re.sub(r"```.*?\n```", "", body, flags=re.S)
    prose = re.sub(r"(`+)(.+?)\1", "", prose)
    return {m.lower() for m in re.findall(r"</?([A-Za-z][\w-]*)", prose)}


def hostile_finding(**changes: object) -> Finding:
    """A finding whose template-derived text tries to break out of the Markdown."""
    finding = Finding(
        rule="LG001",
        name="latest-race",
        severity=Severity.ERROR,
        stack="prod|<script>alert(1)</script>",
        resource="OrdersFn",
        message="code (Code) and configuration (Layers) change; see @octocat",
        location=Location(path="stacks/we|rd `x` <b>.yaml", line=7),
        changes=(
            PropertyChange("Code", Side.CODE, ChangeHow.MODIFIED, "(S3Key)"),
            PropertyChange("Layers", Side.CONFIG, ChangeHow.BY_PARAMETER, None, "Deps;Arn"),
        ),
        consumers=(
            Consumer("evil;\nend %% `x` #1", "Custom::Thing", "<img src=x onerror=alert(1)>",
                     "ServiceToken", "unqualified"),
        ),
        why="because | reasons",
        fix=Fix("route the consumers through an alias", two_phase=True),
        view=ConsumerView.EXPOSED,
        needs=FixNeed.ALIAS_WIRING,
    )
    return replace(finding, **changes)  # type: ignore[arg-type]


def report_of(*findings: Finding) -> Report:
    stack = StackSummary("prod", "t.yaml", "b.yaml", "compared", 1, ("OrdersFn",))
    return Report(tuple(findings), (stack,), "deployed stack prod", FailOn.ERROR)


# --- the summary comment ------------------------------------------------------------------


def test_table_names_the_function_its_properties_and_its_callers_by_kind() -> None:
    body = render(report_for("arm64-layer"))
    assert body.startswith("### latest-guard · 1 error\n")
    [row] = table_rows(body)
    assert row == [
        "✖",
        "LG001 latest-race",
        "`OrdersFn`",
        "template",
        "code side: Architectures, Code · config side: Layers",
        "an API Gateway method, an SQS event source mapping and an EventBridge rule target",
    ]


def test_an_output_is_referenced_by_never_counted_as_an_invoker() -> None:
    [finding] = report_for("arm64-layer").findings
    output = Consumer("OrdersArn", "Output", "stack output", "Value", "unqualified",
                      invokes=False)
    finding = replace(finding, consumers=(*finding.consumers, output))
    [row] = table_rows(render(report_of(finding)))
    assert row[5] == (
        "an API Gateway method, an SQS event source mapping and an EventBridge rule target; "
        "referenced by 1 output")
    body = finding_body(finding)
    assert "- **referenced by:** `OrdersArn` (stack output, unqualified)" in body
    assert "OrdersArn" not in body.split("- **referenced by:**")[0]
    [lines] = mermaid_blocks(body)
    assert not any("output" in line for line in lines)


@pytest.mark.parametrize(
    ("case", "heading"),
    [
        ("tuning-only", "### latest-guard · 1 warning"),
        ("code-tag", "### latest-guard · 1 notice"),
        ("alias-on-latest", "### latest-guard · 1 error · 1 warning"),
        ("aliased", "### latest-guard · ✓ no findings"),
        ("suppressed", "### latest-guard · ✓ no findings · 1 suppressed"),
    ],
)
def test_heading_counts_what_needs_attention(case: str, heading: str) -> None:
    assert render(report_for(case)).splitlines()[0] == heading


def test_tags_are_shown_as_a_separate_call() -> None:
    [row] = table_rows(render(report_for("code-tag")))
    assert row[0] == "●"
    assert row[4] == "code side: Code · tags: Tags"


def test_a_clean_report_says_what_was_compared() -> None:
    body = render(report_for("aliased"))
    assert "no findings" in body
    assert "1 stack compared" in body
    assert "```mermaid" not in body
    assert table_rows(body) == []


@pytest.mark.parametrize("case", RACING)
def test_every_race_gets_a_well_formed_sequence_diagram(case: str) -> None:
    report = report_for(case)
    body = "".join(finding_body(f) for f in report.findings)
    blocks = mermaid_blocks(body)
    assert len(blocks) == sum(1 for f in report.findings if f.rule == "LG001")
    assert len(mermaid_blocks(markdown.render_full(report))) == len(blocks)
    assert mermaid_blocks(render(report)) == []  # the summary comment stays short
    for lines in blocks:
        assert lines[0] == "sequenceDiagram"
        declared: set[str] = set()
        for line in lines[1:]:
            participant = re.fullmatch(r"  participant (\w+) as (.+)", line)
            arrow = re.fullmatch(r"  (\w+)->>(\w+): (.+)", line)
            note = re.fullmatch(r"  Note over (\w+)(?:,(\w+))?: (.+)", line)
            assert participant or arrow or note, line
            if participant:
                declared.add(participant.group(1))
            else:
                used = {g for g in (arrow or note).groups()[:-1] if g}  # type: ignore[union-attr]
                assert used <= declared, (line, declared)
            # Nothing that ends a statement, starts a comment or closes the fence.
            assert not re.search(r";|%%|`", re.sub(r"#\d+;", "", line)), line
        assert any("UpdateFunctionCode" in line for line in lines)
        participants = [line for line in lines if line.startswith("  participant ")]
        assert len(participants) <= 4


def test_diagram_shows_the_calls_and_who_hits_the_mixed_state() -> None:
    [finding] = report_for("arm64-layer").findings
    [lines] = mermaid_blocks(finding_body(finding))
    text = "\n".join(lines)
    assert "participant C1 as an API Gateway method" in text
    assert "participant C2 as 2 callers of other kinds" in text
    assert "participant L as OrdersFn ($LATEST)" in text
    assert "CFN->>L: UpdateFunctionCode (Architectures x86_64 → arm64" in text
    assert "CFN->>L: UpdateFunctionConfiguration (Layers" in text
    mixed = [line for line in lines if "mixed state" in line]
    assert [line.split("->>")[0].strip() for line in mixed] == ["C1", "C2"]
    code = next(i for i, line in enumerate(lines) if "UpdateFunctionCode" in line)
    config = next(i for i, line in enumerate(lines) if "UpdateFunctionConfiguration" in line)
    assert code < lines.index(mixed[0]) < config


def test_diagram_without_consumers_shows_any_caller() -> None:
    [finding] = report_for("no-consumers").findings
    [lines] = mermaid_blocks(finding_body(finding))
    assert "  participant C1 as any caller (no version or alias)" in lines


def test_hostile_names_are_escaped_in_the_diagram() -> None:
    [lines] = mermaid_blocks(finding_body(hostile_finding()))
    consumer = next(line for line in lines if line.startswith("  participant C1"))
    assert consumer == "  participant C1 as a #60;img src#61;x onerror#61;alert(1)#62;"
    resource = hostile_finding(resource="Fn;end %% `x`")
    [lines] = mermaid_blocks(finding_body(resource))
    assert "  participant L as Fn#59;end #37;#37; #96;x#96; ($LATEST)" in lines


def test_a_two_phase_fix_says_this_pr_alone_cannot_be_made_safe() -> None:
    body = render(report_for("arm64-layer"))
    assert "**Fix in two deployments:** Route the consumers through an alias" in body
    assert (
        "**Steps.** The deployed stack sends traffic to `$LATEST`: no edit to this pull "
        "request alone closes the window.\n1. Phase one, on the deployed template"
    ) in body
    assert "<details><summary>Phase one: the change to the deployed template " in body


def test_a_single_step_fix_is_not_called_two_phase() -> None:
    body = render(report_for("stale-version"))
    assert "**Fix:** Give the version a logical id" in body
    assert "two deployments" not in body


def test_suppressed_findings_are_collapsed_with_their_reason() -> None:
    body = render(report_for("suppressed"))
    details = re.search(r"<details><summary>(.*?)</summary>(.*?)</details>", body, re.S)
    assert details is not None
    assert details.group(1) == "1 suppressed finding"
    assert "`OrdersFn`" in details.group(2)
    assert "batch consumers retry; a few failed invocations" in details.group(2)
    outside = body.replace(details.group(0), "")
    assert "OrdersFn" not in outside
    assert "```mermaid" not in body


def test_footer_names_the_baseline_commit_and_link() -> None:
    body = render(
        report_for("arm64-layer"),
        commit="6dcb09b5b57875f334f61aebed695e2e4193db5e",
        details_url="https://github.com/o/r/actions/runs/1",
    )
    footer = body.rstrip().splitlines()[-1]
    assert footer.startswith("<sub>latest-guard ")
    assert "commit `6dcb09b`" in footer
    assert "baseline: template file " in footer
    assert "[details in the job summary](https://github.com/o/r/actions/runs/1)" in footer


def test_a_link_that_is_not_a_plain_url_is_left_out() -> None:
    body = render(report_for("arm64-layer"), details_url="javascript:alert(1)")
    assert "javascript" not in body


def test_stack_notes_are_shown() -> None:
    stack = StackSummary("prod", "t", "b", "compared", 1, (),
                         ("values not known for parameter(s) DepsArn",))
    body = render(Report((), (stack,), "deployed stack prod", FailOn.ERROR))
    assert "> **note** (prod): values not known for parameter(s) DepsArn" in body


@pytest.mark.parametrize("case", ["code-env", "code-tag", "parameter-layer"])
def test_secret_values_never_appear_but_their_names_do(case: str) -> None:
    report = report_for(case)
    outputs = [render(report), *(finding_body(f) for f in report.findings)]
    for output in outputs:
        for canary in CANARIES:
            assert canary not in output
    names = {"code-env": "PAYMENTS\\_API\\_TOKEN", "code-tag": "Tags",
             "parameter-layer": "DepsLayerArn"}
    assert names[case] in outputs[0]


def test_template_text_cannot_break_the_markup() -> None:
    finding = hostile_finding(resource="Orders|Fn")
    suppressed = replace(
        finding, resource="Other", suppressed=True,
        suppression_reason="ok by @octocat </details> <b>x</b> | done",
    )
    body = render(report_of(finding, suppressed))
    for row in table_rows(body):
        assert len(row) == 6, row
    assert html_tags(body) == {"details", "summary", "code", "sub"}
    assert "@octocat" not in body  # no mention: a word joiner follows the @
    assert "@\u2060octocat" in body
    assert open_blocks(body) == (False, 0)
    assert "`stacks/we|rd \\`x\\` <b>.yaml:7`" not in body
    assert "`` stacks/we|rd `x` <b>.yaml:7 ``" not in body
    assert "``stacks/we|rd `x` <b>.yaml:7``" in body


# --- the inline review comment --------------------------------------------------------------


def test_inline_comment_says_what_and_what_to_do_first_and_folds_the_rest() -> None:
    [finding] = report_for("arm64-layer").findings
    body = finding_body(finding)
    first, second, blank, details, *rest = body.splitlines()
    assert first.startswith("✖ **LG001 latest-race (error)** · Code (Architectures and Code)")
    assert first.endswith(
        "an API Gateway method, an SQS event source mapping and an EventBridge rule target "
        "invoke OrdersFn unqualified in the deployed stack.")
    assert second.startswith("**Fix in two deployments:** Route the consumers through an alias")
    assert (blank, details) == ("", "<details><summary>Details</summary>")
    assert len(body.split("<details>")[0]) < 700
    text = "\n".join(rest)
    assert "- **code side:** Architectures x86\\_64 → arm64; Code (S3Key)" in text
    assert "`GetOrders` (API Gateway method GET, unqualified)" in text
    assert "`QueueMapping` (SQS event source mapping, unqualified)" in text
    assert "- **why:** CloudFormation applies UpdateFunctionCode" in text
    assert open_blocks(body) == (False, 0)


# --- truncation -----------------------------------------------------------------------------


def test_a_body_that_fits_is_unchanged() -> None:
    body = render(report_for("arm64-layer"))
    assert truncate(body) == body


def test_a_long_summary_is_cut_between_findings() -> None:
    [finding] = report_for("arm64-layer").findings
    many = [replace(finding, resource=f"OrdersFn{n}") for n in range(300)]
    body = markdown.render_full(report_of(*many))
    assert len(body) > GITHUB_BODY_LIMIT
    cut = truncate(body, pointer="… cut: see the job summary")
    assert len(cut) <= GITHUB_BODY_LIMIT
    assert cut.rstrip().endswith("… cut: see the job summary")
    assert open_blocks(cut) == (False, 0)
    assert len(table_rows(cut)) == 300  # the table comes first and survives
    assert len(re.findall(r"^```\w+$", cut, re.M)) == len(re.findall(r"^```$", cut, re.M))
    assert "<sub>" not in cut  # the footer went with the tail


@pytest.mark.parametrize("count", [1, 30, 100])
def test_the_summary_comment_fits_with_every_finding_in_it(count: int) -> None:
    [finding] = report_for("arm64-layer").findings
    many = [replace(finding, resource=f"OrdersFn{n}") for n in range(count)]
    body = render(report_of(*many))
    assert len(body) <= GITHUB_BODY_LIMIT
    assert "cut to fit" not in body
    assert [row[2] for row in table_rows(body)] == [f"`OrdersFn{n}`" for n in range(count)]
    assert open_blocks(body) == (False, 0)
    if count <= 30:  # each finding's details, collapsed under the table
        for n in range(count):
            assert (
                f"<details><summary>✖ LG001 · <code>OrdersFn{n}</code> (template)</summary>"
                in body
            )


def test_a_huge_block_is_cut_inside_and_closed() -> None:
    body = (
        "### latest-guard · 1 error\n\n<details><summary>patch</summary>\n\n```diff\n"
        + "+line\n" * 20000
        + "```\n\n</details>\n\n<sub>footer</sub>\n"
    )
    cut = truncate(body, limit=5000, pointer="… cut")
    assert len(cut) <= 5000
    assert len(cut) > 4000  # most of the block is kept
    assert cut.endswith("```\n</details>\n\n… cut\n")
    assert open_blocks(cut) == (False, 0)


@pytest.mark.parametrize("limit", [120, 300, 1000, 2500, 4000, 9000])
def test_any_limit_is_respected_and_leaves_nothing_open(limit: int) -> None:
    report = report_of(hostile_finding(), replace(hostile_finding(), resource="B",
                                                  suppressed=True, suppression_reason="x"))
    body = render(report) * 10
    assert len(body) > limit
    cut = truncate(body, limit=limit, pointer="[see the job summary](https://x.example/s)")
    assert len(cut) <= limit
    assert cut.rstrip().endswith("[see the job summary](https://x.example/s)")
    assert open_blocks(cut) == (False, 0)


def test_one_endless_line_is_cut_at_a_space() -> None:
    cut = truncate("word " * 1000, limit=200, pointer="… cut")
    assert len(cut) <= 200
    assert cut.endswith("\n\n… cut\n")
    assert cut.split("\n")[0].endswith("word")


def test_a_pointer_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        truncate("x" * 100, limit=10, pointer="a pointer that is too long")


def test_the_reporters_are_registered_by_name() -> None:
    report = report_for("arm64-layer")
    assert REPORTERS["markdown"](report) == render(report)
    assert REPORTERS["sarif"](report).startswith("{")


# --- every diagram parses with mermaid's own parser ---------------------------------------

MERMAID_PARSE = Path(__file__).parent / "node" / "mermaid_parse.mjs"
MERMAID = Path(__file__).parent / "node" / "node_modules" / "mermaid"


def mermaid_parse(diagrams: list[str]) -> list[dict[str, object]]:
    """Each diagram as mermaid's parser (npm ``mermaid``) judges it."""
    if not MERMAID.is_dir() or shutil.which("node") is None:
        pytest.skip("mermaid is not installed: run npm ci in tests/node")
    run = subprocess.run(
        ["node", str(MERMAID_PARSE)], input=json.dumps(diagrams), capture_output=True,
        text=True, timeout=120, check=True,
    )
    results: list[dict[str, object]] = json.loads(run.stdout)
    return results


def test_every_diagram_parses_with_mermaids_own_parser() -> None:
    findings = [f for case in RACING for f in report_for(case).findings]
    findings.append(hostile_finding())
    findings.append(hostile_finding(resource="Fn;end %% `x`", consumers=()))
    diagrams = ["\n".join(b) for f in findings for b in mermaid_blocks(finding_body(f))]
    assert len(diagrams) >= len(RACING)
    # the parser is strict: a statement split by a raw ";" is refused
    broken = diagrams[0].replace("half updated", "half; updated").replace(
        "separate calls", "separate calls\n  C1-x>L: no such arrow")
    results = mermaid_parse([*diagrams, broken])
    assert results[-1]["ok"] is False
    failed = [(d, r["error"]) for d, r in zip(diagrams, results, strict=False) if not r["ok"]]
    assert failed == []
