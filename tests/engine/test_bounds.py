"""The range of each leaf's raw value (evaluator.systems.bounds), derived from the system in
one place, and the input check that uses it: a value is admitted exactly when the bounds
admit it; NaN and infinity never are (as text or as numbers)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_inputs import SYSTEM

from evaluator.engine import prepare_inputs
from evaluator.errors import InvalidInput
from evaluator.systems import parse_system
from evaluator.systems.bounds import N_MAX, Bounds, value_bounds, veto_bounds

RUBRIC_SET = SYSTEM.replace(
    "method: rubric, levels: [{level: 0, zh: 无, en: None}, {level: 2, zh: 中, en: Mid}, "
    "{level: 4, zh: 优, en: Top}]",
    "method: rubric, rubric: level-0-4",
)


@pytest.fixture(scope="module")
def system():
    return parse_system(SYSTEM, "inputs.yaml")


def test_bounds_per_method(system):
    b = {code: value_bounds(system, system.nodes[code]) for code in "CRKLDNB"}
    assert b["C"] == Bounds(0, 1, (0, 1))  # each checklist item met or not
    assert b["K"] == Bounds(0, 4, (0, 2, 4))  # the leaf's own levels
    assert b["L"] == Bounds(1, 5)  # the likert scale
    assert b["R"] == b["D"] == b["N"] == b["B"] == Bounds(0, math.inf)
    assert veto_bounds() == Bounds(0, 1, (0, 1))
    with pytest.raises(ValueError):
        value_bounds(system, system.nodes["G"])  # a group has no raw value


def test_a_rubric_set_gives_its_levels():
    system = parse_system(RUBRIC_SET, "inputs.yaml")
    assert value_bounds(system, system.nodes["K"]).levels == (0, 1, 2, 3, 4)


def test_bounds_admit_and_describe():
    levels, scale, open_ = Bounds(0, 4, (0, 2, 4)), Bounds(1, 5), Bounds(0)
    assert [levels.admits(x) for x in (0, 2, 2.0, 3, 4, 4.5, -2, math.nan)] == [
        True,
        True,
        True,
        False,
        True,
        False,
        False,
        False,
    ]
    assert scale.admits(1) and scale.admits(5) and not scale.admits(5.01)
    assert open_.admits(1e300) and not open_.admits(math.inf) and not open_.admits(-1e-9)
    assert levels.text() == ("one of 0, 2, 4", "0, 2, 4 之一")
    assert scale.text() == ("1 to 5", "1 至 5")
    assert open_.text() == ("0 or more", "0 及以上")


def _check(system, leaf, value, **extra):
    row = {"unit": "u1", "leaf": leaf, "value": value} | extra
    if leaf == "C":
        row["item"] = "a"
    return prepare_inputs(system, pd.DataFrame([row]))


@settings(max_examples=150, deadline=None)
@given(
    leaf=st.sampled_from(list("CRKLDNB") + ["V1"]),
    value=st.one_of(
        st.integers(-3, 8),
        st.floats(-10, 10, allow_nan=False),
        st.sampled_from([1e300, -1e300, 4.0, 2.0, 0.5]),
    ),
)
def test_the_input_check_admits_exactly_what_the_bounds_admit(system, leaf, value):
    node = system.nodes.get(leaf)
    bounds = value_bounds(system, node) if node is not None else veto_bounds()
    extra = {"target": 10} if leaf == "R" else {}
    try:
        _check(system, leaf, value, **extra)
        admitted = True
    except InvalidInput:
        admitted = False
    assert admitted == bounds.admits(float(value)), (leaf, value)


@pytest.mark.parametrize(
    "value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999", math.inf, -math.inf]
)
def test_nan_and_infinity_are_never_a_value(system, value):
    with pytest.raises(InvalidInput) as caught:
        _check(system, "N", value)
    (p,) = caught.value.problems
    assert (p.row, p.column) == (2, "value") and "finite" in p.en and "有限" in p.zh


def test_a_nan_cell_of_a_numeric_column_is_an_empty_cell(system):
    inputs = _check(system, "N", math.nan)
    assert np.isnan(inputs.column("N")).all()


def test_negative_counts_are_refused(system):
    with pytest.raises(InvalidInput) as caught:
        _check(system, "N", -1)
    assert "N: value must be 0 or more" in caught.value.problems[0].en


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("n", N_MAX + 1),
        ("n", 10**30),
        ("n", -1),
        ("n", 2.5),
        ("n", "inf"),
        ("target", 0),
        ("target", -3),
        ("target", "nan"),
        ("target", math.inf),
        ("elapsed", 0),
        ("elapsed", 1.5),
    ],
)
def test_target_n_and_elapsed_limits(system, column, value):
    with pytest.raises(InvalidInput) as caught:
        _check(system, "L" if column == "n" else "R", 3, **{column: value})
    assert [p.column for p in caught.value.problems] == [column]


def test_the_largest_n_is_accepted(system):
    inputs = _check(system, "L", 3, n=N_MAX)
    assert inputs.column("L", "n")[0] == N_MAX
