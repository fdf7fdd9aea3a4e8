"""Properties of the engine over a small but rich system (every method, three levels, a
weighted group, a geometric group, a veto, a floor, a bonus) and random valid inputs."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.engine import score
from evaluator.systems import parse_system

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SYSTEM_YAML = textwrap.dedent(
    """
    system:
      id: props
      version: "1"
      name: {zh: 性质, en: Properties}
      unit: station
      total_points: 100
    grades:
      - {code: excellent, zh: 优秀, en: Excellent, min: 90}
      - {code: good, zh: 良好, en: Good, min: 80}
      - {code: pass, zh: 合格, en: Pass, min: 60}
      - {code: fail, zh: 不合格, en: Fail, min: 0}
    vetoes:
      - {code: V1, name: {zh: 否决, en: Veto}}
    floors:
      - {level: 1, below: 0.5, cap: pass}
    bonus_cap: 2
    tree:
      - code: A
        name: {zh: 甲, en: A}
        points: 40
        children:
          - code: A1
            name: {zh: 制度, en: Rules}
            points: 10
            method: checklist
            items:
              - {code: a, text: 甲, points: 4}
              - {code: b, text: 乙, points: 3}
              - {code: c, text: 丙, points: 3}
          - code: A2
            name: {zh: 个案, en: Cases}
            points: 10
            method: ratio
            target: 20
            prorate: true
            bands:
              - {min: 1.0, share: 1}
              - {min: 0.8, share: 0.667}
              - {min: 0.6, share: 0.333}
          - code: A3
            name: {zh: 质量, en: Quality}
            points: 20
            children:
              - {code: A31, name: {zh: 程度, en: Level}, weight: 2, method: rubric, rubric: level-0-4}
              - {code: A32, name: {zh: 满意, en: Satisfaction}, weight: 1, method: likert, scale: [1, 5], mapping: [[2, 0], [4.5, 1]], min_n: 10}
              - {code: A33, name: {zh: 达成, en: Rate}, weight: 1, method: ratio, linear: {floor: 0.2, cap: 1.2}}
      - code: B
        name: {zh: 乙, en: B}
        points: 60
        children:
          - code: B1
            name: {zh: 成效, en: Outcomes}
            points: 30
            aggregation: geometric
            children:
              - code: B11
                name: {zh: 活动, en: Events}
                points: 15
                method: count
                steps:
                  - {min: 5, share: 1}
                  - {min: 3, share: 0.6}
                  - {min: 1, share: 0.2}
              - code: B12
                name: {zh: 评级, en: Rating}
                points: 15
                method: rubric
                levels:
                  - {level: 0, zh: 无, en: None, share: 0}
                  - {level: 1, zh: 弱, en: Weak, share: 0.4}
                  - {level: 2, zh: 中, en: Mid, share: 0.8}
                  - {level: 3, zh: 强, en: Strong, share: 1}
          - {code: B2, name: {zh: 投诉, en: Complaints}, points: 10, method: deduction, penalty: 2}
          - code: B3
            name: {zh: 覆盖, en: Coverage}
            points: 20
            method: count
            per_target: true
            target: 8
            steps:
              - {min: 1.0, share: 1}
              - {min: 0.5, share: 0.5}
          - {code: BB, name: {zh: 加分, en: Bonus}, method: bonus, per_unit: 1, cap: 3}
    """
)

ZERO = parse_system(SYSTEM_YAML, "props.yaml")
SKIP = parse_system(
    SYSTEM_YAML.replace("bonus_cap: 2\n", "bonus_cap: 2\nmissing: skip\n"), "props-skip.yaml"
)
SCORED = [leaf.code for leaf in ZERO.leaves]
ITEMS = ("a", "b", "c")


# --------------------------------------------------------------------------- strategies


def opt(strategy, present: bool):
    return strategy if present else st.one_of(st.none(), strategy)


def leaf_strategies(present: bool) -> dict:
    item = st.sampled_from([0, 1])
    return {
        "A1": st.fixed_dictionaries(
            {k: (item if present else st.one_of(st.none(), item)) for k in ITEMS}
        ).filter(lambda d: any(v is not None for v in d.values())),
        "A2": st.fixed_dictionaries(
            {
                "value": st.integers(0, 60).map(lambda x: x / 2),
                "elapsed": st.sampled_from([None, 0.25, 0.5, 0.75, 1.0]),
                "target": st.sampled_from([None, 10, 16, 25]),
            }
        ),
        "A31": st.integers(0, 4),
        "A32": st.fixed_dictionaries(
            {
                "value": st.integers(10, 50).map(lambda x: x / 10),
                "n": st.sampled_from([None, 0, 5, 10, 30]),
            }
        ),
        "A33": st.one_of(
            st.integers(0, 40).map(lambda x: x / 20),  # value = the ratio (no leaf target)
            st.fixed_dictionaries(
                {"value": st.integers(0, 40), "target": st.sampled_from([10, 20])}
            ),
        ),
        "B11": st.integers(0, 8),
        "B12": st.integers(0, 3),
        "B2": st.integers(0, 7),
        "B3": st.fixed_dictionaries(
            {"value": st.integers(0, 16), "target": st.sampled_from([None, 4, 8, 12])}
        ),
        "BB": st.integers(0, 5),
        "V1": st.sampled_from([0, 0, 0, 1]),
    }


def unit_strategy(present: bool = False):
    # the veto row is always there, so that every unit has at least one row (a unit exists
    # only through its rows)
    return st.fixed_dictionaries(
        {k: opt(s, present or k == "V1") for k, s in leaf_strategies(present).items()}
    )


def cohort_strategy(present: bool = False, min_size: int = 1, max_size: int = 5):
    return st.lists(unit_strategy(present), min_size=min_size, max_size=max_size)


def unit_rows(unit: str, inputs: dict) -> list[dict]:
    rows = []
    for leaf, spec in inputs.items():
        if spec is None:
            continue
        if leaf == "A1":
            rows += [
                {"unit": unit, "leaf": leaf, "item": k, "value": v}
                for k, v in spec.items()
                if v is not None
            ]
        elif isinstance(spec, dict):
            rows.append(
                {"unit": unit, "leaf": leaf, **{k: v for k, v in spec.items() if v is not None}}
            )
        else:
            rows.append({"unit": unit, "leaf": leaf, "value": spec})
    return rows


COLUMNS = ["unit", "leaf", "item", "value", "target", "n", "elapsed"]


def cohort_frame(units: list[dict], names: list[str] | None = None) -> pd.DataFrame:
    names = names or [f"u{i}" for i in range(len(units))]
    rows = [
        row for name, inputs in zip(names, units, strict=True) for row in unit_rows(name, inputs)
    ]
    return pd.DataFrame.from_records(rows, columns=COLUMNS)


def half_up(x):
    """Totals are rounded half-up to 2 decimals (89.995 → 90.00)."""
    return np.floor(np.asarray(x, dtype=float) * 100 + 0.5 + 1e-9) / 100


def ancestors(system, code: str) -> list[str]:
    out = []
    parent = system.nodes[code].parent
    while parent is not None:
        out.append(parent)
        parent = system.nodes[parent].parent
    return out


def unit_view(result, unit: str, flags: pd.DataFrame | None = None) -> dict:
    flags = result.flags() if flags is None else flags
    return {
        "points": result.node_points.loc[unit].to_numpy(dtype=float),
        "shares": result.node_shares.loc[unit].to_numpy(dtype=float),
        "base": result.base[unit],
        "bonus": result.bonus_total[unit],
        "total": result.total[unit],
        "grade": result.grade[unit],
        "band": result.grade_uncapped[unit],
        "vetoed": bool(result.vetoed[unit]),
        "flags": sorted(
            map(tuple, flags[flags["unit"] == unit][["code", "flag"]].to_numpy().tolist())
        ),
    }


def assert_same_unit(a: dict, b: dict) -> None:
    np.testing.assert_allclose(a["points"], b["points"], rtol=1e-12, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(a["shares"], b["shares"], rtol=1e-12, atol=1e-12, equal_nan=True)
    for key in ("base", "bonus", "total"):
        assert a[key] == pytest.approx(b[key], abs=1e-12), key
    for key in ("grade", "band", "vetoed", "flags"):
        assert a[key] == b[key], key


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(cohort_strategy(), st.booleans())
def test_scores_within_bounds_and_total_is_base_plus_bonus(units, skip):
    system = SKIP if skip else ZERO
    r = score(system, cohort_frame(units))
    for code in r.node_points.columns:
        pts = r.node_points[code].to_numpy(dtype=float)
        shares = r.node_shares[code].to_numpy(dtype=float)
        present = ~np.isnan(pts)
        if not skip:
            assert present.all(), code  # under zero nothing is skipped (below_min_n is zero too)
        assert (pts[present] >= -1e-9).all(), code
        assert (pts[present] <= system.nodes[code].points + 1e-9).all(), code
        assert ((shares[present] >= -1e-9) & (shares[present] <= 1 + 1e-9)).all(), code
    np.testing.assert_allclose(r.total, r.base + r.bonus_total, atol=1e-9)
    assert (r.base <= system.total_points + 1e-9).all() and (r.base >= 0).all()
    assert (r.bonus_total <= 2 + 1e-9).all() and (r.bonus_total >= 0).all()
    # totals are rounded to the system's 2 decimals
    np.testing.assert_allclose(r.total * 100, np.round(r.total * 100), atol=1e-6)
    # the grade is the band of the total unless a floor or a veto lowers it, never raises it
    assert (r.grade_idx >= r.band).all()
    assert (r.grade[r.vetoed] == "fail").all()
    if not skip:
        # with every child present, an arithmetic group's score is the sum of its children's
        for group in ("A", "A3", "B"):
            kids = [c for c in system.nodes[group].children if not system.nodes[c].is_bonus]
            np.testing.assert_allclose(
                r.node_points[group], r.node_points[kids].sum(axis=1), atol=1e-9
            )
        np.testing.assert_allclose(
            r.base, half_up(r.node_points[["A", "B"]].sum(axis=1).to_numpy()), atol=1e-9
        )


def _bump(data, inputs: dict, leaf: str) -> dict:
    """The unit's inputs with a better input for ``leaf`` (absent → some present value)."""
    new = dict(inputs)
    old = inputs[leaf]
    strategies = leaf_strategies(True)
    k = data.draw(st.integers(1, 10), label="step")
    if old is None and leaf != "A1":
        new[leaf] = data.draw(strategies[leaf], label="new")
        return new
    if leaf == "A1":
        items = dict(old) if old is not None else dict.fromkeys(ITEMS)
        items[data.draw(st.sampled_from(ITEMS), label="item")] = 1
        new[leaf] = items
    elif leaf == "A2":
        new[leaf] = {**old, "value": old["value"] + k / 2}
    elif leaf == "A31":
        new[leaf] = min(4, old + k)
    elif leaf == "A32":
        new[leaf] = {**old, "value": min(5.0, round(old["value"] + k / 10, 1))}
    elif leaf == "A33":
        new[leaf] = {**old, "value": old["value"] + k} if isinstance(old, dict) else old + k / 20
    elif leaf in ("B11", "BB"):
        new[leaf] = old + k
    elif leaf == "B12":
        new[leaf] = min(3, old + k)
    elif leaf == "B2":
        new[leaf] = max(0, old - k)  # fewer incidents
    elif leaf == "B3":
        new[leaf] = {**old, "value": old["value"] + k}
    return new


