"""The authorisation matrix: every route of the app × every role, the expected status.

Read the table as the access policy. Columns are the callers; a row is one request to a
route (a route may have several rows, e.g. on an open and on an approved round):

- admin        an administrator
- bureau       an officer of the bureau that bought both contracts
- o_bureau     an officer of another county's bureau
- lead, eval   the lead evaluator and an evaluator assigned to the rounds
- outsider     an evaluator of the same evaluation agency, assigned to nothing
- agency       a user of agency A (the agency of the target contract and rounds)
- o_agency     a user of agency B (another agency)
- auditor      an auditor
- township     an official of the government of ST01's township, on an open final round of
               contract A for the purchaser (docs/decisions.md): sees nothing of the rows' objects
- anon         no token

201/200/204 success · 403 may see it but not do this · 404 may not even see it (existence
is never revealed) · 401 not signed in. Writes get a fresh target for every caller, so
the order of the columns does not matter.

``test_every_route_has_a_row`` fails when a route is added without a row here.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from api_fixtures import (
    FAST_HASHER,
    PASSWORD,
    Api,
    World,
    app_name,
    approved_with_evidence,
    fresh_round,
    sign_in_everyone,
    upload,
)
from services.test_townships import township_official, year_end
from services.workflow_fixtures import SYSTEM, build_county, settle_gaps

from evaluator.server import create_app
from evaluator.services import (
    appeals,
    auth,
    citations,
    panel_staff,
    payment_applications,
    register_versions,
)
from evaluator.services import contracts as cs
from evaluator.services import rounds as rs
from evaluator.services import stations as station_svc
from evaluator.services.actors import Actor
from evaluator.store.base import Role, RoundKind
from evaluator.store.decisions import Finding
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import Round

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROLES = [
    "admin",
    "bureau",
    "o_bureau",
    "lead",
    "eval",
    "outsider",
    "agency",
    "o_agency",
    "auditor",
    "township",
    "anon",
]
USERS = {
    "o_bureau": "other_bureau",
    "eval": "evaluator",
    "agency": "agency_a",
    "o_agency": "agency_b",
}


@dataclass
class Matrix:
    api: Api
    world: World
    ids: dict[str, Any] = field(default_factory=dict)

    def token(self, role: str) -> str | None:
        return None if role == "anon" else self.world.tokens[USERS.get(role, role)]


@dataclass
class Call:
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    token: str | None = "role"  # "role": the caller's own token
    query: dict[str, str] = field(default_factory=dict)


Make = Callable[[Matrix, str], Awaitable[Call]]


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    expect: dict[str, int]
    make: Make
    note: str

    @property
    def id(self) -> str:
        return f"{self.method} {self.route} {self.note}".strip()


def row(method: str, route: str, statuses: str, make: Make | None = None, note: str = "") -> Row:
    codes = statuses.split()
    assert len(codes) == len(ROLES), (route, codes)
    return Row(
        method,
        route,
        dict(zip(ROLES, map(int, codes), strict=True)),
        make or (lambda m, r: _call()),
        note,
    )


async def _call(**kw) -> Call:
    return Call(**kw)


def ids(**names: str) -> Make:
    """Path parameters from the matrix's fixed objects (e.g. round_id="round_a")."""
    return lambda m, role: _call(params={k: m.ids[v] for k, v in names.items()})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# -- requests that need a fresh target or body per caller ---------------------------------
async def login_body(m: Matrix, role: str) -> Call:
    return Call(json={"username": "evaluator2", "password": PASSWORD})


async def own_fresh_token(m: Matrix, role: str) -> Call:
    if role == "anon":
        return Call(token=None)
    return Call(token=(await auth.login(USERS.get(role, role), PASSWORD, "192.0.2.9")).token)


async def new_organisation(m: Matrix, role: str) -> Call:
    return Call(json={"kind": "service_agency", "name": unique("新机构")})


async def new_station(m: Matrix, role: str) -> Call:
    return Call(json={"bureau": str(m.ids["bureau"]), "code": unique("ST"), "name": "新站"})


async def fresh_station(m: Matrix):
    """A station of the bureau on no contract yet (one station, one agency at a time)."""
    c = m.world.county
    return await station_svc.create_station(c.admin, c.bureau, unique("ST"), "新站")


async def new_contract(m: Matrix, role: str) -> Call:
    station = await fresh_station(m)
    return Call(
        json={
            "code": unique("C"),
            "buyer": str(m.ids["bureau"]),
            "agency": str(m.ids["agency_a"]),
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
            "amount_fen": 10_000_000,
            "stations": [{"station": str(station.id), "targets": {"cases": 10}}],
        }
    )


async def new_system(m: Matrix, role: str) -> Call:
    return Call(content=SYSTEM.encode(), headers={"Content-Type": "text/yaml"})


