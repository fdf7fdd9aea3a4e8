"""Reports over HTTP: the scorecard workbooks and evaluation reports (`?format=`) and the
round's summary, under the JSON's access rules (blind until approved, another agency's not
found), as downloads with a Chinese file name (RFC 6266); and the same figures as the JSON."""

from __future__ import annotations

import io
from urllib.parse import unquote

import openpyxl
import pytest
from api_fixtures import approved_with_evidence, assert_problem, fresh_round

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_name(response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


async def test_station_workbook_download_matches_the_json(api, world):
    r, _ = await approved_with_evidence(world)
    station = world.county.stations["ST01"]
    path = f"/rounds/{r.id}/stations/{station.id}/scorecard"
    card = (await api.get(path, token=world.tokens["agency_a"])).json()
    response = await api.get(path + "?format=xlsx", token=world.tokens["agency_a"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["cache-control"] == "private, no-store"
    name = download_name(response)
    assert name.startswith("评分卡-ST01-") and name.endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    overview = {row[0]: row[1] for row in wb["总览 Overview"].iter_rows(values_only=True) if row[0]}
    assert overview["总分 Total"] == card["total"]
    leaves = {
        row[0]: row[5] for row in wb["指标得分 Scores"].iter_rows(min_row=3, values_only=True)
    }
    assert leaves["L00"] == next(x["points"] for x in card["leaves"] if x["leaf"] == "L00")


async def test_contract_workbook_and_summary(api, world):
    r, _ = await approved_with_evidence(world)
    response = await api.get(
        f"/rounds/{r.id}/agency-scorecard?format=xlsx", token=world.tokens["bureau"]
    )
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert download_name(response).startswith("评分卡-C-A-")
    summary = await api.get(f"/rounds/{r.id}/summary", token=world.tokens["bureau"])
    assert summary.status_code == 200, summary.text
    doc = summary.json()
    assert [s["code"] for s in doc["stations"]] == ["ST01", "ST02"]
    assert doc["agencies"][0]["contract_code"] == "C-A"
    book = await api.get(f"/rounds/{r.id}/summary?format=xlsx", token=world.tokens["bureau"])
    assert book.status_code == 200 and download_name(book).startswith("评估汇总-C-A-")
    wb = openpyxl.load_workbook(io.BytesIO(book.content))
    totals = [row[5] for row in wb["社工站 Stations"].iter_rows(min_row=3, values_only=True)]
    assert totals == [s["total"] for s in doc["stations"]]


@pytest.mark.parametrize("fmt", ["xlsx", "md", "html"])
async def test_blind_until_approved_and_other_agencies_not_found(api, world, fmt):
    open_round = await fresh_round(world, "open")
    station = world.county.stations["ST01"]
    path = f"/rounds/{open_round.id}/stations/{station.id}/scorecard?format={fmt}"
    assert_problem(await api.get(path, token=world.tokens["agency_a"]), 403)
    r, _ = await approved_with_evidence(world)
    path = f"/rounds/{r.id}/stations/{station.id}/scorecard?format={fmt}"
    assert_problem(await api.get(path, token=world.tokens["agency_b"]), 404)
    assert_problem(
        await api.get(
            f"/rounds/{r.id}/agency-scorecard?format={fmt}", token=world.tokens["agency_b"]
        ),
        404,
    )
    assert_problem(await api.get(f"/rounds/{r.id}/summary", token=world.tokens["agency_b"]), 404)
    assert_problem(await api.get(path), 401)


async def test_summary_is_blind_until_approved(api, world):
    open_round = await fresh_round(world, "open")
    response = await api.get(f"/rounds/{open_round.id}/summary", token=world.tokens["agency_a"])
    assert_problem(response, 403)


async def test_an_unknown_format_is_refused_with_its_path(api, world):
    r, _ = await approved_with_evidence(world)
    station = world.county.stations["ST01"]
    response = await api.get(
        f"/rounds/{r.id}/stations/{station.id}/scorecard?format=docx", token=world.tokens["bureau"]
    )
    problem = assert_problem(response, 422)
    assert [p["path"] for p in problem["problems"]] == ["query.format"]
    response = await api.get(f"/rounds/{r.id}/summary?format=pdf", token=world.tokens["bureau"])
    assert_problem(response, 422)


async def test_station_report_html_and_markdown(api, world):
    r, _ = await approved_with_evidence(world)
    station = world.county.stations["ST01"]
    path = f"/rounds/{r.id}/stations/{station.id}/scorecard"
    card = (await api.get(path, token=world.tokens["bureau"])).json()
    html = await api.get(path + "?format=html", token=world.tokens["bureau"])
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert download_name(html) == download_name(html).replace("/", "")  # a plain file name
    assert download_name(html).startswith("评估报告-ST01-") and download_name(html).endswith(
        ".html"
    )
    text = html.text
    assert "ST01" in text and f"<td>{card['total']:.2f}</td>" in text
    md = await api.get(path + "?format=md", token=world.tokens["bureau"])
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "## 三、评估结果 Results" in md.text
    contract = await api.get(
        f"/rounds/{r.id}/agency-scorecard?format=html", token=world.tokens["bureau"]
    )
    assert contract.status_code == 200 and "各社工站结果" in contract.text


async def test_raters_comments_reach_the_workbook(api, world):
    from services.workflow_fixtures import settle_gaps

    from evaluator.services import rounds as rs
    from evaluator.services.scoring import record_score
    from evaluator.store.rounds import Round

    r = await fresh_round(world, "open")
    await record_score(
        world.actors["evaluator"], r.id, "ST01", "L00", 8, comment="台账与走访记录一致"
    )
    await settle_gaps(r, world.actors["lead"])
    r = await rs.submit_round(world.actors["lead"], r, r.version)
    await rs.approve_round(world.actors["bureau"], r, r.version)
    r = await Round.get(id=r.id)
    station = world.county.stations["ST01"]
    response = await api.get(
        f"/rounds/{r.id}/stations/{station.id}/scorecard?format=xlsx", token=world.tokens["bureau"]
    )
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = {row[0]: row for row in wb["指标得分 Scores"].iter_rows(min_row=3, values_only=True)}
    assert rows["L00"][13] == "台账与走访记录一致"
