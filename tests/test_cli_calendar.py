"""`evaluator calendar show|add`, `evaluator findings ROUND --set-deadline` and
`evaluator appeal-window` end to end on a stored demo county (an embedded SQLite database
of the test's own, copied from one built once for the module).

Nothing here depends on which years the installed chinese-calendar carries beyond 2026:
2031 stands for a year nobody has published (provisional, then added)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import shutil
import sqlite3

import pytest
from lunardate import LunarDate

from evaluator.cli import main
from evaluator.cli.common import with_database

SCHEDULE_2031 = """\
year: 2031
source:
  zh: 国务院办公厅关于2031年部分节假日安排的通知（测试）
  en: General Office of the State Council, notice on the 2031 holidays (test)
version: "1"
holidays:
  - holiday: new_years_day
    from: 2031-01-01
  - holiday: national_day          # 10月1日至7日放假，9月28日（周日）、10月11日（周六）上班
    from: 2031-10-01
    to: 2031-10-07
    workdays: [2031-09-28, 2031-10-11]
"""

BROKEN = """\
year: 2031
source:
  zh: 测试通知
  en: Test notice
holidays:
  - holiday: national_day
    from: 2031-10-01
    to: 2031-10-07
    workdays: [2031-09-29]
  - holiday: christmas
    from: 2031-12-25