@SETTINGS
@given(cohort_strategy(), st.data())
def test_better_input_never_lowers_the_unit_or_its_ancestors(units, data):
    i = data.draw(st.integers(0, len(units) - 1), label="unit")
    leaf = data.draw(st.sampled_from([*SCORED, "BB"]), label="leaf")
    better = list(units)
    better[i] = _bump(data, units[i], leaf)
    before = score(ZERO, cohort_frame(units))
    after = score(ZERO, cohort_frame(better))
    u = f"u{i}"
    assert after.total[u] >= before.total[u] - 1e-9
    assert after.base[u] >= before.base[u] - 1e-9
    assert after.grade_idx[i] <= before.grade_idx[i]  # 0 is the best grade
    if leaf != "BB":
        for code in [leaf, *ancestors(ZERO, leaf)]:
            assert after.node_points.loc[u, code] >= before.node_points.loc[u, code] - 1e-9, code
    # the other units are untouched
    others = [f"u{j}" for j in range(len(units)) if j != i]
    np.testing.assert_allclose(after.total[others], before.total[others])


@settings(SETTINGS, max_examples=30)
@given(cohort_strategy(min_size=2), st.randoms(use_true_random=False), st.booleans())
def test_invariant_to_row_and_unit_order(units, rnd, skip):
    system = SKIP if skip else ZERO
    df = cohort_frame(units)
    order = list(range(len(df)))
    rnd.shuffle(order)
    shuffled = df.iloc[order].reset_index(drop=True)
    a, b = score(system, df), score(system, shuffled)
    assert set(a.units) == set(b.units)
    fa, fb = a.flags(), b.flags()
    for u in a.units:
        assert_same_unit(unit_view(a, u, fa), unit_view(b, u, fb))
        assert a.rank[u] == b.rank[u]


