"""What an evaluator's scoring form shows for one station of a round: every leaf in the
system's order, grouped by family, with its question (description), its control (levels,
checklist items, a number and its range), the evaluator's own values with their versions
(to overwrite without losing another's write), and progress per family. Only the round's
assigned raters get a form; an evaluator sees their own values, not other raters'. A leaf
measured from a register shows the register's value with its figures; every leaf shows the
evidence cited on it with its review status."""

from __future__ import annotations

from typing import Any

from evaluator.errors import PermissionDenied, Problem
from evaluator.evidence.metrics import RESULTS_KIND
from evaluator.services import citations, registers
from evaluator.services.actors import WRITABLE, Actor, assignment_of, get_round
from evaluator.services.cohorts import round_cohort, unit_named
from evaluator.services.round_inputs import system_of_round
from evaluator.services.station_results import results_metrics
from evaluator.services.townships import rater_units
from evaluator.store.base import Role
from evaluator.store.contracts import Station
from evaluator.store.rounds import Round, Score
from evaluator.systems import IndicatorSystem, Node
from evaluator.systems.bounds import value_bounds
from evaluator.systems.schema import ChecklistLeaf, CountLeaf, LikertLeaf, RatioLeaf


async def _as_rater(actor: Actor, round_id) -> tuple[Round, Role, IndicatorSystem, list[str], str]:
    """(round, the actor's role in it, its system, its units, the rater role they score
    for) for one of its raters."""
    round_ = await get_round(actor, round_id)
    mine = await assignment_of(actor, round_)
    role = mine.role if mine else None
    if role is None:
        raise PermissionDenied(
            Problem("only evaluators assigned to this round score it", "仅本轮次分派的评估员可评分")
        )
    system = await system_of_round(round_)
    cohort = await round_cohort(round_, system)
    assert mine is not None
    # a township official scores the stations of their township only
    return round_, role, system, await rater_units(mine, list(cohort.units)), mine.rater_role


async def scoring_progress(actor: Actor, round_id) -> list[dict[str, Any]]:
    """Per station of the round: how many of its scored leaves the rater has answered (one
    read of the rater's scores for the whole round)."""
    round_, _, system, units, rater_role = await _as_rater(actor, round_id)
    leaves = [leaf for leaf in system.leaves if leaf.rater_role == rater_role]
    mine: dict[str, dict] = {}
    for s in await Score.filter(round_id=round_.id, rater_id=actor.user_id):
        mine.setdefault(s.unit, {})[(s.leaf, s.item)] = s
    return [
        {
            "code": unit,
            "done": sum(1 for leaf in leaves if _complete(leaf, mine.get(unit, {}))),
            "total": len(leaves),
        }
        for unit in units
    ]


async def scoring_form(actor: Actor, round_id, unit_text: str) -> dict[str, Any]:
    round_, role, system, units, rater_role = await _as_rater(actor, round_id)
    unit = unit_named(units, unit_text)
    if unit is None:
        raise PermissionDenied(
            Problem(f"{unit_text} is not scored in this round", f"本轮次不评 {unit_text}")
        )
    mine = {
        (s.leaf, s.item): s
        for s in await Score.filter(round_id=round_.id, unit=unit, rater_id=actor.user_id)
    }
    # a township official sees their own values only: no register figure, no evidence file
    township = role == Role.TOWNSHIP_OFFICIAL
    metric_rows = [] if township else (await registers.metric_values(actor, round_.id, unit))[1]
    measured = {row["leaf"]: _figures(row) for row in metric_rows if row["leaf"]}
    # an agency round: the leaves its stations' approved results fill (services/station_results.py)
    results = (
        await results_metrics(round_, system, await round_cohort(round_, system))
        if system.unit == "agency"
        else None
    )
    for leaf, entry in (results or {}).get("leaves", {}).items():
        if unit in entry["stations"]:
            measured[leaf] = _figures({"kind": RESULTS_KIND, **entry["stations"][unit]})
    cited = {} if township else await citations.leaf_evidence(round_, unit)

    def leaf_of(node: Node) -> dict[str, Any]:
        return _leaf(system, node, mine) | {
            "register": measured.get(node.code),
            "cited": cited.get(node.code, {"status": "none", "citations": []}),
        }

    families = []
    for family in system.families:
        leaves = [leaf_of(n) for n in _leaves_under(system, family) if n.rater_role == rater_role]
        if not leaves:
            continue  # a family (pool) scored by another rater role
        done = sum(1 for leaf in leaves if leaf["complete"])
        families.append(
            {
                "code": family.code,
                "zh": family.name.zh,
                "en": family.name.en,
                "points": family.points,
                "leaves": leaves,
                "done": done,
                "total": len(leaves),
            }
        )
    bonus = [leaf_of(n) for n in system.bonus_leaves if n.rater_role == rater_role]
    station = await Station.get_or_none(code=unit)
    return {
        "round": {
            "id": str(round_.id),
            "kind": round_.kind.value,
            "state": round_.state.value,
            "as_of": round_.as_of.isoformat(),
            "writable": round_.state in WRITABLE,
        },
        "unit": unit,
        "station_id": str(station.id) if station else None,
        "role": role.value,
        "rater_role": rater_role,
        "system": {"id": system.id, "version": system.version, "name_zh": system.name.zh},
        "families": families,
        "bonus": bonus,
        "done": sum(f["done"] for f in families),
        "total": sum(f["total"] for f in families),
    }


