"""Systems of other shapes (issue 14): grading on the base or the total, zero targets,
floor flags naming their node — each with hand-computed expectations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.analysis.sensitivity import Cohort, Settings, sample_weights
from evaluator.decisions.deviations import find_deviations
from evaluator.decisions.recommend import recommend
from evaluator.engine import score
from evaluator.errors import InvalidInput
from evaluator.reporting.scores import unit_table
from evaluator.systems import parse_system
from tests.engine.test_methods import build, flags_of, raw

GRADES_1000 = """\
grades:
  - {code: excellent, zh: 优秀, en: Excellent, min: 900}
  - {code: good, zh: 良好, en: Good, min: 800}
  - {code: pass, zh: 合格, en: Pass, min: 600}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
"""

# three evaluator pools 700 / 200 / 100, one ratio leaf each (value = share), a bonus at the
# top outside the pools, a pool floor at 60% capping the grade at pass
POOLS = """\
{grade_on}
bonus_cap: 30
tree:
  - code: P1
    name: {{zh: 第三方, en: Third party}}
    points: 700
    children:
      - {{code: P1.1, name: {{zh: 专业, en: Professional}}, points: 700, method: ratio, linear: {{floor: 0, cap: 1}}}}
  - code: P2
    name: {{zh: 购买方, en: Purchaser}}
    points: 200
    children:
      - {{code: P2.1, name: {{zh: 购买方评价, en: Purchaser rating}}, points: 200, method: ratio, role: purchaser, linear: {{floor: 0, cap: 1}}}}
  - code: P3
    name: {{zh: 督导方, en: Supervisor}}
    points: 100
    children:
      - {{code: P3.1, name: {{zh: 督导评价, en: Supervisor rating}}, points: 100, method: ratio, role: supervisor, linear: {{floor: 0, cap: 1}}}}
  - {{code: X1, name: {{zh: 获奖, en: Awards}}, method: bonus, per_unit: 10, cap: 20}}
  - {{code: X2, name: {{zh: 报道, en: Media}}, method: bonus, per_unit: 5, cap: 10}}
floors:
  - {{nodes: [P1, P2, P3], below: 0.6, cap: pass}}
deviations:
  - code: DV-POOL
    name: {{zh: 评估池低于 60%, en: A pool below 60%}}
    when: {{level: 1, below: 0.6}}
    severity: correction
  - code: DV-FAIL
    name: {{zh: 不合格, en: Below the pass mark}}
    when: {{total_below: 600}}
    severity: suspension
