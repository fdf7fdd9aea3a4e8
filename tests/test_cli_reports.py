"""`evaluator report` and `evaluator demo --out` end to end on a stored demo county (an
embedded SQLite database of the test's own): the files, their names, the figures, errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil

import openpyxl
import pytest

from evaluator.cli import main
from evaluator.shipped import shipped_dir


@pytest.fixture(scope="module")
def _stored_demo(tmp_path_factory):
    """The demo county stored once for the module (``evaluator demo --out``, ~12 s): the
    tests only read it and write files of their own names."""
    path = tmp_path_factory.mktemp("cli-reports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", f"sqlite://{path / 'cli.sqlite3'}")
        mp.setenv("EVIDENCE_DIR", str(path / "evidence"))
        mp.chdir(path)
        assert main(["demo", "--out", str(path / "out")]) == 0
    return path


@pytest.fixture
def demo_out(_stored_demo, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{_stored_demo / 'cli.sqlite3'}")
    monkeypatch.setenv("EVIDENCE_DIR", str(_stored_demo / "evidence"))
    monkeypatch.chdir(_stored_demo)
    return _stored_demo


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


def test_the_city_officer_reads_the_county_to_city_roll_up(demo_out, capsys):
    """The demo county rolled up to its city for this half year, as the city's officer reads
    it: the county's row and the city's are the same figures; the money matches the stored
    contracts and releases."""
    from evaluator import clock
    from evaluator.cli.common import with_database
    from evaluator.store.contracts import Contract
    from evaluator.store.decisions import TrancheRelease

    today = clock.today()
    period = f"{today.year}-H{1 if today.month <= 6 else 2}"
    start = dt.date(today.year, 1 if today.month <= 6 else 7, 1)
    capsys.readouterr()
    argv = ["report", "rollup", "--period", period, "--as", "city", "--format", "json"]
    assert main([*argv, "--output", "city.json"]) == 0
    doc = json.loads((demo_out / "city.json").read_text(encoding="utf-8"))
    city, county = doc["rows"]
    assert (city["region"]["level"], county["region"]["level"]) == ("city", "county")
    assert county["region"]["parent"] == city["region"]["code"]
    assert city["figures"] == county["figures"]

    async def stored():
        value = sum(await Contract.all().values_list("amount_fen", flat=True))
        released = await TrancheRelease.filter(released_on__gte=start).values_list(
            "amount_fen", flat=True
        )
        return value, sum(released)

    value, released = with_database(stored())
    assert county["figures"]["contract_value_fen"] == value
    assert county["figures"]["released_in_period_fen"] == released
    assert county["figures"]["stations_graded"] > 0
    # the table, and who may not read the city
    assert main(["report", "rollup", "--period", period, "--as", "province"]) == 0
    table = capsys.readouterr().out
    assert "合同金额（元） contract value (yuan)" in table and city["region"]["code"] in table
    assert (
        main(
            [
                "report",
                "rollup",
                "--period",
                period,
                "--as",
                "bureau",
                "--region",
                city["region"]["code"],
            ]
        )
        == 2
    )
    assert "不在您可查阅的范围内" in capsys.readouterr().err
    assert main(["report", "rollup", "--period", period, "--as", "agency1"]) == 2
    assert main(["report", "rollup", "--period", "2026-Q5", "--as", "city"]) == 2
    assert "period" in capsys.readouterr().err
