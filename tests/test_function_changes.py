"""Which properties of a function change: every one, however much of the function changes."""

from __future__ import annotations

from pathlib import Path

from reviewer.contract.enums import Side
from reviewer.diff.function_changes import Status, function_changes
from reviewer.diff.stack_diff import StackDiff
from reviewer.sources.text.files import load_template_text

BEFORE = """\
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
"""
AFTER = """\
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: app.handler
      Code: {S3Bucket: b, S3Key: v2.zip}
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:deps:2]
      Environment: {Variables: {MODE: fast}}
      MemorySize: 512
"""


def test_properties_added_to_a_small_function_are_each_a_change() -> None:
    """Most keys of the function are new: each is still reported on its own side.

    (A structural diff that reports "the whole mapping changed" once too few keys are shared,
    as deepdiff does by default, would lose the configuration side of this race.)
    """
    old = load_template_text(Path("before.yaml"), BEFORE)
    new = load_template_text(Path("after.yaml"), AFTER)
    change = function_changes(StackDiff.compute(old, new))["Fn"]
    assert change.status is Status.UPDATED
    assert {c.name for c in change.on(Side.CODE)} == {"Code"}
    assert {c.name for c in change.on(Side.CONFIG)} == {"Layers", "Environment", "MemorySize"}
    how = {c.name: c.how for c in change.changes}
    assert how == {"Code": "added", "Layers": "added", "Environment": "added",
                   "MemorySize": "modified"}  # from the default of 128
