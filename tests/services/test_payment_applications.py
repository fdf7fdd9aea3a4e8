"""The agency's payment application (拨付申请): who may apply, withdraw, return and release;
the states; the audit events; due dates counted from the application; the database's
guarantee of one live application per tranche, and the race on two PostgreSQL workers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
from tortoise.exceptions import IntegrityError
from two_workers import two_workers
from workflow_fixtures import build_county

from evaluator import clock
from evaluator.errors import (
    ConflictError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StateError,
    TooEarly,
)
from evaluator.services import auth, tranches
from evaluator.services import contracts as cs
from evaluator.services import payment_applications as pa
from evaluator.services import stations as station_svc
from evaluator.services.actors import Actor
from evaluator.services.evidence import attach_evidence
from evaluator.store.audit import AuditEvent
from evaluator.store.decisions import Finding, PaymentApplication, TrancheRelease

SIGNED = dt.date(2026, 9, 1)
APPLIED = dt.date(2026, 9, 23)  # + 15 working days across Mid-Autumn and National Day
DUE = dt.date(2026, 10, 21)
SCHEDULE = [
    {
        "code": "T1",
        "share_bp": 6000,
        "trigger": "signed",
        "due_working_days": 15,
        "due_from": "application",
    },
    {"code": "T2", "share_bp": 4000, "trigger": "final_passed", "due_working_days": 15},
]
INVOICE = [{"kind": "invoice", "reference": "增值税发票 No. 00120931"}]


async def on_application_contract(county):
    """Agency A's contract signed 1 Sep 2026 whose first tranche counts from the application."""
    station = await station_svc.create_station(county.admin, county.bureau, "ST09", "九号站")
    return await cs.create_contract(
        county.actors["bureau"],
        code="C-P",
        buyer=county.bureau,
        agency=county.agency_a,
        period_start=SIGNED,
        period_end=dt.date(2027, 8, 31),
        amount_fen=1_000_001,
        stations=[cs.StationTerms(station, {})],
        schedule=SCHEDULE,
    )


async def tranche(actor, contract_id, code):
    return {t.code: t for t in (await tranches.contract_tranches(actor, contract_id))[1]}[code]


async def test_only_the_contracts_agency_applies(db, evidence_dir):
    county = await build_county()
    contract = await on_application_contract(county)
    clock.pin(APPLIED)
    for name, error in [
        ("bureau", PermissionDenied),
        ("auditor", PermissionDenied),
        ("lead", NotFound),
        ("agency_b", NotFound),
        ("other_bureau", NotFound),
    ]:
        with pytest.raises(error) as exc:
            await pa.apply(county.actors[name], contract.id, "T1", INVOICE)
        assert exc.value.problems[0].zh, name
    with pytest.raises(PermissionDenied) as exc:
        await pa.apply(Actor.system(), contract.id, "T1", INVOICE)
    assert exc.value.problems[0].zh == "仅承接机构可提出拨付申请"
    assert await PaymentApplication.all().count() == 0


async def test_apply_and_the_due_date_counts_from_it(db, evidence_dir):
    county = await build_county()
    contract = await on_application_contract(county)
    agency, bureau = county.actors["agency_a"], county.actors["bureau"]
    clock.pin(dt.date(2026, 8, 31))  # before signing
    with pytest.raises(TooEarly):
        await pa.apply(agency, contract.id, "T1", INVOICE)
    clock.pin(APPLIED)
    waiting = await tranche(bureau, contract.id, "T1")
    assert (waiting.status, waiting.due_on) == ("awaiting_application", None)
    with pytest.raises(StateError) as exc:  # nothing to release against
        await tranches.release(bureau, contract.id, "T1")
    assert "待申请" in exc.value.problems[0].zh and "尚未提出拨付申请" in exc.value.problems[0].zh
    assert "has not applied" in exc.value.problems[0].en
    with pytest.raises(TooEarly):  # the final evaluation has not passed
        await pa.apply(agency, contract.id, "T2", INVOICE)
    with pytest.raises(InvalidInput) as exc:
        await pa.apply(agency, contract.id, "T9", INVOICE)
    assert exc.value.problems[0].path == "code"
    with pytest.raises(InvalidInput) as exc:
        await pa.apply(agency, contract.id, "T1", [])
    assert exc.value.problems[0].path == "vouchers"

    found = await pa.apply(agency, contract.id, "T1", INVOICE, "首期款申请")
    assert (found.state, found.applied_on, found.live_key) == (
        "submitted",
        APPLIED,
        f"{contract.id}:T1",
    )
    assert found.vouchers == [INVOICE[0] | {"evidence": None}]
    due = await tranche(bureau, contract.id, "T1")
    assert (due.status, due.applied_on, due.due_on) == ("due", APPLIED, DUE)
    event = await AuditEvent.get(action="payment.apply")
    assert event.object_id == str(found.id) and event.actor == "agency_a"
    assert json.loads(event.after)["tranche"] == "T1"

    with pytest.raises(ConflictError) as exc:  # one live application per tranche
        await pa.apply(agency, contract.id, "T1", INVOICE)
    assert "已有拨付申请" in exc.value.problems[0].zh and "live" in exc.value.problems[0].en
    with pytest.raises(IntegrityError):  # and the database holds it
        await PaymentApplication.create(
            contract_id=contract.id, code="T1", applied_on=APPLIED, live_key=found.live_key
        )


