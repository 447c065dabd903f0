"""Wall time of a two-sided CDK synth against one synth alone; print ONE JSON line.

Usage: ``python benchmarks/synth_both_sides.py [--repeat N]`` (needs ``npm ci`` in
``tests/apps/cdk``, whose ``node_modules`` the throw-away repository links to).

The CDK fixture app is committed twice into a throw-away git repository: the base commit at
the ``baseline`` variant, the head at ``arm64-layer``. Then, each the best of N wall-clock runs:

``one_synth_s``
    The synth command alone, once, in the head's folder.
``check_both_sides_s``
    ``latest-guard check --synth CMD --baseline-ref HEAD~1``: the same command run on the head
    and, in a temporary work tree of the base commit, on the base (two at once), then the
    analysis; interpreter start-up included.
``both_over_one``
    Their ratio: about 1 means the two syntheses cost the time of one.

The synth command is the one a workflow uses, ``npx cdk synth -q -o cdk.out``, after linking
the installed ``node_modules`` into the folder (a workflow's ``npm ci`` step; it is not timed
here because its cost depends on the network and the npm cache, not on latest-guard).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tests" / "apps" / "cdk"
APP_FILES = ("bin", "lib", "lambda", "layers", "cdk.json", "package.json", "package-lock.json")
SYNTH = "ln -sfn \"$CDK_NODE_MODULES\" node_modules && npx --no-install cdk synth -q -o cdk.out"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
        cwd=repo, check=True, capture_output=True,
    )


def _variant(repo: Path, name: str) -> None:
    config = json.loads((repo / "cdk.json").read_text(encoding="utf-8"))
    config.setdefault("context", {})["variant"] = name
    (repo / "cdk.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def make_repository(where: Path) -> Path:
    repo = where / "app"
    repo.mkdir()
    for name in APP_FILES:
        source = APP / name
        if source.is_dir():
            shutil.copytree(source, repo / name)
        else:
            shutil.copy2(source, repo / name)
    (repo / ".gitignore").write_text("/node_modules\n/cdk.out\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _variant(repo, "baseline")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _variant(repo, "arm64-layer")
    _git(repo, "commit", "-q", "-am", "head")
    return repo


def _timed(command: list[str] | str, cwd: Path, env: dict[str, str], *, shell: bool) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, shell=shell, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command!r} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (APP / "node_modules" / "aws-cdk-lib").is_dir():
        print("run npm ci in tests/apps/cdk first", file=sys.stderr)
        return 2
    env = {
        **os.environ,
        "CDK_NODE_MODULES": str(APP / "node_modules"),
        "CDK_DEFAULT_ACCOUNT": "123456789012",
        "CDK_DEFAULT_REGION": "us-east-1",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    with tempfile.TemporaryDirectory(prefix="latest-guard-bench-") as scratch:
        repo = make_repository(Path(scratch))
        check = [
            sys.executable, "-m", "reviewer", "check", "--synth", SYNTH, "--template", "cdk.out",
            "--baseline-ref", "HEAD~1", "-C", str(repo), "--format", "json",
        ]
        env["PYTHONPATH"] = str(ROOT)
        one, both = [], []
        for _ in range(args.repeat):
            shutil.rmtree(repo / "cdk.out", ignore_errors=True)
            one.append(_timed(SYNTH, repo, env, shell=True))
            shutil.rmtree(repo / "cdk.out", ignore_errors=True)
            both.append(_timed(check, repo, env, shell=False))
    figures = {
        "one_synth_s": round(min(one), 2),
        "check_both_sides_s": round(min(both), 2),
        "both_over_one": round(min(both) / min(one), 2),
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
