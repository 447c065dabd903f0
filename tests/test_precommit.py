"""The pre-commit hook on a real git repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from support import FIXTURES, run_cli

REPO = Path(__file__).parents[1]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, check=True, capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q")
    infra = tmp_path / "infra"
    infra.mkdir()
    shutil.copy(FIXTURES / "arm64-layer" / "baseline.yaml", infra / "orders.yaml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "baseline")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_staged_template_is_checked_against_head(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    shutil.copy(FIXTURES / "arm64-layer" / "template.yaml", repo / "infra" / "orders.yaml")
    chart = repo / "chart.yaml"
    chart.write_text("name: {{ .Values.name }}\n", encoding="utf-8")  # not YAML, not a template
    run = run_cli(
        capsys, "pre-commit", "infra/orders.yaml", ".github/workflows/ci.yml", "chart.yaml"
    )
    assert run.code == 1, run.err
    assert "LG001 error   OrdersFn (infra/orders.yaml:3)" in run.out
    assert "ci.yml" not in run.out and "chart.yaml" not in run.out
    assert run.err.splitlines() == [
        "latest-guard: skipped .github/workflows/ci.yml: not a CloudFormation template",
        "latest-guard: skipped chart.yaml: not a CloudFormation template",
    ]


def test_unchanged_and_new_templates_pass(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    new = repo / "infra" / "new.yaml"
    shutil.copy(FIXTURES / "arm64-layer" / "template.yaml", new)
    run = run_cli(capsys, "pre-commit", "infra/orders.yaml", "infra/new.yaml")
    assert (run.code, run.out) == (0, "")


def test_broken_template_is_an_error(capsys: pytest.CaptureFixture[str], repo: Path) -> None:
    (repo / "infra" / "orders.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Fn: [\n", encoding="utf-8"
    )
    run = run_cli(capsys, "pre-commit", "infra/orders.yaml")
    assert run.code == 2
    assert run.err.startswith("latest-guard: error: infra/orders.yaml:")


def test_first_commit_of_a_new_repository_treats_every_template_as_new(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    shutil.copy(FIXTURES / "arm64-layer" / "template.yaml", tmp_path / "orders.yaml")
    git(tmp_path, "add", "orders.yaml")
    monkeypatch.chdir(tmp_path)
    run = run_cli(capsys, "pre-commit", "orders.yaml")
    assert (run.code, run.out, run.err) == (0, "", "")


def test_a_bad_base_revision_is_still_an_error(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    run = run_cli(capsys, "pre-commit", "--base", "no-such-branch", "infra/orders.yaml")
    assert run.code == 2
    assert run.err.startswith("latest-guard: error: infra/orders.yaml: cannot read it at no-such")


NOT_TEMPLATES = [
    ("README.md", "# infra\n\nThe `AWS::Lambda::Function` stacks: run `make`.\n"
                  "\n```yaml\nResources:\n  Fn: {Type: AWS::Lambda::Function}\n```\n"),
    ("values.yaml", "replicas: 2\nimage: {repository: nginx}\n"),
    ("chart.yaml", "name: {{ .Values.name }}\n"),
    ("broken.yml", "key: [unclosed\n"),
    ("notes.json", '{"a": 1,}'),
]


@pytest.mark.parametrize("staged", [True, False], ids=["staged", "named"])
@pytest.mark.parametrize(("name", "text"), NOT_TEMPLATES, ids=[n for n, _ in NOT_TEMPLATES])
def test_a_file_that_is_no_template_is_skipped_with_one_line(
    capsys: pytest.CaptureFixture[str], repo: Path, name: str, text: str, staged: bool
) -> None:
    """pre-commit passes staged files; a user names any file: both get the same answer."""
    (repo / name).write_text(text, encoding="utf-8")
    if staged:
        git(repo, "add", name)
    run = run_cli(capsys, "pre-commit", name, "infra/orders.yaml")
    assert (run.code, run.out) == (0, "")
    assert run.err == f"latest-guard: skipped {name}: not a CloudFormation template\n"


def test_an_empty_yaml_file_is_skipped_and_the_line_says_it_is_empty(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    (repo / "infra" / "next.yaml").write_text("", encoding="utf-8")
    run = run_cli(capsys, "pre-commit", "infra/next.yaml")
    assert (run.code, run.out) == (0, "")
    assert run.err == (
        "latest-guard: skipped infra/next.yaml: not a CloudFormation template (it is empty)\n"
    )


def test_a_template_shaped_file_says_why_it_is_not_one(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    (repo / "infra" / "orders.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  - Fn\n", encoding="utf-8"
    )
    run = run_cli(capsys, "pre-commit", "infra/orders.yaml")
    assert run.code == 0
    assert run.err == (
        "latest-guard: skipped infra/orders.yaml: "
        "not a CloudFormation template: Resources is not a mapping\n"
    )


def test_readme_tells_what_to_put_in_rev() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pre-commit", 1)[1]
    rev = re.search(r"^\s*rev: (.*)$", section, re.MULTILINE)
    assert rev is not None
    assert not re.match(r"v?\d", rev.group(1)), "no release tag exists to name"
    assert "SHA of a commit" in section and "pre-commit autoupdate" in section


def _hooks() -> dict[str, dict[str, object]]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in hooks}


def test_hook_definition_runs_the_pre_commit_command() -> None:
    hook = _hooks()["latest-guard"]
    assert hook["language"] == "python"
    assert str(hook["entry"]).split() == ["latest-guard", "pre-commit"]
    pattern = re.compile(str(hook["files"]))
    for name in ("template.yaml", "stack.yml", "stack.json", "app.template"):
        assert pattern.search(name), name
    assert not pattern.search("handler.py")


def test_docker_hook_builds_the_image_of_its_revision_and_runs_the_cli() -> None:
    """pre-commit builds the repository's Dockerfile (no image needs to be published: none is
    yet) and runs the entry as the container's entry point, with the repository mounted at
    /src (the image's WORKDIR)."""
    hooks = _hooks()
    assert set(hooks) == {"latest-guard", "latest-guard-docker"}
    hook = hooks["latest-guard-docker"]
    assert hook["language"] == "docker"
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    entrypoint = re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.MULTILINE)
    assert entrypoint is not None
    assert "WORKDIR /src" in dockerfile
    assert str(hook["entry"]).split() == [*json.loads(entrypoint.group(1)), "pre-commit"]
    for key in ("files", "require_serial"):
        assert hook[key] == hooks["latest-guard"][key]


