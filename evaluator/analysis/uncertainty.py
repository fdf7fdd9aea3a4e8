"""Uncertainty analysis: how scores, ranks, grades and recommendations move when the
weights move (docs/sensitivity.md). Built on :mod:`evaluator.analysis.sensitivity`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from evaluator.analysis.sensitivity import (
    Cohort,
    Outcome,
    Settings,
    rank_pair,
    ranks,
    sample_weights,
)
from evaluator.engine.result import Result
from evaluator.systems import IndicatorSystem


@dataclass(frozen=True)
class Uncertainty:
    settings: Settings
    weights: list[str]  # the perturbed nodes
    units: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    cohort: dict[str, Any]

    def fragile_units(self) -> list[str]:
        return [u["unit"] for u in self.units if u["fragile"]]

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "settings": {
                "samples": s.samples,
                "seed": s.seed,
                "spread": s.spread,
                "levels": list(s.levels),
                "method": s.method,
                "concentration": s.concentration,
                "vary_aggregation": s.vary_aggregation,
                "vary_missing": s.vary_missing,
                "fragile": s.fragile,
            },
            "weights": self.weights,
            "units": self.units,
            "groups": self.groups,
            "cohort": self.cohort,
        }


def _columnwise_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``a`` (R × K) with each column of ``b`` (K × C)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (a @ b) / (
            np.sqrt((a**2).sum(axis=1))[:, None] * np.sqrt((b**2).sum(axis=0))[None, :]
        )
    rho: np.ndarray = np.nan_to_num(out)
    return rho


def drivers(
    theta: np.ndarray, totals: np.ndarray, codes: list[str], k: int = 3
) -> list[list[dict[str, Any]]]:
    """Per unit, the weights whose samples move its total most: Spearman ρ between each
    weight's samples and the unit's sampled totals (|ρ| ≥ 0.1, the k largest)."""
    rho = _columnwise_corr(rankdata(totals, axis=1), rankdata(theta, axis=0))  # N × D
    out = []
    for row in rho:
        order = np.argsort(-np.abs(row))[:k]
        out.append(
            [
                {"weight": codes[j], "rho": round(float(row[j]), 3)}
                for j in order
                if abs(row[j]) >= 0.1
            ]
        )
    return out


def analyse(
    system: IndicatorSystem,
    result: Result,
    settings: Settings | None = None,
    groups: Mapping[str, str] | None = None,
    outcomes: Mapping[str, Outcome] | None = None,
) -> Uncertainty:
    """Per unit: nominal and sampled totals and ranks (median, 5th–95th percentile),
    P(grade ≠ nominal), fragile flag and the driving weights. Per group of units (e.g. a
    contract, with ``outcomes[group]`` giving its recommendation from its units' grades and
    totals):
    P(recommendation ≠ nominal). Per cohort: rank shifts, Spearman ρ with the nominal
    ranking, and "remove one" (each family's weight set to zero in turn)."""
    settings = settings or Settings()
    cohort = Cohort(system, result)
    codes, theta = sample_weights(system, settings)
    geometric = None
    if settings.vary_aggregation:
        rng = np.random.default_rng([settings.seed, 1])
        geometric = {g.code: rng.random(settings.samples) < 0.5 for g in system.groups}
    other_rule = (
        np.random.default_rng([settings.seed, 2]).random(settings.samples) < 0.5
        if settings.vary_missing
        else None
    )
    ev = cohort.evaluate(codes, theta, geometric, other_missing_rule=other_rule)
    nominal_total = result.total.to_numpy(dtype=float)
    nominal_graded = result.graded.to_numpy(dtype=float)
    nominal_rank = result.rank.to_numpy()
    nominal_grade = result.grade_idx
    rk, rk_average = rank_pair(ev.total, system.spec.decimals)
    grade_codes = np.array([g.code for g in system.spec.grades], dtype=object)
    flips = (ev.grade != nominal_grade[:, None]).mean(axis=1)
    tq = np.quantile(ev.total, [0.05, 0.5, 0.95], axis=1)
    rq = np.quantile(rk, [0.05, 0.5, 0.95], axis=1)
    seen = np.stack([(ev.grade == g).mean(axis=1) for g in range(len(grade_codes))], axis=1)
    moved = np.flatnonzero(flips > 0)
    why = (
        dict(zip(moved, drivers(theta, ev.graded[moved], codes), strict=True)) if len(moved) else {}
    )
    units = []
    for i, unit in enumerate(result.units):
        p = float(flips[i])
        units.append(
            {
                "unit": str(unit),
                "total": float(nominal_total[i]),
                "rank": int(nominal_rank[i]),
                "grade": str(grade_codes[nominal_grade[i]]),
                "total_median": round(float(tq[1, i]), 4),
                "total_p5": round(float(tq[0, i]), 4),
                "total_p95": round(float(tq[2, i]), 4),
                "rank_median": float(rq[1, i]),
                "rank_p5": float(rq[0, i]),
                "rank_p95": float(rq[2, i]),
                "grade_flip": round(p, 4),
                "grades_seen": {
                    str(grade_codes[g]): round(float(seen[i, g]), 4)
                    for g in range(len(grade_codes))
                    if seen[i, g] > 0
                },
                "fragile": p > settings.fragile,
                "drivers": why.get(i, []),
            }
        )
    group_rows = []
    if groups is not None and outcomes:
        for name in sorted(set(groups.values()) & set(outcomes)):
            outcome = outcomes[name]
            idx = np.array([i for i, u in enumerate(result.units) if groups.get(str(u)) == name])
            nominal = outcome(list(grade_codes[nominal_grade[idx]]), nominal_graded[idx])
            sampled = [
                outcome(list(grade_codes[ev.grade[idx, s]]), ev.graded[idx, s])
                for s in range(settings.samples)
            ]
            p = float(np.mean([o != nominal for o in sampled]))
            shares = {o: round(sampled.count(o) / len(sampled), 4) for o in sorted(set(sampled))}
            group_rows.append(
                {
                    "group": name,
                    "recommendation": nominal,
                    "flip": round(p, 4),
                    "seen": shares,
                    "fragile": p > settings.fragile,
                }
            )
    shift = np.abs(rk - nominal_rank[:, None]).mean(axis=0)
    if len(nominal_total) > 1:  # Spearman ρ of each sample's ranking with the nominal one
        decimals = system.spec.decimals
        nominal_avg = ranks(nominal_total[:, None], decimals, "average")[:, 0]
        rho = _columnwise_corr(nominal_avg[None, :], rk_average)[0]
    else:
        rho = np.ones(settings.samples)
    remove_one = []
    for fam in system.families:
        if fam.is_bonus:
            continue
        zero = cohort.evaluate([fam.code], np.zeros((1, 1)))
        remove_one.append(
            {
                "family": fam.code,
                "mean_rank_shift": round(
                    float(
                        np.abs(ranks(zero.total, system.spec.decimals)[:, 0] - nominal_rank).mean()
                    ),
                    4,
                ),
            }
        )
    cohort_doc = {
        "units": len(result.units),
        "mean_rank_shift": {
            "mean": round(float(shift.mean()), 4),
            "p5": round(float(np.quantile(shift, 0.05)), 4),
            "p95": round(float(np.quantile(shift, 0.95)), 4),
        },
        "spearman": {
            "median": round(float(np.median(rho)), 4),
            "p5": round(float(np.quantile(rho, 0.05)), 4),
            "p95": round(float(np.quantile(rho, 0.95)), 4),
        },
        "remove_one": remove_one,
    }
    return Uncertainty(settings, codes, units, group_rows, cohort_doc)
