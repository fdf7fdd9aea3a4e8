"""The documents behind the reports (``evaluator.reporting``): a station's, a contract's
and a round's summary, assembled from the same services the JSON API answers with (the
scorecards, findings, the decision, tranches), under the same access rules — blind until
the round is approved — so that a figure can never differ between the API, a workbook and
a printed report. The renderers are pure functions of these documents."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

from evaluator import clock
from evaluator.canonical import canonical_json, digest
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.engine import Result
from evaluator.errors import NotFound, Problem
from evaluator.services import (
    approved_cards,
    decisions,
    findings,
    listing,
    payment_applications,
    scorecards,
    tranches,
)
from evaluator.services.actors import (
    Actor,
    assignment_role,
    get_round,
    may_see_results,
    require_results,
)
from evaluator.services.cohorts import unit_code
from evaluator.services.sensitivity import open_finding_facts, robustness
from evaluator.store.contracts import Contract, Station
from evaluator.store.orgs import Organisation
from evaluator.store.rounds import Round, Score
from evaluator.systems import IndicatorSystem

SEVERITIES = ("observation", "correction", "suspension", "termination")
DUE_WITHIN_DAYS = 30  # the summary lists tranches due within this many days of today


async def station_report(actor: Actor, round_id, station_id) -> dict[str, Any]:
    """A station's scorecard (as ``GET …/scorecard`` answers) with what a report needs
    around it: the system, the method, the county comparison, the station's findings, its
    contract's recommendation and tranches, and its satisfaction surveys."""
    card, done = await scorecards.station_card(actor, round_id, station_id)
    round_ = await get_round(actor, round_id)
    unit = card["station"]["code"]
    station = await Station.get(id=station_id).prefetch_related("township")
    return {
        "kind": "station",
        "card": card,
        "station": card["station"] | {"township": station.township and station.township.name},
        "system": system_facts(done.system),
        "method": await _method(round_, [unit]),
        "county": _county(done, unit),
        "findings": await _findings(actor, round_, [unit]),
        "recommendation": await _recommendation(actor, round_),
        "tranches": await _tranches(actor, round_),
        "satisfaction": satisfaction_rows(card["leaves"]),
        "comments": await _comments(round_, unit),
        "generated_on": clock.today().isoformat(),
    }


async def station_report_by_code(actor: Actor, round_id, code: str) -> dict[str, Any]:
    """:func:`station_report` of the station a code names however it is typed (``st01``)."""
    station = await Station.get_or_none(code=await unit_code(code))
    if station is None:
        raise NotFound(Problem(f"no station {code}", f"未找到社工站 {code}", path="station"))
    return await station_report(actor, round_id, station.id)


async def contract_report(actor: Actor, round_id) -> dict[str, Any]:
    """The agency's scorecard for a round (as ``GET …/agency-scorecard`` answers), its
    stations side by side (families), the recommendation with its explanation and points
    lost, tranches and findings."""
    card, done = await scorecards.agency_card(actor, round_id)
    round_ = await get_round(actor, round_id)
    contract = await Contract.get(id=round_.contract_id)
    result = done.result
    names = dict(await Station.filter(code__in=done.units).values_list("code", "name"))
    stations = [
        _figures(result, unit)
        | {
            "name": names.get(unit, ""),
            "families": {
                f.code: _num(result.node_points.loc[unit, f.code]) for f in done.system.families
            },
        }
        for unit in done.units
    ]
    return {
        "kind": "contract",
        "card": card,
        "contract": _contract_facts(contract),
        "stations": stations,
        "system": system_facts(done.system),
        "method": await _method(round_, list(done.units)),
        "findings": await _findings(actor, round_, list(done.units)),
        "recommendation": await _recommendation(actor, round_),
        "tranches": await _tranches(actor, round_),
        "generated_on": clock.today().isoformat(),
    }


