"""Robustness sweeps over the shared corpus of real templates, read in place (never copied).

- Every template analysed against itself gives no finding of a change rule, or is refused
  with a clean ``InputError``: through the CLI, exit status 2 and one line on stderr that names
  the file. The rules that judge one template (LG004) do fire there: their findings must be
  exactly those judged by hand in ``corpus_template_findings.tsv``.
- Every template with an ``AWS::Lambda::Function``, with the code and the layers of one function
  changed, analysed against the original never raises (findings are expected there).

The corpus is ``$LATEST_GUARD_SHARED/corpus`` or ``../shared/corpus``; the sweeps are skipped
when it is absent. ``pytest -m corpus -s`` shows the counts.
"""

from __future__ import annotations

import io
import json
import re
import traceback
from collections import defaultdict
from collections.abc import Iterable, Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import pytest
from support import validate

from reviewer.cli import main
from reviewer.config import Config
from reviewer.contract.enums import RuleScope
from reviewer.contract.report import Report
from reviewer.errors import InputError
from reviewer.model.consumers import Role
from reviewer.model.references import ReferenceGraph
from reviewer.model.resolve import Resolver
from reviewer.model.template import ALIAS, FUNCTION, VERSION, StackTemplate
from reviewer.pipeline.analysis import analyze
from reviewer.report import REPORTERS
from reviewer.rules.registry import RULES
from reviewer.sources import load_side

# Coverage is not traced during the sweeps: they run code the other tests cover, over 1,495
# templates, and tracing would double their time.
pytestmark = [pytest.mark.corpus, pytest.mark.no_cover]

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
#: Accepted templates also run through the whole CLI, one in this many.
CLI_SAMPLE_EVERY = 50
MUTATED_LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:latest-guard-mutated:1"


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> list[Path]:
    """The corpus templates: the files MANIFEST.tsv lists, else every template-like file."""
    root = shared_dir / "corpus"
    if not root.is_dir():
        pytest.skip(f"no template corpus at {root}")
    manifest = root / "MANIFEST.tsv"
    if manifest.is_file():
        rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
        files = [root / row.split("\t", 1)[0] for row in rows if row.strip()]
    else:
        files = sorted(
            p for p in root.rglob("*") if p.is_file() and p.suffix in TEMPLATE_SUFFIXES
        )
    if not files:
        pytest.skip(f"the template corpus at {root} is empty")
    return files


@dataclass
class CliRun:
    code: int
    out: str
    err: str


def run_cli(*argv: str | Path) -> CliRun:
    """The CLI in-process, its output captured without pytest's capture (prints stay visible)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    return CliRun(code, out.getvalue(), err.getvalue())


def crash_text(stage: str) -> str:
    """The exception being handled, with the last frames of its traceback."""
    return f"{stage}: " + "".join(traceback.format_exc(limit=-4)).strip()


def reason_group(error: InputError) -> str:
    """A refusal's message with its specifics (quoted names) blanked, to group alike reasons."""
    return re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", error.message)


def exercise(report: Report, stacks: Iterable[StackTemplate]) -> None:
    """Render the report in every format and resolve the lines of every function."""
    for render in REPORTERS.values():
        render(report)
    for stack in stacks:
        for logical_id in stack.of_type(FUNCTION):
            stack.locate(logical_id, ("Code",))


def clip(items: Iterable[str], limit: int = 25) -> str:
    listed = list(items)
    shown = "\n".join(listed[:limit])
    more = f"\n... and {len(listed) - limit} more" if len(listed) > limit else ""
    return shown + more


