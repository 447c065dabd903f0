"""Errors that end a run with exit status 2 and one line naming the input."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """An input that cannot be used: a missing file, malformed YAML or JSON, not a template."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = str(path)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class ConfigError(InputError):
    """A configuration file that cannot be used."""
