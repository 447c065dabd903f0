"""Run ``latest-guard check --baseline-ref`` over the real history of a repository.

For every commit that touches a template, or a code folder the template points at, the
commit is checked out into a temporary detached work tree and

    python -P -m reviewer.cli check --template PATH --baseline-ref PARENT --format json

runs inside it, with ``PYTHONPATH`` set to the latest-guard checkout named by
``--latest-guard``: the same sweep runs the code "before" and "after" a change by pointing at
two checkouts (``git worktree add /tmp/lg-before REV``). One JSON line is written per
(commit, template) pair, and the figures are printed at the end::

    python scripts/history_sweep.py /tmp/history/sdlf --latest-guard /tmp/lg-before \\
        --limit 300 --jobs 2 --output /tmp/history/before.jsonl

Templates are the ``--template`` paths (relative to the repository), or else every
``template.yaml``, ``template.yml`` and ``*.template.json`` that git has ever tracked there and
whose text reads like a CloudFormation template (a ``Resources`` section). A template's code
folders are the local ``CodeUri``, ``ContentUri``, ``DefinitionUri``, ``Code``, ``Location``
and ``TemplateURL`` paths found in any of its versions. The parent is the first parent; root
commits are skipped. ``--limit`` keeps the newest pairs (by committer date).

Each line holds the commit, its parent, the template, the exit code (``null`` on a timeout or
when the work tree could not be made), the findings (rule, resource, severity, first line of
the message, the changed code and configuration properties), the stacks (status, changed
functions, notes), the first and last lines of standard error and the seconds taken.
``--figures FILE`` prints the figures of an existing JSON Lines file without running
anything. Progress goes to standard error; nothing outside the temporary folders is written
except ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

#: Variables that would point git (ours, and the one latest-guard runs) at another repository.
_GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR")

_TEMPLATE_NAMES = ("template.yaml", "template.yml")
_TEMPLATE_SUFFIX = ".template.json"

#: Properties whose plain string value can be a local path the template reads.
_PATH_KEYS = "CodeUri|ContentUri|DefinitionUri|Code|Location|TemplateURL"
_YAML_PATH = re.compile(
    rf"^[ \t]*-?[ \t]*(?:{_PATH_KEYS})[ \t]*:[ \t]*['\"]?([^'\"\s#{{}}\[\]]+)", re.M
)
_JSON_PATH = re.compile(rf"\"(?:{_PATH_KEYS})\"\s*:\s*\"([^\"]+)\"")
_RESOURCES = re.compile(r"^Resources\s*:|\"Resources\"\s*:", re.M)


@dataclass(frozen=True)
class Pair:
    """One check: ``template`` at ``commit`` against the same path at ``parent``."""

    commit: str
    parent: str
    template: str
    timestamp: int
    subject: str


@dataclass
class Figures:
    """What the sweep counts."""

    pairs: int = 0
    exits: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    severities: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    pairs_with_findings: int = 0
    seconds: float = 0.0

    def add(self, record: dict[str, Any]) -> None:
        """Count one JSON line."""
        self.pairs += 1
        self.exits[str(record.get("exit"))] += 1
        findings = record.get("findings") or []
        if findings:
            self.pairs_with_findings += 1
        for finding in findings:
            self.rules[f"{finding['rule']} {finding.get('name', '')}".strip()] += 1
            self.severities[f"{finding['rule']} {finding['severity']}"] += 1
        for stack in record.get("stacks") or []:
            self.statuses[stack.get("status", "?")] += 1
        self.seconds += float(record.get("seconds") or 0.0)

    def write(self, out: TextIO, elapsed: float | None = None) -> None:
        """Print the figures as plain lines."""
        out.write(f"pairs: {self.pairs}\n")
        exits = ", ".join(f"exit {k}: {v}" for k, v in sorted(self.exits.items()))
        out.write(f"exits: {exits or 'none'}\n")
        out.write(f"pairs with findings: {self.pairs_with_findings}\n")
        out.write(f"findings: {sum(self.rules.values())}\n")
        for rule, count in sorted(self.rules.items()):
            out.write(f"  {rule}: {count}\n")
        for key, count in sorted(self.severities.items()):
            out.write(f"    {key}: {count}\n")
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        out.write(f"stacks: {statuses or 'none'}\n")
        out.write(f"check seconds (sum): {self.seconds:.1f}\n")
        if elapsed is not None:
            out.write(f"elapsed: {elapsed:.1f} s\n")


def git_env() -> dict[str, str]:
    """The environment without variables that point git elsewhere; LFS content not fetched."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION}
    env["GIT_LFS_SKIP_SMUDGE"] = "1"
    return env


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Run git in ``repo`` without hooks; its standard output."""
    result = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "-C", str(repo), *args],
        capture_output=True, text=True, check=False, env=git_env(), stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {first_line(result.stderr)}")
    return result.stdout


def first_line(text: str) -> str:
    """The first non-empty line of ``text`` (empty when there is none)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def last_line(text: str) -> str:
    """The last non-empty line of ``text`` (empty when there is none)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def is_template_name(path: str) -> bool:
    """Whether the file name is one the sweep looks for."""
    name = PurePosixPath(path).name
    return name in _TEMPLATE_NAMES or name.endswith(_TEMPLATE_SUFFIX)


def find_templates(repo: Path, rev: str) -> list[str]:
    """Every template path git has tracked up to ``rev`` that reads like CloudFormation."""
    names = git(repo, "log", "--format=", "--name-only", "--diff-filter=ACMR", rev).split("\n")
    found: list[str] = []
    for path in sorted({n.strip() for n in names if n.strip() and is_template_name(n.strip())}):
        # The newest commit that adds or edits it (the newest touching it may delete it).
        last = git(repo, "log", "-1", "--format=%H", "--diff-filter=ACMR", rev, "--", path)
        last = last.strip()
        text = show(repo, last, path) if last else None
        if text is not None and _RESOURCES.search(text):
            found.append(path)
    return found


def show(repo: Path, commit: str, path: str) -> str | None:
    """The text of ``path`` at ``commit``, or None when it is not there."""
    result = subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:{path}"],
        capture_output=True, check=False, env=git_env(), stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", errors="replace")


def local_paths(text: str, template: str) -> set[str]:
    """The repository paths of local code and nested templates named in ``text``."""
    base = PurePosixPath(template).parent
    out: set[str] = set()
    for value in [*_YAML_PATH.findall(text), *_JSON_PATH.findall(text)]:
        if "://" in value or value.startswith(("$", "!", "arn:")):
            continue
        parts: list[str] = []
        for part in (base / value).parts:
            if part == "..":
                if not parts:
                    break
                parts.pop()
            elif part not in (".", ""):
                parts.append(part)
        else:
            out.add("/".join(parts) or ".")
    return out


def code_folders(repo: Path, rev: str, template: str) -> list[str]:
    """The local paths any version of ``template`` up to ``rev`` names (see module doc)."""
    commits = git(repo, "log", "--format=%H", rev, "--", template).split()
    paths: set[str] = set()
    for commit in commits:
        text = show(repo, commit, template)
        if text is not None:
            paths |= local_paths(text, template)
    paths.discard(template)
    return sorted(paths)


def pairs_for(repo: Path, rev: str, template: str, folders: Sequence[str]) -> list[Pair]:
    """The (commit, template) pairs of the commits touching the template or its folders."""
    pathspecs = [f":(literal){p}" for p in [template, *folders]]
    log = git(repo, "log", "--format=%H%x09%P%x09%ct%x09%s", rev, "--", *pathspecs)
    out: list[Pair] = []
    for line in log.splitlines():
        commit, parents, stamp, subject = (line.split("\t", 3) + [""] * 4)[:4]
        if not parents.strip():
            continue
        if show_exists(repo, commit, template):
            out.append(Pair(commit, parents.split()[0], template, int(stamp), subject))
    return out


def show_exists(repo: Path, commit: str, path: str) -> bool:
    """Whether ``path`` is a file at ``commit``."""
    result = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "-e", f"{commit}:{path}"],
        capture_output=True, check=False, env=git_env(), stdin=subprocess.DEVNULL,
    )
    return result.returncode == 0


def finding_record(finding: dict[str, Any]) -> dict[str, Any]:
    """The parts of a finding the sweep keeps."""
    changes = finding.get("changes") or {}
    return {
        "rule": finding.get("rule"),
        "name": finding.get("name"),
        "severity": finding.get("severity"),
        "stack": finding.get("stack"),
        "resource": finding.get("resource"),
        "message": first_line(str(finding.get("message") or "")),
        "suppressed": finding.get("suppressed"),
        "code": [_change(c) for c in changes.get("code") or []],
        "config": [_change(c) for c in changes.get("config") or []],
    }


def _change(change: dict[str, Any]) -> str:
    how = change.get("how") or ""
    cause = f" ({change['cause']})" if change.get("cause") else ""
    return f"{change.get('property')} {how}{cause}".strip()


def stack_record(stack: dict[str, Any]) -> dict[str, Any]:
    """The parts of a stack entry the sweep keeps."""
    return {
        "name": stack.get("name"),
        "status": stack.get("status"),
        "functions": stack.get("functions"),
        "changed_functions": stack.get("changed_functions"),
        "quiet_functions": stack.get("quiet_functions"),
        "notes": stack.get("notes"),
    }


@dataclass(frozen=True)
class Runner:
    """How to run one commit's checks."""

    repo: Path
    python: str
    latest_guard: Path
    scratch: Path
    timeout: float

    def env(self) -> dict[str, str]:
        """The check's environment: the chosen latest-guard first on the import path."""
        env = git_env()
        env["PYTHONPATH"] = str(self.latest_guard)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONHOME", None)
        return env

    def run_commit(self, commit: str, pairs: Sequence[Pair]) -> list[dict[str, Any]]:
        """Check every pair of ``commit`` in one temporary work tree of it."""
        holder = Path(tempfile.mkdtemp(prefix="sweep-", dir=self.scratch))
        tree = holder / f"wt-{commit[:12]}"
        try:
            added = subprocess.run(
                ["git", "-c", "core.hooksPath=/dev/null", "-C", str(self.repo), "worktree",
                 "add", "--detach", "--quiet", str(tree), commit],
                capture_output=True, text=True, check=False, env=git_env(),
                stdin=subprocess.DEVNULL,
            )
            if added.returncode != 0:
                error = f"worktree: {first_line(added.stderr)}"
                return [self.record(p, None, "", error, 0.0) for p in pairs]
            return [self.run_pair(tree, pair) for pair in pairs]
        finally:
            git(self.repo, "worktree", "remove", "--force", str(tree), check=False)
            shutil.rmtree(holder, ignore_errors=True)

    def run_pair(self, tree: Path, pair: Pair) -> dict[str, Any]:
        """Run the check of one pair inside ``tree``."""
        command = [
            self.python, "-P", "-m", "reviewer.cli", "check", "--template", pair.template,
            "--baseline-ref", pair.parent, "--format", "json",
        ]
        start = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=tree, capture_output=True, text=True, check=False,
                env=self.env(), stdin=subprocess.DEVNULL, timeout=self.timeout,
            )
        except subprocess.TimeoutExpired as expired:
            stderr = expired.stderr or b""
            text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
            seconds = time.monotonic() - start
            return self.record(pair, None, "", f"timeout after {self.timeout:.0f} s\n{text}",
                               seconds)
        return self.record(
            pair, done.returncode, done.stdout, done.stderr, time.monotonic() - start
        )

    @staticmethod
    def record(
        pair: Pair, code: int | None, stdout: str, stderr: str, seconds: float
    ) -> dict[str, Any]:
        """One JSON line for ``pair``."""
        record: dict[str, Any] = {
            "commit": pair.commit,
            "parent": pair.parent,
            "template": pair.template,
            "date": time.strftime("%Y-%m-%d", time.gmtime(pair.timestamp)),
            "subject": pair.subject,
            "exit": code,
            "findings": [],
            "stacks": [],
            "stderr_first": first_line(stderr),
            "stderr_last": last_line(stderr),
            "seconds": round(seconds, 2),
        }
        if stdout.strip():
            try:
                report = json.loads(stdout)
            except ValueError as error:
                record["report_error"] = f"stdout is not JSON: {error}"
            else:
                record["findings"] = [finding_record(f) for f in report.get("findings", [])]
                record["stacks"] = [stack_record(s) for s in report.get("stacks", [])]
        return record


