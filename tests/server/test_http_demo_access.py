"""The demo county as `make run` serves it: a demo agency user signs in with the
documented password; its own station's scorecard (approved round) is 200, another
agency's is 404."""

from __future__ import annotations

from api_fixtures import assert_problem

from evaluator.demo.load import demo_logins, demo_password, load_demo
from evaluator.demo.scoring import run_demo
from evaluator.store.contracts import Contract, ContractStation
from evaluator.store.orgs import Membership, User
from evaluator.store.rounds import Round


async def test_demo_agency_user_sees_its_own_scorecard_and_not_another_agencys(api):
    await load_demo(run_demo(None))
    logins = await demo_logins()
    assert {(x.role, x.username, x.password) for x in logins} >= {
        ("agency", "agency1", "demo-agency-2026"),
        ("admin", "admin", "demo-admin-2026"),
    }
    assert {x.role for x in logins} == {
        "admin",
        "bureau",
        "city",
        "province",
        "lead",
        "evaluator",
        "supervisor",
        "auditor",
        "township",
        "agency",
    }
    assert {x.username for x in logins if x.role == "evaluator"} == {
        "evaluator",
        "evaluator2",
        "evaluator3",
    }

    r = await api.post(
        "/auth/login", json={"username": "agency1", "password": demo_password("agency")}
    )
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    own_agency = (await Membership.get(user__username="agency1")).organisation_id
    own = await Contract.get(agency_id=own_agency)
    other = await Contract.filter(agency_id__not=own_agency).first()
    own_round, other_round = (
        await Round.get(contract_id=own.id, kind="mid_term"),
        await Round.get(contract_id=other.id, kind="mid_term"),
    )
    own_station = (await ContractStation.filter(contract_id=own.id).first()).station_id
    other_station = (await ContractStation.filter(contract_id=other.id).first()).station_id
    assert own_round.state.value == other_round.state.value == "approved"

    mine = await api.get(f"/rounds/{own_round.id}/stations/{own_station}/scorecard", token=token)
    assert mine.status_code == 200, mine.text
    assert mine.json()["round"]["state"] == "approved" and mine.json()["grade"]["zh"]
    assert_problem(
        await api.get(f"/rounds/{other_round.id}/stations/{other_station}/scorecard", token=token),
        404,
    )
    assert_problem(
        await api.get(f"/rounds/{own_round.id}/stations/{other_station}/scorecard", token=token),
        404,
    )
    listed = (await api.get("/rounds", token=token)).json()
    spot_check = await Round.get(contract_id=own.id, kind="spot_check")  # open, being scored
    assert {x["id"] for x in listed["items"]} == {str(own_round.id), str(spot_check.id)}

    # the city's civil-affairs officer reads the county → city roll-up, and no round
    r = await api.post("/auth/login", json={"username": "city", "password": demo_password("city")})
    assert r.status_code == 200, r.text
    city = r.json()["token"]
    rollup = await api.get("/rollups?period=2026-H2", token=city)
    assert rollup.status_code == 200, rollup.text
    assert [x["region"]["level"] for x in rollup.json()["rows"]] == ["city", "county"]
    assert (await api.get("/rounds", token=city)).json()["items"] == []
    assert_problem(await api.get(f"/rounds/{own_round.id}", token=city), 404)

    # the township official sees the station of their township, no round, contract or agency
    r = await api.post(
        "/auth/login", json={"username": "township", "password": demo_password("township")}
    )
    assert r.status_code == 200, r.text
    township = r.json()["token"]
    stations = (await api.get("/stations", token=township)).json()["items"]
    assert len(stations) == 1 and stations[0]["township_id"]
    assert (await api.get("/rounds", token=township)).json()["items"] == []
    assert (await api.get("/contracts", token=township)).json()["items"] == []
    orgs = (await api.get("/organisations", token=township)).json()["items"]
    assert [o["kind"] for o in orgs] == ["township"]

    # a second start changes nothing: the hashes verify, nobody is signed out
    hashes = dict(await User.all().values_list("username", "password_hash"))
    await demo_logins()
    assert dict(await User.all().values_list("username", "password_hash")) == hashes
    assert (await api.get("/auth/me", token=token)).status_code == 200
