"""Find what to analyse in a project folder: a CDK app, a Serverless service or a SAM app."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reviewer.errors import InputError

SERVERLESS_FILES = ("serverless.yml", "serverless.yaml", "serverless.json", "serverless.ts",
                    "serverless.js")
SAM_FILES = ("template.yaml", "template.yml", "template.json")


@dataclass(frozen=True)
class Project:
    """A framework project and where its synthesized templates are."""

    kind: str  # "CDK app", "Serverless Framework service", "SAM app"
    root: Path
    output: Path  # what latest-guard loads after synthesis
    synth_hint: str  # the command that produces ``output``


def detect_project(root: Path) -> Project | None:
    """The project in ``root``, recognised by cdk.json, serverless.yml or a SAM template."""
    cdk = root / "cdk.json"
    if cdk.is_file():
        return Project("CDK app", root, root / _cdk_output(cdk), "npx cdk synth")
    for name in SERVERLESS_FILES:
        if (root / name).is_file():
            return Project(
                "Serverless Framework service", root, root / ".serverless",
                "npx serverless package",
            )
    for name in SAM_FILES:
        candidate = root / name
        if candidate.is_file() and "AWS::Serverless-2016-10-31" in candidate.read_text(
            encoding="utf-8", errors="replace"
        ):
            return Project("SAM app", root, candidate, "")
    return None


def _cdk_output(cdk_json: Path) -> str:
    try:
        settings = json.loads(cdk_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(cdk_json, f"cannot be read: {exc}") from None
    output = settings.get("output") if isinstance(settings, dict) else None
    return output if isinstance(output, str) and output else "cdk.out"


def require_output(project: Project, synthesized: bool) -> Path:
    """The project's output, or an error that says how to produce it."""
    if project.output.exists():
        return project.output
    if synthesized:
        raise InputError(project.output, f"the synth command did not produce it ({project.kind})")
    raise InputError(
        project.output,
        f"not found: this is a {project.kind}; synthesize it first or pass "
        f"--synth '{project.synth_hint}'",
    )
