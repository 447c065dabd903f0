"""requirements.lock: the hash-checked dependencies of the action and of the image.

The action installs them on the user's runner, whatever its system, and imports the package
from its own folder; the image installs them the same way. So the lock must agree with
pyproject.toml, pin and hash everything, hold nothing that only the tests need, choose one
version of each package on every supported system, and install and run in a clean virtual
environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
COMMAND = (
    "uv pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 "
    "-o requirements.lock"
)
PROJECT = "latest-guard (pyproject.toml)"
SHA256 = re.compile(r"--hash=sha256:([0-9a-f]{64})")
VIA = re.compile(r"^#\s*(?:via\b)?\s*(.*)$")

#: The systems the action supports, as (sys_platform, platform_machine, uv's target name).
SYSTEMS = [
    ("linux", "x86_64", "x86_64-unknown-linux-gnu"),
    ("linux", "aarch64", "aarch64-unknown-linux-gnu"),
    ("darwin", "x86_64", "x86_64-apple-darwin"),
    ("darwin", "arm64", "aarch64-apple-darwin"),
    ("win32", "AMD64", "x86_64-pc-windows-msvc"),
    ("win32", "ARM64", "aarch64-pc-windows-msvc"),
]
PYTHONS = ["3.11", "3.12", "3.13"]
#: No release of these has a wheel for this system: pip builds them from the hashed sdist
#: (PyYAML falls back to its pure-Python form).
NO_WHEEL = {("aarch64-pc-windows-msvc", "3.11"): {"pyyaml"}}


@dataclass
class Pin:
    requirement: Requirement
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)


def _pins() -> list[Pin]:
    """The entries of the lock: requirement, its hashes and its ``# via`` annotations."""
    pins: list[Pin] = []
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        text = line.strip().removesuffix("\\").strip()
        if not line.startswith((" ", "#")) and text:
            pins.append(Pin(Requirement(text)))
        elif text.startswith("--hash="):
            pins[-1].hashes += SHA256.findall(text)
        elif pins and line.startswith(" ") and (via := VIA.match(text)) and via.group(1):
            pins[-1].via.append(via.group(1))
    return pins


def _pyproject() -> dict[str, object]:
    loaded: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return loaded


def _dependencies(*path: str) -> list[Requirement]:
    node: object = _pyproject()["project"]
    for key in path:
        assert isinstance(node, dict)
        node = node[key]
    assert isinstance(node, list)
    return [Requirement(str(item)) for item in node]


