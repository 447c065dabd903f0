"""Text for a terminal: the width it wraps to, and Markdown (a rule's documentation) wrapped to it.

The width is ``COLUMNS`` when set, else the terminal's, else 80 (output to a pipe or a file,
a CI log), as :func:`shutil.get_terminal_size` decides. Prose is re-wrapped, list items with a
hanging indent; code blocks and headings are printed as written; a table that fits stays a
table, one that does not becomes a list (``- first cells: last cell`` under ``first headers →
last header:``), so that no row is cut.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator

#: Below this, wrapping makes text harder to read, not easier.
MIN_WIDTH = 40


def terminal_width() -> int:
    """``COLUMNS``, else the terminal's width, else 80; never less than :data:`MIN_WIDTH`."""
    return max(shutil.get_terminal_size((80, 24)).columns, MIN_WIDTH)


def hanging(first: str, text: str, width: int, indent: str | None = None) -> Iterator[str]:
    """``text`` wrapped to ``width`` after ``first``; later lines start with ``indent`` (as
    many spaces as ``first`` by default). Long words (paths, URLs) are never broken."""
    rest = " " * len(first) if indent is None else indent
    lines = textwrap.wrap(
        text, width=width, initial_indent=first, subsequent_indent=rest,
        break_long_words=False, break_on_hyphens=False,
    )
    yield from lines or [first.rstrip()]


def wrap_markdown(markdown: str, width: int) -> str:
    """``markdown`` with its prose wrapped to ``width`` (see the module's documentation)."""
    return "\n".join(_blocks(markdown.splitlines(), width))


def _blocks(lines: list[str], width: int) -> Iterator[str]:
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):  # a code block, as written
            end = next((n for n in range(index + 1, len(lines)) if lines[n].startswith("```")),
                       len(lines) - 1)
            yield from lines[index : end + 1]
            index = end + 1
        elif line.startswith("|"):
            end = _run_end(lines, index, lambda text: text.startswith("|"))
            yield from _table(lines[index:end], width)
            index = end
        elif not line.strip() or line.startswith("#"):
            yield line
            index += 1
        else:
            end = _run_end(lines, index + 1, _continues)
            yield from _prose(" ".join(part.strip() for part in lines[index:end]), line, width)
            index = end


def _continues(line: str) -> bool:
    """Whether ``line`` goes on the paragraph or list item above it."""
    return bool(line.strip()) and not line.startswith(("```", "|", "#", "- ", "* "))


def _run_end(lines: list[str], start: int, keep: Callable[[str], bool]) -> int:
    end = start
    while end < len(lines) and keep(lines[end]):
        end += 1
    return end


def _prose(text: str, first_line: str, width: int) -> Iterator[str]:
    marker = first_line[: len(first_line) - len(first_line.lstrip())]
    stripped = first_line.lstrip()
    if stripped.startswith(("- ", "* ")):
        marker += stripped[:2]
        text = text[2:] if text.startswith(("- ", "* ")) else text
    yield from hanging(marker, text, width)


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _table(rows: list[str], width: int) -> Iterator[str]:
    if all(len(row) <= width for row in rows):
        yield from rows
        return
    header, *body = rows
    names = _cells(header)
    yield f"{', '.join(names[:-1])} → {names[-1]}:"
    for row in body:
        if set(row) <= set("|-: "):
            continue  # the separator row
        cells = _cells(row)
        yield from hanging("- ", f"{'; '.join(cells[:-1])}: {cells[-1]}", width)
