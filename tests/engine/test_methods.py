"""Every scoring method, the missing-input rules, aggregation, floors, vetoes, grades and
ranks, each on small inline systems with hand-computed expectations
(docs/indicator-systems.md)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from evaluator.engine import score
from evaluator.errors import InvalidInput
from evaluator.shipped import shipped_dir
from evaluator.systems import IndicatorSystem, parse_system

HEADER = """\
system:
  id: t
  version: "1"
  name: {{zh: 测试, en: Test}}
  unit: station
  total_points: {total}
"""

GRADES_10 = """\
grades:
  - {code: pass, zh: 合格, en: Pass, min: 6}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
"""

GRADES_100 = """\
grades:
  - {code: excellent, zh: 优秀, en: Excellent, min: 90}
  - {code: good, zh: 良好, en: Good, min: 80}
  - {code: pass, zh: 合格, en: Pass, min: 60}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
"""


def build(body: str, total: float = 10, grades: str | None = None) -> IndicatorSystem:
    """An inline system: the header, grade bands and ``body`` (tree and other keys)."""
    if grades is None:
        grades = GRADES_100 if total == 100 else GRADES_10
    text = HEADER.format(total=total) + grades + textwrap.dedent(body)
    return parse_system(text, "t.yaml")


def one_family(children: str, **kw) -> IndicatorSystem:
    """A system of one family F (10 points) over ``children`` (YAML list items)."""
    items = textwrap.indent(textwrap.dedent(children), "      ")
    return build(
        "tree:\n  - code: F\n    name: {zh: 族, en: F}\n    points: 10\n    children:\n" + items,
        **kw,
    )


def raw(*rows: tuple) -> pd.DataFrame:
    """Rows as (unit, leaf, value) or (unit, leaf, value, {extra columns})."""
    records = []
    for row in rows:
        unit, leaf, value, *extra = row
        rec = {"unit": unit, "leaf": leaf, "value": value}
        if extra:
            rec.update(extra[0])
        records.append(rec)
    return pd.DataFrame.from_records(records)


def flags_of(result, unit: str, code: str) -> set[str]:
    f = result.flags()
    return set(f[(f["unit"] == unit) & (f["code"] == code)]["flag"])


class Leaf(str):
    """A leaf's YAML head (code, bilingual name, points, method); ``+ \"\"\"keys\"\"\"``
    appends the method's own keys, an indented block written in place."""

    def __add__(self, keys: str) -> str:
        return str(self) + textwrap.dedent(keys).lstrip("\n")


def leaf(code: str, method: str, points: float, zh: str, en: str) -> Leaf:
    return Leaf(f"code: {code}\nname: {{zh: {zh}, en: {en}}}\npoints: {points}\nmethod: {method}\n")


def one_leaf(
    leaf_yaml: str, points: float = 10, total: float = 10, extra: str = ""
) -> IndicatorSystem:
    """A system with one family F whose only child is the leaf given (indented as a list item)."""
    leaf = textwrap.indent(textwrap.dedent(leaf_yaml).strip(), " " * 6)
    leaf = "    -" + leaf[5:]
    body = (
        "tree:\n"
        "  - code: F\n"
        "    name: {zh: 族, en: Family}\n"
        f"    points: {total}\n"
        "    children:\n"
        f"{leaf}\n"
    )
    return build(body + textwrap.dedent(extra), total=total)


# --------------------------------------------------------------------------- checklist

CHECKLIST = """
tree:
  - code: F
    name: {zh: 合规, en: Compliance}
    points: 10
    children:
      - code: C
        name: {zh: 制度, en: Rules}
        points: 4
        method: checklist
        items:
          - {code: a, text: 人员, points: 1}
          - {code: b, text: 财务, points: 1}
          - {code: c, text: 档案, points: 2}
      - code: D
        name: {zh: 扣分, en: Deduction}
        points: 6
        method: deduction
        penalty: 1
"""


def test_checklist_partial_absent_items_and_missing_leaf():
    s = build(CHECKLIST)
    df = raw(
        ("u1", "C", 1, {"item": "a"}),
        ("u1", "C", 0, {"item": "b"}),
        ("u1", "C", 1, {"item": "c"}),
        ("u2", "C", 1, {"item": "a"}),  # b and c have no row: not met
        ("u3", "D", 0),  # no checklist row at all: the leaf is missing
        ("u4", "C", "是", {"item": "c"}),
        ("u4", "C", "否", {"item": "a"}),
    )
    r = score(s, df)
    assert r.node_shares.loc[["u1", "u2", "u3", "u4"], "C"].tolist() == pytest.approx(
        [0.75, 0.25, 0.0, 0.5]
    )
    assert r.node_points.loc[["u1", "u2", "u3", "u4"], "C"].tolist() == pytest.approx(
        [3.0, 1.0, 0.0, 2.0]
    )
    # raw shown in explanations: the met items' points
    assert r.leaf_scores["C"].raw[:2].tolist() == pytest.approx([3.0, 1.0])
    assert np.isnan(r.leaf_scores["C"].raw[2])
    assert bool(r.missing.loc["u3", "C"]) and not bool(r.missing.loc["u2", "C"])
    assert flags_of(r, "u3", "C") == {"missing"}
    assert flags_of(r, "u2", "C") == set()
    # u3's deduction D: 0 incidents → full 6 points, so the family is 6
    assert r.node_points.loc["u3", "F"] == pytest.approx(6.0)


def test_checklist_without_rows_is_skipped_under_skip():
    s = build("missing: skip\n" + CHECKLIST)
    r = score(s, raw(("u1", "D", 3), ("u2", "C", 0, {"item": "a"}), ("u2", "D", 3)))
    assert np.isnan(r.node_shares.loc["u1", "C"])
    assert flags_of(r, "u1", "C") == {"skipped"}
    # F = 10 × (6 × 0.5) / 6 = 5; with an item row (not met) C counts: 10 × 3 / 10 = 3
    assert r.node_points.loc["u1", "F"] == pytest.approx(5.0)
    assert r.node_shares.loc["u2", "C"] == 0
    assert r.node_points.loc["u2", "F"] == pytest.approx(3.0)


