"""The evaluation report (评估报告) as HTML, from the real documents of the demo county:
what each section must show (headings, grades, findings with their provisional deadlines,
money computed by hand from fen), user text that cannot break a Markdown table, the inline
SVG chart, a bureau's broken template located by file and line, and PDF through Chromium
(or a refusal that says how to install it). tests/reporting/test_report.py covers the
narrative and the half-up rounding of ``pts``."""

from __future__ import annotations

import copy
import json
import re
import shutil
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.errors import InvalidInput
from evaluator.reporting.charts import family_bars_svg
from evaluator.reporting.report import (
    percent,
    render_html,
    render_markdown,
    render_pdf,
    yuan,
)
from evaluator.shipped import shipped_dir

DATA = Path(__file__).parent / "data"
SVG = "{http://www.w3.org/2000/svg}"

STATION_SECTIONS = (
    "一、基本情况 Basic facts",
    "二、评估方法 Method",
    "三、评估结果 Results",
    "四、指标得分明细 Scores by leaf",
    "五、偏差与整改 Findings and rectification",
    "六、满意度 Satisfaction",
    "七、续签建议 Recommendation",
    "八、拨付 Tranches",
    "附录 佐证材料 Appendix: evidence",
)
CONTRACT_SECTIONS = (
    "一、基本情况 Basic facts",
    "二、评估方法 Method",
    "三、各社工站结果 Stations",
    "四、续签建议 Recommendation",
    "五、偏差与整改 Findings",
    "六、拨付 Tranches",
)


def load(kind: str) -> dict:
    return json.loads((DATA / f"{kind}_report.json").read_text(encoding="utf-8"))


def by_hand(fen: int) -> str:
    """Yuan written out digit by digit, without the code under test."""
    digits = str(fen).rjust(3, "0")
    whole, cents = digits[:-2], digits[-2:]
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "¥" + ",".join(groups) + "." + cents


def half_up(value: float, decimals: int = 2) -> str:
    """A score as the report prints it: half-up at the system's decimals (19.125 → 19.13,
    where Python's own format gives 19.12)."""
    step = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def rows_of(html: str, heading: str) -> list[list[str]]:
    """The body rows (cell texts) of the first table after ``<h2>heading</h2>``."""
    section = html.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.findall(r"<td>(.*?)</td>", row, re.S) for row in body.split("</tr>") if "<td>" in row
    ]


# -- the station report ---------------------------------------------------------------------
def test_station_report_is_one_standalone_html_document():
    doc = load("station")
    html = render_html(doc)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert f"<title>{doc['station']['name']}评估报告</title>" in html
    assert "<style>" in html and "@page" in html and "size: A4" in html  # print.css inlined
    assert '"Noto Sans CJK SC"' in html
    assert "http://" not in html and "https://" not in html  # no CDN, no web font, no link
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert html.count("<svg") == 1 and "</svg>" in html


def test_station_report_sections_in_order():
    html = render_html(load("station"))
    places = [html.index(f"<h2>{heading}</h2>") for heading in STATION_SECTIONS]
    assert places == sorted(places)


def test_station_report_facts_results_and_method():
    doc = load("station")
    card, station = doc["card"], doc["station"]
    html = render_html(doc)
    assert f"<td>{station['name']}（{station['code']}）</td>" in html
    assert f"<td>{station['township']}</td>" in html
    assert f"<td>{card['agency']['contract_code']}</td>" in html
    assert f"<td>{doc['method']['evaluation_agency']}</td>" in html
    assert doc["system"]["hash"] in html and doc["system"]["name_zh"] in html
    assert "去掉一个最高分和一个最低分" in html
    # the results row: base, bonus, total at the system's decimals (2), grade, rank of N
    (results,) = rows_of(html, "三、评估结果 Results")[:1]
    decimals = doc["system"]["decimals"]
    assert results[:3] == [half_up(card[k], decimals) for k in ("base", "bonus", "total")]
    assert results[3] == f"<strong>{card['grade']['zh']}</strong> {card['grade']['en']}"
    assert results[4] == f"{doc['county']['rank']} / {doc['county']['units']}"
    # graded 优秀 on its points, capped to 不合格 by the veto: both grades and the flag shown
    assert card["capped"] and card["grade_uncapped"]["zh"] != card["grade"]["zh"]
    assert f"按分数应为{card['grade_uncapped']['zh']}" in html and "veto:V4" in html