"""


def pools(grade_on: str | None) -> object:
    line = f"grade_on: {grade_on}" if grade_on else ""
    return build(POOLS.format(grade_on=line), total=1000, grades=GRADES_1000)


def pool_rows(unit: str, p1: float, p2: float, p3: float, awards=0, media=0) -> list[tuple]:
    return [
        (unit, "P1.1", p1),
        (unit, "P2.1", p2),
        (unit, "P3.1", p3),
        (unit, "X1", awards),
        (unit, "X2", media),
    ]


# --------------------------------------------------------------------------- grade_on


def test_grade_on_base_keeps_bonus_outside_the_grade():
    # 896 base (P1 630 + P2 170 + P3 96) and 20 bonus: 916 in total
    rows = pool_rows("s", 0.9, 0.85, 0.96, awards=1, media=2)
    on_total, on_base = score(pools(None), raw(*rows)), score(pools("base"), raw(*rows))
    for r in (on_total, on_base):
        assert (r.base["s"], r.bonus_total["s"], r.total["s"]) == pytest.approx((896, 20, 916))
    assert on_total.graded["s"] == pytest.approx(916) and on_total.grade["s"] == "excellent"
    assert on_base.graded["s"] == pytest.approx(896) and on_base.grade["s"] == "good"  # 良好
    assert on_base.rank["s"] == 1  # ranks stay by total


def test_grade_boundary_with_and_without_bonus():
    rows = [
        *pool_rows("on", 0.9, 0.9, 0.9),  # base exactly 900, no bonus
        *pool_rows("bonus", 0.9, 0.9, 0.8, media=2),  # base 890 + 10 = 900
        *pool_rows("under", 0.9, 0.9, 0.899),  # base 899.9, no bonus
    ]
    on_total, on_base = score(pools("total"), raw(*rows)), score(pools("base"), raw(*rows))
    units = ["on", "bonus", "under"]
    assert on_total.base[units].tolist() == pytest.approx([900, 890, 899.9])
    assert on_total.total[units].tolist() == pytest.approx([900, 900, 899.9])
    assert on_total.grade[units].tolist() == ["excellent", "excellent", "good"]
    assert on_base.grade[units].tolist() == ["excellent", "good", "good"]


def test_grade_on_total_spelt_out_is_the_default_and_keeps_the_hash():
    omitted, spelt = pools(None), pools("total")
    assert omitted.content_hash == spelt.content_hash
    assert "grade_on" not in omitted.canonical() and "zero_target" not in omitted.canonical()
    assert pools("base").content_hash != omitted.content_hash
    assert pools("base").canonical()["grade_on"] == "base"


def test_grade_on_bad_value_is_located():
    with pytest.raises(Exception) as exc:
        pools("bonus")
    assert "grade_on" in str(exc.value)


def test_grade_on_base_in_findings_and_recommendation():
    # base 590 + bonus 30: total 620 passes the total, the base does not
    rows = pool_rows("s", 0.6, 0.5, 0.7, awards=2, media=2)
    system = pools("base")
    r = score(system, raw(*rows))
    assert (r.base["s"], r.total["s"], r.graded["s"]) == pytest.approx((590, 620, 590))
    assert r.grade["s"] == "fail"
    drafts = {d.rule: d for d in find_deviations(system, r)}
    assert drafts["DV-FAIL"].causes[0]["total"] == pytest.approx(590)
    assert "基础分 590" in drafts["DV-FAIL"].zh and "base score is 590" in drafts["DV-FAIL"].en
    rec = recommend(system, r)
    assert rec.outcome == "rebid" and "mean base score 590.00" in rec.en
    on_total = score(pools("total"), raw(*rows))
    assert "DV-FAIL" not in {d.rule for d in find_deviations(pools("total"), on_total)}


def test_sensitivity_grades_on_the_same_score():
    rows = [
        *pool_rows("a", 0.9, 0.85, 0.96, awards=1, media=2),  # 896 + 20
        *pool_rows("b", 0.95, 0.9, 0.9, awards=0),  # 935
        *pool_rows("c", 0.7, 0.65, 0.7),  # 690
    ]
    system = pools("base")
    r = score(system, raw(*rows))
    cohort = Cohort(system, r)
    codes, theta = sample_weights(system, Settings(samples=40, seed=7))
    theta[0] = 1.0  # the first sample is the nominal weighting
    ev = cohort.evaluate(codes, theta)
    assert ev.graded[:, 0] == pytest.approx(r.base.to_numpy())
    assert ev.total[:, 0] == pytest.approx(r.total.to_numpy())
    assert ev.grade[:, 0].tolist() == r.grade_idx.tolist()
    assert np.all(ev.total - ev.graded >= r.bonus_total.to_numpy()[:, None] - 1e-9)


@given(
    st.lists(
        st.tuples(
            st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.integers(0, 3), st.integers(0, 3)
        ),
        min_size=1,
        max_size=8,
    )
)
def test_grade_on_base_never_grades_higher_than_on_total(units):
    rows = [r for i, u in enumerate(units) for r in pool_rows(f"u{i}", *u)]
    on_total = score(POOLS_TOTAL, raw(*rows))
    on_base = score(POOLS_BASE, raw(*rows))
    assert (on_base.band >= on_total.band).all()  # index 0 is the best grade
    assert on_base.graded.tolist() == on_base.base.tolist()
    assert on_total.graded.tolist() == on_total.total.tolist()


POOLS_TOTAL, POOLS_BASE = pools("total"), pools("base")


# --------------------------------------------------------------------------- floors


def test_floor_tripped_by_the_second_pool_names_it():
    rows = pool_rows("s", 1.0, 0.5, 1.0)  # 700 + 100 + 100 = 900: excellent, P2 at 50%
    system = pools(None)
    r = score(system, raw(*rows))
    assert r.total["s"] == pytest.approx(900)
    assert (r.grade_uncapped["s"], r.grade["s"]) == ("excellent", "pass")
    assert flags_of(r, "s", "P2") == {"floor"} and flags_of(r, "s", "P1") == set()
    assert r.flags()["label"].tolist() == ["floor:P2"]
    assert r.floors.loc["s"].to_dict() == {"P1": False, "P2": True, "P3": False}
    (cause,) = next(d for d in find_deviations(system, r) if d.rule == "DV-POOL").causes
    assert cause["code"] == "P2" and cause["flag"] == "floor:P2"
    table = unit_table(r).set_index("unit")
    assert (table.loc["s", "floor"], table.loc["s", "grade_uncapped"]) == ("P2", "excellent")


def test_veto_flag_names_the_veto():
    system = build(
        POOLS.format(grade_on="")
        + "vetoes:\n  - {code: V4, name: {zh: 转包, en: Subcontracting}}\n",
        total=1000,
        grades=GRADES_1000,
    )
    r = score(system, raw(*pool_rows("s", 1, 1, 1), ("s", "V4", 1)))
    assert r.grade["s"] == "fail" and r.flags()["label"].tolist() == ["veto:V4"]


# --------------------------------------------------------------------------- zero targets

ZERO = """\
{rule}
tree:
  - code: F
    name: {{zh: 服务, en: Services}}
    points: 10
    children:
      - {{code: C, name: {{zh: 个案, en: Cases}}, points: 6, method: ratio, bands: [{{min: 1, share: 1}}, {{min: 0.5, share: 0.5}}]{leaf_rule}}}
      - {{code: G, name: {{zh: 小组, en: Groups}}, points: 4, method: count, per_target: true, steps: [{{min: 1, share: 1}}]}}
