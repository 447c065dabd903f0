"""Files of a SAM code folder that no runtime loads (README.md, LICENSE, ...) are no code change:
with a Runtime bump beside them there is nothing to race with, and a note says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import Run, git, run_cli, validate

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  OrdersFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: app.handler
      Runtime: {runtime}
      Events:
        Queue:
          Type: SQS
          Properties: {{Queue: !GetAtt Queue.Arn}}
  Queue:
    Type: AWS::SQS::Queue
"""

PROJECT = {
    "app.py": "def handler(event, context):\n    return 1\n",
    "requirements.txt": "boto3\n",
    "README.md": "# Orders\n",
    "LICENSE": "MIT\n",
    "docs/guide.html": "<p>guide</p>\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def sides(tmp_path: Path, changed: dict[str, str], *, code: str = ".") -> tuple[Path, Path]:
    """Two folders of the same SAM app: the new one bumps the Runtime and edits ``changed``."""
    old, new = tmp_path / "old", tmp_path / "new"
    write(old, {**PROJECT, "template.yaml": TEMPLATE.format(code=code, runtime="python3.12")})
    write(new, {**PROJECT, "template.yaml": TEMPLATE.format(code=code, runtime="python3.13")})
    write(new, changed)
    return new / "template.yaml", old / "template.yaml"


def check(capsys: pytest.CaptureFixture[str], new: Path, old: Path, *extra: str) -> Run:
    run = run_cli(capsys, "check", "-t", new, "-b", old, "-f", "json", *extra)
    if run.code != 2:
        validate(run.report)
    return run


def notes(run: Run) -> list[str]:
    (stack,) = run.report["stacks"]
    return [n for n in stack["notes"] if n.startswith("only files no runtime loads")]


def test_docs_beside_a_runtime_bump_are_no_code_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new, old = sides(tmp_path, {
        "README.md": "# Orders\n\nNow on Python 3.13.\n",
        "CHANGELOG.md": "## 2.0\n",  # added
        "LICENSE": "Apache-2.0\n",
        "src/CONTRIBUTING.rst": "Send patches.\n",
    })
    run = check(capsys, new, old)
    assert run.code == 0, run.err
    assert run.report["findings"] == []
    (note,) = notes(run)
    assert note.startswith(
        "only files no runtime loads changed in ./ (CHANGELOG.md, LICENSE, README.md, "
        "src/CONTRIBUTING.rst): not a code change of OrdersFn. sam deploy uploads them, so "
        "CloudFormation updates the function's code, but the code the runtime runs is the same"
    )


def test_files_a_runtime_may_read_still_count(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("app.py", "requirements.txt", "config.json", "docs/guide.html"):
        folder = tmp_path / name.replace("/", "-")
        new, old = sides(folder, {name: "changed\n", "README.md": "# Orders, edited\n"})
        run = check(capsys, new, old)
        assert run.code == 1, (name, run.err)
        (finding,) = run.report["findings"]
        assert finding["rule"] == "LG001"
        assert notes(run) == [], name


def test_the_configuration_extends_the_list_or_turns_the_defaults_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new, old = sides(tmp_path / "app", {
        "docs/guide.html": "<p>new guide</p>\n", "NOTES.TXT": "todo\n", "README.md": "# New\n",
    }, code="src/../")
    extended = tmp_path / "extended.yml"
    extended.write_text('code-ignore: ["docs/**", "*.txt"]\n', encoding="utf-8")
    run = check(capsys, new, old, "--config", str(extended))
    assert run.code == 0, run.err
    (note,) = notes(run)
    assert "changed in src/../ (NOTES.TXT, README.md, docs/guide.html)" in note

    only_mine = tmp_path / "pyproject.toml"
    only_mine.write_text(
        '[tool.latest-guard]\ncode-ignore = ["docs/"]\ncode-ignore-defaults = false\n',
        encoding="utf-8",
    )
    run = check(capsys, new, old, "--config", str(only_mine))
    assert run.code == 1, run.err  # README.md and NOTES.TXT are code again
    assert notes(run) == []


@pytest.mark.parametrize(("setting", "message"), [
    ("code-ignore: {docs: true}", "code-ignore must be a list of glob patterns"),
    ("code-ignore-defaults: 'no'", "code-ignore-defaults must be true or false"),
])
def test_a_wrong_setting_is_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, setting: str, message: str
) -> None:
    new, old = sides(tmp_path, {"README.md": "# New\n"})
    config = tmp_path / ".latest-guard.yml"
    config.write_text(setting + "\n", encoding="utf-8")
    run = check(capsys, new, old, "--config", str(config))
    assert run.code == 2
    assert run.err == f"latest-guard: error: {config}: {message}" + (
        " such as 'docs/**'\n" if "list" in message else "\n"
    )


@pytest.mark.usefixtures("isolated_git")
def test_the_git_baseline_sees_docs_only_changes_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "orders"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, {**PROJECT, "template.yaml": TEMPLATE.format(code=".", runtime="python3.12")})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    write(root, {"template.yaml": TEMPLATE.format(code=".", runtime="python3.13"),
                 "README.md": "# Orders on 3.13\n"})
    monkeypatch.chdir(root)
    run = run_cli(capsys, "check", "-t", "template.yaml", "--baseline-ref", "HEAD", "-f", "json")
    assert run.code == 0, run.err
    assert run.report["findings"] == []
    (note,) = notes(run)
    assert note.startswith("only files no runtime loads changed in ./ (README.md): not a code "
                           "change of OrdersFn.")
    # An edit of the code itself is still a code change, README or not.
    (root / "app.py").write_text("def handler(event, context):\n    return 2\n", "utf-8")
    run = run_cli(capsys, "check", "-t", "template.yaml", "--baseline-ref", "HEAD", "-f", "json")
    assert run.code == 1, run.err
    assert notes(run) == []
