"""Who runs a station when, over HTTP (issue 12, point 8): a mid-year rebid signed as a
contract that follows another; as-of reads of stations, contracts and scorecards that name
the agency on either side of the date; a handover of one station; the overlap refused with
the clash named."""

from __future__ import annotations

import datetime as dt

from api_fixtures import assert_problem, pin_and_sign_in
from services.workflow_fixtures import settle_gaps

from evaluator.services import rounds as rs
from evaluator.services.scoring import record_score
from evaluator.store.rounds import Round

D = dt.date


def rebid_body(world, code: str = "C-B2") -> dict:
    c = world.county
    return {
        "code": code,
        "buyer": str(c.bureau.id),
        "agency": str(c.agency_b.id),
        "period_start": "2026-07-01",
        "period_end": "2027-06-30",
        "amount_fen": 25_000_000,
        "stations": [{"station": str(c.stations["ST02"].id), "targets": {"cases": 12}}],
        "renewal_of": str(c.contract_a.id),
    }


async def approve_round_a(world) -> None:
    c = world.county
    for unit in ("ST01", "ST02"):
        await record_score(world.actors["evaluator"], c.round_a.id, unit, "L00", 8)
    round_ = await Round.get(id=c.round_a.id)
    await settle_gaps(round_, world.actors["lead"])
    round_ = await rs.submit_round(world.actors["lead"], round_, round_.version)
    await rs.approve_round(world.actors["bureau"], round_, round_.version)


async def test_a_mid_year_rebid_read_as_of_either_side(api, world):
    c = world.county
    st02 = c.stations["ST02"].id
    await pin_and_sign_in(world, D(2026, 6, 15))
    tokens = world.tokens
    r = await api.post("/contracts", token=tokens["bureau"], json=rebid_body(world))
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["succession"] == "rebid" and new["renewal_of_id"] == str(c.contract_a.id)

    clash = await api.post(
        "/contracts", token=tokens["bureau"], json=rebid_body(world, "C-B3") | {"renewal_of": None}
    )
    problem = assert_problem(clash, 409, "overlapping-link")
    assert "C-B2" in problem["problems"][0]["en"] and "C-B2" in problem["problems"][0]["zh"]

    async def responsible(token: str, on: str | None = None) -> dict | None:
        params = {"as_of": on} if on else {}
        r = await api.get(f"/stations/{st02}", token=token, params=params)
        assert r.status_code == 200, r.text
        return r.json()["responsible"]

    assert (await responsible(tokens["bureau"], "2026-06-30"))["agency_name"] == "阳光社工"
    assert (await responsible(tokens["bureau"], "2026-07-01"))["agency_name"] == "春晖社工"
    detail = (await api.get(f"/stations/{st02}", token=tokens["bureau"])).json()
    assert [
        (link["contract_code"], link["succession"], link["valid_to"]) for link in detail["links"]
    ] == [
        ("C-A", None, "2026-07-01"),
        ("C-B2", "rebid", "2027-07-01"),
    ]
    # before its first day the new agency does not see the station
    assert (await api.get(f"/stations/{st02}", token=tokens["agency_b"])).status_code == 404

    await pin_and_sign_in(world, D(2026, 7, 2))
    tokens = world.tokens
    assert (await responsible(tokens["agency_b"]))["contract_code"] == "C-B2"
    # the old agency keeps its history and is not told who runs the station now
    assert await responsible(tokens["agency_a"]) is None
    assert (await responsible(tokens["agency_a"], "2026-06-30"))["agency_name"] == "阳光社工"
    own = (await api.get(f"/stations/{st02}", token=tokens["agency_a"])).json()["links"]
    assert [link["contract_code"] for link in own] == ["C-A"]

    async def codes(path: str, token: str, **params) -> list[str]:
        r = await api.get(path, token=token, params=params)
        assert r.status_code == 200, r.text
        return [item["code"] for item in r.json()["items"]]

    assert await codes("/stations", tokens["agency_a"], as_of="2026-07-02") == ["ST01"]
    assert await codes("/stations", tokens["agency_b"], as_of="2026-07-02") == ["ST02", "ST03"]
    assert await codes("/stations", tokens["agency_a"]) == ["ST01", "ST02"]  # with history
    listed = (
        await api.get("/stations", token=tokens["bureau"], params={"as_of": "2026-06-30"})
    ).json()
    assert {i["code"]: i["responsible"]["agency_name"] for i in listed["items"]} == {
        "ST01": "阳光社工",
        "ST02": "阳光社工",
        "ST03": "春晖社工",
    }
    assert await codes("/contracts", tokens["bureau"], as_of="2027-03-01") == ["C-B2"]
    assert await codes("/contracts", tokens["bureau"], as_of="2026-03-01") == ["C-A", "C-B"]
    a = await api.get(
        f"/contracts/{c.contract_a.id}", token=tokens["bureau"], params={"as_of": "2026-08-01"}
    )
    assert [s["station_code"] for s in a.json()["stations"]] == ["ST01"]
    bad = await api.get("/stations", token=tokens["bureau"], params={"as_of": "2026-02-30"})
    assert_problem(bad, 422)

    # the station's standing on a date: contract A's approved mid-term round, agency A's
    await approve_round_a(world)

    async def standing(token: str, on: str):
        return await api.get(f"/stations/{st02}/scorecard", token=token, params={"as_of": on})

    card = (await standing(tokens["bureau"], "2026-12-31")).json()
    assert card["round"]["id"] == str(c.round_a.id)
    assert card["agency"]["name"] == "阳光社工" and card["agency"]["contract_code"] == "C-A"
    assert card["responsible"]["agency_name"] == "春晖社工"
    own_card = await standing(tokens["agency_a"], "2026-12-31")
    assert own_card.status_code == 200 and own_card.json()["responsible"] is None
    assert own_card.json()["total"] == card["total"]
    assert_problem(await standing(tokens["agency_b"], "2026-12-31"), 404)
    assert_problem(await standing(tokens["bureau"], "2026-06-01"), 404)


async def test_a_handover_over_http(api, world):
    c = world.county
    await pin_and_sign_in(world, D(2026, 8, 1))
    url = f"/stations/{c.stations['ST03'].id}/handover"
    body = {"contract": str(c.contract_a.id), "on": "2026-09-01", "targets": {"cases": 8}}
    assert_problem(await api.post(url, token=world.tokens["agency_b"], json=body), 404)
    assert_problem(
        await api.post(url, token=world.tokens["bureau"], json=body | {"on": "2027-02-01"}), 422
    )
    r = await api.post(url, token=world.tokens["bureau"], json=body)
    assert r.status_code == 201, r.text
    assert r.json() | {"contract_id": None, "agency_id": None} == {
        "contract_id": None,
        "contract_code": "C-A",
        "agency_id": None,
        "agency_name": "阳光社工",
        "succession": None,
        "valid_from": "2026-09-01",
        "valid_to": "2027-01-01",
        "targets": {"cases": 8},
    }
    again = await api.post(url, token=world.tokens["bureau"], json=body | {"on": "2026-10-01"})
    assert_problem(again, 422)  # already on contract A then
    before = await api.post(url, token=world.tokens["bureau"], json=body | {"on": "2026-05-01"})
    assert_problem(before, 409, "illegal-transition")  # round B (dated 2026-06-30) is open
