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
