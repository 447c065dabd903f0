"""Reporters: one module per output format, picked by name from ``REPORTERS``.

The table names every format without importing a reporter: the command line reads its
``--format`` choices from it on every run, and a reporter's module is imported only when its
format is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewer.contract.report import Report

Reporter = Callable[["Report"], str]


class _Reporters(Mapping[str, Reporter]):
    """Format name → its reporter's ``render``, imported on first use."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self._modules = dict(modules)

    def __getitem__(self, name: str) -> Reporter:
        render: Reporter = import_module(f"{__name__}.{self._modules[name]}").render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


#: Each format by the name the command line spells, with the module of its reporter.
REPORTERS: Mapping[str, Reporter] = _Reporters({
    "text": "text",
    "json": "json_v1",
    "markdown": "markdown",
    "sarif": "sarif",
})
