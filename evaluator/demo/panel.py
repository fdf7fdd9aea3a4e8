"""The demo's evaluation panel: besides the evaluator whose values are the county's raw
inputs, a second rater who is at times one rubric level harsher and a third who is often
one level more lenient (and on one slot two levels: a disagreement the lead adjudicates).
Every slot's middle value is the evaluator's, so the trimmed mean (the middle of three)
gives the county's results unchanged, while the reliability figures see a real panel with
a lenient rater. Pure: rows in, rows out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluator.systems import IndicatorSystem
from evaluator.systems.bounds import value_bounds

HARSH = "evaluator2"
LENIENT = "evaluator3"


def panel_rows(system: IndicatorSystem, rows: pd.DataFrame, who: str) -> pd.DataFrame:
    """``rows`` (the evaluator's) as the harsh (``HARSH``) or lenient (``LENIENT``) rater
    would have scored them: rubric levels one level off on some slots (never beyond the
    scale), a Likert mean 0.2 lower or 0.3 higher; checklists and unbounded numbers as is."""
    out = rows.copy().reset_index(drop=True)
    step = -1 if who == HARSH else 1
    values = out["value"].astype(float).to_numpy().copy()
    for i, leaf in enumerate(out["leaf"]):
        node = system.nodes.get(leaf)
        if node is None or not node.is_leaf or np.isnan(values[i]):
            continue
        bounds = value_bounds(system, node)
        # never both on one slot: the two stay within one level of each other
        shifted_here = i % 2 == 0 if who == LENIENT else (i % 3 == 0 and i % 2 == 1)
        if node.method == "rubric" and shifted_here:
            values[i] = min(max(values[i] + step, bounds.low), bounds.high)
        elif node.method == "likert":
            shifted = values[i] + (-0.2 if who == HARSH else 0.3)
            values[i] = round(min(max(shifted, bounds.low), bounds.high), 2)
    out["value"] = values
    return out


def wide_disagreement(system: IndicatorSystem, rows: pd.DataFrame) -> tuple[int, float] | None:
    """The first rubric slot the lenient rater can score two levels above the evaluator:
    (its row, the lenient value) — the disagreement the lead adjudicates."""
    for i, (leaf, value) in enumerate(zip(rows["leaf"], rows["value"], strict=True)):
        node = system.nodes.get(leaf)
        if node is not None and node.method == "rubric" and not pd.isna(value):
            high = value_bounds(system, node).high
            if float(value) + 2 <= high:
                return i, float(value) + 2
    return None