async def test_return_withdraw_apply_again_and_release(db, evidence_dir):
    county = await build_county()
    contract = await on_application_contract(county)
    agency, bureau = county.actors["agency_a"], county.actors["bureau"]
    clock.pin(APPLIED)
    first = await pa.apply(agency, contract.id, "T1", INVOICE)
    with pytest.raises(PermissionDenied):
        await pa.return_application(agency, first.id, "凭证不全")
    with pytest.raises(NotFound):
        await pa.return_application(county.actors["other_bureau"], first.id, "凭证不全")
    with pytest.raises(InvalidInput) as exc:
        await pa.return_application(bureau, first.id, " ")
    assert exc.value.problems[0].path == "reason"
    returned = await pa.return_application(bureau, first.id, "缺少人员名册")
    assert (returned.state, returned.reason, returned.live_key) == (
        "returned",
        "缺少人员名册",
        None,
    )
    assert (await tranche(agency, contract.id, "T1")).status == "awaiting_application"
    with pytest.raises(StateError) as exc:
        await pa.withdraw(agency, first.id)
    assert "已退回" in exc.value.problems[0].zh

    clock.pin(dt.date(2026, 9, 24))
    second = await pa.apply(
        agency,
        contract.id,
        "T1",
        [*INVOICE, {"kind": "staff_roster", "reference": "2026年9月人员名册"}],
    )
    with pytest.raises(PermissionDenied):
        await pa.withdraw(bureau, second.id)
    withdrawn = await pa.withdraw(agency, second.id)
    assert (withdrawn.state, withdrawn.decided_on) == ("withdrawn", dt.date(2026, 9, 24))

    clock.pin(dt.date(2026, 9, 28))
    third = await pa.apply(agency, contract.id, "T1", INVOICE)
    # Mon 28 Sep: 29, 30, (1–7 Oct), 8, 9, 10 (Sat, worked), 12 … 16, 19 … 23: 23 Oct
    assert (await tranche(bureau, contract.id, "T1")).due_on == dt.date(2026, 10, 23)
    released = await tranches.release(bureau, contract.id, "T1")
    assert released.amount_fen == 600_000
    third = await PaymentApplication.get(id=third.id)
    assert (third.state, third.decided_on, third.live_key) == (
        "released",
        dt.date(2026, 9, 28),
        f"{contract.id}:T1",
    )
    release_event = await AuditEvent.get(action="tranche.release")
    assert json.loads(release_event.after)["application"] == str(third.id)
    with pytest.raises(StateError):  # released: nothing left to apply for
        await pa.apply(agency, contract.id, "T1", INVOICE)
    with pytest.raises(StateError):
        await pa.withdraw(agency, third.id)
    actions = await AuditEvent.filter(object_type="payment_application").values_list(
        "action", flat=True
    )
    assert sorted(actions) == sorted(["payment.apply"] * 3 + ["payment.return", "payment.withdraw"])
    history = await pa.contract_applications(bureau, contract.id)
    assert [a.state for a in history] == ["returned", "withdrawn", "released"]


async def test_a_release_after_the_application_went_away_is_refused(db, evidence_dir):
    """The bureau read the tranche as due, then the agency withdrew: the release finds no
    submitted application and is rolled back (no TrancheRelease row)."""
    county = await build_county()
    contract = await on_application_contract(county)
    agency, bureau = county.actors["agency_a"], county.actors["bureau"]
    clock.pin(APPLIED)
    found = await pa.apply(agency, contract.id, "T1", INVOICE)
    await PaymentApplication.filter(id=found.id).update(state="withdrawn")  # live_key kept
    with pytest.raises(ConflictError):
        await tranches.release(bureau, contract.id, "T1")
    assert await TrancheRelease.all().count() == 0


