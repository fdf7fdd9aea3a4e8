"""The contract's report schedule over HTTP (issue 20, item 3): set when the contract is
signed and by the bureau later, shown with the reports due, refused in English and Chinese
at its path (never a 500), never written by the agency, locked once a report log is read
against it, and a report log import that finds it changed refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from api_fixtures import assert_problem

from evaluator.errors import ConflictError
from evaluator.services import report_schedules
from evaluator.services.registers import import_register, round_period
from evaluator.store.audit import AuditEvent
from evaluator.store.contracts import Contract
from evaluator.store.rounds import Round

SCHEDULE = [
    {"kind": "monthly", "due_days": 5},
    {"kind": "quarterly", "due_days": 15},
    {"kind": "final", "due": "2028-06-01"},
]


def contract_body(world, code: str, **more) -> dict:
    c = world.county
    return {
        "code": code,
        "buyer": str(c.bureau.id),
        "agency": str(c.agency_a.id),
        "period_start": "2027-07-01",  # after ST03's link to C-B
        "period_end": "2028-06-30",
        "amount_fen": 10_000_000,
        "stations": [{"station": str(c.stations["ST03"].id)}],
        **more,
    }


async def test_a_contract_signed_with_its_schedule_shows_the_reports_due(api, world):
    token = world.tokens["bureau"]
    r = await api.post(
        "/contracts", token=token, json=contract_body(world, "C-Q", report_schedule=SCHEDULE)
    )
    assert r.status_code == 201, r.text
    assert r.json()["report_schedule_default"] is False
    detail = (await api.get(f"/contracts/{r.json()['id']}", token=token)).json()
    assert [d["kind"] for d in detail["report_schedule"]] == ["monthly", "quarterly", "final"]
    due = detail["reports_due"]
    # 12 monthly briefs (Jul 2027 – Jun 2028), 4 quarterly reports, the final report
    assert len(due) == 12 + 4 + 1
    assert due[0] == {"kind": "monthly", "period": "2027-07", "due": "2027-08-05"}
    assert {"kind": "quarterly", "period": "2027-Q4", "due": "2028-01-15"} in due
    assert {"kind": "final", "period": "final", "due": "2028-06-01"} in due
    assert [d["due"] for d in due] == sorted(d["due"] for d in due)


async def test_a_contract_without_one_has_the_default(api, world):
    detail = (
        await api.get(f"/contracts/{world.county.contract_a.id}", token=world.tokens["agency_a"])
    ).json()
    assert detail["report_schedule_default"] is True
    assert [d["kind"] for d in detail["report_schedule"]] == ["monthly", "midterm", "final"]
    # 2026: 12 briefs, the mid-term report on 2 Jul (1 Jan + 182), the final on 1 Dec
    midterm = [d for d in detail["reports_due"] if d["kind"] != "monthly"]
    assert midterm == [
        {"kind": "midterm", "period": "midterm", "due": "2026-07-02"},
        {"kind": "final", "period": "final", "due": "2026-12-01"},
    ]


@pytest.mark.parametrize(
    ("schedule", "path"),
    [
        ([{"kind": "final", "due": "2029-01-01"}], "report_schedule[0].due"),
        ([{"kind": "monthly"}], "report_schedule[0].due_days"),
        (
            [{"kind": "monthly", "due_days": 5}, {"kind": "monthly", "due_days": 9}],
            "report_schedule[1].kind",
        ),
        ([{"kind": "midterm", "due": "2027-01-01", "due_days": 3}], "report_schedule[0].due_days"),
        ([], "report_schedule"),
        ([{"kind": "weekly", "due_days": 5}], "body.report_schedule[0].kind"),
        ([{"kind": "final", "due": "soon"}], "body.report_schedule[0].due"),
        ([{"kind": "monthly", "due_days": "ten"}], "body.report_schedule[0].due_days"),
        ([{"kind": "monthly", "due_days": 5, "every": 2}], "body.report_schedule[0].every"),
        ("monthly", "body.report_schedule"),
        ([[{"kind": "monthly"}]], "body.report_schedule[0]"),
    ],
)
async def test_a_bad_schedule_is_refused_at_its_path_in_both_languages(api, world, schedule, path):
    r = await api.post(
        "/contracts",
        token=world.tokens["bureau"],
        json=contract_body(world, "C-BAD", report_schedule=schedule),
    )
    problem = assert_problem(r, 422, "invalid-input")
    paths = [p.get("path") for p in problem["problems"]]
    assert path in paths, problem
    put = await api.put(
        f"/contracts/{world.county.contract_b.id}/report-schedule",
        token=world.tokens["bureau"],
        json={"report_schedule": schedule},
    )
    assert_problem(put, 422, "invalid-input")


async def test_the_bureau_sets_it_the_agency_never_does_and_it_is_audited(api, world):
    c, tokens = world.county, world.tokens
    url = f"/contracts/{c.contract_a.id}/report-schedule"
    refused = await api.put(url, token=tokens["agency_a"], json={"report_schedule": SCHEDULE[:2]})
    assert_problem(refused, 403, "forbidden")
    hidden = await api.put(url, token=tokens["agency_b"], json={"report_schedule": SCHEDULE[:2]})
    assert_problem(hidden, 404, "not-found")
    r = await api.put(url, token=tokens["bureau"], json={"report_schedule": SCHEDULE[:2]})
    assert r.status_code == 200, r.text
    assert r.json()["report_schedule_default"] is False
    event = await AuditEvent.filter(action="contract.report_schedule").order_by("-seq").first()
    assert event.actor == "bureau" and json.loads(event.before) == {"report_schedule": None}
    assert json.loads(event.after) == {"report_schedule": SCHEDULE[:2]}
    back = await api.put(url, token=tokens["bureau"], json={"report_schedule": None})
    assert back.json()["report_schedule_default"] is True


async def test_locked_once_a_report_log_is_read_against_it(api, world, tmp_path):
    c, tokens = world.county, world.tokens
    log = tmp_path / "报告记录.csv"
    log.write_text(
        "站点编码,报告类型,报告期,应交日期,提交日期\nST01,月度简报,2026-01,2026-02-10,2026-02-09\n",
        encoding="utf-8",
    )
    await import_register(world.actors["agency_a"], c.round_a.id, "reports", log)
    r = await api.put(
        f"/contracts/{c.contract_a.id}/report-schedule",
        token=tokens["bureau"],
        json={"report_schedule": SCHEDULE[:1]},
    )
    problem = assert_problem(r, 423, "locked")
    assert "locked" in problem["problems"][0]["en"] and "锁定" in problem["problems"][0]["zh"]
    detail = (await api.get(f"/contracts/{c.contract_a.id}", token=tokens["bureau"])).json()
    assert detail["report_schedule_default"] is True  # nothing of the refused change stayed


async def test_an_import_finding_the_schedule_changed_is_refused(world):
    """The check every report-log import makes inside its transaction (the contract row
    locked): the reports due it was computed against must still be the contract's."""
    from tortoise.transactions import in_transaction

    contract = world.county.contract_a
    due = report_schedules.reports_due(contract)
    async with in_transaction() as conn:
        await report_schedules.check_schedule_unchanged(contract.id, due, conn)
        with pytest.raises(ConflictError):
            await report_schedules.check_schedule_unchanged(contract.id, due[1:], conn)
    assert due[0].due == dt.date(2026, 2, 10)


