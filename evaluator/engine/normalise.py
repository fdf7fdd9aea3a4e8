"""Normalisation of raw indicator columns onto a common scale, vectorised over units.

Every method works column by column on an (N units × m indicators) float matrix in which
NaN marks a missing value (kept NaN in the output). ``directions`` (+1 higher is better,
-1 lower is better) are applied first, so that after normalisation higher is always better.

Data-driven methods (``minmax``, ``zscore``, ``rank``) need a column that varies: a column
whose present values are all equal (or that has fewer than two present values) carries no
information to compare units with, and comes out all NaN, i.e. missing for every unit, so
that aggregation drops it and renormalises its siblings' weights. This is the behaviour of
COINr's ``n_minmax`` (which returns NaN for a zero range) applied uniformly to the three
methods. See docs/composite.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from evaluator.errors import InvalidInput, Problem

Method = Literal["minmax", "zscore", "rank", "goalposts", "target", "none"]
METHODS: tuple[str, ...] = ("minmax", "zscore", "rank", "goalposts", "target", "none")


def normalise(
    matrix: np.ndarray,
    directions: np.ndarray | Sequence[int],
    method: Method | str = "minmax",
    params: Mapping[str, object] | None = None,
    columns: Sequence[str] | None = None,
) -> np.ndarray:
    """Normalise each column of ``matrix`` (N × m, NaN = missing); returns a new N × m matrix.

    ``directions`` has shape (m,), entries ±1. Methods, with x the raw value:

    - ``minmax``: 100 · (d·x − min) / (max − min), in [0, 100] (min/max of d·x over the column);
    - ``zscore``: (d·x − mean) / sd, sd with ddof=1;
    - ``rank``: percentile rank 100 · (r − 1) / (n − 1) of d·x, r the rank among the n present
      values (ties take the average rank), in [0, 100];
    - ``goalposts``: ``params['low']``, ``params['high']`` (shape (m,) or scalars, raw units,
      low < high): 100 · clip((x − low) / (high − low), 0, 1), or (high − x) / (high − low)
      when d = −1;
    - ``target``: ``params['target']`` (shape (m,) or scalar, > 0): 100 · clip(x / target, 0, 1),
      or, when d = −1, 100 for x ≤ target and 100 · target / x above it;
    - ``none``: d·x.

    ``columns`` (m names) only serve to locate problems with ``params``.
    """
    x = np.asarray(matrix, dtype=float)
    d = np.asarray(directions, dtype=float)
    if x.ndim != 2 or d.shape != (x.shape[1],):
        raise ValueError(f"matrix {x.shape} does not match directions {d.shape}")
    if not np.all(np.isin(d, (1.0, -1.0))):
        raise ValueError("directions must be 1 or -1")
    names = list(columns) if columns is not None else [str(j + 1) for j in range(x.shape[1])]
    if method not in METHODS:
        raise InvalidInput(
            Problem(
                f"unknown normalisation {method!r}; use one of {', '.join(METHODS)}",
                f"未知的标准化方法 {method!r}，可选：{', '.join(METHODS)}",
            )
        )
    xd = x * d
    if method == "none":
        return np.asarray(xd)
    if method == "goalposts":
        low = _param(params, "low", names, "goalposts")
        high = _param(params, "high", names, "goalposts")
        bad = ~(np.isfinite(low) & np.isfinite(high) & (low < high))
        _check(names, bad, "goalposts need numbers low < high", "目标区间需为数字且下限 < 上限")
        share = np.where(d > 0, (x - low) / (high - low), (high - x) / (high - low))
        return np.asarray(np.clip(share, 0.0, 1.0) * 100.0)
    if method == "target":
        target = _param(params, "target", names, "target")
        bad = ~(np.isfinite(target) & (target > 0))
        _check(names, bad, "the target must be a positive number", "目标值必须为正数")
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.clip(x / target, 0.0, 1.0)
            down = np.where(x <= target, 1.0, target / x)
        share = np.where(d > 0, up, np.where(np.isnan(x), np.nan, down))
        return np.asarray(share * 100.0)

    present = ~np.isnan(xd)
    n = present.sum(axis=0)
    degenerate = degenerate_columns(xd)
    # each column divided by its largest magnitude first: min-max and z-scores do not change,
    # and values near ±1.8e308 no longer overflow a difference (max − min) to infinity
    magnitude = np.where(present, np.abs(xd), 0.0).max(axis=0, initial=0.0)
    xd = xd / np.where(magnitude > 0, magnitude, 1.0)
    lo, hi = _range(xd)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method == "minmax":
            out = (xd - lo) / (hi - lo) * 100.0
        elif method == "zscore":
            mean = np.where(present, xd, 0.0).sum(axis=0) / np.maximum(n, 1)
            dev = np.where(present, xd - mean, 0.0)
            sd = np.sqrt((dev**2).sum(axis=0) / np.maximum(n - 1, 1))
            degenerate |= ~(sd > 0)
            out = (xd - mean) / sd
        else:  # rank
            ranks = pd.DataFrame(xd).rank(axis=0, method="average", na_option="keep").to_numpy()
            out = (ranks - 1.0) / (n - 1.0) * 100.0
    out[:, degenerate] = np.nan
    out[~present] = np.nan
    return np.asarray(out)


def degenerate_columns(matrix: np.ndarray) -> np.ndarray:
    """Boolean (m,): columns with fewer than two distinct present values (all NaN after
    ``minmax``, ``zscore`` and ``rank``)."""
    lo, hi = _range(np.asarray(matrix, dtype=float))
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(~((hi - lo) > 0))


def _range(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column minimum and maximum over present values (+inf/-inf for an all-NaN column)."""
    present = ~np.isnan(x)
    lo = np.where(present, x, np.inf).min(axis=0, initial=np.inf)
    hi = np.where(present, x, -np.inf).max(axis=0, initial=-np.inf)
    return lo, hi


def _param(
    params: Mapping[str, object] | None, key: str, names: list[str], method: str
) -> np.ndarray:
    m = len(names)
    if params is None or params.get(key) is None:
        raise InvalidInput(
            Problem(
                f"{method} normalisation needs {key!r} for every indicator",
                f"{method} 标准化需要为每个指标给出 {key!r}",
            )
        )
    try:
        value = np.broadcast_to(np.asarray(params[key], dtype=float), (m,)).copy()
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            Problem(
                f"{method} normalisation: {key!r} must be one number or one per indicator ({m})",
                f"{method} 标准化：{key!r} 应为一个数或每个指标一个数（共 {m} 个）",
            )
        ) from exc
    return value


def _check(names: list[str], bad: np.ndarray, en: str, zh: str) -> None:
    if np.any(bad):
        raise InvalidInput([Problem(en, zh, column=names[j]) for j in np.flatnonzero(bad)])
