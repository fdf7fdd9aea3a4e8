"""Scorecard documents built from a computed round: a station's card (totals, grade,
families, every leaf explained with its source and evidence), the contract's aggregate,
and a unit's robustness to the weights. Pure: no database, no permission check.

Cards are built for many units at once (the round's arrays read once, its explanation
written once); a single card is the one-unit call of the same function, so one card and a
whole round's cards can never disagree."""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import pandas as pd

from evaluator.engine import Result
from evaluator.services.computed import Computed
from evaluator.store.rounds import Round
from evaluator.systems import IndicatorSystem

ROBUST_KEYS = (
    "grade_flip",
    "fragile",
    "grades_seen",
    "total_p5",
    "total_p95",
    "rank_p5",
    "rank_p95",
    "drivers",
)


def unit_cards(
    done: Computed, units: Iterable[str], evidence: dict[str, dict[str, dict]]
) -> dict[str, dict]:
    """Unit → its card, for the named units of the computed round (in the round's order).
    ``evidence``: unit → leaf code → {status, citations} (``citations.round_evidence``)."""
    system, result = done.system, done.result
    wanted = set(units)
    mask = result.units.isin(list(wanted))
    order = [str(u) for u in result.units[mask]]
    if not order:
        return {}
    grades = {g.code: {"code": g.code, "zh": g.zh, "en": g.en} for g in system.spec.grades}
    positions = np.flatnonzero(mask)
    grade = result.grade.to_numpy()[positions]
    uncapped = result.grade_uncapped.to_numpy()[positions]
    capped = result.band[positions] != result.grade_idx[positions]
    base = result.base.to_numpy()[positions]
    bonus = result.bonus_total.to_numpy()[positions]
    total = result.total.to_numpy()[positions]
    graded = result.graded.to_numpy()[positions]
    veto_codes = list(result.vetoes.columns)
    vetoes = result.vetoes.to_numpy(dtype=bool)[positions] if veto_codes else None
    families = system.families
    family_points = result.node_points[[f.code for f in families]].to_numpy()[positions]
    labels = result.flag_labels
    explained = result.explanation(order).drop(columns=["unit"])
    records = json.loads(explained.to_json(orient="records", force_ascii=False))
    per_unit = len(records) // len(order)  # every unit has one row per leaf, in order
    system_doc = {"id": system.id, "version": system.version, "hash": system.content_hash}
    cards = {}
    for i, unit in enumerate(order):
        leaves = records[i * per_unit : (i + 1) * per_unit]
        found = evidence.get(unit, {})
        for leaf in leaves:
            code = leaf.get("leaf")
            note = done.notes.get((unit, code))
            leaf["source"] = note.get("source", "register") if note else "raters"
            leaf["measured"] = note
            leaf["evidence"] = found.get(code) or {"status": "none", "citations": []}
        cards[unit] = {
            "system": dict(system_doc),
            "base": float(base[i]),
            "bonus": float(bonus[i]),
            "total": float(total[i]),
            "grade_on": system.spec.grade_on,
            "graded": float(graded[i]),
            "grade": grades[grade[i]],
            "grade_uncapped": grades[uncapped[i]],
            "capped": bool(capped[i]),
            "vetoes": [c for c, hit in zip(veto_codes, vetoes[i], strict=True) if hit]
            if vetoes is not None
            else [],
            "flags": list(labels.get(unit, [])),
            "families": [
                {
                    "code": f.code,
                    "zh": f.name.zh,
                    "en": f.name.en,
                    "points": number(family_points[i, j]),
                    "max": f.points,
                }
                for j, f in enumerate(families)
            ],
            "leaves": leaves,
        }
    return cards


def unit_card(done: Computed, unit: str, evidence: dict[str, dict]) -> dict:
    """One unit's card (``evidence``: leaf code → {status, citations})."""
    return unit_cards(done, [unit], {unit: evidence})[unit]


def robust_index(doc: dict) -> dict[str, dict]:
    """Unit → its robustness to the weights, from the round's robustness document: how
    often its grade changes, its 90% total band, whether it is fragile and the weights that
    drive it, with the sampling's size and spread."""
    sampling = {"samples": doc["settings"]["samples"], "spread": doc["settings"]["spread"]}
    return {u["unit"]: {k: u[k] for k in ROBUST_KEYS} | sampling for u in doc["units"]}


def robust_unit(doc: dict, unit: str) -> dict:
    """One unit's entry of :func:`robust_index`."""
    return robust_index(doc)[unit]


def aggregate(system: IndicatorSystem, result: Result) -> dict:
    """The contract's stations side by side (total, grade, vetoed) and their aggregate."""
    totals = result.total
    grade = result.grade
    vetoed = result.vetoed
    grades = grade.value_counts().to_dict()
    return {
        "stations": [
            {
                "code": u,
                "total": float(totals[u]),
                "grade": grade[u],
                "vetoed": bool(vetoed[u]),
            }
            for u in result.units
        ],
        "aggregate": {
            "stations": len(result.units),
            "mean_total": round(float(totals.mean()), 2) if len(totals) else None,
            "min_total": float(totals.min()) if len(totals) else None,
            "grades": {g.code: int(grades.get(g.code, 0)) for g in system.spec.grades},
            "vetoed": int(vetoed.sum()),
        },
    }


def round_info(round_: Round) -> dict:
    return {
        "id": str(round_.id),
        "kind": round_.kind.value,
        "state": round_.state.value,
        "as_of": round_.as_of.isoformat(),
    }


def number(x) -> float | None:
    """A score as JSON: None for NaN, else rounded to 6 decimals."""
    return None if pd.isna(x) else round(float(x), 6)
