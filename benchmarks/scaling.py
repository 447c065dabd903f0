"""How latest-guard's cost grows with the template; print ONE JSON line of figures.

Usage: ``python benchmarks/scaling.py [--sizes 10,100,1000,5000] [--repeat N]
[--skip-lint-above N] [--timeout S] [--keep DIR]``

For each size N it writes a template pair of N Lambda functions (:func:`scaled_pair`), every
one of which changes its code and its configuration while an EventBridge rule invokes it
unqualified: N LG001 findings, each with a fix (the alias wiring in the new template and, as
the baseline is a file too, the phase-one change in the baseline). Each function brings three
resources (the function, its rule, its permission), so past 166 functions the template is
beyond CloudFormation's limit of 500 resources: these templates measure how the cost grows,
they are not deployable as they are. The shape is otherwise legal (cfn-lint finds nothing to
say about the 10-function template).

Times are **CPU seconds** (user + system of the child process), the best of ``--repeat``
runs, each in a fresh process so that no cache is warm; a run longer than 30 s is measured
once. The figures, by size (JSON keys are the sizes as strings):

``resources`` / ``template_bytes``
    Resources in the new template, and its size on disk (YAML, short-form tags).
``check_s``
    End to end: ``python -m reviewer check --template NEW --baseline OLD --format json`` on
    the pair, interpreter start-up included.
``findings`` / ``fixes``
    Findings in that run's JSON report, and how many of them carry a file change (the proof
    that the fixes were built: both should be N).
``cfn_lint_s``
    ``cfn-lint template.yaml`` on the new template, as its users run it; null for a size above
    ``--skip-lint-above`` (listed in ``lint_skipped``) or a run that timed out.
``check_over_cfn_lint``
    ``check_s / cfn_lint_s``.

And once:

``growth``
    ``check_s`` of each size over that of the size before it (keys ``"1000/100"``...).
``ratio_5000_over_1000``
    ``check_s[5000] / check_s[1000]``: linear cost gives about 5, cost that grows with the
    square of the template about 25. The target is at most 6 (``target_met``).

A table of the same figures goes to stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = (10, 100, 1000, 5000)
#: A run that takes longer than this many seconds is measured once, not best of N.
SLOW_S = 30.0
TARGET_RATIO = 6.0

Template = dict[str, Any]


def scaled_pair(functions: int) -> tuple[Template, Template]:
    """(baseline, new): ``functions`` functions, each invoked unqualified by a schedule, each
    with new code and a new environment value on the new side."""
    return _side(functions, 1), _side(functions, 2)


def _side(functions: int, version: int) -> Template:
    resources: dict[str, Any] = {
        "SharedRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }],
                },
            },
        },
    }
    for index in range(functions):
        name = f"Fn{index:05d}"
        resources[name] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["SharedRole", "Arn"]},
                "Code": {"S3Bucket": "bench-artifacts", "S3Key": f"fn-{index}/v{version}.zip"},
                "Environment": {"Variables": {"RELEASE": f"v{version}"}},
            },
        }
        resources[f"{name}Schedule"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "ScheduleExpression": "rate(5 minutes)",
                "Targets": [{"Id": "function", "Arn": {"Fn::GetAtt": [name, "Arn"]}}],
            },
        }
        resources[f"{name}Permission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": name},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": [f"{name}Schedule", "Arn"]},
            },
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"latest-guard scaling benchmark: {functions} functions",
        "Resources": resources,
    }


def write_pair(directory: Path, functions: int) -> tuple[Path, Path]:
    """Write the pair of ``functions`` functions as YAML; (new, baseline)."""
    sys.path.insert(0, str(HERE))
    from generate import to_yaml  # the big benchmark's writer: short-form tags

    directory.mkdir(parents=True, exist_ok=True)
    old, new = scaled_pair(functions)
    paths = directory / "template.yaml", directory / "baseline.yaml"
    for path, template in zip(paths, (new, old), strict=True):
        path.write_text(to_yaml(template), encoding="utf-8")
    return paths


def _cpu_of_run(argv: Sequence[str], ok: range, timeout: float) -> float | None:
    """CPU seconds of one run in a fresh process; None when it timed out."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        completed = subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=timeout, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} exited {completed.returncode}:\n{completed.stderr[-2000:]}"
        )
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _best(runs: int, argv: Sequence[str], ok: range, timeout: float) -> float | None:
    """The least CPU seconds of up to ``runs`` runs (one when a run is slow); None on timeout."""
    best: float | None = None
    for _ in range(max(1, runs)):
        cpu = _cpu_of_run(argv, ok, timeout)
        if cpu is None:
            return None
        best = cpu if best is None else min(best, cpu)
        if cpu > SLOW_S:
            break
    return None if best is None else round(best, 3)


