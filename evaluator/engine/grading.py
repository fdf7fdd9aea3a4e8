"""Totals to grades: bands, floor caps and vetoes, vectorised over units."""

from __future__ import annotations

import numpy as np

from evaluator.engine.methods import EDGE
from evaluator.systems import IndicatorSystem


def round_half_up(x: np.ndarray, decimals: int) -> np.ndarray:
    """Round half away from zero for non-negative scores (89.995 → 90.00 at 2 decimals).
    A tiny epsilon absorbs binary noise such as 89.99499999999 meant as 89.995."""
    factor = 10.0**decimals
    return np.floor(np.asarray(x, dtype=float) * factor + 0.5 + 1e-9) / factor


def band_index(system: IndicatorSystem, total: np.ndarray) -> np.ndarray:
    """Index into ``system.spec.grades`` of each total's band (0 = highest grade)."""
    mins = np.array([g.min for g in system.spec.grades])
    return np.asarray((total[:, None] < mins[None, :]).sum(axis=1).clip(max=len(mins) - 1))


def grade_index(system: IndicatorSystem, name: str) -> int:
    return [g.code for g in system.spec.grades].index(name)


def floor_breaches(system: IndicatorSystem, shares: dict[str, np.ndarray]) -> dict[int, np.ndarray]:
    """For each floor rule (by position), the units with a node strictly below its share.
    Skipped nodes (NaN share) never breach."""
    breaches: dict[int, np.ndarray] = {}
    for i, floor in enumerate(system.spec.floors):
        if floor.nodes is not None:
            codes = floor.nodes
        else:
            codes = [
                n.code for n in system.nodes.values() if n.depth == floor.level and not n.is_bonus
            ]
        n_units = len(next(iter(shares.values()))) if shares else 0
        hit = np.zeros(n_units, dtype=bool)
        for code in codes:
            with np.errstate(invalid="ignore"):
                hit |= shares[code] < floor.below - EDGE
        breaches[i] = hit
    return breaches


def final_grades(
    system: IndicatorSystem,
    total: np.ndarray,
    breaches: dict[int, np.ndarray],
    vetoed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(band index before caps, final index after floors and vetoes)."""
    banded = band_index(system, total)
    final = banded.copy()
    for i, hit in breaches.items():
        cap = grade_index(system, system.spec.floors[i].cap)
        final = np.where(hit, np.maximum(final, cap), final)
    lowest = len(system.spec.grades) - 1
    final = np.where(vetoed, lowest, final)
    return banded, final
