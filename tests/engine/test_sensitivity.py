"""Weighting sensitivity: the vectorised evaluation reproduces the engine and a per-sample
loop; seeds reproduce; robust units never flip; dummy weights get Sobol indices ≈ 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from evaluator.analysis.attribution import attribute
from evaluator.analysis.sensitivity import Cohort, Settings, perturbed, ranks, sample_weights
from evaluator.analysis.uncertainty import analyse
from evaluator.engine import score
from evaluator.engine.aggregate import weighted_mean
from evaluator.engine.grading import final_grades, floor_breaches, round_half_up
from evaluator.systems import parse_system

SYSTEM = """
system: {id: s, version: '1', name: {zh: 测试, en: Test}, unit: station, total_points: 100}
grades:
  - {code: excellent, zh: 优秀, en: Excellent, min: 90}
  - {code: good, zh: 良好, en: Good, min: 80}
  - {code: pass, zh: 合格, en: Pass, min: 60}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
vetoes:
  - {code: V1, name: {zh: 否决, en: Veto}}
floors:
  - {level: 1, below: 0.5, cap: pass}
missing: skip
tree:
  - code: A
    name: {zh: 甲, en: A}
    points: 40
    children:
      - code: A1
        name: {zh: 甲一, en: A1}
        points: 20
        children:
          - {code: A1a, name: {zh: a, en: a}, points: 10, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
          - {code: A1b, name: {zh: b, en: b}, points: 10, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
      - code: A2
        name: {zh: 甲二, en: A2}
        points: 20
        aggregation: geometric
        children:
          - {code: A2a, name: {zh: a, en: a}, points: 12, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
          - {code: A2b, name: {zh: b, en: b}, points: 8, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
  - code: B
    name: {zh: 乙, en: B}
    points: 60
    children:
      - {code: B1, name: {zh: 乙一, en: B1}, points: 30, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
      - {code: B2, name: {zh: 乙二, en: B2}, points: 30, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
      - {code: X1, name: {zh: 加分, en: Bonus}, method: bonus, per_unit: 1, cap: 3}
"""


def cohort(n: int = 40, seed: int = 1):
    system = parse_system(SYSTEM, "s.yaml")
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        unit = f"U{i:02d}"
        for leaf in ("A1a", "A1b", "A2a", "A2b", "B1", "B2"):
            if not (leaf == "A1b" and i % 7 == 3):  # a skipped leaf now and then
                rows.append((unit, leaf, float(rng.integers(2, 11))))
        rows.append((unit, "X1", float(i % 3)))
        rows.append((unit, "V1", 1.0 if i == 5 else 0.0))
    result = score(system, pd.DataFrame(rows, columns=["unit", "leaf", "value"]))
    return system, result


def loop_one(system, result, codes, theta_row):
    """One weighting, re-aggregated the plain way: the engine's weighted mean per group."""
    factor = dict(zip(codes, theta_row, strict=True))
    shares = {leaf.code: result.node_shares[leaf.code].to_numpy() for leaf in system.leaves}
    for group in reversed(system.groups):
        kids = [c for c in group.children if not system.nodes[c].is_bonus]
        w = np.array([system.nodes[k].points * factor.get(k, 1.0) for k in kids])
        shares[group.code] = weighted_mean(
            np.column_stack([shares[k] for k in kids]), w, group.spec.aggregation
        )
    fams = [f.code for f in system.families]
    base_share = weighted_mean(
        np.column_stack([shares[f] for f in fams]),
        np.array([system.nodes[f].points * factor.get(f, 1.0) for f in fams]),
    )
    base = np.where(np.isnan(base_share), 0.0, base_share) * system.total_points
    total = round_half_up(
        round_half_up(base, 2) + round_half_up(result.bonus_total.to_numpy(), 2), 2
    )
    _, grade = final_grades(system, total, floor_breaches(system, shares), result.vetoed.to_numpy())
    return total, grade


def test_nominal_weights_reproduce_the_engine():
    system, result = cohort()
    codes = perturbed(system, (1, 2))
    assert codes == [
        "A",
        "A1",
        "A2",
        "B",
        "B1",
        "B2",
    ]  # families and the nodes under them (pre-order)
    ev = Cohort(system, result).evaluate(codes, np.ones((2, len(codes))), block=7)
    assert np.array_equal(ev.total[:, 0], result.total.to_numpy())
    assert np.array_equal(ev.grade[:, 1], result.grade_idx)


def test_vectorised_equals_a_per_sample_loop():
    system, result = cohort()
    codes, theta = sample_weights(system, Settings(samples=25, seed=3, levels=(1, 2, 3)))
    ev = Cohort(system, result).evaluate(codes, theta, block=9)
    for s in range(25):
        total, grade = loop_one(system, result, codes, theta[s])
        assert np.allclose(ev.total[:, s], total, atol=1e-9, rtol=0) and np.array_equal(
            ev.grade[:, s], grade
        )


def test_same_seed_same_result_and_a_robust_unit_never_flips():
    system, result = cohort()
    a = analyse(system, result, Settings(samples=300, seed=9))
    b = analyse(system, result, Settings(samples=300, seed=9))
    c = analyse(system, result, Settings(samples=300, seed=10))
    assert a.to_dict() == b.to_dict() and a.to_dict() != c.to_dict()
    vetoed = next(u for u in a.units if u["unit"] == "U05")
    assert (
        vetoed["grade"] == "fail" and vetoed["grade_flip"] == 0
    )  # a veto holds whatever the weights
    thresholds = np.array([90, 80, 60])
    for u in a.units:
        # a unit whose whole band stays inside one grade cannot flip
        if (
            not any(u["total_p5"] - 1e-9 <= t <= u["total_p95"] + 1e-9 for t in thresholds)
            and u["grade_flip"] == 0
        ):
            assert u["grades_seen"] == {u["grade"]: 1.0}
    assert any(u["grade_flip"] > 0 for u in a.units)


def test_a_unit_far_from_every_threshold_has_flip_probability_zero():
    system = parse_system(SYSTEM, "s.yaml")
    rows = [
        (u, leaf, v)
        for u, v in (("TOP", 10.0), ("LOW", 2.0))
        for leaf in ("A1a", "A1b", "A2a", "A2b", "B1", "B2")
    ]
    result = score(system, pd.DataFrame(rows, columns=["unit", "leaf", "value"]))
    doc = analyse(system, result, Settings(samples=500, seed=1, spread=0.5))
    by = {u["unit"]: u for u in doc.units}
    assert by["TOP"]["grade_flip"] == 0 and by["TOP"]["total_p5"] == 100.0
    assert (
        by["LOW"]["grade_flip"] == 0 and by["LOW"]["grade"] == "fail" and not by["LOW"]["fragile"]
    )


def test_two_identical_alternatives_get_sobol_indices_of_zero():
    system = parse_system(SYSTEM, "s.yaml")
    rows = [
        (u, leaf, v)
        for u in ("P", "Q")
        for leaf, v in (
            ("A1a", 3.0),
            ("A1b", 9.0),
            ("A2a", 5.0),
            ("A2b", 7.0),
            ("B1", 4.0),
            ("B2", 8.0),
        )
    ]
    result = score(system, pd.DataFrame(rows, columns=["unit", "leaf", "value"]))
    out = attribute(system, result, Settings(seed=4), base_samples=64)
    assert all(r["S1"] == 0 and r["ST"] == 0 for r in out["rank_shift"])
    assert out["surrogate"]["r2"] is None  # nothing to explain, and it says so


def test_a_weight_without_effect_has_sobol_indices_near_zero():
    system = parse_system(SYSTEM, "s.yaml")
    rng = np.random.default_rng(2)
    rows = []
    for i in range(30):
        same = float(rng.integers(1, 11))
        values = {
            "A1a": same,
            "A1b": same,
            "A2a": float(rng.integers(1, 11)),
            "A2b": float(rng.integers(1, 11)),
            "B1": float(rng.integers(1, 11)),
            "B2": float(rng.integers(1, 11)),
        }
        rows += [(f"U{i}", leaf, v) for leaf, v in values.items()]
    result = score(system, pd.DataFrame(rows, columns=["unit", "leaf", "value"]))
    out = attribute(system, result, Settings(seed=5, levels=(3,)), base_samples=256)
    by = {r["weight"]: r for r in out["rank_shift"]}
    # A1a and A1b always have the same share: their relative weight changes nothing
    for dummy in ("A1a", "A1b"):
        assert abs(by[dummy]["ST"]) < 0.02 and abs(by[dummy]["S1"]) < 0.02
    assert max(by[w]["ST"] for w in ("A2a", "A2b")) > 0.1
    assert out["surrogate"]["r2"] is not None


def test_pca_weights_are_shares_within_each_family():
    system, result = cohort()
    pca = attribute(system, result, Settings(samples=50, seed=1), base_samples=32)["pca"]
    for fam in pca["families"]:
        assert sum(fam["weights"].values()) == pytest.approx(1.0)
    assert -1 <= pca["spearman"] <= 1 and len(pca["units"]) == 40


def test_dirichlet_weights_reproduce_and_stay_positive():
    system, _ = cohort()
    codes, a = sample_weights(
        system, Settings(samples=200, seed=1, method="dirichlet", concentration=200)
    )
    _, b = sample_weights(
        system, Settings(samples=200, seed=1, method="dirichlet", concentration=200)
    )
    assert np.array_equal(a, b) and (a > 0).all() and abs(a.mean() - 1) < 0.05


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 400), min_size=3, max_size=3), min_size=1, max_size=30))
def test_counted_ranks_equal_sorted_ranks(rows):
    totals = np.array(rows, dtype=float) / 4  # quarter points: on a 2-decimal grid, with ties
    assert np.array_equal(ranks(totals, 2), rankdata(-totals, method="min", axis=0).astype(int))
    assert np.allclose(ranks(totals, 2, "average"), rankdata(-totals, method="average", axis=0))


def test_the_missing_rule_can_vary_too():
    system, result = cohort()  # the system's rule is skip; U03, U10 … lack A1b
    c = Cohort(system, result)
    codes = perturbed(system, (1,))
    zero = c.evaluate(codes, np.ones((2, len(codes))), other_missing_rule=np.array([False, True]))
    assert np.array_equal(zero.total[:, 0], result.total.to_numpy())  # nominal rule: skip
    lacking = [i for i, u in enumerate(result.units) if i % 7 == 3]
    assert (zero.total[lacking, 1] < zero.total[lacking, 0]).all()  # zero scores the gap as 0
    others = [i for i in range(len(result.units)) if i % 7 != 3]
    assert np.array_equal(zero.total[others, 1], zero.total[others, 0])
    doc = analyse(system, result, Settings(samples=200, seed=1, vary_missing=True))
    assert doc.to_dict()["settings"]["vary_missing"] is True
