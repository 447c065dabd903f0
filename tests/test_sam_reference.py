"""SAM expansion against SAM's own reference translations, read in place from the corpus.

For every ``tests__translator__input__X.yaml`` of the serverless-application-model corpus with
``tests__translator__output__X.json`` beside it, the input is loaded the way a user's template
is (``load_side``: detected as SAM, expanded offline) and the (logical id, type) pairs of the
expansion must be those of the reference output's ``Resources``. Inputs the installed
translator refuses are counted apart; every accepted input must match.

The reference outputs were produced under the conditions of SAM's test suite
(``tests/translator/test_translator.py``), reproduced here rather than built into the loader:

- region ``ap-southeast-1`` (the ``aws`` partition): custom domain names written with
  ``${AWS::Region}`` are hashed into logical ids. The loader takes the configured region, so
  the test configures it, as a user's ``AWS_DEFAULT_REGION`` would;
- inputs named ``feature_toggle_*`` were translated with SAM's feature toggles on (the
  ``normalized_open_api_version`` toggle changes the hashed API deployment id). The loader
  keeps the open-source translator's default, every toggle off; the test turns the toggles
  on in samtranslator for those inputs only.

``pytest -m corpus -s tests/test_sam_reference.py`` prints the figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter, process_time

import pytest

from reviewer.errors import InputError
from reviewer.sources import load_side

pytestmark = pytest.mark.corpus

INPUT_PREFIX = "tests__translator__input__"
OUTPUT_PREFIX = "tests__translator__output__"
REFERENCE_REGION = "ap-southeast-1"
TOGGLED_PREFIX = "feature_toggle_"
TRANSLATOR_REFUSAL = "SAM transform failed"

Pairs = set[tuple[str, str]]


@pytest.fixture(scope="module")
def reference_cases(shared_dir: Path) -> list[tuple[str, Path, Path]]:
    """(case name, SAM input, reference output) for every input that has an output."""
    root = shared_dir / "corpus" / "serverless-application-model"
    if not root.is_dir():
        pytest.skip(f"no SAM reference corpus at {root}")
    cases = []
    for source in sorted(root.glob(f"{INPUT_PREFIX}*.yaml")):
        name = source.name.removeprefix(INPUT_PREFIX).removesuffix(".yaml")
        expected = root / f"{OUTPUT_PREFIX}{name}.json"
        if expected.is_file():
            cases.append((name, source, expected))
    if not cases:
        pytest.skip(f"no SAM input/output pairs in {root}")
    return cases


@dataclass
class Comparison:
    matched: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    mismatched: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def accepted(self) -> int:
        return len(self.matched) + len(self.mismatched)

    def summary(self) -> str:
        rate = 100.0 * len(self.matched) / self.accepted if self.accepted else 0.0
        lines = [
            f"SAM reference: {len(self.matched)}/{self.accepted} accepted inputs match "
            f"({rate:.1f}%), {len(self.refused)} refused by the translator, "
            f"{self.accepted + len(self.refused)} inputs in {self.seconds:.1f} s "
            f"({self.cpu_seconds:.1f} s CPU)",
        ]
        lines += [f"  refused {name}: {reason}" for name, reason in self.refused.items()]
        lines += [f"  MISMATCH {name}: {diff}" for name, diff in self.mismatched.items()]
        return "\n".join(lines)


def resource_pairs(resources: object) -> Pairs:
    if not isinstance(resources, dict):
        return set()
    return {(str(k), str(v.get("Type"))) for k, v in resources.items() if isinstance(v, dict)}


def describe(expected: Pairs, got: Pairs) -> str:
    missing = sorted(expected - got)
    extra = sorted(got - expected)
    return f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, " + (
        f"extra {extra[:5]}{'...' if len(extra) > 5 else ''}"
    )


def test_expansion_matches_the_reference_resources_of_every_accepted_input(
    reference_cases: list[tuple[str, Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from samtranslator.feature_toggle.feature_toggle import (  # type: ignore[import-untyped]
        FeatureToggle,
    )

    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REFERENCE_REGION)
    comparison = Comparison()
    start, cpu_start = perf_counter(), process_time()
    for name, source, output in reference_cases:
        expected = resource_pairs(json.loads(output.read_text(encoding="utf-8")).get("Resources"))
        with monkeypatch.context() as toggles:
            if name.startswith(TOGGLED_PREFIX):
                toggles.setattr(FeatureToggle, "is_enabled", lambda _self, _name: True)
            try:
                (stack,) = load_side(source)
            except InputError as error:
                if not error.message.startswith(TRANSLATOR_REFUSAL):
                    comparison.mismatched[name] = f"not loaded: {error}"
                else:
                    comparison.refused[name] = error.message
                continue
        got = resource_pairs(stack.body.get("Resources"))
        if got == expected:
            comparison.matched.append(name)
        else:
            comparison.mismatched[name] = describe(expected, got)
    comparison.seconds = perf_counter() - start
    comparison.cpu_seconds = process_time() - cpu_start
    summary = comparison.summary()
    print(f"\n{summary}")
    assert comparison.accepted > 0, summary
    assert not comparison.mismatched, summary