def test_checklist_under_weights_uses_relative_item_points():
    s = one_family(
        """
              - code: C
                name: {zh: 清单, en: List}
                weight: 1
                method: checklist
                items:
                  - {code: a, text: 甲, points: 1}
                  - {code: b, text: 乙, points: 3}
              - code: R
                name: {zh: 比率, en: Ratio}
                weight: 1
                method: ratio
                linear: {floor: 0, cap: 1}
        """
    )
    r = score(s, raw(("u1", "C", 1, {"item": "b"}), ("u1", "R", 0)))
    assert s.nodes["C"].points == pytest.approx(5.0)
    assert r.node_shares.loc["u1", "C"] == pytest.approx(0.75)
    assert r.node_points.loc["u1", "C"] == pytest.approx(3.75)


# --------------------------------------------------------------------------- ratio

RATIO_BANDS = (
    leaf("R", "ratio", 6, "个案量", "Cases")
    + """
target: 20
bands:
  - {min: 1.0, share: 1}
  - {min: 0.8, share: 0.667}
  - {min: 0.6, share: 0.333}
"""
)


def test_ratio_bands_edges_above_one_and_below_every_band():
    s = one_leaf(RATIO_BANDS, total=6)
    df = raw(
        ("edge08", "R", 16),  # r = 0.8 exactly → the 0.8 band (min is inclusive)
        ("edge06", "R", 12),  # r = 0.6 exactly
        ("edge10", "R", 20),  # r = 1.0
        ("above", "R", 30),  # r = 1.5
        ("below", "R", 11.9),  # r = 0.595 < every band → 0
        ("zero", "R", 0),
        ("mid", "R", 17),  # r = 0.85
    )
    r = score(s, df)
    units = ["edge08", "edge06", "edge10", "above", "below", "zero", "mid"]
    assert r.node_shares.loc[units, "R"].tolist() == pytest.approx(
        [0.667, 0.333, 1, 1, 0, 0, 0.667]
    )
    assert r.node_points.loc[units, "R"].tolist() == pytest.approx(
        [4.002, 1.998, 6, 6, 0, 0, 4.002]
    )
    measure = pd.Series(r.leaf_scores["R"].measure, index=r.units)
    assert measure[units].tolist() == pytest.approx([0.8, 0.6, 1.0, 1.5, 0.595, 0.0, 0.85])
    basis = pd.Series(r.leaf_scores["R"].basis, index=r.units)
    assert (basis == 20).all()


def test_ratio_band_edge_is_robust_to_binary_noise():
    # 5.6 / 7 is 0.7999999999999999 in binary: within 1e-9 of the edge counts as on it
    # (regression: methods.EDGE)
    s = one_leaf(RATIO_BANDS.replace("target: 20", "target: 7"), total=6)
    r = score(s, raw(("on", "R", 5.6), ("below", "R", 5.599), ("noise", "R", 4.2)))
    assert r.leaf_scores["R"].measure[0] < 0.8  # the binary noise is really there
    assert r.node_shares["R"].tolist() == pytest.approx([0.667, 0.333, 0.333])
    # value-as-ratio: 0.7999999999999999 given directly is on the edge, 0.79999 is not
    s2 = one_leaf(RATIO_BANDS.replace("target: 20\n", ""), total=6)
    r2 = score(s2, raw(("a", "R", 0.7999999999999999), ("b", "R", 0.79999)))
    assert r2.node_shares["R"].tolist() == pytest.approx([0.667, 0.333])


def test_count_step_edge_is_robust_to_binary_noise():
    s = one_leaf(
        leaf("N", "count", 4, "覆盖", "Coverage")
        + """
        per_target: true
        steps:
          - {min: 0.8, share: 1}
          - {min: 0.4, share: 0.5}
        """,
        total=4,
    )
    r = score(s, raw(("on", "N", 5.6, {"target": 7}), ("below", "N", 5.599, {"target": 7})))
    assert r.node_shares["N"].tolist() == pytest.approx([1.0, 0.5])


def test_ratio_linear_floor_and_cap():
    s = one_leaf(
        leaf("R", "ratio", 10, "线性", "Linear")
        + """
        target: 10
        linear: {floor: 0.5, cap: 1.2}
        """
    )
    # share = clip((min(r, 1.2) − 0.5) / 0.7, 0, 1)
    df = raw(
        ("u1", "R", 4),
        ("u2", "R", 8.5),
        ("u3", "R", 12),
        ("u4", "R", 20),
        ("u5", "R", 5),
        ("u6", "R", 10),
    )
    r = score(s, df)
    expected = [0.0, 0.5, 1.0, 1.0, 0.0, 5 / 7]
    assert r.node_shares["R"].tolist() == pytest.approx(expected)
    assert r.node_points["R"].tolist() == pytest.approx([10 * e for e in expected])


def test_ratio_row_target_overrides_leaf_target():
    s = one_leaf(RATIO_BANDS, total=6)
    df = raw(
        ("u1", "R", 8, {"target": 10}),  # r = 0.8
        ("u2", "R", 8),  # leaf target 20: r = 0.4
        ("u3", "R", 8, {"target": 8}),  # r = 1
    )
    r = score(s, df)
    assert r.leaf_scores["R"].measure.tolist() == pytest.approx([0.8, 0.4, 1.0])
    assert r.leaf_scores["R"].basis.tolist() == pytest.approx([10, 20, 8])
    assert r.node_shares["R"].tolist() == pytest.approx([0.667, 0.0, 1.0])


def test_ratio_prorate_with_elapsed():
    s = one_leaf(
        leaf("R", "ratio", 10, "中期", "Mid-term")
        + """
        target: 20
        prorate: true
        linear: {floor: 0, cap: 1}
        """
    )
    df = raw(
        ("u1", "R", 8, {"elapsed": 0.5}),  # target 20 × 0.5 = 10 → r 0.8
        ("u2", "R", 8),  # no elapsed: the whole period → r 0.4
        ("u3", "R", 8, {"elapsed": 0.25, "target": 40}),  # 40 × 0.25 = 10 → r 0.8
        ("u4", "R", 15, {"elapsed": 0.5}),  # r 1.5 → capped at 1
    )
    r = score(s, df)
    assert r.leaf_scores["R"].basis.tolist() == pytest.approx([10, 20, 10, 10])
    assert r.leaf_scores["R"].measure.tolist() == pytest.approx([0.8, 0.4, 0.8, 1.5])
    assert r.node_points["R"].tolist() == pytest.approx([8.0, 4.0, 8.0, 10.0])


