"""Dates on years the State Council has not scheduled yet: provisional deadlines, appeal
windows counted in the agency's favour, recomputed when a schedule is added (audited);
the bureau's manual deadlines; approvals and payments refused before their date.

The package's official years are held to ≤ 2026 here, so that the tests do not depend on
which years the installed chinese-calendar carries."""

from __future__ import annotations

import datetime as dt

import pytest
from test_consequences import RULES, approved
from workflow_fixtures import build_county, settle_gaps

from evaluator import clock
from evaluator.errors import InvalidInput, PermissionDenied, TooEarly
from evaluator.services import appeals, audit, calendars, findings, panel_staff, tranches
from evaluator.services import contracts as cs
from evaluator.services import rounds as rs
from evaluator.services.actors import Actor
from evaluator.store.audit import AuditEvent
from evaluator.store.base import Role, RoundKind
from evaluator.store.decisions import Finding
from evaluator.store.rounds import Round

D = dt.date
APPROVED = D(2027, 1, 28)  # a Thursday in January 2027, a year not scheduled yet
# A 2027 schedule as an administrator would add it once published (test data: a make-up
# Saturday on 30 January before a Spring Festival of 5–13 February).
SCHEDULE_2027 = """\
year: 2027
source:
  zh: 国务院办公厅关于2027年部分节假日安排的通知（测试）
  en: State Council notice on the 2027 holidays (test data)
version: "1"
holidays:
  - holiday: new_years_day
    from: 2027-01-01
    to: 2027-01-03
  - holiday: spring_festival
    from: 2027-02-05
    to: 2027-02-13
    workdays: [2027-01-30]
"""


@pytest.fixture(autouse=True)
def _official_until_2026(monkeypatch):
    monkeypatch.setattr(calendars, "package_years", lambda: tuple(range(2004, 2027)))


async def _approved_in_2027(county):
    # ST02 fails (suspension, 5 working days); ST01 leaf 0 is low (correction, 3 working days)
    low = {f"L{i:02d}": 0 for i in range(30)}
    return await approved(county, {"ST01": {"L00": 5}, "ST02": low}, on=APPROVED)


async def test_provisional_dates_are_recomputed_when_the_schedule_arrives(db, evidence_dir):
    county = await build_county(system=RULES)
    await _approved_in_2027(county)
    by_rule = {f.rule: f for f in await Finding.filter(round_id=county.round_a.id, unit="ST02")}
    fail, low = by_rule["D-FAIL"], by_rule["D-L00"]
    # provisional count (law only, no make-up days): Fri 29 Jan, Mon 1 … Thu 4 Feb
    assert (fail.deadline, fail.deadline_basis) == (D(2027, 2, 4), "provisional")
    assert (low.deadline, low.deadline_basis) == (D(2027, 2, 2), "provisional")
    assert "2027" in fail.deadline_note and "暂定" in fail.deadline_note
    round_ = await Round.get(id=county.round_a.id)
    assert (round_.appeal_until, round_.appeal_basis) == (D(2027, 2, 4), "provisional")
    assert "agency's favour" in round_.appeal_note

    clock.pin(D(2027, 1, 29))  # the State Council's notice arrives while the window is open
    added = await calendars.add_schedule(Actor.system(), SCHEDULE_2027, "2027.yaml")
    assert added.revision == 1 and not added.unchanged
    moved = {(c.kind, c.object_id): c for c in added.recomputed}
    # official count: Fri 29 Jan, Sat 30 Jan (make-up), Mon 1, Tue 2, Wed 3 Feb
    assert moved[("finding", str(fail.id))].after == D(2027, 2, 3)
    assert moved[("finding", str(low.id))].after == D(2027, 2, 1)
    fail = await Finding.get(id=fail.id)
    assert (fail.deadline, fail.deadline_basis, fail.deadline_note) == (
        D(2027, 2, 3),
        "official",
        "",
    )
    # the appeal window would end on 3 Feb now; the 4 Feb announced is kept for the agency
    round_ = await Round.get(id=county.round_a.id)
    assert (round_.appeal_until, round_.appeal_basis) == (D(2027, 2, 4), "official")
    assert "2027-02-03" in round_.appeal_note and "2027-02-04" in round_.appeal_note
    clock.pin(D(2027, 2, 4))
    appeal = await appeals.submit_appeal(
        county.actors["agency_a"], county.round_a.id, "ST01", ["L00"], "个案记录漏传"
    )
    assert appeal.state == "submitted"
    actions = [e.action for e in await AuditEvent.all().order_by("seq")]
    recounted = sum(c.kind == "finding" for c in added.recomputed)
    assert actions.count("finding.deadline") == recounted == 3  # D-FAIL, D-L00 ×2
    assert "round.appeal_window" in actions
    assert "calendar.add" in actions and (await audit.verify()).ok

    again = await calendars.add_schedule(Actor.system(), SCHEDULE_2027, "2027.yaml")
    assert again.unchanged and again.recomputed == [] and again.revision == 1
    view = await calendars.show(2027)
    assert view.schedule.origin == "added" and not view.schedule.provisional
    assert any(d.day == D(2027, 1, 30) and d.working for d in view.days)


async def test_only_an_administrator_adds_a_year(db, evidence_dir):
    county = await build_county()
    with pytest.raises(PermissionDenied):
        await calendars.add_schedule(county.actors["bureau"], SCHEDULE_2027, "2027.yaml")


