"""From stored scores to engine results: round inputs, station and agency scorecards,
and the digests that make an approval snapshot reproducible."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from evaluator.analysis.report import sensitivity_report
from evaluator.analysis.sensitivity import Settings
from evaluator.canonical import digest
from evaluator.engine import Result, score
from evaluator.engine.reconcile import reconciliation_by_leaf
from evaluator.errors import NotFound, Problem
from evaluator.evidence.measure import measured_inputs
from evaluator.services import approved_cards, round_cache, station_links
from evaluator.services.actors import (
    Actor,
    get_round,
    get_station,
    may_see_results,
    not_found,
    require_results,
    round_scope,
)
from evaluator.services.approved_cards import CardText
from evaluator.services.citations import leaf_evidence
from evaluator.services.contracts import Cohort, round_cohort
from evaluator.services.interests import excluded_raters
from evaluator.services.registers import register_history
from evaluator.services.round_cache import inputs_key
from evaluator.services.sensitivity import decision_inputs, robustness
from evaluator.services.systems import system_of
from evaluator.store.base import RoundState
from evaluator.store.contracts import Contract, ContractStation, Station
from evaluator.store.orgs import Organisation
from evaluator.store.registers import MeasuredOverride, RegisterImport
from evaluator.store.rounds import Adjudication, LeafWaiver, Round, Score, SystemVersion
from evaluator.systems import IndicatorSystem

Render = Callable[[dict], str]  # a card dict → its JSON text (the API validates it first)
INPUT_COLUMNS = ["unit", "leaf", "item", "value", "target", "n", "rater"]


async def round_raw(round_: Round, conn=None) -> pd.DataFrame:
    """Every rater's stored input for the round, as the engine's long table (+ rater)."""
    rows = (
        await Score.filter(round_id=round_.id, value__isnull=False)
        .using_db(conn)
        .values_list("unit", "leaf", "item", "value", "target", "n", "rater_id")
    )
    frame = pd.DataFrame(rows, columns=INPUT_COLUMNS)
    frame["item"] = frame["item"].replace("", None)
    frame["rater"] = frame["rater"].astype(str)
    tied = await excluded_raters(round_, conn)  # a tie declared late: their values leave
    if tied:
        frame = frame[~frame["rater"].isin(tied)]
    return frame.sort_values(
        ["unit", "leaf", "item", "rater"], na_position="first", kind="stable"
    ).reset_index(drop=True)


async def active_metrics(round_: Round, conn=None) -> dict[str, dict]:
    """Register kind → the metrics document of the round's version in force."""
    return dict(
        await RegisterImport.filter(round_id=round_.id, active=True)
        .using_db(conn)
        .values_list("kind", "metrics")
    )


async def round_measured(
    round_: Round, system: IndicatorSystem, cohort: Cohort, conn=None
) -> tuple[pd.DataFrame, dict]:
    """Inputs of the leaves computed from the round's registers, and their explanations."""
    metrics = await active_metrics(round_, conn)
    if not metrics:
        return pd.DataFrame(columns=["unit", "leaf", "item", "value", "target", "n"]), {}
    return measured_inputs(system, metrics, cohort.targets, cohort.contract.staffing_min)