def test_ratio_elapsed_ignored_without_prorate():
    s = one_leaf(RATIO_BANDS, total=6)
    r = score(s, raw(("u1", "R", 16, {"elapsed": 0.5})))
    assert r.leaf_scores["R"].measure.tolist() == pytest.approx([0.8])


def test_ratio_value_is_the_ratio_without_target():
    s = one_leaf(
        leaf("R", "ratio", 10, "达成率", "Rate")
        + """
        linear: {floor: 0, cap: 1}
        """
    )
    r = score(s, raw(("u1", "R", 0.75), ("u2", "R", 1.3), ("u3", "R", 0)))
    assert r.node_shares["R"].tolist() == pytest.approx([0.75, 1.0, 0.0])
    assert r.leaf_scores["R"].measure.tolist() == pytest.approx([0.75, 1.3, 0.0])


def test_ratio_value_as_ratio_does_not_depend_on_other_units_targets():
    s = one_leaf(
        leaf("R", "ratio", 10, "达成率", "Rate")
        + """
        linear: {floor: 0, cap: 1}
        """
    )
    alone = score(s, raw(("u1", "R", 0.5)))
    assert alone.node_points.loc["u1", "R"] == pytest.approx(5.0)
    cohort = score(s, raw(("u1", "R", 0.5), ("u2", "R", 5, {"target": 10})))
    assert cohort.node_points.loc["u2", "R"] == pytest.approx(5.0)
    # regression: was NaN (silently skipped) while another unit had a target
    assert cohort.node_points.loc["u1", "R"] == pytest.approx(5.0)
    assert cohort.total.loc["u1"] == pytest.approx(5.0)
    assert cohort.flags().empty


def test_count_per_target_without_leaf_target_is_decided_unit_by_unit():
    s = one_leaf(
        leaf("N", "count", 4, "覆盖", "Coverage")
        + """
        per_target: true
        steps:
          - {min: 1.0, share: 1}
          - {min: 0.5, share: 0.5}
        """,
        total=4,
    )
    alone = score(s, raw(("u1", "N", 0.6)))
    cohort = score(s, raw(("u1", "N", 0.6), ("u2", "N", 6, {"target": 6})))
    assert alone.node_points.loc["u1", "N"] == pytest.approx(2.0)
    assert cohort.node_points.loc["u1", "N"] == pytest.approx(2.0)
    assert cohort.node_points.loc["u2", "N"] == pytest.approx(4.0)


# --------------------------------------------------------------------------- rubric


def test_rubric_shipped_level_set():
    assert (shipped_dir("rubrics") / "level-0-4.yaml").is_file()
    s = one_leaf(
        leaf("K", "rubric", 8, "程度", "Level")
        + """
        rubric: level-0-4
        """,
        total=8,
    )
    df = raw(*[(f"u{lv}", "K", lv) for lv in range(5)], ("s", "K", "3"))
    r = score(s, df)
    assert r.node_shares["K"].tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1.0, 0.75])
    assert r.node_points["K"].tolist() == pytest.approx([0, 2, 4, 6, 8, 6])
    assert "level-0-4" in s.rubrics


@pytest.mark.parametrize(
    ("rubric", "levels", "shares"),
    [
        ("level-0-3", [0, 1, 2, 3], [0, 1 / 3, 2 / 3, 1]),
        ("level-0-5", [0, 1, 2, 3, 4, 5], [0, 0.2, 0.4, 0.6, 0.8, 1]),
        ("level-1-5", [1, 2, 3, 4, 5], [0, 0.25, 0.5, 0.75, 1]),  # (level − 1) / 4
        ("grade-5", [0, 1, 2, 3, 4], [0, 0.4, 0.6, 0.8, 1]),  # 劣 差 中 良 优
    ],
)
def test_rubric_shipped_sets_by_hand(rubric, levels, shares):
    s = one_leaf(leaf("K", "rubric", 10, "程度", "Level") + f"        rubric: {rubric}\n", total=10)
    r = score(s, raw(*[(f"u{lv}", "K", lv) for lv in levels]))
    assert r.node_shares["K"].tolist() == pytest.approx(shares)
    assert r.node_points["K"].tolist() == pytest.approx([10 * x for x in shares])
    names = s.rubrics[rubric]
    assert all(lv.zh and lv.en for lv in names.levels) and names.name.zh and names.name.en


def test_rubric_level_1_5_refuses_level_0():
    s = one_leaf(leaf("K", "rubric", 10, "程度", "Level") + "        rubric: level-1-5\n", total=10)
    with pytest.raises(InvalidInput):
        score(s, raw(("u", "K", 0)))


def test_rubric_inline_levels_share_is_level_over_top():
    s = one_leaf(
        leaf("K", "rubric", 6, "程度", "Level")
        + """
        levels:
          - {level: 0, zh: 缺失, en: Missing}
          - {level: 1, zh: 初步, en: Initial}
          - {level: 3, zh: 优秀, en: Excellent}
        """,
        total=6,
    )
    r = score(s, raw(("a", "K", 0), ("b", "K", 1), ("c", "K", 3)))
    assert r.node_shares["K"].tolist() == pytest.approx([0, 1 / 3, 1])
    assert r.node_points["K"].tolist() == pytest.approx([0, 2, 6])


