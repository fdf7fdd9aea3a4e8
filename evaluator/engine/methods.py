"""Scoring methods: raw evidence → share in [0, 1], one vectorised call per leaf.

Each function takes the leaf, the system and the :class:`Inputs` matrices and returns a
:class:`LeafScore` of arrays over the N units. ``share`` is NaN where the input is missing
(the missing-input rule is applied later, in one place). Formulas: docs/indicator-systems.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

from evaluator.engine.inputs import Inputs, slot_key
from evaluator.systems import IndicatorSystem, Node
from evaluator.systems.schema import (
    BonusLeaf,
    ChecklistLeaf,
    CountLeaf,
    DeductionLeaf,
    LikertLeaf,
    RatioLeaf,
)


@dataclass
class LeafScore:
    """Per-unit arrays for one leaf. ``raw`` is the value shown in explanations (count,
    level, mean, met points, actual); ``basis`` the effective target (ratio, count per
    target) or the valid n (likert); ``measure`` the ratio r where there is one."""

    share: np.ndarray
    raw: np.ndarray
    basis: np.ndarray | None = None
    measure: np.ndarray | None = None
    insufficient: np.ndarray | None = None  # likert: fewer valid respondents than min_n
    skip: np.ndarray | None = None  # units to treat as missing-and-skipped regardless of rule
    zero_target: np.ndarray | None = None  # ratio/count: units whose target is 0

    @property
    def absent(self) -> np.ndarray:
        """Units with no usable input, the ones the missing rule acts on; a unit whose target
        is 0 is not absent: its ``zero_target`` rule has already decided."""
        absent = np.asarray(np.isnan(self.raw))
        return absent if self.zero_target is None else np.asarray(absent & ~self.zero_target)


EDGE = 1e-9  # a value within this of a band edge counts as on it (5.6 / 7 = 0.7999999999999999)


def step_share(x: np.ndarray, mins: list[float], shares: list[float]) -> np.ndarray:
    """Share of the first step (mins strictly decreasing) with x ≥ min; 0 if none; NaN stays NaN.
    Binary noise below an edge (within :data:`EDGE`) counts as on the edge."""
    mins_a = np.asarray(mins, dtype=float) - EDGE
    shares_a = np.append(np.asarray(shares, dtype=float), 0.0)
    with np.errstate(invalid="ignore"):
        index = (x[:, None] < mins_a[None, :]).sum(axis=1)
    return np.where(np.isnan(x), np.nan, shares_a[index])


def _target(leaf: Node, spec: RatioLeaf | CountLeaf, inputs: Inputs) -> np.ndarray:
    """Per-unit target: the row's target, else the leaf's; times elapsed when pro-rated.
    NaN for a unit with neither (its value is then the ratio itself)."""
    target = inputs.column(leaf.code, "target")
    if spec.target is not None:
        target = np.where(np.isnan(target), spec.target, target)
    if spec.prorate:
        elapsed = inputs.column(leaf.code, "elapsed")
        target = target * np.where(np.isnan(elapsed), 1.0, elapsed)
    return target


def _on_zero_target(
    leaf: Node, system: IndicatorSystem, target: np.ndarray, share: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """(share, zero-target units): where the target is 0 the leaf scores 0 (``zero``) or is
    skipped (``skip``) whatever the value; ``error`` never gets here (the inputs refuse it)."""
    zero = target == 0
    if not zero.any():
        return share, None
    rule = system.zero_target_rule(leaf)
    if rule == "error":
        raise ValueError(f"{leaf.code}: a target of 0 under zero_target: error")
    return np.where(zero, 0.0 if rule == "zero" else np.nan, share), zero


def checklist(leaf: Node, system: IndicatorSystem, inputs: Inputs) -> LeafScore:
    items = leaf.spec_as(ChecklistLeaf).items
    met = np.column_stack([inputs.column(slot_key(leaf.code, it.code)) for it in items])
    points = np.array([it.points for it in items])
    present = ~np.all(np.isnan(met), axis=1)
    got = np.where(np.isnan(met), 0.0, met) @ points
    share = np.where(present, got / points.sum(), np.nan)
    return LeafScore(share=share, raw=np.where(present, got, np.nan))


def ratio(leaf: Node, system: IndicatorSystem, inputs: Inputs) -> LeafScore:
    spec = leaf.spec_as(RatioLeaf)
    actual = inputs.column(leaf.code)
    target = _target(leaf, spec, inputs)
    r = _per_target(actual, target)
    if spec.bands is not None:
        share = step_share(r, [b.min for b in spec.bands], [b.share for b in spec.bands])
    else:
        assert spec.linear is not None  # the schema asks for bands or linear
        lo, cap = spec.linear.floor, spec.linear.cap
        share = np.clip((np.minimum(r, cap) - lo) / (cap - lo), 0.0, 1.0)
    share, zero = _on_zero_target(leaf, system, target, share)
    return LeafScore(share=share, raw=actual, basis=target, measure=r, zero_target=zero)


def _per_target(value: np.ndarray, target: np.ndarray) -> np.ndarray:
    """value ÷ target; the value itself where there is no target; NaN where the target is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(np.isnan(target), value, value / np.where(target == 0, np.nan, target))
    return per


