"""Inter-rater reliability: the six intraclass correlations of Shrout & Fleiss (1979) with
95% confidence intervals (McGraw & Wong, 1996), and Krippendorff's alpha (nominal,
ordinal, interval, ratio) with missing values. docs/raters.md has the formulas and how to
read them.

Input: a ratings matrix, one row per unit (what was rated: a station's leaf) and one
column per rater, ``NaN`` where a rater gave no value. The ICCs need every rater on a unit
(units with a missing value are left out, and the figures say how many were used); alpha
uses every unit with at least two values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

LEVELS = ("nominal", "ordinal", "interval", "ratio")
ICC_FORMS = ("icc1_1", "icc1_k", "icc2_1", "icc2_k", "icc3_1", "icc3_k")
ICC_NAMES = {
    "icc1_1": "ICC(1,1)",
    "icc1_k": "ICC(1,k)",
    "icc2_1": "ICC(2,1)",
    "icc2_k": "ICC(2,k)",
    "icc3_1": "ICC(3,1)",
    "icc3_k": "ICC(3,k)",
}


@dataclass(frozen=True)
class Estimate:
    """A coefficient and its 95% confidence interval (None where it is not defined)."""

    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class ICC:
    forms: dict[str, Estimate]  # keyed by ICC_FORMS
    units: int  # targets rated by every rater (used)
    raters: int


@dataclass(frozen=True)
class Alpha:
    value: float | None
    level: str
    units: int  # units with two or more values (pairable)
    raters: int  # raters with at least one pairable value
    values: int  # pairable values


@dataclass(frozen=True)
class Reliability:
    icc: ICC
    alpha: Alpha
    units: int  # units in the table
    raters: int


def matrix_of(table: pd.DataFrame) -> pd.DataFrame:
    """A long table ``unit, rater, value`` as the units × raters matrix (NaN: no value)."""
    return table.pivot(index="unit", columns="rater", values="value").astype(float)


def _none(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def icc(matrix: np.ndarray, confidence: float = 0.95) -> ICC:
    """The six Shrout–Fleiss ICCs of the complete rows of ``matrix`` (units × raters)."""
    data = np.asarray(matrix, dtype=float)
    data = data[~np.isnan(data).any(axis=1)] if data.ndim == 2 else data.reshape(0, 0)
    n, k = data.shape if data.ndim == 2 else (0, 0)
    if n < 2 or k < 2:
        return ICC({f: Estimate(None) for f in ICC_FORMS}, int(n), int(k))
    grand = data.mean()
    ss_total = ((data - grand) ** 2).sum()
    ss_rows = k * ((data.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((data.mean(axis=0) - grand) ** 2).sum()
    ss_within = ss_total - ss_rows
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msw = ss_within / (n * (k - 1))
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    q = 1 - (1 - confidence) / 2
    tiny = 1e-12 * max(msr + msw + msc + mse, 1e-300)

    def ratio(top: float, bottom: float) -> float:
        """top / bottom, undefined (NaN) where the bottom is zero up to rounding."""
        return top / bottom if abs(bottom) > tiny else math.nan

    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = ratio(msr - msw, msr + (k - 1) * msw)
        icc1k = ratio(msr - msw, msr)
        icc2 = ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n)
        icc2k = ratio(msr - mse, msr + (msc - mse) / n)
        icc3 = ratio(msr - mse, msr + (k - 1) * mse)
        icc3k = ratio(msr - mse, msr)

        # one-way random (ICC1) and two-way mixed (ICC3): exact F intervals
        f1 = msr / msw
        f1_low = f1 / stats.f.ppf(q, n - 1, n * (k - 1))
        f1_high = f1 * stats.f.ppf(q, n * (k - 1), n - 1)
        f3 = msr / mse
        f3_low = f3 / stats.f.ppf(q, n - 1, (n - 1) * (k - 1))
        f3_high = f3 * stats.f.ppf(q, (n - 1) * (k - 1), n - 1)

        # two-way random (ICC2): Satterthwaite's approximate degrees of freedom
        a = k * icc2 / (n * (1 - icc2))
        b = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
        v = ((a * msc + b * mse) ** 2) / (
            (a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1))
        )
        f_star_high = stats.f.ppf(q, n - 1, v)
        f_star_low = stats.f.ppf(q, v, n - 1)
        icc2_low = (
            n
            * (msr - f_star_high * mse)
            / (f_star_high * (k * msc + (k * n - k - n) * mse) + n * msr)
        )
        icc2_high = (
            n * (f_star_low * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_star_low * msr)
        )

    with np.errstate(divide="ignore", invalid="ignore"):

        def est(value: float, low: float, high: float) -> Estimate:
            return Estimate(_none(value), _none(low), _none(high))

        forms = {
            "icc1_1": est(icc1, (f1_low - 1) / (f1_low + k - 1), (f1_high - 1) / (f1_high + k - 1)),
            "icc1_k": est(icc1k, 1 - 1 / f1_low, 1 - 1 / f1_high),
            "icc2_1": est(icc2, icc2_low, icc2_high),
            "icc2_k": est(
                icc2k,
                icc2_low * k / (1 + icc2_low * (k - 1)),
                icc2_high * k / (1 + icc2_high * (k - 1)),
            ),
            "icc3_1": est(icc3, (f3_low - 1) / (f3_low + k - 1), (f3_high - 1) / (f3_high + k - 1)),
            "icc3_k": est(icc3k, 1 - 1 / f3_low, 1 - 1 / f3_high),
        }
    return ICC(forms, int(n), int(k))


def krippendorff_alpha(matrix: np.ndarray, level: str = "interval") -> Alpha:
    """Krippendorff's alpha of ``matrix`` (units × raters, NaN missing) at ``level``."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    data = np.asarray(matrix, dtype=float)
    if data.ndim != 2 or data.size == 0:
        return Alpha(None, level, 0, 0, 0)
    present = ~np.isnan(data)
    counts = present.sum(axis=1)
    pairable = counts >= 2
    data, present, counts = data[pairable], present[pairable], counts[pairable]
    raters = int(present.any(axis=0).sum())
    if len(data) == 0:
        return Alpha(None, level, 0, raters, 0)
    values = np.unique(data[present])
    index = {v: i for i, v in enumerate(values)}
    # the coincidence matrix: each unit's ordered pairs of values, weighted 1 / (m_u − 1)
    per_unit = np.zeros((len(data), len(values)))
    for u, row in enumerate(data):
        for v in row[~np.isnan(row)]:
            per_unit[u, index[v]] += 1
    weights = 1.0 / (counts - 1)
    coincidence = (per_unit.T * weights) @ per_unit
    coincidence[np.diag_indices_from(coincidence)] -= (per_unit * weights[:, None]).sum(axis=0)
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    delta = _distance(values, n_c, level)
    observed = (coincidence * delta).sum() / n
    expected = (np.outer(n_c, n_c) * delta).sum() / (n * (n - 1))
    value = None if expected == 0 else float(1 - observed / expected)
    return Alpha(value, level, int(len(data)), raters, int(n))