def test_rubric_inline_levels_with_explicit_shares():
    s = one_leaf(
        leaf("K", "rubric", 10, "程度", "Level")
        + """
        levels:
          - {level: 0, zh: 缺失, en: Missing, share: 0}
          - {level: 1, zh: 初步, en: Initial, share: 0.5}
          - {level: 2, zh: 良好, en: Good, share: 0.9}
          - {level: 3, zh: 优秀, en: Excellent, share: 1}
        """
    )
    r = score(s, raw(("a", "K", 0), ("b", "K", 1), ("c", "K", 2), ("d", "K", 3)))
    assert r.node_shares["K"].tolist() == pytest.approx([0, 0.5, 0.9, 1.0])
    assert r.node_points["K"].tolist() == pytest.approx([0, 5, 9, 10])


# --------------------------------------------------------------------------- likert


def _likert(extra: str = "", points: float = 10) -> str:
    return (
        "code: L\n"
        "name: {zh: 满意度, en: Satisfaction}\n"
        f"points: {points}\n"
        "method: likert\n"
        "scale: [1, 5]\n" + textwrap.dedent(extra)
    )


def test_likert_default_mapping():
    s = one_leaf(_likert())
    r = score(s, raw(("a", "L", 1), ("b", "L", 4), ("c", "L", 5), ("d", "L", 2.2)))
    # (m − 1) / 4
    assert r.node_shares["L"].tolist() == pytest.approx([0, 0.75, 1.0, 0.3])
    assert r.node_points["L"].tolist() == pytest.approx([0, 7.5, 10, 3.0])


def test_likert_custom_mapping_interpolates_and_is_flat_outside():
    s = one_leaf(_likert("mapping: [[3, 0], [4.5, 1]]\n"))
    r = score(
        s, raw(("a", "L", 3.75), ("b", "L", 2), ("c", "L", 4.8), ("d", "L", 3), ("e", "L", 4.5))
    )
    assert r.node_shares["L"].tolist() == pytest.approx([0.5, 0.0, 1.0, 0.0, 1.0])


def test_likert_three_breakpoints():
    s = one_leaf(_likert("mapping: [[1, 0], [3, 0.2], [5, 1]]\n"))
    r = score(s, raw(("a", "L", 4), ("b", "L", 2)))
    # 4: 0.2 + (4 − 3)/(5 − 3) × 0.8 = 0.6; 2: 0.1
    assert r.node_shares["L"].tolist() == pytest.approx([0.6, 0.1])


def test_likert_min_n_zero():
    s = one_leaf(_likert("min_n: 30\n"))
    df = raw(
        ("few", "L", 5, {"n": 29}),
        ("enough", "L", 5, {"n": 30}),
        ("no_n", "L", 5),
    )
    r = score(s, df)
    assert r.node_shares.loc[["few", "enough", "no_n"], "L"].tolist() == pytest.approx([0, 1, 0])
    assert flags_of(r, "few", "L") == {"insufficient_sample"}
    assert flags_of(r, "no_n", "L") == {"insufficient_sample"}
    assert flags_of(r, "enough", "L") == set()
    assert r.leaf_scores["L"].basis.tolist()[:2] == [29, 30]


def test_likert_min_n_skip_renormalises_siblings():
    s = one_family(
        """
              - code: L
                name: {zh: 满意度, en: Satisfaction}
                points: 4
                method: likert
                min_n: 30
                below_min_n: skip
              - code: R
                name: {zh: 比率, en: Rate}
                points: 6
                method: ratio
                linear: {floor: 0, cap: 1}
        """
    )
    df = raw(
        ("few", "L", 5, {"n": 10}),
        ("few", "R", 0.5),
        ("ok", "L", 4, {"n": 40}),
        ("ok", "R", 0.5),
    )
    r = score(s, df)
    assert np.isnan(r.node_points.loc["few", "L"])
    # L skipped: F = 10 × (6 × 0.5) / 6 = 5
    assert r.node_points.loc["few", "F"] == pytest.approx(5.0)
    assert r.total.loc["few"] == pytest.approx(5.0)
    assert flags_of(r, "few", "L") == {"insufficient_sample", "skipped"}
    # ok: 4 × 0.75 + 6 × 0.5 = 6
    assert r.node_points.loc["ok", "F"] == pytest.approx(6.0)


def test_likert_min_n_score_scores_anyway_and_flags():
    s = one_leaf(_likert("min_n: 30\nbelow_min_n: score\n"))
    r = score(s, raw(("few", "L", 4, {"n": 10})))
    assert r.node_points.loc["few", "L"] == pytest.approx(7.5)
    assert flags_of(r, "few", "L") == {"insufficient_sample"}


# --------------------------------------------------------------------------- count


def test_count_steps():
    s = one_leaf(
        leaf("N", "count", 3, "活动", "Events")
        + """
        steps:
          - {min: 3, share: 1}
          - {min: 2, share: 0.67}
          - {min: 1, share: 0.33}
        """,
        total=3,
    )
    df = raw(
        ("a", "N", 0),
        ("b", "N", 1),
        ("c", "N", 2.5),
        ("d", "N", 3),
        ("e", "N", 7),
        ("f", "N", 0.99),
    )
    r = score(s, df)
    assert r.node_shares["N"].tolist() == pytest.approx([0, 0.33, 0.67, 1, 1, 0])
    assert r.node_points["N"].tolist() == pytest.approx([0, 0.99, 2.01, 3, 3, 0])


def test_count_per_target_with_row_target_and_prorate():
    s = one_leaf(
        leaf("N", "count", 4, "覆盖", "Coverage")
        + """
        per_target: true
        target: 10
        prorate: true
        steps:
          - {min: 1.0, share: 1}
          - {min: 0.5, share: 0.5}
        """,
        total=4,
    )
    df = raw(
        ("a", "N", 6),  # 6 / 10 = 0.6 → 0.5
        ("b", "N", 10),  # 1.0 → 1
        ("c", "N", 5, {"target": 5}),  # 5 / 5 → 1
        ("d", "N", 5, {"elapsed": 0.5}),  # 5 / (10 × 0.5) → 1
        ("e", "N", 4),  # 0.4 → 0
    )
    r = score(s, df)
    assert r.leaf_scores["N"].measure.tolist() == pytest.approx([0.6, 1.0, 1.0, 1.0, 0.4])
    assert r.node_shares["N"].tolist() == pytest.approx([0.5, 1, 1, 1, 0])
    assert r.node_points["N"].tolist() == pytest.approx([2, 4, 4, 4, 0])


