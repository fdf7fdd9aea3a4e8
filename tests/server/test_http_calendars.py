"""The working-day calendar over HTTP: a year's days (official or provisional), adding a
year's schedule (located problems, recomputed provisional dates, unchanged on repeat), and
the bureau's hand-set dates: a finding's deadline, an appeal window; a release before its
trigger's date is too early."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from api_fixtures import assert_problem, fresh_round, pin_and_sign_in
from lunardate import LunarDate

from evaluator.services import calendars
from evaluator.services import contracts as cs
from evaluator.store.decisions import Finding
from evaluator.store.rounds import Round

SCHEDULE_2027 = """\
# a test schedule of 2027 (not the State Council's)
year: 2027
source:
  zh: 国务院办公厅关于2027年部分节假日安排的通知（测试）
  en: State Council notice on the 2027 holidays (test)
version: "1"
holidays:
  - holiday: new_years_day
    from: 2027-01-01
    to: 2027-01-03
  - holiday: spring_festival
    from: 2027-02-05
    to: 2027-02-13
    workdays: [2027-02-20]
  - holiday: national_day
    from: 2027-10-01
    to: 2027-10-07
    workdays: [2027-09-26, 2027-10-09]
"""
BROKEN = """\
year: 2027
source: {zh: 测试通知, en: Test notice}
holidays:
  - holiday: spring_festival
    from: 2027-02-05
    to: 2027-02-31
  - holiday: national_day
    from: 2027-10-07
    to: 2027-10-01
    workdays: [2027-09-29]
"""
YAML = {"Content-Type": "text/yaml"}


@pytest.fixture
def published_to_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only years up to 2026 are official, whatever chinese-calendar or calendars/ carry."""
    monkeypatch.setattr(
        "evaluator.services.calendars.package_years", lambda: tuple(range(2004, 2027))
    )
    shipped = calendars.shipped_schedules()
    monkeypatch.setattr(
        "evaluator.services.calendars.shipped_schedules",
        lambda: tuple(s for s in shipped if s.year <= 2026),
    )


def by_date(year_doc: dict) -> dict[str, dict]:
    return {d["date"]: d for d in year_doc["days"]}


async def test_a_published_year_and_a_provisional_one(api, world):
    token = world.tokens["agency_a"]
    got = await api.get("/calendars/2026", token=token)
    assert got.status_code == 200, got.text
    year = got.json()
    assert year["year"] == 2026 and year["kind"] == "official" and not year["provisional"]
    assert "2026" in year["source"]["zh"] and "2026" in year["source"]["en"]
    days = by_date(year)
    for make_up in ("2026-09-20", "2026-10-10"):
        assert days[make_up]["kind"] == "make_up_workday" and days[make_up]["working"]
        assert days[make_up]["holiday"] == "national_day" and not days[make_up]["provisional"]
    assert days["2026-10-01"]["kind"] == "holiday" and days["2026-10-01"]["name"]["zh"] == "国庆节"

    far = (await api.get("/calendars/2031", token=token)).json()
    assert far["kind"] == "provisional" and far["provisional"] and far["origin"] == "law"
    assert "2031" in far["source"]["zh"]
    eve = (LunarDate(2031, 1, 1).to_solar_date() - dt.timedelta(days=1)).isoformat()  # 除夕
    assert by_date(far)[eve]["holiday"] == "spring_festival"
    assert by_date(far)[eve]["provisional"] and not by_date(far)[eve]["working"]
    assert not [d for d in far["days"] if d["kind"] == "make_up_workday"]  # only notices make them

    for outside in (1900, 2100):
        body = assert_problem(await api.get(f"/calendars/{outside}", token=token), 422)
        assert body["problems"][0]["path"] == "year"
    assert_problem(await api.get("/calendars/2026"), 401)


