"""The phase-one change of a pull request, built and checked on the runner before it is sent.

A two-phase finding's fix carries ``phase_one``: the alias wiring as line edits of the
baseline file, with the function left as it is. For ``phase-one: pull-request`` this module
makes the branch's content from those edits, locally:

1. It takes the unsuppressed two-phase findings whose fix edits a plain CloudFormation or SAM
   template at the git baseline. A CDK app's or a Serverless service's phase one is a change
   of its source, which the comment gives as code to write: the run says so and makes none.
2. In a temporary work tree of the base commit it applies every such finding's phase-one
   edits to its file (edits shared by two findings of one function count once; a finding
   whose edits overlap another's waits for the next run, and the run says so).
3. It runs ``latest-guard check`` there, the branch's content against the base commit, with
   the same options as the check of the pull request: the change is sent only when no rule
   that judges a change (LG001 first) finds anything in it.

Nothing here talks to a host; ``words`` says what the pull request says, and
``reviewer.github.phase_one`` writes it to GitHub.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from reviewer.commands.phase_one.change import PhaseOneChange
from reviewer.contract.enums import Framework, RuleScope
from reviewer.contract.findings import Edit, Finding
from reviewer.contract.paths import at_revision
from reviewer.contract.wording import joined
from reviewer.errors import InputError
from reviewer.review.proposal import ProposedFile

if TYPE_CHECKING:
    from reviewer.commands.check import CheckOptions
    from reviewer.contract.report import Report
    from reviewer.sources.git.revision import BaseRevision

#: Frameworks whose phase one is an edit of a template file that can be committed as it is.
FILE_FRAMEWORKS = (Framework.CLOUDFORMATION, Framework.SAM)
#: Regular files (a symbolic link's target is another file: it is not edited through it).
_FILE_MODES = ("100644", "100755")
_CRLF = re.compile(r"(?<!\r)\n")


@dataclass(frozen=True)
class PhaseOnePlan:
    """The change to send (None: nothing to send) and what the run says about it, one line
    each (for the log)."""

    change: PhaseOneChange | None
    said: tuple[str, ...] = ()


class _Built(NamedTuple):
    """The files of a checked phase one, the findings it serves, and how it was checked."""

    files: tuple[ProposedFile, ...]
    findings: tuple[Finding, ...]
    checked: str


def plan_phase_one(
    report: Report,
    options: CheckOptions,
    *,
    base_branch: str,
    progress: TextIO,
    base_tip: str | None = None,
) -> PhaseOnePlan:
    """The phase-one change for ``report`` (see the module doc), checked against the base.
    ``base_tip`` is the base branch's commit now, when known: the pull request says when it
    has moved on from the commit the change is built on."""
    findings = [f for f in report.findings if f.needs_two_deployments]
    if not findings:
        return PhaseOnePlan(None)
    ref = options.baseline_ref
    if not ref:
        return PhaseOnePlan(None, (
            "phase-one: pull-request needs baseline: git (the branch starts at the base "
            "commit): the comment gives the phase-one change instead",
        ))
    said: list[str] = []
    files: list[Finding] = []
    for finding in findings:
        reason = _not_a_file_change(finding)
        if reason:
            said.append(reason)
        else:
            files.append(finding)
    if not files:
        return PhaseOnePlan(None, tuple(dict.fromkeys(said)))
    from reviewer.sources.git.revision import BaseRevision

    revision = BaseRevision(ref, options.working_directory.resolve())
    base = revision.commit
    # The report names the base's files after the ref as the check was given it.
    built = _build(
        files, replace(options, baseline_ref=base), BaseRevision(base, revision.root),
        revision.label, said, progress,
    )
    change = None if built is None else PhaseOneChange(
        base_commit=base,
        base_branch=base_branch,
        files=built.files,
        findings=built.findings,
        checked=built.checked,
        base_moved_on=base_tip is not None and base_tip != base,
    )
    return PhaseOnePlan(change, tuple(dict.fromkeys(said)))


def _not_a_file_change(finding: Finding) -> str:
    """Why the finding's phase one is not a file the branch can hold ("" when it is)."""
    fix = finding.fix
    assert fix is not None
    name = finding.resource
    if fix.framework not in FILE_FRAMEWORKS:
        source = (
            "the CDK app's source" if fix.framework is Framework.CDK
            else "serverless.yml" if fix.framework is Framework.SERVERLESS else "the source"
        )
        return (
            f"phase one of {name} is a change of {source}: its comment gives the code to write; "
            "no phase-one pull request is made for it"
        )
    if fix.phase_one is None or not fix.phase_one.edits:
        return (
            f"phase one of {name}: the deployed template is not a file latest-guard can edit "
            "here; no phase-one pull request is made for it"
        )
    return ""