"""


def zero_system(rule: str | None = None, leaf_rule: str | None = None):
    return build(
        ZERO.format(
            rule=f"zero_target: {rule}" if rule else "",
            leaf_rule=f", zero_target: {leaf_rule}" if leaf_rule else "",
        )
    )


def zero_rows(value_c=3) -> object:
    return raw(
        ("s", "C", value_c, {"target": 0}),
        ("s", "G", 2, {"target": 2}),
        ("t", "C", 5, {"target": 10}),
        ("t", "G", 2, {"target": 2}),
    )


def test_zero_target_error_is_the_default_and_located():
    with pytest.raises(InvalidInput) as exc:
        score(zero_system(), zero_rows())
    (problem,) = exc.value.problems
    assert problem.column == "target" and problem.row == 2  # the header is row 1
    assert "zero_target" in problem.en and "zero_target" in problem.zh


def test_zero_target_zero_scores_nothing_and_flags_it():
    r = score(zero_system("zero"), zero_rows())
    # s: C scores 0 of 6 whatever its value, G 4 of 4 → 4; t: C 5/10 → half of 6 = 3, G 4 → 7
    assert r.node_points.loc["s", "C"] == 0 and r.total["s"] == pytest.approx(4)
    assert r.total["t"] == pytest.approx(7)
    assert flags_of(r, "s", "C") == {"zero_target"} and flags_of(r, "t", "C") == set()
    assert r.explanation(["s"]).set_index("leaf").loc["C", "flag"] == "zero_target"


def test_zero_target_skip_gives_the_weight_to_siblings():
    r = score(zero_system("skip"), zero_rows())
    # s: C left out; F = G alone, 100% → total 10
    assert np.isnan(r.node_shares.loc["s", "C"]) and r.total["s"] == pytest.approx(10)
    assert flags_of(r, "s", "C") == {"zero_target", "skipped"}
    assert r.total["t"] == pytest.approx(7)


def test_zero_target_decides_even_without_a_value_and_under_missing_error():
    system = build(ZERO.format(rule="zero_target: skip\nmissing: error", leaf_rule=""))
    rows = raw(("s", "C", None, {"target": 0}), ("s", "G", 1, {"target": 1}))
    r = score(system, rows)  # no missing-input error: the zero target decided
    assert r.total["s"] == pytest.approx(10)


def test_zero_target_per_leaf_overrides_the_system():
    r = score(zero_system("error", leaf_rule="zero"), zero_rows())
    assert r.total["s"] == pytest.approx(4)
    with pytest.raises(InvalidInput):  # G keeps the system's error
        score(
            zero_system("error", leaf_rule="zero"),
            raw(("s", "C", 1, {"target": 1}), ("s", "G", 1, {"target": 0})),
        )
    r = score(zero_system("skip", leaf_rule="zero"), zero_rows())
    assert r.node_points.loc["s", "C"] == 0


def test_zero_target_on_a_count_per_target():
    r = score(zero_system("zero"), raw(("s", "C", 1, {"target": 1}), ("s", "G", 3, {"target": 0})))
    assert r.node_points.loc["s", "G"] == 0 and r.total["s"] == pytest.approx(6)


def test_zero_target_on_a_plain_count_is_refused():
    text = (
        "system: {id: t, version: '1', name: {zh: 测, en: T}, unit: station, total_points: 10}\n"
        "grades: [{code: a, zh: 甲, en: A, min: 0}]\n"
        "tree:\n  - {code: G, name: {zh: 组, en: G}, points: 10, method: count, "
        "zero_target: zero, steps: [{min: 1, share: 1}]}\n"
    )
    with pytest.raises(Exception) as exc:
        parse_system(text, "t.yaml")
    assert "per_target" in str(exc.value)


def test_negative_target_is_refused_under_every_rule():
    for rule in ("zero", "skip", "error"):
        with pytest.raises(InvalidInput):
            score(zero_system(rule), raw(("s", "C", 1, {"target": -1})))