async def round_summary(actor: Actor, round_id) -> dict[str, Any]:
    """A round for its bureau: every station with totals, ranks, grades, fragility and flip
    probability, open findings by severity and every node's points; the contract's agency
    with its recommendation; the tranches due within 30 days.

    What follows from the round's results (the rows, the system, the contract's robustness)
    is computed once per approved snapshot and state of the open findings, and stored
    (services/approved_cards.py); findings, the decision and tranches are read each time."""
    round_ = await get_round(actor, round_id)
    await require_results(actor, round_)
    facts = await open_finding_facts(round_)
    text = await approved_cards.text(
        round_, f"summary:{digest(facts)[7:31]}", lambda: _computed_summary(round_)
    )
    computed = json.loads(text.body)
    rows = computed["stations"]
    open_by_unit: dict[str, dict[str, int]] = {}
    for f in await findings.list_findings(actor, round_id=round_.id):
        if f.state in OPEN_STATES:
            counts = open_by_unit.setdefault(f.unit, dict.fromkeys(SEVERITIES, 0))
            counts[f.severity] += 1
    for row in rows:
        row["open_findings"] = open_by_unit.get(row["code"], dict.fromkeys(SEVERITIES, 0))
    recommendation = await _recommendation(actor, round_)
    group = computed["group"]
    today = clock.today()
    all_tranches = await _tranches(actor, round_)
    due = [
        t
        for t in all_tranches
        if t["status"] in ("due", "scheduled")
        and t["due_on"] is not None
        and dt.date.fromisoformat(t["due_on"]) <= today + dt.timedelta(days=DUE_WITHIN_DAYS)
    ]
    return {
        "kind": "summary",
        "round": scorecards.round_info(round_),
        "contract": computed["contract"],
        "system": computed["system"],
        "stations": rows,
        "agencies": [
            computed["agency"]
            | {
                "recommendation": recommendation and recommendation["recommended"],
                "decision": recommendation and (recommendation["outcome"] or None),
                "flip": group and group["flip"],
                "fragile": bool(group and group["fragile"]),
            }
        ],
        "tranches_due": due,
        "tranches": all_tranches,
        "decision": recommendation,
        "generated_on": today.isoformat(),
    }


async def _computed_summary(round_: Round) -> str:
    """The part of the summary that follows from the round's results and its open findings
    (the recommendation's robustness holds them), as canonical JSON."""
    done = await scorecards.compute_round(round_)
    robust = await robustness(round_, done)
    contract = await Contract.get(id=round_.contract_id)
    agency = await Organisation.get(id=contract.agency_id)
    rows = await asyncio.to_thread(_summary_rows, done, robust)
    stations = await Station.filter(code__in=done.units).prefetch_related("township")
    where = {s.code: (s.name, s.township and s.township.name) for s in stations}
    for row in rows:
        name, township = where.get(row["code"], ("", None))
        row |= {"name": name, "township": township}
    group = robust["groups"][0] if robust["groups"] else None
    document = {
        "contract": _contract_facts(contract),
        "system": system_facts(done.system),
        "stations": rows,
        "agency": {
            "name": agency.name,
            "contract_code": contract.code,
            "stations": len(rows),
            "mean_total": round(sum(r["total"] for r in rows) / len(rows), 6) if rows else None,
        },
        "group": group and {k: group[k] for k in ("flip", "fragile")},
    }
    return await asyncio.to_thread(canonical_json, document)


async def rounds_for(actor: Actor) -> list[dict[str, Any]]:
    """The rounds an actor may see, newest first, with what they may do there: score (an
    assigned rater), see results (once published to them)."""
    found = await listing.list_rounds(actor, page=1, per_page=100)
    out = []
    for r in sorted(found.items, key=lambda x: (x.as_of, x.created_at), reverse=True):
        role = await assignment_role(actor, r)
        contract = await Contract.get(id=r.contract_id)
        out.append(
            scorecards.round_info(r)
            | {
                "contract": contract.code,
                "role": role.value if role else None,
                "results": await may_see_results(actor, r),
            }
        )
    return out


