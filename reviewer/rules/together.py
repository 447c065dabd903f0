"""Findings of two rules about one function that must be acted on together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reviewer.contract.findings import Finding
from reviewer.rules.latest_race import LatestRace
from reviewer.rules.layer_architecture import LayerArchitecture


def read_together(findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` where a race (LG001) and a layer built for the other architecture (LG004)
    hit one function: swapping the layer is a configuration change, so in this deployment it
    races with the code change too. Each of the two findings says so."""
    open_findings = [f for f in findings if not f.suppressed]
    races = {(f.stack, f.resource) for f in open_findings if f.rule == LatestRace.id}
    layers = {
        (f.stack, f.resource): f for f in open_findings if f.rule == LayerArchitecture.id
    }
    both = races & set(layers)
    return [_joined(f, layers[(f.stack, f.resource)]) if (f.stack, f.resource) in both
            and not f.suppressed else f for f in findings]


def _joined(finding: Finding, layer: Finding) -> Finding:
    function = finding.resource
    if finding.rule == LatestRace.id:
        note = (
            f"{LayerArchitecture.id} also reports {function}: {layer.message}. Swapping that "
            "layer is a configuration change too: make it part of this fix (the alias wiring "
            "first, then the change with the layer swap)."
        )
        return replace(finding, why=f"{finding.why} {note}".strip())
    if finding.rule == LayerArchitecture.id and finding.fix is not None:
        step = (
            f"{LatestRace.id} also reports {function}: this change updates its code while "
            "traffic reaches $LATEST, and the layer swap is a configuration change. Make the "
            f"swap part of {LatestRace.id}'s fix: route the callers through an alias first, "
            "then deploy this change with the swap."
        )
        return replace(finding, fix=replace(finding.fix, steps=(*finding.fix.steps, step)))
    return finding
