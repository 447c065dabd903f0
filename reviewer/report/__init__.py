"""Reporters: one module per output format, picked by name from ``REPORTERS``."""

from __future__ import annotations

from collections.abc import Callable

from reviewer.contract.report import Report
from reviewer.report import json_v1, markdown, sarif, text

Reporter = Callable[[Report], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_v1.render,
    "markdown": markdown.render,
    "sarif": sarif.render,
}
