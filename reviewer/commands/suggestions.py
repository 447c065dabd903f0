"""Which fixes may be offered as a suggestion on the pull request's lines: those that fix.

A ```suggestion``` block is one click away from a commit. Offered for a fix that does not make
its finding go away (a two-phase fix, whose first half belongs to the deployed template; an
edit the analysis still objects to), it would read as the fix and leave the error in place.
So before anything is posted, each fix that edits the analysed template is applied to a copy
of it, the analysis runs again against the same baseline, and the fix is marked ``verified``
only when its finding is gone. A fix of a file that is not the analysed template (the
``serverless.yml`` behind a package, which only a new package would show) is not verified:
it is shown, not suggested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reviewer.commands.fix_workspace import copies
from reviewer.config import Config
from reviewer.errors import InputError
from reviewer.fixes.edit.source import read_file
from reviewer.fixes.edit.textedit import EditConflict, apply_line_edits
from reviewer.model.template import StackTemplate
from reviewer.pipeline.analysis import analyze
from reviewer.pipeline.handover import Suggestion


class SuggestionCheck:
    """The analysis's verifier (``analyze(..., verify=...)``): whether a suggestion's change,
    applied alone to a copy of its template, makes its finding go away when the same sides
    are analysed again (the analysis decides which fixes are asked about, and marks them)."""

    def __init__(
        self,
        new: Sequence[StackTemplate],
        old: Sequence[StackTemplate],
        config: Config,
        label: str,
    ) -> None:
        self._new = new
        self._old = old
        self._config = config
        self._label = label

    def __call__(self, suggestion: Suggestion) -> bool:
        stack = suggestion.stack
        text = read_file(stack.path)
        if text is None:
            return False
        try:
            patched = apply_line_edits(text, list(suggestion.change.edits))
        except EditConflict:
            return False
        with copies(stack.path) as (copy,):
            copy.write(patched)
            try:
                loaded = [s for s in copy.load(stack.name) if s.name == stack.name]
            except InputError:
                return False
            if len(loaded) != 1:
                return False
            fixed = replace(
                loaded[0], parameter_values=stack.parameter_values, notes=stack.notes,
                parent=stack.parent,
            )
            side = [fixed if s is stack else s for s in self._new]
            again = analyze(side, self._old, self._config, self._label)
        return not any(
            (f.rule, f.stack, f.resource)
            == (suggestion.rule, stack.name, suggestion.resource)
            and not f.suppressed
            for f in again.findings
        )
