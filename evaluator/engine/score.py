"""The engine: an indicator system plus raw inputs for N units → scores, grades,
vetoes, flags and explanations. Pure (no I/O); vectorised over units — the only Python
loops are over the system's leaves and groups."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from evaluator.engine.aggregate import weighted_mean
from evaluator.engine.grading import (
    breached,
    final_grades,
    floor_hits,
    graded_scores,
    round_half_up,
    tripped_nodes,
)
from evaluator.engine.inputs import Inputs, Locate, default_locate, prepare_inputs
from evaluator.engine.methods import LeafScore, bonus_points, score_leaf
from evaluator.engine.result import Result
from evaluator.errors import InvalidInput, Problem
from evaluator.systems import IndicatorSystem
from evaluator.systems.schema import Group

MAX_LISTED = 200  # (unit, leaf) pairs named in a missing-input error; the rest are counted


def score(
    system: IndicatorSystem,
    raw: pd.DataFrame | Inputs,
    not_applicable: Iterable[tuple[str, str]] = (),
    locate: Locate = default_locate,
) -> Result:
    """Score a cohort.

    ``not_applicable``: (unit, leaf) pairs the lead evaluator declared not applicable to
    that unit: the leaf is skipped for it whatever its missing rule (its weight goes to its
    siblings, as for ``missing: skip``).

    ``raw`` is the long input table (columns unit, leaf, item, value, target, n, elapsed;
    see docs/indicator-systems.md) or already prepared :class:`Inputs`; ``locate`` (error
    locations) is passed to :func:`prepare_inputs`.
    """
    inputs = raw if isinstance(raw, Inputs) else prepare_inputs(system, raw, locate)
    return score_inputs(system, inputs, not_applicable)


def absent_inputs(
    system: IndicatorSystem, raw: pd.DataFrame | Inputs, locate: Locate = default_locate
) -> list[tuple[str, str]]:
    """(unit, leaf) pairs with no usable value — the leaves the missing rule would act on —
    in unit order, then the system's leaf order; bonus leaves (absent = no bonus) excluded."""
    inputs = raw if isinstance(raw, Inputs) else prepare_inputs(system, raw, locate)
    absent = {leaf.code: score_leaf(leaf, system, inputs).absent for leaf in system.leaves}
    return [
        (str(unit), code)
        for i, unit in enumerate(inputs.units)
        for code, mask in absent.items()
        if mask[i]
    ]


def score_inputs(
    system: IndicatorSystem, inputs: Inputs, not_applicable: Iterable[tuple[str, str]] = ()
) -> Result:
    n_units = len(inputs.units)
    row = {str(u): i for i, u in enumerate(inputs.units)}
    waived: dict[str, np.ndarray] = {}
    for unit, code in not_applicable:
        if str(unit) in row:
            waived.setdefault(code, np.zeros(n_units, dtype=bool))[row[str(unit)]] = True
    leaf_scores: dict[str, LeafScore] = {}
    missing: dict[str, np.ndarray] = {}
    skipped_leaf: dict[str, np.ndarray] = {}
    shares: dict[str, np.ndarray] = {}
    missing_pairs: list[tuple[str, str]] = []

    for leaf in system.leaves:
        result = score_leaf(leaf, system, inputs)
        leaf_scores[leaf.code] = result
        absent = result.absent
        missing[leaf.code] = absent
        rule = system.missing_rule(leaf)
        share = result.share
        if rule == "zero":
            share = np.where(absent, 0.0, share)
        elif rule == "error":
            due = absent & ~waived.get(leaf.code, np.zeros(n_units, dtype=bool))
            missing_pairs += [(unit, leaf.code) for unit in inputs.units[due]]
        if leaf.code in waived:  # not applicable to these units: skipped, whatever the rule
            share = np.where(waived[leaf.code], np.nan, share)
        skipped_leaf[leaf.code] = np.isnan(share)
        shares[leaf.code] = share
    if missing_pairs:
        raise InvalidInput(_missing_problems(missing_pairs))

    for group in reversed(system.groups):  # pre-order reversed: children before parents
        kids = [system.nodes[c] for c in group.children if not system.nodes[c].is_bonus]
        matrix = np.column_stack([shares[k.code] for k in kids])
        weights = np.array([k.points for k in kids])
        shares[group.code] = weighted_mean(matrix, weights, group.spec_as(Group).aggregation)

    families = system.families
    fam = np.column_stack([shares[f.code] for f in families])
    base_share = weighted_mean(fam, np.array([f.points for f in families]))
    base = np.where(np.isnan(base_share), 0.0, base_share) * system.total_points

    bonus = {b.code: bonus_points(b, inputs) for b in system.bonus_leaves}
    bonus_sum = sum((p for p, _ in bonus.values()), np.zeros(n_units))
    bonus_total = np.minimum(system.bonus_cap, bonus_sum)

    decimals = system.spec.decimals
    base_r = round_half_up(base, decimals)
    bonus_r = round_half_up(bonus_total, decimals)
    total = round_half_up(base_r + bonus_r, decimals)

    vetoes = {v.code: inputs.column(v.code) == 1 for v in system.spec.vetoes}
    vetoed = np.zeros(n_units, dtype=bool)
    for hit in vetoes.values():
        vetoed |= hit
    graded = graded_scores(system, base_r, total)
    hits = floor_hits(system, shares)
    banded, final = final_grades(system, graded, breached(hits, n_units), vetoed)
    tripped = tripped_nodes(hits, n_units)

    points = {code: shares[code] * system.nodes[code].points for code in shares}
    return Result(
        system=system,
        units=inputs.units,
        node_points=pd.DataFrame(points, index=inputs.units)[
            [c for c in system.nodes if c in points]
        ],
        node_shares=pd.DataFrame(shares, index=inputs.units)[
            [c for c in system.nodes if c in shares]
        ],
        leaf_scores=leaf_scores,
        missing=pd.DataFrame(missing, index=inputs.units),
        skipped=pd.DataFrame({c: np.isnan(s) for c, s in shares.items()}, index=inputs.units)[
            [c for c in system.nodes if c in shares]
        ],
        bonus=pd.DataFrame({c: p for c, (p, _) in bonus.items()}, index=inputs.units),
        bonus_raw=pd.DataFrame({c: r for c, (_, r) in bonus.items()}, index=inputs.units),
        base=pd.Series(base_r, index=inputs.units, name="base"),
        bonus_total=pd.Series(bonus_r, index=inputs.units, name="bonus"),
        total=pd.Series(total, index=inputs.units, name="total"),
        graded=pd.Series(graded, index=inputs.units, name="graded"),
        band=banded,
        grade_idx=final,
        vetoes=pd.DataFrame(vetoes, index=inputs.units, dtype=bool),
        floors=pd.DataFrame(
            {c: tripped[c] for c in system.nodes if c in tripped}, index=inputs.units, dtype=bool
        ),
    )


def _missing_problems(pairs: list[tuple[str, str]]) -> list[Problem]:
    problems = [
        Problem(
            f"unit {unit} has no input for leaf {code}, whose missing rule is error",
            f"单位 {unit} 缺少指标 {code} 的数据（该指标不允许缺失）",
            path=f"{unit}/{code}",
        )
        for unit, code in pairs[:MAX_LISTED]
    ]
    if len(pairs) > MAX_LISTED:
        more = len(pairs) - MAX_LISTED
        problems.append(
            Problem(f"… and {more} more missing (unit, leaf) pairs", f"……另有 {more} 处缺失")
        )
    return problems
