"""From a round's inputs (services/round_inputs.py) to engine results, and the station and
agency scorecards."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable

from evaluator.analysis.sensitivity import Settings
from evaluator.engine import Result, score
from evaluator.errors import NotFound, Problem
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
from evaluator.services.cohorts import round_cohort, round_links
from evaluator.services.computed import Computed
from evaluator.services.registers import register_history
from evaluator.services.round_cache import inputs_key
from evaluator.services.round_inputs import (
    cohort_frame,
    round_inputs,
    round_waivers,
    system_of_round,
)
from evaluator.services.sensitivity import robustness, round_report
from evaluator.services.station_results import portfolio
from evaluator.store.base import RoundState
from evaluator.store.contracts import Contract, Station
from evaluator.store.orgs import Organisation
from evaluator.store.rounds import Round

Render = Callable[[dict], str]  # a card dict → its JSON text (the API validates it first)


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
        linked = await round_links(round_).filter(station_id=station.id).exists()
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
        card["portfolio"] = portfolio(done.notes, done.units[0])
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