def _build(  # noqa: PLR0917
    findings: Sequence[Finding],
    options: CheckOptions,
    pinned: BaseRevision,
    label: str,
    said: list[str],
    progress: TextIO,
) -> _Built | None:
    """Apply the findings' phase-one edits in a work tree of the base commit (``pinned``, by
    its commit id) and check it."""
    merged, included = _merged(findings, pinned.root, pinned.ref, label, said)
    if not merged:
        return None
    with pinned:
        tree = pinned.tree
        for path, (_, content) in merged.items():
            (tree / path).write_bytes(content)
        workdir = pinned.paths([options.working_directory])[0]
        progress.write(f"latest-guard: phase one: checking it against base {label}\n")
        problems = _check(options, workdir, tree)
    names = joined(list(dict.fromkeys(f.resource for f in included)))
    if problems:
        said.append(
            f"no phase-one pull request: checked against base {label}, the phase-one change "
            f"of {names} still has {problems}"
        )
        return None
    keep = "keeps its" if len({f.resource for f in included}) == 1 else "keep their"
    checked = (
        f"`latest-guard check` of this branch against `{label}` finds nothing: no rule that "
        f"judges a change fires; {names} {keep} code and configuration."
    )
    files = tuple(
        ProposedFile(path, mode, content.decode("utf-8"))
        for path, (mode, content) in merged.items()
    )
    return _Built(files, tuple(included), checked)


def _merged(
    findings: Sequence[Finding], root: Path, base: str, label: str, said: list[str]
) -> tuple[dict[str, tuple[str, bytes]], list[Finding]]:
    """Each file's mode and content with the phase-one edits of as many findings as fit
    without overlap, and those findings (``said`` gets one line per finding left out).

    The file is read as git stores it at ``base`` (no end-of-line conversion); inserted lines
    take its line ending.
    """
    from reviewer.fixes.edit.textedit import apply_line_edits
    from reviewer.sources.git.blob import read_blob

    edits: dict[str, list[Edit]] = {}
    stored: dict[str, tuple[str, bytes]] = {}
    included: list[Finding] = []
    for finding in findings:
        change = finding.fix.phase_one if finding.fix is not None else None
        assert change is not None
        path = at_revision(change.path, label)
        blob = read_blob(root, base, path) if path is not None else None
        if path is None or blob is None or blob[0] not in _FILE_MODES:
            said.append(f"phase one of {finding.resource}: {change.path} is not a file of the "
                        f"base commit {label}; no phase-one pull request is made for it")
            continue
        stored[path] = blob
        mine = edits.setdefault(path, [])
        added = [e for e in change.edits if e not in mine]
        if not _disjoint([*mine, *added]):
            said.append(
                f"phase one of {finding.resource} overlaps another function's in {path}: it "
                "is left for the next run, once this phase one is merged"
            )
            continue
        mine.extend(added)
        included.append(finding)
    out: dict[str, tuple[str, bytes]] = {}
    for path, changes in edits.items():
        mode, raw = stored[path]
        if not changes:
            continue
        bom = raw.startswith(codecs.BOM_UTF8)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            said.append(f"no phase-one change of {path}: it is not UTF-8 text at {label}")
            included = [f for f in included if _path_of(f, label) != path]
            continue
        patched = apply_line_edits(text, changes)
        if "\r\n" in text and text.count("\r\n") == text.count("\n"):
            patched = _CRLF.sub("\r\n", patched)  # the file's own line ending
        out[path] = (mode, (codecs.BOM_UTF8 if bom else b"") + patched.encode("utf-8"))
    return out, included


def _path_of(finding: Finding, label: str) -> str | None:
    change = finding.fix.phase_one if finding.fix is not None else None
    return at_revision(change.path, label) if change is not None else None


def _disjoint(edits: Sequence[Edit]) -> bool:
    """No two edits touch the same line (an insertion repeats, so touches, its anchor)."""
    ordered = sorted(edits, key=lambda e: (e.start_line, e.end_line))
    return all(a.end_line < b.start_line for a, b in itertools.pairwise(ordered))


def _check(options: CheckOptions, workdir: Path, tree: Path) -> str:
    """Run the check of the phase-one work tree against the base commit: the change-rule
    findings in words ("" when there are none)."""
    from reviewer.commands.check import run_check

    quiet = io.StringIO()  # the nested check's progress repeats the main check's
    checked = replace(
        options, working_directory=workdir, baselines=(), baseline_stacks=(),
        change_set=False, verify_fixes=False,
    )
    try:
        report = run_check(checked, quiet)
    except InputError as exc:
        where = str(exc).replace(f"{tree}{os.sep}", "").replace(str(tree), "the work tree")
        return f"a check that stops: {where}"
    scope = {rule.id: rule.scope for rule in report.rules}
    found = [
        f"{f.rule} on {f.resource}" for f in report.findings
        if not f.suppressed and scope.get(f.rule, RuleScope.CHANGE) is RuleScope.CHANGE
    ]
    return ", ".join(dict.fromkeys(found))
