"""`evaluator report` and `evaluator demo --out` end to end on a stored demo county (an
embedded SQLite database of the test's own): the files, their names, the figures, errors."""

from __future__ import annotations

import io
import json
import re
import shutil

import openpyxl
import pytest

from evaluator.cli import main
from evaluator.shipped import shipped_dir


@pytest.fixture
def demo_out(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--out", str(tmp_path / "out")]) == 0
    return tmp_path


def round_of(capsys, contract: str) -> str:
    capsys.readouterr()
    assert main(["rounds"]) == 0
    found = re.search(rf"^([0-9a-f-]{{36}})\s+{contract}\s", capsys.readouterr().out, re.M)
    assert found
    return found[1]


def test_report_commands_and_the_demo_reports(demo_out, capsys):
    written = sorted(p.name for p in (demo_out / "out" / "reports").iterdir())
    assert len(written) == 3 * 3 + 14 * 2  # per round: summary, contract xlsx + html; stations
    assert "评估报告-ST01-安乐乡社会工作服务站-2026-09-30.html" in written
    round_id = round_of(capsys, "341521-SGZ-2026-01")
    assert main(["report", "summary", round_id, "--format", "json", "--output", "s.json"]) == 0
    summary = json.loads((demo_out / "s.json").read_text(encoding="utf-8"))
    assert main(["report", "station", round_id, "st01", "--format", "xlsx"]) == 0
    out = capsys.readouterr().out
    name = re.search(r"written 已写入: (\S+\.xlsx)", out)[1]
    wb = openpyxl.load_workbook(io.BytesIO((demo_out / name).read_bytes()))
    overview = {r[0]: r[1] for r in wb["总览 Overview"].iter_rows(values_only=True) if r[0]}
    st01 = next(s for s in summary["stations"] if s["code"] == "ST01")
    assert overview["总分 Total"] == st01["total"]  # the same figure, workbook and JSON
    assert main(["report", "contract", round_id, "--format", "md", "--output", "c.md"]) == 0
    assert "## 三、各社工站结果 Stations" in (demo_out / "c.md").read_text(encoding="utf-8")


def test_report_errors_are_located(demo_out, capsys):
    round_id = round_of(capsys, "341521-SGZ-2026-01")
    assert main(["report", "station", round_id, "ST99"]) == 2
    assert "no station ST99" in capsys.readouterr().err
    assert main(["report", "summary", "not-a-round"]) == 2
    broken = demo_out / "mine"
    shutil.copytree(shipped_dir("reports"), broken)
    (broken / "station.md.j2").write_text("# {{ station.name }\n", encoding="utf-8")
    capsys.readouterr()
    argv = ["report", "station", round_id, "ST01", "--templates", str(broken)]
    assert main([*argv, "--output", "r.html"]) == 2
    assert "station.md.j2:1" in capsys.readouterr().err
    assert not (demo_out / "r.html").exists()  # nothing partially written


def test_report_cards_writes_every_station_card_a_user_may_see(demo_out, capsys):
    round_id = round_of(capsys, "341521-SGZ-2026-01")
    assert main(["report", "summary", round_id, "--format", "json", "--output", "s.json"]) == 0
    summary = json.loads((demo_out / "s.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    assert main(["report", "cards", round_id, "--output", "all.jsonl"]) == 0
    assert "scorecards" in capsys.readouterr().out
    lines = (demo_out / "all.jsonl").read_text(encoding="utf-8").splitlines()
    cards = [json.loads(line) for line in lines]
    expected = {s["code"]: s["total"] for s in summary["stations"]}
    assert {c["station"]["code"]: c["total"] for c in cards} == expected
    assert all(len(c["leaves"]) > 20 and "robustness" in c for c in cards)
    # the agency running the contract sees its own cards; another agency sees no round
    assert main(["report", "cards", round_id, "--as", "agency1", "--output", "a1.jsonl"]) == 0
    own = (demo_out / "a1.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["station"]["code"] for x in own] == [c["station"]["code"] for c in cards]
    capsys.readouterr()
    assert main(["report", "cards", round_id, "--as", "agency2", "--output", "a2.jsonl"]) == 2
    assert "round" in capsys.readouterr().err
    assert not (demo_out / "a2.jsonl").exists()  # nothing partially written
    assert main(["report", "cards", round_id, "--output", "cards.json"]) == 2  # not .jsonl