# --------------------------------------------------------------------------- deduction


def test_deduction():
    s = one_family(
        """
              - code: D
                name: {zh: 投诉, en: Complaints}
                points: 2
                method: deduction
                penalty: 0.5
              - code: R
                name: {zh: 比率, en: Rate}
                points: 8
                method: ratio
                linear: {floor: 0, cap: 1}
        """
    )
    df = raw(("a", "D", 3), ("b", "D", 0), ("c", "D", 5), ("d", "D", 4), ("e", "D", 1))
    r = score(s, df)
    # 2 − 0.5 × 3 = 0.5; 2; max(0, 2 − 2.5) = 0; 0; 1.5
    assert r.node_points["D"].tolist() == pytest.approx([0.5, 2, 0, 0, 1.5])
    assert r.node_shares["D"].tolist() == pytest.approx([0.25, 1, 0, 0, 0.75])
    assert r.leaf_scores["D"].raw.tolist() == [3, 0, 5, 4, 1]


def test_deduction_under_weights_uses_effective_points():
    s = one_family(
        """
              - code: D
                name: {zh: 投诉, en: Complaints}
                weight: 1
                method: deduction
                penalty: 1
              - code: R
                name: {zh: 比率, en: Rate}
                weight: 3
                method: ratio
                linear: {floor: 0, cap: 1}
        """
    )
    r = score(s, raw(("a", "D", 1), ("a", "R", 1)))
    # D has 10 × 1/4 = 2.5 points; one incident costs 1 point → 1.5 (share 0.6)
    assert r.node_points.loc["a", "D"] == pytest.approx(1.5)
    assert r.node_shares.loc["a", "D"] == pytest.approx(0.6)
    assert r.node_points.loc["a", "F"] == pytest.approx(9.0)


# --------------------------------------------------------------------------- bonus

BONUS = """
tree:
  - code: F
    name: {zh: 族, en: F}
    points: 10
    children:
      - code: R
        name: {zh: 比率, en: Rate}
        points: 10
        method: ratio
        linear: {floor: 0, cap: 1}
      - code: B1
        name: {zh: 获奖, en: Awards}
        method: bonus
        per_unit: 0.5
        cap: 2
      - code: B2
        name: {zh: 报道, en: Media}
        method: bonus
        per_unit: 1
        cap: 3
"""

GRADES_BONUS = """\
grades:
  - {code: excellent, zh: 优秀, en: Excellent, min: 9}
  - {code: pass, zh: 合格, en: Pass, min: 6}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
"""


def test_bonus_capped_by_leaf_then_system_and_outside_base():
    s = build(BONUS + "bonus_cap: 4\n", grades=GRADES_BONUS)
    df = raw(
        ("u1", "R", 0.5),
        ("u1", "B1", 3),
        ("u1", "B2", 1),  # 1.5 + 1 = 2.5
        ("u2", "R", 0.5),
        ("u2", "B1", 10),
        ("u2", "B2", 5),  # min(2, 5) + min(3, 5) = 5 → cap 4
        ("u3", "R", 0.9),
        ("u3", "B1", 1),  # 0.5
        ("u4", "R", 1.0),  # none
    )
    r = score(s, df)
    units = ["u1", "u2", "u3", "u4"]
    assert r.bonus.loc[units, "B1"].tolist() == pytest.approx([1.5, 2, 0.5, 0])
    assert r.bonus.loc[units, "B2"].tolist() == pytest.approx([1, 3, 0, 0])
    assert r.bonus_total[units].tolist() == pytest.approx([2.5, 4, 0.5, 0])
    assert r.base[units].tolist() == pytest.approx([5, 5, 9, 10])
    assert r.total[units].tolist() == pytest.approx([7.5, 9, 9.5, 10])
    # not part of any node's score
    assert "B1" not in r.node_points.columns and "B2" not in r.node_points.columns
    assert r.node_points.loc[units, "F"].tolist() == pytest.approx([5, 5, 9, 10])
    # grade on total: u1 base 5 (fail) + 2.5 → pass; u2 5 + 4 → excellent
    assert r.grade[units].tolist() == ["pass", "excellent", "excellent", "excellent"]
    assert r.grade_uncapped[units].tolist() == ["pass", "excellent", "excellent", "excellent"]


def test_bonus_cap_defaults_to_sum_of_leaf_caps():
    s = build(BONUS, grades=GRADES_BONUS)
    assert s.bonus_cap == pytest.approx(5.0)
    r = score(s, raw(("u", "R", 0), ("u", "B1", 10), ("u", "B2", 10)))
    assert r.bonus_total["u"] == pytest.approx(5.0)
    assert r.total["u"] == pytest.approx(5.0)


def test_bonus_explanation_rows():
    s = build(BONUS + "bonus_cap: 4\n", grades=GRADES_BONUS)
    r = score(s, raw(("u1", "R", 0.5), ("u1", "B1", 3)))
    e = r.explanation().set_index("leaf")
    assert e.loc["B1", "points"] == pytest.approx(1.5)
    assert e.loc["B1", "max_points"] == pytest.approx(2)
    assert e.loc["B2", "points"] == pytest.approx(0)
    assert e.loc["R", "raw"] == pytest.approx(0.5)
    assert e.loc["R", "share"] == pytest.approx(0.5)
    assert e.loc["R", "points"] == pytest.approx(5.0)
    assert e.loc["R", "max_points"] == pytest.approx(10)


def test_summary_with_top_level_bonus_leaf():
    s = build(
        """
        tree:
          - code: F
            name: {zh: 族, en: F}
            points: 10
            children:
              - code: R
                name: {zh: 比率, en: Rate}
                points: 10
                method: ratio
                linear: {floor: 0, cap: 1}
          - code: B
            name: {zh: 加分, en: Bonus}
            method: bonus
            per_unit: 1
            cap: 2
        """
    )
    r = score(s, raw(("u1", "R", 0.5), ("u1", "B", 1)))
    assert r.total["u1"] == pytest.approx(6.0)
    # regression: raised KeyError, the top-level bonus leaf was taken for a family
    out = r.summary()
    assert out.loc[0, "total"] == pytest.approx(6.0)
    assert out.loc[0, "F"] == pytest.approx(5.0)
    assert out.loc[0, "bonus"] == pytest.approx(1.0)
    assert "B" not in out.columns
    assert [f.code for f in s.families] == ["F"]
    e = r.explanation().set_index("leaf")
    assert e.loc["B", "points"] == pytest.approx(1.0) and e.loc["B", "family"] == "B"