def group_by_commit(pairs: Iterable[Pair]) -> dict[str, list[Pair]]:
    """The pairs of each commit, in the order given."""
    grouped: dict[str, list[Pair]] = {}
    for pair in pairs:
        grouped.setdefault(pair.commit, []).append(pair)
    return grouped


def imported_from(python: str, latest_guard: Path) -> str:
    """Where ``reviewer`` is imported from with this interpreter and ``PYTHONPATH``."""
    env = git_env()
    env["PYTHONPATH"] = str(latest_guard)
    done = subprocess.run(
        [python, "-P", "-c", "import reviewer; print(reviewer.__file__)"],
        capture_output=True, text=True, check=False, env=env, cwd=tempfile.gettempdir(),
    )
    return done.stdout.strip() or f"(import failed: {first_line(done.stderr)})"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(
        description="latest-guard check --baseline-ref over a repository's history",
    )
    parser.add_argument("repo", type=Path, nargs="?", help="the git repository to sweep")
    parser.add_argument("--template", "-t", action="append", default=[],
                        help="a template path inside the repository (repeatable); "
                             "default: every template found in the history")
    parser.add_argument("--rev", default="HEAD", help="the newest commit to look at")
    parser.add_argument("--limit", type=int, default=300, help="the newest N pairs (0: all)")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="commits checked at once")
    parser.add_argument("--latest-guard", type=Path, default=here,
                        help="the latest-guard checkout put on PYTHONPATH (default: this one)")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter with latest-guard's dependencies")
    parser.add_argument("--output", "-o", type=Path, default=Path("history_sweep.jsonl"),
                        help="the JSON Lines file to write")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per check")
    parser.add_argument("--figures", type=Path, metavar="JSONL",
                        help="only print the figures of an existing JSON Lines file")
    args = parser.parse_args(argv)
    if args.figures is None and args.repo is None:
        parser.error("a repository is needed (or --figures FILE)")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def print_figures(path: Path) -> int:
    """Print the figures of the JSON Lines file at ``path``."""
    figures = Figures()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                figures.add(json.loads(line))
    figures.write(sys.stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.figures is not None:
        return print_figures(args.figures)
    started = time.monotonic()
    repo: Path = args.repo.resolve()
    latest_guard: Path = args.latest_guard.resolve()
    progress = sys.stderr
    progress.write(f"sweep: reviewer imported from {imported_from(args.python, latest_guard)}\n")
    templates: list[str] = args.template or find_templates(repo, args.rev)
    progress.write(f"sweep: {len(templates)} template(s)\n")
    pairs: list[Pair] = []
    for template in templates:
        folders = code_folders(repo, args.rev, template)
        found = pairs_for(repo, args.rev, template, folders)
        progress.write(f"sweep: {template}: {len(found)} commit(s); code folders: "
                       f"{', '.join(folders) or 'none'}\n")
        pairs.extend(found)
    pairs.sort(key=lambda p: (-p.timestamp, p.commit, p.template))
    if args.limit:
        pairs = pairs[: args.limit]
    grouped = group_by_commit(pairs)
    progress.write(f"sweep: {len(pairs)} pair(s) in {len(grouped)} commit(s), "
                   f"{args.jobs} job(s)\n")
    scratch = Path(tempfile.mkdtemp(prefix="history-sweep-"))
    runner = Runner(repo, args.python, latest_guard, scratch, args.timeout)
    figures = Figures()
    lock = threading.Lock()
    done = 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with args.output.open("w", encoding="utf-8") as out, ThreadPoolExecutor(
            max_workers=args.jobs, thread_name_prefix="sweep"
        ) as pool:
            futures = [pool.submit(runner.run_commit, c, ps) for c, ps in grouped.items()]
            for future in as_completed(futures):
                for record in future.result():
                    with lock:
                        done += 1
                        figures.add(record)
                        out.write(json.dumps(record, sort_keys=True) + "\n")
                        out.flush()
                        rules = ",".join(f["rule"] for f in record["findings"]) or "-"
                        progress.write(
                            f"[{done}/{len(pairs)}] {record['commit'][:10]} "
                            f"{record['template']} exit={record['exit']} findings={rules} "
                            f"{record['seconds']:.1f}s\n"
                        )
    finally:
        git(repo, "worktree", "prune", check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    figures.write(sys.stdout, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