async def test_adding_a_year_locates_problems_and_settles_provisional_dates(
    api, world, published_to_2026
):
    admin = world.tokens["admin"]
    opened = dt.date(2027, 1, 25)
    counted = (await calendars.current()).deadline(opened, 15)
    assert counted.provisional and counted.on == dt.date(2027, 2, 19)  # the law: 4 days of 春节
    finding = await Finding.create(
        round_id=world.county.round_a.id,
        unit="ST01",
        rule="R-cal",
        severity="correction",
        opened_on=opened,
        deadline=counted.on,
        deadline_working_days=15,
        deadline_basis=counted.basis,
        deadline_note=counted.explain(),
        causes=[],
        explanation_en="x",
        explanation_zh="x",
    )
    shown = (await api.get(f"/findings/{finding.id}", token=world.tokens["bureau"])).json()
    assert shown["deadline_basis"] == "provisional" and "暂定" in shown["deadline_note"]

    name = "2027年安排.yaml"
    body = assert_problem(
        await api.post(
            "/calendars",
            token=admin,
            content=BROKEN.encode(),
            headers=YAML | {"X-Filename": quote(name)},
        ),
        422,
        "invalid-schedule",
    )
    problems = body["problems"]
    assert len(problems) >= 3
    assert all(p["file"] == name and p["line"] and p["path"] for p in problems)
    located = {(p["line"], p["path"]) for p in problems}
    assert (6, "holidays[0].to") in located and (9, "holidays[1].to") in located
    assert (10, "holidays[1].workdays[0]") in located  # a Wednesday is no make-up day
    body = assert_problem(
        await api.post("/calendars", token=admin, content=b"year: [2027\n", headers=YAML), 422
    )
    assert body["problems"][0]["file"] == "calendar.yaml" and body["problems"][0]["line"]
    assert_problem(
        await api.post("/calendars", token=admin, content=b"year: 2027\x00\n", headers=YAML),
        422,
        "invalid-schedule",
    )
    assert_problem(
        await api.post("/calendars", token=admin, json={"text": SCHEDULE_2027}),
        415,
        "unsupported-media-type",
    )
    assert_problem(
        await api.post(
            "/calendars", token=world.tokens["bureau"], content=SCHEDULE_2027.encode(), headers=YAML
        ),
        403,
        "forbidden",
    )

    added = await api.post("/calendars", token=admin, content=SCHEDULE_2027.encode(), headers=YAML)
    assert added.status_code == 201, added.text
    assert added.headers["location"] == "/api/v1/calendars/2027"
    doc = added.json()
    assert (doc["year"], doc["revision"], doc["unchanged"]) == (2027, 1, False)
    assert doc["schedule"]["kind"] == "official" and doc["schedule"]["origin"] == "added"
    assert by_date(doc["schedule"])["2027-02-20"]["kind"] == "make_up_workday"
    assert doc["recomputed"] == [
        {
            "kind": "finding",
            "id": str(finding.id),
            "before": "2027-02-19",
            "after": "2027-02-22",  # 春节 to the 13th, Saturday the 20th worked
            "basis": "official",
            "note": "",
        }
    ]
    shown = (await api.get(f"/findings/{finding.id}", token=world.tokens["bureau"])).json()
    assert (shown["deadline"], shown["deadline_basis"], shown["deadline_note"]) == (
        "2027-02-22",
        "official",
        "",
    )

    again = await api.post("/calendars", token=admin, content=SCHEDULE_2027.encode(), headers=YAML)
    assert again.status_code == 200, again.text
    assert again.json()["unchanged"] and again.json()["revision"] == 1
    assert again.json()["recomputed"] == []
    year = (await api.get("/calendars/2027", token=world.tokens["auditor"])).json()
    assert year["origin"] == "added" and year["revisions"] == 1 and not year["provisional"]


async def test_the_bureau_sets_a_deadline_by_hand_with_a_reason(api, world):
    r = await fresh_round(world, "approved")
    f = await Finding.create(
        round_id=r.id,
        unit="ST01",
        rule="R-hand",
        severity="correction",
        opened_on=dt.date(2026, 11, 2),
        deadline=dt.date(2026, 11, 23),
        deadline_working_days=15,
        causes=[],
        explanation_en="x",
        explanation_zh="x",
    )
    bureau, path = world.tokens["bureau"], f"/findings/{f.id}/deadline"
    body = assert_problem(
        await api.post(path, token=bureau, json={"deadline": "2027-01-15", "version": 1}), 422
    )
    assert [p["path"] for p in body["problems"]] == ["body.reason"]
    body = assert_problem(
        await api.post(
            path, token=bureau, json={"deadline": "2027-01-15", "reason": "  ", "version": 1}
        ),
        422,
    )
    assert body["problems"][0]["path"] == "reason"
    body = assert_problem(
        await api.post(
            path, token=bureau, json={"deadline": "2026-11-01", "reason": "停工", "version": 1}
        ),
        422,
    )
    assert body["problems"][0]["path"] == "deadline"
    assert_problem(
        await api.post(path, token=bureau, json={"deadline": "2027-01-15", "reason": "停工"}),
        428,
    )
    assert_problem(
        await api.post(
            path,
            token=world.tokens["agency_a"],
            json={"deadline": "2027-01-15", "reason": "停工", "version": 1},
        ),
        403,
    )
    done = await api.post(
        path,
        token=bureau,
        json={"deadline": "2027-01-15", "reason": "站点所在村封路停工"},
        headers={"If-Match": '"1"'},
    )
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"2"'
    assert (done.json()["deadline"], done.json()["deadline_basis"]) == ("2027-01-15", "override")
    assert done.json()["deadline_note"] == "站点所在村封路停工"
    assert_problem(
        await api.post(
            path, token=bureau, json={"deadline": "2027-01-20", "reason": "再延", "version": 1}
        ),
        409,
        "conflict",
    )


