"""Inter-rater reliability against published worked examples, and its invariances.

- Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
  reliability. Psychological Bulletin 86(2), 420–428. Table 2 (6 targets × 4 judges) and
  Table 4 (the six ICCs: .17, .44, .29, .62, .71, .91). The 95% intervals follow McGraw &
  Wong (1996), Psychological Methods 1(1), 30–46, Table 7; the figures below agree with
  pingouin 0.5's intraclass_corr to two decimals.
- Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
  for Communication, University of Pennsylvania. Section A (two coders, binary: α = .095)
  and section C (four observers, twelve units, missing values: nominal .743, ordinal .815,
  interval .849, ratio .797).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evaluator.analysis.reliability import (
    ICC_FORMS,
    as_dict,
    icc,
    krippendorff_alpha,
    reliability,
)

SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)
N = np.nan
KRIPPENDORFF_C = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    ]
).T  # units × observers
KRIPPENDORFF_A = np.array([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]).T


def test_the_six_iccs_of_shrout_and_fleiss_table_4():
    r = icc(SHROUT_FLEISS)
    got = {f: round(r.forms[f].value, 2) for f in ICC_FORMS}
    assert got == {
        "icc1_1": 0.17,
        "icc1_k": 0.44,
        "icc2_1": 0.29,
        "icc2_k": 0.62,
        "icc3_1": 0.71,
        "icc3_k": 0.91,
    }
    intervals = {f: (round(r.forms[f].low, 2), round(r.forms[f].high, 2)) for f in ICC_FORMS}
    assert intervals == {
        "icc1_1": (-0.13, 0.72),
        "icc1_k": (-0.88, 0.91),
        "icc2_1": (0.02, 0.76),
        "icc2_k": (0.07, 0.93),
        "icc3_1": (0.34, 0.95),
        "icc3_k": (0.68, 0.99),
    }
    assert (r.units, r.raters) == (6, 4)


def test_krippendorffs_worked_examples():
    expected = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
    for level, value in expected.items():
        a = krippendorff_alpha(KRIPPENDORFF_C, level)
        assert round(a.value, 3) == value, level
        # unit 12 has one value only: not pairable; 3 + 8 × 4 + 3 + 2 values
        assert (a.units, a.raters, a.values) == (11, 4, 40)
    assert round(krippendorff_alpha(KRIPPENDORFF_A, "nominal").value, 3) == 0.095


def test_the_long_table_leaves_incomplete_units_out_of_the_iccs_only():
    rows = [
        (u + 1, f"r{o}", KRIPPENDORFF_C[u, o])
        for u in range(12)
        for o in range(4)
        if not np.isnan(KRIPPENDORFF_C[u, o])
    ]
    r = reliability(pd.DataFrame(rows, columns=["unit", "rater", "value"]), "interval")
    assert (r.units, r.raters, r.icc.units, r.icc.raters) == (12, 4, 8, 4)
    assert round(r.alpha.value, 3) == 0.849
    out = as_dict(r)
    assert set(ICC_FORMS) | {"alpha", "units", "raters"} <= set(out)


def test_too_little_to_say_is_none_not_a_number():
    assert icc(np.array([[1.0, 2.0]])).forms["icc1_1"].value is None  # one unit
    assert krippendorff_alpha(np.array([[1.0, N], [N, 2.0]])).value is None  # nothing pairable
    same = krippendorff_alpha(np.array([[3.0, 3.0], [3.0, 3.0]]))  # no variation at all
    assert same.value is None
    with pytest.raises(ValueError):
        krippendorff_alpha(KRIPPENDORFF_C, "cardinal")


ratings = arrays(
    float,
    st.tuples(st.integers(3, 8), st.integers(2, 5)),
    elements=st.integers(1, 5).map(float),
)


@settings(max_examples=60)
@given(ratings, st.randoms(use_true_random=False))
def test_alpha_does_not_depend_on_the_order_of_units_or_raters(m, rnd):
    a = krippendorff_alpha(m, "ordinal").value
    rows, cols = list(range(m.shape[0])), list(range(m.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    b = krippendorff_alpha(m[rows][:, cols], "ordinal").value
    assert (a is None and b is None) or abs(a - b) < 1e-9


@settings(max_examples=60)
@given(ratings, st.floats(0.5, 20), st.floats(-50, 50))
def test_interval_alpha_and_the_iccs_ignore_the_scale(m, scale, shift):
    a = krippendorff_alpha(m, "interval").value
    b = krippendorff_alpha(m * scale + shift, "interval").value
    assert (a is None and b is None) or abs(a - b) < 1e-7
    for form in ICC_FORMS:
        x, y = icc(m).forms[form].value, icc(m * scale + shift).forms[form].value
        assert (x is None and y is None) or abs(x - y) < 1e-7, form


@settings(max_examples=60)
@given(ratings)
def test_ordinal_alpha_ignores_a_monotone_recoding_and_nominal_any_relabelling(m):
    assert _same(krippendorff_alpha(m, "ordinal").value, krippendorff_alpha(m**3, "ordinal").value)
    relabel = {1.0: 40.0, 2.0: 7.0, 3.0: 19.0, 4.0: 2.0, 5.0: 11.0}
    other = np.vectorize(relabel.get)(m)
    assert _same(krippendorff_alpha(m, "nominal").value, krippendorff_alpha(other, "nominal").value)


@settings(max_examples=60)
@given(st.lists(st.integers(1, 9), min_size=3, max_size=10, unique=True), st.integers(2, 5))
def test_perfect_agreement_is_one(truth, raters):
    m = np.repeat(np.array(truth, dtype=float)[:, None], raters, axis=1)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(m, level).value == pytest.approx(1.0)
    for form in ICC_FORMS:
        assert icc(m).forms[form].value == pytest.approx(1.0)


@settings(max_examples=60)
@given(ratings, st.lists(st.integers(-3, 3), min_size=5, max_size=5))
def test_consistency_icc3_ignores_each_raters_own_leniency(m, bias):
    shifted = m + np.array(bias[: m.shape[1]], dtype=float)
    for form in ("icc3_1", "icc3_k"):
        assert _same(icc(m).forms[form].value, icc(shifted).forms[form].value, 1e-7)


@settings(max_examples=60)
@given(ratings)
def test_each_exact_interval_holds_its_estimate(m):
    """ICC(1) and ICC(3) intervals come from exact F quantiles (ICC(2)'s from Satterthwaite's
    approximation, which need not hold a negative estimate)."""
    for form, e in icc(m).forms.items():
        if form.startswith("icc2"):
            continue
        if e.value is not None and e.low is not None and e.high is not None:
            assert e.low - 1e-9 <= e.value <= e.high + 1e-9, form
            assert e.value <= 1 + 1e-9


def _same(a, b, tol=1e-9) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < tol)
