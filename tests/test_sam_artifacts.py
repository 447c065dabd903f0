"""SAM templates with local code (``CodeUri: src/``) compare by the content of that code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_cli, shown

from reviewer.cli import main
from reviewer.model.template import LOCAL_BUCKET, UNREAD_KEY
from reviewer.sources.cloudformation.sam_artifacts import content_hash

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: {code}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: {runtime}
      Events:
        Q:
          Type: SQS
          Properties: {{Queue: !GetAtt Queue.Arn}}
  Queue:
    Type: AWS::SQS::Queue
"""


def app(root: Path, name: str, *, source: str, runtime: str, code: str = "src/") -> Path:
    folder = root / name
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "app.py").write_text(source, encoding="utf-8")
    template = folder / "template.yaml"
    template.write_text(TEMPLATE.format(code=code, runtime=runtime), encoding="utf-8")
    return template


def test_changed_local_code_and_runtime_race(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = app(tmp_path, "old", source="print(1)\n", runtime="python3.12")
    new = app(tmp_path, "new", source="print(2)\n", runtime="python3.13")
    run = run_cli(capsys, "check", "-t", new, "-b", old, "-f", "json")
    assert run.code == 1, run.err
    (finding,) = run.report["findings"]
    assert [c["property"] for c in finding["changes"]["code"]] == ["Code"]
    assert finding["location"]["path"] == str(new)


def test_identical_local_code_is_no_code_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = app(tmp_path, "old", source="print(1)\n", runtime="python3.12")
    new = app(tmp_path, "new", source="print(1)\n", runtime="python3.13")
    run = run_cli(capsys, "check", "-t", new, "-b", old, "-f", "json")
    assert run.code == 0
    assert run.report["findings"] == []


def test_code_missing_from_the_baseline_is_unknown_with_a_note_not_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = app(tmp_path, "new", source="print(1)\n", runtime="python3.13")
    (new.parent / "src" / "app.py").write_text("print(2)\n", encoding="utf-8")
    copy = tmp_path / "copy.yaml"  # a copy of the template without its code, and older runtime
    copy.write_text(new.read_text(encoding="utf-8").replace("3.13", "3.12"), encoding="utf-8")
    run = run_cli(capsys, "check", "-t", new, "-b", copy, "-f", "json")
    assert run.code == 0, run.err
    # The code is unknown: neither changed nor a race, but it may race with the Runtime change.
    (finding,) = run.report["findings"]
    assert (finding["rule"], finding["severity"]) == ("LG001", "notice")
    assert finding["message"].startswith(
        "may race: the code could not be read (see the note), while the configuration (Runtime) "
        "changes;"
    )
    (stack,) = run.report["stacks"]
    (note,) = [n for n in stack["notes"] if "not read" in n]
    assert note.startswith(f"code not read for Fn: CodeUri 'src/' ({shown(copy)}:4) does not "
                           "exist in the baseline, so a change of that code cannot be seen")
    assert "sam build writes .aws-sam/build/template.yaml" in note


def test_a_template_loaded_alone_says_which_code_it_could_not_read(tmp_path: Path) -> None:
    from reviewer.sources import load_side

    template = app(tmp_path, "new", source="print(1)\n", runtime="python3.13", code="dist/")
    (stack,) = load_side(template)
    assert stack.resources["Fn"].properties["Code"] == {
        "S3Bucket": LOCAL_BUCKET, "S3Key": UNREAD_KEY,
    }
    (note,) = stack.notes
    assert note.startswith(f"code not read for Fn: CodeUri 'dist/' ({template}:4) does not "
                           "exist, so a change of that code cannot be seen; build it first")


def folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


SAM_HEAD = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"


def test_code_identity_leaves_out_templates_samconfig_and_sam_build_output(
    tmp_path: Path,
) -> None:
    code = folder(tmp_path / "app", {"app.py": "print(1)\n", "lib/util.py": "x = 1\n",
                                     "events/event.json": '{"Records": []}\n'})
    before = content_hash(code)
    template = code / "template.yaml"
    folder(code, {
        "template.yaml": "Resources: {}\n",  # named explicitly: not even a declaration needed
        "samconfig.toml": "version = 0.1\n",
        "samconfig.yaml": "version: 0.1\n",
        ".aws-sam/build/Fn/app.py": "print(1)\n",
        "stacks/nested.yml": f"{SAM_HEAD}Resources: {{}}\n",
        "stacks/plain.template": '{\n  "AWSTemplateFormatVersion" : "2010-09-09"}\n',
        "stacks/sam-only.json": '{"Transform": "AWS::Serverless-2016-10-31"}\n',
    })
    assert content_hash(code, template=template) == before
    # What only looks like a template by its suffix is code; so is every other file.
    for name, text in (("config.yaml", "table: orders\n"), ("lib/util.py", "x = 2\n"),
                       ("doc.json", '{"text": "see AWSTemplateFormatVersion docs"}\n')):
        folder(code, {name: text})
        assert content_hash(code, template=template) != before, name
        before = content_hash(code, template=template)


def test_a_build_folder_git_ignores_as_a_whole_is_hashed_whole(tmp_path: Path) -> None:
    import subprocess

    root = folder(tmp_path / "repo", {".gitignore": ".aws-sam/\n", "app.py": "print(1)\n"})
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    built = folder(root / ".aws-sam" / "build" / "Fn", {"app.py": "print(1)\n"})
    first = content_hash(built)
    folder(built, {"app.py": "print(2)\n"})
    assert content_hash(built) != first  # git lists none of it; it is still the code that runs


def test_a_function_that_names_no_code_is_built_from_the_template_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SAM CLI's default ``CodeUri`` is the template's folder: such a template is checked,
    not refused by the translator, and an edit of that folder's code is a code change."""
    sam = (
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        "      Environment: {{Variables: {{MODE: {mode}}}}}\n"
        "      Events:\n"
        "        Queue: {{Type: SQS, Properties: {{Queue: arn:aws:sqs:us-east-1:1:q}}}}\n"
    )
    base, head = tmp_path / "base", tmp_path / "head"
    for folder, mode, code in ((base, "a", "1"), (head, "b", "2")):
        folder.mkdir()
        (folder / "template.yaml").write_text(sam.format(mode=mode), encoding="utf-8")
        (folder / "app.py").write_text(f"def handler(e, c): return {code}\n", encoding="utf-8")
    raced = main(["check", "-t", str(head / "template.yaml"), "-b", str(base / "template.yaml"),
                  "-f", "json"])
    report = json.loads(capsys.readouterr().out)
    assert raced == 1 and [f["rule"] for f in report["findings"]] == ["LG001"]
    (head / "app.py").write_text("def handler(e, c): return 1\n", encoding="utf-8")
    calm = main(["check", "-t", str(head / "template.yaml"), "-b", str(base / "template.yaml"),
                 "-f", "json"])
    report = json.loads(capsys.readouterr().out)
    assert calm == 0 and report["findings"] == []


def test_a_layer_folder_inside_the_code_folder_is_the_layers_not_the_functions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``CodeUri: .`` around ``ContentUri: layer/``: a dependency bump in the layer replaces
    the layer, and is no code change of the function (it runs the same code)."""
    sam = (
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Deps:\n"
        "    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {ContentUri: layer/}\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: .\n"
        "      Handler: app.handler\n"
        "      Runtime: nodejs20.x\n"
        "      Layers: [!Ref Deps]\n"
    )
    for side, version, code in (("base", "1.0.0", "1"), ("head", "1.0.1", "1")):
        folder = tmp_path / side
        (folder / "layer").mkdir(parents=True)
        (folder / "template.yaml").write_text(sam, encoding="utf-8")
        (folder / "app.js").write_text(f"exports.handler = async () => {code};\n",
                                       encoding="utf-8")
        (folder / "layer" / "package.json").write_text(f'{{"version": "{version}"}}\n',
                                                       encoding="utf-8")
    head, base = tmp_path / "head" / "template.yaml", tmp_path / "base" / "template.yaml"
    assert main(["check", "-t", str(head), "-b", str(base), "-f", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stacks"][0]["quiet_functions"] == [
        {"function": "Fn", "reason": "configuration only (Layers): no code change to race with"}
    ]
    (tmp_path / "head" / "app.js").write_text("exports.handler = async () => 2;\n",
                                              encoding="utf-8")
    assert main(["check", "-t", str(head), "-b", str(base), "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in report["findings"]] == ["LG001"]


def test_another_functions_folder_inside_the_code_folder_is_still_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``CodeUri: .`` around another function's ``CodeUri: shared/``: the outer function ships
    and may import that folder, so an edit there is a code change of both."""
    sam = (
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Outer:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: .\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        "      Environment: {{Variables: {{MODE: {mode}}}}}\n"
        "  Inner:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {{CodeUri: shared/, Handler: lib.handler, Runtime: python3.12}}\n"
    )
    for side, mode, code in (("base", "a", "1"), ("head", "b", "2")):
        folder = tmp_path / side
        (folder / "shared").mkdir(parents=True)
        (folder / "template.yaml").write_text(sam.format(mode=mode), encoding="utf-8")
        (folder / "app.py").write_text("from shared import lib\n", encoding="utf-8")
        (folder / "shared" / "lib.py").write_text(f"VALUE = {code}\n", encoding="utf-8")
    head, base = tmp_path / "head" / "template.yaml", tmp_path / "base" / "template.yaml"
    assert main(["check", "-t", str(head), "-b", str(base), "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["resource"]) for f in report["findings"]] == [("LG001", "Outer")]


def test_a_change_of_local_code_names_the_folder_the_user_changed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = app(tmp_path, "old", source="print(1)\n", runtime="python3.12")
    new = app(tmp_path, "new", source="print(2)\n", runtime="python3.13")
    text = run_cli(capsys, "check", "-t", new, "-b", old)
    assert text.code == 1, text.err
    assert "      code side    Code (src/ changed)\n" in text.out
    assert "S3Key" not in text.out and LOCAL_BUCKET not in text.out
    run = run_cli(capsys, "check", "-t", new, "-b", old, "-f", "json")  # still report@1
    (change,) = run.report["findings"][0]["changes"]["code"]
    assert (change["property"], change["detail"]) == ("Code", "(src/ changed)")


def test_code_moved_to_another_folder_and_changed_names_both(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = app(tmp_path, "old", source="print(1)\n", runtime="python3.12")
    new = app(tmp_path, "new", source="print(2)\n", runtime="python3.13", code="./src")
    run = run_cli(capsys, "check", "-t", new, "-b", old)
    assert "      code side    Code (src/ → ./src)\n" in run.out
