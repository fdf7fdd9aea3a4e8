"""The evaluation report (评估报告): golden fragments of the HTML rendered from real documents
of the demo county, exact money, a broken template located by file and line, and PDF
through Chromium (or a clear refusal where it is missing)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.errors import InvalidInput
from evaluator.reporting import report
from evaluator.reporting.report import points, render_html, render_markdown, render_pdf, yuan
from evaluator.shipped import shipped_dir
from tests.reporting.test_report_html import STATION_SECTIONS

DATA = Path(__file__).parent / "data"


def load(kind: str) -> dict:
    return json.loads((DATA / f"{kind}_report.json").read_text(encoding="utf-8"))


def test_station_report_golden_fragments():
    doc = load("station")
    html = render_html(doc)
    card = doc["card"]
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert f"<title>{doc['station']['name']}评估报告</title>" in html
    for heading in STATION_SECTIONS:
        assert f"<h2>{heading}</h2>" in html, heading
    assert f"<td>{doc['station']['name']}（{doc['station']['code']}）</td>" in html
    # the total at the system's decimals, the final grade, the flag that capped it
    assert (
        f"<td>{card['total']:.2f}</td>" in html
        and f"<strong>{card['grade']['zh']}</strong>" in html
    )
    assert "veto:V4" in html and "DV-VETO" in html
    assert "<li>C1.2：个案档案抽查 10 份，2 份缺少结案评估</li>" in html  # raters' comments
    # each family's points and the round's mean, as the scorecard has them
    for f in card["families"]:
        assert f"<td>{points(f['points'], 2)}</td>" in html
    first = doc["tranches"][0]
    assert f"<td>{yuan(first['amount_fen'])}</td>" in html
    whole, cents = divmod(first["amount_fen"], 100)
    assert f"¥{whole:,}.{cents:02d}" in html  # by hand
    assert "<svg" in html and "本轮均值 Round mean" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from outside
    assert "<script" not in html


def test_narrative_names_the_strongest_and_weakest_family_and_the_leaves_lost():
    doc = load("station")
    story = report.narrative(doc)
    shares = {f["code"]: f["points"] / f["max"] for f in doc["card"]["families"]}
    assert story["strongest"]["code"] == max(shares, key=shares.get)
    assert story["weakest"]["code"] == min(shares, key=shares.get)
    lost = sorted(
        (x["max_points"] - x["points"], x["leaf"])
        for x in doc["card"]["leaves"]
        if x["method"] != "bonus" and x["points"] is not None
    )[::-1][:3]
    assert [x["leaf"] for x in story["lost"]] == [code for _, code in lost]
    text = render_markdown(doc)
    assert f"“{story['weakest']['code']} {story['weakest']['zh']}”相对薄弱" in text


def test_contract_report_golden_fragments():
    doc = load("contract")
    html = render_html(doc)
    assert "<h2>三、各社工站结果 Stations</h2>" in html
    for s in doc["stations"]:
        assert f"<td>{s['code']} {s['name']}</td>" in html
        assert f"<td>{s['total']:.2f}</td>" in html
    assert f"<td>{yuan(doc['contract']['amount_fen'])}</td>" in html
    assert doc["recommendation"]["explanation_zh"] in html


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "¥0.00"), (1, "¥0.01"), (99, "¥0.99"), (100, "¥1.00"), (123456789, "¥1,234,567.89")],
)
def test_yuan_by_hand(fen, text):
    assert yuan(fen) == text


@given(st.integers(min_value=0, max_value=10**15))
def test_yuan_reads_back_to_the_same_fen(fen):
    text = yuan(fen)
    assert re.fullmatch(r"¥\d{1,3}(,\d{3})*\.\d\d", text)
    assert int(text[1:].replace(",", "").replace(".", "")) == fen


def test_points_round_half_up_at_the_decimals():
    assert points(89.995, 2) == "90.00" and points(0.125, 2) == "0.13" and points(None) == "—"
    assert points(876.05, 1) == "876.1" and points(3, 0) == "3"


def _templates(tmp_path: Path, station: str) -> Path:
    folder = tmp_path / "mine"
    shutil.copytree(shipped_dir("reports"), folder)
    (folder / "station.md.j2").write_text(station, encoding="utf-8")
    return folder


def test_a_syntax_error_in_a_template_is_located(tmp_path):
    folder = _templates(tmp_path, "# {{ station.name }}\n\n{% if card.total %}\nnever closed\n")
    with pytest.raises(InvalidInput) as exc:
        render_html(load("station"), folder)
    (problem,) = exc.value.problems
    assert problem.file.endswith("station.md.j2") and problem.line == 4
    assert "template" in problem.en and "模板" in problem.zh


def test_an_undefined_variable_in_a_template_is_located(tmp_path):
    folder = _templates(tmp_path, "# {{ station.name }}\n{{ no_such_thing.total }}\n")
    with pytest.raises(InvalidInput) as exc:
        render_markdown(load("station"), folder)
    (problem,) = exc.value.problems
    assert problem.file.endswith("station.md.j2") and problem.line == 2
    assert "no_such_thing" in problem.en


def test_a_bureau_may_edit_its_own_copy(tmp_path):
    folder = _templates(tmp_path, "# 自定义 {{ station.code }} {{ card.total | pts(decimals) }}\n")
    html = render_html(load("station"), folder)
    assert "<h1>自定义 ST08 93.53</h1>" in html


def test_pdf_without_chromium_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(InvalidInput) as exc:
        render_pdf("<html></html>")
    assert "apt-get install chromium fonts-noto-cjk" in exc.value.problems[0].en


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_pdf_through_chromium():
    data = render_pdf(render_html(load("station")))
    assert data.startswith(b"%PDF") and len(data) > 10_000


def test_a_withheld_tranche_says_what_blocks_it_in_chinese():
    html = render_html(load("contract"))
    assert "中期评估未通过；ST08 未结的停止问题（DV-VETO）；ST10 未结的暂缓问题（DV-FAIL）" in html
    assert "mid_term_passed:failed" not in html and "suspension DV-FAIL" not in html