# --------------------------------------------------------------------------- vetoes

VETO = """
vetoes:
  - code: V1
    name: {zh: 挪用资金, en: Misuse of funds}
tree:
  - code: F
    name: {zh: 族, en: F}
    points: 100
    children:
      - code: R
        name: {zh: 比率, en: Rate}
        points: 100
        method: ratio
        veto: V1
        linear: {floor: 0, cap: 1}
"""


def test_veto_forces_lowest_grade():
    s = build(VETO, total=100)
    df = raw(
        ("hit", "R", 1),
        ("hit", "V1", 1),
        ("clear", "R", 1),
        ("clear", "V1", 0),
        ("yes", "R", 1),
        ("yes", "V1", "是"),
        ("none", "R", 1),
    )
    r = score(s, df)
    units = ["hit", "clear", "yes", "none"]
    assert r.total[units].tolist() == pytest.approx([100, 100, 100, 100])
    assert r.grade[units].tolist() == ["fail", "excellent", "fail", "excellent"]
    assert r.grade_uncapped[units].tolist() == ["excellent"] * 4
    assert r.vetoed[units].tolist() == [True, False, True, False]
    assert flags_of(r, "hit", "V1") == {"veto"}
    assert flags_of(r, "clear", "V1") == set()
    summary = r.summary().set_index("unit")
    assert summary.loc["hit", "vetoes"] == "V1"
    assert summary.loc["clear", "vetoes"] == ""
    assert summary.loc["hit", "grade_zh"] == "不合格"


# --------------------------------------------------------------------------- missing rules

SKIP3 = """
missing: skip
tree:
  - code: F
    name: {zh: 族, en: F}
    points: 10
    children:
      - {code: L1, name: {zh: 一, en: One}, points: 2, method: ratio, linear: {floor: 0, cap: 1}}
      - {code: L2, name: {zh: 二, en: Two}, points: 3, method: ratio, linear: {floor: 0, cap: 1}}
      - {code: L3, name: {zh: 三, en: Three}, points: 5, method: ratio, linear: {floor: 0, cap: 1}}
"""


def test_missing_zero_default():
    s = build(SKIP3.replace("missing: skip\n", ""))
    r = score(s, raw(("u", "L1", 0.5), ("u", "L3", 1)))
    assert r.node_points.loc["u", "L2"] == 0
    assert r.node_points.loc["u", "F"] == pytest.approx(6.0)  # 1 + 0 + 5
    assert flags_of(r, "u", "L2") == {"missing"}
    assert r.explanation().set_index("leaf").loc["L2", "flag"] == "missing"


def test_missing_skip_renormalises_siblings():
    s = build(SKIP3)
    r = score(
        s,
        raw(
            ("u", "L1", 0.5),
            ("u", "L3", 1),
            ("full", "L1", 0.5),
            ("full", "L2", 0),
            ("full", "L3", 1),
        ),
    )
    # F = 10 × (2 × 0.5 + 5 × 1) / (2 + 5) = 60/7
    assert r.node_points.loc["u", "F"] == pytest.approx(60 / 7)
    assert r.node_shares.loc["u", "F"] == pytest.approx(6 / 7)
    assert np.isnan(r.node_points.loc["u", "L2"])
    assert r.total["u"] == pytest.approx(8.57)  # rounded to 2 decimals
    assert flags_of(r, "u", "L2") == {"skipped"}
    assert r.node_points.loc["full", "F"] == pytest.approx(6.0)


def test_missing_empty_value_counts_as_missing():
    s = build(SKIP3)
    r = score(s, raw(("u", "L1", 0.5), ("u", "L2", ""), ("u", "L3", 1)))
    assert np.isnan(r.node_points.loc["u", "L2"])
    assert r.node_points.loc["u", "F"] == pytest.approx(60 / 7)


def test_missing_skip_whole_family_and_whole_tree():
    s = build(
        """
        missing: skip
        tree:
          - code: A
            name: {zh: 甲, en: A}
            points: 4
            children:
              - {code: A1, name: {zh: 甲1, en: A1}, points: 4, method: ratio, linear: {floor: 0, cap: 1}}
          - code: B
            name: {zh: 乙, en: B}
            points: 6
            children:
              - {code: B1, name: {zh: 乙1, en: B1}, points: 6, method: ratio, linear: {floor: 0, cap: 1}}
        vetoes:
          - {code: V1, name: {zh: 否决, en: Veto}}
        """
    )
    r = score(s, raw(("u", "A1", 0.5), ("empty", "V1", 0)))
    assert np.isnan(r.node_points.loc["u", "B"])
    assert flags_of(r, "u", "B") == {"skipped"}
    # root renormalised over the families present: 10 × (4 × 0.5) / 4 = 5
    assert r.base["u"] == pytest.approx(5.0)
    # every leaf skipped: the whole tree is skipped and the total is 0
    assert r.node_points.loc["empty", ["A", "B"]].isna().all()
    assert r.total["empty"] == 0
    assert r.grade["empty"] == "fail"


def test_missing_rule_per_leaf_override():
    s = build(
        SKIP3.replace("missing: skip\n", "").replace(
            "points: 3, method: ratio", "points: 3, missing: skip, method: ratio"
        )
    )
    r = score(s, raw(("u", "L1", 0.5), ("u", "L3", 1)))
    assert r.node_points.loc["u", "F"] == pytest.approx(60 / 7)
    r2 = score(s, raw(("u", "L2", 1), ("u", "L3", 1)))  # L1 missing under the system's zero
    assert r2.node_points.loc["u", "F"] == pytest.approx(8.0)