async def test_on_trigger_contracts_keep_their_dates_and_cite_evidence(db, evidence_dir):
    county = await build_county()
    agency, bureau = county.actors["agency_a"], county.actors["bureau"]
    clock.pin(dt.date(2026, 7, 1))
    before = await tranche(bureau, county.contract_a.id, "T1")
    assert (before.status, before.due_on) == ("due", dt.date(2026, 1, 22))
    file = await attach_evidence(
        county.actors["evaluator"], county.round_a.id, "评估结果.pdf", "application/pdf", b"%PDF-1"
    )
    other = await attach_evidence(
        county.actors["evaluator"], county.round_b.id, "b.pdf", "application/pdf", b"%PDF-2"
    )
    with pytest.raises(InvalidInput) as exc:  # a file of another agency's round
        await pa.apply(
            agency,
            county.contract_a.id,
            "T1",
            [{"kind": "evaluation_result", "reference": "中期", "evidence": str(other.id)}],
        )
    assert exc.value.problems[0].path == "vouchers[0].evidence"
    found = await pa.apply(
        agency,
        county.contract_a.id,
        "T1",
        [{"kind": "evaluation_result", "reference": "中期评估结果", "evidence": str(file.id)}],
    )
    after = await tranche(bureau, county.contract_a.id, "T1")
    assert (after.status, after.due_on, after.applied_on) == (
        "due",
        dt.date(2026, 1, 22),
        dt.date(2026, 7, 1),
    )
    await tranches.release(bureau, county.contract_a.id, "T1")
    assert (await PaymentApplication.get(id=found.id)).state == "released"
    # a contract counted from its trigger is released without any application, as before
    await tranches.release(bureau, county.contract_b.id, "T1")


async def test_a_withheld_tranche_takes_an_application_but_is_not_released(db, evidence_dir):
    county = await build_county()
    contract = await on_application_contract(county)
    agency, bureau = county.actors["agency_a"], county.actors["bureau"]
    round_ = county.round_a
    await round_.__class__.filter(id=round_.id).update(contract_id=contract.id)
    await Finding.create(
        round_id=round_.id,
        unit="ST09",
        rule="D-FAIL",
        severity="suspension",
        opened_on=dt.date(2026, 9, 10),
        causes=[],
        explanation_en="x",
        explanation_zh="x",
    )
    clock.pin(APPLIED)
    await pa.apply(agency, contract.id, "T1", INVOICE)
    held = await tranche(bureau, contract.id, "T1")
    assert (held.status, held.due_on) == ("withheld", DUE)
    with pytest.raises(StateError) as exc:
        await tranches.release(bureau, contract.id, "T1")
    assert "暂缓" in exc.value.problems[0].zh


# -- the race: two workers on PostgreSQL ------------------------------------------------------


async def test_concurrent_applications_on_two_workers_make_one(db, db_kind, evidence_dir):
    if db_kind != "postgres":
        pytest.skip("races between sanic workers need PostgreSQL (SQLite allows one worker)")
    county = await build_county()
    contract = await on_application_contract(county)
    await auth.set_password(Actor.system(), "agency_a", "correct horse battery")
    token = (await auth.login("agency_a", "correct horse battery", "198.51.100.7")).token
    async with two_workers(db.url, evidence_dir) as base:
        url = f"{base}/api/v1/contracts/{contract.id}/tranches/T1/applications"
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(
                *(
                    client.post(url, json={"vouchers": INVOICE, "note": f"#{i}"}, headers=headers)
                    for i in range(12)
                )
            )
    codes = [a.status_code for a in answers]
    assert codes.count(201) == 1 and set(codes) == {201, 409}, codes
    refused = next(a.json() for a in answers if a.status_code == 409)
    assert (
        refused["problems"][0]["zh"] == "第 T1 期款项已有拨付申请（已申请或已拨付），不可重复申请"
    )
    assert "live payment application" in refused["problems"][0]["en"]
    assert await PaymentApplication.filter(contract_id=contract.id).count() == 1
    assert await AuditEvent.filter(action="payment.apply").count() == 1
