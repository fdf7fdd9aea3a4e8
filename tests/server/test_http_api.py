"""What HTTP adds to the services: a whole round driven over the API (ids, ETags, status
codes, rendering), indicator-system uploads, the health check, and sanic-testing's own
client (kept working: stack notes, trap 12)."""

from __future__ import annotations

import datetime as dt
import uuid

from api_fixtures import PASSWORD, app_name, assert_problem
from sanic import Sanic
from services.workflow_fixtures import SYSTEM

from evaluator import clock
from evaluator.server import create_app
from evaluator.services import auth


async def test_a_round_from_contract_to_published_scorecard(api, world):
    c, t = world.county, world.tokens
    station = await api.post(
        "/stations",
        token=t["bureau"],
        json={"bureau": str(c.bureau.id), "code": "ST09", "name": "新河镇社工站"},
    )
    assert station.status_code == 201, station.text
    duplicate = await api.post(
        "/stations",
        token=t["bureau"],
        json={"bureau": str(c.bureau.id), "code": "ST09", "name": "重复"},
    )
    assert_problem(duplicate, 409, "already-exists")
    contract = await api.post(
        "/contracts",
        token=t["bureau"],
        json={
            "code": "C-2027-09",
            "buyer": str(c.bureau.id),
            "agency": str(c.agency_b.id),
            "period_start": "2027-01-01",
            "period_end": "2027-12-31",
            "amount_fen": 36_000_000,
            "stations": [{"station": station.json()["id"], "targets": {"cases": 20}}],
        },
    )
    assert contract.status_code == 201, contract.text
    detail = (
        await api.get(contract.headers["location"].removeprefix("/api/v1"), token=t["agency_b"])
    ).json()
    assert detail["stations"][0]["station_code"] == "ST09" and detail["stations"][0]["targets"] == {
        "cases": 20
    }
    assert [tranche["share_bp"] for tranche in detail["schedule"]] == [5000, 3000, 2000]

    created = await api.post(
        "/rounds",
        token=t["bureau"],
        json={
            "contract": contract.json()["id"],
            "evaluation_agency": str(c.evaluators.id),
            "system": str(c.round_a.system_id),
            "kind": "final",
            "as_of": "2027-12-15",
        },
    )
    assert created.status_code == 201 and created.headers["etag"] == '"1"', created.text
    rid = created.json()["id"]
    assert (
        await api.post(
            f"/rounds/{rid}/assignments",
            token=t["admin"],
            json={"username": "lead", "role": "lead_evaluator"},
        )
    ).status_code == 201
    assert (
        await api.post(
            f"/rounds/{rid}/assignments",
            token=t["lead"],
            json={"username": "evaluator", "role": "evaluator"},
        )
    ).status_code == 201
    agency_as_rater = await api.post(
        f"/rounds/{rid}/assignments",
        token=t["lead"],
        json={"username": "agency_b", "role": "evaluator"},
    )
    assert_problem(agency_as_rater, 422)  # the assessed agency never scores itself
    opened = await api.post(f"/rounds/{rid}/open", token=t["lead"], headers={"If-Match": '"1"'})
    assert opened.json()["state"] == "open" and opened.headers["etag"] == '"2"'

    score_url = f"/rounds/{rid}/scores/ST09/L00"
    first = await api.put(
        score_url, token=t["evaluator"], json={"value": 6, "comment": "个案 6 个"}
    )
    assert first.status_code == 201 and first.headers["etag"] == '"1"', first.text
    again = await api.put(score_url, token=t["evaluator"], json={"value": 7})
    assert_problem(again, 409, "conflict")  # exists: overwrite needs the version read
    second = await api.put(
        score_url,
        token=t["evaluator"],
        json={"value": 9},
        headers={"If-Match": first.headers["etag"]},
    )
    assert (
        second.status_code == 200
        and second.json()["value"] == 9
        and second.headers["etag"] == '"2"'
    )
    assert_problem(
        await api.put(score_url, token=t["evaluator"], json={"value": 8, "version": 1}), 409
    )
    assert_problem(
        await api.put(
            f"/rounds/{rid}/scores/ST09/L00?item=nope", token=t["evaluator"], json={"value": "six"}
        ),
        422,
    )
    scores = (await api.get(f"/rounds/{rid}/scores?leaf=L00", token=t["lead"])).json()
    assert [(s["unit"], s["value"], s["version"]) for s in scores["items"]] == [("ST09", 9.0, 2)]
    assert_problem(
        await api.get(f"/rounds/{rid}/scores", token=t["agency_b"]), 403
    )  # blind until approved

    # the completeness gate: 49 leaves of ST09 have no value — every one is listed
    refused = assert_problem(
        await api.post(f"/rounds/{rid}/submit", token=t["lead"], json={"version": 2}), 422
    )
    assert len(refused["problems"]) == 49 and refused["problems"][0]["path"] == "gaps.ST09.L01"
    gaps = (await api.get(f"/rounds/{rid}/gaps", token=t["lead"])).json()
    assert (gaps["complete"], gaps["undecided"]) == (False, 49)
    assert_problem(await api.get(f"/rounds/{rid}/gaps", token=t["agency_b"]), 403)
    assert_problem(
        await api.post(
            f"/rounds/{rid}/gaps",
            token=t["evaluator"],
            json={"unit": "ST09", "leaf": "L01", "decision": "not_applicable", "reason": "x"},
        ),
        403,
    )  # only the lead decides
    assert_problem(
        await api.post(
            f"/rounds/{rid}/gaps",
            token=t["lead"],
            json={"unit": "ST09", "leaf": "L01", "decision": "not_applicable", "reason": " "},
        ),
        422,
    )
    for i in range(1, 50):
        decided = await api.post(
            f"/rounds/{rid}/gaps",
            token=t["lead"],
            json={
                "unit": "ST09",
                "leaf": f"L{i:02d}",
                "decision": "not_applicable" if i == 1 else "accepted_missing",
                "reason": "本站未开展该项服务" if i == 1 else "现场未见佐证",
            },
        )
        assert decided.status_code == 200, decided.text
    assert decided.json()["complete"] is True
    submitted = await api.post(f"/rounds/{rid}/submit", token=t["lead"], json={"version": 2})
    if clock.today() < dt.date(2027, 12, 15):  # not before the round's evaluation date
        early = await api.post(
            f"/rounds/{rid}/approve",
            token=t["bureau"],
            json={"version": submitted.json()["version"]},
        )
        assert_problem(early, 409, "too-early")
        assert "2027-12-15" in early.text and clock.today().isoformat() in early.text
    clock.pin(dt.date(2027, 12, 15))  # a year on: the sessions of today have expired
    for name in t:
        t[name] = (await auth.login(name, PASSWORD, "198.51.100.1")).token
    approved = await api.post(
        f"/rounds/{rid}/approve", token=t["bureau"], json={"version": submitted.json()["version"]}
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved", approved.text
    card = await api.get(
        f"/rounds/{rid}/stations/{station.json()['id']}/scorecard", token=t["agency_b"]
    )
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["station"]["code"] == "ST09" and body["round"]["state"] == "approved"
    assert next(leaf for leaf in body["leaves"] if leaf["leaf"] == "L00")["raw"] == 9.0
    assert_problem(
        await api.get(
            f"/rounds/{rid}/stations/{station.json()['id']}/scorecard", token=t["agency_a"]
        ),
        404,
    )
    agency_card = (await api.get(f"/rounds/{rid}/agency-scorecard", token=t["agency_b"])).json()
    assert (
        agency_card["aggregate"]["stations"] == 1 and agency_card["stations"][0]["code"] == "ST09"
    )


async def test_indicator_system_upload_locates_problems(api, world):
    bad = await api.post(
        "/systems?file=broken.yaml",
        token=world.tokens["bureau"],
        content=b"system: {id: x}\ntree: 3\n",
        headers={"Content-Type": "text/yaml"},
    )
    problems = assert_problem(bad, 422, "invalid-system")["problems"]
    assert all(p["file"] == "broken.yaml" for p in problems) and any(
        p.get("line") for p in problems
    )
    as_yaml = await api.post(
        "/systems",
        token=world.tokens["lead"],
        content=SYSTEM.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    as_json = await api.post(
        "/systems", token=world.tokens["lead"], json={"text": SYSTEM, "file": "wf.yaml"}
    )
    assert as_yaml.status_code == as_json.status_code == 201
    assert (
        as_yaml.json()["id"] == as_json.json()["id"] == str(world.county.round_a.system_id)
    )  # same content, same version
    shown = (
        await api.get(f"/systems/{as_json.json()['id']}", token=world.tokens["agency_a"])
    ).json()
    assert shown["source"] == SYSTEM and shown["content_hash"].startswith("sha256:")
    assert_problem(
        await api.post("/systems", token=world.tokens["evaluator"], json={"text": SYSTEM}), 403
    )


async def test_health_is_503_while_a_migration_is_pending(api, db):
    ok = await api.get("/healthz")
    assert ok.status_code == 200 and ok.json() == {"status": "ok"}
    rows = await db.execute("SELECT app, name, applied_at FROM tortoise_migrations")
    row = max(rows, key=lambda r: r["name"])  # the latest migration: pending again
    await db.execute("DELETE FROM tortoise_migrations WHERE name = ?", row["name"])
    try:
        body = assert_problem(await api.get("/healthz"), 503, "database-not-ready")
        assert "evaluator migrate" in body["detail"]
    finally:  # the PostgreSQL pass shares one database between tests: put the record back
        await db.execute(
            "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES (?, ?, ?)",
            row["app"],
            row["name"],
            row["applied_at"],
        )


async def test_sanic_testing_client_still_drives_the_app(db, world, monkeypatch):
    # sanic-testing replaces Sanic.__call__ for good (its version ignores the ASGI lifespan
    # the other tests' client relies on): put the original back afterwards.
    monkeypatch.setattr(Sanic, "__call__", Sanic.__call__)
    app = create_app(app_name(), register_orm=False)
    _, login = await app.asgi_client.post(
        "/api/v1/auth/login", json={"username": "auditor", "password": PASSWORD}
    )
    assert login.status_code == 200
    _, verify = await app.asgi_client.get(
        "/api/v1/audit/verify", headers={"Authorization": f"Bearer {login.json['token']}"}
    )
    assert verify.status_code == 200 and verify.json["ok"] is True
    _, unknown = await app.asgi_client.get(
        f"/api/v1/rounds/{uuid.uuid4()}"
    )  # the login cookie came back
    assert unknown.status_code == 404 and unknown.json["title_zh"] == "未找到"
    app.asgi_client.cookies.clear()
    _, anonymous = await app.asgi_client.get(f"/api/v1/rounds/{uuid.uuid4()}")
    assert anonymous.status_code == 401