def test_missing_error_names_every_unit_and_leaf():
    s = build(SKIP3.replace("missing: skip", "missing: error"))
    df = raw(
        ("u1", "L1", 1),
        ("u1", "L3", 1),  # L2 missing
        ("u2", "L1", 1),
        ("u2", "L2", 1),  # L3 missing
        ("u3", "L1", 1),
        ("u3", "L2", 1),
        ("u3", "L3", 1),
        ("u4", "L1", 1),
        ("u4", "L3", 1),  # L2 missing
    )
    with pytest.raises(InvalidInput) as exc:
        score(s, df)
    problems = exc.value.problems
    assert sorted(p.path for p in problems) == ["u1/L2", "u2/L3", "u4/L2"]
    by_path = {p.path: p for p in problems}
    assert "u1" in by_path["u1/L2"].en and "L2" in by_path["u1/L2"].en
    assert "u1" in by_path["u1/L2"].zh and "L2" in by_path["u1/L2"].zh


def test_missing_error_does_not_silently_truncate():
    s = build(SKIP3.replace("missing: skip", "missing: error"))
    df = raw(*[(f"u{i:02d}", leaf, 1) for i in range(60) for leaf in ("L1", "L3")])
    with pytest.raises(InvalidInput) as exc:
        score(s, df)
    problems = exc.value.problems
    # regression: at most 50 units per leaf were named, the rest silently dropped
    assert sorted(p.path for p in problems) == [f"u{i:02d}/L2" for i in range(60)]


def test_missing_error_beyond_200_pairs_counts_the_rest():
    s = build(SKIP3.replace("missing: skip", "missing: error"))
    df = raw(*[(f"u{i:03d}", "L1", 1) for i in range(150)])  # L2 and L3 missing: 300 pairs
    with pytest.raises(InvalidInput) as exc:
        score(s, df)
    problems = exc.value.problems
    assert len(problems) == 201
    assert all(p.path for p in problems[:200])
    assert problems[-1].path is None and "100 more" in problems[-1].en and "100" in problems[-1].zh


# --------------------------------------------------------------------------- floors

FLOORS = """
tree:
  - code: A
    name: {zh: 甲, en: A}
    points: 80
    children:
      - {code: A1, name: {zh: 甲1, en: A1}, points: 80, method: ratio, linear: {floor: 0, cap: 1}}
  - code: B
    name: {zh: 乙, en: B}
    points: 20
    children:
      - {code: B1, name: {zh: 乙1, en: B1}, points: 20, method: ratio, missing: skip, linear: {floor: 0, cap: 1}}
floors:
  - {level: 1, below: 0.5, cap: pass}
"""


def test_floor_caps_grade_and_skipped_family_does_not_trigger():
    s = build(FLOORS, total=100)
    df = raw(
        ("low", "A1", 1),
        ("low", "B1", 0.45),  # 80 + 9 = 89 good, B at 45% → capped at pass
        ("edge", "A1", 1),
        ("edge", "B1", 0.5),  # 90 excellent, B at exactly 50% → no cap
        ("skipB", "A1", 1),  # B skipped: never triggers; base = 100 × 1 (renormalised)
        ("lowA", "A1", 0.25),
        ("lowA", "B1", 1),  # 20 + 20 = 40 fail, stays fail
    )
    r = score(s, df)
    units = ["low", "edge", "skipB", "lowA"]
    assert r.total[units].tolist() == pytest.approx([89, 90, 100, 40])
    assert r.grade_uncapped[units].tolist() == ["good", "excellent", "excellent", "fail"]
    assert r.grade[units].tolist() == ["pass", "excellent", "excellent", "fail"]
    assert r.capped_by_floor()[units].tolist() == [True, False, False, True]
    assert flags_of(r, "low", "B") == {"floor"}  # the family that tripped it, by name
    assert "floor:B" in set(r.flags()["label"])
    summary = r.summary().set_index("unit")
    assert summary.loc[units, "capped"].tolist() == [True, False, False, False]


def test_several_floors_lowest_cap_wins():
    s = build(
        FLOORS.replace(
            "floors:\n  - {level: 1, below: 0.5, cap: pass}\n",
            "floors:\n  - {nodes: [A], below: 0.95, cap: good}\n  - {level: 1, below: 0.5, cap: pass}\n",
        ),
        total=100,
    )
    df = raw(
        ("both", "A1", 0.9375),
        ("both", "B1", 0.45),  # 75 + 9 = 84 good; A < 95% → good; B < 50% → pass
        ("onlyA", "A1", 0.9375),
        ("onlyA", "B1", 1),  # 75 + 20 = 95 excellent; A < 95% → good
    )
    r = score(s, df)
    assert r.total[["both", "onlyA"]].tolist() == pytest.approx([84, 95])
    assert r.grade[["both", "onlyA"]].tolist() == ["pass", "good"]
    # one column per watched node, in tree order: A (both floors watch it), B
    assert list(r.floors.columns) == ["A", "B"]
    assert r.floors.loc["both"].tolist() == [True, True]
    assert r.floors.loc["onlyA"].tolist() == [True, False]


# --------------------------------------------------------------------------- grades, rounding, ranks

ONE_100 = (
    leaf("R", "ratio", 100, "比率", "Rate")
    + """
linear: {floor: 0, cap: 1}
"""
)


def test_grade_bands_and_rounding_half_up_to_two_decimals():
    # The choice: base and bonus are each rounded half-up (away from zero) to the system's
    # `decimals` (default 2) and the total is their sum; the grade is taken on that rounded
    # total. So 89.995 → 90.00 → excellent, 89.994 → 89.99 → good.
    s = one_leaf(ONE_100, total=100)
    df = raw(
        ("a", "R", 0.89995),
        ("b", "R", 0.89994),
        ("c", "R", 0.8),
        ("d", "R", 0.7999),
        ("e", "R", 0.6),
        ("f", "R", 0.59994),
        ("g", "R", 0.0),
        ("h", "R", 1.0),
    )
    r = score(s, df)
    units = list("abcdefgh")
    assert r.node_points.loc["a", "R"] == pytest.approx(89.995)  # node scores are not rounded
    assert r.total[units].tolist() == pytest.approx(
        [90.0, 89.99, 80, 79.99, 60, 59.99, 0, 100], abs=1e-12
    )
    assert r.base[units].tolist() == pytest.approx(
        [90.0, 89.99, 80, 79.99, 60, 59.99, 0, 100], abs=1e-12
    )
    assert r.grade[units].tolist() == [
        "excellent",
        "good",
        "good",
        "pass",
        "pass",
        "fail",
        "fail",
        "excellent",
    ]
    assert r.grade_label("en")[units].tolist()[:2] == ["Excellent", "Good"]