@dataclass
class SelfSweep:
    analysed: int = 0
    clean: int = 0
    findings: dict[Path, list[str]] = field(default_factory=dict)
    rejected: dict[Path, InputError] = field(default_factory=dict)
    crashes: dict[Path, str] = field(default_factory=dict)
    cli_problems: dict[Path, str] = field(default_factory=dict)
    cli_runs: int = 0
    seconds: float = 0.0
    #: Findings of the rules that judge one template: (corpus path, stack/function) -> text.
    template_findings: dict[tuple[str, str], str] = field(default_factory=dict)

    def summary(self) -> str:
        groups: dict[str, list[Path]] = defaultdict(list)
        for path, error in self.rejected.items():
            groups[reason_group(error)].append(path)
        lines = [
            f"corpus self-vs-self: {self.analysed} templates analysed in {self.seconds:.1f} s, "
            f"{self.clean} with zero findings, {len(self.rejected)} rejected with exit 2, "
            f"{len(self.findings)} with findings, {len(self.crashes)} crashed, "
            f"{len(self.cli_problems)} CLI problems ({self.cli_runs} CLI runs)",
        ]
        for reason, paths in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
            lines.append(f"  rejected x{len(paths)}: {reason}")
            lines.extend(f"      {self.rejected[p]}" for p in paths)
        return "\n".join(lines)

    def problems(self) -> str:
        parts = [f"FINDINGS {p}: {', '.join(f)}" for p, f in self.findings.items()]
        parts += [f"CRASH {p}: {text}" for p, text in self.crashes.items()]
        parts += [f"CLI {p}: {text}" for p, text in self.cli_problems.items()]
        return clip(parts)


def check_refusal_through_cli(path: Path, output: Path) -> str | None:
    """None when the CLI refuses ``path`` cleanly: exit 2 and one line naming the file."""
    run = run_cli("check", "--template", path, "--baseline", path,
                  "--format", "json", "--output", output)
    lines = run.err.splitlines()
    problems = []
    if run.code != 2:
        problems.append(f"exit {run.code}, not 2")
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr, not 1")
    if not run.err.startswith("latest-guard: error: ") or "internal error" in run.err:
        problems.append("stderr is not an input error")
    if str(path) not in run.err:
        problems.append("stderr does not name the file")
    if "Traceback" in run.err or run.out:
        problems.append("traceback or output printed")
    return f"{'; '.join(problems)}: {run.err.strip()!r}" if problems else None


def check_acceptance_through_cli(path: Path, output: Path) -> str | None:
    """None when the CLI accepts ``path`` against itself: exit 0, a valid report, no finding."""
    run = run_cli("check", "--template", path, "--baseline", path,
                  "--format", "json", "--output", output)
    if run.code != 0 or run.err:
        return f"exit {run.code}, stderr {run.err.strip()!r}"
    document = json.loads(output.read_text(encoding="utf-8"))
    validate(document)
    if document["findings"]:
        return f"{len(document['findings'])} findings in the JSON report"
    return None