"""


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    """The demo county stored once (``evaluator demo``), as a single SQLite file."""
    folder = tmp_path_factory.mktemp("calendar-demo")
    path = folder / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", f"sqlite://{path}")
        mp.setenv("EVIDENCE_DIR", str(folder / "evidence"))
        assert main(["demo"]) == 0
    with contextlib.closing(sqlite3.connect(path)) as conn:  # fold the WAL into the file
        conn.execute("PRAGMA journal_mode = DELETE")
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch, capsys):
    path = tmp_path / "cli.sqlite3"
    shutil.copyfile(demo_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{path}")
    capsys.readouterr()
    return path


def _rounds(capsys) -> dict[str, str]:
    """round code → id (`evaluator rounds`)."""
    assert main(["rounds"]) == 0
    found = re.findall(r"^([0-9a-f-]{36})\s+(\S+)\s+mid_term", capsys.readouterr().out, re.M)
    return {code: rid for rid, code in found}


def test_show_2026_lists_make_up_working_days_and_holidays(demo_db, capsys):
    assert main(["calendar", "show", "2026"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert header.startswith("2026: official 正式") and "shipped" in header
    assert "source 依据: 国务院办公厅关于2026年部分节假日安排的通知" in out
    assert re.search(
        r"^2026-09-20 周日 Sun\s+上班 make-up working day\s+国庆节 National Day$", out, re.M
    )
    assert re.search(
        r"^2026-10-10 周六 Sat\s+上班 make-up working day\s+国庆节 National Day$", out, re.M
    )
    assert re.search(
        r"^2026-09-25 周五 Fri\s+放假 holiday\s+中秋节 Mid-autumn Festival$", out, re.M
    )
    assert main(["calendar", "show", "2026", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["year"] == 2026 and doc["kind"] == "official" and doc["origin"] == "shipped"
    days = {d["date"]: d for d in doc["days"]}
    assert days["2026-09-20"]["working"] and days["2026-09-20"]["kind"] == "make_up_workday"
    assert days["2026-09-25"]["holiday"] == "mid_autumn_festival"


def test_show_a_year_nobody_published_is_provisional_from_the_law(demo_db, capsys):
    eve = LunarDate(2031, 1, 1).to_solar_date() - dt.timedelta(days=1)  # 除夕
    assert main(["calendar", "show", "2031"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2031: provisional 暂定 · origin 出处: law")
    assert "全国年节及纪念日放假办法" in out
    assert re.search(
        rf"^{eve.isoformat()} \S+ \w+\s+放假 holiday\s+春节 Spring Festival$", out, re.M
    )
    assert "上班 make-up working day" not in out  # only the yearly notice creates those


@pytest.mark.parametrize("year", ["1900", "2100"])
def test_show_outside_the_calendar_exits_2(demo_db, capsys, year):
    assert main(["calendar", "show", year]) == 2
    err = capsys.readouterr().err
    assert f"{year} is outside the calendar (1901–2099)" in err and "超出日历范围" in err


def test_show_needs_a_year(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["calendar", "show", "20x"])
    assert exit_.value.code == 2
    assert "is not a year" in capsys.readouterr().err


def test_add_refuses_a_broken_missing_or_non_utf8_file(demo_db, tmp_path, capsys):
    broken = tmp_path / "2031-broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    assert main(["calendar", "add", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:9 holidays[0].workdays[0]: 2031-09-29 is a Monday" in err
    assert f"{broken}:10 holidays[1].holiday: holiday must be one of" in err
    assert "Traceback" not in err
    missing = tmp_path / "nope.yaml"
    assert main(["calendar", "add", str(missing)]) == 2
    assert f"{missing}: no such file (文件不存在)" in capsys.readouterr().err
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("year: 2031\nsource: {zh: 测试通知}\n".encode("gb18030"))
    assert main(["calendar", "add", str(gbk)]) == 2
    err = capsys.readouterr().err
    assert f"{gbk}:2: the file is not UTF-8" in err and "UTF-8 编码" in err
    assert main(["calendar", "show", "2031"]) == 0  # nothing was stored
    assert capsys.readouterr().out.startswith("2031: provisional 暂定")


def test_add_a_year_makes_it_official_and_recomputes_its_provisional_dates(
    demo_db, tmp_path, capsys
):
    from evaluator.store.decisions import Finding

    round_id = _rounds(capsys)["341521-SGZ-2026-02"]

    async def counted_in_2031():  # a finding opened in a year nobody published yet
        f = await Finding.filter(
            round_id=round_id, deadline_working_days__not_isnull=True, state="open"
        ).first()
        await Finding.filter(id=f.id).update(
            opened_on=dt.date(2031, 9, 25),
            deadline_working_days=20,
            deadline=dt.date(2031, 10, 24),
            deadline_basis="provisional",
        )
        return str(f.id)

    finding_id = with_database(counted_in_2031())
    assert main(["findings", round_id]) == 0
    assert f"2031-10-24 暂定 provisional  {finding_id}" in capsys.readouterr().out

    good = tmp_path / "2031.yaml"
    good.write_text(SCHEDULE_2031, encoding="utf-8")
    assert main(["calendar", "add", str(good)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "added 已添加 2031 revision 1: 国务院办公厅关于2031年部分节假日安排的通知（测试）"
    )
    # 20 working days after Thu 25 Sep: 26, Sun 28 (make-up), 29, 30; 8–11 Oct (Sat 11
    # make-up); 13–17, 20–24, 27, 28 → 28 Oct (the law alone would close only 1–3 Oct)
    assert f"finding 问题 {finding_id}: 2031-10-24 → 2031-10-28 · official 正式" in out
    assert main(["findings", round_id]) == 0
    assert f"deadline 期限 2031-10-28  {finding_id}" in capsys.readouterr().out

    assert main(["calendar", "show", "2031"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert header.startswith("2031: official 正式") and "origin 出处: added" in header
    assert "source 依据: 国务院办公厅关于2031年部分节假日安排的通知（测试）" in out
    assert re.search(r"^2031-09-28 周日 Sun\s+上班 make-up working day\s+国庆节", out, re.M)

    assert main(["calendar", "add", str(good)]) == 0
    assert capsys.readouterr().out.startswith("unchanged 未变化 2031 revision 1")
    good.write_text(SCHEDULE_2031.replace('version: "1"', 'version: "2"'), encoding="utf-8")
    assert main(["calendar", "add", str(good)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("added 已添加 2031 revision 2") and "no stored provisional date" in out


def test_the_bureau_sets_a_finding_deadline_by_hand(demo_db, capsys):
    rounds = _rounds(capsys)
    round_id, other = rounds["341521-SGZ-2026-02"], rounds["341521-SGZ-2026-01"]
    assert main(["findings", round_id]) == 0
    listed = capsys.readouterr().out
    finding = re.search(r"DV-FAMILY\s+correction\s+open\s+.*\s([0-9a-f-]{36})$", listed, re.M)[1]
    observation = re.search(r"observation\s+open\s+.*\s([0-9a-f-]{36})$", listed, re.M)[1]

    def set_deadline(fid, day, *more, round_=round_id):
        return main(["findings", round_, "--set-deadline", fid, day, *more])

    assert set_deadline(finding, "2027-03-01", "--as", "bureau") == 2
    assert "a reason is required" in capsys.readouterr().err
    assert set_deadline(finding, "2027-13-01", "--reason", "停电") == 2
    assert "'2027-13-01' is not a date" in capsys.readouterr().err
    assert set_deadline("F1", "2027-03-01", "--reason", "停电") == 2
    assert "'F1' is not a finding id" in capsys.readouterr().err
    assert set_deadline(finding, "2027-03-01", "--reason", "停电", round_=other) == 2
    assert "is not in round" in capsys.readouterr().err
    assert set_deadline(observation, "2027-03-01", "--reason", "停电") == 2
    assert "an observation has no deadline" in capsys.readouterr().err
    assert set_deadline(finding, "2027-03-01", "--reason", "停电", "--as", "agency2") == 2
    assert "only the buying bureau" in capsys.readouterr().err
    assert main(["findings", round_id, "--reason", "停电"]) == 2
    assert "--reason goes with --set-deadline" in capsys.readouterr().err

    reason = "乡镇停电一周 the township was without power for a week"
    assert set_deadline(finding, "2027-03-01", "--reason", reason, "--as", "bureau") == 0
    out = capsys.readouterr().out
    assert f"deadline set 期限已调整: {finding} → 2027-03-01 手动 set by the bureau" in out
    assert f"deadline 期限 2027-03-01 手动 set by the bureau  {finding}" in out
    assert f"note 说明: {reason}" in out
    assert main(["findings", round_id, "--refresh", "--today", "2026-12-31"]) == 0  # still works
    assert "refreshed 已更新 (2026-12-31)" in capsys.readouterr().out


def test_the_bureau_extends_an_appeal_window(demo_db, capsys):
    round_id = _rounds(capsys)["341521-SGZ-2026-02"]
    assert main(["appeal-window", round_id]) == 0
    shown = re.search(
        r"^appeal window 申诉期: round \S+ until 截至 (\d{4}-\d\d-\d\d)", capsys.readouterr().out
    )
    assert shown and dt.date.fromisoformat(shown[1]) > dt.date(2026, 12, 30)
    assert main(["appeal-window", round_id, "2026-12-31", "--reason", "x", "--as", "bureau"]) == 2
    assert "it can only be extended" in capsys.readouterr().err
    assert main(["appeal-window", round_id, "2027-02-26", "--as", "bureau"]) == 2
    assert "a reason is required" in capsys.readouterr().err
    assert main(["appeal-window", round_id, "2027-02-26", "--reason", "x", "--as", "agency2"]) == 2
    assert "only the buying bureau" in capsys.readouterr().err
    assert main(["appeal-window", round_id, "--reason", "x"]) == 2
    assert main(["appeal-window", "R1"]) == 2
    assert "is not a round id" in capsys.readouterr().err

    reason = "春节前县政务中心闭馆 the county service centre closed"
    assert (
        main(["appeal-window", round_id, "2027-02-26", "--reason", reason, "--as", "bureau"]) == 0
    )
    out = capsys.readouterr().out
    assert "extended 已延长" in out and "until 截至 2027-02-26 手动 set by the bureau" in out
    assert f"reason 理由: {reason}" in out
    assert main(["appeal-window", round_id]) == 0
    assert "until 截至 2027-02-26 手动 set by the bureau" in capsys.readouterr().out
