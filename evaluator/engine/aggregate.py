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
    present = ~np.isnan(values)
    w = np.where(present, weights[None, :], 0.0)
    wsum = w.sum(axis=1)
    out = np.full(values.shape[0], np.nan)
    has = wsum > 0
    if kind == "arithmetic":
        num = np.where(present, values * weights[None, :], 0.0).sum(axis=1)
        out[has] = num[has] / wsum[has]
    elif kind == "geometric":
        if np.any(values[present] < 0):
            raise ValueError("geometric aggregation needs non-negative values")
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(present & (w > 0), np.log(np.where(present, values, 1.0)), 0.0)
        # log(0) = -inf with a positive weight makes the product 0, as it should
        expo = np.where(w > 0, w * logs, 0.0).sum(axis=1)
        out[has] = np.exp(expo[has] / wsum[has])
    else:  # pragma: no cover - guarded by the type and by validation
        raise ValueError(f"unknown aggregation {kind!r}")
    return out