# -- pieces -------------------------------------------------------------------------------
def system_facts(system: IndicatorSystem) -> dict[str, Any]:
    """What a report says of the system: names, version, hash, scale, grades, the tree."""
    return {
        "id": system.id,
        "version": system.version,
        "hash": system.content_hash,
        "name_zh": system.name.zh,
        "name_en": system.name.en,
        "total_points": system.total_points,
        "decimals": system.spec.decimals,
        "grade_on": system.spec.grade_on,
        "grades": [
            {"code": g.code, "zh": g.zh, "en": g.en, "min": g.min} for g in system.spec.grades
        ],
        "nodes": [
            {
                "code": n.code,
                "parent": n.parent,
                "depth": n.depth,
                "zh": n.name.zh,
                "en": n.name.en,
                "method": n.method or "group",
                "points": n.points,
                "bonus": n.is_bonus,
            }
            for n in system.nodes.values()
        ],
    }


def satisfaction_rows(leaves: list[dict]) -> list[dict[str, Any]]:
    """The satisfaction (likert) leaves of a scorecard: valid n against the quota, mean and
    its 95% interval, and the channels of a register survey."""
    rows = []
    for leaf in leaves:
        if leaf["method"] != "likert":
            continue
        detail = (leaf.get("measured") or {}).get("detail") or {}
        quota = None
        if "phone_quota" in detail or "on_site_quota" in detail:
            quota = int(detail.get("phone_quota", 0)) + int(detail.get("on_site_quota", 0))
        rows.append(
            {
                "leaf": leaf["leaf"],
                "name_zh": leaf["name_zh"],
                "name_en": leaf["name_en"],
                "n": leaf["basis"],
                "quota": quota,
                "phone": detail.get("phone"),
                "on_site": detail.get("on_site"),
                "mean": leaf["raw"],
                "ci95": detail.get("ci95"),
                "points": leaf["points"],
                "max_points": leaf["max_points"],
                "flag": leaf["flag"],
            }
        )
    return rows


def _summary_rows(done: scorecards.Computed, robust: dict) -> list[dict[str, Any]]:
    result, system = done.result, done.system
    by_unit = {u["unit"]: u for u in robust["units"]}
    flags = result.flags()
    rows = []
    points = result.node_points
    for unit in done.units:
        mine = flags[flags["unit"] == unit]
        r = by_unit.get(unit, {})
        rows.append(
            _figures(result, unit)
            | {
                "grade_uncapped": result.grade_uncapped[unit],
                "vetoes": [c for c in result.vetoes.columns if bool(result.vetoes.loc[unit, c])],
                "floors": sorted(mine.loc[mine["flag"] == "floor", "code"]),
                "grade_flip": r.get("grade_flip"),
                "fragile": bool(r.get("fragile", False)),
                "nodes": {c: _num(points.loc[unit, c]) for c in points.columns},
                "bonus_leaves": {
                    b.code: _num(result.bonus.loc[unit, b.code]) for b in system.bonus_leaves
                },
            }
        )
    return rows


def _figures(result: Result, unit: str) -> dict[str, Any]:
    """A unit's totals, rank and grade as every report row shows them."""
    return {
        "code": unit,
        "base": float(result.base[unit]),
        "bonus": float(result.bonus_total[unit]),
        "total": float(result.total[unit]),
        "graded": float(result.graded[unit]),
        "rank": int(result.rank[unit]),
        "grade": result.grade[unit],
        "grade_zh": str(result.grade_label("zh")[unit]),
    }


def _county(done: scorecards.Computed, unit: str) -> dict[str, Any]:
    """Where the station stands among the round's stations: rank, means per family."""
    result = done.result
    return {
        "units": len(done.units),
        "rank": int(result.rank[unit]),
        "mean_total": round(float(result.total.mean()), 6),
        "family_means": {
            f.code: _num(result.node_points[f.code].mean()) for f in done.system.families
        },
    }