def _aggregate(system, group: str, shares: dict[str, float]) -> float:
    """Expected share of ``group`` from its present children's shares (the documented formula)."""
    kids = [c for c in system.nodes[group].children if not system.nodes[c].is_bonus]
    w = np.array([system.nodes[c].points for c in kids if not np.isnan(shares[c])])
    s = np.array([shares[c] for c in kids if not np.isnan(shares[c])])
    if len(s) == 0:
        return np.nan
    if system.nodes[group].spec.aggregation == "geometric":
        return float(np.prod(s ** (w / w.sum())))
    return float((w * s).sum() / w.sum())


@SETTINGS
@given(cohort_strategy(present=True), st.data())
def test_skip_renormalises_over_present_siblings(units, data):
    i = data.draw(st.integers(0, len(units) - 1), label="unit")
    leaf = data.draw(st.sampled_from(SCORED), label="leaf")
    full = score(SKIP, cohort_frame(units))
    dropped = list(units)
    dropped[i] = {**units[i], leaf: None}
    r = score(SKIP, cohort_frame(dropped))
    u = f"u{i}"
    parent = SKIP.nodes[leaf].parent
    shares = full.node_shares.loc[u].to_dict()
    shares[leaf] = np.nan
    kids = [c for c in SKIP.nodes[parent].children if not SKIP.nodes[c].is_bonus]
    present = [c for c in kids if c != leaf]
    w = np.array([SKIP.nodes[c].points for c in present])
    s = np.array([shares[c] for c in present])
    if SKIP.nodes[parent].spec.aggregation == "geometric":
        expected = float(np.prod(s ** (w / w.sum())))
    else:
        expected = float((w * s).sum() / w.sum())
    assert np.isnan(r.node_points.loc[u, leaf])
    assert "skipped" in set(r.flags().query("unit == @u and code == @leaf")["flag"])
    assert r.node_shares.loc[u, parent] == pytest.approx(expected, abs=1e-12)
    assert r.node_points.loc[u, parent] == pytest.approx(
        SKIP.nodes[parent].points * expected, abs=1e-9
    )
    # the siblings themselves are unchanged
    for c in present:
        assert r.node_shares.loc[u, c] == pytest.approx(full.node_shares.loc[u, c], abs=1e-12)


