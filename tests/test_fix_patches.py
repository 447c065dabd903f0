"""The patch ``latest-guard fix`` prints applies with plain ``git apply`` and with ``patch -p1``.

For every fixture with a fix (YAML and JSON, plain CloudFormation and SAM) and the example: the
template and its baseline sit in a git repository, ``fix`` and ``fix --phase-one`` print their
patches from its root, and the patches are applied there, as a user would, with ``git apply``
(no flag) and, in a second copy, with ``patch -p1``. The files then hold exactly what ``fix``
computed, and the analysis of the patched template against the patched baseline finds no LG001,
LG002 or LG003.

Context lines come from the user's file, but never a line that shows an environment, tag or
parameter value: with canary values next to the edited lines the patch shows none of them and
still applies; where every line next to a change holds one, the patch has no context there
and ``fix`` says to apply it with ``git apply --unidiff-zero`` (which then takes it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import run_cli
from test_fixes import FIXTURE_PAIRS, open_findings

from reviewer.commands.fix import fix_files
from reviewer.config import Config
from reviewer.fixes.edit.hidden import hidden_lines_of
from reviewer.fixes.edit.textedit import TextEdits, unified_diff
from reviewer.pipeline.analysis import analyze
from reviewer.sources import load_side

EXAMPLE = Path(__file__).parents[1] / "examples" / "arm64-switch"
CASES = [(name, t, b) for name, t, b in FIXTURE_PAIRS] + [
    ("example-arm64-switch", EXAMPLE / "template.yaml", EXAMPLE / "baseline.yaml")
]
PATCH = shutil.which("patch")
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]


def _run(cwd: Path, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True, check=False)


def _repository(root: Path, files: dict[str, str]) -> Path:
    """A git repository at ``root`` holding ``files`` (path: text), committed."""
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "deployed"]):
        done = _run(root, *GIT, *argv)
        assert done.returncode == 0, done.stderr
    return root


def _folder_files(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _git_apply(repo: Path, patch: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return _run(repo, *GIT, "apply", *flags, "-", stdin=patch)


def _patch_p1(folder: Path, patch: str) -> subprocess.CompletedProcess[str]:
    return _run(folder, str(PATCH), "-p1", "--batch", "--forward", stdin=patch)


def _findings_after(template: Path, baseline: Path) -> list[str]:
    report = analyze(load_side(template), load_side(baseline), Config(), "patched")
    return open_findings(report.findings)


@pytest.mark.parametrize(
    ("template", "baseline"),
    [(t, b) for _, t, b in CASES],
    ids=[name for name, _, _ in CASES],
)
def test_the_printed_patches_apply_with_git_apply_and_patch(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    template: Path, baseline: Path,
) -> None:
    source = Path(os.path.commonpath([template, baseline]))
    files = _folder_files(source)
    repo = _repository(tmp_path / "repo", {f"case/{name}": text for name, text in files.items()})
    new = Path("case") / template.relative_to(source)
    old = Path("case") / baseline.relative_to(source)
    monkeypatch.chdir(repo)
    outcome = fix_files(new, old)
    fix = run_cli(capsys, "fix", "-t", new, "-b", old)
    first = run_cli(capsys, "fix", "-t", new, "-b", old, "--phase-one")
    if not fix.out and not first.out:
        return  # nothing to fix (a safe change, or suppressed)
    assert "--unidiff-zero" not in fix.err + first.err  # no secret next to the fixtures' edits
    for name, patch in (("template", fix.out), ("phase one", first.out)):
        if patch:
            assert patch.startswith("--- a/case/") and "\n+++ b/case/" in patch, patch
            applied = _git_apply(repo, patch)
            assert applied.returncode == 0, f"git apply refused the {name} patch: {applied.stderr}"
    assert (repo / new).read_text(encoding="utf-8") == outcome.after
    assert (repo / old).read_text(encoding="utf-8") == outcome.baseline_after
    assert _findings_after(repo / new, repo / old) == []

    if PATCH is None:
        pytest.skip("GNU patch is not installed: only git apply was tried")
    other = tmp_path / "copy"
    for name, text in files.items():
        (other / "case" / name).parent.mkdir(parents=True, exist_ok=True)
        (other / "case" / name).write_text(text, encoding="utf-8")
    for patch in (fix.out, first.out):
        if patch:
            applied = _patch_p1(other, patch)
            assert applied.returncode == 0, applied.stdout + applied.stderr
            assert "fuzz" not in applied.stdout and "offset" not in applied.stdout, applied.stdout
    assert (other / new).read_text(encoding="utf-8") == outcome.after
    assert (other / old).read_text(encoding="utf-8") == outcome.baseline_after


# -- secret values next to the edited lines -----------------------------------------------------

CANARIES = ("cnry-ctx-env-9f1a", "cnry-ctx-tag-42be", "cnry-ctx-token-7c0d", "cnry-ctx-key-e513")


def _functions(side: str, *, boxed: bool) -> dict[str, Any]:
    """Orders (its code changes) and Caller, which finds Orders through an environment
    variable between two secret ones; ``boxed``: a tag value right after it too."""
    tagged = [{"Key": "owner", "Value": f"{CANARIES[1]}-{side}"}]
    variables: dict[str, Any] = {
        "API_TOKEN": f"{CANARIES[2]}-{side}",
        "ORDERS_FUNCTION": {"Ref": "Orders"},
    }
    if boxed:
        variables["SECRET_KEY"] = f"{CANARIES[3]}-{side}"
    return {
        "Orders": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "app.handler",
                "Role": "arn:aws:iam::123456789012:role/orders",
                "Code": {"S3Bucket": "artifacts",
                         "S3Key": f"orders/{'2222' if side == 'new' else '1111'}.zip"},
                "Environment": {"Variables": {"DB_PASSWORD": f"{CANARIES[0]}-{side}"}},
                "Tags": tagged,
            },
        },
        "Caller": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "app.handler",
                "Role": "arn:aws:iam::123456789012:role/orders",
                "Code": {"S3Bucket": "artifacts", "S3Key": "caller.zip"},
                "Environment": {"Variables": variables},
                "Tags": tagged,
            },
        },
    }


def _yaml(value: Any, indent: int = 0) -> str:
    """Block YAML with ``!Ref`` short tags, as a user writes it."""
    pad = " " * indent
    out: list[str] = []
    for key, item in value.items():
        if isinstance(item, dict) and list(item) == ["Ref"]:
            out.append(f"{pad}{key}: !Ref {item['Ref']}\n")
        elif isinstance(item, dict):
            out.append(f"{pad}{key}:\n{_yaml(item, indent + 2)}")
        elif isinstance(item, list):
            out.append(f"{pad}{key}:\n")
            for entry in item:
                block = _yaml(entry, indent + 4)
                out.append(f"{pad}  - {block[indent + 4:]}")
        else:
            out.append(f"{pad}{key}: {item}\n")
    return "".join(out)


def _secret_template(kind: str, side: str, *, boxed: bool) -> str:
    resources = _functions(side, boxed=boxed)
    if kind == "json":
        document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
        return json.dumps(document, indent=2) + "\n"
    return 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n' + _yaml(resources, 2)


def _assert_no_canary(where: str, text: str) -> None:
    assert not any(canary in text for canary in CANARIES), f"{where} shows a secret value"


@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_context_never_shows_a_secret_value_next_to_the_edit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    kind: str,
) -> None:
    new, old = f"template.{kind}", f"baseline.{kind}"
    files = {new: _secret_template(kind, "new", boxed=False),
             old: _secret_template(kind, "old", boxed=False)}
    repo = _repository(tmp_path / "repo", files)
    monkeypatch.chdir(repo)
    fix = run_cli(capsys, "fix", "-t", new, "-b", old)
    first = run_cli(capsys, "fix", "-t", new, "-b", old, "--phase-one")
    for run in (fix, first):
        assert "ORDERS_FUNCTION" in run.out, run.out  # the edit is the line next to the secrets
        _assert_no_canary("the patch", run.out + run.err)
        assert "--unidiff-zero" not in run.err
        assert run.out.count("\n ") >= 1  # context lines, from the file
        applied = _git_apply(repo, run.out)
        assert applied.returncode == 0, applied.stderr
    assert _findings_after(repo / new, repo / old) == []


def test_a_change_between_secret_values_is_bare_and_says_unidiff_zero(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    new, old = "template.yaml", "baseline.yaml"
    files = {new: _secret_template("yaml", "new", boxed=True),
             old: _secret_template("yaml", "old", boxed=True)}
    repo = _repository(tmp_path / "repo", files)
    monkeypatch.chdir(repo)
    fix = run_cli(capsys, "fix", "-t", new, "-b", old)
    first = run_cli(capsys, "fix", "-t", new, "-b", old, "--phase-one")
    # check's report carries the same advice with the fix's patch
    report = run_cli(capsys, "check", "-t", new, "-b", old, "-f", "json").report
    notes = [n for f in report["findings"] if f.get("fix") for n in f["fix"]["notes"]]
    assert any("--unidiff-zero" in n for n in notes), notes
    _assert_no_canary("the check report", json.dumps(report))
    line = files[new].splitlines().index("          ORDERS_FUNCTION: !Ref Orders") + 1
    bare = f"@@ -{line} +"
    for run, name in ((fix, new), (first, old)):
        _assert_no_canary("the patch", run.out + run.err)
        assert bare in run.out, run.out  # that hunk alone has no context
        assert f"the patch of {name} has no context lines at line {line}" in run.err
        assert "git apply --unidiff-zero" in run.err
        assert _git_apply(repo, run.out, "--check").returncode != 0  # as the note says
        applied = _git_apply(repo, run.out, "--unidiff-zero")
        assert applied.returncode == 0, applied.stderr
    assert _findings_after(repo / new, repo / old) == []

    if PATCH is None:
        pytest.skip("GNU patch is not installed: only git apply was tried")
    other = tmp_path / "copy"
    other.mkdir()
    for name, text in files.items():
        (other / name).write_text(text, encoding="utf-8")
    for run in (fix, first):
        applied = _patch_p1(other, run.out)
        assert applied.returncode == 0, applied.stdout + applied.stderr
    assert (other / new).read_text(encoding="utf-8") == (repo / new).read_text(encoding="utf-8")


# -- which lines are hidden ---------------------------------------------------------------------

HIDDEN_TEMPLATE = """\
Parameters:
  Stage:
    Type: String
    Default: prod
    AllowedValues: [prod, dev]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Environment:
        Variables:
          TOKEN: abc
          NOTE: |
            two
            lines
      Tags:
        - Key: owner
          Value: me
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: child.yaml
      Parameters:
        Password: hunter2
"""


def test_hidden_lines_are_the_values_of_environment_tags_and_parameters() -> None:
    lines = HIDDEN_TEMPLATE.splitlines()
    hidden = hidden_lines_of("t.yaml", HIDDEN_TEMPLATE)
    shown = sorted(lines[n].strip() for n in hidden)
    assert shown == sorted([
        "Default: prod", "AllowedValues: [prod, dev]", "TOKEN: abc", "NOTE: |", "two", "lines",
        "- Key: owner", "Value: me", "Password: hunter2",
    ])
    # A text that is not a template hides every line: its patch has no context at all.
    assert 12345 in hidden_lines_of("t.yaml", "Resources: [unclosed\n")


def test_a_line_break_git_does_not_count_falls_back_to_a_whole_text_diff() -> None:
    text = "Resources:\n  A: 1\u2028\n  B: 2\n  C: 3\n  D: 4\n"
    edits = TextEdits(text)
    edits.replace(text.index("3"), text.index("3") + 1, "33")
    diff = edits.diff("t.yaml")
    assert diff is not None
    assert diff.text == unified_diff("t.yaml", text, edits.result())
    assert "@@ -1,5 +1,5 @@\n" in diff.text  # five lines, as git counts: U+2028 is no break