def rubric(leaf: Node, system: IndicatorSystem, inputs: Inputs) -> LeafScore:
    levels = system.rubric_levels(leaf)
    top = max(lv.level for lv in levels)
    table = np.full(top + 1, np.nan)
    for lv in levels:
        table[lv.level] = lv.share if lv.share is not None else lv.level / top
    level = inputs.column(leaf.code)
    safe = np.where(np.isnan(level), 0, level).astype(np.int64)
    return LeafScore(share=np.where(np.isnan(level), np.nan, table[safe]), raw=level)


def likert(leaf: Node, system: IndicatorSystem, inputs: Inputs) -> LeafScore:
    spec = leaf.spec_as(LikertLeaf)
    mean = inputs.column(leaf.code)
    n = inputs.column(leaf.code, "n")
    xs, ys = zip(*spec.breakpoints, strict=True)
    share = np.where(np.isnan(mean), np.nan, np.interp(mean, xs, ys))
    insufficient = None
    skip = None
    if spec.min_n is not None:
        with np.errstate(invalid="ignore"):
            insufficient = ~np.isnan(mean) & (np.isnan(n) | (n < spec.min_n))
        if spec.below_min_n == "zero":
            share = np.where(insufficient, 0.0, share)
        elif spec.below_min_n == "skip":
            share = np.where(insufficient, np.nan, share)
            skip = insufficient
    return LeafScore(share=share, raw=mean, basis=n, insufficient=insufficient, skip=skip)


def count(leaf: Node, system: IndicatorSystem, inputs: Inputs) -> LeafScore:
    spec = leaf.spec_as(CountLeaf)
    value = inputs.column(leaf.code)
    if not spec.per_target:
        share = step_share(value, [s.min for s in spec.steps], [s.share for s in spec.steps])
        return LeafScore(share=share, raw=value)
    target = _target(leaf, spec, inputs)
    x = _per_target(value, target)
    share = step_share(x, [s.min for s in spec.steps], [s.share for s in spec.steps])
    share, zero = _on_zero_target(leaf, system, target, share)
    return LeafScore(share=share, raw=value, basis=target, measure=x, zero_target=zero)


def deduction(leaf: Node, system: IndicatorSystem, inputs: Inputs) -> LeafScore:
    incidents = inputs.column(leaf.code)
    penalty = leaf.spec_as(DeductionLeaf).penalty
    share = np.maximum(0.0, 1.0 - penalty * incidents / leaf.points)
    return LeafScore(share=share, raw=incidents)


def bonus_points(leaf: Node, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """(bonus points, raw count) of a bonus leaf: min(cap, per_unit × value), missing → 0."""
    spec = leaf.spec_as(BonusLeaf)
    value = inputs.column(leaf.code)
    points = np.minimum(spec.cap, spec.per_unit * np.where(np.isnan(value), 0.0, value))
    return points, value


Method: TypeAlias = Callable[[Node, IndicatorSystem, Inputs], LeafScore]

# keyed by ``Node.method``, which is None for a group (no entry: a KeyError, as for any
# method without a scoring function)
METHODS: dict[str | None, Method] = {
    "checklist": checklist,
    "ratio": ratio,
    "rubric": rubric,
    "likert": likert,
    "count": count,
    "deduction": deduction,
}


def score_leaf(leaf: Node, system: IndicatorSystem, inputs: Inputs) -> LeafScore:
    return METHODS[leaf.method](leaf, system, inputs)
