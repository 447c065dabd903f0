"""Time the setup the action does on a runner; print ONE JSON line of figures.

Usage: ``python benchmarks/setup_time.py [--lock FILE] [--python PYTHON]``

The action creates a virtual environment and installs the hash-checked lock into it before
anything runs, so this is what every first run on a runner costs:

``cold_s``
    ``python -m venv`` then ``pip install --require-hashes --no-deps -r LOCK``, with
    ``--no-cache-dir`` (every file is downloaded).
``warm_s``
    The same into a new environment, with a pip cache that an earlier, untimed install has
    filled (nothing is downloaded).
``venv_bytes``
    The size on disk of the cold run's environment after the install (pip included).
``packages``
    The number of pinned entries in the lock (one system installs this many or fewer).

pip runs with ``--isolated``, so that the machine's pip environment variables and user
configuration (extra indexes, find-links) do not change what is measured; the cache is a
temporary folder, never the user's. Times are wall-clock seconds of one run each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _interpreter(environment: Path) -> Path:
    return environment / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _setup(python: str, environment: Path, lock: Path, *pip_options: str) -> float:
    """Seconds to create ``environment`` and install ``lock`` into it."""
    started = time.perf_counter()
    subprocess.run([python, "-m", "venv", str(environment)], check=True)
    subprocess.run(
        [str(_interpreter(environment)), "-m", "pip", "install", "--isolated", "--quiet",
         "--disable-pip-version-check", *pip_options, "--require-hashes", "--no-deps",
         "-r", str(lock)],
        check=True,
    )
    return round(time.perf_counter() - started, 2)


def _size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file())


def measure(lock: Path, python: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="latest-guard-setup-") as scratch:
        root = Path(scratch)
        cold = _setup(python, root / "cold", lock, "--no-cache-dir")
        cache = ("--cache-dir", str(root / "cache"))
        _setup(python, root / "fill", lock, *cache)
        warm = _setup(python, root / "warm", lock, *cache)
        version = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        text = lock.read_text(encoding="utf-8")
        return {
            "lock": str(lock.relative_to(ROOT) if lock.is_relative_to(ROOT) else lock),
            "python": version,
            "system": f"{platform.system()}-{platform.machine()}",
            "packages": len(re.findall(r"^[A-Za-z0-9]", text, re.M)),
            "cold_s": cold,
            "warm_s": warm,
            "venv_bytes": _size(root / "cold"),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock",
                        help="the requirements file to install (default: requirements.lock)")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter that creates the environments (default: this one)")
    args = parser.parse_args()
    print(json.dumps(measure(args.lock.resolve(), args.python)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