def test_station_report_family_table_shows_share_and_round_mean():
    doc = load("station")
    html = render_html(doc)
    means = doc["county"]["family_means"]
    for f in doc["card"]["families"]:
        share = f"{100 * f['points'] / f['max']:.1f}%"
        row = f"<td>{f['code']} {f['zh']}</td>\n<td>{half_up(f['max'])}</td>\n<td>{half_up(f['points'])}</td>"
        assert row in html and f"<td>{share}</td>" in html
        assert f"<td>{half_up(means[f['code']])}</td>" in html
        assert f">{f['code']} {f['zh']}</text>" in html  # the chart's label


def test_station_report_finding_recommendation_tranches():
    doc = load("station")
    html = render_html(doc)
    (finding,) = doc["findings"]
    (row,) = rows_of(html, "五、偏差与整改 Findings and rectification")
    assert row[0] == finding["rule"] == "DV-VETO"
    assert row[1] == "停止 termination" and row[2] == "待整改" and row[3] == "—"
    assert row[4] == finding["explanation_zh"]
    assert "<strong>重新招标</strong>" in html and doc["recommendation"]["explanation_zh"] in html
    rows = rows_of(html, "八、拨付 Tranches")
    assert [r[0] for r in rows] == [t["code"] for t in doc["tranches"]]
    assert rows[0][1] == "¥1,020,000.00" == by_hand(doc["tranches"][0]["amount_fen"])
    assert rows[1][2] == "暂缓"  # withheld while the veto finding is open


def test_station_report_satisfaction_and_registers():
    doc = load("station")
    html = render_html(doc)
    sat = rows_of(html, "六、满意度 Satisfaction")
    first = doc["satisfaction"][0]
    assert sat[0][:4] == [first["leaf"], first["name_zh"], f"{first['n']:g}", str(first["quota"])]
    assert sat[0][5] == f"{half_up(first['ci95'][0])} – {half_up(first['ci95'][1])}"
    registers = rows_of(html, "附录 佐证材料 Appendix: evidence")
    versions = [v for vs in doc["card"]["registers"].values() for v in vs]
    assert len(registers) == len(versions)
    for v in versions:
        assert f"<code>{v['sha256'][:12]}</code>" in html
        assert v["sha256"][12:20] not in html  # only the first 12 characters


def test_provisional_deadlines_empty_findings_and_no_recommendation():
    doc = load("station")
    finding = doc["findings"][0] | {
        "deadline": "2027-01-28",
        "deadline_basis": "provisional",
        "severity": "correction",
    }
    html = render_html(doc | {"findings": [finding]})
    (row,) = rows_of(html, "五、偏差与整改 Findings and rectification")
    assert row[1] == "整改 correction" and row[3] == "2027-01-28（暂定）"
    official = render_html(doc | {"findings": [finding | {"deadline_basis": "official"}]})
    assert "<td>2027-01-28</td>" in official and "（暂定）" not in official
    quiet = render_html(doc | {"findings": [], "recommendation": None})
    assert "<p>无 None.</p>" in quiet
    assert "尚无建议" in quiet


def test_graded_on_the_base_says_bonus_is_outside_the_grade():
    doc = load("station")
    doc["system"] = doc["system"] | {"grade_on": "base"}
    assert "基础分" in render_markdown(doc) and "加分不计入等级" in render_markdown(doc)
    assert "加分不计入等级" not in render_markdown(load("station"))


def test_user_text_cannot_break_a_table_or_inject_html():
    doc = copy.deepcopy(load("station"))
    doc["station"]["township"] = "东|西\n<b>镇</b>"
    doc["findings"][0]["explanation_zh"] = "甲|乙\r\n丙 <img src=x onerror=alert(1)>"
    html = render_html(doc)
    facts = rows_of(html, "一、基本情况 Basic facts")
    assert all(len(r) == 2 for r in facts)
    assert ["乡镇（街道） Township", "东|西 &lt;b&gt;镇&lt;/b&gt;"] in facts
    (row,) = rows_of(html, "五、偏差与整改 Findings and rectification")
    assert len(row) == 5 and row[4] == "甲|乙  丙 &lt;img src=x onerror=alert(1)&gt;"
    assert "<img" not in html and "<b>" not in html


def test_html_in_the_station_name_stays_text():
    doc = load("station")
    doc["station"] = doc["station"] | {"name": "<script>alert(1)</script>站"}
    doc["card"]["agency"]["name"] = "<img src=x onerror=alert(1)>"
    html = render_html(doc)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;站评估报告</h1>" in html


