"""Every rule's cases, run through the command line, and the reports they give, reviewed like code.

Each rule of the registry has a folder ``tests/rules/<RULE_ID>/`` with one folder per case: a
change rule's ``before.yaml`` (the baseline) and ``after.yaml`` (the new template), a template
rule's ``template.yaml`` alone, and a ``.latest-guard.yml`` where the case needs one. A case's
name says what the rule does there: ``fires-*`` (an open finding of the rule), ``quiet-*`` (no
finding of it), ``suppressed-*`` (only suppressed ones). Beside the templates, ``report.txt``
and ``report.json`` hold the text and JSON reports of ``latest-guard check`` run in that folder.

The reports are the same on every machine: paths are relative to the case's folder (the
configuration file too: it is passed as ``--config .latest-guard.yml``), the version reads
``<version>``, the folder the case ran in, should a report name it, ``<case>``, and the text is
80 columns wide. A changed report fails with its diff; after
reading it, rewrite the files with
``LATEST_GUARD_UPDATE_SNAPSHOTS=1 pytest tests/test_rule_fixtures.py``.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path

import pytest

from reviewer import __version__
from reviewer.cli import main
from reviewer.rules.base import Rule, TemplateRule
from reviewer.rules.registry import RULES, RULES_BY_ID

FIXTURES = Path(__file__).parent / "rules"
KINDS = ("fires", "quiet", "suppressed")
CASES = sorted(
    (case.parent.name, case.name) for case in FIXTURES.glob("*/*") if case.is_dir()
)
#: The files of a case that are inputs (the rest are its snapshots).
INPUTS = ("before.yaml", "after.yaml", "template.yaml", ".latest-guard.yml")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_rule_has_a_case_of_each_kind(rule: type[Rule]) -> None:
    folder = FIXTURES / rule.id
    assert folder.is_dir(), f"{rule.id} has no fixtures: add {folder}"
    kinds = {case.name.split("-", 1)[0] for case in folder.iterdir() if case.is_dir()}
    missing = [kind for kind in KINDS if kind not in kinds]
    assert not missing, f"{folder} has no case named {', '.join(k + '-*' for k in missing)}"


def test_every_fixture_folder_is_a_rule_and_every_case_a_kind() -> None:
    assert CASES
    for rule, case in CASES:
        assert rule in RULES_BY_ID, f"tests/rules/{rule} names no rule of the registry"
        assert case.split("-", 1)[0] in KINDS, f"tests/rules/{rule}/{case}: not {KINDS}"


def _arguments(rule: str, folder: Path) -> list[str]:
    """``check`` of the case: the new template against the baseline, or a template rule's
    template alone; its configuration file named by a relative path (a file found by
    searching is named by its full path, which differs between machines)."""
    config = ["--config", ".latest-guard.yml"] if (folder / ".latest-guard.yml").is_file() else []
    if issubclass(RULES_BY_ID[rule], TemplateRule) and (folder / "template.yaml").is_file():
        return ["check", "-t", "template.yaml", *config]
    assert (folder / "after.yaml").is_file() and (folder / "before.yaml").is_file(), folder
    return ["check", "-t", "after.yaml", "-b", "before.yaml", *config]


def _run(
    arguments: list[str], output: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    code = main([*arguments, "-f", output])
    return code, capsys.readouterr().out


def _normalised(text: str, where: Path) -> str:
    return (
        text.replace(f"latest-guard {__version__}", "latest-guard <version>")
        .replace(str(where), "<case>")
    )


def _json_normalised(text: str, where: Path) -> str:
    report = json.loads(text)
    assert report["tool"]["version"] == __version__
    report["tool"]["version"] = "<version>"
    return _normalised(json.dumps(report, indent=2, ensure_ascii=False) + "\n", where)


def _compare(stored: Path, got: str) -> None:
    if os.environ.get("LATEST_GUARD_UPDATE_SNAPSHOTS") == "1":
        stored.write_text(got, encoding="utf-8")
    assert stored.is_file(), f"no snapshot {stored}: run with LATEST_GUARD_UPDATE_SNAPSHOTS=1"
    want = stored.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(difflib.unified_diff(
            want.splitlines(keepends=True), got.splitlines(keepends=True),
            f"{stored.relative_to(FIXTURES.parent)} (stored)", "this run",
        ))
        pytest.fail(
            f"{stored.name} differs: read the change, then LATEST_GUARD_UPDATE_SNAPSHOTS=1\n"
            + diff,
            pytrace=False,
        )


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r}/{c}" for r, c in CASES])
def test_a_rule_case_gives_its_reviewed_reports(
    rule: str,
    case: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = FIXTURES / rule / case
    for name in INPUTS:
        if (source / name).is_file():
            shutil.copy(source / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    arguments = _arguments(rule, source)
    code, text = _run(arguments, "text", capsys)
    json_code, raw = _run(arguments, "json", capsys)
    assert code == json_code

    findings = [f for f in json.loads(raw)["findings"] if f["rule"] == rule]
    kind = case.split("-", 1)[0]
    if kind == "fires":
        assert any(not f["suppressed"] for f in findings), f"{rule} does not fire in {case}"
        assert all(f["location"]["path"] and f["location"]["line"] for f in findings)
    elif kind == "quiet":
        assert findings == [], f"{rule} fires in {case}"
    else:
        assert findings, f"{rule} reports nothing in {case}"
        assert all(f["suppressed"] and f["suppression_reason"] for f in findings)

    _compare(source / "report.txt", _normalised(text, tmp_path))
    _compare(source / "report.json", _json_normalised(raw, tmp_path))
