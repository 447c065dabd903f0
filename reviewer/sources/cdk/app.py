"""The source of a CDK app: where it is, what language it is in, and its construct calls.

The app is found from ``cdk.json`` in the assembly's folder or above it: its folder is the
app's root, and its ``app`` command (``node bin/app.js``, ``npx ts-node bin/app.ts``,
``python app.py``) tells the language. Source files of that language under the root are
scanned once, lazily, for construct instantiations with a literal id:
``new X(scope, 'Id', ...)`` in TypeScript, JavaScript, Java and C#, ``X(scope, "Id", ...)`` in
Python.
Each call remembers the class whose body holds it, so a caller can check a scope chain: the
``Handler`` made inside ``class OrdersService`` belongs to ``Stack/Orders/Handler`` only if
some ``new OrdersService(this, 'Orders')`` exists.

Folders that hold no app source are skipped: ``node_modules``, cloud assemblies (a folder
holding the ``cdk.out`` marker file), virtual environments, hidden folders.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from pathlib import Path

CDK_JSON = "cdk.json"

_SUFFIXES = {
    "typescript": (".ts", ".tsx", ".mts", ".cts"),
    "javascript": (".js", ".mjs", ".cjs"),
    "python": (".py",),
    "java": (".java",),
    "csharp": (".cs",),
}
_SKIPPED_DIRS = frozenset(
    {"node_modules", "cdk.out", "__pycache__", "venv", "env", "site-packages", "dist"}
)
_MAX_FILES = 5000
_MAX_BYTES = 1_000_000

# A literal construct id: no interpolation, no line break, no escaped quote.
_ID = r"(?P<q>['\"`])(?P<id>(?:(?!(?P=q))[^\\\n$])*)(?P=q)"
_JS_CALL = re.compile(
    r"\bnew\s+(?P<callee>(?:[\w$]+\s*\.\s*)*(?P<cls>[\w$]+))\s*(?:<[^<>()]*>)?\s*\(\s*"
    r"[\w$.]+\s*,\s*" + _ID
)
_PY_CALL = re.compile(
    r"(?<![\w.])(?P<callee>(?:[A-Za-z_]\w*\.)*(?P<cls>[A-Z]\w*))\s*\(\s*(?:scope\s*=\s*)?"
    r"[A-Za-z_][\w.]*\s*,\s*(?:(?:construct_)?id\s*=\s*)?" + _ID
)
_JS_CLASS = re.compile(r"\bclass\s+([\w$]+)[^{;]*\{")
_PY_CLASS = re.compile(r"([ \t]*)class\s+([A-Za-z_]\w*)\b")


@dataclass(frozen=True)
class ConstructCall:
    """``new Cls(scope, 'construct_id')`` at ``line`` of ``path``, inside ``class owner``."""

    path: Path
    line: int
    cls: str
    construct_id: str
    owner: str | None


def find_cdk_json(start: Path) -> Path | None:
    """The nearest ``cdk.json`` in ``start`` or a folder above it."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / CDK_JSON).is_file():
            return candidate / CDK_JSON
    return None