def test_every_template_against_itself_gives_no_finding(
    corpus: list[Path], shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No change rule fires; the template rules' findings are exactly the judged ones."""
    monkeypatch.chdir(tmp_path)  # the CLI finds no configuration file from here
    output = tmp_path / "report.json"
    config = Config()
    sweep = SelfSweep()
    root = shared_dir / "corpus"
    start = perf_counter()
    for index, path in enumerate(corpus):
        sweep.analysed += 1
        try:
            stacks = load_side(path)
        except InputError as error:
            sweep.rejected[path] = error
            problem = check_refusal_through_cli(path, output)
            sweep.cli_runs += 1
            if problem:
                sweep.cli_problems[path] = problem
            continue
        except Exception:
            sweep.crashes[path] = crash_text("load_side")
            continue
        try:
            report = analyze(stacks, stacks, config, f"template {path}")
            exercise(report, stacks)
        except Exception:
            sweep.crashes[path] = crash_text("analyze")
            continue
        judged_alone = [f for f in report.findings if f.rule in TEMPLATE_RULES]
        for finding in judged_alone:
            key = (path.relative_to(root).as_posix(), f"{finding.stack}/{finding.resource}")
            sweep.template_findings[key] = f"{finding.rule}: {finding.message}"
        changed = [f for f in report.findings if f.rule not in TEMPLATE_RULES]
        if changed:
            sweep.findings[path] = [f"{f.rule} {f.stack}/{f.resource}" for f in changed]
            continue
        sweep.clean += 1
        if judged_alone:
            continue  # the CLI would exit 1 for them: the sample below expects a clean run
        if index % CLI_SAMPLE_EVERY == 0:
            sweep.cli_runs += 1
            problem = check_acceptance_through_cli(path, output)
            if problem:
                sweep.cli_problems[path] = problem
    sweep.seconds = perf_counter() - start
    summary = sweep.summary()
    print(f"\n{summary}")
    assert not (sweep.findings or sweep.crashes or sweep.cli_problems), (
        f"{summary}\n{sweep.problems()}"
    )
    assert sweep.clean + len(sweep.rejected) == len(corpus), summary
    assert_judged(sweep.template_findings)


def assert_judged(found: Mapping[tuple[str, str], str]) -> None:
    """The template rules' findings are exactly the judged ones."""
    judged = judged_template_findings()
    print(f"template-rule findings on the corpus: {len(found)} ({len(judged)} judged)")
    unjudged = sorted(set(found) - set(judged))
    gone = sorted(set(judged) - set(found))
    assert not unjudged and not gone, (
        "template-rule findings differ from tests/corpus_template_findings.tsv\n"
        + clip(f"new: {p} {r}: {found[(p, r)]}" for p, r in unjudged)
        + "\n" + clip(f"gone: {p} {r}" for p, r in gone)
    )


#: The rules that judge one template: on a template compared with itself they may fire.
TEMPLATE_RULES = frozenset(
    rule.id for rule in RULES if rule.scope is RuleScope.TEMPLATE
)
JUDGED = Path(__file__).parent / "corpus_template_findings.tsv"


def judged_template_findings() -> dict[tuple[str, str], str]:
    """The template-rule findings on the corpus, each judged by hand: (corpus path,
    stack/function) -> verdict and why."""
    rows = JUDGED.read_text(encoding="utf-8").splitlines()
    judged: dict[tuple[str, str], str] = {}
    for row in rows:
        if not row.strip() or row.startswith("#"):
            continue
        path, function, verdict = row.split("\t", 2)
        judged[(path, function)] = verdict
    return judged


def first_function(stack: StackTemplate) -> str | None:
    """The first ``AWS::Lambda::Function`` of the template that has properties."""
    for logical_id, resource in stack.of_type(FUNCTION).items():
        if resource.properties:
            return logical_id
    return None


def mutate(body: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    """A plain copy of ``body`` where one function gets new code and one more layer."""
    document: dict[str, Any] = json.loads(json.dumps(body))
    properties = document["Resources"][logical_id]["Properties"]
    code = properties.get("Code")
    if isinstance(code, dict) and isinstance(code.get("ZipFile"), str):
        code["ZipFile"] += "\n# changed by the corpus sweep\n"
    elif isinstance(code, dict) and "ZipFile" in code:
        code["ZipFile"] = "def handler(event, context):\n    return 'changed'\n"
    elif isinstance(code, dict) and "ImageUri" in code:
        code["ImageUri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/changed:2"
    elif isinstance(code, dict) and "S3Key" in code:
        key = code["S3Key"]
        code["S3Key"] = f"{key}.changed" if isinstance(key, str) else "changed/code.zip"
    else:
        properties["Code"] = {"S3Bucket": "changed-bucket", "S3Key": "changed/code.zip"}
    layers = properties.get("Layers")
    if isinstance(layers, list):
        layers.append(MUTATED_LAYER)
    else:
        properties["Layers"] = [MUTATED_LAYER]
    return document


def mutate_other(body: Mapping[str, Any]) -> dict[str, Any]:
    """A plain copy of a template without a function: one resource gets a changed property,
    the last resource is removed and every parameter default changes."""
    document: dict[str, Any] = json.loads(json.dumps(body))
    resources = document.get("Resources")
    if isinstance(resources, dict) and resources:
        for entry in resources.values():
            if isinstance(entry, dict) and isinstance(entry.get("Properties"), dict):
                entry["Properties"]["Description"] = "changed by the corpus sweep"
                break
        if len(resources) > 1:
            resources.pop(list(resources)[-1])
    parameters = document.get("Parameters")
    if isinstance(parameters, dict):
        for entry in parameters.values():
            if isinstance(entry, dict) and "Default" in entry:
                entry["Default"] = f"{entry['Default']}-changed"
    return document


@dataclass
class MutatedSweep:
    templates: int = 0
    pairs: int = 0
    other_pairs: int = 0
    with_lg001: int = 0
    with_lg002_only: int = 0
    without_finding: list[str] = field(default_factory=list)
    deployment_only: int = 0
    not_deployed: int = 0
    unversioned_without_lg001: list[str] = field(default_factory=list)
    not_json_shaped: dict[Path, str] = field(default_factory=dict)
    crashes: dict[Path, str] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"corpus mutated sweep: {self.pairs + self.other_pairs} mutated pairs from "
            f"{self.templates} loadable templates in {self.seconds:.1f} s ({self.pairs} with a "
            f"function whose code and layers change, {self.other_pairs} without a function: a "
            "property, a resource and the parameter defaults change, analysed both ways), "
            f"{self.with_lg001} with LG001 on the changed "
            f"function, {self.with_lg002_only} with LG002 but no LG001 (traffic through a version "
            f"that is not republished), {len(self.without_finding)} with no finding on it, "
            f"{len(self.crashes)} crashed, {self.deployment_only} custom-resource providers "
            "(only CloudFormation invokes them, after their update) without LG001, "
            f"{self.not_deployed} not deployed (their Condition is false under the template's "
            f"defaults), {len(self.not_json_shaped)} loaded documents not JSON-shaped",
            f"  stacks with no version or alias at all whose changed function got no LG001: "
            f"{len(self.unversioned_without_lg001)}",
        ]
        lines.extend(f"      {entry}" for entry in self.unversioned_without_lg001[:25])
        lines.append(f"  changed functions with no finding at all: {len(self.without_finding)}")
        lines.extend(f"      {entry}" for entry in self.without_finding[:25])
        return "\n".join(lines)

    def record(self, report: Report, stack: StackTemplate, logical_id: str, path: Path) -> None:
        """Count what the analysis said about the mutated function."""
        rules = {f.rule for f in report.findings if f.resource == logical_id}
        wiring = ReferenceGraph(stack).functions[logical_id]
        if not rules and not Resolver(stack).deployed(stack.resources[logical_id].condition):
            self.not_deployed += 1
            return
        if "LG001" in rules:
            self.with_lg001 += 1
        elif wiring.with_role(Role.DEPLOYMENT) and not wiring.invoking:
            self.deployment_only += 1
            return
        elif not stack.of_type(VERSION) and not stack.of_type(ALIAS):
            self.unversioned_without_lg001.append(f"{path} ({logical_id})")
        if "LG002" in rules and "LG001" not in rules:
            self.with_lg002_only += 1
        if not rules:
            self.without_finding.append(f"{path} ({logical_id})")


def test_changed_code_and_layers_of_one_function_never_raise(
    corpus: list[Path], tmp_path: Path
) -> None:
    config = Config()
    sweep = MutatedSweep()
    start = perf_counter()
    for index, path in enumerate(corpus):
        try:
            original = load_side(path)
        except InputError:
            continue  # refusals are the other sweep's business
        except Exception:
            sweep.crashes[path] = crash_text("load_side original")
            continue
        sweep.templates += 1
        stack = original[0]  # a template file is one stack
        logical_id = first_function(stack)
        if logical_id is None:
            _sweep_other(sweep, stack, original, path, tmp_path / f"{index:04d}-{path.stem}.json")
            continue
        try:
            document = mutate(stack.body, logical_id)
        except (TypeError, ValueError) as error:
            sweep.not_json_shaped[path] = f"{type(error).__name__}: {error}"
            continue
        mutated_path = tmp_path / f"{index:04d}-{path.stem}.json"
        mutated_path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        sweep.pairs += 1
        try:
            mutated = load_side(mutated_path)
            report = analyze(mutated, original, config, f"template {path}")
            exercise(report, mutated)
        except Exception:
            sweep.crashes[path] = crash_text("mutated pair")
            continue
        sweep.record(report, stack, logical_id, path)
    sweep.seconds = perf_counter() - start
    summary = sweep.summary()
    print(f"\n{summary}")
    problems = [f"CRASH {p}: {text}" for p, text in sweep.crashes.items()]
    problems += [f"NOT JSON-SHAPED {p}: {text}" for p, text in sweep.not_json_shaped.items()]
    assert not problems, f"{summary}\n{clip(problems)}"
    assert sweep.pairs > 0, summary
    assert sweep.pairs + sweep.other_pairs == sweep.templates - len(sweep.not_json_shaped), summary
    # A function with no version or alias, invoked by anything but CloudFormation, races.
    assert not sweep.unversioned_without_lg001, summary


def _sweep_other(
    sweep: MutatedSweep, stack: StackTemplate, original: list[StackTemplate], path: Path,
    mutated_path: Path,
) -> None:
    """A template without a function against its mutated copy, and back: no crash."""
    try:
        document = mutate_other(stack.body)
    except (TypeError, ValueError) as error:
        sweep.not_json_shaped[path] = f"{type(error).__name__}: {error}"
        return
    mutated_path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    sweep.other_pairs += 1
    config = Config()
    try:
        mutated = load_side(mutated_path)
        exercise(analyze(mutated, original, config, f"template {path}"), mutated)
        exercise(analyze(original, mutated, config, f"template {mutated_path}"), original)
    except InputError:
        pass  # the mutation may leave a reference dangling: a clean refusal is fine
    except Exception:
        sweep.crashes[path] = crash_text("mutated pair without a function")


def respell(body: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """``body`` with every function's literal environment values, ``Timeout`` and
    ``MemorySize`` moved into new parameters whose defaults are those values, and each literal
    ``Runtime`` wrapped in an ``Fn::If`` on a condition that always holds: the same deployed
    values, spelled differently. Also how many values were respelled."""
    document = json.loads(json.dumps(body))
    parameters = document.setdefault("Parameters", {})
    if not isinstance(parameters, dict):
        return document, 0
    conditions = document.setdefault("Conditions", {})
    if not isinstance(conditions, dict):
        return document, 0
    conditions["LatestGuardAlways"] = {"Fn::Equals": ["same", "same"]}
    count = 0

    def parameter(value: str | int | float) -> dict[str, str]:
        nonlocal count
        count += 1
        name = f"LatestGuardRespelled{count}"
        kind = "String" if isinstance(value, str) else "Number"
        parameters[name] = {"Type": kind, "Default": value}
        return {"Ref": name}

    for resource in (document.get("Resources") or {}).values():
        if not isinstance(resource, dict) or resource.get("Type") != FUNCTION:
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        for name in ("Timeout", "MemorySize"):
            value = properties.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                properties[name] = parameter(value)
        if isinstance(properties.get("Runtime"), str):
            count += 1
            properties["Runtime"] = {"Fn::If": ["LatestGuardAlways", properties["Runtime"],
                                                "provided.al2023"]}
        environment = properties.get("Environment")
        variables = environment.get("Variables") if isinstance(environment, dict) else None
        if isinstance(variables, dict):
            for key, value in list(variables.items()):
                if isinstance(value, str) and not value.startswith("{{resolve:"):
                    variables[key] = parameter(value)
    return document, count


def test_corpus_templates_respelled_with_the_same_values_never_change(
    corpus: list[Path], tmp_path: Path
) -> None:
    """Values compared as deployed: a literal and a parameter whose default is that literal,
    a value and the same value behind a true condition, are one value on real templates."""
    config = Config()
    pairs = respelled = 0
    changed: list[str] = []
    crashes: dict[Path, str] = {}
    start = perf_counter()
    for index, path in enumerate(corpus):
        try:
            original = load_side(path)
        except InputError:
            continue
        except Exception:
            crashes[path] = crash_text("load_side original")
            continue
        stack = original[0]
        if not stack.of_type(FUNCTION) or len(original) != 1:
            continue
        document, count = respell(stack.body)
        if not count:
            continue
        copy = tmp_path / f"{index:04d}-{path.stem}.json"
        copy.write_text(json.dumps(document, indent=1), encoding="utf-8")
        pairs += 1
        respelled += count
        try:
            report = analyze(load_side(copy), original, config, f"template {path}")
        except Exception:
            crashes[path] = crash_text("respelled pair")
            continue
        for summary in report.stacks:
            changed.extend(f"{path} ({name})" for name in summary.changed_functions)
    summary = (
        f"corpus respelled sweep: {pairs} templates, {respelled} values respelled in "
        f"{perf_counter() - start:.1f} s, {len(changed)} functions read as changed, "
        f"{len(crashes)} crashed"
    )
    print(f"\n{summary}")
    assert pairs > 100, summary
    assert not crashes, f"{summary}\n{clip(f'CRASH {p}: {t}' for p, t in crashes.items())}"
    assert not changed, f"{summary}\n{clip(changed)}"
