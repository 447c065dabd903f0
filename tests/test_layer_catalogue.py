"""The catalogue of published layers: every entry sourced, unambiguous, and paired."""

from __future__ import annotations

import re

import pytest

from reviewer.model.layer_catalogue import (
    Catalogue,
    CatalogueError,
    Entry,
    LayerArn,
    catalogue,
    load,
)

ENTRIES = catalogue().entries


def _id(entry: Entry) -> str:
    return f"{entry.vendor}:{entry.name.pattern}"


def test_the_catalogue_covers_the_vendors_users_attach_most() -> None:
    vendors = {entry.vendor for entry in ENTRIES}
    assert {"Datadog", "AWS", "New Relic"} <= vendors
    products = " ".join(entry.product for entry in ENTRIES)
    for product in ("Lambda Insights", "Parameters and Secrets", "OpenTelemetry", "Powertools"):
        assert product in products


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_every_entry_has_a_source_and_examples_that_are_its_own(entry: Entry) -> None:
    assert entry.source.startswith("https://")
    assert all(re.fullmatch(r"\d{12}", account) for account in entry.accounts)
    assert entry.examples, "an entry without an example ARN cannot be checked"
    for example in entry.examples:
        arn = LayerArn.parse(example)
        assert arn is not None, example
        found = catalogue().lookup(arn)
        assert found is not None and found.entry is entry, example
        assert [e for e in ENTRIES if e.name.fullmatch(arn.name)] == [entry], (
            f"{example} matches more than one entry"
        )


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e.neutral], ids=_id)
def test_every_build_names_its_other_build_or_why_there_is_none(entry: Entry) -> None:
    if entry.counterpart is None:
        assert entry.no_counterpart, "say why there is no build for the other architecture"
        return
    for example in entry.examples:
        arn = LayerArn.parse(example)
        assert arn is not None
        known = catalogue().lookup(arn)
        assert known is not None and known.counterpart is not None
        other = catalogue().entry_named(known.counterpart)
        assert other is not None, f"{known.counterpart} (for {example}) is not in the catalogue"
        assert {other.architecture, entry.architecture} == {"x86_64", "arm64"}
        assert (other.vendor, other.product) == (entry.vendor, entry.product)


def test_an_arn_is_read_with_placeholders_where_a_template_leaves_them() -> None:
    arn = LayerArn.parse("arn:${AWS::Partition}:lambda:${AWS::Region}:464622532012:layer:X:7")
    assert arn == LayerArn("${AWS::Partition}", "${AWS::Region}", "464622532012", "X", "7")
    assert arn is not None
    assert arn.with_name("Y") == (
        "arn:${AWS::Partition}:lambda:${AWS::Region}:464622532012:layer:Y:7")
    assert LayerArn.parse("arn:aws:lambda:us-east-1:464622532012:function:X") is None
    assert LayerArn.parse("Datadog-Extension") is None


def test_a_broken_entry_is_refused_with_its_number() -> None:
    good = (
        '[[layer]]\nvendor = "V"\nproduct = "P"\nname = "A"\naccounts = ["123456789012"]\n'
        'architecture = "any"\nsource = "https://example.com"\n'
    )
    assert isinstance(load(good), Catalogue)
    with pytest.raises(CatalogueError, match="layer entry 2"):
        load(good + good.replace('"any"', '"sparc"'))
    with pytest.raises(CatalogueError, match="layer entry 1"):
        load(good.replace('accounts = ["123456789012"]', "accounts = []"))
