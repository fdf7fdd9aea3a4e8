"""The agency scorecard over HTTP once agency-annual reads its stations' approved results
and its ledger: the portfolio and the measured leaves pass the response model, the agency
sees its own card once approved, another agency gets 404 (what HTTP adds to
tests/services/test_agency_portfolio.py)."""

from __future__ import annotations

from services.portfolio_fixtures import (
    agency_round,
    approve,
    import_ledger,
    ledger,
    score_station_round,
)

from evaluator.services import appeals


async def test_the_agency_scorecard_shows_its_portfolio_and_budget_split(api, world, tmp_path):
    county = world.county
    await score_station_round(county, {"ST01": 10, "ST02": 7})
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    rows = [("ST01", "人员经费", 850000), ("", "行政办公", 150000)]  # 85%
    await import_ledger(county, round_, ledger(rows), tmp_path)
    url = f"/rounds/{round_.id}/agency-scorecard"
    got = await api.get(url, token=world.tokens["bureau"])
    assert got.status_code == 200, got.text
    card = got.json()
    assert card["portfolio"]["evaluated"] == 2 and card["portfolio"]["mean"] == 85.0
    assert [s["code"] for s in card["portfolio"]["stations"]] == ["ST01", "ST02"]
    leaves = {leaf["leaf"]: leaf for leaf in card["leaves"]}
    assert leaves["P3"]["source"] == "results" and leaves["P3"]["measured"]["value"] == 1.0
    assert leaves["F3"]["source"] == "register"
    assert leaves["F3"]["measured"]["detail"]["category_fen"] == 850000
    assert (await api.get(url, token=world.tokens["agency_a"])).status_code == 403  # blind
    await approve(county, round_)
    mine = await api.get(url, token=world.tokens["agency_a"])
    assert mine.status_code == 200 and mine.json()["portfolio"] == card["portfolio"]
    assert (await api.get(url, token=world.tokens["agency_b"])).status_code == 404


async def test_an_upheld_appeal_on_a_portfolio_leaf_shows_on_the_card(api, world):
    county = world.county
    await score_station_round(county, {"ST01": 10, "ST02": 7})  # mean 85
    await approve(county, county.round_a)
    round_ = await approve(county, await agency_round(county))
    appeal = await appeals.submit_appeal(
        county.actors["agency_a"], round_.id, str(county.agency_a.id), ["P2"], "ST02 复核后为 80 分"
    )
    await appeals.decide_appeal(
        county.actors["lead"],
        appeal.id,
        uphold=True,
        answer="核实",
        rescored={"P2": 90.0},
        expected_version=appeal.version,
    )
    got = await api.get(f"/rounds/{round_.id}/agency-scorecard", token=world.tokens["agency_a"])
    assert got.status_code == 200, got.text
    p2 = {leaf["leaf"]: leaf for leaf in got.json()["leaves"]}["P2"]
    assert p2["source"] == "appeal" and p2["raw"] == 90.0 and p2["points"] == 10
    assert p2["measured"]["override"]["register_value"] == 85.0
    assert got.json()["portfolio"]["mean"] == 85.0  # what the stations' approval says


async def test_the_scoring_page_of_the_agency_shows_its_stations_results(api, world):
    county = world.county
    await score_station_round(county, {"ST01": 10, "ST02": 7})
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    page = await api.client.get(
        f"/rounds/{round_.id}/stations/{county.agency_a.id}",
        headers={"Authorization": f"Bearer {world.tokens['evaluator']}"},
    )
    assert page.status_code == 200, page.text
    shown = page.text.split('id="register-P2"', 1)[1].split("</div>", 1)[0]
    assert "由社工站已审定评估结果计算" in shown and "：85</strong>" in shown
    assert "station_results" not in shown


async def test_the_agency_round_s_report_and_workbook_download(api, world):
    county = world.county
    await score_station_round(county, {"ST01": 10, "ST02": 7})
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    for fmt in ("xlsx", "html", "md"):
        got = await api.get(
            f"/rounds/{round_.id}/agency-scorecard?format={fmt}", token=world.tokens["bureau"]
        )
        assert got.status_code == 200, (fmt, got.text[:500])
    assert "服务组合指标（P1–P3）" in got.text
