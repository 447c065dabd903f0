"""Wall time of the composite action's set-up on a cold, a cached and a kept runner; ONE JSON line.

Usage: ``python benchmarks/action_setup.py`` (needs ``npm ci`` in ``tests/node``: the runner
emulation evaluates action.yml's expressions with GitHub's own library).

``action.yml`` runs through ``tests/actions_runner.py`` in ``analyze`` mode on a small template
(so the review itself takes a fraction of a second), three times:

``cold_s``
    A new GitHub-hosted runner with an empty Actions cache: the environment is created and the
    lock installed (pip's own download cache is whatever this machine has).
``cached_s``
    A new hosted runner (empty tool cache) whose repository's Actions cache holds the
    environment: it is restored (here a local copy; on GitHub a download of the compressed
    entry) and nothing is installed.
``kept_s``
    A runner that kept its tool cache (self-hosted): the environment is found and used.
``review_alone_s``
    The ``Review`` step's own command, run by hand with the same interpreter.
``setup_*_s``
    The three runs minus ``review_alone_s``: the set-up alone.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from actions_runner import ActionRun, GitHubContext, Runner  # noqa: E402


def _run(runner: Runner, workspace: Path) -> float:
    started = time.perf_counter()
    run: ActionRun = runner.run_action(
        ROOT, {"template": "t.yaml", "baseline": "none", "mode": "analyze"},
        workspace=workspace, github=GitHubContext(),
    )
    elapsed = time.perf_counter() - started
    if run.status != "success":
        raise SystemExit(run.log)
    install = next(s for s in run.steps if s.name == "Install the locked dependencies")
    print(f"install step: {install.outcome}", file=sys.stderr)
    return elapsed


def _review_alone(python: Path, workspace: Path) -> float:
    """The Review step run by hand with the same interpreter: what the set-up figures leave
    out (the runner emulation does not time steps)."""
    import subprocess

    started = time.perf_counter()
    subprocess.run(
        [str(python), "-P", str(ROOT / "action" / "entry.py")],
        cwd=workspace, check=False, capture_output=True,
        env={"INPUT_TEMPLATE": "t.yaml", "INPUT_BASELINE": "none", "INPUT_MODE": "analyze",
             "GITHUB_WORKSPACE": str(workspace), "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="latest-guard-setup-") as scratch:
        root = Path(scratch)
        workspace = root / "workspace"
        workspace.mkdir()
        shutil.copy(ROOT / "tests" / "fixtures" / "arm64-layer" / "template.yaml",
                    workspace / "t.yaml")
        with Runner(root / "first") as first:
            cold = _run(first, workspace)
        tool_cache = first.tool_cache
        (venv,) = (tool_cache / "latest-guard").iterdir()
        review = _review_alone(venv / "bin" / "python", workspace)
        shutil.rmtree(tool_cache)
        with Runner(root / "second") as second:
            second.cache = first.cache
            second.tool_cache = tool_cache
            tool_cache.mkdir()
            cached = _run(second, workspace)
        with Runner(root / "first") as kept:
            kept_s = _run(kept, workspace)
    figures = {
        "cold_s": round(cold, 2),
        "cached_s": round(cached, 2),
        "kept_s": round(kept_s, 2),
        "review_alone_s": round(review, 2),
        "setup_cold_s": round(cold - review, 2),
        "setup_cached_s": round(cached - review, 2),
        "setup_kept_s": round(kept_s - review, 2),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