def _cfn_lint() -> list[str]:
    """cfn-lint as its users run it: the console script beside this interpreter, or on PATH."""
    beside = Path(sys.executable).parent / "cfn-lint"
    return [str(beside)] if beside.is_file() else ["cfn-lint"]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 3)


def measure_size(
    directory: Path, functions: int, repeat: int, lint: bool, timeout: float
) -> dict[str, Any]:
    """The figures of one size (see the module documentation)."""
    new, old = write_pair(directory / f"n{functions}", functions)
    report = new.parent / "report.json"
    check = [sys.executable, "-m", "reviewer", "check", "--template", str(new),
             "--baseline", str(old), "--format", "json", "--output", str(report)]
    print(f"{functions} functions: check x{repeat}", file=sys.stderr)
    check_s = _best(repeat, check, range(2), timeout)
    findings = fixes = None
    if check_s is not None:
        found = json.loads(report.read_text(encoding="utf-8"))["findings"]
        findings = len(found)
        fixes = sum(1 for f in found if (f.get("fix") or {}).get("edits"))
    lint_s = None
    if lint:
        print(f"{functions} functions: cfn-lint x{repeat}", file=sys.stderr)
        lint_s = _best(repeat, [*_cfn_lint(), str(new)], range(256), timeout)
    return {
        "resources": 1 + 3 * functions,
        "template_bytes": new.stat().st_size,
        "check_s": check_s,
        "findings": findings,
        "fixes": fixes,
        "cfn_lint_s": lint_s,
        "check_over_cfn_lint": _ratio(check_s, lint_s),
    }


def measure(
    directory: Path, sizes: Sequence[int], repeat: int, skip_lint_above: int | None,
    timeout: float,
) -> dict[str, Any]:
    per_size = {
        n: measure_size(
            directory, n, repeat, skip_lint_above is None or n <= skip_lint_above, timeout
        )
        for n in sizes
    }
    figures: dict[str, Any] = {
        "python": sys.version.split()[0], "clock": "cpu", "repeat": repeat,
        "sizes": list(sizes),
    }
    for name in ("resources", "template_bytes", "check_s", "findings", "fixes", "cfn_lint_s",
                 "check_over_cfn_lint"):
        figures[name] = {str(n): per_size[n][name] for n in sizes}
    figures["lint_skipped"] = [n for n in sizes if skip_lint_above is not None
                               and n > skip_lint_above]
    ordered = sorted(sizes)
    figures["growth"] = {
        f"{big}/{small}": _ratio(per_size[big]["check_s"], per_size[small]["check_s"])
        for small, big in itertools.pairwise(ordered)
    }
    both = 1000 in per_size and 5000 in per_size
    ratio = _ratio(per_size[5000]["check_s"], per_size[1000]["check_s"]) if both else None
    figures["ratio_5000_over_1000"] = ratio
    figures["target_met"] = None if ratio is None else ratio <= TARGET_RATIO
    return figures


def table(figures: dict[str, Any]) -> str:
    """The figures as a Markdown table, one row per size."""
    def shown(value: Any, unit: str = "") -> str:
        return "not measured" if value is None else f"{value:,}{unit}"

    rows = [
        "| functions | resources | template | check | cfn-lint | check ÷ cfn-lint |",
        "|---|---|---|---|---|---|",
    ]
    for size in figures["sizes"]:
        key = str(size)
        rows.append(
            f"| {size:,} | {figures['resources'][key]:,} "
            f"| {figures['template_bytes'][key] / 1e6:.2f} MB "
            f"| {shown(figures['check_s'][key], ' s')} | {shown(figures['cfn_lint_s'][key], ' s')} "
            f"| {shown(figures['check_over_cfn_lint'][key])} |"
        )
    rows.append(f"\n5,000 ÷ 1,000 functions: {shown(figures['ratio_5000_over_1000'])} "
                f"(target ≤ {TARGET_RATIO:g})")
    return "\n".join(rows)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes are counts of functions, at least 1")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="How latest-guard's cost grows with the template; prints one JSON line."
    )
    parser.add_argument("--sizes", type=_sizes, default=list(SIZES), metavar="N,N,...",
                        help="numbers of functions (default: 10,100,1000,5000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    parser.add_argument("--skip-lint-above", type=int, metavar="N",
                        help="run cfn-lint only on templates of at most N functions")
    parser.add_argument("--timeout", type=float, default=1800.0, metavar="SECONDS",
                        help="give up on one run after this long (its figure is then null)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the templates here and keep them (default: a temporary "
                             "folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="latest-guard-scaling-") as scratch:
        directory = args.keep or Path(scratch)
        figures = measure(directory, args.sizes, args.repeat, args.skip_lint_above,
                          args.timeout)
    print(table(figures), file=sys.stderr)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
