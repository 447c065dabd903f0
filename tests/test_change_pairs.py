"""A source that holds both sides of a change (a hook request's previous and new template, a
change set, a plan) gives a pair, and the analysis takes the pair as it takes two sides."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from template_builder import CODE_V1, CODE_V2, template

from reviewer.config import Config
from reviewer.pipeline.sides import analyze_change, load_change, load_text
from reviewer.sources.sides import ChangeSource, LoadedSide, SidePair

QUEUE = {
    "Queue": {"Type": "AWS::SQS::Queue"},
    "Mapping": {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {"FunctionName": {"Ref": "OrdersFn"},
                       "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]}},
    },
}


def body(code: dict[str, str], runtime: str) -> dict[str, Any]:
    return template({"OrdersFn": {"Code": code, "Runtime": runtime}}, resources=QUEUE)


@dataclass(frozen=True)
class PreviousAndNew:
    """Both templates of one stack in one request, as a CloudFormation hook receives them."""

    stack: str
    previous: dict[str, Any] | None
    new: dict[str, Any]

    def load_pair(self, progress: TextIO) -> SidePair:
        progress.write(f"read the request for stack {self.stack}\n")
        new = load_text(Path(f"{self.stack}.json"), json.dumps(self.new))
        if self.previous is None:
            return SidePair(LoadedSide((new,), "request"))
        old = load_text(Path(f"{self.stack}.json"), json.dumps(self.previous))
        return SidePair(LoadedSide((new,), "request"), LoadedSide((old,), "previous template"))


def test_a_pair_source_is_analysed_as_a_change() -> None:
    source: ChangeSource = PreviousAndNew(
        "orders", body(CODE_V1, "python3.12"), body(CODE_V2, "python3.13")
    )
    progress = io.StringIO()
    report = analyze_change(load_change(source, progress), Config())
    assert progress.getvalue() == "read the request for stack orders\n"
    assert report.baseline == "previous template"
    (finding,) = report.findings
    assert (finding.rule, finding.resource) == ("LG001", "OrdersFn")
    assert [c.resource for c in finding.consumers] == ["Mapping"]


def test_a_pair_without_a_previous_template_is_a_new_stack() -> None:
    source = PreviousAndNew("orders", None, body(CODE_V2, "python3.13"))
    report = analyze_change(load_change(source, io.StringIO()), Config())
    assert report.baseline == "none"
    assert not [f for f in report.findings if f.rule != "LG004"]
    (stack,) = report.stacks
    assert stack.status.value == "new"


def test_a_stack_whose_baseline_is_missing_says_why() -> None:
    new = load_text(Path("orders.json"), json.dumps(body(CODE_V2, "python3.13")))
    pair = SidePair(
        LoadedSide((new,), "request"),
        LoadedSide((), "previous template", missing={Path("orders.json"): "not in the request"}),
    )
    report = analyze_change(pair, Config())
    (stack,) = report.stacks
    assert stack.status.value == "baseline-missing"
    assert "not in the request" in stack.notes
