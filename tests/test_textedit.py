"""Line edits and patches of character edits: what a suggestion or ``git apply`` receives.

The fixes describe a change by the lines it touches, diffed window by window; these tests hold
that to the meaning of the change: the line edits and the patch, applied to the text, give the
text the character edits make, for texts whose lines repeat (as a template's do), with
insertions at the start, the end and inside lines, without a final newline, and with ``\\r\\n``.
"""

from __future__ import annotations

import difflib
import re
from itertools import pairwise

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reviewer.fixes.edit.textedit import TextEdits, apply_line_edits, unified_diff

LINES = st.sampled_from(
    ["Resources:\n", "  Fn:\n", "    Type: AWS::Lambda::Function\n", "    Properties:\n",
     "      Runtime: python3.12\n", "      - !Ref Layer\n", "\n", "  # a comment\n", "x\r\n",
     "last line without newline"]
)
TEXTS = st.lists(LINES, max_size=30).map("".join)
REPLACEMENTS = st.sampled_from(["", "a", "\n", "  Alias:\n    Type: X\n", "!Ref Live", "y\n\n"])

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def apply_patch(text: str, patch: str | None, hidden: frozenset[int] = frozenset()) -> str:
    """Apply a unified diff at the lines its hunk headers name, checking that every context and
    removed line is the text's, that no context line is one of ``hidden`` (0-based), and that
    a hunk without a context line after it ends the text unless the patch says it is bare."""
    if patch is None:
        return text
    lines = text.splitlines(keepends=True)
    body = patch.splitlines(keepends=True)[2:]
    out: list[str] = []
    position = 0  # next old line to copy
    index = 0
    while index < len(body):
        match = _HUNK.match(body[index])
        assert match, body[index]
        start, length = int(match.group(1)), int(match.group(2) or 1)
        first = start - 1 if length else start  # an empty range names the line before
        assert first >= position, "hunks overlap or are out of order"
        out.extend(lines[position:first])
        cursor = first
        index += 1
        previous = ""
        while index < len(body) and not body[index].startswith("@@"):
            line = body[index]
            if line.startswith("\\"):  # the line before has no newline
                if previous == "+":
                    out[-1] = out[-1].removesuffix("\n")
            elif line.startswith("+"):
                out.append(line[1:])
            else:
                old = lines[cursor]
                assert line[1:] == (old if old.endswith("\n") else old + "\n"), (line, old)
                if line.startswith(" "):
                    assert cursor not in hidden, f"hidden line {cursor} shown as context"
                    out.append(old)
                cursor += 1
            if not line.startswith("\\"):
                previous = line[0]
            index += 1
        assert cursor == first + length, "the header's old length is wrong"
        position = cursor
    out.extend(lines[position:])
    return "".join(out)


def hunks(patch: str) -> list[list[str]]:
    """The body lines of each hunk, ``\\ No newline`` markers left out."""
    found: list[list[str]] = []
    for line in patch.splitlines()[2:]:
        if line.startswith("@@"):
            found.append([])
        elif not line.startswith("\\"):
            found[-1].append(line)
    return found


@st.composite
def edited_texts(draw: st.DrawFn) -> TextEdits:
    text = draw(TEXTS)
    edits = TextEdits(text)
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 30)))
        if text[start - 1 : start + 1] == "\r\n" or text[end - 1 : end + 1] == "\r\n":
            continue  # never split a line ending (builders replace whole values)
        try:
            edits.replace(start, end, draw(REPLACEMENTS))
        except ValueError:
            continue
    return edits


def _edited(text: str, *changes: tuple[int, int, str]) -> TextEdits:
    edits = TextEdits(text)
    for start, end, replacement in changes:
        edits.replace(start, end, replacement)
    return edits


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=edited_texts())
# The last line (without a newline) replaced by a line that has one: the newline stays.
@example(edits=_edited("  Fn:\nlast line without newline", (1, 31, "\n")))
def test_windowed_line_edits_and_patch_give_the_edited_text(edits: TextEdits) -> None:
    after = edits.result()
    line_edits = edits.line_edits("t.yaml")
    applied = apply_line_edits(edits.text, line_edits)
    # A line edit replaces whole lines: a text whose new last line has no newline gets one.
    assert applied == after or (applied == after + "\n" and not after.endswith("\n"))
    assert all(edit.start_line <= edit.end_line for edit in line_edits)
    spans = sorted((e.start_line, e.end_line) for e in line_edits)
    assert all(a[1] < b[0] for a, b in pairwise(spans)), "edits overlap"
    patch = edits.patch("t.yaml")
    assert (patch is None) == (after == edits.text)
    assert apply_patch(edits.text, patch) == after


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=edited_texts(), hidden=st.frozensets(st.integers(0, 30)))
def test_a_patch_shows_no_hidden_line_and_needs_unidiff_zero_only_when_it_says_so(
    edits: TextEdits, hidden: frozenset[int]
) -> None:
    after = edits.result()
    diff = edits.diff("t.yaml", hidden)
    if diff is None:
        assert after == edits.text
        return
    assert apply_patch(edits.text, diff.text, hidden) == after
    old_count = len(edits.text.splitlines())
    headers = [_HUNK.match(line) for line in diff.text.splitlines() if line.startswith("@@")]
    for header, body in zip(headers, hunks(diff.text), strict=True):
        assert header is not None
        start, length = int(header.group(1)), int(header.group(2) or 1)
        leading = next((n for n, line in enumerate(body) if line[:1] != " "), len(body))
        trailing = next((n for n, line in enumerate(reversed(body)) if line[:1] != " "), 0)
        assert leading <= 3 and trailing <= 3
        ends_text = (start - 1 if length else start) + length == old_count
        if (start if length else start + 1) in diff.bare:
            assert leading == trailing == 0
        else:  # what plain git apply (and patch) take
            assert trailing >= 1 or ends_text, diff.text
            assert leading <= trailing or ends_text, diff.text
    assert (diff.note is None) == (not diff.bare)
    if diff.note:
        assert "git apply --unidiff-zero" in diff.note


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(before=TEXTS, after=TEXTS)
def test_whole_text_diff_is_difflibs_with_three_lines_of_context(before: str, after: str) -> None:
    expected = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        for line in difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            fromfile="a/t.yaml", tofile="b/t.yaml", n=3,
        )
    )
    assert unified_diff("t.yaml", before, after) == (expected or None)
    assert apply_patch(before, unified_diff("t.yaml", before, after)) == after


def test_an_edit_far_down_a_long_repetitive_text_is_one_small_edit() -> None:
    block = "  Fn{}:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: x\n"
    text = "Resources:\n" + "".join(block.format(i) for i in range(5000))
    edits = TextEdits(text)
    at = text.index("Fn4321:")
    edits.insert(text.index("      Runtime", at), "      MemorySize: 256\n")
    (edit,) = edits.line_edits("t.yaml")
    line = text[:at].count("\n") + 4
    assert (edit.start_line, edit.end_line) == (line, line)
    assert edit.replacement == "      MemorySize: 256\n      Runtime: x\n"
    assert edits.patch("t.yaml") == (
        f"--- a/t.yaml\n+++ b/t.yaml\n@@ -{line - 3},6 +{line - 3},7 @@\n"
        "   Fn4321:\n"
        "     Type: AWS::Lambda::Function\n"
        "     Properties:\n"
        "+      MemorySize: 256\n"
        "       Runtime: x\n"
        "   Fn4322:\n"
        "     Type: AWS::Lambda::Function\n"
    )