@SETTINGS
@given(cohort_strategy())
def test_every_group_aggregates_its_present_children(units):
    r = score(SKIP, cohort_frame(units))
    for u in r.units:
        shares = r.node_shares.loc[u].to_dict()
        for group in SKIP.groups:
            expected = _aggregate(SKIP, group.code, shares)
            got = shares[group.code]
            if np.isnan(expected):
                assert np.isnan(got), group.code
            else:
                assert got == pytest.approx(expected, abs=1e-12), group.code
        fam = _aggregate_root(SKIP, shares)
        assert r.base[u] == pytest.approx(0.0 if np.isnan(fam) else half_up(fam * 100), abs=1e-9)


def _aggregate_root(system, shares: dict[str, float]) -> float:
    fams = [f for f in system.families if not f.is_bonus]
    w = np.array([f.points for f in fams if not np.isnan(shares[f.code])])
    s = np.array([shares[f.code] for f in fams if not np.isnan(shares[f.code])])
    return np.nan if len(s) == 0 else float((w * s).sum() / w.sum())


@settings(SETTINGS, max_examples=30)
@given(cohort_strategy(max_size=4), st.booleans())
def test_per_unit_loop_equals_cohort(units, skip):
    system = SKIP if skip else ZERO
    df = cohort_frame(units)
    cohort = score(system, df)
    flags = cohort.flags()
    for u in cohort.units:
        alone = score(system, df[df["unit"] == u])
        assert list(alone.units) == [u]
        assert_same_unit(unit_view(alone, u), unit_view(cohort, u, flags))


