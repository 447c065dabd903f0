"""The pre-commit hook: every staged template against its version at a git revision.

pre-commit passes every changed YAML and JSON file; files that are not CloudFormation
templates (workflows, Helm charts, configuration) are skipped without a word.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reviewer.config import Config
from reviewer.engine import Report, analyze
from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources.files import load_template_text, read_text
from reviewer.sources.git_blob import read_at_revision
from reviewer.sources.template import is_sam

_TEMPLATE_HINTS = ("AWSTemplateFormatVersion", "AWS::")


def load_if_template(path: Path, text: str) -> StackTemplate | None:
    """The template in ``text``, or None when it is plainly something else."""
    try:
        stack = load_template_text(path, text)
    except InputError as exc:
        looks_like_template = any(hint in text for hint in _TEMPLATE_HINTS)
        if looks_like_template and "not a CloudFormation template" not in exc.message:
            raise
        return None
    if is_sam(stack.body):
        from reviewer.sources.sam import expand

        # Local code (CodeUri: src/) is hashed from the work tree for both sides, so the hook
        # sees configuration changes of SAM functions; code changes need --baseline-ref.
        return expand(stack)
    return stack


def check_files(paths: Sequence[Path], revision: str, config: Config) -> list[Report]:
    """One report per template among ``paths``, compared with ``revision``."""
    reports: list[Report] = []
    for path in paths:
        new = load_if_template(path, read_text(path))
        if new is None:
            continue
        old_text = read_at_revision(path, revision)
        old = None if old_text is None else load_if_template(path, old_text)
        label = f"{path} at {revision}" if old is not None else f"{path} is new at {revision}"
        reports.append(analyze([new], [old] if old is not None else [], config, label))
    return reports
