"""Findings of two rules about one function that must be acted on together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.contract.findings import Finding
from reviewer.rules.latest_race import LatestRace
from reviewer.rules.layer_architecture import LayerArchitecture


@dataclass(frozen=True)
class Together:
    """What reading a finding with another rule's finding about its function adds: a note
    after its ``why``, a step after its fix's steps."""

    note: str = ""
    step: str | None = None


def read_together(findings: Sequence[Finding]) -> dict[tuple[str, str, str], Together]:
    """By rule, stack and function, among the open ``findings``: where a race (LG001) and a
    layer built for the other architecture (LG004) hit one function, swapping the layer is a
    configuration change, so in this deployment it races with the code change too. Each of
    the two findings says so."""
    races = {(f.stack, f.resource) for f in findings if f.rule == LatestRace.id}
    layers = {(f.stack, f.resource): f for f in findings if f.rule == LayerArchitecture.id}
    both = races & set(layers)
    return {
        (f.rule, f.stack, f.resource): _joined(f, layers[(f.stack, f.resource)])
        for f in findings
        if (f.stack, f.resource) in both and f.rule in (LatestRace.id, LayerArchitecture.id)
    }


def _joined(finding: Finding, layer: Finding) -> Together:
    function = finding.resource
    if finding.rule == LatestRace.id:
        return Together(note=(
            f"{LayerArchitecture.id} also reports {function}: {layer.message}. Swapping that "
            "layer is a configuration change too: make it part of this fix (the alias wiring "
            "first, then the change with the layer swap)."
        ))
    return Together(step=(
        f"{LatestRace.id} also reports {function}: this change updates its code while "
        "traffic reaches $LATEST, and the layer swap is a configuration change. Make the "
        f"swap part of {LatestRace.id}'s fix: route the callers through an alias first, "
        "then deploy this change with the swap."
    ))