async def test_the_bureau_extends_an_appeal_window_never_shortens_it(api, world):
    await pin_and_sign_in(world, dt.date(2026, 11, 16))
    r = await fresh_round(world, "approved")
    bureau = world.tokens["bureau"]
    shown = (await api.get(f"/rounds/{r.id}", token=world.tokens["agency_a"])).json()
    assert (shown["appeal_until"], shown["appeal_basis"]) == ("2026-11-23", "official")
    assert shown["appeal_note"] == ""
    before = (await api.get(f"/rounds/{world.county.round_a.id}", token=bureau)).json()
    assert (before["appeal_until"], before["appeal_basis"]) == (None, "")  # not approved

    path = f"/rounds/{r.id}/appeal-window"
    for shorter in ("2026-11-20", "2026-11-23"):
        body = assert_problem(
            await api.post(path, token=bureau, json={"until": shorter, "reason": "停电"}), 422
        )
        assert body["problems"][0]["path"] == "until" and "2026-11-23" in body["detail"]
    body = assert_problem(
        await api.post(path, token=bureau, json={"until": "2026-12-04", "reason": ""}), 422
    )
    assert body["problems"][0]["path"] == "reason"
    assert_problem(
        await api.post(
            path, token=world.tokens["agency_a"], json={"until": "2026-12-04", "reason": "停电"}
        ),
        403,
    )
    done = await api.post(path, token=bureau, json={"until": "2026-12-04", "reason": "暴雨停电"})
    assert done.status_code == 200, done.text
    assert done.json() == {
        "round": str(r.id),
        "appeal_until": "2026-12-04",
        "appeal_basis": "override",
        "appeal_note": "暴雨停电",
    }
    shown = (await api.get(f"/rounds/{r.id}", token=bureau)).json()
    assert (shown["appeal_until"], shown["appeal_basis"]) == ("2026-12-04", "override")
    assert (await Round.get(id=r.id)).appeal_until == dt.date(2026, 12, 4)


async def test_a_release_before_its_trigger_date_is_too_early(api, world, published_to_2026):
    await pin_and_sign_in(world, dt.date(2026, 11, 16))
    c = world.county
    contract = await cs.create_contract(
        world.actors["bureau"],
        code="C-2027",
        buyer=c.bureau,
        agency=c.agency_a,
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
        amount_fen=1_000_000,
        stations=[cs.StationTerms(c.stations["ST01"], {})],
    )
    body = assert_problem(
        await api.post(
            f"/contracts/{contract.id}/tranches/T1/release", token=world.tokens["bureau"]
        ),
        409,
        "too-early",
    )
    assert "2027-01-01" in body["detail"] and "2026-11-16" in body["detail"]
    table = (
        await api.get(f"/contracts/{contract.id}/tranches", token=world.tokens["agency_a"])
    ).json()
    t1 = table["items"][0]
    assert (t1["status"], t1["trigger_on"], t1["due_on"], t1["due_basis"]) == (
        "scheduled",
        "2027-01-01",
        None,
        "",
    )
    assert t1["when"] == "from 自 2027-01-01" and "2027-01-01" in t1["due_note"]
    assert table["items"][1]["when"].startswith("after 待 mid-term")

    await pin_and_sign_in(world, dt.date(2027, 1, 4))  # signed: T1 due, counted on 2027
    t1 = (
        await api.get(f"/contracts/{contract.id}/tranches", token=world.tokens["agency_a"])
    ).json()["items"][0]
    assert (t1["status"], t1["due_basis"]) == ("due", "provisional")
    assert t1["when"] == f"{t1['due_on']} 暂定 provisional" and "暂定" in t1["due_note"]
    released = await api.post(
        f"/contracts/{contract.id}/tranches/T1/release", token=world.tokens["bureau"]
    )
    assert released.status_code == 201 and released.json()["released_on"] == "2027-01-04"
