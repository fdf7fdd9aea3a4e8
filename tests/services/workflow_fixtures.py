"""A small county built through the service layer, shared by the workflow tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evaluator.services import contracts as cs
from evaluator.services import organisations as org_svc
from evaluator.services import panel_staff
from evaluator.services import rounds as rs
from evaluator.services import stations as station_svc
from evaluator.services.actors import Actor, actor_for
from evaluator.services.systems import register_system
from evaluator.store.base import OrgKind, RegionLevel, Role, RoundKind
from evaluator.store.contracts import Contract, Station
from evaluator.store.orgs import Organisation, User
from evaluator.store.rounds import Round, SystemVersion

N_LEAVES = 50

SYSTEM = "\n".join(
    [
        "system: {id: wf, version: '1', name: {zh: 测试, en: Test}, unit: station, total_points: 100}",
        "grades:",
        "  - {code: good, zh: 良好, en: Good, min: 60}",
        "  - {code: fail, zh: 不合格, en: Fail, min: 0}",
        "vetoes:",
        "  - {code: V1, name: {zh: 否决, en: Veto}}",
        "tree:",
        "  - code: A",
        "    name: {zh: 甲, en: A}",
        "    points: 100",
        "    children:",
        *[
            f"      - {{code: L{i:02d}, name: {{zh: 指标{i}, en: Leaf {i}}}, points: 2, method: ratio, target: 10, linear: {{floor: 0, cap: 1}}}}"
            for i in range(N_LEAVES)
        ],
    ]
)


@dataclass
class County:
    admin: Actor
    bureau: Organisation
    other_bureau: Organisation
    evaluators: Organisation
    agency_a: Organisation
    agency_b: Organisation
    stations: dict[str, Station]
    contract_a: Contract
    contract_b: Contract
    round_a: Round
    round_b: Round
    users: dict[str, User]
    actors: dict[str, Actor]


async def build_county(open_rounds: bool = True, system: str | None = None) -> County:
    admin = Actor.system()
    region = await org_svc.ensure_region("341521", "安平县", RegionLevel.COUNTY)
    bureau = await org_svc.create_organisation(admin, OrgKind.BUREAU, "安平县民政局", region=region)
    other_bureau = await org_svc.create_organisation(admin, OrgKind.BUREAU, "邻县民政局")
    evaluators = await org_svc.create_organisation(admin, OrgKind.EVALUATION_AGENCY, "明远评估中心")
    agency_a = await org_svc.create_organisation(
        admin, OrgKind.SERVICE_AGENCY, "阳光社工", credit_code="52341521MJA000001X"
    )
    agency_b = await org_svc.create_organisation(
        admin, OrgKind.SERVICE_AGENCY, "春晖社工", credit_code="52341521MJA000002X"
    )
    stations = {
        code: await station_svc.create_station(admin, bureau, code, f"{code}站")
        for code in ("ST01", "ST02", "ST03")
    }
    users, actors = {}, {}
    for name, org, role in [
        ("bureau", bureau, Role.BUREAU_OFFICER),
        ("other_bureau", other_bureau, Role.BUREAU_OFFICER),
        ("lead", evaluators, Role.LEAD_EVALUATOR),
        ("evaluator", evaluators, Role.EVALUATOR),
        ("evaluator2", evaluators, Role.EVALUATOR),
        ("outsider", evaluators, Role.EVALUATOR),
        ("agency_a", agency_a, Role.AGENCY_USER),
        ("agency_b", agency_b, Role.AGENCY_USER),
        ("auditor", bureau, Role.AUDITOR),
    ]:
        users[name] = await org_svc.create_user(admin, name)
        await org_svc.grant(admin, users[name], org, role)
        actors[name] = await actor_for(users[name])
    version = await register_system(admin, system or SYSTEM, "wf.yaml")
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    contract_a = await cs.create_contract(
        actors["bureau"],
        code="C-A",
        buyer=bureau,
        agency=agency_a,
        period_start=start,
        period_end=end,
        amount_fen=60_000_000,
        stations=[
            cs.StationTerms(stations["ST01"], {"cases": 20}),
            cs.StationTerms(stations["ST02"], {"cases": 20}),
        ],
    )
    contract_b = await cs.create_contract(
        actors["bureau"],
        code="C-B",
        buyer=bureau,
        agency=agency_b,
        period_start=start,
        period_end=end,
        amount_fen=30_000_000,
        stations=[cs.StationTerms(stations["ST03"], {"cases": 20})],
    )
    rounds = []
    for contract in (contract_a, contract_b):
        r = await rs.create_round(
            actors["bureau"],
            contract=contract,
            evaluation_agency=evaluators,
            kind=RoundKind.MID_TERM,
            system=version,
            as_of=dt.date(2026, 6, 30),
            elapsed=0.5,
        )
        await panel_staff.assign(admin, r, users["lead"], Role.LEAD_EVALUATOR)
        await panel_staff.assign(admin, r, users["evaluator"], Role.EVALUATOR)
        await panel_staff.assign(admin, r, users["evaluator2"], Role.EVALUATOR)
        if open_rounds:
            r = await rs.open_round(actors["lead"], r, r.version)
        rounds.append(r)
    return County(
        admin,
        bureau,
        other_bureau,
        evaluators,
        agency_a,
        agency_b,
        stations,
        contract_a,
        contract_b,
        rounds[0],
        rounds[1],
        users,
        actors,
    )


async def settle_gaps(round_, lead: Actor, decision: str = "accepted_missing") -> int:
    """The lead decides every gap a test leaves on purpose (the completeness gate refuses
    to submit a round with an undecided one); returns how many."""
    from evaluator.services import completeness

    _, gaps = await completeness.list_gaps(lead, round_.id)
    open_ = [g for g in gaps if g.decision is None]
    for g in open_:
        await completeness.decide_gap(
            lead, round_.id, g.unit, g.leaf, decision, "not scored in this test 本测试未评分"
        )
    return len(open_)


async def final_round(county: County) -> Round:
    """A final round of contract A on the year's last day, with round A's system (not yet
    opened, nobody assigned)."""
    return await rs.create_round(
        county.actors["bureau"],
        contract=county.contract_a,
        evaluation_agency=county.evaluators,
        kind=RoundKind.FINAL,
        system=await SystemVersion.get(id=county.round_a.system_id),
        as_of=dt.date(2026, 12, 31),
    )
