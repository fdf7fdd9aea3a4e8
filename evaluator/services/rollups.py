"""A region's roll-up (汇总) for a quarter, a half year or a year, scoped to the reader.

Who reads which region:

- administrators and auditors: any region;
- bureau officers (民政局): their bureau's region and the regions below it. An officer of a
  county bureau reads their county; an officer of a city's or a province's civil-affairs
  bureau (市/省民政部门: a bureau whose region is a city or a province) reads their city or
  province, every county below it included. A roll-up shows counts and amounts only, never
  a station's or an agency's scorecard: those stay with the buying bureau;
- evaluators and agencies: no roll-up.

The figures and what counts in a period: :mod:`evaluator.decisions.rollup`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from evaluator import clock
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.decisions.rollup import (
    DecisionFact,
    Facts,
    FindingFact,
    GradeFact,
    MoneyFact,
    RegionNode,
    ReportPeriod,
    RollupRow,
    figure_keys,
    figure_label,
    half_year_of,
    is_money,
    parse_period,
    roll_up,
)
from evaluator.errors import NotFound, Problem
from evaluator.services.actors import Actor, require
from evaluator.services.regions import all_regions, ancestors, below, bureau_regions
from evaluator.services.systems import system_of
from evaluator.services.tranches import tranches_of
from evaluator.store.base import OWN_EVALUATIONS, Role, RoundState
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Decision, Finding, TrancheRelease
from evaluator.store.orgs import Organisation
from evaluator.store.rounds import ApprovalSnapshot, Round, SystemVersion


@dataclass(frozen=True)
class Rollup:
    root: RegionNode
    period: ReportPeriod
    today: dt.date
    rows: list[RollupRow]
    keys: list[str]
    grade_names: dict[str, tuple[str, str]]  # grade code → (en, zh)


async def readable_regions(actor: Actor) -> list[str]:
    """The regions whose roll-up the actor reads (for a bureau officer: each bureau's region;
    an administrator or auditor reads every region: the top ones are returned)."""
    if actor.sees_everything:
        return [
            c for c, r in (await all_regions()).items() if r.parent is None or r.level == "province"
        ]
    bureaus = list(actor.orgs(Role.BUREAU_OFFICER))
    require(
        bool(bureaus),
        "roll-ups are read by civil-affairs officers (民政部门), administrators and auditors",
        "汇总报表仅供民政部门人员、管理员和审计人员查阅",
    )
    found = list((await bureau_regions(actor)).values())
    require(
        bool(found),
        "your bureau has no region: ask an administrator to set it",
        "所在民政局未设置行政区划，请联系管理员",
    )
    return sorted(set(found))


async def region_rollup(
    actor: Actor, region: str | None, period: ReportPeriod | str | None = None
) -> Rollup:
    """``period``: a :class:`ReportPeriod`, or its text (``2026-Q3``: refused with a located
    problem when it is not one); None: the half year of today."""
    if period is None:
        period = half_year_of(clock.today())
    period = parse_period(period) if isinstance(period, str) else period
    regions = await all_regions()
    mine = await readable_regions(actor)
    if region is None:
        # the reader's own region; of several, the highest (fewest ancestors)
        region = min(mine, key=lambda c: (len(ancestors(regions, c)), c), default=None)
        if region is None:
            raise NotFound(Problem("no region is recorded yet", "尚未登记任何行政区划"))
    if region not in regions:
        raise NotFound(Problem(f"no region {region}", f"未找到行政区划 {region}", path="region"))
    if not actor.sees_everything:
        require(
            any(code in mine for code in ancestors(regions, region)),
            f"region {region} is outside the regions you read ({', '.join(mine)})",
            f"行政区划 {region} 不在您可查阅的范围内（{'、'.join(mine)}）",
        )
    facts, grade_names, grade_order = await _facts(below(regions, region), regions, period)
    rows = roll_up(regions.values(), region, facts, period)
    return Rollup(
        regions[region],
        period,
        clock.today(),
        rows,
        figure_keys(rows, grade_order),
        grade_names,
    )


def _county_of(regions: dict[str, RegionNode], code: str | None) -> str | None:
    """The reporting region of a buyer: its own, or its county for a township's buyer."""
    while code is not None and code in regions and regions[code].level == "township":
        code = regions[code].parent
    return code