async def test_the_bureau_sets_a_deadline_by_hand_with_a_reason(db, evidence_dir):
    county = await build_county(system=RULES)
    await _approved_in_2027(county)
    fail = await Finding.get(rule="D-FAIL")
    bureau = county.actors["bureau"]
    with pytest.raises(InvalidInput):
        await findings.override_deadline(bureau, fail.id, D(2027, 2, 20), " ", fail.version)
    with pytest.raises(PermissionDenied):
        await findings.override_deadline(
            county.actors["agency_a"], fail.id, D(2027, 3, 1), "我们想晚点", fail.version
        )
    with pytest.raises(InvalidInput):  # not before the finding opened
        await findings.override_deadline(bureau, fail.id, D(2027, 1, 20), "x", fail.version)
    done = await findings.override_deadline(
        bureau, fail.id, D(2027, 2, 20), "镇政府因疫情闭馆两周", fail.version
    )
    assert (done.deadline, done.deadline_basis) == (D(2027, 2, 20), "override")
    assert done.deadline_note == "镇政府因疫情闭馆两周"
    await calendars.add_schedule(Actor.system(), SCHEDULE_2027, "2027.yaml")
    assert (await Finding.get(id=fail.id)).deadline == D(2027, 2, 20)  # never recomputed
    event = await AuditEvent.filter(action="finding.deadline_override").first()
    assert event is not None and "镇政府因疫情闭馆两周" in event.after


async def test_the_bureau_extends_an_appeal_window_never_shortens_it(db, evidence_dir):
    county = await build_county(system=RULES)
    await _approved_in_2027(county)
    bureau = county.actors["bureau"]
    with pytest.raises(InvalidInput) as exc:
        await appeals.extend_window(bureau, county.round_a.id, D(2027, 2, 1), "提前")
    assert "2027-02-04" in str(exc.value)
    with pytest.raises(PermissionDenied):
        await appeals.extend_window(
            county.actors["agency_a"], county.round_a.id, D(2027, 3, 1), "x"
        )
    await appeals.extend_window(bureau, county.round_a.id, D(2027, 2, 26), "春节后延长")
    round_ = await Round.get(id=county.round_a.id)
    assert (round_.appeal_until, round_.appeal_basis) == (D(2027, 2, 26), "override")


async def test_no_payment_before_its_trigger_has_happened(db, evidence_dir):
    county = await build_county(system=RULES)
    contract = await cs.create_contract(
        county.actors["bureau"],
        code="C-2027",
        buyer=county.bureau,
        agency=county.agency_a,
        period_start=D(2027, 4, 1),
        period_end=D(2028, 3, 31),
        amount_fen=100_000_00,
        stations=[cs.StationTerms(county.stations["ST03"], {})],
    )
    clock.pin(D(2026, 12, 4))
    with pytest.raises(TooEarly) as exc:
        await tranches.release(county.actors["bureau"], contract.id, "T1")
    text = str(exc.value)
    assert "2027-04-01" in text and "2026-12-04" in text and "触发日期" in text
    clock.pin(D(2027, 4, 1))
    _, table = await tranches.contract_tranches(county.actors["bureau"], contract.id)
    assert table[0].status == "due" and table[0].due_basis == "provisional"
    record = await tranches.release(county.actors["bureau"], contract.id, "T1")
    assert record.released_on == D(2027, 4, 1) and record.amount_fen == 50_000_00


async def test_no_approval_before_the_evaluation_date(db, evidence_dir):
    county = await build_county(system=RULES)
    contract = await cs.create_contract(
        county.actors["bureau"],
        code="C-2027",
        buyer=county.bureau,
        agency=county.agency_a,
        period_start=D(2027, 1, 1),
        period_end=D(2027, 12, 31),
        amount_fen=100,
        stations=[cs.StationTerms(county.stations["ST03"], {})],
    )
    rounds = {}
    for kind, as_of in ((RoundKind.MID_TERM, D(2027, 3, 20)), (RoundKind.FINAL, D(2027, 3, 20))):
        r = await rs.create_round(
            county.actors["bureau"],
            contract=contract,
            evaluation_agency=county.evaluators,
            kind=kind,
            system=await county.round_a.system,
            as_of=as_of,
        )
        await panel_staff.assign(county.admin, r, county.users["lead"], Role.LEAD_EVALUATOR)
        r = await rs.open_round(county.actors["lead"], r, r.version)
        await settle_gaps(r, county.actors["lead"])
        rounds[kind] = await rs.submit_round(county.actors["lead"], r, r.version)
    clock.pin(D(2027, 3, 20))
    with pytest.raises(TooEarly) as exc:  # half of 365 days: 2 July
        await rs.approve_round(county.actors["bureau"], rounds[RoundKind.MID_TERM], 3)
    assert "2027-07-02" in str(exc.value) and "2027-03-20" in str(exc.value)
    with pytest.raises(TooEarly) as exc:  # the final evaluation: from 1 December
        await rs.approve_round(county.actors["bureau"], rounds[RoundKind.FINAL], 3)
    assert "2027-12-01" in str(exc.value) and "最后一个月" in str(exc.value)
    clock.pin(D(2027, 7, 2))
    await rs.approve_round(county.actors["bureau"], rounds[RoundKind.MID_TERM], 3)
