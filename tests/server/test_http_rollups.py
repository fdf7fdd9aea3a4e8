"""GET /rollups: the JSON, the workbook, and located problems."""

from __future__ import annotations

import io

import openpyxl
from api_fixtures import assert_problem

V = "/api/v1"


async def test_the_county_roll_up_as_json_and_as_a_workbook(api, world):
    token = world.tokens["bureau"]
    response = await api.get(f"{V}/rollups?period=2026-H2", token=token)
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["region"]["code"] == "341521" and doc["period"]["label_zh"] == "2026年下半年"
    assert (doc["period"]["start"], doc["period"]["end"]) == ("2026-07-01", "2026-12-31")
    row = doc["rows"][0]
    assert row["figures"]["contracts"] == 2 and row["figures"]["contract_value_fen"] == 90_000_000
    columns = {c["key"]: c for c in doc["columns"]}
    assert (
        columns["contract_value_fen"]["money"]
        and columns["contract_value_fen"]["zh"] == "合同金额（元）"
    )

    response = await api.get(f"{V}/rollups?period=2026-H2&format=xlsx", token=token)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["汇总 Roll-up", "说明 Notes"]
    sheet = book["汇总 Roll-up"]
    heads = [c.value for c in sheet[1]]
    values = [c.value for c in sheet[3]]
    assert values[:3] == ["341521", "安平县", "县（区）"]
    # money in yuan, exactly: 90,000,000 fen = 900,000.00 yuan
    assert values[heads.index("合同金额（元）")] == 900_000


async def test_bad_queries_are_located(api, world):
    token = world.tokens["bureau"]
    for query, path in (
        ("", "query.period"),
        ("?period=2026-Q5", "query.period"),
        ("?period=2026-H2&format=pdf", "query.format"),
        ("?period=2026-H2&regoin=341521", "query.regoin"),
    ):
        response = await api.get(f"{V}/rollups{query}", token=token)
        problem = assert_problem(response, 422)
        assert any(path in (p.get("path") or "") for p in problem["problems"]), problem


async def test_the_roll_up_page(api, world):
    bureau = {"Authorization": f"Bearer {world.tokens['bureau']}"}
    home = await api.client.get("/", headers=bureau)
    assert 'href="/rollups"' in home.text
    page = await api.client.get("/rollups?period=2026-Q4", headers=bureau)
    assert page.status_code == 200
    assert "2026年第四季度" in page.text and "安平县" in page.text
    assert "900,000.00" in page.text  # the two contracts' value, in yuan
    assert "format=xlsx" in page.text
    bad = await api.client.get("/rollups?period=2026-Q5", headers=bureau)
    assert bad.status_code == 422 and "不是季度" in bad.text
    agency = {"Authorization": f"Bearer {world.tokens['agency_a']}"}
    assert 'href="/rollups"' not in (await api.client.get("/", headers=agency)).text
