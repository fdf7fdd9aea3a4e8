"""Generic composite indicators: normalise raw indicators, aggregate them up a weighted tree.

``score_composite`` is the pure scoring step (the DATA table is read by
:mod:`evaluator.evidence.composite_data`). Aggregation is
:func:`evaluator.engine.aggregate.weighted_mean`, the one formula of the product.
See docs/composite.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import numpy as np
import pandas as pd

from evaluator.engine.aggregate import Aggregation, weighted_mean
from evaluator.engine.normalise import METHODS
from evaluator.engine.normalise import normalise as normalise_matrix
from evaluator.errors import InvalidInput, Problem
from evaluator.systems.flat import CompositeStructure

AGGREGATIONS: tuple[str, ...] = ("arithmetic", "geometric")


def score_composite(
    structure: CompositeStructure,
    data: pd.DataFrame,
    normalise: str = "minmax",
    aggregate: str = "arithmetic",
    params: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Score N units on a composite structure.

    ``data``: (N × ≥m) frame, index = unit codes, one float column per indicator code (NaN =
    missing; extra columns ignored). ``normalise``: a method of
    :func:`evaluator.engine.normalise.normalise` (``params`` for goalposts/target).
    ``aggregate``: ``arithmetic`` or ``geometric``, used at every aggregate node.

    Returns one row per unit, sorted by rank (units without a root score last): ``unit``,
    one float column per aggregate node in tree order (the root first), and ``rank`` of the
    root score (nullable Int64: descending, ties take the minimum rank, 1 = best, <NA> when
    the root score is NaN).
    """
    problems: list[Problem] = []
    if normalise not in METHODS:
        problems.append(
            Problem(
                f"unknown normalisation {normalise!r}; use one of {', '.join(METHODS)}",
                f"未知的标准化方法 {normalise!r}，可选：{', '.join(METHODS)}",
            )
        )
    if aggregate not in AGGREGATIONS:
        problems.append(
            Problem(
                f"unknown aggregation {aggregate!r}; use arithmetic or geometric",
                f"未知的汇总方法 {aggregate!r}，可选：arithmetic、geometric",
            )
        )
    indicators = list(structure.indicators)
    for code in indicators:
        if code not in data.columns:
            problems.append(
                Problem(f"no data for indicator {code!r}", f"缺少指标 {code!r} 的数据", column=code)
            )
    if problems:
        raise InvalidInput(problems)
    try:
        matrix = data[indicators].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(Problem("indicator data must be numbers", "指标数据必须为数字")) from exc
    directions = np.array([structure.direction[c] for c in indicators], dtype=float)
    norm = normalise_matrix(matrix, directions, normalise, params, columns=indicators)
    units = list(data.index)
    if aggregate == "geometric":
        _check_geometric(norm, indicators, units, normalise, data.attrs.get("file"))

    scores: dict[str, np.ndarray] = {c: norm[:, j] for j, c in enumerate(indicators)}
    for code in structure.bottom_up():
        kids = structure.children[code]
        values = np.column_stack([scores[k] for k in kids]) if kids else np.empty((len(units), 0))
        weights = np.array([structure.weight[k] for k in kids], dtype=float)
        scores[code] = weighted_mean(values, weights, kind=cast(Aggregation, aggregate))

    out = pd.DataFrame({"unit": pd.Series(units, dtype=object)})
    for code in structure.aggregates:
        out[code] = scores[code]
    root = pd.Series(scores[structure.root])
    out["rank"] = root.rank(ascending=False, method="min", na_option="keep").astype("Int64")
    out = out.sort_values("rank", kind="stable", na_position="last")
    return out.reset_index(drop=True)


def _check_geometric(
    norm: np.ndarray, indicators: list[str], units: list[object], method: str, file: str | None
) -> None:
    """Geometric aggregation needs values ≥ 0: name every indicator and unit that is negative."""
    problems = []
    for j, code in enumerate(indicators):
        bad = [str(units[i]) for i in np.flatnonzero(norm[:, j] < 0)]
        if bad:
            shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
            shown_zh = "、".join(bad[:5]) + (f" 等 {len(bad)} 个" if len(bad) > 5 else "")
            problems.append(
                Problem(
                    f"geometric aggregation needs values ≥ 0, but after {method} normalisation "
                    f"indicator {code} is negative for {shown}; use --normalise minmax (or rank)",
                    f"几何汇总要求数值不小于 0，但经 {method} 标准化后指标 {code} 在 {shown_zh} "
                    "为负数；请改用 --normalise minmax（或 rank）",
                    file=file,
                    column=code,
                )
            )
    if problems:
        raise InvalidInput(problems)
