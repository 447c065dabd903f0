"""Benchmark latest-guard on the largest legal template pair; print ONE JSON line of figures.

Usage: ``python benchmarks/run.py [--repeat N] [--lint-repeat N] [--timeout S] [--keep DIR]``

Times are **CPU seconds** (user + system, of this process's children), the best of the
repeats: the machines this runs on are shared, and CPU time is what the code costs whatever
else is running. ``*_wall_s`` figures give the wall-clock time of the same runs. Every figure
is measured in a fresh child process, so that no cache is warm.

``parse_json_s`` / ``parse_yaml_s``
    Loading both sides of the big pair (``load_template_file``: read, parse, shape check) as
    JSON and as YAML with short-form tags.
``analysis_json_s`` / ``analysis_yaml_s``
    On the loaded stacks: the reference graphs (``AppGraph``), the diff
    (``StackContext.build``) and the rules, with the source lines the findings point at.
    Parse excluded.
``analysis_over_parse_json`` / ``analysis_over_parse_yaml``
    Their ratio; the target is at most 1.0.
``engine_yaml_s``
    All of ``reviewer.pipeline.analyze`` on the loaded YAML pair: the analysis above plus
    suppressions, summaries and the fixes the engine builds for the findings.
``cli_yaml_s`` / ``cli_json_s`` (and ``cli_yaml_wall_s``)
    End to end: ``python -m reviewer check --template NEW --baseline OLD --format json`` on the
    big pair (interpreter start-up included).
``cli_yaml_nofix_s``
    The same with the engine's fix builder switched off (``reviewer.pipeline.handover.built_fixes``
    replaced by one that builds none, in the child), to show what the fixes cost.
``cfn_lint_s`` (and ``cfn_lint_wall_s``)
    ``cfn-lint template.yaml`` on the new big template, as its users run it, in a subprocess.
``cli_over_cfn_lint`` / ``cli_nofix_over_cfn_lint``
    ``cli_yaml_s`` (``cli_yaml_nofix_s``) over ``cfn_lint_s``; the target is at most 0.1.
``tiny_cli_s`` / ``tiny_cfn_lint_s`` / ``tiny_ratio``
    The same on the tiny ``tests/fixtures/arm64-layer`` pair; the target is at most 0.2.
``python_startup_s`` / ``cli_version_s``
    ``python -c pass`` and ``python -m reviewer --version``: the floor under the CLI figures.
``rss_peak_delta_kb_json`` / ``_yaml``
    How much the peak resident set of a child grows while it parses and analyses the big pair,
    over the same child after its imports and a warm-up run on the tiny pair (interpreter and
    module memory are not counted): ``VmHWM`` after, reset through ``/proc/self/clear_refs``
    before (see ``peak_rss_tracker``).
``parsed_deep_bytes_json`` / ``_yaml``
    The parsed documents of both sides: ``sys.getsizeof`` summed over every object reachable
    from them (containers, keys, values, the line tables of the YAML containers; each once).
``files_bytes_json`` / ``_yaml``
    The on-disk size of the two big template files.
``rss_over_parsed_json`` / ``_yaml``
    ``rss_peak_delta / parsed_deep_bytes``; the target is at most 3.
``rss_over_files_json`` / ``_yaml``
    The same growth over the on-disk size, for reference.
``heavy_imports``
    Modules among boto3, botocore, github, samtranslator and cfnlint that a ``check`` of two
    template files imports (the target is none).

A figure whose run did not finish within ``--timeout`` seconds is null.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TINY = ROOT / "tests" / "fixtures" / "arm64-layer"
HEAVY = ("boto3", "botocore", "github", "samtranslator", "cfnlint")
#: A run that takes longer than this many seconds is measured once, not best of N.
SLOW_S = 30.0
#: Runs the CLI with the fix builder switched off (arguments follow ``-c`` code).
NO_FIXES = (
    "import sys, reviewer.pipeline.handover as handover\n"
    "handover.built_fixes = lambda findings, contexts: {}\n"
    "from reviewer.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(
    argv: Sequence[str], ok: Sequence[int] = (0, 1), timeout: float | None = None
) -> tuple[float, float, str] | None:
    """(CPU seconds, wall seconds, stdout) of one run; None when it timed out."""
    cpu, start = _children_cpu(), time.perf_counter()
    try:
        completed = subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if completed.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} exited {completed.returncode}:\n{completed.stderr[-2000:]}"
        )
    return cpu, wall, completed.stdout


def _best(
    runs: int, argv: Sequence[str], ok: Sequence[int] = (0, 1), timeout: float | None = None
) -> tuple[float | None, float | None]:
    """(best CPU seconds, best wall seconds) of up to ``runs`` runs; None when one timed out."""
    cpus: list[float] = []
    walls: list[float] = []
    for _ in range(max(1, runs)):
        measured = _run(argv, ok, timeout)
        if measured is None:
            return None, None
        cpus.append(measured[0])
        walls.append(measured[1])
        if measured[1] > SLOW_S:
            break
    return round(min(cpus), 4), round(min(walls), 4)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 4)


def _cfn_lint() -> list[str]:
    """cfn-lint as its users run it: the console script beside this interpreter, or on PATH."""
    beside = Path(sys.executable).parent / "cfn-lint"
    return [str(beside)] if beside.is_file() else ["cfn-lint"]


def _check_args(new: Path, old: Path) -> list[str]:
    return ["check", "--template", str(new), "--baseline", str(old), "--format", "json",
            "--output", os.devnull]


# -- the child: parse and analyse in a fresh process -------------------------------------------


def _status_kb(field: str) -> int | None:
    """A ``/proc/self/status`` figure in kB (``VmRSS``, ``VmHWM``); None where there is none."""
    try:
        lines = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def peak_rss_tracker() -> Callable[[], int]:
    """Start measuring; the returned function gives the peak RSS growth since, in kB.

    ``ru_maxrss`` cannot be used as it is: Linux carries the parent's high-water mark into a
    child across ``fork``/``exec``. The peak of this process image (``VmHWM``) is reset
    through ``/proc/self/clear_refs`` where the kernel allows it; else ``ru_maxrss`` is the
    fallback (an underestimate when the parent was larger).
    """
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
        start = _status_kb("VmRSS")
    except OSError:
        start = None
    if start is not None:
        return lambda: (_status_kb("VmHWM") or start) - start
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before


def deep_size(root: Any) -> int:
    """``sys.getsizeof`` summed over every object reachable from ``root``, each counted once."""
    seen: set[int] = set()
    total = 0
    stack = [root]
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        total += sys.getsizeof(value)
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        for extra in ("key_lines", "item_lines"):  # LineDict / LineList line tables
            table = getattr(value, extra, None)
            if table is not None:
                stack.append(table)
    return total


def child(kind: str, directory: Path, stage: str) -> dict[str, Any]:
    """Parse and analyse the big pair of one format in this fresh process.

    ``stage`` is ``analysis`` (parse, then the reference graphs, the diff and the rules) or
    ``engine`` (parse, then all of ``analyze``: the same plus suppressions, summaries and the
    fixes the engine attaches to findings). Times are CPU seconds of this process.
    """
    from reviewer.config import Config
    from reviewer.model.app import AppGraph
    from reviewer.model.resolve import Resolver
    from reviewer.pipeline.analysis import analyze
    from reviewer.pipeline.collector import collector_paused
    from reviewer.report import REPORTERS
    from reviewer.rules.base import ChangeRule, StackContext, TemplateContext, TemplateRule
    from reviewer.rules.registry import RULES
    from reviewer.sources.text.files import load_template_file

    def load(new_path: Path, old_path: Path) -> tuple[float, Any, Any]:
        start = time.process_time()
        with collector_paused():  # as the pipeline loads a side (reviewer.pipeline.sides)
            old = load_template_file(old_path, "bench")
            new = load_template_file(new_path, "bench")
        return time.process_time() - start, old, new

    def stages(old: Any, new: Any) -> tuple[float, int]:
        start = time.process_time()
        with collector_paused():  # as reviewer.pipeline.analysis runs them
            new_app = AppGraph([new])
            old_graph, new_graph = AppGraph([old]).graph("bench"), new_app.graph("bench")
            context = StackContext.build(old, new, old_graph=old_graph, new_graph=new_graph)
            alone = TemplateContext(new, new_app, Resolver)
            findings = []
            for rule in RULES:
                instance = rule()
                if isinstance(instance, ChangeRule):
                    findings.extend(instance.check(context))
                elif isinstance(instance, TemplateRule):
                    findings.extend(instance.check(alone))
        return time.process_time() - start, len(findings)

    _, tiny_old, tiny_new = load(next(TINY.glob("template.*")), next(TINY.glob("baseline.*")))
    # Imports every lazily imported module: their memory is not the analysis'.
    REPORTERS["json"](analyze([tiny_new], [tiny_old], Config(), "tiny"))
    new_path, old_path = directory / f"template.{kind}", directory / f"baseline.{kind}"
    peak_growth = peak_rss_tracker()
    parse_s, old, new = load(new_path, old_path)
    result: dict[str, Any] = {"parse_s": parse_s}
    if stage == "analysis":
        result["analysis_s"], result["findings"] = stages(old, new)
    else:
        start = time.process_time()
        report = analyze([new], [old], Config(), f"template file {old_path}")
        result["engine_s"] = time.process_time() - start
        result["findings"] = len(report.findings)
    result["rss_peak_delta_kb"] = peak_growth()
    result["parsed_deep_bytes"] = deep_size([old.body, new.body])
    result["files_bytes"] = new_path.stat().st_size + old_path.stat().st_size
    return result


def _child(
    kind: str, directory: Path, stage: str, timeout: float | None = None
) -> dict[str, Any] | None:
    """One child's figures; None when it did not finish within ``timeout``."""
    measured = _run([sys.executable, __file__, "--child", kind, str(directory), stage],
                    ok=(0,), timeout=timeout)
    if measured is None:
        return None
    result: dict[str, Any] = json.loads(measured[2])
    return result