async def _method(round_: Round, units: list[str]) -> dict[str, Any]:
    """Who scored and how: the evaluation agency, the number of raters, the reconciliation."""
    agency = await Organisation.get(id=round_.evaluation_agency_id)
    raters = (
        await Score.filter(round_id=round_.id, unit__in=units, value__isnull=False)
        .distinct()
        .values_list("rater_id", flat=True)
    )
    return {
        "evaluation_agency": agency.name,
        "raters": len(set(raters)),
        "reconciliation": "trimmed",
        "as_of": round_.as_of.isoformat(),
        "kind": round_.kind.value,
        "elapsed": round_.elapsed,
    }


async def _comments(round_: Round, unit: str) -> dict[str, list[str]]:
    """The raters' comments on each leaf of a station (item first for a checklist), in the
    order they were written; raters are not named (a panel's scores stay impersonal)."""
    rows = (
        await Score.filter(round_id=round_.id, unit=unit)
        .exclude(comment="")
        .order_by("created_at")
        .values_list("leaf", "item", "comment")
    )
    out: dict[str, list[str]] = {}
    for leaf, item, comment in rows:
        out.setdefault(leaf, []).append(f"{item}: {comment}" if item else comment)
    return out


async def _findings(actor: Actor, round_: Round, units: list[str]) -> list[dict[str, Any]]:
    found = await findings.list_findings(actor, round_id=round_.id)
    return [
        findings.finding_document(f)
        | {
            "id": str(f.id),
            "opened_on": f.opened_on.isoformat(),
            "causes": f.causes,
            "explanation_zh": f.explanation_zh,
            "explanation_en": f.explanation_en,
        }
        for f in found
        if f.unit in set(units)
    ]


async def _recommendation(actor: Actor, round_: Round) -> dict[str, Any] | None:
    try:
        d = await decisions.current_decision(actor, round_.id)
    except NotFound:
        return None
    return {
        "recommended": d.recommended,
        "status": d.status,
        "outcome": d.outcome,
        "reason": d.reason,
        "reasons": d.reasons,
        "losses": d.losses,
        "explanation_zh": d.explanation_zh,
        "explanation_en": d.explanation_en,
        "approved_on": d.approved_on.isoformat(),
        "version": d.version,
    }


async def _tranches(actor: Actor, round_: Round) -> list[dict[str, Any]]:
    _, items = await tranches.contract_tranches(actor, round_.contract_id)
    latest = await payment_applications.latest_by_tranche(round_.contract_id)
    return [
        {
            "code": t.code,
            "share_bp": t.share_bp,
            "amount_fen": t.amount_fen,
            "trigger": t.trigger,
            "status": t.status,
            "due_on": t.due_on and t.due_on.isoformat(),
            "due_basis": t.due_basis,
            "overdue": t.overdue,
            "released_on": t.released_on and t.released_on.isoformat(),
            **t.words(),
            "when": t.date_label(),
            "due_from": t.due_from,
            "applied_on": t.applied_on and t.applied_on.isoformat(),
            # the agency may apply (services.payment_applications.apply checks it again)
            "may_apply": t.status in ("awaiting_application", "due", "withheld")
            and t.applied_on is None,
            "application": _plain_application(latest.get(t.code)),
        }
        for t in items
    ]


def _plain_application(found) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, uuid.UUID) else v)
        for k, v in payment_applications.as_dict(found).items()
    }


def _contract_facts(contract: Contract) -> dict[str, Any]:
    return {
        "id": str(contract.id),
        "code": contract.code,
        "title": contract.title,
        "period_start": contract.period_start.isoformat(),
        "period_end": contract.period_end.isoformat(),
        "amount_fen": contract.amount_fen,
    }


def _num(x) -> float | None:
    return None if x != x else round(float(x), 6)  # NaN (skipped) → None
