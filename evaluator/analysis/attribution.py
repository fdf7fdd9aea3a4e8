"""Which weights matter: Sobol indices (SALib) of the cohort's mean absolute rank shift and
of borderline units' totals, with bootstrap intervals; a random-forest surrogate with
permutation importance (scikit-learn) as a cross-check, its R² always reported; and PCA
weights within each family as a data-driven alternative (docs/sensitivity.md)."""

from __future__ import annotations

from typing import Any

import numpy as np
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestRegressor
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

from evaluator.analysis.sensitivity import Cohort, Settings, perturbed, ranks
from evaluator.engine.result import Result
from evaluator.systems import IndicatorSystem


def _indices(problem: dict[str, Any], y: np.ndarray, seed: int) -> list[dict[str, Any]]:
    if np.ptp(y) == 0:  # nothing moves: every index is 0
        return [
            {"weight": n, "S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0}
            for n in problem["names"]
        ]
    si = sobol_analyze.analyze(
        problem, y, calc_second_order=False, num_resamples=200, conf_level=0.95, seed=seed
    )
    return [
        {
            "weight": n,
            "S1": round(float(si["S1"][j]), 4),
            "S1_conf": round(float(si["S1_conf"][j]), 4),
            "ST": round(float(si["ST"][j]), 4),
            "ST_conf": round(float(si["ST_conf"][j]), 4),
        }
        for j, n in enumerate(problem["names"])
    ]


def attribute(
    system: IndicatorSystem,
    result: Result,
    settings: Settings | None = None,
    base_samples: int = 256,
    borderline: int = 5,
) -> dict[str, Any]:
    """Sobol first-order (S1) and total (ST) indices with 95% bootstrap intervals, for the
    mean absolute rank shift and for the ``borderline`` units closest to a grade threshold;
    the surrogate's R² and permutation importances; PCA weights and their ranking."""
    settings = settings or Settings()
    cohort = Cohort(system, result)
    codes = perturbed(system, settings.levels)
    problem = {
        "num_vars": len(codes),
        "names": codes,
        "bounds": [[1 - settings.spread, 1 + settings.spread]] * len(codes),
    }
    x = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=settings.seed)
    ev = cohort.evaluate(codes, x)
    nominal_rank = result.rank.to_numpy()
    shift = np.abs(ranks(ev.total, system.spec.decimals) - nominal_rank[:, None]).mean(axis=0)
    out = {
        "samples": int(x.shape[0]),
        "base_samples": base_samples,
        "rank_shift": _indices(problem, shift, settings.seed),
    }
    total = result.total.to_numpy(dtype=float)
    thresholds = np.array([g.min for g in system.spec.grades if g.min > 0])
    if len(thresholds):
        gap = np.min(np.abs(total[:, None] - thresholds[None, :]), axis=1)
        near = [i for i in np.argsort(gap)[:borderline]]
        out["borderline"] = [
            {
                "unit": str(result.units[i]),
                "total": float(total[i]),
                "gap": round(float(gap[i]), 4),
                "indices": _indices(problem, ev.total[i], settings.seed),
            }
            for i in near
        ]
    out["surrogate"] = surrogate(x, shift, codes, settings.seed)
    out["pca"] = pca_weights(system, cohort, result)
    return out


def surrogate(x: np.ndarray, y: np.ndarray, codes: list[str], seed: int) -> dict[str, Any]:
    """A random forest of the weights → the output, fitted on 75% of (at most 2,000 of) the
    samples; its R² on the other 25% and the permutation importance of each weight there."""
    if len(y) > 2000:
        keep = np.random.default_rng(seed).choice(len(y), 2000, replace=False)
        x, y = x[keep], y[keep]
    if np.ptp(y) == 0:
        return {
            "r2": None,
            "note": "the output does not vary",
            "importance": [{"weight": c, "mean": 0.0, "std": 0.0} for c in codes],
        }
    train_x, test_x, train_y, test_y = train_test_split(x, y, test_size=0.25, random_state=seed)
    model = RandomForestRegressor(
        n_estimators=100, max_depth=12, min_samples_leaf=3, random_state=seed, n_jobs=1
    ).fit(train_x, train_y)
    imp = permutation_importance(model, test_x, test_y, n_repeats=5, random_state=seed, n_jobs=1)
    order = np.argsort(-imp.importances_mean)
    return {
        "r2": round(float(model.score(test_x, test_y)), 4),
        "importance": [
            {
                "weight": codes[j],
                "mean": round(float(imp.importances_mean[j]), 4),
                "std": round(float(imp.importances_std[j]), 4),
            }
            for j in order
        ],
    }


def pca_weights(system: IndicatorSystem, cohort: Cohort, result: Result) -> dict[str, Any]:
    """Within each family, weights from the first principal component of its children's
    shares over the cohort (squared loadings, normalised, scaled to the family's points);
    the cohort scored with them, compared with the nominal ranking."""
    units = len(result.units)
    factors: dict[str, float] = {}
    families = []
    for fam in system.families:
        kids = [c for c in fam.children if not system.nodes[c].is_bonus]
        if fam.is_bonus or len(kids) < 2 or units < 3:
            continue
        shares = np.column_stack([result.node_shares[c].to_numpy(dtype=float) for c in kids])
        shares = np.where(np.isnan(shares), np.nanmean(shares, axis=0, keepdims=True), shares)
        shares = np.nan_to_num(shares)
        if np.all(shares.std(axis=0) == 0):
            continue
        loadings = PCA(n_components=1).fit(shares).components_[0] ** 2
        weights = loadings / loadings.sum()
        nominal = np.array([system.nodes[c].points for c in kids], dtype=float)
        nominal = nominal / nominal.sum()
        for c, w, n in zip(kids, weights, nominal, strict=True):
            factors[c] = float(w / n) if n > 0 else 1.0
        families.append(
            {
                "family": fam.code,
                "weights": {c: round(float(w), 4) for c, w in zip(kids, weights, strict=True)},
                "nominal": {c: round(float(n), 4) for c, n in zip(kids, nominal, strict=True)},
            }
        )
    if not factors:
        return {"families": [], "note": "too few units or children for PCA"}
    codes = list(factors)
    ev = cohort.evaluate(codes, np.array([[factors[c] for c in codes]]))
    nominal_total = result.total.to_numpy(dtype=float)
    rho = spearmanr(nominal_total, ev.total[:, 0]).statistic
    shift = np.abs(ranks(ev.total, system.spec.decimals)[:, 0] - result.rank.to_numpy())
    return {
        "families": families,
        "spearman": round(float(rho), 4) if not np.isnan(rho) else 1.0,
        "mean_rank_shift": round(float(shift.mean()), 4),
        "units": [
            {"unit": str(u), "total": round(float(ev.total[i, 0]), 4), "rank_shift": int(shift[i])}
            for i, u in enumerate(result.units)
        ],
    }