def _heavy_imports() -> list[str]:
    """Heavy modules a ``check`` of the tiny pair imports (the same code path as any file)."""
    args = _check_args(next(TINY.glob("template.*")), next(TINY.glob("baseline.*")))
    probe = (
        "import json, sys\n"
        "from reviewer.cli import main\n"
        f"main({args!r})\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))\n"
    )
    measured = _run([sys.executable, "-c", probe])
    found: list[str] = json.loads(measured[2].strip().splitlines()[-1]) if measured else []
    return found


# -- the parent --------------------------------------------------------------------------------


def measure(directory: Path, repeat: int, lint_repeat: int, timeout: float) -> dict[str, Any]:
    """Every figure, in the order of the module documentation."""
    figures: dict[str, Any] = {"python": sys.version.split()[0], "clock": "cpu",
                               "repeat": repeat}
    for kind in ("json", "yaml"):
        print(f"parse and analyse ({kind}) x{repeat}", file=sys.stderr)
        runs = [r for _ in range(repeat) if (r := _child(kind, directory, "analysis"))]
        parse = min(r["parse_s"] for r in runs)
        analysis = min(r["analysis_s"] for r in runs)
        rss = max(r["rss_peak_delta_kb"] for r in runs)
        deep, files = runs[0]["parsed_deep_bytes"], runs[0]["files_bytes"]
        figures |= {
            f"parse_{kind}_s": round(parse, 4),
            f"analysis_{kind}_s": round(analysis, 4),
            f"analysis_over_parse_{kind}": round(analysis / parse, 3),
            f"findings_{kind}": runs[0]["findings"],
            f"rss_peak_delta_kb_{kind}": rss,
            f"parsed_deep_bytes_{kind}": deep,
            f"files_bytes_{kind}": files,
            f"rss_over_parsed_{kind}": round(rss * 1024 / deep, 3),
            f"rss_over_files_{kind}": round(rss * 1024 / files, 3),
        }
    print("the whole engine, fixes included (YAML)", file=sys.stderr)
    engine = _child("yaml", directory, "engine", timeout)
    figures["engine_yaml_s"] = round(engine["engine_s"], 4) if engine else None
    big = {kind: _check_args(directory / f"template.{kind}", directory / f"baseline.{kind}")
           for kind in ("yaml", "json")}
    for kind, args in big.items():
        print(f"end-to-end CLI ({kind}) x{repeat}", file=sys.stderr)
        cpu, wall = _best(repeat, [sys.executable, "-m", "reviewer", *args], timeout=timeout)
        figures[f"cli_{kind}_s"] = cpu
        if kind == "yaml":
            figures["cli_yaml_wall_s"] = wall
    print(f"end-to-end CLI without fixes (yaml) x{repeat}", file=sys.stderr)
    figures["cli_yaml_nofix_s"], _ = _best(
        repeat, [sys.executable, "-c", NO_FIXES, *big["yaml"]], timeout=timeout
    )
    print(f"cfn-lint on the big template x{lint_repeat}", file=sys.stderr)
    figures["cfn_lint_s"], figures["cfn_lint_wall_s"] = _best(
        lint_repeat, [*_cfn_lint(), str(directory / "template.yaml")], range(256), timeout
    )
    figures["cli_over_cfn_lint"] = _ratio(figures["cli_yaml_s"], figures["cfn_lint_s"])
    figures["cli_nofix_over_cfn_lint"] = _ratio(figures["cli_yaml_nofix_s"], figures["cfn_lint_s"])
    print(f"tiny pair x{repeat}", file=sys.stderr)
    new, old = next(TINY.glob("template.*")), next(TINY.glob("baseline.*"))
    figures["tiny_cli_s"], _ = _best(
        repeat, [sys.executable, "-m", "reviewer", *_check_args(new, old)]
    )
    figures["tiny_cfn_lint_s"], _ = _best(repeat, [*_cfn_lint(), str(new)], range(256))
    figures["tiny_ratio"] = _ratio(figures["tiny_cli_s"], figures["tiny_cfn_lint_s"])
    figures["python_startup_s"], _ = _best(repeat, [sys.executable, "-c", "pass"])
    figures["cli_version_s"], _ = _best(repeat, [sys.executable, "-m", "reviewer", "--version"])
    figures["heavy_imports"] = _heavy_imports()
    figures["targets_met"] = {
        "analysis_le_parse": max(
            figures["analysis_over_parse_json"], figures["analysis_over_parse_yaml"]
        ) <= 1.0,
        "cli_le_0.1_cfn_lint": (figures["cli_over_cfn_lint"] or 1.0) <= 0.1,
        "tiny_le_0.2_cfn_lint": (figures["tiny_ratio"] or 1.0) <= 0.2,
        "rss_le_3x_parsed": max(figures["rss_over_parsed_json"], figures["rss_over_parsed_yaml"])
        <= 3.0,
        "no_heavy_imports": not figures["heavy_imports"],
    }
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark latest-guard; prints one JSON line.")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (best is kept)")
    parser.add_argument("--lint-repeat", type=int, default=2,
                        help="runs of cfn-lint on the big template (each takes a while)")
    parser.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                        help="give up on one engine, CLI or cfn-lint run after this long "
                             "(its figure is then null)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the big pair here and keep it (default: a temporary folder)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DIR", "STAGE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, directory, stage = args.child
        print(json.dumps(child(kind, Path(directory), stage)))
        return 0
    sys.path.insert(0, str(HERE))
    from generate import write_pair

    with tempfile.TemporaryDirectory(prefix="latest-guard-bench-") as scratch:
        directory = args.keep or Path(scratch)
        print(f"writing the big pair to {directory}", file=sys.stderr)
        write_pair(directory)
        figures = measure(directory, args.repeat, args.lint_repeat, args.timeout)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
