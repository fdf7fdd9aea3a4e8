"""Weighting sensitivity and uncertainty analysis (docs/sensitivity.md).

After the OECD/JRC handbook on composite indicators (and the JRC's COINr): sample
alternative weights around the nominal ones, re-aggregate every unit under every sample,
and read how scores, ranks, grades and recommendations move; attribute the movement to the
weights with Sobol indices (SALib), cross-checked by a random-forest surrogate
(scikit-learn), and compare with data-driven weights (PCA within each family).

All samples are evaluated at once: the leaves' shares of a scored cohort do not depend on
the weights, so every group is one call of the engine's own weighted mean
(:func:`~evaluator.engine.aggregate.weighted_mean_samples`) over (units × samples), and the
grades go through the engine's own floors and vetoes. Nothing is re-run per sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from evaluator.engine.aggregate import weighted_mean_samples
from evaluator.engine.grading import (
    final_grades,
    floor_breaches,
    floor_codes,
    graded_scores,
    round_half_up,
)
from evaluator.engine.result import Result
from evaluator.errors import InvalidInput, Problem
from evaluator.systems import IndicatorSystem
from evaluator.systems.schema import Group

# (grade codes, graded scores) of a group → outcome
Outcome = Callable[[Sequence[str], np.ndarray], str]


MIN_SPREAD = 1e-6
MIN_CONCENTRATION = 1e-3
MAX_CONCENTRATION = 1e6


@dataclass(frozen=True)
class Settings:
    """What varies and how much. ``levels``: the tree depths whose weights are perturbed
    (1 = the families, 2 = the indicators under them); ``method``: each weight times a
    factor uniform in [1 − spread, 1 + spread], or sibling weights drawn from a Dirichlet
    around the nominal shares (``concentration``: larger = closer); ``vary_aggregation``:
    each group also arithmetic or geometric with probability ½; ``vary_missing``: missing
    inputs also scored by the other missing-input rule (zero ↔ skip) with probability ½."""

    samples: int = 1000
    seed: int = 2026
    spread: float = 0.25
    levels: tuple[int, ...] = (1, 2)
    method: str = "uniform"
    concentration: float = 50.0
    vary_aggregation: bool = False
    fragile: float = 0.10
    vary_missing: bool = False

    def __post_init__(self) -> None:
        # a spread below MIN_SPREAD leaves 1 ± spread equal to 1 in floating point (no weight
        # would move, and Sobol's bounds would be empty); concentrations beyond the bounds
        # make the Dirichlet draws degenerate
        if (
            self.samples < 2
            or not MIN_SPREAD <= self.spread < 1
            or self.method not in ("uniform", "dirichlet")
            or not MIN_CONCENTRATION <= self.concentration <= MAX_CONCENTRATION
        ):
            raise ValueError(
                f"samples ≥ 2, {MIN_SPREAD} ≤ spread < 1, method uniform or dirichlet, "
                f"{MIN_CONCENTRATION} ≤ concentration ≤ {MAX_CONCENTRATION:g}"
            )

    @classmethod
    def from_options(
        cls,
        *,
        samples: int = 1000,
        seed: int = 2026,
        spread: float = 0.25,
        levels: str | Sequence[int] = (1, 2),
        method: str = "uniform",
        concentration: float = 50.0,
        vary_aggregation: bool = False,
        fragile: float = 0.10,
        vary_missing: bool = False,
    ) -> Settings:
        """Settings from an adapter's options, by name only. ``levels`` may be the text a
        user typed (``"1,2"``; blanks between commas ignored). Raises ValueError (its
        message fit for the user) on a value of the wrong type or out of range."""
        if isinstance(levels, str):
            try:
                depths = tuple(int(x) for x in levels.split(",") if x.strip())
            except ValueError:
                raise ValueError(
                    f"levels are tree depths separated by commas, like 1,2 (got {levels!r})"
                ) from None
        else:
            depths = tuple(levels)
        whole = {"samples": samples, "seed": seed, **{f"level {d!r}": d for d in depths}}
        for name, value in whole.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
        for name, number in (
            ("spread", spread),
            ("concentration", concentration),
            ("fragile", fragile),
        ):
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"{name} must be a number, got {number!r}")
        for name, flag in (("vary_aggregation", vary_aggregation), ("vary_missing", vary_missing)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be true or false, got {flag!r}")
        return cls(
            samples=samples,
            seed=seed,
            spread=float(spread),
            levels=depths,
            method=method,
            concentration=float(concentration),
            vary_aggregation=vary_aggregation,
            fragile=float(fragile),
            vary_missing=vary_missing,
        )


def perturbed(system: IndicatorSystem, levels: Sequence[int]) -> list[str]:
    """The nodes whose weight varies: at the chosen depths, with at least one sibling."""
    out = []
    for node in system.nodes.values():
        if node.is_bonus or node.depth not in levels:
            continue
        siblings = [
            c
            for c in (
                system.nodes[node.parent].children
                if node.parent
                else [f.code for f in system.families]
            )
            if not system.nodes[c].is_bonus
        ]
        if len(siblings) > 1:
            out.append(node.code)
    return out


def check_levels(system: IndicatorSystem, levels: Sequence[int]) -> None:
    """Some weight varies at ``levels`` (422 at ``levels`` otherwise, naming the depths that
    would: a depth whose nodes have siblings)."""
    if perturbed(system, levels):
        return
    usable = sorted({system.nodes[c].depth for c in perturbed(system, range(1, 100))})
    shown = ",".join(map(str, levels))
    raise InvalidInput(
        Problem(
            f"no weight varies at levels {shown}: this system's weights vary at depths "
            f"{', '.join(map(str, usable)) or 'none'}",
            f"层级 {shown} 没有可变动的权重：本体系可变动权重的层级为 "
            f"{'、'.join(map(str, usable)) or '无'}",
            path="levels",
        )
    )


def sample_weights(system: IndicatorSystem, settings: Settings) -> tuple[list[str], np.ndarray]:
    """(codes, multipliers M × D) of the perturbed nodes' nominal weights, reproducible."""
    codes = perturbed(system, settings.levels)
    rng = np.random.default_rng(settings.seed)
    m = settings.samples
    if settings.method == "uniform":
        return codes, rng.uniform(1 - settings.spread, 1 + settings.spread, (m, len(codes)))
    theta = np.ones((m, len(codes)))
    position = {c: j for j, c in enumerate(codes)}
    parents: dict[str | None, list[str]] = {}
    for c in codes:
        parents.setdefault(system.nodes[c].parent, []).append(c)
    for kids in parents.values():
        nominal = np.array([system.nodes[c].points for c in kids], dtype=float)
        share = nominal / nominal.sum()
        drawn = rng.dirichlet(settings.concentration * share * len(kids), m)
        for i, c in enumerate(kids):
            theta[:, position[c]] = drawn[:, i] / share[i]
    return codes, theta


