"""Check a cached virtual environment against the lock before the action runs code from it.

A runner that keeps its tool cache (a self-hosted one) keeps the environment between jobs, and
a pull request's synth command runs on that runner with the runner's rights: it can edit a file
of the environment, and a later run would import that file with the job's token. So before
the environment is used, with the runner's own Python (nothing of the environment is
imported):

- its distributions are the lock's, at the lock's versions (pip and setuptools, which ``venv``
  installs, are allowed, and the lock's entries whose markers exclude this platform may be
  absent; nothing else);
- every file that a distribution's ``RECORD`` lists has the sha256 it lists;
- compiled files (``__pycache__/*.pyc``) that no RECORD gives a hash for (pip records none) are
  deleted, so that only the checked sources run;
- no other file under ``site-packages`` and ``bin`` is outside every ``RECORD`` (a ``.pth`` file or
  a ``sitecustomize.py`` there would run at start-up), except the interpreter links and the
  activation scripts that ``venv`` writes;
- ``pyvenv.cfg`` points at the runner's Python and leaves out the system's packages, and the
  interpreter links lead to that Python.

Exit status 0 when all holds; 1, with the first mismatch on one line, when it does not (the
caller rebuilds the environment). Standard library only: it runs before any dependency is
trusted.

Usage: ``python -I verify.py VENV LOCK``, run by the Python the environment was made from.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
from pathlib import Path

#: What ``python -m venv`` writes that no RECORD lists.
_VENV_BIN = re.compile(r"^(python[0-9.]*|activate(\.[a-z]+)?|Activate\.ps1)$")
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(;[^\\]*)?")
#: What ``venv`` itself installs (setuptools up to Python 3.11); their RECORDs are checked too.
_BOOTSTRAPPED = {"pip", "setuptools"}


class Mismatch(Exception):
    """The environment is not what the lock installs."""


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def locked(lock: Path) -> dict[str, tuple[str, bool]]:
    """Each locked distribution: its version, and whether a marker may leave it out."""
    found: dict[str, tuple[str, bool]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _REQUIREMENT.match(line)
        if match:
            found[_name(match.group(1))] = (match.group(2), match.group(3) is not None)
    return found


def _site_packages(venv: Path) -> Path:
    found = sorted((venv / "lib").glob("python3*/site-packages"))
    if len(found) != 1:
        raise Mismatch(f"expected one site-packages folder, found {len(found)}")
    return found[0]


def _digest(path: Path) -> str:
    with path.open("rb") as stream:
        raw = hashlib.file_digest(stream, "sha256").digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _check_record(
    site: Path, info: Path, venv: Path, recorded: set[Path], hashed: set[Path]
) -> None:
    record = info / "RECORD"
    if not record.is_file():
        raise Mismatch(f"{info.name} has no RECORD")
    for row in record.read_text(encoding="utf-8").splitlines():
        if not row.strip():
            continue
        relative, digest, _size = row.rsplit(",", 2)
        relative = relative.strip('"')
        path = Path(os.path.normpath(site / relative))
        if not path.is_relative_to(venv):
            raise Mismatch(f"{info.name}/RECORD lists a file outside the environment")
        recorded.add(path)
        if path == record or (not digest and path.suffix == ".pyc"):
            continue
        if not digest:
            raise Mismatch(f"{info.name}/RECORD lists {relative} without a hash")
        if path.is_symlink() or not path.is_file():
            raise Mismatch(f"{relative} ({info.name}) is missing or not a plain file")
        if _digest(path) != digest:
            raise Mismatch(f"{relative} ({info.name}) differs from its recorded hash")
        hashed.add(path)


def _check_interpreter(venv: Path) -> None:
    # The interpreter running this check is the runner's Python (setup.sh's, run through any
    # shim such as pyenv's): the environment's links must lead to it.
    base = Path(sys.executable).resolve()
    config = {}
    for line in (venv / "pyvenv.cfg").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        config[key.strip()] = value.strip()
    if config.get("include-system-site-packages", "false").lower() != "false":
        raise Mismatch("pyvenv.cfg includes the system's site-packages")
    home = Path(config.get("home", "/nonexistent"))
    if base.parent != home.resolve() and base not in {
        p.resolve() for p in home.glob("python3*") if p.exists()
    }:
        raise Mismatch("pyvenv.cfg's home is not the runner's Python")
    for link in (venv / "bin").iterdir():
        if link.name.startswith("python") and link.resolve() != base:
            raise Mismatch(f"bin/{link.name} does not lead to the runner's Python")


def verify(venv: Path, lock: Path) -> int:
    """Check ``venv`` (module doc); returns the number of files checked."""
    venv = venv.resolve()
    _check_interpreter(venv)
    site = _site_packages(venv)
    expected = locked(lock)
    recorded: set[Path] = set()
    hashed: set[Path] = set()
    compiled: list[Path] = []
    seen: set[str] = set()
    for info in sorted(site.glob("*.dist-info")):
        name, _, version = info.name[: -len(".dist-info")].rpartition("-")
        key = _name(name)
        if key in _BOOTSTRAPPED:
            pass
        elif key not in expected:
            raise Mismatch(f"{info.name} is not in the lock")
        elif expected[key][0] != version:
            raise Mismatch(f"{info.name}: the lock has version {expected[key][0]}")
        seen.add(key)
        _check_record(site, info, venv, recorded, hashed)
    missing = sorted(k for k, (_, optional) in expected.items() if not optional and k not in seen)
    if missing:
        raise Mismatch(f"not installed: {', '.join(missing)}")
    for top in (site, venv / "bin"):
        for folder, _dirs, files in os.walk(top):
            for file in files:
                path = Path(folder) / file
                if path.suffix == ".pyc" and path.parent.name == "__pycache__":
                    compiled.append(path)
                    continue
                if path in recorded or (top.name == "bin" and _VENV_BIN.match(file)):
                    continue
                raise Mismatch(f"{path.relative_to(venv)} belongs to no installed distribution")
    # pip records compiled files without a hash, and Python runs a .pyc whose header matches
    # its source's size and time: one without a hash on record cannot be trusted, so it goes
    # (the interpreter compiles the checked source again when it imports it).
    for path in compiled:
        if path not in hashed:
            path.unlink()
    return len(hashed)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: verify.py VENV LOCK (run by the Python the environment was made from)",
              file=sys.stderr)
        return 2
    venv, lock = (Path(a) for a in argv)
    try:
        checked = verify(venv, lock)
    except (Mismatch, OSError, ValueError, UnicodeDecodeError) as exc:
        print(exc)
        return 1
    print(f"{checked} files match their recorded hashes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
