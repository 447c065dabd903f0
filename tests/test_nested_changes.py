"""What changes inside a property is named (keys, layers, subnets), never valued."""

from __future__ import annotations

from typing import Any

import pytest

from reviewer.diff.nested import nested_detail

DATADOG = "arn:aws:lambda:us-east-1:464622532012:layer"


def env(**variables: Any) -> dict[str, Any]:
    return {"Variables": variables}


@pytest.mark.parametrize(
    ("old", "new", "detail"),
    [
        (env(A="1"), env(A="1", TOKEN="s3cr3t"), "(added TOKEN)"),
        (env(A="1", B="2"), env(A="1"), "(removed B)"),
        # every key changes: still key by key (deepdiff's default would call it one new dict)
        (env(A="1", B="2", C="3"), env(A="x", B="y", C="z"), "(changed A, B, C)"),
        (env(A={"Ref": "P"}), env(A={"Ref": "Q"}), "(changed A)"),
        (env(A="1"), env(B="1"), "(added B; removed A)"),
    ],
)
def test_environment_variables_are_named_by_key(
    old: dict[str, Any], new: dict[str, Any], detail: str
) -> None:
    found = nested_detail("Environment", old, new)
    assert found == detail
    for value in ("s3cr3t", "x", "y", "z", "P", "Q"):
        assert value not in (found or "").replace("changed", "").replace("added", "")


def test_layers_are_named_added_removed_or_swapped() -> None:
    old = [f"{DATADOG}:Datadog-Extension:60", f"{DATADOG}:Datadog-Python312:9"]
    new = [f"{DATADOG}:Datadog-Extension-ARM:60", f"{DATADOG}:Datadog-Python312-ARM:9",
           {"Ref": "Deps"}]
    assert nested_detail("Layers", old, new) == (
        "(swapped Datadog-Extension:60 for Datadog-Extension-ARM:60; swapped Datadog-Python312:9 "
        "for Datadog-Python312-ARM:9; added Deps)")
    assert nested_detail("Layers", [{"Ref": "A"}, {"Ref": "B"}], [{"Ref": "B"}, {"Ref": "A"}]) == (
        "(reordered)")
    assert nested_detail("Layers", [{"Ref": "A"}], []) == "(removed A)"


def test_vpc_subnets_and_security_groups_are_named_by_id() -> None:
    old = {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": [{"Ref": "Sg"}]}
    new = {"SubnetIds": ["subnet-2", "subnet-3"], "SecurityGroupIds": [{"Ref": "Sg2"}]}
    assert nested_detail("VpcConfig", old, new) == (
        "(subnets added subnet-3; subnets removed subnet-1; security groups added Sg2; "
        "security groups removed Sg)")


def test_tags_are_named_by_key_in_either_form() -> None:
    old = [{"Key": "team", "Value": "a"}]
    new = {"team": "b", "cost": "c"}
    assert nested_detail("Tags", old, new) == "(added cost; changed team)"