@dataclass(frozen=True)
class Evaluated:
    total: np.ndarray  # N × M
    grade: np.ndarray  # N × M grade index (0 = best)
    graded: np.ndarray  # N × M, the score the grades read (the total itself under grade_on: total)


class Cohort:
    """A scored cohort ready to be re-aggregated under many weightings."""

    def __init__(self, system: IndicatorSystem, result: Result):
        self.system = system
        self.result = result
        self.leaf_shares = {
            leaf.code: result.node_shares[leaf.code].to_numpy(dtype=float) for leaf in system.leaves
        }
        self.bonus = result.bonus_total.to_numpy(dtype=float)
        self.vetoed = result.vetoed.to_numpy(dtype=bool)
        # leaves with missing inputs under a zero or skip rule: what the other rule would give
        self.missing = {}
        for leaf in system.leaves:
            rule = system.missing_rule(leaf)
            absent = result.missing[leaf.code].to_numpy(dtype=bool)
            if rule in ("zero", "skip") and absent.any():
                self.missing[leaf.code] = (absent, np.nan if rule == "zero" else 0.0)
        self.floor_nodes = sorted({c for f in system.spec.floors for c in floor_codes(system, f)})

    @property
    def units(self) -> pd.Index:
        return self.result.units

    def evaluate(
        self,
        codes: Sequence[str],
        theta: np.ndarray,
        geometric: Mapping[str, np.ndarray] | None = None,
        *,
        other_missing_rule: np.ndarray | None = None,
        block: int = 1024,
    ) -> Evaluated:
        """Totals and grades of every unit under every weighting: ``theta`` (M × D) multiplies
        the nominal weights of ``codes``; ``geometric`` (group → bool per sample) switches a
        group's aggregation per sample; ``other_missing_rule`` (bool per sample) scores missing
        inputs by the other rule (zero ↔ skip). Units are taken ``block`` at a time, so that
        the (units × samples) arrays stay in cache-sized pieces."""
        system = self.system
        m = theta.shape[0]
        factor = {c: theta[:, j] for j, c in enumerate(codes)}
        ones = np.ones(m)
        weights = {
            node.code: node.points * factor.get(node.code, ones)
            for node in system.nodes.values()
            if not node.is_bonus
        }
        n = len(self.units)
        total = np.empty((n, m))
        grade = np.empty((n, m), dtype=np.int64)
        graded = np.empty((n, m)) if system.spec.grade_on == "base" else total
        for start in range(0, n, block):
            rows = slice(start, min(start + block, n))
            total[rows], graded[rows], grade[rows] = self._block(
                rows, weights, m, geometric, other_missing_rule
            )
        return Evaluated(total, grade, graded)

    def _block(
        self,
        rows: slice,
        weights: dict[str, np.ndarray],
        m: int,
        geometric: Mapping[str, np.ndarray] | None,
        other_rule: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(total, graded score, grade index) of the units in ``rows``, units × samples."""
        system = self.system
        shares: dict[str, np.ndarray] = {c: s[rows] for c, s in self.leaf_shares.items()}
        if other_rule is not None and other_rule.any():
            for code, (absent, value) in self.missing.items():
                switch = absent[rows][:, None] & other_rule[None, :]
                if switch.any():
                    shares[code] = np.where(switch, value, shares[code][:, None])
        size = len(next(iter(shares.values()))) if shares else 0
        keep = set(self.floor_nodes) | {f.code for f in system.families}
        for group in reversed(system.groups):
            kids = [c for c in group.children if not system.nodes[c].is_bonus]
            children, w = [shares[k] for k in kids], np.vstack([weights[k] for k in kids])
            for k in kids:  # a group's share (units × samples) is dropped once its parent has it
                if k not in keep and not system.nodes[k].is_leaf:
                    del shares[k]
            spec = group.spec
            assert isinstance(spec, Group)  # a group's spec (the node is not a leaf)
            kind = spec.aggregation
            out = weighted_mean_samples(children, w, kind, n=size)
            switch = (geometric or {}).get(group.code)
            if switch is not None and switch.any():
                other = weighted_mean_samples(
                    children, w, "geometric" if kind == "arithmetic" else "arithmetic", n=size
                )
                out = np.where(switch[None, :] != (kind == "geometric"), other, out)
            shares[group.code] = out
        families = [f.code for f in system.families]
        base_share = weighted_mean_samples(
            [shares[f] for f in families], np.vstack([weights[f] for f in families]), n=size
        )
        base = np.where(np.isnan(base_share), 0.0, base_share) * system.total_points
        decimals = system.spec.decimals
        base_r = round_half_up(base, decimals)
        total = round_half_up(base_r + round_half_up(self.bonus[rows], decimals)[:, None], decimals)
        graded = graded_scores(system, base_r, total)
        flat = {
            c: np.broadcast_to(
                shares[c] if shares[c].ndim == 2 else shares[c][:, None], total.shape
            ).ravel()
            for c in self.floor_nodes
        }
        breaches = floor_breaches(system, flat)
        _, grade = final_grades(system, graded.ravel(), breaches, np.repeat(self.vetoed[rows], m))
        return total, graded, grade.reshape(total.shape)


def ranks(total: np.ndarray, decimals: int | None = None, method: str = "min") -> np.ndarray:
    """Rank by total, descending, ties the minimum rank (as :attr:`Result.rank`) or, with
    ``method="average"``, the mean of the ranks they span (for Spearman's ρ), per column."""
    low, average = rank_pair(total, decimals)
    return average if method == "average" else low


def rank_pair(total: np.ndarray, decimals: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(minimum ranks, average ranks) per column, descending.

    Totals on a grid of ``decimals`` (the engine rounds them) are ranked by counting: one
    histogram of all columns at once, whose reversed cumulative sums give the number of
    units scoring strictly more; otherwise by sorting each column."""
    n, m = total.shape
    if decimals is not None and n and m:
        cents = np.rint(total * 10.0**decimals).astype(np.int64)
        low = int(cents.min())
        width = int(cents.max()) - low + 1
        if width * m <= 50_000_000:
            flat = ((cents - low) + np.arange(m, dtype=np.int64)[None, :] * width).ravel()
            counts = np.bincount(flat, minlength=width * m).reshape(m, width)
            above = (counts[:, ::-1].cumsum(axis=1)[:, ::-1] - counts).ravel()  # strictly greater
            greater = above.take(flat).reshape(n, m)
            tied = counts.ravel().take(flat).reshape(n, m)
            return greater + 1, greater + (tied + 1) / 2
    return rankdata(-total, method="min", axis=0).astype(int), rankdata(
        -total, method="average", axis=0
    )
