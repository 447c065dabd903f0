"""LG005 protection-removed, and the two-phase fix applied in either order.

The trap it closes: ``fix --phase-one --write`` adds the alias wiring to the deployed template;
that is deployed. The pull request still carries the template written before it, without the
alias. Deploying it would delete the alias and put the consumers back on ``$LATEST``, and the
race the fix was for is back with the next change.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import FIXTURES, run_cli


def _copy(tmp_path: Path, case: str) -> tuple[str, str]:
    for name in ("template.yaml", "baseline.yaml"):
        shutil.copy(FIXTURES / case / name, tmp_path / name)
    return str(tmp_path / "template.yaml"), str(tmp_path / "baseline.yaml")


def _findings(capsys: pytest.CaptureFixture[str], template: str, baseline: str) -> list[dict]:
    run = run_cli(capsys, "check", "-t", template, "-b", baseline, "--format", "json")
    findings: list[dict] = json.loads(run.out)["findings"]
    return findings


def test_phase_one_deployed_then_the_old_template_is_an_error_until_it_keeps_the_alias(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template, baseline = _copy(tmp_path, "arm64-layer")
    assert run_cli(capsys, "fix", "--template", template, "--baseline", baseline,
                   "--phase-one", "--write").code == 0

    (finding,) = _findings(capsys, template, baseline)

    assert (finding["rule"], finding["name"], finding["severity"]) == (
        "LG005", "protection-removed", "error"
    )
    assert finding["resource"] == "OrdersFn"
    assert "deleted" in finding["message"]
    assert {c["resource"] for c in finding["consumers"]} == {"GetOrders", "QueueMapping", "Nightly"}
    assert all(c["reference"] == "unqualified" for c in finding["consumers"])

    # Without a baseline, fix does not claim that nothing is needed either: the template
    # still routes its consumers to $LATEST.
    alone = run_cli(capsys, "fix", "--template", template)
    assert alone.code == 0 and "+  OrdersFnAliasLive:" in alone.out

    # fix and check agree: fix has something to do, and after it the template is clean.
    run = run_cli(capsys, "fix", "--template", template, "--baseline", baseline, "--write")
    assert run.code == 0 and "nothing" not in run.out.lower()
    assert _findings(capsys, template, baseline) == []
    assert "OrdersFnAliasLive" in Path(template).read_text(encoding="utf-8")


def test_removing_an_alias_without_changing_the_function_is_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The deployed stack is the aliased template; the new one is the same function without
    # the alias (the fixture's baseline), code and configuration unchanged.
    aliased = (FIXTURES / "alias-added" / "template.yaml").read_text(encoding="utf-8")
    plain = (FIXTURES / "alias-added" / "baseline.yaml").read_text(encoding="utf-8")
    for key in ("Architectures: [arm64]", "orders/2222.zip", "deps-arm64:1"):
        assert key in aliased
    plain = (
        plain.replace("Architectures: [x86_64]", "Architectures: [arm64]")
        .replace("orders/1111.zip", "orders/2222.zip")
        .replace("deps-x86_64:4", "deps-arm64:1")
    )
    (tmp_path / "deployed.yaml").write_text(aliased, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(plain, encoding="utf-8")

    (finding,) = _findings(capsys, str(tmp_path / "new.yaml"), str(tmp_path / "deployed.yaml"))

    assert (finding["rule"], finding["severity"]) == ("LG005", "warning")
    assert not any(finding["changes"].values()), "the function itself does not change"
    assert "in the same deployment" not in finding["message"]


@pytest.mark.parametrize("case", ["aliased", "alias-added", "arm64-layer", "code-only"])
def test_consumers_that_stay_on_their_alias_or_were_never_on_one_are_not_flagged(
    capsys: pytest.CaptureFixture[str], case: str
) -> None:
    template, baseline = (
        str(FIXTURES / case / f"{side}.yaml") for side in ("template", "baseline")
    )
    assert all(f["rule"] != "LG005" for f in _findings(capsys, template, baseline))