@SETTINGS
@given(unit_strategy(), cohort_strategy(max_size=3), cohort_strategy(max_size=3), st.booleans())
def test_unit_results_do_not_depend_on_other_units(mine, others1, others2, skip):
    system = SKIP if skip else ZERO
    a = score(
        system, cohort_frame([mine, *others1], ["me", *[f"x{i}" for i in range(len(others1))]])
    )
    b = score(
        system, cohort_frame([*others2, mine], [*[f"y{i}" for i in range(len(others2))], "me"])
    )
    assert_same_unit(unit_view(a, "me"), unit_view(b, "me"))


@settings(max_examples=10, deadline=None)
@given(unit_strategy(present=True), st.integers(1, 10))
def test_value_as_ratio_does_not_depend_on_other_units_targets(mine, other_target):
    # A33 has no leaf target: a unit without a target cell takes its value as the ratio,
    # whatever other units give (regression: was cohort-relative)
    mine = {**mine, "A33": mine["A33"]["value"] if isinstance(mine["A33"], dict) else mine["A33"]}
    alone = score(ZERO, cohort_frame([mine], ["me"]))
    df = pd.concat(
        [
            cohort_frame([mine], ["me"]),
            pd.DataFrame(
                [{"unit": "other", "leaf": "A33", "value": 1.0, "target": other_target}],
                columns=COLUMNS,
            ),
        ],
        ignore_index=True,
    )
    cohort = score(ZERO, df)
    assert_same_unit(unit_view(alone, "me"), unit_view(cohort, "me"))


@SETTINGS
@given(cohort_strategy(min_size=2), st.data())
def test_a_leaf_not_applicable_to_one_unit_is_skipped_for_it_alone(units, data):
    """Declaring a leaf not applicable to a unit scores that unit as if the leaf's input
    were absent under ``missing: skip``, and leaves every other unit exactly as it was."""
    frame = cohort_frame(units)
    unit = data.draw(st.sampled_from(sorted(frame["unit"].unique())))
    leaf = data.draw(st.sampled_from([x.code for x in SKIP.leaves]))
    waived = score(SKIP, frame, not_applicable=[(unit, leaf)])
    without = score(SKIP, frame[~((frame["unit"] == unit) & (frame["leaf"] == leaf))])
    plain = score(SKIP, frame)
    if unit in without.units:  # the same score (flags aside: the input was there)
        a, b = unit_view(waived, unit), unit_view(without, unit)
        a["flags"] = b["flags"] = []
        assert_same_unit(a, b)
    assert np.isnan(waived.node_shares.loc[unit, leaf])
    for other in waived.units:
        if other != unit:
            assert_same_unit(unit_view(waived, other), unit_view(plain, other))