def test_rounding_with_zero_decimals():
    s = one_leaf(ONE_100, total=100, extra="decimals: 0\n")
    r = score(s, raw(("a", "R", 0.895), ("b", "R", 0.8949)))
    assert r.total[["a", "b"]].tolist() == [90.0, 89.0]
    assert r.grade[["a", "b"]].tolist() == ["excellent", "good"]


def test_ranks_with_ties_take_the_minimum_rank():
    s = one_leaf(ONE_100, total=100)
    df = raw(("a", "R", 0.7), ("b", "R", 0.9), ("c", "R", 0.8), ("d", "R", 0.8), ("e", "R", 0.5))
    r = score(s, df)
    assert r.rank[["b", "c", "d", "a", "e"]].tolist() == [1, 2, 2, 4, 5]
    assert r.summary().set_index("unit").loc[["b", "c", "d", "a", "e"], "rank"].tolist() == [
        1,
        2,
        2,
        4,
        5,
    ]


def test_ranks_tie_after_rounding():
    s = one_leaf(ONE_100, total=100)
    # 89.995 and 90.0 both total 90.00 → tied
    r = score(s, raw(("a", "R", 0.89995), ("b", "R", 0.9), ("c", "R", 0.95)))
    assert r.rank[["c", "a", "b"]].tolist() == [1, 2, 2]


# --------------------------------------------------------------------------- aggregation


GEOMETRIC = """
tree:
  - code: G
    name: {zh: 组, en: Group}
    points: 10
    aggregation: geometric
    children:
      - {code: L1, name: {zh: 一, en: One}, points: 4, method: ratio, linear: {floor: 0, cap: 1}}
      - {code: L2, name: {zh: 二, en: Two}, points: 6, method: ratio, linear: {floor: 0, cap: 1}}
"""


def test_geometric_aggregation_and_zero_child():
    s = build(GEOMETRIC)
    df = raw(
        ("a", "L1", 0.25),
        ("a", "L2", 1),
        ("b", "L1", 0),
        ("b", "L2", 1),
        ("c", "L1", 1),
        ("c", "L2", 1),
        ("d", "L1", 0.5),
        ("d", "L2", 0.5),
    )
    r = score(s, df)
    # s = 0.25^(4/10) × 1^(6/10) = 0.574349177…
    assert r.node_shares.loc["a", "G"] == pytest.approx(0.5743491774985175)
    assert r.node_points.loc["a", "G"] == pytest.approx(5.743491774985175)
    # arithmetic would give 0.25 × 4 + 6 = 7; geometric is non-compensatory
    assert r.node_points.loc["b", "G"] == 0
    assert r.total["b"] == 0
    assert r.node_points.loc["c", "G"] == pytest.approx(10)
    assert r.node_points.loc["d", "G"] == pytest.approx(5)
    assert r.total["a"] == pytest.approx(5.74)


def test_geometric_with_skipped_child_renormalises():
    s = build("missing: skip\n" + GEOMETRIC)
    r = score(s, raw(("a", "L1", 0.25)))
    assert r.node_shares.loc["a", "G"] == pytest.approx(0.25)


def test_weights_below_points():
    s = build(
        """
        tree:
          - code: A
            name: {zh: 甲, en: A}
            points: 10
            children:
              - {code: A1, name: {zh: 一, en: One}, weight: 1, method: ratio, linear: {floor: 0, cap: 1}}
              - code: A2
                name: {zh: 二, en: Two}
                weight: 3
                children:
                  - {code: A21, name: {zh: 二一, en: TwoOne}, weight: 2, method: ratio, linear: {floor: 0, cap: 1}}
                  - {code: A22, name: {zh: 二二, en: TwoTwo}, weight: 3, method: ratio, linear: {floor: 0, cap: 1}}
        """
    )
    # A1 = 10 × 1/4 = 2.5; A2 = 7.5; A21 = 7.5 × 2/5 = 3; A22 = 4.5
    pts = {c: s.nodes[c].points for c in ("A", "A1", "A2", "A21", "A22")}
    assert pts == pytest.approx({"A": 10, "A1": 2.5, "A2": 7.5, "A21": 3.0, "A22": 4.5})
    r = score(s, raw(("u", "A1", 1), ("u", "A21", 0.5), ("u", "A22", 0)))
    assert r.node_points.loc["u", ["A1", "A21", "A22", "A2", "A"]].tolist() == pytest.approx(
        [2.5, 1.5, 0, 1.5, 4.0]
    )
    assert r.node_shares.loc["u", "A2"] == pytest.approx(0.2)
    assert r.total["u"] == pytest.approx(4.0)


def test_node_columns_in_tree_order_and_explanation_per_leaf():
    s = build(CHECKLIST)
    r = score(s, raw(("u1", "C", 1, {"item": "a"}), ("u1", "D", 2), ("u2", "D", 0)))
    assert list(r.node_points.columns) == ["F", "C", "D"]
    e = r.explanation(["u1"])
    assert e["unit"].tolist() == ["u1", "u1"]
    row = e.set_index("leaf").loc["D"]
    assert row["method"] == "deduction"
    assert (
        row["raw"] == 2
        and row["share"] == pytest.approx(4 / 6)
        and row["points"] == pytest.approx(4)
    )
    assert row["family"] == "F" and row["name_zh"] == "扣分"
    c = e.set_index("leaf").loc["C"]
    assert c["raw"] == pytest.approx(1) and c["points"] == pytest.approx(1) and c["max_points"] == 4
    assert len(r) == 2
