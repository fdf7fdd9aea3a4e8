"""From stored scores to engine results: round inputs, station and agency scorecards,
and the digests that make an approval snapshot reproducible."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable

import pandas as pd
from tortoise import connections

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
from evaluator.services.card_documents import (
    aggregate,
    robust_index,
    robust_unit,
    round_info,
    unit_card,
    unit_cards,
)
from evaluator.services.citations import leaf_evidence, round_evidence
from evaluator.services.computed import Computed
from evaluator.services.contracts import Cohort, round_cohort
from evaluator.services.interests import excluded_raters
from evaluator.services.registers import register_history
from evaluator.services.round_cache import inputs_key
from evaluator.services.sensitivity import robustness, round_report
from evaluator.services.systems import system_of
from evaluator.store.base import RoundState
from evaluator.store.contracts import Contract, ContractStation, Station
from evaluator.store.orgs import Organisation
from evaluator.store.registers import MeasuredOverride, RegisterImport
from evaluator.store.rounds import Adjudication, LeafWaiver, Round, SystemVersion
from evaluator.store.sql import dialect_of, parameter
from evaluator.systems import IndicatorSystem

Render = Callable[[dict], str]  # a card dict → its JSON text (the API validates it first)
INPUT_COLUMNS = ["unit", "leaf", "item", "value", "target", "n", "rater"]


RAW_CHUNK = 500  # units read per statement by round_raw (SQLite allows 999 parameters)
_RAW_UNITS = "SELECT DISTINCT unit FROM score WHERE round_id = {0}"


async def round_raw(round_: Round, conn=None) -> pd.DataFrame:
    """Every rater's stored input for the round, as the engine's long table (+ rater).

    Read as plain rows, ``RAW_CHUNK`` units per statement, with each repeated text (unit,
    leaf, item, rater) held once: a national round has millions of values. The columns'
    types are what the rows hold (as the ORM would give them), so digests never move."""
    conn = conn or connections.get("default")
    round_id = str(round_.id)
    _, found = await conn.execute_query(
        _RAW_UNITS.format(parameter(dialect_of(conn), 1)), [round_id]
    )
    units = sorted(r[0] for r in found)
    text: dict = {}
    columns: list[list] = [[] for _ in INPUT_COLUMNS]
    for start in range(0, len(units), RAW_CHUNK):
        chunk = units[start : start + RAW_CHUNK]
        marks = ", ".join(parameter(dialect_of(conn), i + 2) for i in range(len(chunk)))
        sql = (
            "SELECT unit, leaf, item, value, target, n, CAST(rater_id AS TEXT) FROM score "
            f"WHERE round_id = {parameter(dialect_of(conn), 1)} AND value IS NOT NULL AND unit IN ({marks})"
        )
        _, rows = await conn.execute_query(sql, [round_id, *chunk])
        for row in rows:
            for i, column in enumerate(columns):
                v = row[i]
                if i < 3 or i == 6:
                    v = text.setdefault(v, v)
                column.append(v)
    frame = (
        pd.DataFrame(dict(zip(INPUT_COLUMNS, columns, strict=True)))
        if columns[0]
        else pd.DataFrame(columns=INPUT_COLUMNS).astype({"rater": str})  # as the ORM's
    )
    frame["item"] = frame["item"].replace("", None)
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


def cohort_frame(inputs: pd.DataFrame, units: list[str], system: IndicatorSystem) -> pd.DataFrame:
    """The inputs with a placeholder row (first leaf, no value) for every unit that has no
    row at all, so that an unscored station is scored — and seen — as such."""
    present = set(inputs["unit"]) if len(inputs) else set()
    absent = [u for u in units if u not in present]
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

    async def every() -> AsyncIterator[tuple[str, str]]:
        async for code, card in station_cards(round_):
            yield f"{form}:station:{code}", await asyncio.to_thread(render, card)

    return await approved_cards.text(
        round_, f"{form}:station:{station.code}", rendered, (f"{form}:station", every)
    )


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
    evidence = await leaf_evidence(round_, station.code)
    card = await asyncio.to_thread(unit_card, done, station.code, evidence)
    card["robustness"] = robust_unit(await robustness(round_, done), station.code)
    shared = await _card_context(round_)
    station_doc = {"id": str(station.id), "code": station.code, "name": station.name}
    return card | {"station": station_doc} | shared, done


async def _card_context(round_: Round) -> dict:
    """What every station card of a round shows alike: the agency that ran the station on
    the round's date (the contract's), the round, and its register versions."""
    contract = await Contract.get(id=round_.contract_id).prefetch_related("agency")
    return {
        "agency": {
            "id": str(contract.agency_id),
            "name": contract.agency.name,
            "contract_id": str(contract.id),
            "contract_code": contract.code,
        },
        "round": round_info(round_),
        "registers": await register_history(round_),  # every version, who, when, hashes
    }


async def station_cards(
    round_: Round, done: Computed | None = None, chunk: int = 1000
) -> AsyncIterator[tuple[str, dict]]:
    """Every station's card of a round (no permission check: for exports, snapshots and
    benchmarks), as (code, card) in the round's order, built ``chunk`` stations at a time
    so that a national round never holds every card at once. Each card equals the one
    :func:`station_card` gives (keys in another order)."""
    if done is None:
        done = await compute_round(round_)
    robust = robust_index(await robustness(round_, done))
    shared = await _card_context(round_)
    for start in range(0, len(done.units), chunk):
        codes = done.units[start : start + chunk]
        stations = {
            s.code: {"id": str(s.id), "code": s.code, "name": s.name}
            for s in await Station.filter(code__in=codes)
        }
        evidence = await round_evidence(round_, codes)
        cards = await asyncio.to_thread(unit_cards, done, codes, evidence)
        for code, card in cards.items():
            card["robustness"] = robust[code]
            yield code, card | {"station": stations[code]} | shared


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
            unit_card, done, done.units[0], await leaf_evidence(round_, done.units[0])
        )
        card["robustness"] = robust_unit(robust, done.units[0])
    else:
        card |= await asyncio.to_thread(aggregate, done.system, done.result)
        by_unit = robust_index(robust)
        for station in card["stations"]:
            station["robustness"] = by_unit[station["code"]]
    group = robust["groups"][0] if robust["groups"] else None
    card["recommendation_robustness"] = group and {
        k: group[k] for k in ("recommendation", "flip", "seen", "fragile")
    }
    card["registers"] = await register_history(round_)  # every version, who, when, hashes
    return card, done


async def round_sensitivity(
    actor: Actor, round_id, settings: Settings, *, attribution: bool = True
) -> dict:
    """The full report for a round whose scores the actor may see."""
    round_ = await get_round(actor, round_id)
    await require_results(actor, round_)
    return await round_report(
        round_, await compute_round(round_), settings, attribution=attribution
    )
