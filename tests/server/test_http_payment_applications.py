"""Payment applications over HTTP: a contract whose tranche counts from the application,
bad bodies (422, en/zh, path), the tranche table showing the application, a return."""

from __future__ import annotations

import datetime as dt

from api_fixtures import assert_problem

from evaluator import clock
from evaluator.services import stations as station_svc

INVOICE = {"kind": "invoice", "reference": "增值税发票 No. 00120931"}


async def new_contract(api, world, due_from: str, station: str):
    station_ = await station_svc.create_station(
        world.county.admin, world.county.bureau, station, "新站"
    )
    return await api.post(
        "/contracts",
        token=world.tokens["bureau"],
        json={
            "code": "C-APPLY",
            "buyer": str(world.county.bureau.id),
            "agency": str(world.county.agency_a.id),
            "period_start": "2026-09-01",
            "period_end": "2027-08-31",
            "amount_fen": 10_000_000,
            "stations": [{"station": str(station_.id), "targets": {}}],
            "schedule": [
                {
                    "code": "T1",
                    "share_bp": 10_000,
                    "trigger": "signed",
                    "due_working_days": 15,
                    "due_from": due_from,
                }
            ],
        },
    )


async def test_a_schedule_counting_from_the_application(api, world):
    body = assert_problem(await new_contract(api, world, "invoice", "ST77"), 422)
    assert body["problems"][0]["path"] == "body.schedule[0].due_from"
    made = await new_contract(api, world, "application", "ST78")
    assert made.status_code == 201, made.text
    assert made.json()["schedule"][0]["due_from"] == "application"
    contract = made.json()["id"]
    agency, bureau = world.tokens["agency_a"], world.tokens["bureau"]
    clock.pin(dt.date(2026, 9, 23))

    table = await api.get(f"/contracts/{contract}/tranches", token=bureau)
    t1 = table.json()["items"][0]
    assert (t1["status"], t1["status_zh"], t1["due_on"], t1["application"]) == (
        "awaiting_application",
        "待申请",
        None,
        None,
    )
    assert t1["when"] == "awaiting the agency's application 待承接机构申请"

    url = f"/contracts/{contract}/tranches/T1/applications"
    for bad, path in [
        ({}, "body.vouchers"),
        ({"vouchers": []}, "body.vouchers"),
        ({"vouchers": [{"kind": "receipt", "reference": "x"}]}, "body.vouchers[0].kind"),
        ({"vouchers": [{"kind": "invoice", "reference": ""}]}, "body.vouchers[0].reference"),
        ({"vouchers": [INVOICE | {"evidence": "nope"}]}, "body.vouchers[0].evidence"),
        ({"vouchers": [INVOICE], "amount_fen": 1}, "body.amount_fen"),
    ]:
        refused = assert_problem(await api.post(url, token=agency, json=bad), 422)
        assert path in [p["path"] for p in refused["problems"]], (bad, refused)
    refused = assert_problem(await api.post(url, token=bureau, json={"vouchers": [INVOICE]}), 403)
    assert refused["problems"][0]["zh"] == "仅承接机构可提出拨付申请"

    made = await api.post(url, token=agency, json={"vouchers": [INVOICE], "note": "首期"})
    assert made.status_code == 201, made.text
    application = made.json()
    assert (application["state"], application["state_zh"], application["applied_on"]) == (
        "submitted",
        "已申请",
        "2026-09-23",
    )
    assert application["vouchers"][0]["kind_zh"] == "发票"
    again = assert_problem(await api.post(url, token=agency, json={"vouchers": [INVOICE]}), 409)
    assert "已有拨付申请" in again["problems"][0]["zh"]

    t1 = (await api.get(f"/contracts/{contract}/tranches", token=bureau)).json()["items"][0]
    assert (t1["status"], t1["due_on"], t1["applied_on"]) == ("due", "2026-10-21", "2026-09-23")
    assert t1["application"]["id"] == application["id"]

    back = f"/payment-applications/{application['id']}/return"
    refused = assert_problem(await api.post(back, token=bureau, json={"reason": ""}), 422)
    assert refused["problems"][0]["path"] == "body.reason"
    returned = await api.post(back, token=bureau, json={"reason": "缺少人员名册"})
    assert returned.status_code == 200 and returned.json()["state_zh"] == "已退回"
    t1 = (await api.get(f"/contracts/{contract}/tranches", token=agency)).json()["items"][0]
    assert t1["status"] == "awaiting_application"
    assert (t1["application"]["state"], t1["application"]["reason"]) == ("returned", "缺少人员名册")

    history = await api.get(f"/contracts/{contract}/payment-applications", token=agency)
    assert [a["state"] for a in history.json()["items"]] == ["returned"]
