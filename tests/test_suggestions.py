"""A fix is offered as a one-click suggestion only when applying it makes its finding go away."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from support import FIXTURES

from reviewer.commands.check import CheckOptions, run_check
from reviewer.commands.suggestions import SuggestionCheck
from reviewer.config import Config
from reviewer.contract.findings import Edit, FileChange, Finding, Fix
from reviewer.contract.report import Report
from reviewer.pipeline.handover import Suggestion
from reviewer.pipeline.sides import load_paths
from reviewer.report import json_v1


def check(case: str, tmp_path: Path, *, verify: bool = True) -> tuple[Path, Path, Report]:
    folder = tmp_path / case
    shutil.copytree(FIXTURES / case, folder)
    template, baseline = next(folder.glob("template.*")), next(folder.glob("baseline.*"))
    options = CheckOptions(templates=(template,), baselines=(baseline,), verify_fixes=verify)
    return template, baseline, run_check(options, io.StringIO())


def fix_of(finding: Finding) -> Fix:
    assert finding.fix is not None
    return finding.fix


def test_a_version_rename_that_publishes_again_is_verified(tmp_path: Path) -> None:
    template, _, report = check("stale-version", tmp_path)
    (finding,) = report.findings
    assert finding.rule == "LG002"
    assert fix_of(finding).verified and not fix_of(finding).two_phase
    document = json.loads(json_v1.render(report))
    assert document["findings"][0]["fix"]["verified"] is True
    # the copy it was checked on is gone; the user's file is untouched
    assert sorted(p.name for p in template.parent.iterdir()) == ["baseline.yaml", "template.yaml"]


def test_without_verification_nothing_is_verified(tmp_path: Path) -> None:
    _, _, report = check("stale-version", tmp_path, verify=False)
    assert not fix_of(report.findings[0]).verified


def test_a_two_phase_fix_is_never_verified(tmp_path: Path) -> None:
    _, _, report = check("arm64-layer", tmp_path)
    (finding,) = report.findings
    assert finding.rule == "LG001" and fix_of(finding).two_phase
    assert fix_of(finding).change is not None and not fix_of(finding).verified


def test_an_edit_that_leaves_the_finding_in_place_is_not_verified(tmp_path: Path) -> None:
    template, baseline, report = check("stale-version", tmp_path, verify=False)
    (finding,) = report.findings
    lines = template.read_text().splitlines()
    first = lines[0] + "\n"
    change = fix_of(finding).change
    assert change is not None
    useless = FileChange(change.path, (Edit(change.path, 1, 1, first),))
    new, old = load_paths([template], None), load_paths([baseline], None)
    fixes_it = SuggestionCheck(new, old, Config(), report.baseline)
    assert not fixes_it(Suggestion(finding.rule, new[0], finding.resource, useless))
    assert fixes_it(Suggestion(finding.rule, new[0], finding.resource, change))
