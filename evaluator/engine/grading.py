"""Totals to grades: bands, floor caps and vetoes, vectorised over units."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from evaluator.engine.methods import EDGE
from evaluator.systems import IndicatorSystem
from evaluator.systems.schema import Floor


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


def graded_scores(system: IndicatorSystem, base: np.ndarray, total: np.ndarray) -> np.ndarray:
    """The score the grade bands read: the base alone under ``grade_on: base`` (加分不计入
    等级, bonus kept outside the grade), else the total (base + capped bonus)."""
    return base if system.spec.grade_on == "base" else total


def floor_codes(system: IndicatorSystem, floor: Floor) -> list[str]:
    """The nodes a floor rule watches: those it lists, or every scored node at its level."""
    if floor.nodes is not None:
        return list(floor.nodes)
    return [n.code for n in system.nodes.values() if n.depth == floor.level and not n.is_bonus]


def floor_hits(
    system: IndicatorSystem, shares: Mapping[str, np.ndarray]
) -> dict[int, dict[str, np.ndarray]]:
    """For each floor rule (by position) and each node it watches, the units whose share of
    that node is strictly below the rule's ``below``. Skipped nodes (NaN share) never breach."""
    hits: dict[int, dict[str, np.ndarray]] = {}
    for i, floor in enumerate(system.spec.floors):
        hits[i] = {}
        for code in floor_codes(system, floor):
            with np.errstate(invalid="ignore"):
                hits[i][code] = np.asarray(shares[code] < floor.below - EDGE)
    return hits


def floor_breaches(
    system: IndicatorSystem, shares: Mapping[str, np.ndarray]
) -> dict[int, np.ndarray]:
    """For each floor rule (by position), the units with any watched node below its share."""
    n_units = len(next(iter(shares.values()))) if shares else 0
    return breached(floor_hits(system, shares), n_units)


def breached(hits: dict[int, dict[str, np.ndarray]], n_units: int) -> dict[int, np.ndarray]:
    """Per floor rule, the units any of its nodes breaches (from :func:`floor_hits`)."""
    return {i: _any(by_node.values(), n_units) for i, by_node in hits.items()}


def tripped_nodes(hits: dict[int, dict[str, np.ndarray]], n_units: int) -> dict[str, np.ndarray]:
    """Per watched node, the units where it breaches some floor rule: what a ``floor:A``
    flag names."""
    codes = dict.fromkeys(code for by_node in hits.values() for code in by_node)
    return {
        code: _any((by_node[code] for by_node in hits.values() if code in by_node), n_units)
        for code in codes
    }


def _any(masks: Iterable[np.ndarray], n_units: int) -> np.ndarray:
    out = np.zeros(n_units, dtype=bool)
    for mask in masks:
        out |= mask
    return out


def final_grades(
    system: IndicatorSystem,
    graded: np.ndarray,
    breaches: dict[int, np.ndarray],
    vetoed: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(band index of the graded score before caps, final index after floors and vetoes);
    ``graded`` is what :func:`graded_scores` gives."""
    banded = band_index(system, graded)
    final = banded.copy()
    for i, hit in breaches.items():
        cap = grade_index(system, system.spec.floors[i].cap)
        final = np.where(hit, np.maximum(final, cap), final)
    lowest = len(system.spec.grades) - 1
    final = np.where(vetoed, lowest, final)
    return banded, final
