"""weighted_mean: the one aggregation formula of the product."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evaluator.engine.aggregate import weighted_mean

nan = np.nan


def test_arithmetic_by_hand():
    got = weighted_mean(np.array([[1.0, 3.0], [10.0, 20.0]]), np.array([1.0, 3.0]))
    np.testing.assert_allclose(got, [2.5, 17.5])


def test_missing_children_renormalise_the_weights():
    values = np.array([[nan, 4.0, 10.0], [2.0, nan, nan], [nan, nan, nan]])
    got = weighted_mean(values, np.array([1.0, 1.0, 3.0]))
    np.testing.assert_allclose(got[:2], [(4 + 30) / 4, 2.0])
    assert np.isnan(got[2])


def test_zero_weight_child_is_ignored():
    got = weighted_mean(np.array([[100.0, 1.0], [100.0, nan]]), np.array([0.0, 1.0]))
    assert got[0] == 1.0
    assert np.isnan(got[1])  # only a zero-weight child present: nothing to average


def test_geometric_by_hand():
    got = weighted_mean(np.array([[4.0, 1.0], [8.0, 1.0]]), np.array([1.0, 1.0]), "geometric")
    np.testing.assert_allclose(got, [2.0, np.sqrt(8.0)])
    got = weighted_mean(np.array([[8.0, 1.0]]), np.array([2.0, 1.0]), "geometric")
    np.testing.assert_allclose(got, [4.0])  # 8^(2/3) · 1^(1/3)


def test_geometric_zero_child_gives_zero_and_nan_renormalises():
    got = weighted_mean(np.array([[0.0, 50.0], [nan, 9.0]]), np.array([1.0, 3.0]), "geometric")
    assert got[0] == 0.0
    np.testing.assert_allclose(got[1], 9.0)


def test_geometric_rejects_negative_values():
    with pytest.raises(ValueError):
        weighted_mean(np.array([[-1.0, 2.0]]), np.array([1.0, 1.0]), "geometric")


def test_shape_mismatch():
    with pytest.raises(ValueError):
        weighted_mean(np.ones((2, 3)), np.ones(2))


values_st = arrays(
    float,
    st.tuples(st.integers(1, 6), st.just(4)),
    elements=st.one_of(st.just(nan), st.floats(0, 1e6, allow_subnormal=False)),
)
weights_st = arrays(float, 4, elements=st.floats(0.01, 100))


@given(values_st, weights_st, st.sampled_from(["arithmetic", "geometric"]))
def test_result_lies_between_min_and_max_of_present_children(values, weights, kind):
    got = weighted_mean(values, weights, kind)
    for row, g in zip(values, got, strict=True):
        present = row[~np.isnan(row)]
        if present.size == 0:
            assert np.isnan(g)
        else:
            assert present.min() * (1 - 1e-9) - 1e-9 <= g <= present.max() * (1 + 1e-9) + 1e-9


@given(values_st, weights_st, st.floats(0.001, 1000), st.sampled_from(["arithmetic", "geometric"]))
def test_scaling_weights_changes_nothing(values, weights, c, kind):
    np.testing.assert_allclose(
        weighted_mean(values, weights * c, kind),
        weighted_mean(values, weights, kind),
        rtol=1e-9,
        atol=1e-12,
    )


@given(values_st, weights_st)
def test_missing_child_equals_mean_of_the_rest(values, weights):
    got = weighted_mean(values, weights)
    for row, g in zip(values, got, strict=True):
        keep = ~np.isnan(row)
        if keep.any():
            expect = (row[keep] * weights[keep]).sum() / weights[keep].sum()
            np.testing.assert_allclose(g, expect, rtol=1e-9, atol=1e-9)