async def new_round(m: Matrix, role: str) -> Call:
    return Call(
        json={
            "contract": str(m.ids["contract_a"]),
            "evaluation_agency": str(m.ids["evaluators"]),
            "system": str(m.ids["system"]),
            "kind": "final",
            "as_of": "2026-12-15",
        }
    )


def transition(state: str, reason: str = "") -> Make:
    async def make(m: Matrix, role: str) -> Call:
        r = await fresh_round(m.world, state)
        if state == "open":  # complete, so that the gate does not stand in the way
            await settle_gaps(r, m.world.actors["lead"])
        return Call(params={"round_id": r.id}, json={"version": r.version, "reason": reason})

    return make


async def gap_body(m: Matrix, role: str) -> Call:
    r = await fresh_round(m.world, "open")
    return Call(
        params={"round_id": r.id},
        json={"unit": "ST01", "leaf": "L10", "decision": "not_applicable", "reason": "无此服务"},
    )


async def spot_check_body(m: Matrix, role: str) -> Call:
    body = {"contract_code": "C-A", "evaluation_agency": str(m.ids["evaluators"]),
            "system": str(m.ids["system"]), "as_of": "2026-11-20"}  # fmt: skip
    return Call(json=body)


async def declaration_body(m: Matrix, role: str) -> Call:
    """Anyone signed in declares their own tie; with a bureau, which no round evaluates, so
    that the other rows' rounds are untouched."""
    return Call(json={"organisation": str(m.ids["bureau"]), "kind": "past_contract"})


async def fresh_open_round(m: Matrix, role: str) -> Call:
    """A new open round (lead and evaluator assigned): the evaluator submits their part once."""
    r = await fresh_round(m.world, "open")
    return Call(params={"round_id": r.id}, json={})


async def a_submitted_part(m: Matrix, role: str) -> Call:
    """A new open round whose evaluator submitted their part: the lead reopens it."""

    r = await fresh_round(m.world, "open")
    await panel_staff.submit_part(m.world.actors["evaluator"], r.id)
    return Call(params={"round_id": r.id, "username": "evaluator"}, json={"reason": "补评"})


async def a_rater(m: Matrix, role: str) -> Call:
    return Call(params={"username": "evaluator"})


async def junk_workbook(m: Matrix, role: str) -> Call:
    """Not a workbook: raters reach the file check (422); others are refused first."""
    return Call(
        params={"round_id": m.ids["round_a"]},
        content=b"not a workbook",
        headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )


async def adjudication_body(m: Matrix, role: str) -> Call:
    """An open round whose two raters are three levels apart on nothing bounded: the lead
    and an administrator reach the service's check (422: no such disagreement)."""
    r = await fresh_round(m.world, "open")
    return Call(
        params={"round_id": r.id},
        json={"unit": "ST01", "leaf": "L10", "value": 1, "reason": "复核"},
    )


async def round_with_lead_only(m: Matrix, role: str) -> Call:
    r = await fresh_round(m.world, "open", assign=("lead",))
    return Call(params={"round_id": r.id}, json={"username": "evaluator", "role": "evaluator"})


async def score_body(m: Matrix, role: str) -> Call:
    return Call(
        params={"round_id": m.ids["round_a"], "unit": "ST01", "leaf": "L10"}, json={"value": 5}
    )


async def evidence_file(m: Matrix, role: str) -> Call:
    return Call(
        params={"round_id": m.ids["round_a"]},
        content=b"%PDF-1.4 evidence",
        headers={"Content-Type": "application/pdf", "X-Filename": "report.pdf"},
    )


async def fresh_evidence(m: Matrix, role: str) -> Call:
    record = await upload(m.world, m.ids["round_a"])
    return Call(
        params={"evidence_id": record.id}, json={"status": "accepted", "version": record.version}
    )


async def register_file(m: Matrix, role: str) -> Call:
    text = f"志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\nV-{role},ST01,是,3\n"
    return Call(
        params={"round_id": m.ids["round_a"], "kind": "volunteers"},
        content=text.encode("utf-8"),
        headers={"Content-Type": "text/csv", "X-Filename": "volunteers.csv"},
    )


async def survey_file(m: Matrix, role: str) -> Call:
    text = f"站点编码,问卷编号,受访者类型,调查方式,总体满意度\nST01,Q-{role},服务对象,电话,4\n"
    return Call(
        params={"round_id": m.ids["round_a"], "kind": "satisfaction"},
        content=text.encode("utf-8"),
        headers={"Content-Type": "text/csv", "X-Filename": "survey.csv"},
    )


