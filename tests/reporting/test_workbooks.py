"""The scorecard workbooks read back with openpyxl: sheets, bilingual headers, every number
equal to the JSON document to the cent, number formats at the system's decimals, charts,
outline, print set-up (tests/reporting/data: real documents of the demo county)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from evaluator.errors import InvalidInput
from evaluator.reporting.outputs import check_format, file_name, render
from evaluator.reporting.workbooks import contract_workbook, station_workbook, summary_workbook

DATA = Path(__file__).parent / "data"


def load(kind: str) -> dict:
    return json.loads((DATA / f"{kind}_report.json").read_text(encoding="utf-8"))


def book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def check_print_setup(ws, doc: dict) -> None:
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows in ("1:2", "$1:$2")  # both header rows on every page
    assert ws.freeze_panes == "B3"
    footer = ws.oddFooter.right.text + ws.oddFooter.left.text
    assert doc["system"]["hash"][:19] in footer and doc["system"]["id"] in footer


def test_station_workbook_sheets_numbers_formats_chart_print():
    doc = load("station")
    data = station_workbook(doc)
    wb = book(data)
    assert wb.sheetnames == [
        "总览 Overview",
        "指标得分 Scores",
        "偏差与整改 Findings",
        "满意度 Satisfaction",
    ]
    for ws in wb.worksheets:
        check_print_setup(ws, doc)
    overview = {r[0]: r[1] for r in rows(wb["总览 Overview"]) if r[0]}
    card = doc["card"]
    assert overview["总分 Total"] == card["total"] and overview["基础分 Base"] == card["base"]
    assert overview["社工站 Station"] == f"{doc['station']['name']}（{doc['station']['code']}）"
    assert (
        overview["本轮排名 Rank in the round"]
        == f"{doc['county']['rank']} / {doc['county']['units']}"
    )
    assert card["grade"]["zh"] in overview["等级 Grade"]
    # the total's cell is formatted with the system's two decimals
    total_cell = next(c for c in wb["总览 Overview"]["B"] if c.value == card["total"])
    assert total_cell.number_format == "0.00"
    # every leaf's points, exactly as the JSON scorecard has them
    scores = wb["指标得分 Scores"]
    header_zh, header_en = rows(scores)[:2]
    assert header_zh[:3] == ("编码", "指标名称", "Name") and header_en[0] == "Code"
    by_code = {r[0]: r for r in rows(scores)[2:]}
    assert len(by_code) == len(doc["system"]["nodes"])  # the whole tree, groups included
    for leaf in card["leaves"]:
        assert by_code[leaf["leaf"]][5] == leaf["points"], leaf["leaf"]
    assert header_zh[13] == "评估意见" and by_code["C1.2"][13] == doc["comments"]["C1.2"][0]
    for family in card["families"]:
        assert by_code[family["code"]][5] == pytest.approx(family["points"], abs=1e-9)
    # groups fold: a leaf under a family sits at outline level ≥ 1, a family at 0
    levels = {
        r[0].value: scores.row_dimensions[r[0].row].outlineLevel
        for r in scores.iter_rows(min_row=3)
    }
    assert levels["A"] == 0 and levels["A1"] == 1 and levels["A1.1"] == 2
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "xl/charts/chart1.xml" in names  # the family chart against the county mean
    chart = zipfile.ZipFile(io.BytesIO(data)).read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and "本轮均值" in chart
    findings = rows(wb["偏差与整改 Findings"])[2:]
    assert [f[1] for f in findings] == [f["rule"] for f in doc["findings"]]
    satisfaction = rows(wb["满意度 Satisfaction"])[2:]
    assert [(s[0], s[2], s[6]) for s in satisfaction] == [
        (s["leaf"], s["n"], s["mean"]) for s in doc["satisfaction"]
    ]


def test_contract_workbook_money_to_the_cent_and_stations_side_by_side():
    doc = load("contract")
    wb = book(contract_workbook(doc))
    assert wb.sheetnames == [
        "总览 Overview",
        "社工站 Stations",
        "失分 Points lost",
        "拨付 Tranches",
        "偏差与整改 Findings",
    ]
    overview = {r[0]: r[1] for r in rows(wb["总览 Overview"]) if r[0]}
    assert round(overview["合同金额（元） Amount (yuan)"] * 100) == doc["contract"]["amount_fen"]
    assert overview["建议说明 Explanation"] == doc["recommendation"]["explanation_zh"]
    tranches = rows(wb["拨付 Tranches"])[2:]
    assert [round(t[2] * 100) for t in tranches] == [t["amount_fen"] for t in doc["tranches"]]
    assert sum(round(t[2] * 100) for t in tranches) == doc["contract"]["amount_fen"]
    stations = rows(wb["社工站 Stations"])
    families = [n for n in doc["system"]["nodes"] if n["depth"] == 1 and n["method"] == "group"]
    assert stations[0][2 : 2 + len(families)] == tuple(f"{f['code']} {f['zh']}" for f in families)
    for got, want in zip(stations[2:], doc["stations"], strict=True):
        assert got[0] == want["code"]
        assert got[2 + len(families) + 2] == want["total"]
        assert list(got[2 : 2 + len(families)]) == [want["families"][f["code"]] for f in families]
    assert wb["社工站 Stations"].conditional_formatting  # grades coloured
    for ws in wb.worksheets:
        check_print_setup(ws, doc)


def test_summary_workbook_every_station_families_filters():
    doc = load("summary")
    data = summary_workbook(doc)
    wb = book(data)
    families = [n for n in doc["system"]["nodes"] if n["depth"] == 1 and n["method"] == "group"]
    assert wb.sheetnames[:3] == ["社工站 Stations", "承接机构 Agencies", "近期拨付 Due in 30 days"]
    assert wb.sheetnames[3:] == [f"{f['code']} {f['zh']}" for f in families]
    stations = wb["社工站 Stations"]
    body = rows(stations)[2:]
    assert [(r[0], r[5], r[6]) for r in body] == [
        (s["code"], s["total"], s["rank"]) for s in doc["stations"]
    ]
    assert stations.auto_filter.ref and stations.conditional_formatting
    open_columns = rows(stations)[1][-4:]
    assert open_columns == (
        "Open observation",
        "Open correction",
        "Open suspension",
        "Open termination",
    )
    first = wb[wb.sheetnames[3]]
    assert rows(first)[2][2] == doc["stations"][0]["nodes"][families[0]["code"]]
    check_print_setup(stations, doc)


def test_outputs_refuse_an_unknown_format_and_name_files_in_chinese():
    doc = load("station")
    with pytest.raises(InvalidInput) as exc:
        check_format("summary", "pdf")
    assert exc.value.problems[0].path == "format"
    name = file_name(doc, "xlsx")
    assert name.startswith("评分卡-") and doc["station"]["code"] in name and name.endswith(".xlsx")
    assert file_name(doc, "pdf").startswith("评估报告-")
    out = render(load("summary"), "json")
    assert json.loads(out.data)["kind"] == "summary" and out.media_type == "application/json"
