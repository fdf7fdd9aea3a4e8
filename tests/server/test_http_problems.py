"""Every error is RFC 7807 problem+json with bilingual titles and located problems."""

from __future__ import annotations

import logging

from api_fixtures import approved_with_evidence, assert_problem
from services.workflow_fixtures import settle_gaps

from evaluator.services import listing


async def test_404_for_unknown_routes_and_invisible_objects(api, world):
    body = assert_problem(
        await api.get("/no-such-thing", token=world.tokens["bureau"]), 404, "not-found"
    )
    assert body["instance"] == "/api/v1/no-such-thing"
    assert_problem(await api.get("/rounds/not-a-uuid", token=world.tokens["bureau"]), 404)
    # agency B may not even learn that agency A's round exists
    hidden = assert_problem(
        await api.get(f"/rounds/{world.county.round_a.id}", token=world.tokens["agency_b"]), 404
    )
    missing = assert_problem(
        await api.get(
            "/rounds/00000000-0000-4000-8000-000000000000", token=world.tokens["agency_b"]
        ),
        404,
    )
    assert hidden["title"] == missing["title"] and hidden["type"] == missing["type"]


async def test_405_names_the_allowed_methods(api, world):
    r = await api.request(
        "DELETE", f"/rounds/{world.county.round_a.id}", token=world.tokens["admin"]
    )
    body = assert_problem(r, 405, "method-not-allowed")
    assert "GET" in r.headers["allow"] and "DELETE" in body["detail"]


async def test_409_on_a_stale_version_and_the_etag_moves(api, world):
    round_a, lead = world.county.round_a, world.tokens["lead"]
    shown = await api.get(f"/rounds/{round_a.id}", token=lead)
    etag = shown.headers["etag"]
    assert etag == f'"{round_a.version}"'
    await settle_gaps(round_a, world.actors["lead"])  # deciding gaps leaves the version alone
    submitted = await api.post(
        f"/rounds/{round_a.id}/submit", token=lead, headers={"If-Match": etag}
    )
    assert submitted.status_code == 200 and submitted.headers["etag"] == f'"{round_a.version + 1}"'
    returned = await api.post(
        f"/rounds/{round_a.id}/return",
        token=world.tokens["bureau"],
        headers={"If-Match": etag},
        json={"reason": "补充"},
    )
    assert_problem(returned, 409, "conflict")  # the version read before the submit is stale
    no_version = await api.post(
        f"/rounds/{round_a.id}/return", token=world.tokens["bureau"], json={"reason": "补充"}
    )
    assert_problem(no_version, 428, "version-required")
    no_reason = await api.post(
        f"/rounds/{round_a.id}/return",
        token=world.tokens["bureau"],
        json={"version": round_a.version + 1},
    )
    assert assert_problem(no_reason, 422)["problems"][0]["path"] == "reason"
    illegal = await api.post(
        f"/rounds/{round_a.id}/open", token=lead, json={"version": round_a.version + 1}
    )
    assert_problem(illegal, 409, "illegal-transition")