async def pending_replacement(m: Matrix, role: str) -> Call:
    """A fresh round with a register in force and a replacement waiting for the lead."""
    r = await fresh_round(m.world, "open")
    common = {
        "round_id": r.id,
        "kind": "volunteers",
        "original_name": "volunteers.csv",
        "size": 1,
        "rows": 1,
        "metrics": {},
        "period_start": dt.date(2026, 1, 1),
        "period_end": r.as_of,
    }
    old = await RegisterImport.create(**common, sha256="a" * 64, in_force_key=f"{r.id}:volunteers")
    new = await RegisterImport.create(
        **common, sha256="b" * 64, state="pending", active=False, replaces_id=old.id
    )
    return Call(
        params={"round_id": r.id, "kind": "volunteers", "import_id": new.id},
        json={"reason": "与原始名册核对 checked"},
    )


def finding_register(kind: str) -> Make:
    """A corrected register (new content per caller) against a fresh open finding."""

    async def make(m: Matrix, role: str) -> Call:
        f = await fresh_finding("correction", m)
        if kind == "satisfaction":
            text = (
                f"站点编码,问卷编号,受访者类型,调查方式,总体满意度\nST01,Q-{role},服务对象,电话,4\n"
            )
        else:
            text = f"志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\nV-{role},ST01,是,3\n"
        return Call(
            params={"finding_id": f.id, "kind": kind},
            content=text.encode("utf-8"),
            headers={"Content-Type": "text/csv", "X-Filename": f"{kind}.csv"},
        )

    return make


async def carried_register(m: Matrix, role: str) -> Call:
    """A corrected register kept with a fresh finding, and a later open round to carry it to."""
    c = m.world.county
    f = await fresh_finding("correction", m)
    text = f"志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\nV-{role},ST01,是,3\n"
    kept = await register_versions.rectification_upload(
        m.world.actors["agency_a"], f.id, "volunteers", text.encode(), name="volunteers.csv"
    )
    later = await rs.create_round(
        m.world.actors["bureau"],
        contract=c.contract_a,
        evaluation_agency=c.evaluators,
        kind=RoundKind.FINAL,
        system=await c.round_a.system,
        as_of=dt.date(2026, 12, 31),
    )
    for name, rater in (("lead", Role.LEAD_EVALUATOR), ("evaluator", Role.EVALUATOR)):
        await panel_staff.assign(Actor.system(), later, c.users[name], rater)
    await rs.open_round(Actor.system(), later, later.version)
    return Call(
        params={"finding_id": f.id, "import_id": kept.record.id}, json={"round": str(later.id)}
    )


async def citation_body(m: Matrix, role: str) -> Call:
    record = await upload(m.world, m.ids["round_a"], data=f"for {role}".encode())
    return Call(
        params={"round_id": m.ids["round_a"]},
        json={"unit": "ST01", "leaf": "L10", "evidence": str(record.id)},
    )


async def fresh_citation(m: Matrix, role: str) -> Call:
    record = await upload(m.world, m.ids["round_a"], data=f"cited for {role}".encode())
    cited, _ = await citations.cite(
        m.world.actors["evaluator"], m.ids["round_a"], "ST01", "L10", record.id
    )
    return Call(
        params={"citation_id": cited.id}, json={"status": "accepted", "version": cited.version}
    )


async def fresh_finding(severity: str, m: Matrix) -> Finding:
    return await Finding.create(
        round_id=m.ids["approved"],
        unit="ST01",
        rule=unique("R"),
        severity=severity,
        opened_on=dt.date(2026, 11, 2),
        deadline=dt.date(2026, 12, 31) if severity == "correction" else None,
        causes=[],
        explanation_en="x",
        explanation_zh="x",
    )


async def acknowledge(m: Matrix, role: str) -> Call:
    f = await fresh_finding("observation", m)
    return Call(params={"finding_id": f.id}, json={"action": "acknowledge", "version": 1})


async def submit_plan(m: Matrix, role: str) -> Call:
    f = await fresh_finding("correction", m)
    return Call(
        params={"finding_id": f.id},
        json={"action": "submit_plan", "plan": "整改计划", "version": 1},
    )


async def override_deadline(m: Matrix, role: str) -> Call:
    f = await Finding.create(
        round_id=m.ids["approved"],
        unit="ST01",
        rule=unique("R"),
        severity="correction",
        opened_on=dt.date(2026, 11, 2),
        deadline=dt.date(2026, 11, 23),
        deadline_working_days=15,
        causes=[],
        explanation_en="x",
        explanation_zh="x",
    )
    return Call(
        params={"finding_id": f.id},
        json={"deadline": "2027-01-15", "reason": "疫情封控，站点停工", "version": 1},
    )


async def accept_recommendation(m: Matrix, role: str) -> Call:
    r = await fresh_round(m.world, "approved")
    return Call(params={"round_id": r.id}, json={"accept": True, "version": 1})


