"""Build the Lambda package of the CloudFormation hook: ``python3 hook/build.py``.

Writes ``hook/build/package/`` (what the function runs: the locked dependencies the hook needs
and ``reviewer/``) and ``hook/build/latest-guard-hook.zip`` (that folder zipped, the code that
``hook/template.yaml`` deploys). Standard library only, so any Python 3.11+ with pip runs it.

- Dependencies come from ``requirements.lock`` alone, hashes required, installed as wheels for
  the function's platform (``--platform manylinux2014_aarch64 --only-binary=:all:
  --python-version 3.14``): the machine that builds needs no compiler and no arm64.
- Only what the hook imports: the lock's packages that the project's dependencies other than
  PyGithub need (read from the lock's ``# via`` lines). PyGithub and what only it needs
  (requests, PyJWT, PyNaCl, cryptography, cffi, ...) publish to GitHub, which a hook never does.
- boto3 and botocore are bundled at the locked versions rather than taken from the Lambda
  runtime: the runtime's SDK is whatever version AWS ships and changes without notice, and the
  package stays far under Lambda's limits with it (the README gives the sizes).
- ``reviewer/`` is copied without ``__pycache__`` and compiled files; dependencies are
  installed without them too (``--no-compile``), and the scripts pip writes into ``bin/``
  (whose first line names the building interpreter) are left out.
- The zip is reproducible: file entries only, sorted, every timestamp 1980-01-01 00:00, mode
  0644, deflate at level 9. The same lock and sources give the same bytes.
"""

from __future__ import annotations

import argparse
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
DEFAULT_OUT = ROOT / "hook" / "build"
ZIP_NAME = "latest-guard-hook.zip"
#: The function's runtime (``hook/template.yaml`` says ``python3.14``, ``arm64``).
PYTHON_VERSION = "3.14"
PLATFORM = "manylinux2014_aarch64"
#: The project's dependencies that the hook does not need: the GitHub publisher's.
NOT_NEEDED = frozenset({"pygithub"})
PROJECT = "latest-guard"
#: 1980-01-01 00:00:00, the earliest time a zip entry can hold.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==")
#: ``# via NAME`` or, under a bare ``# via``, ``#   NAME`` (``#   -c ...`` names a constraint).
_VIA = re.compile(r"^#\s+(?:via\s+)?([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries(text: str) -> dict[str, tuple[str, set[str]]]:
    """Each locked package: its requirement lines (with hashes) and who needs it (``# via``).

    A package may appear once per environment marker (cryptography does); its blocks are
    kept together under its name.
    """
    entries: dict[str, tuple[list[str], set[str]]] = {}
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        match = _NAME.match(line)
        if match:
            current = normalize(match.group(1))
            entries.setdefault(current, ([], set()))[0].append(line)
        elif current is not None and stripped.startswith("--hash"):
            entries[current][0].append(line)
        elif current is not None and stripped.startswith("#"):
            via = _VIA.match(stripped)
            if via and stripped != "# via":
                parent = via.group(1)
                entries[current][1].add(PROJECT if parent == PROJECT else normalize(parent))
    return {name: ("\n".join(lines), parents) for name, (lines, parents) in entries.items()}


def needed(entries: dict[str, tuple[str, set[str]]], drop: Iterable[str]) -> list[str]:
    """The packages reachable from the project's dependencies, less ``drop``, sorted."""
    dropped = {normalize(name) for name in drop}
    keep = {PROJECT}
    grown = True
    while grown:
        grown = False
        for name, (_, parents) in entries.items():
            if name not in keep and name not in dropped and parents & keep:
                keep.add(name)
                grown = True
    return sorted(keep - {PROJECT})


def requirements(lock_text: str, drop: Iterable[str] = NOT_NEEDED) -> str:
    """The lock's requirement blocks (hashes kept) of the packages the hook needs."""
    entries = lock_entries(lock_text)
    return "\n".join(entries[name][0] for name in needed(entries, drop)) + "\n"


def install(
    requirement_file: Path,
    target: Path,
    pip: Sequence[str],
    platform: str = PLATFORM,
    python_version: str = PYTHON_VERSION,
) -> None:
    """Install the locked wheels for ``platform`` and ``python_version`` into ``target``."""
    command = [
        *pip,
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--require-hashes",
        "--no-deps",
        "--no-compile",
        "--only-binary=:all:",
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--target",
        str(target),
        "-r",
        str(requirement_file),
    ]
    status = subprocess.run(command, check=False).returncode
    if status != 0:
        raise SystemExit(f"hook/build.py: pip install exited {status} (its output is above)")
    drop_scripts(target)


def drop_scripts(target: Path) -> None:
    """Remove the console scripts pip wrote into ``bin/``, and their lines in ``RECORD``.

    A script's first line names the interpreter that built the package (a path on the
    building machine, not in Lambda), and ``RECORD`` holds its hash: both would make the
    package differ from one machine to the next. The hook runs no script.
    """
    shutil.rmtree(target / "bin", ignore_errors=True)
    for record in sorted(target.glob("*.dist-info/RECORD")):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith("../../bin/")]
        if kept != lines:
            record.write_text("".join(kept), encoding="utf-8")


def copy_reviewer(target: Path) -> None:
    """Copy the ``reviewer`` package without compiled files and caches."""
    shutil.copytree(
        ROOT / "reviewer",
        target / "reviewer",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"),
    )


def write_zip(folder: Path, archive: Path) -> None:
    """Zip ``folder`` reproducibly: sorted entries, fixed times and modes."""
    files = sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    partial = archive.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for name in files:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the mode below is read
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zipped.writestr(info, (folder / name).read_bytes(), compresslevel=9)
    partial.replace(archive)


def build(
    out: Path,
    pip: Sequence[str],
    platform: str = PLATFORM,
    python_version: str = PYTHON_VERSION,
    lock: Path = LOCK,
) -> Path:
    """Build ``out/package`` and ``out/latest-guard-hook.zip``; return the zip's path."""
    out.mkdir(parents=True, exist_ok=True)
    package = out / "package"
    shutil.rmtree(package, ignore_errors=True)
    package.mkdir()
    with tempfile.TemporaryDirectory() as scratch:
        requirement_file = Path(scratch) / "requirements.txt"
        requirement_file.write_text(requirements(lock.read_text(encoding="utf-8")), "utf-8")
        install(requirement_file, package, pip, platform, python_version)
    copy_reviewer(package)
    archive = out / ZIP_NAME
    write_zip(package, archive)
    return archive


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUT, help="folder to write (default: hook/build)"
    )
    parser.add_argument(
        "--pip",
        default=f"{sys.executable} -m pip",
        help="the pip command to run (default: this interpreter's pip)",
    )
    parser.add_argument(
        "--platform",
        default=PLATFORM,
        help=f"wheel platform (default: {PLATFORM}, the function's; another one builds a copy"
        " that runs elsewhere, e.g. manylinux2014_x86_64 to try the handler on a PC)",
    )
    parser.add_argument(
        "--python-version",
        default=PYTHON_VERSION,
        help=f"Python version the wheels are for (default: {PYTHON_VERSION}, the function's)",
    )
    args = parser.parse_args(argv)
    archive = build(args.output.resolve(), args.pip.split(), args.platform, args.python_version)
    print(f"{archive} ({archive.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