def language_of(command: str) -> str | None:
    """The language of a CDK ``app`` command, or None when it does not say."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    names = [Path(w).name.lower() for w in words]
    if any(n.startswith("python") or n.endswith(".py") for n in names):
        return "python"
    if any(n in ("ts-node", "tsx", "ts-node-esm") or n.endswith(_SUFFIXES["typescript"])
           for n in names):
        return "typescript"
    if any(n in ("node", "nodejs") or n.endswith(_SUFFIXES["javascript"]) for n in names):
        return "javascript"
    if any(n in ("mvn", "gradle", "gradlew", "java") for n in names):
        return "java"
    if "dotnet" in names:
        return "csharp"
    return None


class AppSource:
    """The source tree of one CDK app, scanned on first use."""

    def __init__(self, root: Path, language: str | None) -> None:
        self.root = root
        self.language = language

    @classmethod
    def find(cls, assembly_dir: Path) -> AppSource | None:
        """The app whose ``cdk.json`` sits in or above the assembly, if any."""
        cdk_json = find_cdk_json(assembly_dir)
        if cdk_json is None:
            return None
        try:
            settings = json.loads(cdk_json.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            settings = {}
        command = settings.get("app") if isinstance(settings, dict) else None
        language = language_of(command) if isinstance(command, str) else None
        return cls(cdk_json.parent, language)

    @property
    def suffixes(self) -> tuple[str, ...]:
        if self.language is None:
            return tuple(s for group in _SUFFIXES.values() for s in group)
        return _SUFFIXES[self.language]

    def files(self) -> Iterator[Path]:
        """Source files of the app's language under its root, in a stable order."""
        return islice(self._walk(self.root), _MAX_FILES)

    def _walk(self, folder: Path) -> Iterator[Path]:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return
        if folder != self.root and (folder / "cdk.out").is_file():
            return  # a cloud assembly (the marker file), not source
        for entry in entries:
            if entry.is_dir():
                if entry.name.startswith(".") or entry.name in _SKIPPED_DIRS:
                    continue
                yield from self._walk(entry)
            elif entry.name.endswith(self.suffixes) and not entry.name.endswith(".d.ts"):
                yield entry

    @cached_property
    def calls(self) -> list[ConstructCall]:
        """Every construct instantiation with a literal id in the app's source."""
        found: list[ConstructCall] = []
        for path in self.files():
            try:
                if path.stat().st_size > _MAX_BYTES:
                    continue
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            found.extend(_calls_in(path, text))
        return found

    def calls_with_id(self, construct_id: str) -> list[ConstructCall]:
        return [c for c in self.calls if c.construct_id == construct_id]

    def ids_of_class(self, cls: str) -> set[str]:
        """The literal ids ``cls`` is instantiated with anywhere in the app."""
        return {c.construct_id for c in self.calls if c.cls == cls}

    def resolve(self, recorded: str) -> Path | None:
        """A source file named in a synth-time stack trace, as it is found now.

        The trace holds the path on the machine that synthesized. A path under this app's
        root is taken as it is; otherwise the longest tail of it that exists under the root
        is (the assembly was made in another checkout, or on another machine); failing that,
        the recorded file itself when it exists (a library of the user's outside the app).
        """
        path = Path(recorded.removeprefix("file://"))
        if path.is_absolute() and path.is_file() and path.resolve().is_relative_to(self.root):
            return path
        parts = path.parts[1:] if path.is_absolute() else path.parts
        for start in range(len(parts)):
            candidate = self.root.joinpath(*parts[start:])
            if candidate.is_file():
                return candidate
        return path if path.is_absolute() and path.is_file() else None


def _calls_in(path: Path, text: str) -> Iterator[ConstructCall]:
    python = path.suffix == ".py"
    pattern = _PY_CALL if python else _JS_CALL
    classes = _python_classes(text) if python else _js_classes(text)
    for match in pattern.finditer(text):
        start = match.start("callee") if python else match.start()
        yield ConstructCall(
            path=path,
            line=text.count("\n", 0, start) + 1,
            cls=match.group("cls"),
            construct_id=match.group("id"),
            owner=_owner(classes, start),
        )


# A class body as (name, start offset, end offset) of its text.
_Span = tuple[str, int, int]


def _owner(classes: list[_Span], position: int) -> str | None:
    """The innermost class whose body holds ``position``."""
    inside = [c for c in classes if c[1] <= position < c[2]]
    return max(inside, key=lambda c: c[1])[0] if inside else None


def _js_classes(text: str) -> list[_Span]:
    """Class bodies of TypeScript/JavaScript, delimited by braces (strings are not parsed)."""
    spans: list[_Span] = []
    for match in _JS_CLASS.finditer(text):
        depth, position = 0, match.end() - 1
        for position in range(match.end() - 1, len(text)):
            char = text[position]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    break
        spans.append((match.group(1), match.end(), position))
    return spans


def _python_classes(text: str) -> list[_Span]:
    """Class bodies of Python: the lines after ``class`` indented deeper than it."""
    spans: list[_Span] = []
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    for number, line in enumerate(lines):
        match = _PY_CLASS.match(line)
        if match is None:
            continue
        indent = _indent(match.group(1))
        end = number + 1
        while end < len(lines) and (_blank(lines[end]) or _indent(lines[end]) > indent):
            end += 1
        spans.append((match.group(2), starts[number] + match.end(), starts[end]))
    return spans


def _indent(line: str) -> int:
    return len(line.expandtabs()) - len(line.expandtabs().lstrip())


def _blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