async def test_422_for_malformed_json_names_line_and_column(api, world):
    r = await api.post(
        "/stations",
        token=world.tokens["bureau"],
        content=b'{"code": "X",\n "name": }',
        headers={"Content-Type": "application/json"},
    )
    body = assert_problem(r, 422, "invalid-input")
    assert body["problems"][0]["line"] == 2 and body["problems"][0]["column"] == "10"
    assert_problem(
        await api.post(
            "/stations",
            token=world.tokens["bureau"],
            content=b"\xff\xfe",
            headers={"Content-Type": "application/json"},
        ),
        422,
    )
    assert_problem(await api.post("/stations", token=world.tokens["bureau"]), 422)  # no body at all
    assert_problem(
        await api.post(
            "/stations",
            token=world.tokens["bureau"],
            content=b"code=X",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
    )


async def test_422_for_wrong_types_locates_every_field(api, world):
    body = {
        "code": 7,
        "buyer": "not-a-uuid",
        "agency": str(world.county.agency_a.id),
        "period_start": "2027-02-30",
        "period_end": "2027-12-31",
        "amount_fen": "lots",
        "stations": [{"station": str(world.county.stations["ST01"].id), "targets": {"cases": "x"}}],
        "colour": "red",
    }
    r = await api.post("/contracts", token=world.tokens["bureau"], json=body)
    problems = assert_problem(r, 422, "invalid-input")["problems"]
    paths = {p["path"] for p in problems}
    assert {
        "body.code",
        "body.buyer",
        "body.period_start",
        "body.amount_fen",
        "body.stations[0].targets.cases",
        "body.colour",
    } <= paths
    assert any(p["path"] == "body.buyer" and p["zh"] == "必须是 UUID" for p in problems)


async def test_422_from_the_service_keeps_its_located_problems(api, world):
    c = world.county
    body = {
        "code": "BAD",
        "buyer": str(c.agency_a.id),
        "agency": str(c.bureau.id),
        "period_start": "2027-12-31",
        "period_end": "2027-01-01",
        "amount_fen": 0,
        "stations": [{"station": str(c.stations["ST01"].id)}],
    }
    problems = assert_problem(
        await api.post("/contracts", token=world.tokens["admin"], json=body), 422
    )["problems"]
    assert {p["path"] for p in problems} == {"buyer", "agency", "period_end", "amount_fen"}


async def test_pagination_limits_and_unknown_filters(api, world):
    bureau = world.tokens["bureau"]
    page = (await api.get("/stations?per_page=2&page=2", token=bureau)).json()
    assert (page["page"], page["per_page"], page["total"], [s["code"] for s in page["items"]]) == (
        2,
        2,
        3,
        ["ST03"],
    )
    too_many = assert_problem(
        await api.get(f"/stations?per_page={listing.MAX_PER_PAGE + 1}", token=bureau), 422
    )
    assert too_many["problems"][0]["path"] == "query.per_page"
    assert_problem(await api.get("/stations?page=0", token=bureau), 422)
    typo = assert_problem(await api.get("/rounds?stat=open", token=bureau), 422)
    assert typo["problems"][0]["path"] == "query.stat"
    assert_problem(await api.get("/rounds?state=finished", token=bureau), 422)
    opened = (await api.get("/rounds?state=open", token=bureau)).json()
    assert opened["total"] == 2
    only_b = (await api.get(f"/rounds?agency={world.county.agency_b.id}", token=bureau)).json()
    assert [r["id"] for r in only_b["items"]] == [str(world.county.round_b.id)]
    # a filter naming something out of scope matches nothing (and reveals nothing)
    assert (
        await api.get(f"/rounds?agency={world.county.agency_a.id}", token=world.tokens["agency_b"])
    ).json()["total"] == 0


async def test_423_when_writing_to_an_approved_round(api, world):
    approved, _ = await approved_with_evidence(world)
    r = await api.put(
        f"/rounds/{approved.id}/scores/ST01/L01", token=world.tokens["evaluator"], json={"value": 3}
    )
    assert_problem(r, 423, "locked")


async def test_500_reveals_nothing_and_logs_a_reference(api, world, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("connection to postgres://admin:hunter2@db failed")

    monkeypatch.setattr(listing, "list_stations", broken)
    caplog.set_level(logging.ERROR, logger="evaluator.server")
    r = await api.get("/stations", token=world.tokens["bureau"])
    body = assert_problem(r, 500, "internal-error")
    assert "hunter2" not in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text
    reference = body["detail"].split("reference ")[1].split(")")[0]
    assert reference in caplog.text and "RuntimeError" in caplog.text and "Traceback" in caplog.text
    assert (
        "hunter2" not in caplog.text and "postgres://admin:***@db" in caplog.text
    )  # logged, but not the secret


async def test_a_response_timeout_is_503_not_an_internal_error(api, world, monkeypatch, caplog):
    """sanic's response timeout (ServiceUnavailable) is the server being too slow: 503 with
    a bilingual problem, logged as a warning, never "internal error" (the province load test
    saw a first render of a 2,500-station card answer 500)."""
    from sanic.exceptions import ServiceUnavailable

    async def slow(*args, **kwargs):
        raise ServiceUnavailable("Response Timeout")

    monkeypatch.setattr(listing, "list_stations", slow)
    caplog.set_level(logging.WARNING, logger="evaluator.server")
    r = await api.get("/stations", token=world.tokens["bureau"])
    body = assert_problem(r, 503, "unavailable")
    assert "Response Timeout" in body["problems"][0]["en"] and body["problems"][0]["zh"]
    assert "internal error" not in caplog.text