async def _fresh_contract(m: Matrix, **terms):
    """A fresh contract of agency A (signed 1 Jan 2026) with one fresh station."""
    c = m.world.county
    return await cs.create_contract(
        m.world.actors["bureau"],
        code=unique("C"),
        buyer=c.bureau,
        agency=c.agency_a,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        amount_fen=1_000_001,
        stations=[cs.StationTerms(await fresh_station(m), {})],
        **terms,
    )


async def release_first_tranche(m: Matrix, role: str) -> Call:
    return Call(params={"contract_id": (await _fresh_contract(m)).id, "code": "T1"})


INVOICE = [{"kind": "invoice", "reference": "增值税发票 No. 00120931"}]


async def on_application_contract(m: Matrix):
    """A fresh contract whose T1 counts from the application."""
    application = {"code": "T1", "share_bp": 10_000, "trigger": "signed", "due_from": "application"}
    return await _fresh_contract(m, schedule=[application])


async def apply_body(m: Matrix, role: str) -> Call:
    contract = await on_application_contract(m)
    return Call(params={"contract_id": contract.id, "code": "T1"}, json={"vouchers": INVOICE})


async def fresh_application(m: Matrix, role: str) -> Call:
    contract = await on_application_contract(m)
    found = await payment_applications.apply(m.world.actors["agency_a"], contract.id, "T1", INVOICE)
    return Call(params={"application_id": found.id}, json={"reason": "缺少人员名册"})


async def fresh_application_bare(m: Matrix, role: str) -> Call:
    return replace(await fresh_application(m, role), json=None)


async def set_report_schedule(m: Matrix, role: str) -> Call:
    """A fresh contract of agency A (no report log read against its schedule yet)."""
    contract = await _fresh_contract(m)
    return Call(
        params={"contract_id": contract.id},
        json={"report_schedule": [{"kind": "quarterly", "due_days": 15}]},
    )


async def handover_body(m: Matrix, role: str) -> Call:
    """A fresh station under a fresh contract of agency A, handed to a fresh one of B."""
    c = m.world.county
    station = await fresh_station(m)
    contracts = [
        await cs.create_contract(
            m.world.actors["bureau"],
            code=unique("C"),
            buyer=c.bureau,
            agency=agency,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 12, 31),
            amount_fen=1_000_000,
            stations=[cs.StationTerms(station, {})] if agency is c.agency_a else [],
        )
        for agency in (c.agency_a, c.agency_b)
    ]
    return Call(
        params={"station_id": station.id},
        json={"contract": str(contracts[1].id), "on": "2026-09-01", "targets": {"cases": 5}},
    )


async def extend_appeal_window(m: Matrix, role: str) -> Call:
    r = await fresh_round(m.world, "approved")
    until = (await Round.get(id=r.id)).appeal_until + dt.timedelta(days=30)
    return Call(params={"round_id": r.id}, json={"until": until.isoformat(), "reason": "暴雨停工"})


async def calendar_file(m: Matrix, role: str) -> Call:
    text = (
        "year: 2098\n"
        "source: {zh: 测试通知, en: Test notice}\n"
        f"version: {unique(role)}\n"  # new content each time: 201, never 200 unchanged
        "holidays:\n"
        "  - {holiday: national_day, from: 2098-10-01, to: 2098-10-07}\n"
    )
    return Call(
        content=text.encode(), headers={"Content-Type": "text/yaml", "X-Filename": "2098.yaml"}
    )


async def appeal_body(m: Matrix, role: str) -> Call:
    return Call(
        params={"round_id": m.ids["approved"]},
        json={"unit": "ST01", "leaves": ["L00"], "reason": "漏计"},
    )


async def fresh_appeal(m: Matrix, role: str) -> Call:
    a = await appeals.submit_appeal(
        m.world.actors["agency_a"], m.ids["approved"], "ST01", ["L00"], "漏计"
    )
    return Call(
        params={"appeal_id": a.id}, json={"uphold": False, "answer": "原评分有据", "version": 1}
    )


async def township_on_a_final_round(world: World) -> None:
    """The official of ST01's township, on an open final round of contract A for the
    purchaser: whatever they may do there, they see none of the rows' objects."""
    c = world.county
    world.actors["township"] = await township_official(c)
    final = await year_end(c)
    await panel_staff.assign_user(
        world.actors["lead"], final.id, "township", Role.EVALUATOR, "purchaser"
    )
    await auth.set_password(Actor.system(), "township", PASSWORD)
    world.tokens["township"] = (await auth.login("township", PASSWORD, "198.51.100.1")).token


