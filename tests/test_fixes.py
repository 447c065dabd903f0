"""Fixes, verified by construction.

For every fixture with a finding, and for a deterministic sample of corpus functions whose code
and layers are changed together: the fixes are applied (``latest-guard fix``'s logic), the
phase-one change to the baseline where the fix is two-phase; then

- the analysis of the patched template against the patched baseline finds no LG001, LG002 or
  LG003;
- cfn-lint (as a library, the rules collection built once) reports no error rule on a patched
  file more often than on the file before the fix;
- a patched SAM template still translates (the analysis loads it through the SAM expansion).

``pytest -m corpus -s tests/test_fixes.py`` prints the counts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from time import perf_counter
from typing import Any

import pytest
from support import FIXTURES, run_cli, validate

from reviewer.commands.fix import copy_nested, fix_files
from reviewer.config import Config
from reviewer.contract.findings import Finding
from reviewer.errors import InputError
from reviewer.fixes.edit.document import Document, DocumentError
from reviewer.fixes.edit.operations import OperationError, append_item, set_entry
from reviewer.fixes.edit.render import GetAtt, Ref, Style, Sub
from reviewer.fixes.edit.textedit import EditConflict, TextEdits, apply_line_edits
from reviewer.model.template import FUNCTION
from reviewer.pipeline.analysis import analyze
from reviewer.sources import load_side
from reviewer.sources.cloudformation.template import is_sam

RULES = ("LG001", "LG002", "LG003")
SAM_APP = Path(__file__).parent / "apps" / "sam"
MUTATED_LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:latest-guard-mutated:1"
#: Corpus functions tried (deterministic sample by path hash); the brief asks for 200 or more.
CORPUS_SAMPLE = 200


# -- cfn-lint as a library -----------------------------------------------------------------------


@cache
def _linter() -> tuple[Any, Any]:
    from cfnlint.api import ConfigMixIn
    from cfnlint.runner import Runner

    config = ConfigMixIn(regions=["us-east-1"], ignore_checks=["W", "I"])  # errors only
    return config, Runner(config).rules


def lint_errors(text: str) -> Counter[str]:
    """How often each error rule of cfn-lint matches ``text``."""
    from cfnlint.api import run_template_by_data
    from cfnlint.decode import decode_str

    template, problems = decode_str(text)
    if problems or template is None:
        return Counter(str(m.rule.id) for m in problems or [] if str(m.rule.id).startswith("E"))
    config, rules = _linter()
    return Counter(
        str(m.rule.id)
        for m in run_template_by_data(template, config, rules)
        if str(m.rule.id).startswith("E")
    )


def new_errors(before: str, after: str) -> list[str]:
    grown = lint_errors(after) - lint_errors(before)
    return sorted(grown)


# -- one verification ---------------------------------------------------------------------------


@dataclass
class Verdict:
    findings: list[str]
    fixed: bool = False
    verified: bool = False
    lint_clean: bool = False
    translates: bool = True
    problem: str = ""
    two_phase: bool = False


def open_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    return [f"{f.rule} {f.resource}" for f in findings if f.rule in RULES and not f.suppressed]


def verify(template: Path, baseline: Path, work: Path, *, lint_baseline: bool = True) -> Verdict:
    """Fix ``template`` against ``baseline`` and check the three properties.

    The fix's own first analysis tells what was found; ``lint_baseline`` also lints the
    phase-one change of the baseline (the corpus sweep does it for one function in five).
    """
    outcome = fix_files(template, baseline)
    verdict = Verdict(outcome.fixed + [f"{f.rule} {f.resource}" for f in outcome.remaining])
    if not verdict.findings:
        verdict.problem = "no finding"
        return verdict
    verdict.two_phase = outcome.two_phase
    changed = outcome.after != outcome.before or outcome.baseline_after != outcome.baseline_before
    if not changed:
        verdict.problem = "no fix applied: " + "; ".join(
            f"{f.rule} {f.resource}: {f.fix.summary if f.fix else '-'}"
            for f in outcome.remaining
        )
        return verdict
    verdict.fixed = True
    new_copy = work / "new" / template.name
    old_copy = work / "old" / baseline.name
    for copy, text, source in (
        (new_copy, outcome.after, template),
        (old_copy, outcome.baseline_after or "", baseline),
    ):
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy_nested(source, copy)
        copy.write_text(text, encoding="utf-8")
    try:
        after = analyze(load_side(new_copy), load_side(old_copy), Config(), "patched")
    except InputError as error:
        verdict.translates = False
        verdict.problem = f"patched template does not load: {error}"
        return verdict
    left = open_findings(after.findings)
    verdict.verified = not left
    if left:
        verdict.problem = f"still found after the fix: {', '.join(left)}"
    grown = new_errors(outcome.before, outcome.after)
    if lint_baseline and outcome.baseline_after != outcome.baseline_before:
        grown += new_errors(outcome.baseline_before or "", outcome.baseline_after or "")
    verdict.lint_clean = not grown
    if grown and not verdict.problem:
        verdict.problem = f"new cfn-lint errors: {', '.join(grown)}"
    return verdict


# -- fixtures -----------------------------------------------------------------------------------


def fixture_pairs() -> Iterator[tuple[str, Path, Path]]:
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        template = next(folder.glob("template*"))
        baseline = next(folder.glob("baseline*"))
        if template.is_dir():  # an app of several files: the stack that holds a function
            for file in sorted(template.glob("*.yaml")):
                if (baseline / file.name).is_file() and "AWS::Lambda::Function" in file.read_text():
                    yield folder.name, file, baseline / file.name
        else:
            yield folder.name, template, baseline
    for variant in ("arm64-layer", "code-env", "code-only", "config-only"):
        yield f"sam-{variant}", SAM_APP / f"{variant}.yaml", SAM_APP / "baseline.yaml"
    for variant in ("aliased", "aliased-handler"):
        yield f"sam-{variant}", SAM_APP / f"{variant}.yaml", SAM_APP / "aliased-baseline.yaml"


FIXTURE_PAIRS = list(fixture_pairs())
#: Fixtures whose fix takes more than about 5 seconds to verify on a 2-core machine.
SLOW_FIXTURES = frozenset({"alias-added"})


@pytest.mark.parametrize(
    ("template", "baseline"),
    [
        pytest.param(t, b, id=name, marks=[pytest.mark.slow] if name in SLOW_FIXTURES else [])
        for name, t, b in FIXTURE_PAIRS
    ],
)
def test_every_fixture_with_a_finding_is_fixed_and_verified(
    template: Path, baseline: Path, tmp_path: Path
) -> None:
    verdict = verify(template, baseline, tmp_path)
    if verdict.problem == "no finding":
        return  # nothing to fix (a safe change, or suppressed)
    if all(finding.startswith("LG004 ") for finding in verdict.findings):
        # a layer for the other architecture: the fix is the other build, named in words
        # (latest-guard does not pick a layer version for the user)
        assert not verdict.fixed
        assert "use Datadog-Extension-ARM instead of Datadog-Extension" in verdict.problem
        return
    assert verdict.fixed, verdict.problem
    assert verdict.translates, verdict.problem
    assert verdict.verified, verdict.problem
    assert verdict.lint_clean, verdict.problem


def test_the_fixtures_cover_every_rule_and_both_formats(tmp_path: Path) -> None:
    rules: set[str] = set()
    kinds: set[str] = set()
    for _, template, baseline in FIXTURE_PAIRS:
        report = analyze(load_side(template), load_side(baseline), Config(), "b")
        for finding in report.findings:
            if finding.fix is not None and finding.fix.framework in ("cloudformation", "sam"):
                rules.add(finding.rule)
                kinds.add(f"{finding.fix.framework}:{template.suffix}")
    assert {"LG001", "LG002", "LG003"} <= rules
    assert {"cloudformation:.yaml", "cloudformation:.json", "sam:.yaml"} <= kinds


def test_a_consumer_in_another_stack_is_named_not_edited(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = FIXTURES / "cross-stack"
    run = run_cli(capsys, "check", "-t", folder / "template", "-b", folder / "baseline",
                  "-f", "json")
    validate(run.report)
    (finding,) = run.report["findings"]
    assert any("orders/QueueMapping" in note for note in finding["fix"]["notes"])


# -- what a fix looks like ----------------------------------------------------------------------


def fix_of(case: str) -> dict[str, Any]:
    folder = FIXTURES / case
    report = analyze(
        load_side(next(folder.glob("template*"))), load_side(next(folder.glob("baseline*"))),
        Config(), "b",
    )
    finding = next(f for f in report.findings if f.fix is not None)
    assert finding.fix is not None
    return {"finding": finding, "fix": finding.fix}


def test_yaml_edits_keep_comments_tags_and_flow_style(tmp_path: Path) -> None:
    fix = fix_of("arm64-layer")["fix"]
    original = (FIXTURES / "arm64-layer" / "template.yaml").read_text(encoding="utf-8")
    patched = apply_line_edits(original, fix.change.edits)
    removed = set(original.splitlines()) - set(patched.splitlines())
    assert removed == {
        "        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "${OrdersFn.Arn}/invocations",
        "        - {Id: orders, Arn: !GetAtt OrdersFn.Arn}",
    }  # and the mapping's "FunctionName: !Ref OrdersFn", a line the new version also has
    assert "      FunctionName: !Ref OrdersFnAliasLive" in patched
    assert "# x86_64 function behind" in patched or patched.startswith("# arm64")
    assert "functions/${OrdersFnAliasLive}/invocations" in patched
    assert "        - {Id: orders, Arn: !Ref OrdersFnAliasLive}" in patched
    assert fix.two_phase and fix.phase_one and fix.phase_one.patch
    assert fix.phase_one.path.endswith("baseline.yaml")
    for edit in (*fix.change.edits, *fix.phase_one.edits):
        assert 1 <= edit.start_line <= edit.end_line
        assert edit.replacement.endswith("\n")


def test_json_edits_keep_key_order_and_indentation() -> None:
    fix = fix_of("code-env")["fix"]
    path = FIXTURES / "code-env" / "template.json"
    original = path.read_text(encoding="utf-8")
    patched = apply_line_edits(original, fix.change.edits)
    before, after = json.loads(original), json.loads(patched)
    old_ids = list(before["Resources"])
    new_ids = [i for i in after["Resources"] if i in before["Resources"]]
    assert new_ids == old_ids
    for logical_id, resource in before["Resources"].items():
        assert list(after["Resources"][logical_id]) == list(resource)
    assert all(line.startswith(("  ", "{", "}")) or not line for line in patched.splitlines())


#: A resource a fix adds, with every kind of value the builders write.
PERMISSION = {
    "Type": "AWS::Lambda::Permission",
    "Condition": "IsProd",
    "Properties": {
        "FunctionName": Ref("Fn"),
        "Qualifier": GetAtt("FnVersion1a2b", "Version"),
        "SourceArn": Sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${Api}/*"),
        "SourceAccount": "0123",
        "Principal": "apigateway.amazonaws.com",
        "EventSourceToken": {"Fn::Join": ["", ["arn:", Ref("AWS::Partition")]]},
        "Tags": ["a b", "c"],
    },
}


@pytest.mark.parametrize(
    ("short_tags", "unit", "expected"),
    [
        (True, 2, (
            "  FnPermission:\n"
            "    Type: AWS::Lambda::Permission\n"
            "    Condition: IsProd\n"
            "    Properties:\n"
            "      FunctionName: !Ref Fn\n"
            "      Qualifier: !GetAtt FnVersion1a2b.Version\n"
            '      SourceArn: !Sub "arn:${AWS::Partition}:execute-api:${AWS::Region}:${Api}/*"\n'
            '      SourceAccount: "0123"\n'
            "      Principal: apigateway.amazonaws.com\n"
            "      EventSourceToken: !Join\n"
            '        - ""\n'
            '        - ["arn:", !Ref AWS::Partition]\n'
            '      Tags: ["a b", c]\n'
        )),
        (False, 4, (
            "  FnPermission:\n"
            "      Type: AWS::Lambda::Permission\n"
            "      Condition: IsProd\n"
            "      Properties:\n"
            '          FunctionName: {"Ref": "Fn"}\n'
            '          Qualifier: {"Fn::GetAtt": ["FnVersion1a2b", "Version"]}\n'
            '          SourceArn: {"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:'
            '${Api}/*"}\n'
            '          SourceAccount: "0123"\n'
            "          Principal: apigateway.amazonaws.com\n"
            '          EventSourceToken: {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}]]}\n'
            '          Tags: ["a b", c]\n'
        )),
    ],
    ids=["short-form", "long-form"],
)
def test_added_resources_are_written_by_cfn_flip_in_the_files_style(
    short_tags: bool, unit: int, expected: str
) -> None:
    import cfn_flip  # type: ignore[import-untyped]

    text = Style("yaml", short_tags, unit).entry("FnPermission", PERMISSION, 2)
    assert text == expected
    # The same template as its JSON (the long form), read back by cfn-flip: nothing is lost,
    # no key moves, Fn::Join stays Fn::Join.
    as_json = Style("json", False, 2).entry("FnPermission", PERMISSION, 0)
    assert json.dumps(cfn_flip.load_yaml(text)) == json.dumps(json.loads("{" + as_json + "}"))


def test_cfn_flip_is_loaded_only_to_write_a_fix() -> None:
    def loaded(case: str) -> bool:
        folder = FIXTURES / case
        probe = (
            "import sys\n"
            "from reviewer.cli import main\n"
            f"main(['check', '-t', {str(folder / 'template.yaml')!r}, "
            f"'-b', {str(folder / 'baseline.yaml')!r}, '-f', 'json'])\n"
            "sys.stderr.write(f'CFN_FLIP={\"cfn_flip\" in sys.modules}')\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=False,
            cwd=Path(__file__).parents[1],
        )
        assert "CFN_FLIP=" in done.stderr, done.stderr
        return done.stderr.rsplit("CFN_FLIP=", 1)[1] == "True"

    assert not loaded("aliased")  # no finding, no fix
    assert loaded("arm64-layer")  # a fix that adds a version and an alias to a YAML file

def test_values_of_the_environment_never_appear_in_the_fix_words() -> None:
    data = fix_of("code-env")
    fix = data["fix"]
    path = FIXTURES / "code-env" / "template.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    values = [
        str(v)
        for r in body["Resources"].values()
        for v in r.get("Properties", {}).get("Environment", {}).get("Variables", {}).values()
    ]
    words = " ".join([fix.summary, *fix.steps, *fix.notes])
    assert values
    assert not [v for v in values if v in words]


def test_a_stale_version_is_renamed_with_every_reference() -> None:
    fix = fix_of("stale-version")["fix"]
    original = (FIXTURES / "stale-version" / "template.yaml").read_text(encoding="utf-8")
    patched = apply_line_edits(original, fix.change.edits)
    assert "FnVersion:" not in patched
    assert "FnVersion.Version" not in patched
    assert not fix.two_phase and fix.phase_one is None


def test_an_alias_on_latest_gets_a_version() -> None:
    fix = fix_of("alias-on-latest")["fix"]
    original = (FIXTURES / "alias-on-latest" / "template.yaml").read_text(encoding="utf-8")
    patched = apply_line_edits(original, fix.change.edits)
    assert "FunctionVersion: $LATEST" not in patched
    assert "FunctionVersion: !GetAtt FnVersion" in patched


def test_sam_fix_is_auto_publish_alias_as_the_first_properties() -> None:
    report = analyze(load_side(SAM_APP / "arm64-layer.yaml"), load_side(SAM_APP / "baseline.yaml"),
                     Config(), "b")
    (finding,) = report.findings
    fix = finding.fix
    assert fix is not None and fix.framework == "sam"
    (edit,) = fix.change.edits
    assert edit.replacement == (
        "      AutoPublishAlias: live\n      AutoPublishAliasAllProperties: true\n"
        "      CodeUri: s3://orders-app-artifacts/e4d909c290d0fb1ca068ffaddf22cbd0\n"
    )
    assert fix.two_phase and fix.phase_one is not None and fix.phase_one.patch is not None


def test_a_parameter_fed_stale_version_gets_the_language_extensions_transform(
    tmp_path: Path,
) -> None:
    base = (SAM_APP / "aliased-baseline.yaml").read_text(encoding="utf-8")
    lines = base.splitlines(keepends=True)
    # A layer whose ARN arrives through a parameter, changed only in its value.
    text = base.replace("Resources:\n", "Parameters:\n  Extra:\n    Type: String\n"
                        "    Default: arn:aws:lambda:us-east-1:123456789012:layer:x:1\n"
                        "Resources:\n", 1)
    text = text.replace(
        "        - !Ref DepsLayer\n", "        - !Ref DepsLayer\n        - !Ref Extra\n"
    )
    assert text != "".join(lines)
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text, encoding="utf-8")
    new.write_text(text.replace("layer:x:1", "layer:x:2"), encoding="utf-8")
    report = analyze(load_side(new), load_side(old), Config(), "b")
    (finding,) = [f for f in report.findings if f.rule == "LG002"]
    change = finding.fix.change if finding.fix is not None else None
    assert change is not None and change.patch is not None
    assert "+Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]" in change.patch
    assert "AutoPublishAliasAllProperties: true" in change.patch
    patched = apply_line_edits(new.read_text(encoding="utf-8"), change.edits)
    new.write_text(patched, encoding="utf-8")
    load_side(new)  # still translates


def test_cdk_fix_is_a_snippet_in_the_apps_language(capsys: pytest.CaptureFixture[str]) -> None:
    out = Path(__file__).parent / "apps" / "cdk" / "out"
    run = run_cli(capsys, "check", "-t", out / "arm64-layer", "-b", out / "baseline", "-f", "json")
    validate(run.report)
    (finding,) = run.report["findings"]
    fix = finding["fix"]
    assert fix["framework"] == "cdk" and fix["snippet_language"] == "javascript"
    assert "handler.addAlias('live')" in fix["snippet"]
    assert "new apigateway.LambdaIntegration(handlerLive)" in fix["snippet"]
    assert fix["two_phase"] and fix["edits"] == []


def test_serverless_fix_edits_the_function_entry_and_plugins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = Path(__file__).parent / "apps" / "serverless" / "out"
    run = run_cli(capsys, "check", "-t", out / "arm64-layer", "-b", out / "baseline", "-f", "json")
    validate(run.report)
    (finding,) = run.report["findings"]
    fix = finding["fix"]
    assert fix["framework"] == "serverless"
    assert "+  - serverless-plugin-canary-deployments" in fix["patch"]
    assert "+    deploymentSettings:\n+      type: AllAtOnce\n+      alias: Live\n" in fix["patch"]
    assert {e["path"] for e in fix["edits"]} == {finding["location"]["path"]}


def test_the_json_report_carries_edits_patch_and_phase_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = FIXTURES / "arm64-layer"
    run = run_cli(capsys, "check", "-t", folder / "template.yaml", "-b", folder / "baseline.yaml",
                  "-f", "json")
    validate(run.report)
    fix = run.report["findings"][0]["fix"]
    assert fix["framework"] == "cloudformation"
    assert fix["patch"].startswith("--- a/")
    assert fix["phase_one_patch"].startswith("--- a/")
    assert {"path", "start_line", "end_line", "replacement"} == set(fix["edits"][0])


# -- the fix command ----------------------------------------------------------------------------


def test_fix_prints_the_diff_and_writes_with_write(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = FIXTURES / "arm64-layer"
    template = tmp_path / "template.yaml"
    shutil.copy(folder / "template.yaml", template)
    run = run_cli(capsys, "fix", "-t", template, "-b", folder / "baseline.yaml")
    assert run.code == 0
    assert "+  OrdersFnAliasLive:" in run.out
    assert "cannot be made safe on its own" in run.err
    assert template.read_text(encoding="utf-8") == (folder / "template.yaml").read_text("utf-8")
    first = run_cli(capsys, "fix", "-t", template, "-b", folder / "baseline.yaml", "--phase-one")
    assert "baseline.yaml" in first.out.splitlines()[0]
    run = run_cli(capsys, "fix", "-t", template, "-b", folder / "baseline.yaml", "--write")
    assert run.code == 0 and run.out == ""
    assert "OrdersFnAliasLive" in template.read_text(encoding="utf-8")


def test_fix_without_a_baseline_wires_every_function_called_unqualified(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = run_cli(capsys, "fix", "-t", FIXTURES / "arm64-layer" / "baseline.yaml")
    assert run.code == 0
    assert "+  OrdersFnAliasLive:" in run.out
    assert "+      FunctionName: !Ref OrdersFnAliasLive" in run.out


def test_fix_refuses_what_it_cannot_edit(capsys: pytest.CaptureFixture[str]) -> None:
    out = Path(__file__).parent / "apps" / "cdk" / "out"
    run = run_cli(capsys, "fix", "-t", out / "arm64-layer")
    assert run.code == 2
    assert "check" in run.err


# -- the corpus ---------------------------------------------------------------------------------


def mutate_text(path: Path, stack_is_sam: bool) -> tuple[str, str] | None:
    """The file with the code and the layers of its first function changed, edited in place.

    Returns (function logical id, text), or None when no function can be mutated this way.
    """
    text = path.read_text(encoding="utf-8-sig")
    try:
        document = Document(path, text)
    except DocumentError:
        return None
    resources = document.root.get("Resources")
    wanted = "AWS::Serverless::Function" if stack_is_sam else FUNCTION
    for key, node in resources.pairs if resources is not None else []:
        kind = node.get("Type")
        properties = node.get("Properties")
        if kind is None or kind.value != wanted or properties is None or properties.kind != "map":
            continue
        if not properties.pairs:
            continue
        edits = TextEdits(text)
        style = Style.of(document)
        try:
            _change_code(document, edits, properties, style, stack_is_sam)
            layers = properties.get("Layers")
            if layers is not None and layers.kind == "seq" and layers.tag is None and layers.items:
                append_item(document, edits, layers, MUTATED_LAYER, style)
            else:
                set_entry(document, edits, properties, "Layers", [MUTATED_LAYER], style)
        except (OperationError, EditConflict):
            return None
        return str(key.value), edits.result()
    return None


def _change_code(
    document: Document, edits: TextEdits, properties: Any, style: Style, sam: bool
) -> None:
    if sam:
        for name, value in (("CodeUri", "s3://changed-bucket/changed.zip"),
                            ("InlineCode", "exports.handler = async () => 'changed'"),
                            ("ImageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:2")):
            if properties.get(name) is not None:
                set_entry(document, edits, properties, name, value, style)
                return
        set_entry(document, edits, properties, "CodeUri", "s3://changed-bucket/changed.zip", style)
        return
    code = properties.get("Code")
    if code is not None and code.kind == "map" and code.tag is None and not code.intrinsic():
        for name, value in (("ZipFile", "exports.handler = async () => 'changed';"),
                            ("S3Key", "changed/code.zip"),
                            ("ImageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:2")):
            if code.get(name) is not None:
                set_entry(document, edits, code, name, value, style)
                return
    set_entry(document, edits, properties, "Code",
              {"S3Bucket": "changed-bucket", "S3Key": "changed/code.zip"}, style)


@dataclass
class CorpusSweep:
    tried: int = 0
    with_finding: int = 0
    fixed: int = 0
    verified: int = 0
    lint_clean: int = 0
    two_phase: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def record(self, item: Item) -> None:
        self.tried += 1
        verdict = item.verdict
        if item.skipped is not None or verdict is None:
            self.skipped[item.skipped or "?"] += 1
            return
        if verdict.problem == "no finding":
            self.skipped["no finding after the mutation (a custom-resource provider)"] += 1
            return
        self.with_finding += 1
        if not verdict.fixed:
            self.skipped[_reason(verdict.problem)] += 1
            return
        self.fixed += 1
        self.two_phase += verdict.two_phase
        self.verified += verdict.verified
        self.lint_clean += verdict.lint_clean
        if not (verdict.verified and verdict.lint_clean and verdict.translates):
            self.failures.append(f"{item.name} ({item.function}): {verdict.problem}")

    def summary(self) -> str:
        lines = [
            f"fix verification over the corpus: {self.tried} functions tried in "
            f"{self.seconds:.1f} s, {self.with_finding} with a finding after the mutation, "
            f"{self.fixed} fixed ({self.two_phase} two-phase), {self.verified} verified "
            f"(no LG001/LG002/LG003 after), {self.lint_clean} cfn-lint-clean",
        ]
        lines.extend(f"  skipped x{n}: {reason}" for reason, n in self.skipped.most_common())
        lines.extend(f"  FAILED {entry}" for entry in self.failures[:30])
        return "\n".join(lines)


def corpus_files(root: Path) -> list[Path]:
    manifest = root / "MANIFEST.tsv"
    rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
    files = [root / row.split("\t", 1)[0] for row in rows if row.strip()]
    return sorted(files, key=lambda p: hashlib.sha256(p.name.encode()).hexdigest())


@dataclass(frozen=True)
class Item:
    """One corpus function to try: the outcome of :func:`try_corpus_file`."""

    name: str
    function: str = ""
    verdict: Verdict | None = None
    skipped: str | None = None  # why nothing was tried (not loadable, no function)
    not_tried: bool = False


def try_corpus_file(index: int, path: Path, work: Path) -> Item:
    """Mutate the first function of one corpus file and verify its fix (in a worker process)."""
    try:
        (original,) = load_side(path)[:1]
    except (InputError, ValueError):
        return Item(path.name, not_tried=True)
    sam = original.framework == "sam" or is_sam(original.body)
    mutated = mutate_text(path, sam)
    if mutated is None:
        return Item(path.name, not_tried=True)
    function, text = mutated
    folder = work / f"{index:04d}"
    folder.mkdir(parents=True)
    new = folder / path.name
    new.write_text(text, encoding="utf-8")
    try:
        verdict = verify(new, path, folder / "patched", lint_baseline=index % 5 == 0)
    except InputError as error:
        return Item(path.name, function, skipped=f"the mutated template does not load "
                                                 f"({error.message[:60]})")
    return Item(path.name, function, verdict)


@pytest.mark.corpus
@pytest.mark.no_cover  # a sweep over code the other tests cover: tracing would double its time
def test_fixes_of_corpus_functions_verify_by_construction(
    shared_dir: Path, tmp_path: Path
) -> None:
    root = shared_dir / "corpus"
    if not (root / "MANIFEST.tsv").is_file():
        pytest.skip(f"no template corpus at {root}")
    from concurrent.futures import ProcessPoolExecutor

    sweep = CorpusSweep()
    start = perf_counter()
    files = corpus_files(root)
    position = 0
    with ProcessPoolExecutor(max_workers=2) as pool:
        while sweep.tried < CORPUS_SAMPLE and position < len(files):
            batch = files[position : position + CORPUS_SAMPLE - sweep.tried]
            items = pool.map(
                try_corpus_file,
                range(position, position + len(batch)),
                batch,
                [tmp_path] * len(batch),
            )
            position += len(batch)
            for item in items:
                if not item.not_tried:
                    sweep.record(item)
    sweep.seconds = perf_counter() - start
    print(f"\n{sweep.summary()}")
    assert sweep.tried >= 200, sweep.summary()
    assert not sweep.failures, sweep.summary()
    assert sweep.fixed >= 0.8 * sweep.with_finding, sweep.summary()


def _reason(problem: str) -> str:
    head, _, rest = problem.partition(":")
    return f"{head}: {rest[:80]}"