# -- the contract report --------------------------------------------------------------------
def test_contract_report_sections_stations_side_by_side():
    doc = load("contract")
    html = render_html(doc)
    assert (
        f"<title>{doc['card']['agency']['name']}评估报告（{doc['contract']['code']}）</title>"
        in html
    )
    places = [html.index(f"<h2>{heading}</h2>") for heading in CONTRACT_SECTIONS]
    assert places == sorted(places)
    assert "http://" not in html and "https://" not in html
    assert f"<td>{by_hand(doc['contract']['amount_fen'])}</td>" in html  # ¥2,040,000.00
    families = [n for n in doc["system"]["nodes"] if n["depth"] == 1 and not n["bonus"]]
    head = html.split("<h2>三、各社工站结果 Stations</h2>", 1)[1].split("</thead>", 1)[0]
    for f in families:
        assert f"<th>{f['code']} {f['zh']}</th>" in head
    rows = rows_of(html, "三、各社工站结果 Stations")
    assert len(rows) == len(doc["stations"])
    for s, row in zip(doc["stations"], rows, strict=True):
        assert row[0] == f"{s['code']} {s['name']}"
        assert row[1 : 1 + len(families)] == [half_up(s["families"][f["code"]]) for f in families]
        assert row[-3:] == [half_up(s["total"]), s["grade_zh"], str(s["rank"])]
    aggregate = doc["card"]["aggregate"]
    assert (
        f"平均总分 {half_up(aggregate['mean_total'])}，最低 {half_up(aggregate['min_total'])}"
        in html
    )


def test_contract_report_losses_findings_of_every_station_and_tranches():
    doc = load("contract")
    html = render_html(doc)
    losses = rows_of(html, "四、续签建议 Recommendation")
    expected = doc["recommendation"]["losses"]
    assert [r[1] for r in losses] == [x["code"] for x in expected["families"] + expected["leaves"]]
    findings = rows_of(html, "五、偏差与整改 Findings")
    assert [(r[0], r[1]) for r in findings] == [(f["unit"], f["rule"]) for f in doc["findings"]]
    for f, row in zip(doc["findings"], findings, strict=True):
        if f["deadline_basis"] == "provisional":
            assert row[4] == f"{f['deadline']}（暂定）"
    tranches = rows_of(html, "六、拨付 Tranches")
    for t, row in zip(doc["tranches"], tranches, strict=True):
        assert row[1] == f"{t['share_bp'] // 100}%" and row[2] == by_hand(t["amount_fen"])


# -- a bureau's own templates (a copy of reports/, station.md.j2 replaced) ---------
def bureau_copy(tmp_path: Path, station: str, **others: str) -> Path:
    folder = tmp_path / "our-templates"
    shutil.copytree(shipped_dir("reports"), folder)
    (folder / "station.md.j2").write_text(station, encoding="utf-8")
    for name, text in others.items():
        (folder / name.replace("_", ".")).write_text(text, encoding="utf-8")
    return folder


# -- filters --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0.00"),
        (1, "¥0.01"),
        (10, "¥0.10"),
        (100000, "¥1,000.00"),
        (123456789, "¥1,234,567.89"),
        (10**17 + 1, "¥1,000,000,000,000,000.01"),  # past a float's 2**53: still exact
    ],
)
def test_yuan_by_hand(fen, text):
    assert yuan(fen) == text == by_hand(fen)


@given(st.integers(min_value=0, max_value=10**20))
def test_yuan_reads_back_to_the_same_fen(fen):
    text = yuan(fen)
    assert re.fullmatch(r"¥(0|[1-9]\d{0,2}(,\d{3})*)\.\d\d", text)
    assert int(text.removeprefix("¥").replace(",", "").replace(".", "")) == fen


def test_templates_see_the_same_filters(tmp_path):
    folder = bureau_copy(
        tmp_path,
        "{{ tranches[0].amount_fen | yuan }} {{ 0.875 | pct }} {{ card.total | pts(decimals) }} "
        "{{ none | pts(decimals) }}\n",
    )
    doc = load("station")
    assert render_markdown(doc, folder).strip() == (
        f"{by_hand(doc['tranches'][0]['amount_fen'])} 87.5% {half_up(doc['card']['total'])} —"
    )
    assert percent(0.875) == "87.5%" and percent(1) == "100.0%" and percent(None) == "—"


