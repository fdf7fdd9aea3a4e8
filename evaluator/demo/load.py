"""Persist the synthetic demo county through the service layer and run its mid-term
rounds: an evaluator scores, the lead submits, the bureau approves. Idempotent: a database
that already holds the county is left as it is."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pandas as pd

from evaluator import clock
from evaluator.demo import story as demo_story
from evaluator.demo.consequences import (
    APPLICATION_VOUCHERS,
    application_day,
    applies_for_payment,
    demo_schedule,
    first_release,
)
from evaluator.demo.county import cast
from evaluator.demo.panel import HARSH, LENIENT, panel_rows, wide_disagreement
from evaluator.demo.registers import import_registers, round_date
from evaluator.demo.scoring import DemoReport
from evaluator.demo.spot_check import SUPERVISOR, run_spot_check, spot_check_date
from evaluator.evidence.measure import measured_leaves
from evaluator.services import auth, panel_staff, payment_applications
from evaluator.services import contracts as contract_svc
from evaluator.services import organisations as org_svc
from evaluator.services import rounds as round_svc
from evaluator.services import stations as station_svc
from evaluator.services import tranches as tranche_svc
from evaluator.services.actors import Actor, actor_for
from evaluator.services.completeness import decide_gap, round_gaps
from evaluator.services.panel import adjudicate
from evaluator.services.scoring import record_scores
from evaluator.services.systems import register_system
from evaluator.shipped import shipped_system
from evaluator.store.base import OrgKind, RegionLevel, Role, RoundKind
from evaluator.store.contracts import Contract
from evaluator.store.orgs import Organisation, User
from evaluator.store.rounds import Round

EVALUATION_AGENCY = "安平县明远社会服务评估中心"


@dataclass(frozen=True)
class DemoAccounts:
    """Demo users, one per role (passwords are set by `evaluator serve --demo`:
    ``demo_password(role)``, fixed and documented — for local demonstrations only)."""

    admin: str = "admin"
    bureau: str = "bureau"
    lead: str = "lead"
    evaluator: str = "evaluator"
    auditor: str = "auditor"
    supervisor: str = SUPERVISOR  # scores the supervisor's pool of the spot check
    # the city's and the province's civil-affairs officers (市民政局, 省民政厅): they read the
    # roll-up of their region (docs/rollups.md), nothing of a contract
    city: str = "city"
    province: str = "province"
    # an official of the first station's township government (乡镇人民政府/街道办事处): rates
    # its station for the purchaser in final and annual rounds, sees nothing else
    # (docs/decisions.md#the-township-rates-its-station-乡镇街道评价)
    township: str = "township"


@dataclass(frozen=True)
class LoadedDemo:
    created: bool
    rounds: list[Round]  # the mid-term rounds, approved
    story: list[str] = field(default_factory=list)  # what demo_story did, for the banner
    spot_check: Round | None = None  # open, every rater's part submitted (demo/spot_check.py)


async def load_demo(report: DemoReport) -> LoadedDemo:
    county = report.county
    codes = [c.code for c in county.contracts]
    existing = await Contract.filter(code__in=codes).values_list("id", flat=True)
    if existing:
        stored = Round.filter(contract_id__in=list(existing)).order_by("created_at")
        return LoadedDemo(
            False,
            await stored.filter(kind=RoundKind.MID_TERM),
            spot_check=await stored.filter(kind=RoundKind.SPOT_CHECK).first(),
        )
    system_actor = Actor.system()
    b = county.bureau
    province = await org_svc.ensure_region(b.province_code, b.province, RegionLevel.PROVINCE)
    city = await org_svc.ensure_region(b.city_code, b.city, RegionLevel.CITY, province)
    county_region = await org_svc.ensure_region(b.county_code, b.county, RegionLevel.COUNTY, city)
    bureau = await org_svc.create_organisation(
        system_actor, OrgKind.BUREAU, b.name, short_name="民政局", region=county_region
    )
    city_bureau = await org_svc.create_organisation(
        system_actor, OrgKind.BUREAU, f"{b.city}民政局", short_name="市民政局", region=city
    )
    province_bureau = await org_svc.create_organisation(
        system_actor, OrgKind.BUREAU, f"{b.province}民政厅", short_name="省民政厅", region=province
    )
    evaluators = await org_svc.create_organisation(
        system_actor,
        OrgKind.EVALUATION_AGENCY,
        EVALUATION_AGENCY,
        short_name="明远",
        region=county_region,
    )
    agencies: dict[str, Organisation] = {}
    for a in county.agencies:
        agencies[a.code] = await org_svc.create_organisation(
            system_actor,
            OrgKind.SERVICE_AGENCY,
            a.name,
            short_name=a.short_name,
            region=county_region,
            credit_code=a.uscc,
            grade=a.grade,
            credit_status=a.credit_status,
        )
    accounts = DemoAccounts()
    users = {
        accounts.admin: await _user(
            system_actor, accounts.admin, "管理员 Admin", bureau, Role.ADMIN
        ),
        accounts.bureau: await _user(
            system_actor,
            accounts.bureau,
            "民政局经办人 Bureau officer",
            bureau,
            Role.BUREAU_OFFICER,
        ),
        accounts.lead: await _user(
            system_actor, accounts.lead, "主评估员 Lead evaluator", evaluators, Role.LEAD_EVALUATOR
        ),
        accounts.evaluator: await _user(
            system_actor, accounts.evaluator, "评估员 Evaluator", evaluators, Role.EVALUATOR
        ),
        accounts.auditor: await _user(
            system_actor, accounts.auditor, "审计员 Auditor", bureau, Role.AUDITOR
        ),
        # the rest of the panel: one at times harsher, one more lenient
        HARSH: await _user(system_actor, HARSH, "评估员二 Evaluator 2", evaluators, Role.EVALUATOR),
        LENIENT: await _user(
            system_actor, LENIENT, "评估员三 Evaluator 3", evaluators, Role.EVALUATOR
        ),
        accounts.supervisor: await _user(
            system_actor, accounts.supervisor, "督导 Supervisor", evaluators, Role.EVALUATOR
        ),
        accounts.city: await _user(
            system_actor,
            accounts.city,
            "市民政局经办人 City officer",
            city_bureau,
            Role.BUREAU_OFFICER,
        ),
        accounts.province: await _user(
            system_actor,
            accounts.province,
            "省民政厅经办人 Provincial officer",
            province_bureau,
            Role.BUREAU_OFFICER,
        ),
    }
    agency_users = {}
    for i, a in enumerate(county.agencies, start=1):
        users[f"agency{i}"] = agency_users[a.code] = await _user(
            system_actor,
            f"agency{i}",
            f"{a.short_name} 机构用户 Agency user",
            agencies[a.code],
            Role.AGENCY_USER,
        )
    measured = set(measured_leaves(report.system))
    weak, story = cast(county)["weak"][0], []

    stations = {}
    for i, s in enumerate(county.stations, start=1):
        township = await org_svc.ensure_region(
            f"{b.county_code}{i:03d}", s.township, RegionLevel.TOWNSHIP, county_region
        )
        stations[s.code] = await station_svc.create_station(
            system_actor, bureau, s.code, s.name, township
        )
        if i == 1:  # the first station's township government and its official
            government = await org_svc.create_organisation(
                system_actor,
                OrgKind.TOWNSHIP,
                s.township + ("办事处" if s.township.endswith("街道") else "人民政府"),
                short_name=s.township,
                region=township,
            )
            users[accounts.township] = await _user(
                system_actor,
                accounts.township,
                "乡镇（街道）人员 Township official",
                government,
                Role.TOWNSHIP_OFFICIAL,
            )
    version = await register_system(
        system_actor,
        shipped_system("station-annual").read_text(encoding="utf-8"),
        "station-annual.yaml",
    )

    bureau_actor = await actor_for(users[accounts.bureau])
    lead_actor = await actor_for(users[accounts.lead])
    evaluator_actor = await actor_for(users[accounts.evaluator])
    rounds = []
    for c in county.contracts:
        terms = [
            contract_svc.StationTerms(stations[t.station], t.contract_targets()) for t in c.targets
        ]
        contract = await contract_svc.create_contract(
            bureau_actor,
            code=c.code,
            buyer=bureau,
            agency=agencies[c.agency],
            period_start=c.start,
            period_end=c.end,
            amount_fen=c.amount_fen,
            stations=terms,
            title=f"{agencies[c.agency].name} 社工站服务项目",
            schedule=demo_schedule(county, c),
            report_schedule=None if c.report_schedule is None else list(c.report_schedule),
        )
        as_of = round_date(c, report.elapsed)
        agency_actor = await actor_for(agency_users[c.agency])
        if applies_for_payment(county, c):  # the agency applies in writing with its vouchers
            with clock.pinned(application_day(c)):
                await payment_applications.apply(
                    agency_actor,
                    contract.id,
                    "T1",
                    [dict(v) for v in APPLICATION_VOUCHERS],
                    "首期款拨付申请，凭证随附",
                )
        with clock.pinned(first_release(c)):  # the demo's history: T1 paid when it fell due
            await tranche_svc.release(bureau_actor, contract.id, "T1")
        round_ = await round_svc.create_round(
            bureau_actor,
            contract=contract,
            evaluation_agency=evaluators,
            kind=RoundKind.MID_TERM,
            system=version,
            as_of=as_of,
            elapsed=report.elapsed,
        )
        await panel_staff.assign(system_actor, round_, users[accounts.lead], Role.LEAD_EVALUATOR)
        await panel_staff.assign(system_actor, round_, users[accounts.evaluator], Role.EVALUATOR)
        for rater in (HARSH, LENIENT):
            await panel_staff.assign(system_actor, round_, users[rater], Role.EVALUATOR)
        round_ = await round_svc.open_round(lead_actor, round_, round_.version)
        await import_registers(
            round_.id, report.registers[c.code], agency_actor, evaluator_actor, c.code
        )
        rows = report.inputs[
            report.inputs["unit"].isin(c.stations) & ~report.inputs["leaf"].isin(measured)
        ]
        rows = rows[
            [col for col in ("unit", "leaf", "item", "value", "target", "n") if col in rows]
        ].reset_index(drop=True)
        await record_scores(evaluator_actor, round_.id, rows)
        harsh, lenient = (panel_rows(report.system, rows, who) for who in (HARSH, LENIENT))
        wide = wide_disagreement(report.system, rows) if not rounds else None
        if wide is not None:  # the first round: one slot the lenient rater sees two levels up
            lenient.loc[wide[0], "value"] = wide[1]
        await record_scores(await actor_for(users[HARSH]), round_.id, harsh)
        await record_scores(await actor_for(users[LENIENT]), round_.id, lenient)
        if wide is not None:
            slot = rows.loc[wide[0]]
            await adjudicate(
                lead_actor,
                round_.id,
                slot["unit"],
                slot["leaf"],
                "" if pd.isna(slot.get("item")) else str(slot.get("item") or ""),
                float(slot["value"]),
                "现场复核佐证后取评估员的等级 the evidence seen again on site supports the evaluator's level",
            )
        teller = weak in c.stations  # the weak station's contract tells the story
        if teller:
            story += await demo_story.before_submission(
                round_, report.registers[c.code], agency_actor, lead_actor
            )
        for gap in await round_gaps(round_):  # the lead accepts what the visit could not find
            await decide_gap(
                lead_actor,
                round_.id,
                gap.unit,
                gap.leaf,
                "accepted_missing",
                "现场评估时未取得该项佐证材料 no evidence could be found at the visit",
            )
        round_ = await round_svc.submit_round(lead_actor, round_, round_.version)
        with clock.pinned(as_of):  # … and each mid-term round approved on its date
            await round_svc.approve_round(bureau_actor, round_, round_.version)
        if teller:
            story += await demo_story.after_approval(round_, weak, agency_actor, lead_actor)
        rounds.append(await Round.get(id=round_.id))
    first = county.contracts[0]
    spot_check = await run_spot_check(
        county=county,
        contract=await Contract.get(code=first.code),
        evaluation_agency=evaluators,
        users=users,
        registers=report.registers[first.code],
        agency=await actor_for(agency_users[first.agency]),
        bureau=bureau_actor,
        lead=lead_actor,
        seed=report.seed,
        elapsed=report.elapsed,
        on=spot_check_date(first, report.elapsed),
    )
    return LoadedDemo(True, rounds, story, spot_check)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


def demo_password(role: str) -> str:
    """The documented password of a demo account: ``demo-<role>-2026``."""
    return f"demo-{role}-2026"


async def demo_logins() -> list[DemoLogin]:
    """Give every demo account its documented password (only where it does not already
    verify, so restarting the demo neither rewrites hashes nor ends sessions).
    One line per account: admin, bureau, city, province, lead, evaluator, auditor,
    supervisor, township, evaluator2,
    evaluator3 (the evaluator's password), agency1, agency2 …"""
    accounts = DemoAccounts()
    wanted = [
        (role, getattr(accounts, role))
        for role in (
            "admin",
            "bureau",
            "city",
            "province",
            "lead",
            "evaluator",
            "auditor",
            "supervisor",
            "township",
        )
    ]
    wanted += [("evaluator", HARSH), ("evaluator", LENIENT)]  # the rest of the panel
    agencies = (
        await User.filter(username__startswith="agency")
        .order_by("username")
        .values_list("username", flat=True)
    )
    wanted += [("agency", name) for name in agencies if name[len("agency") :].isdigit()]
    users = {u.username: u for u in await User.filter(username__in=[name for _, name in wanted])}
    logins = [DemoLogin(role, name, demo_password(role)) for role, name in wanted if name in users]

    async def ensure(login: DemoLogin) -> None:
        if not await auth.verify_password(users[login.username].password_hash, login.password):
            await auth.set_password(Actor.system(), login.username, login.password)

    await asyncio.gather(*(ensure(login) for login in logins))
    return logins


async def _user(actor: Actor, username: str, display: str, org: Organisation, role: Role) -> User:
    """A demo user with one role (admin and auditor roles are global whatever the org)."""
    user = await org_svc.create_user(actor, username, display)
    await org_svc.grant(actor, user, org, role)
    return user
