"""What a person reads, stored next to the tests and reviewed like code.

For a few fixtures (one per rule, a two-phase fix, a thirty-finding pull request) the text
report, the first inline review comment, the summary comment, the check run's title and
summary, the job summary and, where the Action opened one, the phase-one pull request are
rendered and compared with ``tests/snapshots/<case>.md``.
A change of wording shows up as a diff of those files; after reading it, rewrite them with
``LATEST_GUARD_UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py``.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import pytest

from reviewer.commands.check import CheckOptions, run_check
from reviewer.commands.phase_one.change import PhaseOneChange
from reviewer.commands.phase_one.words import pull_request_body
from reviewer.commands.phase_one.words import title as title_of
from reviewer.contract.findings import PullLink
from reviewer.contract.report import Report
from reviewer.fixes.edit.textedit import apply_line_edits
from reviewer.report import markdown, text
from reviewer.review.markers import DEFAULT
from reviewer.review.proposal import ProposedFile as PhaseOneFile
from reviewer.review.verdict import title

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = Path(__file__).parent / "snapshots"
COMMIT = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
RUN = "https://github.com/octo/orders/actions/runs/42"
CASES = {
    "lg001-two-phase": ("arm64-layer", True),
    "lg002-verified-suggestion": ("stale-version", True),
    "lg003-alias-on-latest": ("alias-on-latest", True),
    "lg004-no-baseline": ("layer-architecture", False),
    "thirty-findings": ("", True),
    "lg001-phase-one-pull-request": ("arm64-layer", True),
    "lg005-protection-removed": ("arm64-layer", True),
}
#: The phase-one pull request the Action opened for the case of that name (number 7).
PHASE_ONE_PULL = PullLink(7, "https://github.com/octo/orders/pull/7")


def _many(count: int, *, arm64: bool) -> str:
    lines = ["Resources:"]
    for n in range(count):
        lines += [
            f"  Fn{n:02d}:", "    Type: AWS::Lambda::Function", "    Properties:",
            f"      Code: {{S3Bucket: b, S3Key: fn{n:02d}/{2 if arm64 else 1}.zip}}",
            "      Handler: app.handler", "      Role: arn:aws:iam::123456789012:role/r",
            "      Runtime: python3.12",
            f"      Architectures: [{'arm64' if arm64 else 'x86_64'}]",
            f"      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:deps-"
            f"{'arm64' if arm64 else 'x86'}:1]",
            f"  Rule{n:02d}:", "    Type: AWS::Events::Rule", "    Properties:",
            "      ScheduleExpression: rate(1 hour)",
            f"      Targets: [{{Id: t, Arn: !GetAtt Fn{n:02d}.Arn}}]",
        ]
    return "\n".join(lines) + "\n"


def report_of(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Report:
    folder, compared = CASES[case]
    monkeypatch.chdir(ROOT)  # paths in the output are relative to the repository
    if folder:
        base = Path("tests/fixtures") / folder
        template = next(base.glob("template.*"))
        baselines = (next(base.glob("baseline.*")),) if compared else ()
    else:
        monkeypatch.chdir(tmp_path)  # relative paths: the same text wherever it runs
        Path("template.yaml").write_text(_many(30, arm64=True))
        Path("baseline.yaml").write_text(_many(30, arm64=False))
        template, baselines = Path("template.yaml"), (Path("baseline.yaml"),)
    options = CheckOptions(templates=(template,), baselines=baselines, verify_fixes=True)
    report = run_check(options, io.StringIO())
    if case == "lg005-protection-removed":
        report = _phase_one_deployed(report, template, tmp_path, monkeypatch)
    if case == "lg001-phase-one-pull-request":
        report = replace(report, findings=tuple(
            replace(f, fix=replace(f.fix, phase_one_pull=PHASE_ONE_PULL)) if f.fix else f
            for f in report.findings
        ))
    return report


def _phase_one_deployed(
    report: Report, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Report:
    """The check once the phase-one change is deployed and the pull request's template, which
    lacks the wiring, is deployed next (LG005)."""
    (finding,) = report.findings
    assert finding.fix is not None and finding.fix.phase_one is not None
    baseline = ROOT / template.parent / "baseline.yaml"
    deployed = apply_line_edits(baseline.read_text(encoding="utf-8"), finding.fix.phase_one.edits)
    monkeypatch.chdir(tmp_path)  # relative paths: the same text wherever it runs
    Path("baseline.yaml").write_text(deployed, encoding="utf-8")
    Path("template.yaml").write_text((ROOT / template).read_text(encoding="utf-8"))
    options = CheckOptions(
        templates=(Path("template.yaml"),), baselines=(Path("baseline.yaml"),), verify_fixes=True
    )
    return run_check(options, io.StringIO())


def _phase_one_pull_request(report: Report) -> str:
    """The title and body of the phase-one pull request made for pull request #6."""
    findings = tuple(f for f in report.findings if f.fix is not None and f.fix.phase_one_pull)
    if not findings:
        return ""
    change = PhaseOneChange(
        base_commit=COMMIT, base_branch="main",
        files=(PhaseOneFile("tests/fixtures/arm64-layer/baseline.yaml", "100644", ""),),
        findings=findings,
        checked=f"`latest-guard check` of this branch against `{COMMIT[:12]}` finds nothing.",
    )
    return f"title: {title_of(findings)}\n\n" + pull_request_body(change, 6, DEFAULT)


def rendered(report: Report) -> str:
    findings = [f for f in report.findings if not f.suppressed]
    inline = (
        DEFAULT.finding(findings[0].fingerprint) + "\n" + markdown.finding_body(findings[0])
        if findings else "(no finding)\n"
    )
    parts = {
        "text report": text.render(report, width=80),
        "inline comment": inline,
        "summary comment": markdown.render(report, commit=COMMIT, details_url=RUN),
        "check run": f"title: {title(report)}\n\n"
                     + markdown.render(report, commit=COMMIT, details_url=RUN),
        "job summary": markdown.render_full(report, commit=COMMIT, details_url=RUN),
        "phase-one pull request": _phase_one_pull_request(report),
    }
    return "".join(
        f"<!-- snapshot: {name} -->\n{body}\n" for name, body in parts.items() if body
    )


@pytest.mark.parametrize("case", CASES)
def test_what_a_person_reads_is_the_reviewed_snapshot(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = rendered(report_of(case, tmp_path, monkeypatch))
    stored = SNAPSHOTS / f"{case}.md"
    if os.environ.get("LATEST_GUARD_UPDATE_SNAPSHOTS") == "1":
        stored.write_text(got, encoding="utf-8")
    assert stored.is_file(), f"no snapshot {stored}: run with LATEST_GUARD_UPDATE_SNAPSHOTS=1"
    assert got == stored.read_text(encoding="utf-8"), (
        f"{stored.name} differs: read the change, then LATEST_GUARD_UPDATE_SNAPSHOTS=1"
    )


def test_the_inline_comments_stay_short() -> None:
    """What races and what to do fit in 700 characters before the collapsed details."""
    for case in CASES:
        stored = (SNAPSHOTS / f"{case}.md").read_text(encoding="utf-8")
        inline = stored.split("<!-- snapshot: inline comment -->\n", 1)[1]
        inline = inline.split("<!-- snapshot:", 1)[0]
        head = inline.split("<details>", 1)[0]
        assert len(head) < 700, (case, len(head))
