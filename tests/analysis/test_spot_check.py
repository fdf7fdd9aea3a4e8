"""The spot-check comparison, pure: hand cases at the tolerances and across scales, and
properties (a round against itself; a system scaled ×10 compares the same)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.analysis.spot_check import Scored, compare


def _scored(
    units: dict[str, tuple[float, str, dict[str, float]]], total: float, points: dict
) -> Scored:
    results = {u: {"total": t, "grade": g, "nodes": n} for u, (t, g, n) in units.items()}
    return Scored(results, total, points)


def test_a_1000_point_spot_check_against_a_100_point_round():
    check = _scored(
        {
            "ST01": (850.0, "good", {"P1.1": 10}),
            "ST02": (900.0, "excellent", {}),
            "ST09": (700.0, "pass", {}),
        },
        1000,
        {"P1.1": 20},
    )
    own = _scored(
        {"ST01": (90.0, "excellent", {}), "ST02": (95.0, "excellent", {})}, 100, {"A1.1": 2}
    )
    got = compare(check, own)
    assert got.common_leaves == 0 and got.only_in_check == ("ST09",)
    st01, st02 = got.stations
    # 0.85 against 0.90: 5 points of the total apart, exactly the tolerance: differs
    assert st01.difference == pytest.approx(-0.05) and st01.differs and not st01.grades_agree
    assert st02.difference == pytest.approx(-0.05) and st02.differs and st02.grades_agree
    assert got.grades_agreeing == 1 and got.differing == 2
    assert got.mean_absolute_difference == pytest.approx(0.05)


def test_within_the_tolerance_and_a_leaf_not_scored():
    points = {"L1": 10, "L2": 10}
    check = _scored({"S": (80.0, "good", {"L1": 7.5, "L2": None})}, 100, points)
    own = _scored({"S": (84.0, "good", {"L1": 10, "L2": 5})}, 100, points)
    (s,) = compare(check, own).stations
    assert not s.differs and [x.leaf for x in s.leaves] == ["L1"]  # L2 unscored in one
    assert [x.leaf for x in s.leaves_differing] == ["L1"]  # -0.25: the leaf tolerance


shares = st.floats(0, 1, allow_nan=False)


@given(
    st.dictionaries(
        st.sampled_from(["ST01", "ST02", "ST03"]),
        st.tuples(
            shares, st.sampled_from(["good", "fail"]), st.lists(shares, min_size=3, max_size=3)
        ),
        min_size=1,
    )
)
def test_against_itself_nothing_differs_and_scale_does_not_matter(data):
    points = {"L1": 4.0, "L2": 6.0, "L3": 10.0}

    def system(scale: float) -> Scored:
        return _scored(
            {
                u: (
                    t * 100 * scale,
                    g,
                    {k: v * points[k] * scale for k, v in zip(points, ls, strict=True)},
                )
                for u, (t, g, ls) in data.items()
            },
            100 * scale,
            {k: p * scale for k, p in points.items()},
        )

    same = compare(system(1), system(1))
    assert same.differing == 0 and same.mean_absolute_difference == 0
    scaled = compare(system(10), system(1))
    assert scaled.differing == 0
    assert all(abs(x.difference) < 1e-9 for s in scaled.stations for x in s.leaves)
