"""A township official over HTTP: their round, their station's purchaser leaf, their part —
and 404 or 403 for everything else (the matrix's ``township`` column covers every route)."""

from __future__ import annotations

from api_fixtures import PASSWORD, assert_problem
from services.test_townships import PURCHASER_SYSTEM, township_official, year_end
from services.workflow_fixtures import build_county

from evaluator.services import auth, panel_staff
from evaluator.services.actors import Actor
from evaluator.store.base import Role

V = "/api/v1"


async def test_the_township_official_rates_its_station_and_nothing_else(api, db):
    county = await build_county(system=PURCHASER_SYSTEM)
    await township_official(county)
    final = await year_end(county)
    lead = county.actors["lead"]
    await auth.set_password(Actor.system(), "lead", PASSWORD)
    lead_token = (await auth.login("lead", PASSWORD, "198.51.100.1")).token
    lead_headers = {"Authorization": f"Bearer {lead_token}"}
    page = await api.client.get(f"/rounds/{final.id}", headers=lead_headers)
    assert "乡镇（街道），为购买方评分" in page.text  # offered to the lead at year end
    body = {"username": "township", "role": "evaluator", "rater_role": "purchaser"}
    response = await api.post(
        f"{V}/rounds/{county.round_a.id}/assignments", json=body, token=lead_token
    )
    assert [p["path"] for p in assert_problem(response, 422)["problems"]] == ["role"]
    response = await api.post(f"{V}/rounds/{final.id}/assignments", json=body, token=lead_token)
    assert response.status_code == 201 and response.json()["role"] == "township_official"
    page = await api.client.get(f"/rounds/{final.id}", headers=lead_headers)
    assert "township · 乡镇（街道）人员" in page.text
    assert lead is not None

    await auth.set_password(Actor.system(), "township", PASSWORD)
    token = (await auth.login("township", PASSWORD, "198.51.100.1")).token
    rounds = (await api.get(f"{V}/rounds", token=token)).json()["items"]
    assert [r["id"] for r in rounds] == [str(final.id)]
    stations = (await api.get(f"{V}/stations", token=token)).json()["items"]
    assert [s["code"] for s in stations] == ["ST01"]
    own = (await api.get(f"{V}/stations/{county.stations['ST01'].id}", token=token)).json()
    assert own["code"] == "ST01" and own["responsible"] is None  # nor who runs it
    assert (await api.get(f"{V}/contracts", token=token)).json()["items"] == []
    orgs = (await api.get(f"{V}/organisations", token=token)).json()["items"]
    assert [o["kind"] for o in orgs] == ["township"]

    put = await api.put(f"{V}/rounds/{final.id}/scores/ST01/L49", json={"value": 8}, token=token)
    assert put.status_code == 201, put.text
    other = await api.put(f"{V}/rounds/{final.id}/scores/ST02/L49", json={"value": 8}, token=token)
    problem = assert_problem(other, 422)
    assert "不是本轮中您所在乡镇（街道）的社工站" in problem["problems"][0]["zh"]
    assert_problem(
        await api.put(f"{V}/rounds/{final.id}/scores/ST01/L00", json={"value": 8}, token=token),
        403,
    )
    for path, status in (
        (f"/rounds/{final.id}/scores", 403),
        (f"/rounds/{final.id}/summary", 403),
        (f"/rounds/{final.id}/stations/{county.stations['ST01'].id}/scorecard", 403),
        (f"/rounds/{final.id}/gaps", 403),
        (f"/rounds/{final.id}/registers", 404),
        (f"/rounds/{final.id}/citations", 403),
        (f"/rounds/{final.id}/disagreements", 403),
        (f"/contracts/{county.contract_a.id}", 404),
        (f"/contracts/{county.contract_a.id}/tranches", 404),
        (f"/organisations/{county.agency_a.id}", 404),
        (f"/organisations/{county.evaluators.id}", 404),
        (f"/stations/{county.stations['ST02'].id}", 404),
        (f"/rounds/{county.round_a.id}", 404),
    ):
        assert_problem(await api.get(V + path, token=token), status)
    # the pages: their station to score on the round's page, its form, no other station
    headers = {"Authorization": f"Bearer {token}"}
    page = await api.client.get(f"/rounds/{final.id}", headers=headers)
    assert page.status_code == 200, page.text
    assert f"/rounds/{final.id}/stations/ST01" in page.text and "ST02" not in page.text
    form = await api.client.get(f"/rounds/{final.id}/stations/ST01", headers=headers)
    assert form.status_code == 200 and "L49" in form.text and "L00" not in form.text
    assert (
        await api.client.get(f"/rounds/{final.id}/stations/ST02", headers=headers)
    ).status_code == 403
    response = await api.post(f"{V}/rounds/{final.id}/my-part", token=token)
    assert response.status_code == 200 and response.json()["unanswered"] == 0
    # submitted, they still see no result
    assert_problem(await api.get(f"{V}/rounds/{final.id}/summary", token=token), 403)
    assert await panel_staff.staffing(lead, final.id) is not None
    assert Role.TOWNSHIP_OFFICIAL.value == "township_official"
