"""What every fix builder shares: its signature, and the change as edits and a patch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from reviewer.contract.enums import FixNeed, Framework
from reviewer.contract.findings import Edit, FileChange, Finding, Fix
from reviewer.contract.wording import joined
from reviewer.diff.context import StackContext
from reviewer.fixes.builders.wired import Wired
from reviewer.fixes.edit.document import Document
from reviewer.fixes.edit.hidden import hidden_lines
from reviewer.fixes.edit.operations import OperationError
from reviewer.fixes.edit.source import display_path, source_document
from reviewer.fixes.edit.textedit import EditConflict, TextEdits
from reviewer.model.references import FunctionWiring, ReferenceGraph
from reviewer.model.template import StackTemplate

#: ``build(context, function, findings)``: one fix for every finding about one function.
Builder = Callable[[StackContext, str, Sequence[Finding]], Fix | None]

FIX_COMMAND = "latest-guard fix"


@dataclass(frozen=True)
class EditedFile:
    """A file a fix builder edited: its new text, its line edits, and the same change as a
    unified diff (``note``: how to apply it when it needs more than plain ``git apply``).
    :attr:`contract` is the change as a finding's fix carries it (the contract's
    :class:`~reviewer.contract.findings.FileChange`)."""

    path: str
    edits: tuple[Edit, ...]
    patch: str | None
    changes: TextEdits = field(repr=False, compare=False)
    note: str | None = None

    @property
    def text(self) -> str:
        """The whole file once changed (written out on demand: a fix per function must not
        copy the whole template each time)."""
        return self.changes.result()

    @property
    def contract(self) -> FileChange:
        """The change as the report carries it: path, line edits and patch."""
        return FileChange(self.path, self.edits, self.patch)

    @classmethod
    def of(cls, document: Document, edits: TextEdits) -> EditedFile:
        path = display_path(document.path)
        diff = edits.diff(path, hidden_lines(document))
        return cls(
            path, edits.line_edits(path), diff.text if diff else None, edits,
            diff.note if diff else None,
        )


#: ``wire(document, stack, wiring)``: the edits that wire one function in one file.
Wire = Callable[[Document, StackTemplate, FunctionWiring], Wired]


def wire_file(
    stack: StackTemplate, graph: ReferenceGraph, function: str, wire: Wire
) -> tuple[EditedFile | None, Wired] | None:
    """``function`` wired by ``wire`` in the file behind ``stack``: the change (None when the
    file has the wiring already) and what was wired; None when the file cannot be edited."""
    document = source_document(stack)
    wiring = graph.functions.get(function)
    if document is None or wiring is None:
        return None
    try:
        wired = wire(document, stack, wiring)
    except (OperationError, EditConflict):
        return None
    return (EditedFile.of(document, wired.edits) if wired.changed else None), wired


def listing(items: Iterable[str], limit: int = 6) -> str:
    """``A``, ``A and B``, ``A, B and C``; past ``limit`` items, ``A, B, ... and 4 more``."""
    names = list(dict.fromkeys(items))
    if len(names) > limit:
        shown = names[: limit - 1]
        return ", ".join(shown) + f" and {len(names) - len(shown)} more"
    return joined(names)


def needs(findings: Sequence[Finding]) -> set[FixNeed]:
    """What the findings about one function need from its fix."""
    return {f.needs for f in findings if f.needs is not None}


def file_fix(
    *,
    framework: Framework,
    summary: str,
    steps: Sequence[str],
    staged: bool,
    change: EditedFile | None,
    first: EditedFile | None,
    notes: Iterable[str],
) -> Fix:
    """A fix that edits the user's file (``change``) and, when staged, the baseline (``first``)."""
    return Fix(
        summary=summary,
        two_phase=staged,
        steps=tuple(steps),
        framework=framework,
        change=change.contract if change else None,
        phase_one=first.contract if first else None,
        notes=tuple(dict.fromkeys([
            *notes, *(c.note for c in (change, first) if c is not None and c.note)
        ])),
    )


def two_phase(findings: Sequence[Finding]) -> bool:
    """Whether the fix must be deployed in two phases: a finding judged on the deployed stack
    (its rule's fix is two-phase) makes the whole fix of the function two-phase."""
    return any(f.fix is not None and f.fix.two_phase for f in findings)
