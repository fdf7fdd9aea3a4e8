"""A contract target of 0 on a measured leaf follows the leaf's zero_target rule (issue 14)."""

from __future__ import annotations

import pytest

from evaluator.engine import score
from evaluator.evidence.measure import measured_inputs, target_of
from evaluator.shipped import shipped_system
from evaluator.systems import parse_system


def station(rule: str | None):
    text = shipped_system("station-annual").read_text(encoding="utf-8")
    if rule:
        text = text.replace("missing: zero ", f"zero_target: {rule}\nmissing: zero ", 1)
    return parse_system(text, "station-annual.yaml")


def metrics(value):
    doc = {"params": {}, "stations": {"S1": {"value": value, "n": None, "flags": [], "detail": {}}}}
    return {"service_log": {"leaves": {"C1.3": doc}}}


def test_target_of_keeps_a_zero_and_refuses_a_negative():
    assert target_of("contract.targets.groups", {"groups": 0}, 2) == 0.0
    assert target_of("contract.targets.groups", {"groups": -1}, 2) is None
    assert target_of("contract.targets.groups", {}, 2) is None


def test_zero_contract_target_under_error_is_no_target_and_unscored():
    frame, notes = measured_inputs(station(None), metrics(3), {"S1": {"groups": 0}}, 2)
    assert frame.empty and notes[("S1", "C1.3")]["flags"] == ["no_target"]


@pytest.mark.parametrize(("rule", "value"), [("zero", 3), ("zero", None), ("skip", 3)])
def test_zero_contract_target_is_passed_on_under_zero_and_skip(rule, value):
    system = station(rule)
    frame, notes = measured_inputs(system, metrics(value), {"S1": {"groups": 0}}, 2)
    assert frame[["unit", "leaf", "target"]].values.tolist() == [["S1", "C1.3", 0.0]]
    assert notes[("S1", "C1.3")]["flags"] == []
    result = score(system, frame.assign(elapsed=1.0))
    assert result.flags()["label"].str.startswith("C1.3:zero_target").any()
    share = result.node_shares.loc["S1", "C1.3"]
    assert share == 0 if rule == "zero" else share != share  # NaN: skipped