def _environment(sys_platform: str, machine: str, python: str) -> dict[str, str]:
    environment = dict(default_environment())
    environment.update(
        sys_platform=sys_platform,
        platform_machine=machine,
        platform_system={"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}[sys_platform],
        os_name="nt" if sys_platform == "win32" else "posix",
        python_version=python,
        python_full_version=f"{python}.0",
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )
    return environment


def test_the_header_says_how_to_regenerate_the_lock() -> None:
    header = LOCK.read_text(encoding="utf-8").split("\n", 2)[:2]
    assert any(line.lstrip("# ").strip() == COMMAND for line in header), header


def test_every_pin_is_exact_and_hashed() -> None:
    pins = _pins()
    assert len(pins) > 10
    for pin in pins:
        (specifier,) = pin.requirement.specifier
        assert specifier.operator == "==" and "*" not in specifier.version, pin.requirement
        assert pin.hashes, f"{pin.requirement} has no --hash=sha256:"
        assert not pin.requirement.extras and pin.requirement.url is None, pin.requirement


def test_every_runtime_dependency_is_pinned_within_pyprojects_range() -> None:
    pins = _pins()
    for dependency in _dependencies("dependencies"):
        matching = [p for p in pins if p.name == canonicalize_name(dependency.name)]
        assert matching, f"{dependency.name} is not in requirements.lock: run {COMMAND}"
        for pin in matching:
            (specifier,) = pin.requirement.specifier
            assert dependency.specifier.contains(specifier.version, prereleases=True), (
                f"{pin.requirement} is outside pyproject's {dependency}: run {COMMAND}"
            )
            assert PROJECT in pin.via


def test_nothing_only_the_tests_need_is_locked() -> None:
    pins = _pins()
    locked = {p.name for p in pins}
    for name in ("pytest", "moto", "cfn-lint", "hypothesis", "mypy", "ruff", "uv"):
        assert name not in locked
    runtime = {canonicalize_name(d.name) for d in _dependencies("dependencies")}
    for dependency in _dependencies("optional-dependencies", "test"):
        name = canonicalize_name(dependency.name)
        if name in runtime or name not in locked:
            continue
        # Allowed only when a locked package needs it too (jsonschema for aws-sam-translator).
        needed_by = {v for p in pins if p.name == name for v in p.via} - {PROJECT}
        assert needed_by & locked, f"{name} is in requirements.lock only for the tests"


def test_every_locked_package_is_needed_by_the_project_or_another_locked_one() -> None:
    pins = _pins()
    locked = {p.name for p in pins}
    for pin in pins:
        needed_by = {v for v in pin.via if not v.startswith("-c ")}  # [tool.uv] constraints
        assert needed_by, pin.requirement
        assert needed_by <= locked | {PROJECT}, f"{pin.requirement} via {pin.via}"


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize(("sys_platform", "machine"), [s[:2] for s in SYSTEMS])
def test_one_version_of_each_package_applies_on_every_system(
    sys_platform: str, machine: str, python: str
) -> None:
    environment = _environment(sys_platform, machine, python)
    chosen: dict[str, list[str]] = {}
    for pin in _pins():
        marker = pin.requirement.marker
        if marker is None or marker.evaluate(environment):
            chosen.setdefault(pin.name, []).append(str(pin.requirement.specifier))
    assert {name: v for name, v in chosen.items() if len(v) > 1} == {}
    for dependency in _dependencies("dependencies"):
        assert canonicalize_name(dependency.name) in chosen


def _uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.is_file() else shutil.which("uv")
    if found is None:
        pytest.skip("uv is not installed (pip install uv)")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("target", [s[2] for s in SYSTEMS])
def test_the_lock_installs_from_wheels_on_every_system(target: str, python: str) -> None:
    """uv resolves the lock for one system without building anything (it reads PyPI)."""
    from_sdist = NO_WHEEL.get((target, python), set())
    names = sorted({p.name for p in _pins()} - from_sdist)
    binary = ":all:" if not from_sdist else ",".join(names)
    done = subprocess.run(
        # --python: this interpreter resolves for the target version, none is looked for.
        [_uv(), "pip", "compile", str(LOCK), "--python", sys.executable, "--python-platform",
         target, "--python-version", python, "--only-binary", binary, "--no-header",
         "--no-annotate", "--quiet"],
        capture_output=True, text=True, check=False, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr


def _venv_python(target: Path) -> Path:
    return target / ("Scripts" if os.name == "nt" else "bin") / "python"


@pytest.mark.slow
def test_the_lock_installs_and_runs_the_cli_in_a_clean_venv(tmp_path: Path) -> None:
    """What the action does on a runner: a fresh venv, the hash-checked lock, no package
    install; the package is imported from the repository folder through PYTHONPATH."""
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = str(_venv_python(target))
    for words in (
        ["pip", "install", "--require-hashes", "--no-deps", "-r", str(LOCK)],
        ["pip", "check"],
    ):
        done = subprocess.run([python, "-m", *words], capture_output=True, text=True,
                              check=False, timeout=600)
        assert done.returncode == 0, f"{' '.join(words)}\n{done.stdout}\n{done.stderr}"
    fixture = ROOT / "tests" / "fixtures" / "arm64-layer"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environment["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [python, "-P", "-m", "reviewer.cli", "check", "--template",
         str(fixture / "template.yaml"), "--baseline", str(fixture / "baseline.yaml")],
        capture_output=True, text=True, check=False, cwd=tmp_path, env=environment,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "LG001 error   OrdersFn" in done.stdout
    probe = (
        "import importlib.util, boto3, github, samtranslator, yaml, reviewer.commands.action\n"
        "assert importlib.util.find_spec('cfnlint') is None, 'cfn-lint is installed'\n"
        f"assert reviewer.__file__.startswith({str(ROOT)!r}), reviewer.__file__\n"
    )
    done = subprocess.run([python, "-P", "-c", probe], capture_output=True, text=True,
                          check=False, cwd=tmp_path, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