async def test_the_years_to_qualify_are_contract_data(api, world):
    """Issue 20, item 1: the years a worker has from hiring to qualify are the contract's
    (3 in one province), else the indicator system's grace_years; 1 to 5, at its path."""
    token = world.tokens["bureau"]
    r = await api.post(
        "/contracts", token=token, json=contract_body(world, "C-Y", qualification_years=3)
    )
    assert r.status_code == 201, r.text
    detail = (await api.get(f"/contracts/{r.json()['id']}", token=token)).json()
    assert detail["qualification_years"] == 3
    assert (await api.get(f"/contracts/{world.county.contract_a.id}", token=token)).json()[
        "qualification_years"
    ] is None
    bad = await api.post(
        "/contracts", token=token, json=contract_body(world, "C-Z", qualification_years=9)
    )
    problem = assert_problem(bad, 422)
    assert any("qualification_years" in (p.get("path") or "") for p in problem["problems"])
    events = await AuditEvent.filter(action="contract.create").order_by("-seq").first()
    assert json.loads(events.after)["qualification_years"] == 3


async def test_the_limit_on_township_work_is_contract_data(api, world):
    """Issue 20, item 2: the most of its logged hours a station may spend on township
    administrative work is the contract's (percent, 0–100), else the system's max_share;
    audited with the contract, refused at its path when out of range; the period of its
    rounds carries it to metric township_work_within_limit as a share."""
    token = world.tokens["bureau"]
    r = await api.post(
        "/contracts", token=token, json=contract_body(world, "C-T", township_hours_limit=5)
    )
    assert r.status_code == 201, r.text
    detail = (await api.get(f"/contracts/{r.json()['id']}", token=token)).json()
    assert detail["township_hours_limit"] == 5
    assert (await api.get(f"/contracts/{world.county.contract_a.id}", token=token)).json()[
        "township_hours_limit"
    ] is None
    for wrong in (101, -1):
        bad = await api.post(
            "/contracts", token=token, json=contract_body(world, "C-U", township_hours_limit=wrong)
        )
        problem = assert_problem(bad, 422)
        assert any("township_hours_limit" in (p.get("path") or "") for p in problem["problems"])
    event = await AuditEvent.filter(action="contract.create").order_by("-seq").first()
    assert json.loads(event.after)["township_hours_limit"] == 5
    round_ = await Round.filter(contract_id=world.county.contract_a.id).first()
    assert (await round_period(round_)).township_share_limit is None
    contract = await Contract.get(id=r.json()["id"])
    round_.contract_id = contract.id
    assert (await round_period(round_)).township_share_limit == 0.05