async def _facts(
    area: set[str], regions: dict[str, RegionNode], period: ReportPeriod
) -> tuple[Facts, dict[str, tuple[str, str]], list[str]]:
    buyers = dict(
        await Organisation.filter(region_id__in=sorted(area)).values_list("id", "region_id")
    )
    contracts = await Contract.filter(buyer_id__in=list(buyers)).order_by("code")
    region_of = {c.id: _county_of(regions, buyers[c.buyer_id]) or "" for c in contracts}
    facts = Facts()
    grade_names: dict[str, tuple[str, str]] = {}
    grade_order: list[str] = []

    rounds = {
        r.id: r
        for r in await Round.filter(
            contract_id__in=list(region_of), state=RoundState.APPROVED
        ).order_by("as_of", "id")
    }
    decisions = await Decision.filter(
        round_id__in=list(rounds),
        superseded=False,
        approved_on__gte=period.start,
        approved_on__lte=period.end,
    ).order_by("approved_on", "id")
    snapshots = dict(
        await ApprovalSnapshot.filter(
            id__in=[rounds[d.round_id].snapshot_in_force for d in decisions]
        ).values_list("id", "results")
    )
    versions = {
        v.id: v
        for v in await SystemVersion.filter(
            id__in={rounds[d.round_id].system_id for d in decisions}
        )
    }
    for decision in decisions:
        round_ = rounds[decision.round_id]
        where = region_of[round_.contract_id]
        if versions[round_.system_id].unit != "station":
            continue  # an agency round grades the agency, not a station, and recommends once more
        results = snapshots.get(round_.snapshot_in_force)
        for unit in json.loads(results).values() if results else ():
            facts.grades.append(GradeFact(where, str(round_.kind), unit["grade"]))
        system = await system_of(versions[round_.system_id])
        for g in system.spec.grades:
            if g.code not in grade_names:
                grade_names[g.code] = (g.en, g.zh)
                grade_order.append(g.code)
        if round_.kind in OWN_EVALUATIONS:  # a spot check recommends nothing
            outcome = decision.outcome if decision.status != "proposed" else None
            facts.decisions.append(DecisionFact(where, decision.recommended, outcome))

    today = clock.today()
    for f in await Finding.filter(
        round__contract_id__in=list(region_of),
        opened_on__gte=period.start,
        opened_on__lte=period.end,
    ).prefetch_related("round"):
        open_now = f.state in OPEN_STATES
        overdue = open_now and (
            f.state == "overdue" or (f.deadline is not None and f.deadline < today)
        )
        facts.findings.append(
            FindingFact(region_of[f.round.contract_id], f.severity, open_now, overdue)
        )

    running = [
        c for c in contracts if c.period_start <= period.end and c.period_end >= period.start
    ]
    released: dict = {}
    for contract_id, fen, on in await TrancheRelease.filter(
        contract_id__in=[c.id for c in running]
    ).values_list("contract_id", "amount_fen", "released_on"):
        released.setdefault(contract_id, []).append((fen, on))
    for contract in running:
        unreleased = [
            (t.status, t.amount_fen, t.overdue)
            for t in await tranches_of(contract)
            if t.status != "released"
        ]
        facts.money.append(
            MoneyFact(
                region_of[contract.id],
                contract.amount_fen,
                tuple(released.get(contract.id, ())),
                tuple(unreleased),
            )
        )
    return facts, grade_names, grade_order


def document(rollup: Rollup) -> dict:
    """The roll-up as the API, the CLI's JSON and the workbook read it."""
    labels = {key: figure_label(key, rollup.grade_names) for key in rollup.keys}
    columns = [
        {"key": key, "en": en, "zh": zh, "money": is_money(key)} for key, (en, zh) in labels.items()
    ]
    return {
        "region": _region_doc(rollup.root),
        "period": {
            "label": rollup.period.label,
            "label_zh": rollup.period.label_zh,
            "start": rollup.period.start,
            "end": rollup.period.end,
        },
        "today": rollup.today,
        "columns": columns,
        "rows": [
            {
                "region": _region_doc(row.region),
                "depth": row.depth,
                "figures": {key: int(row.figures.get(key, 0)) for key in rollup.keys},
            }
            for row in rollup.rows
        ],
    }


def _region_doc(region: RegionNode) -> dict:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent": region.parent,
    }