# -- the policy -----------------------------------------------------------------------------
V = "/api/v1"
# fmt: off
ROWS = [
    #                                                               admin bureau o_bureau lead eval outsider agency o_agency auditor township anon
    row("POST", f"{V}/auth/login",                                  "200 200 200 200 200 200 200 200 200 200 200", login_body),
    row("POST", f"{V}/auth/logout",                                 "204 204 204 204 204 204 204 204 204 204 401", own_fresh_token),
    row("GET", f"{V}/auth/me",                                      "200 200 200 200 200 200 200 200 200 200 401"),
    row("GET", f"{V}/organisations",                                "200 200 200 200 200 200 200 200 200 200 401"),
    row("POST", f"{V}/organisations",                               "201 403 403 403 403 403 403 403 403 403 401", new_organisation),
    row("GET", f"{V}/organisations/<organisation_id:uuid>",         "200 200 200 200 200 404 200 404 200 404 401", ids(organisation_id="agency_a")),
    row("GET", f"{V}/stations",                                     "200 200 200 200 200 200 200 200 200 200 401"),
    row("POST", f"{V}/stations",                                    "201 201 404 403 403 404 403 403 403 404 401", new_station),
    row("GET", f"{V}/stations/<station_id:uuid>",                   "200 200 404 200 200 404 200 404 200 200 401", ids(station_id="st01")),
    row("POST", f"{V}/stations/<station_id:uuid>/handover",         "201 201 404 404 404 404 404 404 403 404 401", handover_body),
    row("GET", f"{V}/stations/<station_id:uuid>/scorecard",         "200 200 404 200 200 404 200 404 200 404 401", ids(station_id="st01"),
        "(latest approved round)"),
    row("GET", f"{V}/contracts",                                    "200 200 200 200 200 200 200 200 200 200 401"),
    row("POST", f"{V}/contracts",                                   "201 201 404 404 404 404 404 404 403 404 401", new_contract,
        "(a station on no contract: only its bureau sees it)"),
    row("GET", f"{V}/contracts/<contract_id:uuid>",                 "200 200 404 200 200 404 200 404 200 404 401", ids(contract_id="contract_a")),
    row("PUT", f"{V}/contracts/<contract_id:uuid>/report-schedule", "200 200 404 404 404 404 403 404 403 404 401", set_report_schedule,
        "(a new contract: the agency sees it, never sets it)"),
    row("GET", f"{V}/systems",                                      "200 200 200 200 200 200 200 200 200 200 401"),
    row("POST", f"{V}/systems",                                     "201 201 201 201 403 403 403 403 403 403 401", new_system),
    row("GET", f"{V}/systems/<system_id:uuid>",                     "200 200 200 200 200 200 200 200 200 200 401", ids(system_id="system")),
    row("GET", f"{V}/rounds",                                       "200 200 200 200 200 200 200 200 200 200 401"),
    row("POST", f"{V}/rounds",                                      "201 201 404 403 403 404 403 404 403 404 401", new_round),
    row("GET", f"{V}/rounds/<round_id:uuid>",                       "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="round_a")),
    row("GET", f"{V}/rounds/<round_id:uuid>/gaps",                  "200 200 404 200 200 404 403 404 200 404 401", ids(round_id="round_a")),
    row("POST", f"{V}/rounds/<round_id:uuid>/gaps",                 "200 403 404 200 403 404 403 404 403 404 401", gap_body),
    row("POST", f"{V}/rounds/<round_id:uuid>/open",                 "200 403 404 200 403 404 403 404 403 404 401", transition("draft")),
    row("POST", f"{V}/rounds/<round_id:uuid>/submit",               "200 403 404 200 403 404 403 404 403 404 401", transition("open")),
    row("POST", f"{V}/rounds/<round_id:uuid>/return",               "200 200 404 403 403 404 403 404 403 404 401", transition("submitted", "补充台账")),
    row("POST", f"{V}/rounds/<round_id:uuid>/approve",              "200 200 404 403 403 404 403 404 403 404 401", transition("submitted")),
    row("POST", f"{V}/rounds/<round_id:uuid>/reopen",               "200 200 404 403 403 404 403 404 403 404 401", transition("approved", "申诉复核")),
    row("POST", f"{V}/rounds/<round_id:uuid>/assignments",          "201 403 404 201 404 404 403 404 403 404 401", round_with_lead_only,
        "(round assigned to its lead only)"),
    row("GET", f"{V}/rounds/<round_id:uuid>/scores",                "200 200 404 200 200 404 403 404 200 404 401", ids(round_id="round_a"), "(open: blind for the agency)"),
    row("GET", f"{V}/rounds/<round_id:uuid>/scores",                "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="approved"), "(approved)"),
    row("PUT", f"{V}/rounds/<round_id:uuid>/scores/<unit:str>/<leaf:str>",  "403 403 404 201 201 404 403 404 403 404 401", score_body),
    row("POST", f"{V}/rounds/<round_id:uuid>/evidence",             "201 403 404 201 201 404 201 404 403 404 401", evidence_file),
    row("GET", f"{V}/evidence",                                     "200 200 200 200 200 200 200 200 200 200 401"),
    row("GET", f"{V}/evidence/<evidence_id:uuid>",                  "200 200 404 200 200 404 404 404 200 404 401", ids(evidence_id="evidence_open"),
        "(open round: not yet for the agency)"),
    row("GET", f"{V}/evidence/<evidence_id:uuid>",                  "200 200 404 200 200 404 200 404 200 404 401", ids(evidence_id="evidence_approved"), "(approved)"),
    row("GET", f"{V}/evidence/<evidence_id:uuid>/content",          "200 200 404 200 200 404 200 404 200 404 401", ids(evidence_id="evidence_approved"), "(approved)"),
    row("POST", f"{V}/evidence/<evidence_id:uuid>/review",          "200 403 404 200 200 404 403 404 403 404 401", fresh_evidence),
    row("POST", f"{V}/rounds/<round_id:uuid>/registers/<kind:str>", "201 403 404 201 201 404 201 404 403 404 401", register_file),
    row("POST", f"{V}/rounds/<round_id:uuid>/registers/<kind:str>", "201 403 404 201 201 404 403 404 403 404 401", survey_file,
        "(the evaluator's survey: never the agency)"),
    row("POST", f"{V}/rounds/<round_id:uuid>/registers/<kind:str>/<import_id:uuid>/accept",
        "200 403 404 200 403 404 403 404 403 404 401", pending_replacement),
    row("POST", f"{V}/rounds/<round_id:uuid>/registers/<kind:str>/<import_id:uuid>/reject",
        "200 403 404 200 403 404 403 404 403 404 401", pending_replacement),
    row("GET", f"{V}/rounds/<round_id:uuid>/registers",             "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="round_a")),
    row("GET", f"{V}/rounds/<round_id:uuid>/metrics",               "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="round_a"),
        "(the agency's own registers)"),
    row("POST", f"{V}/rounds/<round_id:uuid>/citations",            "201 403 404 201 201 404 201 404 403 404 401", citation_body),
    row("GET", f"{V}/rounds/<round_id:uuid>/citations",             "200 200 404 200 200 404 403 404 200 404 401", ids(round_id="round_a"),
        "(open: reviews not yet for the agency)"),
    row("GET", f"{V}/rounds/<round_id:uuid>/citations",             "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="approved"), "(approved)"),
    row("POST", f"{V}/citations/<citation_id:uuid>/review",         "200 403 404 200 200 404 403 404 403 404 401", fresh_citation),
    row("GET", f"{V}/rounds/<round_id:uuid>/stations/<station_id:uuid>/scorecard",
        "200 200 404 200 403 404 403 404 200 404 401", ids(round_id="round_a", station_id="st01"), "(open: blind for the agency and the panel)"),
    row("GET", f"{V}/rounds/<round_id:uuid>/stations/<station_id:uuid>/scorecard",
        "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="approved", station_id="st01"), "(approved)"),
    row("GET", f"{V}/rounds/<round_id:uuid>/agency-scorecard",      "200 200 404 200 403 404 403 404 200 404 401", ids(round_id="round_a"), "(open: the panel is blind)"),
    row("GET", f"{V}/rounds/<round_id:uuid>/agency-scorecard",      "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="approved"), "(approved)"),
    row("GET", f"{V}/rounds/<round_id:uuid>/summary",               "200 200 404 200 403 404 403 404 200 404 401", ids(round_id="round_a"), "(open: the panel is blind)"),
    row("GET", f"{V}/rounds/<round_id:uuid>/summary",               "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="approved"), "(approved)"),
    row("GET", f"{V}/findings",                                     "200 200 200 200 200 200 200 200 200 200 401"),
    row("GET", f"{V}/findings/<finding_id:uuid>",                   "200 200 404 200 200 404 200 404 200 404 401", ids(finding_id="finding")),
    row("POST", f"{V}/findings/<finding_id:uuid>/actions",          "200 403 404 200 200 404 403 404 403 404 401", acknowledge, "(an evaluator's action)"),
    row("POST", f"{V}/findings/<finding_id:uuid>/actions",          "200 403 404 403 403 404 200 404 403 404 401", submit_plan, "(the agency's action)"),
    row("POST", f"{V}/findings/<finding_id:uuid>/registers/<kind:str>",
        "201 403 404 201 201 404 201 404 403 404 401", finding_register("volunteers"), "(rectification evidence)"),
    row("POST", f"{V}/findings/<finding_id:uuid>/registers/<kind:str>",
        "201 403 404 201 201 404 403 404 403 404 401", finding_register("satisfaction"), "(the evaluator's survey)"),
    row("GET", f"{V}/findings/<finding_id:uuid>/registers",         "200 200 404 200 200 404 200 404 200 404 401", ids(finding_id="finding")),
    row("POST", f"{V}/findings/<finding_id:uuid>/registers/<import_id:uuid>/carry",
        "201 403 404 201 201 404 201 404 403 404 401", carried_register, "(into a later round)"),
    row("POST", f"{V}/findings/<finding_id:uuid>/deadline",         "200 200 404 403 403 404 403 404 403 404 401", override_deadline),
    row("GET", f"{V}/rounds/<round_id:uuid>/decision",              "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="approved")),
    row("POST", f"{V}/rounds/<round_id:uuid>/decision",             "200 200 404 403 403 404 403 404 403 404 401", accept_recommendation),
    row("GET", f"{V}/contracts/<contract_id:uuid>/tranches",        "200 200 404 200 200 404 200 404 200 404 401", ids(contract_id="contract_a")),
    row("POST", f"{V}/contracts/<contract_id:uuid>/tranches/<code:str>/release",
        "201 201 404 404 404 404 403 404 403 404 401", release_first_tranche, "(a new contract: no rounds yet)"),
    row("POST", f"{V}/contracts/<contract_id:uuid>/tranches/<code:str>/applications",
        "403 403 404 404 404 404 201 404 403 404 401", apply_body, "(only the contract's agency applies)"),
    row("GET", f"{V}/contracts/<contract_id:uuid>/payment-applications",
        "200 200 404 200 200 404 200 404 200 404 401", ids(contract_id="contract_a")),
    row("POST", f"{V}/payment-applications/<application_id:uuid>/withdraw",
        "403 403 404 404 404 404 200 404 403 404 401", fresh_application_bare),
    row("POST", f"{V}/payment-applications/<application_id:uuid>/return",
        "200 200 404 404 404 404 403 404 403 404 401", fresh_application),
    row("POST", f"{V}/rounds/<round_id:uuid>/appeal-window",        "200 200 404 403 403 404 403 404 403 404 401", extend_appeal_window),
    row("POST", f"{V}/rounds/<round_id:uuid>/appeals",              "201 403 404 403 403 404 201 404 403 404 401", appeal_body),
    row("GET", f"{V}/rounds/<round_id:uuid>/appeals",               "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="approved")),
    row("POST", f"{V}/appeals/<appeal_id:uuid>/decision",           "200 403 404 200 403 404 403 404 403 404 401", fresh_appeal),
    row("GET", f"{V}/declarations",                                 "200 200 200 200 200 200 200 200 200 200 401"),
    row("POST", f"{V}/declarations",                                "201 201 201 201 201 201 201 201 201 201 401", declaration_body),
    row("GET", f"{V}/systems/<system_id:uuid>/reliability",         "200 200 200 200 200 200 200 200 200 200 401", ids(system_id="system"),
        "(pooled over the rounds one may see: none for most)"),
    row("GET", f"{V}/users/<username:str>/severity",                "200 200 200 200 200 200 200 200 200 200 401", a_rater),
    row("POST", f"{V}/rounds/<round_id:uuid>/my-part",              "403 403 404 403 200 404 403 404 403 404 401", fresh_open_round),
    row("POST", f"{V}/rounds/<round_id:uuid>/assignments/<username:str>/reopen", "204 403 404 204 403 404 403 404 403 404 401", a_submitted_part),
    row("GET", f"{V}/rounds/<round_id:uuid>/workbook",              "403 403 404 200 200 404 403 404 403 404 401", ids(round_id="round_a")),
    row("POST", f"{V}/rounds/<round_id:uuid>/workbook",             "403 403 404 422 422 404 403 404 403 404 401", junk_workbook),
    row("GET", f"{V}/rounds/<round_id:uuid>/disagreements",         "200 403 404 200 403 404 403 404 200 404 401", ids(round_id="round_a")),
    row("POST", f"{V}/rounds/<round_id:uuid>/adjudications",        "422 403 404 422 403 404 403 404 403 404 401", adjudication_body),
    row("GET", f"{V}/rounds/<round_id:uuid>/reliability",           "200 200 404 200 403 404 403 404 200 404 401", ids(round_id="round_a")),
    row("GET", f"{V}/rounds/<round_id:uuid>/sensitivity",           "200 200 404 200 200 404 200 404 200 404 401", ids(round_id="approved"), "(approved)"),
    row("GET", f"{V}/calendars/<year:int>",                         "200 200 200 200 200 200 200 200 200 200 401", lambda m, r: _call(params={"year": 2026})),
    row("POST", f"{V}/calendars",                                   "201 403 403 403 403 403 403 403 403 403 401", calendar_file),
    row("GET", f"{V}/rounds/<round_id:uuid>/spot-check-comparison", "422 422 404 422 422 404 422 404 422 404 401", ids(round_id="round_a"),
        "(a mid-term round is not a spot check)"),
    row("POST", f"{V}/spot-checks",                                 "403 403 403 403 403 403 403 403 403 403 401", spot_check_body,
        "(city and provincial officers only: docs/decisions.md)"),
    row("GET", f"{V}/rollups",                                      "200 200 403 403 403 403 403 403 200 403 401",
        lambda m, r: _call(query={"period": "2026-H2"}), "(a county bureau reads its county; no region: 403)"),
    row("GET", f"{V}/rollups",                                      "404 404 403 403 403 403 403 403 404 403 401",
        lambda m, r: _call(query={"period": "2026-H2", "region": "999999"}), "(no such region)"),
    row("GET", f"{V}/audit/verify",                                 "200 403 403 403 403 403 403 403 200 403 401"),
    row("GET", "/healthz",                                          "200 200 200 200 200 200 200 200 200 200 200"),
    row("GET", "/livez",                                            "200 200 200 200 200 200 200 200 200 200 200"),
    row("GET", "/docs",                                             "200 200 200 200 200 200 200 200 200 200 200"),
    row("GET", "/docs/redoc",                                       "200 200 200 200 200 200 200 200 200 200 200"),
    row("GET", "/docs/openapi.json",                                "200 200 200 200 200 200 200 200 200 200 200"),
]
# fmt: on


# -- machinery --------------------------------------------------------------------------------
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def matrix(module_db, tmp_path_factory) -> Matrix:
    patch = pytest.MonkeyPatch()
    patch.setattr(auth, "HASHER", FAST_HASHER)
    patch.setenv("EVIDENCE_DIR", str(tmp_path_factory.mktemp("matrix-evidence")))
    try:
        world = await sign_in_everyone(await build_county())
        await township_on_a_final_round(world)
        approved, evidence_approved = await approved_with_evidence(world)
        c = world.county
        fixed = {
            "bureau": c.bureau.id,
            "agency_a": c.agency_a.id,
            "evaluators": c.evaluators.id,
            "st01": c.stations["ST01"].id,
            "contract_a": c.contract_a.id,
            "round_a": c.round_a.id,
            "system": c.round_a.system_id,
            "approved": approved.id,
            "evidence_open": (await upload(world, c.round_a.id)).id,
            "evidence_approved": evidence_approved.id,
        }
        fixed["finding"] = (
            await Finding.create(
                round_id=approved.id,
                unit="ST01",
                rule="R0",
                severity="observation",
                opened_on=dt.date(2026, 11, 2),
                causes=[],
                explanation_en="x",
                explanation_zh="x",
            )
        ).id
        async with Api(create_app(app_name(), register_orm=False)) as api:
            yield Matrix(api, world, fixed)
    finally:
        patch.undo()


@pytest.fixture
def evidence_dir(matrix, monkeypatch) -> None:
    """Overrides the per-test evidence folder: the matrix's files live for the module."""


def fill(route: str, params: dict[str, Any]) -> str:
    return re.sub(r"<(\w+)(?::[^>]+)?>", lambda m: str(params[m.group(1)]), route)


def app_routes(app) -> set[tuple[str, str]]:
    """The API's routes (the HTML pages have their own table: test_http_pages.py)."""
    return {
        (method, "/" + route.path)
        for route in app.router.routes
        for method in route.methods
        if method not in ("HEAD", "OPTIONS") and route.name.split(".")[1] not in ("web", "static")
    }


async def test_every_route_has_a_row(matrix: Matrix) -> None:
    in_table = {(r.method, r.route) for r in ROWS}
    served = app_routes(matrix.api.app)
    assert served - in_table == set(), "routes without a row in the authorisation matrix"
    assert in_table - served == set(), "rows for routes the app does not serve"


@pytest.mark.parametrize(
    ("entry", "role"),
    list(itertools.product(ROWS, ROLES)),
    ids=lambda x: x.id if isinstance(x, Row) else x,
)
async def test_matrix(matrix: Matrix, entry: Row, role: str) -> None:
    call = await entry.make(matrix, role)
    token = matrix.token(role) if call.token == "role" else call.token
    query = ("?" + urlencode(call.query)) if call.query else ""
    response = await matrix.api.request(
        entry.method,
        fill(entry.route, call.params) + query,
        token=token,
        json=call.json,
        content=call.content,
        headers=call.headers,
    )
    expected = entry.expect[role]
    assert response.status_code == expected, (
        f"{role}: {entry.id} → {response.status_code}, expected {expected}: {response.text[:300]}"
    )
    if expected >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
