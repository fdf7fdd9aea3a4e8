"""Each leaf reconciled by its own rule (`reconcile:` on the leaf, else the system's), on
hand-computed cases; a system without the key keeps its hash; problems stay located at the
rows of the input table."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluator.engine.reconcile import reconciliation_by_leaf
from evaluator.errors import InvalidInput
from evaluator.systems import parse_system

SYSTEM = """
system: {id: rules, version: '1', name: {zh: 合议, en: Rules}, unit: station, total_points: 30}
grades:
  - {code: pass, zh: 合格, en: Pass, min: 18}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
%s
tree:
  - code: A
    name: {zh: 甲, en: A}
    points: 30
    children:
      - {code: T, name: {zh: 默认, en: Default}, points: 10, method: likert, scale: [1, 5], mapping: [[1, 0], [5, 1]]}
      - {code: M, name: {zh: 平均, en: Mean}, points: 10, method: likert, scale: [1, 5], mapping: [[1, 0], [5, 1]], reconcile: mean}
      - {code: D, name: {zh: 中位, en: Median}, points: 10, method: likert, scale: [1, 5], mapping: [[1, 0], [5, 1]], reconcile: median}
"""
VALUES = [1.0, 2.0, 4.0, 5.0]  # four raters on every leaf: mean 3, median 3, trimmed 3 …
SKEWED = [1.0, 4.0, 4.5, 5.0]  # … and here: mean 3.625, median 4.25, trimmed 4.25


def raw(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"unit": "ST01", "leaf": leaf, "value": v, "n": 40, "rater": f"r{i}"}
            for leaf in ("T", "M", "D")
            for i, v in enumerate(values)
        ]
    )


def values_of(system, frame) -> dict[str, float]:
    table = reconciliation_by_leaf(system, frame).table
    return dict(zip(table["leaf"], table["value"], strict=True))


def test_each_leaf_by_its_rule_hand_computed():
    system = parse_system(SYSTEM % "", "rules.yaml")
    got = values_of(system, raw(SKEWED))
    assert got == pytest.approx({"T": 4.25, "M": 3.625, "D": 4.25})
    five = [1.0, 2.0, 3.0, 4.0, 10.0 / 2]  # trimmed drops 1 and 5: mean of 2, 3, 4 = 3
    assert values_of(system, raw(five)) == pytest.approx({"T": 3.0, "M": 3.0, "D": 3.0})


def test_the_system_default_applies_where_a_leaf_says_nothing():
    system = parse_system(SYSTEM % "reconcile: mean", "rules.yaml")
    got = values_of(system, raw(SKEWED))
    assert got == pytest.approx({"T": 3.625, "M": 3.625, "D": 4.25})


def test_a_system_without_the_key_keeps_its_hash():
    plain = parse_system(SYSTEM % "".replace("", ""), "a.yaml")
    explicit = parse_system((SYSTEM % "reconcile: trimmed"), "b.yaml")
    assert plain.content_hash == explicit.content_hash
    assert "reconcile" not in plain.canonical()


def test_problems_are_located_at_the_rows_of_the_input():
    system = parse_system(SYSTEM % "", "rules.yaml")
    frame = raw(VALUES)
    frame.loc[6, "value"] = 9.0  # row 6: leaf M (mean), out of its 1–5 scale
    with pytest.raises(InvalidInput) as caught:
        reconciliation_by_leaf(system, frame)
    assert any(
        "row 8" in str(p) or "rows[6]" in str(p) or "6" in str(p.where)
        for p in caught.value.problems
    )


def test_the_disagreement_limits_are_the_systems_and_default_keeps_the_hash():
    plain = parse_system(SYSTEM % "", "a.yaml")
    explicit = parse_system(SYSTEM % "disagreement: {levels: 1, share: 0.25}", "b.yaml")
    wider = parse_system(SYSTEM % "disagreement: {levels: 2, share: 0.5}", "c.yaml")
    assert plain.content_hash == explicit.content_hash != wider.content_hash
    assert (wider.spec.disagreement.levels, wider.spec.disagreement.share) == (2, 0.5)
    with pytest.raises(Exception) as caught:
        parse_system(SYSTEM % "disagreement: {levels: 1, share: 0}", "d.yaml")
    assert "share" in str(caught.value)
