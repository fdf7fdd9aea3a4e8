"""Normalisation methods, by hand and as properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evaluator.engine.normalise import METHODS, degenerate_columns, normalise
from evaluator.errors import InvalidInput

nan = np.nan


def col(*xs):
    return np.array(xs, dtype=float)[:, None]


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_minmax_by_hand_with_direction_and_missing():
    x = np.array([[10, 5], [20, nan], [30, 1], [25, 3]], dtype=float)
    close(normalise(x, [1, -1]), [[0, 0], [50, nan], [100, 100], [75, 50]])


def test_minmax_constant_or_single_value_column_is_missing():
    x = np.array([[7, 1, nan], [7, nan, 1], [7, nan, 2]], dtype=float)
    for method in ("minmax", "zscore", "rank"):
        out = normalise(x, [1, 1, -1], method)
        assert np.isnan(out[:, :2]).all()
        assert np.isnan(out[0, 2]) and not np.isnan(out[1:, 2]).any()
    close(normalise(x, [1, 1, 1], "none"), x)
    assert degenerate_columns(x).tolist() == [True, True, False]
    assert degenerate_columns(np.array([[1.0], [nan], [2.0]])).tolist() == [False]


def test_zscore_by_hand():
    close(normalise(col(1, 2, 3), [1], "zscore"), col(-1, 0, 1))  # sd (ddof=1) = 1
    close(normalise(col(2, 4, nan, 6), [-1], "zscore"), col(1, 0, nan, -1))
    out = normalise(col(1, 2, 3, 10), [1], "zscore")[:, 0]
    assert abs(out.mean()) < 1e-12 and abs(out.std(ddof=1) - 1) < 1e-12


def test_rank_percentiles_with_average_ties():
    close(normalise(col(10, 20, 20, 30, nan), [1], "rank"), col(0, 50, 50, 100, nan))
    close(normalise(col(10, 20, 30), [-1], "rank"), col(100, 50, 0))


def test_goalposts():
    x = col(-5, 0, 5, 15, nan)
    p = {"low": [0], "high": [10]}
    close(normalise(x, [1], "goalposts", p), col(0, 0, 50, 100, nan))
    close(normalise(x, [-1], "goalposts", p), col(100, 100, 50, 0, nan))
    close(normalise(x, [1], "goalposts", {"low": 0, "high": 20}), col(0, 0, 25, 75, nan))


def test_target():
    p = {"target": [20]}
    close(normalise(col(-4, 10, 20, 30, nan), [1], "target", p), col(0, 50, 100, 100, nan))
    close(normalise(col(0, 10, 20, 40, nan), [-1], "target", p), col(100, 100, 100, 50, nan))


def test_none_applies_direction():
    close(normalise(np.array([[1.0, 2.0]]), [1, -1], "none"), [[1.0, -2.0]])


def test_input_is_not_modified():
    x = col(3, 1, 2)
    normalise(x, [-1], "minmax")
    close(x, col(3, 1, 2))


def test_unknown_method():
    with pytest.raises(InvalidInput) as e:
        normalise(col(1, 2), [1], "softmax")
    assert "softmax" in e.value.problems[0].en and "minmax" in e.value.problems[0].en


def test_goalposts_errors_name_every_bad_indicator():
    x = np.ones((2, 3))
    with pytest.raises(InvalidInput) as e:
        normalise(x, [1, 1, 1], "goalposts", {"low": [0, 5, 3], "high": [1, 5, 2]}, ["a", "b", "c"])
    assert [p.column for p in e.value.problems] == ["b", "c"]
    assert "low < high" in e.value.problems[0].en and "下限" in e.value.problems[0].zh
    with pytest.raises(InvalidInput) as e:
        normalise(x, [1, 1, 1], "goalposts", {"low": [0, 0, 0]})
    assert "'high'" in e.value.problems[0].en
    with pytest.raises(InvalidInput):
        normalise(x, [1, 1, 1], "goalposts", {"low": [0, 0], "high": [1, 1]})


def test_target_must_be_positive():
    with pytest.raises(InvalidInput) as e:
        normalise(np.ones((1, 2)), [1, 1], "target", {"target": [0, nan]}, ["a", "b"])
    assert [p.column for p in e.value.problems] == ["a", "b"]


def test_bad_directions_are_a_programming_error():
    with pytest.raises(ValueError):
        normalise(col(1, 2), [2])
    with pytest.raises(ValueError):
        normalise(col(1, 2), [1, 1])


# --- properties --------------------------------------------------------------------------

matrices = st.integers(1, 8).flatmap(
    lambda m: arrays(
        float,
        st.tuples(st.integers(1, 12), st.just(m)),
        elements=st.one_of(st.just(nan), st.floats(-1e9, 1e9)),
    )
)


def dirs_for(x, data):
    return np.array(
        data.draw(st.lists(st.sampled_from([1, -1]), min_size=x.shape[1], max_size=x.shape[1]))
    )


@given(matrices, st.data())
def test_minmax_and_rank_lie_in_0_100_and_minmax_reaches_both_ends(x, data):
    d = dirs_for(x, data)
    live = ~degenerate_columns(x)
    for method in ("minmax", "rank"):
        out = normalise(x, d, method)
        present = ~np.isnan(out)
        assert np.all((out[present] >= 0) & (out[present] <= 100))
        assert np.array_equal(present, ~np.isnan(x) & live[None, :])
        if method == "minmax":  # (average ranks of ties need not reach the ends)
            for j in np.flatnonzero(live):
                assert np.nanmin(out[:, j]) == 0 and np.nanmax(out[:, j]) == 100


@given(matrices, st.data(), st.sampled_from(METHODS[:3] + ("none",)))
def test_unit_order_does_not_matter(x, data, method):
    d = dirs_for(x, data)
    perm = np.array(data.draw(st.permutations(range(x.shape[0]))))
    close(normalise(x[perm], d, method), normalise(x, d, method)[perm])


@given(matrices)
def test_reversing_direction_mirrors_minmax_and_rank(x):
    d = np.ones(x.shape[1])
    for method in ("minmax", "rank"):
        np.testing.assert_allclose(
            normalise(x, -d, method), 100 - normalise(x, d, method), atol=1e-6, equal_nan=True
        )


@given(matrices)
def test_minmax_preserves_order_within_a_column(x):
    out = normalise(x, np.ones(x.shape[1]))
    for j in range(x.shape[1]):
        keep = ~np.isnan(out[:, j])
        a, b = x[keep, j], out[keep, j]
        order = np.argsort(a, kind="stable")
        assert np.all(np.diff(b[order]) >= 0)