def _leaves_under(system: IndicatorSystem, family: Node) -> list[Node]:
    out: list[Node] = []

    def walk(node: Node) -> None:
        for code in node.children:
            child = system.nodes[code]
            if child.is_bonus:
                continue
            if child.is_leaf:
                out.append(child)
            else:
                walk(child)

    walk(family)
    return out


def _figures(row: dict) -> dict[str, Any]:
    """A register's value for a leaf, with the figures behind it (numbers and short texts)."""
    detail = {
        k: v
        for k, v in (row.get("detail") or {}).items()
        if isinstance(v, int | float | str) and not isinstance(v, bool) and len(str(v)) <= 60
    }
    return {
        "kind": row["kind"],
        "value": row["value"],
        "n": row.get("n"),
        "flags": list(row.get("flags") or []),
        "detail": detail,
    }


def _slot(score: Score | None) -> dict[str, Any]:
    if score is None:
        return {"value": None, "version": None, "comment": "", "target": None, "n": None}
    return {
        "value": score.value,
        "version": score.version,
        "comment": score.comment,
        "target": score.target,
        "n": score.n,
    }


def _leaf(system: IndicatorSystem, node: Node, mine: dict) -> dict[str, Any]:
    spec = node.spec
    description = getattr(spec, "description", None)
    leaf: dict[str, Any] = {
        "code": node.code,
        "zh": node.name.zh,
        "en": node.name.en,
        "method": node.method,
        "points": node.points if not node.is_bonus else None,
        "description_zh": description.zh if description else "",
        "description_en": description.en if description else "",
        "evidence": list(getattr(spec, "evidence", []) or []),
        "measured": getattr(spec, "measure", None) is not None,
        "checklist": [],
        "levels": [],
        "min": None,
        "max": None,
        "wants_target": False,
        "wants_n": False,
    }
    if isinstance(spec, ChecklistLeaf):
        items = [
            {"code": it.code, "text": it.text, "points": it.points}
            | _slot(mine.get((node.code, it.code)))
            for it in spec.items
        ]
        leaf["checklist"] = items
        leaf["complete"] = _complete(node, mine)
        return leaf
    slot = _slot(mine.get((node.code, "")))
    leaf |= slot
    if node.method == "rubric":
        leaf["levels"] = [
            {"level": lv.level, "zh": lv.zh, "en": lv.en} for lv in system.rubric_levels(node)
        ]
    else:
        bounds = value_bounds(system, node)
        leaf["min"] = bounds.low
        leaf["max"] = None if bounds.high == float("inf") else bounds.high
        leaf["wants_target"] = (
            isinstance(spec, RatioLeaf | CountLeaf)
            and (getattr(spec, "target", None) is None)
            and (not isinstance(spec, CountLeaf) or spec.per_target)
        )
        leaf["wants_n"] = isinstance(spec, LikertLeaf)
    leaf["complete"] = _complete(node, mine)
    return leaf


def _complete(node: Node, mine: dict) -> bool:
    """Whether the rater has answered a leaf: every item of a checklist, else its value."""
    if isinstance(node.spec, ChecklistLeaf):
        return all(
            (s := mine.get((node.code, it.code))) is not None and s.value is not None
            for it in node.spec.items
        )
    score = mine.get((node.code, ""))
    return score is not None and score.value is not None