def test_run_by_hand_without_files_says_that_nothing_was_checked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = run_cli(capsys, "pre-commit")

    assert run.code == 0
    assert run.err.strip() == (
        "latest-guard: no files given: nothing checked (name the templates, or run it through "
        "pre-commit)"
    )


SAM_APP = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
{variables}
"""


@pytest.fixture
def sam_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SAM app committed with its code in src/; then src/app.py and a new environment
    variable staged together."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "template.yaml").write_text(
        SAM_APP.format(variables="          MODE: a"), encoding="utf-8"
    )
    (root / "src" / "app.py").write_text("def handler(e, c):\n    return 1\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    (root / "template.yaml").write_text(
        SAM_APP.format(variables="          MODE: a\n          QUEUE: orders-queue-7f3a"),
        encoding="utf-8",
    )
    (root / "src" / "app.py").write_text("def handler(e, c):\n    return 2\n", encoding="utf-8")
    git(root, "add", "-A")
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize("files", [["template.yaml"], ["template.yaml", "src/app.py"]],
                         ids=["template", "template-and-code"])
def test_code_staged_with_a_new_variable_is_what_check_against_head_finds(
    capsys: pytest.CaptureFixture[str], sam_app: Path, files: list[str]
) -> None:
    check = run_cli(capsys, "check", "-t", "template.yaml", "--baseline-ref", "HEAD")
    hook = run_cli(capsys, "pre-commit", *files)
    assert check.code == 1, check.err
    assert hook.code == check.code, hook.err
    finding = "LG001 error   OrdersFn (template.yaml:3)"
    assert finding in check.out
    assert finding in hook.out
    assert "config side  Environment (added QUEUE)" in hook.out
    assert "orders-queue-7f3a" not in hook.out  # a variable's value is never shown
    assert git_status(sam_app) == ["M  src/app.py", "M  template.yaml"]


def git_status(root: Path) -> list[str]:
    done = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                          text=True, check=True)
    return done.stdout.splitlines()
