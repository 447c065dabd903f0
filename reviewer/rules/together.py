"""Findings of two rules about one function that must be acted on together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reviewer.contract.findings import Finding
from reviewer.rules.latest_race import LatestRace
from reviewer.rules.layer_architecture import LayerArchitecture


def read_together(findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` where a race (LG001) and a layer built for the other architecture (LG004)
    hit one function: the race's finding says that the layer swap belongs to the same
    two-phase plan (the layer finding says it from its side)."""
    layers = {
        (f.stack, f.resource): f
        for f in findings
        if f.rule == LayerArchitecture.id and not f.suppressed
    }
    return [_with_layer_note(f, layers.get((f.stack, f.resource))) for f in findings]


def _with_layer_note(finding: Finding, layer: Finding | None) -> Finding:
    if finding.rule != LatestRace.id or layer is None or finding.suppressed:
        return finding
    note = (
        f"{LayerArchitecture.id} also reports {finding.resource}: {layer.message}. "
        "Swapping that layer is a configuration change too: make it part of this "
        "two-phase plan, not a deployment of code and configuration together."
    )
    return replace(finding, why=f"{finding.why} {note}".strip())
