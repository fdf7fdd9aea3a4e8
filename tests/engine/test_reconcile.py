"""Multi-rater reconciliation: each rule and each method's conversion computed by hand,
empty values ignored, contract columns that must agree, rows located when bad, properties
over random panels, and the reconciled table scored end to end."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.engine import score
from evaluator.engine.reconcile import (
    REPORT_COLUMNS,
    nearest_level,
    reconcile,
    reconcile_report,
    reconciliation,
)
from evaluator.errors import InvalidInput
from evaluator.systems import parse_system

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SYSTEM = textwrap.dedent(
    """
    system:
      id: panel
      version: "1"
      name: {zh: 合议, en: Panel}
      unit: station
      total_points: 40
    grades:
      - {code: pass, zh: 合格, en: Pass, min: 20}
      - {code: fail, zh: 不合格, en: Fail, min: 0}
    vetoes:
      - {code: V1, name: {zh: 否决, en: Veto}}
    tree:
      - code: G
        name: {zh: 组, en: Group}
        points: 40
        children:
          - code: C
            name: {zh: 清单, en: Checklist}
            points: 4
            method: checklist
            items:
              - {code: a, text: 甲, points: 2}
              - {code: b, text: 乙, points: 2}
          - {code: R, name: {zh: 比率, en: Ratio}, points: 6, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
          - code: K
            name: {zh: 程度, en: Level}
            points: 4
            method: rubric
            levels:
              - {level: 0, zh: 无, en: None}
              - {level: 1, zh: 初, en: Initial}
              - {level: 2, zh: 中, en: Basic}
              - {level: 3, zh: 良, en: Good}
              - {level: 4, zh: 优, en: Top}
          - {code: K2, name: {zh: 程度二, en: Level 2}, points: 4, method: rubric, levels: [{level: 0, zh: 无, en: None}, {level: 2, zh: 中, en: Mid}, {level: 4, zh: 优, en: Top}]}
          - {code: L, name: {zh: 满意, en: Likert}, points: 6, method: likert, scale: [1, 5], min_n: 5}
          - {code: N, name: {zh: 数量, en: Count}, points: 8, method: count, steps: [{min: 80, share: 1}, {min: 60, share: 0.5}]}
          - {code: D, name: {zh: 扣分, en: Deduction}, points: 8, method: deduction, penalty: 1}
          - {code: B, name: {zh: 加分, en: Bonus}, method: bonus, per_unit: 1, cap: 2}
    """
)


@pytest.fixture(scope="module")
def system():
    return parse_system(SYSTEM, "panel.yaml")


def panel(leaf: str, values, unit: str = "u1", item: str | None = None, **extra) -> list[dict]:
    """One row per rater r1, r2, … for one (unit, leaf, item); None = left empty."""
    rows = []
    for i, v in enumerate(values, start=1):
        row = {"unit": unit, "rater": f"r{i}", "leaf": leaf, "value": v}
        if item is not None:
            row["item"] = item
        for name, column in extra.items():
            if column[i - 1] is not None:
                row[name] = column[i - 1]
        rows.append(row)
    return rows


def one(system, rows: list[dict], rule: str = "trimmed") -> tuple[pd.Series, pd.Series]:
    """(table row, report row) of a panel on a single (unit, leaf, item)."""
    rec = reconciliation(system, pd.DataFrame(rows), rule)
    assert len(rec.table) == 1 and len(rec.report) == 1
    return rec.table.iloc[0], rec.report.iloc[0]


# -- rules ---------------------------------------------------------------------------------


def test_trimmed_drops_one_highest_and_one_lowest(system):
    row, rep = one(system, panel("N", [90, 60, 100, 70, 80]))
    assert row["value"] == 80
    assert (rep["n_raters"], rep["min"], rep["max"], rep["spread"]) == (5, 60, 100, 40)
    assert rep["dropped"] == ("r2", "r3")  # the 60 and the 100


def test_trimmed_with_four_raters_averages_the_middle_two(system):
    row, rep = one(system, panel("N", [60, 70, 80, 100]))
    assert row["value"] == 75
    assert rep["dropped"] == ("r1", "r4")


@pytest.mark.parametrize(("values", "expected"), [([70, 80], 75), ([64], 64)])
def test_trimmed_with_one_or_two_raters_averages_all(system, values, expected):
    row, rep = one(system, panel("N", values))
    assert row["value"] == expected
    assert rep["dropped"] == ()


def test_trimmed_drops_only_one_of_equal_extremes(system):
    row, rep = one(system, panel("N", [90, 60, 90]))
    assert row["value"] == 90
    assert rep["dropped"] == ("r2", "r3")  # of the two 90s, the rater whose name sorts last


def test_mean_rule(system):
    row, rep = one(system, panel("N", [60, 70, 100]), "mean")
    assert row["value"] == pytest.approx(230 / 3)
    assert rep["dropped"] == ()


@pytest.mark.parametrize(("values", "expected"), [([100, 60, 70], 70), ([60, 100, 70, 80], 75)])
def test_median_rule(system, values, expected):
    row, _ = one(system, panel("N", values), "median")
    assert row["value"] == expected


def test_lead_rule_takes_the_lead_raters_value(system):
    rows = panel("N", [60, 70, 100], lead=[None, "是", None]) + panel("N", [60, 70, 100], unit="u2")
    rows += panel("D", [1, None, 3], lead=[None, True, None])  # the lead left D empty
    rec = reconciliation(system, pd.DataFrame(rows), "lead")
    table = rec.table.set_index(["unit", "leaf"])["value"]
    assert table[("u1", "N")] == 70
    assert table[("u2", "N")] == 70  # no lead for u2: trimmed
    assert table[("u1", "D")] == 2  # the lead did not rate D: trimmed over r1 and r3
    report = rec.report.set_index(["unit", "leaf"])["dropped"]
    assert report[("u1", "N")] == ("r1", "r3")


def test_lead_rule_needs_a_lead_column_and_one_lead_per_unit(system):
    with pytest.raises(InvalidInput) as exc:
        reconcile(system, pd.DataFrame(panel("N", [60, 70])), "lead")
    assert exc.value.problems[0].column == "lead"
    rows = panel("N", [60, 70, 80], lead=[1, 1, 0])
    with pytest.raises(InvalidInput) as exc:
        reconcile(system, pd.DataFrame(rows), "lead")
    assert sorted(p.row for p in exc.value.problems) == [2, 3]
    assert "more than one lead" in exc.value.problems[0].en
    rows = panel("N", [60, 70, 80], lead=[1, "maybe", 0])
    with pytest.raises(InvalidInput) as exc:
        reconcile(system, pd.DataFrame(rows), "lead")
    assert [(p.row, p.column) for p in exc.value.problems] == [(3, "lead")]


def test_unknown_rule(system):
    with pytest.raises(InvalidInput, match="unknown reconciliation rule"):
        reconcile(system, pd.DataFrame(panel("N", [60])), "max")


# -- per method ----------------------------------------------------------------------------


def test_rubric_rounds_half_up_to_a_level(system):
    row, rep = one(system, panel("K", [2, 3]))
    assert (rep["average"], row["value"]) == (2.5, 3)
    row, rep = one(system, panel("K", [1, 2, 2]), "mean")
    assert rep["average"] == pytest.approx(5 / 3) and row["value"] == 2


def test_rubric_rounds_to_the_nearest_level_of_a_sparse_set(system):
    assert one(system, panel("K2", [2, 4]))[0]["value"] == 4  # 3 is halfway: up
    assert one(system, panel("K2", [2, 2, 4]), "mean")[0]["value"] == 2  # 2.67 is nearer 2
    assert one(system, panel("K2", [0, 2]))[0]["value"] == 2  # 1 is halfway: up
    assert one(system, panel("K2", [0, 0, 2]), "mean")[0]["value"] == 0


def test_nearest_level():
    levels = np.array([0.0, 2.0, 4.0])
    x = np.array([0, 0.9, 1, 1.1, 2.5, 3, 3.0000000000000004, 4])
    assert nearest_level(x, levels).tolist() == [0, 0, 2, 2, 2, 4, 4, 4]
    assert nearest_level(np.array([3.0]), np.array([3.0])).tolist() == [3]


def test_checklist_tie_is_not_met(system):
    row, rep = one(system, panel("C", [1, 0], item="a"))
    assert (row["item"], row["value"], rep["tie"], rep["average"]) == ("a", 0, True, 0.5)
    row, rep = one(system, panel("C", ["是", "否", "是"], item="a"))  # trimmed keeps the middle 1
    assert (row["value"], rep["tie"]) == (1, False)
    assert one(system, panel("C", [1, 1, 0, 0], item="b"))[0]["value"] == 0  # 1, 0 kept: tie
    assert one(system, panel("C", [1, 1, 0], item="b"), "mean")[0]["value"] == 1  # 2/3
    assert one(system, panel("C", [1, 0, 0], item="b"), "mean")[0]["value"] == 0  # 1/3


def test_veto_tie_is_not_confirmed(system):
    row, rep = one(system, panel("V1", [1, 0]))
    assert (row["value"], rep["tie"]) == (0, True)
    assert one(system, panel("V1", [1, 1, 0]))[0]["value"] == 1
    assert one(system, panel("V1", [1, 0, 0, 1]), "median")[0]["value"] == 0


def test_likert_means_weighted_by_n_and_the_largest_n(system):
    rows = panel("L", [4.0, 3.0], n=[30, 10])
    row, _ = one(system, rows)
    assert row["value"] == pytest.approx((4 * 30 + 3 * 10) / 40)
    assert row["n"] == 30  # the same survey entered twice must not count 40 respondents


def test_likert_without_n_on_every_row_is_a_plain_mean(system):
    row, _ = one(system, panel("L", [4.0, 3.0], n=[30, None]))
    assert (row["value"], row["n"]) == (3.5, 30)


def test_likert_trimmed_drops_extreme_means_before_weighting(system):
    row, rep = one(system, panel("L", [4.0, 3.0, 4.5, 2.0], n=[30, 30, 40, 10]))
    assert (row["value"], row["n"]) == (3.5, 30)  # 4.5 (n 40) and 2.0 dropped
    assert rep["dropped"] == ("r4", "r3")


def test_other_methods_take_the_average(system):
    assert one(system, panel("D", [1, 2]))[0]["value"] == 1.5
    assert one(system, panel("R", [0.7, 0.8]))[0]["value"] == pytest.approx(0.75)
    assert one(system, panel("B", [1, 2, 2]))[0]["value"] == 2


# -- empty values, contract columns, validation --------------------------------------------


def test_empty_values_are_ignored(system):
    row, rep = one(system, panel("N", [80, None, 90]))
    assert row["value"] == 85  # two raters: not trimmed, not pulled to 0
    assert rep["n_raters"] == 2
    rows = panel("N", [80, "", "  "]) + panel("D", [None, None, None])
    rec = reconciliation(system, pd.DataFrame(rows))
    assert rec.table[["leaf", "value"]].values.tolist() == [["N", 80]]  # D is simply missing


def test_all_empty_gives_an_empty_table(system):
    rec = reconciliation(system, pd.DataFrame(panel("N", [None, None])))
    assert rec.table.empty and list(rec.report.columns) == list(REPORT_COLUMNS)


def test_one_row_per_unit_leaf_item_and_no_rater_column(system):
    rows = (
        panel("C", [1, 1, 0], item="a") + panel("C", [0, 1, 0], item="b") + panel("N", [70, 80, 90])
    )
    rows += panel("N", [50, 60], unit="u2")
    table = reconcile(system, pd.DataFrame(rows))
    assert list(table.columns) == ["unit", "leaf", "item", "value"]
    assert table[["unit", "leaf"]].values.tolist() == [
        ["u1", "C"],
        ["u1", "C"],
        ["u1", "N"],
        ["u2", "N"],
    ]
    assert table["item"].tolist()[:2] == ["a", "b"] and table["item"][2:].isna().all()
    assert table["value"].tolist() == [1, 0, 80, 55]


def test_target_taken_when_raters_agree_or_leave_it_blank(system):
    rows = panel("R", [8, 9, 6], target=[12, None, 12], elapsed=[0.5, 0.5, 0.5])
    row, _ = one(system, rows)
    assert (row["value"], row["target"], row["elapsed"]) == (8, 12, 0.5)


@pytest.mark.parametrize("column", ["target", "elapsed"])
def test_conflicting_contract_columns_are_an_error(system, column):
    values = {"target": [12, 15, 12], "elapsed": [0.5, 0.5, 1]}[column]
    rows = panel("N", [70, 80], unit="u0") + panel("R", [8, 9, 6], **{column: values})
    with pytest.raises(InvalidInput) as exc:
        reconcile(system, pd.DataFrame(rows))
    assert sorted((p.row, p.column) for p in exc.value.problems) == [
        (4, column),
        (5, column),
        (6, column),
    ]
    problem = exc.value.problems[0]
    assert "r1: " in problem.en and "r2: " in problem.en and "unit u1, leaf R" in problem.en
    assert "不一致" in problem.zh


def test_every_raters_row_is_validated_with_its_own_row_number(system):
    rows = panel("N", [70, 80, 90]) + panel("K", [2, 7]) + panel("N", [60], unit="u2")
    rows[1]["value"] = "eighty"
    rows[5]["rater"] = ""  # u2's only rater is anonymous
    rows.append({"unit": "u1", "rater": "r1", "leaf": "N", "value": 75})  # r1 rated N twice
    rows.append({"unit": "u1", "rater": "r4", "leaf": "ZZ", "value": 1})
    with pytest.raises(InvalidInput) as exc:
        reconcile(system, pd.DataFrame(rows))
    located = sorted((p.row, p.column) for p in exc.value.problems)
    assert located == [(3, "value"), (6, "value"), (7, "rater"), (8, "leaf"), (9, "leaf")]
    by_row = {p.row: p for p in exc.value.problems}
    assert "same rater" in by_row[8].en and "评估员" in by_row[8].zh
    assert "must be one of" in by_row[6].en


def test_required_rater_column(system):
    with pytest.raises(InvalidInput) as exc:
        reconcile(system, pd.DataFrame([{"unit": "u1", "leaf": "N", "value": 1}]))
    assert [p.column for p in exc.value.problems] == ["rater"]


def test_index_of_the_raw_frame_does_not_matter(system):
    frame = pd.DataFrame(panel("N", [60, 70, 80, 90, 100]), index=[10, 3, 7, 1, 0])
    assert reconcile(system, frame)["value"].tolist() == [80]


# -- properties ----------------------------------------------------------------------------

values_st = st.lists(
    st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=9,
)


@SETTINGS
@given(values=values_st)
def test_trimmed_within_min_and_max_and_as_defined(system, values):
    _, rep = one(system, panel("N", values))
    assert rep["min"] <= rep["average"] <= rep["max"]
    ordered = sorted(values)
    expected = np.mean(ordered[1:-1] if len(values) >= 3 else ordered)
    assert rep["average"] == pytest.approx(expected, rel=1e-12, abs=1e-9)


@SETTINGS
@given(values=values_st, rule=st.sampled_from(["trimmed", "mean", "median"]), data=st.data())
def test_invariant_to_rater_order(system, values, rule, data):
    rows = panel("N", values) + panel("K", [v % 5 // 1 for v in values])
    rows += panel("C", [int(v) % 2 for v in values], item="a")
    shuffled = data.draw(st.permutations(rows))
    a = reconciliation(system, pd.DataFrame(rows), rule)
    b = reconciliation(system, pd.DataFrame(shuffled), rule)
    key = ["unit", "leaf", "item"]
    pd.testing.assert_frame_equal(
        a.table.sort_values(key, ignore_index=True), b.table.sort_values(key, ignore_index=True)
    )
    pd.testing.assert_frame_equal(
        a.report.sort_values(key, ignore_index=True), b.report.sort_values(key, ignore_index=True)
    )


@SETTINGS
@given(
    value=st.floats(min_value=0, max_value=1000, allow_nan=False, allow_infinity=False),
    k=st.integers(min_value=1, max_value=9),
    rule=st.sampled_from(["trimmed", "mean", "median"]),
)
def test_unanimous_panel_gives_exactly_that_value(system, value, k, rule):
    row, rep = one(system, panel("N", [value] * k), rule)
    assert row["value"] == value and rep["spread"] == 0
    assert (
        one(system, panel("L", [1 + value / 250] * k, n=[7] * k), rule)[0]["value"]
        == 1 + value / 250
    )


# -- end to end ----------------------------------------------------------------------------


def test_reconciled_table_scores(system):
    rows = (
        panel("C", [1, 1, 0], item="a")
        + panel("C", [1, 0], item="b")  # tie: not met
        + panel("R", [8, 9, 10])  # 9 → ratio 0.9
        + panel("K", [3, 4, 2])  # 3
        + panel("K2", [2, 4])  # 3 → 4
        + panel("L", [4.0, 4.0, 3.0], n=[20, 20, 20])  # trimmed: 4.0, n 20
        + panel("N", [60, 70, 80, 90, 100])  # 80
        + panel("D", [1, 2, 3])  # 2
        + panel("B", [1, 2])  # 1.5
        + panel("V1", [1, 0])  # tie: not confirmed
        + panel("N", [50, 50, 90], unit="u2")
        + panel("V1", [1, 1, 0], unit="u2")  # confirmed
    )
    raw = pd.DataFrame(rows).sample(frac=1, random_state=7)
    result = score(system, reconcile(system, raw))
    points = result.node_points.loc["u1"]
    assert points[["C", "R", "K", "K2", "L", "N", "D"]].tolist() == pytest.approx(
        [2, 5.4, 3, 4, 4.5, 8, 6]
    )
    assert result.total["u1"] == pytest.approx(2 + 5.4 + 3 + 4 + 4.5 + 8 + 6 + 1.5)
    assert not result.vetoed["u1"]
    assert result.vetoed["u2"] and result.grade["u2"] == "fail"
    assert result.node_points.loc["u2", "N"] == 0  # 50 is below every step


def test_reconcile_report_is_the_report(system):
    raw = pd.DataFrame(panel("N", [60, 70, 80]))
    report = reconcile_report(system, raw)
    assert list(report.columns) == list(REPORT_COLUMNS)
    assert report.iloc[0]["dropped"] == ("r1", "r3")
