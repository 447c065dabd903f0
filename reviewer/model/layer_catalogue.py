"""Published Lambda layers whose name says which architecture they are built for.

The facts live in ``data/published_layers.toml``, one entry per layer name family, each with
the vendor's page or file it comes from. A layer is looked up by its ARN: the name must match
an entry *and* the ARN's account must be one that entry's vendor publishes from, so a layer
of the same name published by anyone else is never guessed at. Architecture-neutral layers
(pure Python, JavaScript or Java) have entries too, so that they are known to run anywhere.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

#: ``arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION``; the region, the partition and
#: the version may be left as ``${...}`` placeholders by a template (``${AWS::Region}``).
_ARN = re.compile(
    r"arn:(?P<partition>[\w-]+|\$\{[^}]+\}):lambda:(?P<region>[\w-]+|\$\{[^}]+\}):"
    r"(?P<account>\d{12}):layer:(?P<name>[A-Za-z0-9_-]+)(?::(?P<version>\d+|\$\{[^}]+\}))?"
)

#: The two instruction sets a Lambda function runs on.
BUILDS = ("x86_64", "arm64")
#: What an entry's ``architecture`` may say; "any" is architecture-neutral.
ARCHITECTURES = (*BUILDS, "any")


def arn_text(value: Any) -> str | None:
    """The text an ARN is written as in a template: a string, or a partly known ``Fn::Sub``
    (``arn:aws:lambda:${AWS::Region}:...``); None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("Fn::Sub"), str):
        return str(value["Fn::Sub"])
    return None


@dataclass(frozen=True)
class LayerArn:
    """A published layer version's ARN, in parts."""

    partition: str
    region: str
    account: str
    name: str
    version: str | None

    @classmethod
    def parse(cls, text: str) -> LayerArn | None:
        """The ARN in ``text`` (all of it), or None when ``text`` is not a layer ARN."""
        match = _ARN.fullmatch(text)
        if match is None:
            return None
        return cls(
            match["partition"], match["region"], match["account"], match["name"],
            match["version"],
        )

    def with_name(self, name: str) -> str:
        """This ARN for another layer of the same publisher, region and version."""
        version = f":{self.version}" if self.version else ""
        return (
            f"arn:{self.partition}:lambda:{self.region}:{self.account}:layer:{name}{version}"
        )


@dataclass(frozen=True)
class Entry:
    """One layer name family of the catalogue."""

    vendor: str
    product: str
    name: re.Pattern[str]
    accounts: frozenset[str]
    architecture: str
    extension: bool
    source: str
    counterpart: str | None = None
    no_counterpart: str | None = None
    #: The vendor numbers both architectures' builds alike, so the other build's ARN is this
    #: one with the other name.
    same_versions: bool = False
    examples: tuple[str, ...] = ()

    @property
    def neutral(self) -> bool:
        return self.architecture == "any"


@dataclass(frozen=True)
class Known:
    """A layer the catalogue knows: its ARN, its entry, and the other build's name if any.

    ``counterpart_here``: the other build is published from this ARN's account too (the
    catalogue lists that account for it); when it is not, it may come from another account in
    this region, or not be published here at all.
    """

    arn: LayerArn
    entry: Entry
    counterpart: str | None
    counterpart_here: bool = False

    def counterpart_arn(self) -> str | None:
        """The other build's full ARN, when its version is known to be the same."""
        if self.counterpart is None or not self.counterpart_here:
            return None
        return self.arn.with_name(self.counterpart) if self.entry.same_versions else None


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[Entry, ...]

    def lookup(self, arn: LayerArn) -> Known | None:
        """The entry for ``arn``; None when no entry has its name and account."""
        found = self._entry(arn.name, arn.account)
        if found is None:
            return None
        entry, match = found
        other = match.expand(entry.counterpart) if entry.counterpart else None
        here = other is not None and self._entry(other, arn.account) is not None
        return Known(arn, entry, other, here)

    def entry_named(self, name: str) -> Entry | None:
        """The entry whose name pattern matches ``name``, whatever the account."""
        return next((e for e in self.entries if e.name.fullmatch(name)), None)

    def _entry(self, name: str, account: str) -> tuple[Entry, re.Match[str]] | None:
        for entry in self.entries:
            match = entry.name.fullmatch(name)
            if match is not None and account in entry.accounts:
                return entry, match
        return None


class CatalogueError(ValueError):
    """The data file breaks its own rules (a test and the loader check them)."""


def load(text: str) -> Catalogue:
    """The catalogue written in ``text`` (TOML, ``[[layer]]`` tables)."""
    data = tomllib.loads(text)
    entries = []
    for number, raw in enumerate(data.get("layer", []), start=1):
        try:
            entries.append(_entry(raw))
        except (KeyError, TypeError, re.error) as error:
            raise CatalogueError(f"layer entry {number}: {error!r}") from error
    return Catalogue(tuple(entries))


def _entry(raw: dict[str, object]) -> Entry:
    architecture = str(raw["architecture"])
    if architecture not in ARCHITECTURES:
        raise TypeError(f"architecture {architecture!r}")
    accounts = raw["accounts"]
    examples = raw.get("examples", [])
    if not isinstance(accounts, list) or not accounts or not isinstance(examples, list):
        raise TypeError("accounts must be a non-empty list, examples a list")
    counterpart = raw.get("counterpart")
    no_counterpart = raw.get("no_counterpart")
    return Entry(
        vendor=str(raw["vendor"]),
        product=str(raw["product"]),
        name=re.compile(str(raw["name"])),
        accounts=frozenset(str(a) for a in accounts),
        architecture=architecture,
        extension=bool(raw.get("extension", False)),
        source=str(raw["source"]),
        counterpart=str(counterpart) if counterpart is not None else None,
        no_counterpart=str(no_counterpart) if no_counterpart is not None else None,
        same_versions=bool(raw.get("same_versions", False)),
        examples=tuple(str(e) for e in examples),
    )


@cache
def catalogue() -> Catalogue:
    """The catalogue shipped with latest-guard (read once)."""
    text = files("reviewer.model").joinpath("data/published_layers.toml").read_text("utf-8")
    return load(text)