def _distance(values: np.ndarray, n_c: np.ndarray, level: str) -> np.ndarray:
    """The squared difference δ²(c, k) between every two values at ``level``."""
    c, k = np.meshgrid(values, values, indexing="ij")
    out: np.ndarray
    if level == "nominal":
        out = (c != k).astype(float)
        return out
    if level == "interval":
        out = (c - k) ** 2
        return out
    if level == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.nan_to_num(((c - k) / (c + k)) ** 2)
        return out
    # ordinal: the values' frequencies between the two ranks, the ends counted half
    cumulative = np.concatenate([[0.0], np.cumsum(n_c)])
    i, j = np.meshgrid(np.arange(len(values)), np.arange(len(values)), indexing="ij")
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    between = cumulative[hi + 1] - cumulative[lo]
    out = (between - (n_c[i] + n_c[j]) / 2) ** 2
    return out


def reliability(table: pd.DataFrame, level: str = "interval") -> Reliability:
    """ICCs and alpha of a long table ``unit, rater, value`` (one row per rating)."""
    matrix = matrix_of(table)
    values = matrix.to_numpy()
    return Reliability(
        icc(values), krippendorff_alpha(values, level), int(matrix.shape[0]), int(matrix.shape[1])
    )


def as_dict(r: Reliability) -> dict[str, object]:
    """The figures under the keys of the command line's JSON (docs/raters.md)."""
    out: dict[str, object] = {}
    for form in ICC_FORMS:
        e = r.icc.forms[form]
        out[form] = e.value
        out[f"{form}_ci95"] = [e.low, e.high]
    out |= {
        "alpha": r.alpha.value,
        "level": r.alpha.level,
        "units": r.units,
        "raters": r.raters,
        "icc_units": r.icc.units,
        "icc_raters": r.icc.raters,
        "alpha_units": r.alpha.units,
        "alpha_values": r.alpha.values,
    }
    return out
