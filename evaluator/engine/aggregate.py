"""Weighted aggregation of children's shares into a parent's share, vectorised over units.

One formula for every tree in the product: domain indicator systems (points) and generic
composite indicators (weights) both call :func:`weighted_mean`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Aggregation = Literal["arithmetic", "geometric"]


def weighted_mean(
    values: np.ndarray, weights: np.ndarray, kind: Aggregation = "arithmetic"
) -> np.ndarray:
    """Aggregate an (N units × k children) matrix into N values.

    ``values`` may hold NaN for a missing child: the weights are then renormalised over the
    children present for that unit, and a unit with no child present gets NaN.

    - arithmetic: Σ wᵢ xᵢ / Σ wᵢ (over present children)
    - geometric:  Π xᵢ^(wᵢ / Σ wᵢ) (over present children); needs xᵢ ≥ 0, a zero child gives 0.

    ``weights`` has shape (k,), non-negative. Children whose weight is 0 are ignored.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if values.ndim != 2 or values.shape[1] != weights.shape[0]:
        raise ValueError(f"values {values.shape} do not match weights {weights.shape}")
    children = [values[:, i] for i in range(values.shape[1])]
    return weighted_mean_samples(children, weights[:, None], kind, n=values.shape[0])[:, 0]


def weighted_mean_samples(
    children: list[np.ndarray],
    weights: np.ndarray,
    kind: Aggregation = "arithmetic",
    *,
    n: int | None = None,
) -> np.ndarray:
    """The same weighted mean for M weightings at once: ``children`` are k arrays, each (N,)
    (the same for every weighting) or (N, M) (one column per weighting); ``weights`` is
    (k, M). Returns (N, M). :func:`weighted_mean` is the case M = 1; the sensitivity
    analysis evaluates thousands of weightings through this one formula.

    Children that are the same for every weighting (leaves) are aggregated with one matrix
    product; a child without missing values adds its weight to every unit at once."""
    weights = np.asarray(weights, dtype=float)
    k, m = weights.shape
    if len(children) != k:
        raise ValueError(f"{len(children)} children do not match weights {weights.shape}")
    rows = n if n is not None else (children[0].shape[0] if children else 0)
    if kind not in (
        "arithmetic",
        "geometric",
    ):  # pragma: no cover - guarded by the type and by validation
        raise ValueError(f"unknown aggregation {kind!r}")
    fixed = [i for i, c in enumerate(children) if np.ndim(c) == 1]
    num = np.zeros((rows, m)) if len(fixed) < k or not fixed else None
    wsum_row = np.zeros(m)  # weights of children present for every unit
    wsum = None  # per-unit weights, only when some child is missing somewhere
    if fixed:
        values = np.column_stack([np.asarray(children[i], dtype=float) for i in fixed])
        w = weights[fixed]
        present = ~np.isnan(values)
        if kind == "geometric":
            if np.any(values[present] < 0):
                raise ValueError("geometric aggregation needs non-negative values")
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.where(present, np.log(np.where(present, values, 1.0)), 0.0)
            if num is None:
                num = np.zeros((rows, m))
            _add_logs(num, logs, present, w)
        elif num is None:  # only leaves: one matrix product gives the numerator
            num = np.where(present, values, 0.0) @ w
        else:
            num += np.where(present, values, 0.0) @ w
        if present.all():
            wsum_row += w.sum(axis=0)
        else:
            wsum = present.astype(float) @ w
    for i, child in enumerate(children):
        if i in fixed:
            continue
        c = np.asarray(child, dtype=float)
        w = weights[i]
        nan = np.isnan(c)
        if kind == "geometric":
            present = ~nan
            if np.any(c[present] < 0):
                raise ValueError("geometric aggregation needs non-negative values")
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.where(present, np.log(np.where(present, c, 1.0)), 0.0)
                num += np.where(present & (w[None, :] > 0), w[None, :] * logs, 0.0)
        elif has_nan := nan.any():
            num += np.where(nan, 0.0, c) * w[None, :]
        else:
            num += c * w[None, :]
        if kind == "geometric":
            has_nan = nan.any()
        if has_nan:
            part = np.where(nan, 0.0, w[None, :])
            wsum = part if wsum is None else wsum + part
        else:
            wsum_row += w
    total_w = wsum_row[None, :] if wsum is None else wsum + wsum_row[None, :]
    assert num is not None  # set above: by the fixed children, or zeros for the others
    with np.errstate(invalid="ignore", divide="ignore"):
        num /= total_w  # in place: the ratio
    if kind == "geometric":
        np.exp(num, out=num)
    empty = total_w <= 0
    if empty.any():  # no child present (or only zero weights): no value
        num[np.broadcast_to(empty, num.shape)] = np.nan
    return num


def _add_logs(num: np.ndarray, logs: np.ndarray, present: np.ndarray, w: np.ndarray) -> None:
    """num += Σ over children of w × log x, where a zero child (log −inf) with a positive
    weight makes the product 0 and a zero weight ignores the child."""
    finite = np.isfinite(logs)
    if finite.all():
        num += logs @ w
        return
    with np.errstate(invalid="ignore"):
        for j in range(logs.shape[1]):
            num += np.where(
                present[:, j : j + 1] & (w[j][None, :] > 0), logs[:, j : j + 1] * w[j][None, :], 0.0
            )
