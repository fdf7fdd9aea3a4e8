"""The input boundary's limits (issue 18): each request that once answered 5xx now answers
a located 4xx, the same on SQLite and PostgreSQL — control characters (NUL) in a body, a
query, a path or a page's form; whole numbers beyond 64 bits; pages beyond the last one
possible; nesting; sensitivity levels the system does not have; the scorecard of an
unscored station."""

from __future__ import annotations

from pathlib import Path

from api_fixtures import approved_with_evidence, assert_problem

from evaluator.server import limits
from evaluator.services import listing
from evaluator.services.scoring import record_score


def _paths(response, status: int = 422) -> set[str]:
    return {p["path"] for p in assert_problem(response, status)["problems"]}


async def test_a_nul_anywhere_is_a_located_422_on_both_databases(api, world):
    login = await api.post("/auth/login", json={"username": "ad\u0000min", "password": "x"})
    body = assert_problem(login, 422)
    assert body["problems"][0]["path"] == "body.username"
    assert "U+0000" in body["problems"][0]["en"] and "控制字符" in body["problems"][0]["zh"]
    token, r = world.tokens["evaluator"], world.county.round_a
    assert _paths(await api.get("/rounds?state=op%00en", token=token)) == {"query.state"}
    assert _paths(
        await api.put(f"/rounds/{r.id}/scores/ST%0001/L00", token=token, json={"value": 1})
    ) == {"path"}
    assert _paths(
        await api.put(
            f"/rounds/{r.id}/scores/ST01/L00",
            token=token,
            json={"value": 1, "comment": "bell\u0007"},
        )
    ) == {"body.comment"}
    # a key too: {"na\u0001me": …}
    assert "body.na\u0001me" in _paths(
        await api.post("/declarations", token=token, json={"na\u0001me": "x"})
    )
    # tab and line breaks are text
    ok = await api.put(
        f"/rounds/{r.id}/scores/ST01/L00",
        token=token,
        json={"value": 1, "comment": "第一行\n\t第二行\r\n"},
    )
    assert ok.status_code in (200, 201), ok.text
    # a page's form: the sign-in form with a NUL in the user name
    page = await api.client.post(
        "/login",
        content=b"username=ad%00min&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 422 and "U+0000" in page.text


async def test_whole_numbers_beyond_64_bits_and_absurd_pages(api, world):
    c, bureau = world.county, world.tokens["bureau"]
    body = {
        "code": "BIG",
        "buyer": str(c.bureau.id),
        "agency": str(c.agency_a.id),
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "amount_fen": 2**63,
        "stations": [{"station": str(c.stations["ST01"].id)}],
    }
    assert _paths(await api.post("/contracts", token=bureau, json=body)) == {"body.amount_fen"}
    for page in (2**70, 2**62, listing.MAX_PAGE + 1):
        assert _paths(await api.get(f"/stations?page={page}", token=bureau)) == {"query.page"}
    last = await api.get(f"/stations?page={listing.MAX_PAGE}", token=bureau)
    assert last.status_code == 200 and last.json()["items"] == []
    r = c.round_a
    assert _paths(
        await api.put(
            f"/rounds/{r.id}/scores/ST01/L00",
            token=world.tokens["evaluator"],
            json={"value": 1, "version": 2**64},
        )
    ) == {"body.version"}


async def test_nesting_lists_and_texts_have_limits(api, world):
    token = world.tokens["bureau"]
    deep = {"a": 1}
    for _ in range(limits.MAX_DEPTH + 1):
        deep = {"a": deep}
    paths = _paths(await api.post("/contracts", token=token, json=deep))
    assert any(p.startswith("body.a.a") and p.count(".a") == limits.MAX_DEPTH for p in paths)
    absurd = "[" * 5000 + "]" * 5000
    assert _paths(
        await api.post(
            "/contracts", token=token, content=absurd, headers={"Content-Type": "application/json"}
        )
    ) == {"body"}
    assert limits.json_problems(list(range(limits.MAX_ITEMS + 1)), "body")[0].path == "body"
    assert limits.json_problems("x" * (limits.MAX_TEXT + 1), "body.text")[0].path == "body.text"


async def test_sensitivity_levels_the_system_lacks_are_named(api, world):
    approved, _ = await approved_with_evidence(world)
    for levels in ("0", "9", "0,9"):
        body = assert_problem(
            await api.get(
                f"/rounds/{approved.id}/sensitivity?levels={levels}&samples=20&attribution=false",
                token=world.tokens["lead"],
            ),
            422,
        )
        assert body["problems"][0]["path"] == "levels"
        assert "weights vary at depths" in body["problems"][0]["en"]


async def test_the_scorecard_of_an_unscored_station_of_a_scored_round(api, world):
    c = world.county
    await record_score(world.actors["evaluator"], c.round_a.id, "ST01", "L00", 8)
    r = await api.get(
        f"/rounds/{c.round_a.id}/stations/{c.stations['ST02'].id}/scorecard",
        token=world.tokens["admin"],
    )
    assert r.status_code == 200 and r.json()["total"] == 0.0
    empty = await api.get(
        f"/rounds/{c.round_b.id}/stations/{c.stations['ST03'].id}/scorecard",
        token=world.tokens["admin"],
    )
    assert empty.status_code == 200, empty.text


async def test_findings_take_pages_like_every_list(api, world):
    approved, _ = await approved_with_evidence(world)
    token = world.tokens["bureau"]
    everything = (await api.get(f"/findings?round={approved.id}", token=token)).json()
    assert everything["page"] == 1 and everything["per_page"] == listing.MAX_PER_PAGE
    assert everything["total"] == len(everything["items"])
    if everything["total"] > 1:
        second = (
            await api.get(f"/findings?round={approved.id}&per_page=1&page=2", token=token)
        ).json()
        assert second["items"] == everything["items"][1:2]
    assert _paths(await api.get("/findings?per_page=0", token=token)) == {"query.per_page"}


async def test_an_alias_bomb_posted_as_a_system_is_a_located_422(api, world):
    bomb = (Path(__file__).parents[1] / "corpus" / "systems" / "58-alias-bomb.yaml").read_bytes()
    r = await api.post(
        "/systems?file=bomb.yaml",
        token=world.tokens["admin"],
        content=bomb,
        headers={"Content-Type": "text/yaml"},
    )
    (problem,) = assert_problem(r, 422)["problems"]
    assert "expands to more than 200,000 values" in problem["en"] and problem["line"] == 24


async def test_a_register_row_dated_outside_the_contract_is_located_and_nothing_stored(
    api, world, evidence_dir
):
    from urllib.parse import quote

    from evaluator.store.registers import RegisterImport

    body = (
        "日期,站点编码,支出类别,金额（元）,凭证齐全\n"
        "2026-03-01,ST01,活动经费,900,是\n"
        "2099-03-02,ST01,活动经费,100,是\n"
        "2025-12-31,ST02,人员经费,500,是\n"
    )
    r = await api.post(
        f"/rounds/{world.county.round_a.id}/registers/finance",
        token=world.tokens["agency_a"],
        content=body.encode(),
        headers={"X-Filename": quote("财务台账.csv")},
    )
    problems = assert_problem(r, 422)["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(3, "日期"), (4, "日期")]
    assert (
        "2099-03-02 is outside the contract's period (2026-01-01 – 2026-12-31)" in problems[0]["en"]
    )
    assert "不在合同期内" in problems[1]["zh"]
    assert await RegisterImport.filter(round_id=world.county.round_a.id).count() == 0
