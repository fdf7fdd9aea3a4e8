"""The bureau's change of a contract's report schedule and an agency's report-log import,
sent at the same moment to two workers (PostgreSQL): never both pass out of order. Either
the change is refused (423: the log was read against the old schedule) or the import is
(409: the schedule changed while it was read), or the change came first and the import was
computed against the new schedule — the figures kept always match the schedule in force."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from two_workers import two_workers
from workflow_fixtures import build_county

from evaluator.services import contracts as cs
from evaluator.services import panel_staff
from evaluator.services import rounds as rs
from evaluator.services import stations as station_svc
from evaluator.services.report_schedules import reports_due
from evaluator.store.base import Role, RoundKind
from evaluator.store.contracts import Contract
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import SystemVersion

LOG = (
    "站点编码,报告类型,报告期,应交日期,提交日期\n{station},月度简报,2026-01,2026-02-10,2026-02-09\n"
)
QUARTERLY = {"report_schedule": [{"kind": "quarterly", "due_days": 15}]}
AS_OF = dt.date(2026, 6, 30)


async def test_a_schedule_change_and_an_import_never_pass_each_other(
    db, db_kind, evidence_dir, tmp_path
):
    if db_kind != "postgres":
        pytest.skip("races between sanic workers need PostgreSQL (SQLite allows one worker)")
    from evaluator.services import auth
    from evaluator.services.actors import Actor

    county = await build_county()
    system = await SystemVersion.get(id=county.round_a.system_id)
    trials = []
    for i in range(8):  # a fresh contract and open round each: nothing read against it yet
        station = await station_svc.create_station(
            county.admin, county.bureau, f"RS{i:02d}", "新站"
        )
        contract = await cs.create_contract(
            county.actors["bureau"],
            code=f"C-RS{i:02d}",
            buyer=county.bureau,
            agency=county.agency_a,
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 12, 31),
            amount_fen=1_000_000,
            stations=[cs.StationTerms(station, {})],
        )
        r = await rs.create_round(
            county.actors["bureau"],
            contract=contract,
            evaluation_agency=county.evaluators,
            kind=RoundKind.MID_TERM,
            system=system,
            as_of=AS_OF,
            elapsed=0.5,
        )
        await panel_staff.assign(county.admin, r, county.users["lead"], Role.LEAD_EVALUATOR)
        r = await rs.open_round(county.actors["lead"], r, r.version)
        trials.append((contract, r, station.code))
    tokens = {}
    for name in ("agency_a", "bureau"):
        await auth.set_password(Actor.system(), name, "correct horse battery")
        tokens[name] = (await auth.login(name, "correct horse battery", "198.51.100.7")).token
    async with two_workers(db.url, evidence_dir) as base, httpx.AsyncClient(timeout=30) as client:
        outcomes = await asyncio.gather(
            *(
                asyncio.gather(
                    client.put(
                        f"{base}/api/v1/contracts/{contract.id}/report-schedule",
                        json=QUARTERLY,
                        headers={"Authorization": f"Bearer {tokens['bureau']}"},
                    ),
                    client.post(
                        f"{base}/api/v1/rounds/{round_.id}/registers/reports",
                        content=LOG.format(station=code).encode(),
                        headers={
                            "Authorization": f"Bearer {tokens['agency_a']}",
                            "X-Filename": "reports.csv",
                        },
                    ),
                )
                for contract, round_, code in trials
            )
        )
    for (contract, round_, code), (put, post) in zip(trials, outcomes, strict=True):
        assert put.status_code in (200, 423), put.text
        assert post.status_code in (201, 409), post.text
        assert (put.status_code, post.status_code) != (423, 409)  # one of them passed
        stored = await Contract.get(id=contract.id)
        assert (stored.report_schedule is not None) == (put.status_code == 200)
        kept = await RegisterImport.filter(round_id=round_.id, kind="reports").first()
        assert (kept is not None) == (post.status_code == 201)
        if kept is not None:  # computed against the schedule in force now
            due = [r for r in reports_due(stored) if stored.period_start <= r.due <= AS_OF]
            got = kept.metrics["library"]["reports_scheduled_on_time_share"]["stations"][code]
            assert got["detail"]["due"] == len(due)
