"""A cached environment is checked against the lock before the action runs code from it.

``action/verify.py`` is run here on small environments laid out as ``venv`` and pip leave them
(a ``pyvenv.cfg``, interpreter links, distributions with their ``RECORD``). The end-to-end
case (a tool cache edited by a pull request's code) is in ``test_action_workflows.py``.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERIFY = ROOT / "action" / "verify.py"
BASE = Path(sys.executable).resolve()


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _distribution(site: Path, name: str, version: str, files: dict[str, str]) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    rows = []
    for relative, text in {**files, f"{info.name}/METADATA": f"Name: {name}\n"}.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text, encoding="utf-8")
        rows.append(f"{relative},{_hash(text.encode())},{len(text)}")
    rows.append(f"{name}/__pycache__/__init__.cpython-311.pyc,,")
    rows.append(f"{info.name}/RECORD,,")
    (info / "RECORD").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (site / name / "__pycache__").mkdir(exist_ok=True)
    (site / name / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"compiled")


def _environment(tmp: Path) -> tuple[Path, Path]:
    venv = tmp / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (venv / "bin").mkdir()
    (venv / "bin" / "python").symlink_to(BASE)
    (venv / "bin" / "activate").write_text("# venv's own\n", encoding="utf-8")
    (venv / "pyvenv.cfg").write_text(
        f"home = {BASE.parent}\ninclude-system-site-packages = false\n", encoding="utf-8"
    )
    _distribution(site, "pyyaml", "6.0.4", {"pyyaml/__init__.py": "VERSION = 1\n"})
    _distribution(site, "pip", "24.0", {"pip/__init__.py": "\n"})
    lock = tmp / "requirements.lock"
    lock.write_text(
        "pyyaml==6.0.4 \\\n    --hash=sha256:00\n"
        "colorama==0.4.6 ; sys_platform == 'win32' \\\n    --hash=sha256:00\n",
        encoding="utf-8",
    )
    return venv, lock


def _verify(venv: Path, lock: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BASE), "-I", str(VERIFY), str(venv), str(lock)],
        capture_output=True, text=True, check=False, timeout=60,
    )


def test_an_environment_as_the_lock_installs_it_is_trusted(tmp_path: Path) -> None:
    venv, lock = _environment(tmp_path)
    done = _verify(venv, lock)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "files match their recorded hashes" in done.stdout
    site = venv / "lib" / "python3.11" / "site-packages"
    assert not list(site.rglob("*.pyc")), "compiled files without a recorded hash are removed"


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        (lambda s: (s / "pyyaml/__init__.py").write_text("import os\n"),
         "differs from its recorded"),
        (lambda s: (s / "evil.pth").write_text("import os\n"), "evil.pth belongs to no"),
        (lambda s: (s / "sitecustomize.py").write_text("\n"), "sitecustomize.py belongs to no"),
        (lambda s: (s / "pyyaml/__init__.py").unlink(), "missing"),
        (lambda s: shutil.rmtree(s / "pyyaml-6.0.4.dist-info"), "not installed: pyyaml"),
        (lambda s: _distribution(s, "extra", "1.0", {"extra/__init__.py": "\n"}),
         "extra-1.0.dist-info is not in the lock"),
        (lambda s: (s / "pyyaml-6.0.4.dist-info").rename(s / "pyyaml-6.0.3.dist-info"),
         "the lock has version 6.0.4"),
        (lambda s: (s.parents[2] / "pyvenv.cfg").write_text(
            "home = /usr/bin\ninclude-system-site-packages = true\n"), "system's site-packages"),
        (lambda s: (s.parents[2] / "bin" / "run-me").write_text("#!/bin/sh\n"),
         "bin/run-me belongs to no"),
    ],
)
def test_an_edited_environment_is_named_as_not_matching(
    tmp_path: Path, tamper: object, said: str
) -> None:
    venv, lock = _environment(tmp_path)
    tamper(venv / "lib" / "python3.11" / "site-packages")  # type: ignore[operator]
    done = _verify(venv, lock)
    assert done.returncode == 1
    assert said in done.stdout, done.stdout
    assert len(done.stdout.strip().splitlines()) == 1 and "Traceback" not in done.stderr