async def raters_and_registers(
    round_: Round, system: IndicatorSystem, conn=None, cohort: Cohort | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The raters' rows the results read — the round's units, leaves not computed from a
    register, adjudications not applied — and the measured inputs with their explanations."""
    raw = await round_raw(round_, conn)
    if cohort is None:
        cohort = await round_cohort(round_, system, conn)
    raw = raw[raw["unit"].isin(cohort.units)]
    measured, notes = await round_measured(round_, system, cohort, conn)
    computed = {leaf for _, leaf in notes}
    return raw[~raw["leaf"].isin(computed)], measured, notes


async def round_inputs(
    round_: Round, system: IndicatorSystem, conn=None, cohort: Cohort | None = None
) -> tuple[pd.DataFrame, dict]:
    """Reconciled inputs (one row per unit, leaf, item) for the round's units, with the
    round's elapsed share for pro-rated targets, and the explanations of measured leaves.
    ``cohort``: the round's units as the caller read them (else read here).

    A leaf measured from a register kind the round has imported takes its value from the
    register; raters' values for it are set aside. Other leaves come from raters."""
    raw, measured, notes = await raters_and_registers(round_, system, conn, cohort)
    measured = await _with_overrides(round_, measured, notes, conn)
    raw = await with_adjudications(round_, raw, conn)
    inputs = (
        reconciliation_by_leaf(system, raw, report=False).table
        if len(raw)
        else raw.drop(columns="rater")
    )
    if len(measured):
        inputs = (
            pd.concat(
                [
                    inputs.astype({"value": float}),
                    measured.astype({"value": float, "target": float, "n": float}),
                ],
                ignore_index=True,
            )
            if len(inputs)
            else measured
        )
    inputs = inputs.copy()
    inputs["elapsed"] = round_.elapsed
    inputs = inputs.sort_values(
        ["unit", "leaf", "item"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    return inputs, notes


async def with_adjudications(round_: Round, raw: pd.DataFrame, conn=None) -> pd.DataFrame:
    """The raters' rows with each slot the lead adjudicated replaced by one row holding the
    lead's value (its target and sample size kept from the raters' first row)."""
    decided = (
        await Adjudication.filter(round_id=round_.id)
        .using_db(conn)
        .values_list("unit", "leaf", "item", "value")
    )
    if not decided or raw.empty:
        return raw
    slot = raw["unit"] + "\x1f" + raw["leaf"] + "\x1f" + raw["item"].fillna("")
    values = {f"{u}\x1f{leaf}\x1f{item}": v for u, leaf, item, v in decided}
    hit = slot.isin(values.keys())
    if not hit.any():
        return raw
    first = raw[hit].assign(_slot=slot[hit]).drop_duplicates("_slot")
    first = first.assign(value=first["_slot"].map(values), rater="adjudicated")
    return (
        pd.concat([raw[~hit], first.drop(columns="_slot")], ignore_index=True)
        .sort_values(["unit", "leaf", "item", "rater"], na_position="first", kind="stable")
        .reset_index(drop=True)
    )


async def _with_overrides(
    round_: Round, measured: pd.DataFrame, notes: dict, conn=None
) -> pd.DataFrame:
    """An upheld appeal's value replaces the register's value of that leaf for that unit
    (target and sample kept); its note says so, with the register's figure and the reason."""
    overrides = (
        await MeasuredOverride.filter(round_id=round_.id)
        .using_db(conn)
        .values("unit", "leaf", "value", "reason", "appeal_id")
    )
    rows = []
    for o in overrides:
        key = (o["unit"], o["leaf"])
        note = notes.get(key)
        if note is None:  # no longer measured from a register: nothing to override
            continue
        notes[key] = note | {
            "source": "appeal",
            "override": {
                "value": o["value"],
                "register_value": note["value"],
                "reason": o["reason"],
                "appeal": str(o["appeal_id"]) if o["appeal_id"] else None,
            },
        }
        rows.append(
            {"unit": o["unit"], "leaf": o["leaf"], "value": o["value"], "target": note["target"]}
        )
    if not rows:
        return measured
    keys = {(r["unit"], r["leaf"]) for r in rows}
    kept = (
        measured[
            [
                (u, leaf) not in keys
                for u, leaf in zip(measured["unit"], measured["leaf"], strict=True)
            ]
        ]
        if len(measured)
        else measured
    )
    added = pd.DataFrame(rows).reindex(columns=measured.columns)
    return pd.concat([kept, added], ignore_index=True) if len(kept) else added


def inputs_digest(
    inputs: pd.DataFrame,
    system: IndicatorSystem,
    units: list[str],
    waivers: list[tuple[str, str, str]] | None = None,
) -> str:
    """Digest of everything a round's results follow from (the lead's gap decisions
    included when there are any, so that digests of rounds without them never change)."""
    records = json.loads(inputs.to_json(orient="values", double_precision=15))
    body = {
        "system": system.content_hash,
        "units": sorted(units),
        "columns": list(inputs.columns),
        "rows": records,
    }
    if waivers:
        body["waivers"] = [list(w) for w in sorted(waivers)]
    return digest(body)


def results_document(result: Result) -> dict:
    """Per-unit results as plain JSON: totals, grade, node points (6 decimals), vetoes, flags."""
    flags = result.flags()
    doc = {}
    points = result.node_points.round(6)
    for unit in result.units:
        unit_flags = flags[flags["unit"] == unit]
        doc[str(unit)] = {
            "base": float(result.base[unit]),
            "bonus": float(result.bonus_total[unit]),
            "total": float(result.total[unit]),
            "grade": result.grade[unit],
            "grade_uncapped": result.grade_uncapped[unit],
            "rank": int(result.rank[unit]),
            "vetoes": [c for c in result.vetoes.columns if bool(result.vetoes.loc[unit, c])],
            "nodes": {c: (None if pd.isna(v) else float(v)) for c, v in points.loc[unit].items()},
            "flags": sorted(unit_flags["label"]),
        }
    return doc


@dataclass(frozen=True)
class Computed:
    system: IndicatorSystem
    inputs: pd.DataFrame
    result: Result
    units: list[str]
    notes: dict  # (unit, leaf) → explanation of a leaf computed from a register
    waivers: list[tuple[str, str, str]] = field(default_factory=list)  # (unit, leaf, decision)
    key: str = ""  # round_cache.inputs_key of what the result follows from ("" = not kept)


def cohort_frame(inputs: pd.DataFrame, units: list[str], system: IndicatorSystem) -> pd.DataFrame:
    """The inputs with a placeholder row (first leaf, no value) for every unit that has no
    row at all, so that an unscored station is scored — and seen — as such."""
    absent = [u for u in units if u not in set(inputs["unit"])] if len(inputs) else list(units)
    if not absent:
        return inputs
    filler = pd.DataFrame(
        {
            "unit": absent,
            "leaf": [system.leaves[0].code] * len(absent),
            "value": [None] * len(absent),
        }
    )
    return pd.concat([inputs, filler], ignore_index=True) if len(inputs) else filler


async def round_waivers(round_: Round, conn=None) -> list[tuple[str, str, str]]:
    """(unit, leaf, decision) of the lead's decisions on the round's gaps."""
    return sorted(
        await LeafWaiver.filter(round_id=round_.id)
        .using_db(conn)
        .values_list("unit", "leaf", "decision")
    )


async def system_of_round(round_: Round, conn=None) -> IndicatorSystem:
    """The indicator system a round is pinned to."""
    return await system_of(await SystemVersion.get(id=round_.system_id).using_db(conn))


async def compute_round(round_: Round, conn=None) -> Computed:
    """Score a round's stored inputs with its pinned system (no permission check): every
    unit of the round, the leaves the lead declared not applicable skipped."""
    system = await system_of_round(round_, conn)
    cohort = await round_cohort(round_, system, conn)  # the contract and its links, read once
    units = cohort.units
    inputs, notes = await round_inputs(round_, system, conn, cohort)
    waivers = await round_waivers(round_, conn)
    not_applicable = [(u, leaf) for u, leaf, d in waivers if d == "not_applicable"]
    key = await asyncio.to_thread(inputs_key, inputs, system.content_hash, units, waivers)

    async def scored() -> Result:  # CPU work off the event loop
        frame = cohort_frame(inputs, units, system)
        return await asyncio.to_thread(score, system, frame, not_applicable)

    result = await round_cache.results.get(key, scored)
    return Computed(system, inputs, result, units, notes, waivers, key)


async def station_scorecard(actor: Actor, round_id, station_id) -> dict:
    """A station's scorecard in a round: totals, grade, families, every leaf explained."""
    card, _ = await station_card(actor, round_id, station_id)
    return card


async def station_scorecard_text(
    actor: Actor, round_id, station_id, render: Render, form: str
) -> CardText:
    """:func:`station_scorecard` as JSON text written by ``render`` (one renderer per
    ``form``: the API's is ``api``), with its ETag; an approved round's as stored from its
    snapshot (services/approved_cards.py)."""
    round_ = await get_round(actor, round_id)
    station = await get_station(actor, station_id)
    await require_results(actor, round_)

    async def rendered() -> str:
        card, _ = await _station_card(round_, station)
        return await asyncio.to_thread(render, card)

    return await approved_cards.text(round_, f"{form}:station:{station.code}", rendered)


async def station_card(actor: Actor, round_id, station_id) -> tuple[dict, Computed]:
    """:func:`station_scorecard` and the computed round it comes from (for callers that
    need more of the round, such as the reports, without computing it twice)."""
    round_ = await get_round(actor, round_id)
    station = await get_station(actor, station_id)
    await require_results(actor, round_)
    return await _station_card(round_, station)


async def _station_card(round_: Round, station: Station) -> tuple[dict, Computed]:
    done = await compute_round(round_)
    if station.code not in done.units:
        raise not_found("station in this round", "本轮次中的社工站", station.id)
    card = await asyncio.to_thread(
        _card, done, station.code, await leaf_evidence(round_, station.code)
    )
    card["robustness"] = _robust_unit(await robustness(round_, done), station.code)
    contract = await Contract.get(id=round_.contract_id).prefetch_related("agency")
    return card | {
        "station": {"id": str(station.id), "code": station.code, "name": station.name},
        # the agency that ran the station on the round's date: the contract's
        "agency": {
            "id": str(contract.agency_id),
            "name": contract.agency.name,
            "contract_id": str(contract.id),
            "contract_code": contract.code,
        },
        "round": round_info(round_),
        "registers": await register_history(round_),  # every version, who, when, hashes
    }, done


async def station_scorecard_as_of(actor: Actor, station_id, on: dt.date) -> dict:
    """A station's standing on a date: the scorecard of its latest approved round evaluated
    on or before ``on`` that the actor may see (under whichever contract ran it then), and
    who runs the station on ``on``."""
    station = await get_station(actor, station_id)
    candidates = (
        await round_scope(actor)
        .filter(
            state=RoundState.APPROVED,
            as_of__lte=on,
            contract__station_links__station_id=station.id,
        )
        .order_by("-as_of", "-created_at")
    )
    for round_ in candidates:
        linked = await ContractStation.filter(
            station_links.active_on(round_.as_of),
            contract_id=round_.contract_id,
            station_id=station.id,
        ).exists()
        if linked and await may_see_results(actor, round_):
            card = await station_scorecard(actor, round_.id, station.id)
            responsible = (await station_links.responsible_on(actor, [station.id], on)).get(
                station.id
            )
            return card | {
                "as_of": on.isoformat(),
                "responsible": responsible and responsible.document(),
            }
    raise NotFound(
        Problem(
            f"station {station.code} has no approved scorecard on or before {on.isoformat()} "
            "that you may see",
            f"社工站 {station.code} 在 {on.isoformat()} 及以前没有您可查看的已审定评分卡",
        )
    )


async def agency_scorecard(actor: Actor, round_id) -> dict:
    """The round's contract agency: its stations aggregated (mean, min, grades), and the
    agency system's own result where the round scores the agency itself."""
    card, _ = await agency_card(actor, round_id)
    return card


async def agency_scorecard_text(actor: Actor, round_id, render: Render, form: str) -> CardText:
    """:func:`agency_scorecard` as JSON text with its ETag (as :func:`station_scorecard_text`)."""
    round_ = await get_round(actor, round_id)
    await require_results(actor, round_)

    async def rendered() -> str:
        card, _ = await _agency_card(round_)
        return await asyncio.to_thread(render, card)

    return await approved_cards.text(round_, f"{form}:agency", rendered)


async def agency_card(actor: Actor, round_id) -> tuple[dict, Computed]:
    """:func:`agency_scorecard` and the computed round it comes from."""
    round_ = await get_round(actor, round_id)
    await require_results(actor, round_)
    return await _agency_card(round_)


async def _agency_card(round_: Round) -> tuple[dict, Computed]:
    contract = await Contract.get(id=round_.contract_id)
    agency = await Organisation.get(id=contract.agency_id)
    done = await compute_round(round_)
    card = {"agency": {"id": str(agency.id), "name": agency.name}, "round": round_info(round_)}
    robust = await robustness(round_, done)
    if done.system.unit == "agency":
        card |= await asyncio.to_thread(
            _card, done, done.units[0], await leaf_evidence(round_, done.units[0])
        )
        card["robustness"] = _robust_unit(robust, done.units[0])
    else:
        card |= await asyncio.to_thread(_aggregate, done.system, done.result)
        for station in card["stations"]:
            station["robustness"] = _robust_unit(robust, station["code"])
    group = robust["groups"][0] if robust["groups"] else None
    card["recommendation_robustness"] = group and {
        k: group[k] for k in ("recommendation", "flip", "seen", "fragile")
    }
    card["registers"] = await register_history(round_)  # every version, who, when, hashes
    return card, done


def _robust_unit(doc: dict, unit: str) -> dict:
    """A unit's robustness to the weights: how often its grade changes, its 90% total band,
    whether it is fragile and the weights that drive it."""
    u = next(x for x in doc["units"] if x["unit"] == unit)
    keys = (
        "grade_flip",
        "fragile",
        "grades_seen",
        "total_p5",
        "total_p95",
        "rank_p5",
        "rank_p95",
        "drivers",
    )
    return {k: u[k] for k in keys} | {
        "samples": doc["settings"]["samples"],
        "spread": doc["settings"]["spread"],
    }


def _aggregate(system: IndicatorSystem, result: Result) -> dict:
    card: dict = {}
    totals = result.total
    grades = result.grade.value_counts().to_dict()
    card["stations"] = [
        {
            "code": u,
            "total": float(totals[u]),
            "grade": result.grade[u],
            "vetoed": bool(result.vetoed[u]),
        }
        for u in result.units
    ]
    card["aggregate"] = {
        "stations": len(result.units),
        "mean_total": round(float(totals.mean()), 2) if len(totals) else None,
        "min_total": float(totals.min()) if len(totals) else None,
        "grades": {g.code: int(grades.get(g.code, 0)) for g in system.spec.grades},
        "vetoed": int(result.vetoed.sum()),
    }
    return card


def round_info(round_: Round) -> dict:
    return {
        "id": str(round_.id),
        "kind": round_.kind.value,
        "state": round_.state.value,
        "as_of": round_.as_of.isoformat(),
    }


def _card(done: Computed, unit: str, evidence: dict[str, dict]) -> dict:
    system, result = done.system, done.result
    grades = {g.code: {"code": g.code, "zh": g.zh, "en": g.en} for g in system.spec.grades}
    flags = result.flags()
    explanation = result.explanation([unit])
    leaves = json.loads(
        explanation.drop(columns=["unit"]).to_json(orient="records", force_ascii=False)
    )
    for leaf in leaves:
        code = leaf.get("leaf")
        note = done.notes.get((unit, code))
        leaf["source"] = note.get("source", "register") if note else "raters"
        leaf["measured"] = done.notes.get((unit, code))
        leaf["evidence"] = evidence.get(code, {"status": "none", "citations": []})
    return {
        "system": {"id": system.id, "version": system.version, "hash": system.content_hash},
        "base": float(result.base[unit]),
        "bonus": float(result.bonus_total[unit]),
        "total": float(result.total[unit]),
        "grade_on": system.spec.grade_on,
        "graded": float(result.graded[unit]),
        "grade": grades[result.grade[unit]],
        "grade_uncapped": grades[result.grade_uncapped[unit]],
        "capped": bool(
            result.band[result.units.get_loc(unit)] != result.grade_idx[result.units.get_loc(unit)]
        ),
        "vetoes": [c for c in result.vetoes.columns if bool(result.vetoes.loc[unit, c])],
        "flags": sorted(flags.loc[flags["unit"] == unit, "label"]),
        "families": [
            {
                "code": f.code,
                "zh": f.name.zh,
                "en": f.name.en,
                "points": _num(result.node_points.loc[unit, f.code]),
                "max": f.points,
            }
            for f in system.families
        ],
        "leaves": leaves,
    }


def _num(x) -> float | None:
    return None if pd.isna(x) else round(float(x), 6)


async def round_sensitivity(
    actor: Actor, round_id, settings: Settings, *, attribution: bool = True
) -> dict:
    """The full report for a round whose scores the actor may see."""
    round_ = await get_round(actor, round_id)
    await require_results(actor, round_)
    done = await compute_round(round_)
    groups, outcome = await decision_inputs(round_, done)
    return await asyncio.to_thread(
        sensitivity_report,
        done.system,
        done.result,
        settings,
        groups=groups,
        outcomes=outcome,
        attribution=attribution,
    )
