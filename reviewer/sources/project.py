"""Find what to analyse in a project folder: a CDK app, a Serverless service or a SAM app.

A SAM app is analysed from its template; after a synth command that ran ``sam build``, from
the template that ``sam build`` writes (``.aws-sam/build/template.yaml``), whose ``CodeUri``
names the built code: the code the functions run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reviewer.errors import InputError

SERVERLESS_FILES = ("serverless.yml", "serverless.yaml", "serverless.json", "serverless.ts",
                    "serverless.js")
SAM_FILES = ("template.yaml", "template.yml", "template.json")
#: Where ``sam build`` writes the template of the built app (its default build folder).
SAM_BUILD_TEMPLATE = Path(".aws-sam") / "build" / "template.yaml"


@dataclass(frozen=True)
class Project:
    """A framework project and where its synthesized templates are."""

    kind: str  # "CDK app", "Serverless Framework service", "SAM app"
    root: Path
    output: Path  # what latest-guard loads after synthesis
    synth_hint: str  # the command that produces ``output``
    #: What the synth command writes when it builds (``sam build``), read instead of
    #: ``output`` when a synth command ran and wrote it.
    built: Path | None = None


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
            return Project("SAM app", root, candidate, "sam build", root / SAM_BUILD_TEMPLATE)
    return None


def _cdk_output(cdk_json: Path) -> str:
    try:
        settings = json.loads(cdk_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(cdk_json, f"cannot be read: {exc}") from None
    output = settings.get("output") if isinstance(settings, dict) else None
    return output if isinstance(output, str) and output else "cdk.out"


def require_output(project: Project, synthesized: bool, since: float | None = None) -> Path:
    """The project's output, or an error that says how to produce it.

    After a synth command (``synthesized``, started at ``since``, a ``time.time()``), what it
    built (``built``) when it wrote it then: an older build is not what the command made.
    """
    built = project.built
    if synthesized and built is not None and built.is_file() and _written_since(built, since):
        return built
    if project.output.exists():
        return project.output
    if synthesized:
        raise InputError(project.output, f"the synth command did not produce it ({project.kind})")
    raise InputError(
        project.output,
        f"not found: this is a {project.kind}; synthesize it first or pass "
        f"--synth '{project.synth_hint}'",
    )


def _written_since(path: Path, since: float | None) -> bool:
    """Whether ``path`` was written at ``since`` or later (2 s early: coarse file clocks)."""
    return since is None or path.stat().st_mtime >= since - 2