# -- the chart ------------------------------------------------------------------------------
FAMILIES = [
    {"code": "A", "zh": "行政合规", "points": 13.125, "max": 15.0},
    {"code": "B", "zh": "<项目&管理>", "points": None, "max": 20.0},
    {"code": "C", "zh": "空", "points": 0.0, "max": 0.0},
]


def test_chart_is_wellformed_svg_with_a_row_per_family():
    svg = family_bars_svg(FAMILIES, {"A": 12.0, "B": None, "C": None})
    root = ET.fromstring(svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))
    assert root.get("width") == "640"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "A 行政合规" in texts and "B <项目&管理>" in texts and "87.5%" in texts
    assert texts.count("0.0%") == 2  # no points; no maximum: no division by zero
    markers = [x for x in root.iter(f"{SVG}line") if x.get("stroke-width") == "3"]
    assert len(markers) == 1 + 1  # A's round mean, and the legend's sample marker
    assert "href" not in svg and "<script" not in svg and "http" not in svg.replace(SVG[1:-1], "")


def test_chart_grows_with_rows_and_draws_no_marker_without_means():
    two = family_bars_svg(FAMILIES[:2], None)
    three = family_bars_svg(FAMILIES, None)
    height = [int(re.search(r'height="(\d+)"', s).group(1)) for s in (two, three)]
    assert height[1] > height[0]
    assert three.count('stroke-width="3"') == 1  # the legend only


@pytest.mark.parametrize(
    ("template", "line", "says"),
    [
        ("# {{ station.name }}\n\n{% for leaf in card.leaves %}{{ leaf.leaf }\n", 3, "unexpected"),
        ("# {{ station.name }}\n{{ card.no_such_total }}\n", 2, "no_such_total"),
        ("# x\n{% for leaf in card.leaves %}\n{{ leaf.nope }}\n{% endfor %}\n", 3, "nope"),
        ("# x\n\n\n{{ card.total | no_such_filter }}\n", 4, "no_such_filter"),
    ],
    ids=["syntax", "undefined", "undefined-in-loop", "unknown-filter"],
)
def test_a_broken_template_is_located(tmp_path, template, line, says):
    folder = bureau_copy(tmp_path, template)
    with pytest.raises(InvalidInput) as exc:
        render_html(load("station"), folder)
    (problem,) = exc.value.problems
    assert Path(problem.file).name == "station.md.j2" and problem.line == line
    assert says in problem.en and "模板" in problem.zh


def test_an_error_in_an_included_template_names_that_file(tmp_path):
    folder = bureau_copy(
        tmp_path,
        "# {{ station.name }}\n{% include 'part.md.j2' %}\n",
        part_md_j2="ok\n{{ nothing }}\n",
    )
    with pytest.raises(InvalidInput) as exc:
        render_markdown(load("station"), folder)
    (problem,) = exc.value.problems
    assert Path(problem.file).name == "part.md.j2" and problem.line == 2


def test_a_missing_template_is_named(tmp_path):
    folder = bureau_copy(tmp_path, "# ok\n")
    (folder / "contract.md.j2").unlink()
    with pytest.raises(InvalidInput) as exc:
        render_html(load("contract"), folder)
    (problem,) = exc.value.problems
    assert Path(problem.file).name == "contract.md.j2" and "contract.md.j2" in problem.zh
    assert render_html(load("station"), folder).count("<h1>ok</h1>") == 1  # the other still works


def test_only_station_and_contract_documents_have_a_report():
    with pytest.raises(InvalidInput):
        render_markdown(load("summary"))


# -- PDF ------------------------------------------------------------------------------------
def test_pdf_without_chromium_on_the_path_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no chromium, no chromium-browser
    with pytest.raises(InvalidInput) as exc:
        render_pdf(render_html(load("station")))
    (problem,) = exc.value.problems
    assert "apt-get install chromium fonts-noto-cjk" in problem.en and "--format html" in problem.en
    assert "chromium" in problem.zh and "fonts-noto-cjk" in problem.zh


@pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="Chromium is not installed (apt-get install chromium fonts-noto-cjk)",
)
def test_pdf_prints_every_section_on_its_own_page():
    data = render_pdf(render_html(load("station")))
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    assert pages >= len(STATION_SECTIONS)  # h2 { page-break-before: always } but the first
