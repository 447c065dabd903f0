"""The review room works without a code host: plan and bodies for a report, any body limit.

A reviewer for another host (a smaller comment limit, its own way of posting) reuses the plan,
the markers and the bodies: every finding is carried by exactly one body, whole or short, and
no body is longer than the host's limit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from template_builder import CODE_V1, CODE_V2, template

from reviewer.config import Config
from reviewer.contract.report import Report
from reviewer.pipeline.analysis import analyze
from reviewer.report.markdown import detail_parts, summary
from reviewer.review.bodies import comment_body, details_bodies, review_bodies, summary_body
from reviewer.review.diff_lines import parse_files
from reviewer.review.markers import Markers
from reviewer.review.plan import plan_review
from reviewer.sources.text.files import load_template_text

FUNCTIONS = 8
#: A host that takes far less than GitHub's 65,536 characters a body.
LIMIT = 3000
MARKERS = Markers("orders")


def _report() -> tuple[Report, str]:
    """Eight functions whose code and memory change while callers reach ``$LATEST``; and the
    new template's text (each function on lines of its own)."""
    old = template({f"Fn{n}": {"Code": CODE_V1, "MemorySize": 128} for n in range(FUNCTIONS)})
    new = template({f"Fn{n}": {"Code": CODE_V2, "MemorySize": 256} for n in range(FUNCTIONS)})
    new_text = json.dumps(new, indent=2)
    sides = [
        load_template_text(Path("head.json"), new_text, "app"),
        load_template_text(Path("base.json"), json.dumps(old, indent=2), "app"),
    ]
    return analyze(sides[:1], sides[1:], Config(), "base.json"), new_text


def _added(text: str) -> str:
    """The patch of a file the pull request adds: every line commentable."""
    lines = text.splitlines()
    return f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + line for line in lines)


def _names(function: str, body: str) -> bool:
    return re.search(rf"\b{function}\b", body) is not None


def _marked(body: str) -> set[str]:
    return set(re.findall(r":finding:([0-9a-f]{16}) -->", body))


def test_plan_and_bodies_carry_every_finding_within_a_small_limit() -> None:
    report, new_text = _report()
    fingerprints = {f.fingerprint for f in report.findings}
    assert len(fingerprints) == FUNCTIONS
    diff = parse_files([("head.json", "added", _added(new_text))])
    plan = plan_review(report.findings, diff, posted=set(), limit=3)
    assert len(plan.line_comments) == 3
    assert len(plan.in_body) == FUNCTIONS - 3
    comments = [comment_body(c, "… cut", MARKERS, limit=LIMIT) for c in plan.line_comments]
    bodies, dropped = review_bodies(plan.line_comments, plan.in_body, MARKERS, limit=LIMIT)
    assert dropped == ()
    assert len(bodies) > 1  # the small limit splits the review body
    for text in [*comments, *(body for body, _ in bodies)]:
        assert len(text) <= LIMIT
    for body, carried in bodies:
        # A body names the findings whose text it holds, and only those.
        assert _marked(body) == {f.fingerprint for f in carried}
        for finding in carried:
            assert _names(finding.resource, body)
    on_lines = [next(iter(_marked(c))) for c in comments]
    in_bodies = [f.fingerprint for _, carried in bodies for f in carried]
    assert sorted(on_lines + in_bodies) == sorted(fingerprints)
    again = plan_review(report.findings, diff, posted=set(on_lines + in_bodies), limit=3)
    assert again.empty and again.already_posted == fingerprints


def test_the_summary_leaves_its_details_to_comments_that_fit_the_limit() -> None:
    report, _ = _report()
    shown = summary(report, details_follow=True, limit=LIMIT)
    assert shown.details_left_out
    body = summary_body(shown.text, "… cut", MARKERS, limit=LIMIT)
    assert body.startswith(MARKERS.summary) and len(body) <= LIMIT
    for finding in report.findings:
        assert f"`{finding.resource}`" in body  # every finding keeps its table row
    parts = details_bodies(detail_parts(report, LIMIT - 200), MARKERS, limit=LIMIT)
    assert len(parts) > 1
    assert all(len(part) <= LIMIT for part in parts)
    assert [MARKERS.part_number(part) for part in parts] == list(range(1, len(parts) + 1))
    joined = "\n".join(parts)
    for finding in report.findings:
        assert _names(finding.resource, joined)
    roomy = summary(report, details_follow=True, limit=65536)
    assert not roomy.details_left_out


def test_the_review_room_needs_no_github_client() -> None:
    code = (
        "import sys, reviewer.review.bodies, reviewer.review.plan, reviewer.review.verdict; "
        "print(sorted(m for m in sys.modules if m == 'github' or m.startswith('github.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "[]"
