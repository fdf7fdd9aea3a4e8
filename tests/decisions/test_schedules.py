"""Holiday schedules as data: the shipped 2026 file, the package, and located errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evaluator.decisions.calendar import WorkingCalendar
from evaluator.decisions.schedule_files import ScheduleInvalid, parse_schedule
from evaluator.decisions.schedules import YearSchedule, package_schedule
from evaluator.shipped import shipped_dir

D = dt.date
CORPUS = Path(__file__).parents[1] / "corpus" / "calendars"


def shipped(year: int) -> YearSchedule:
    path = shipped_dir("calendars") / f"{year}.yaml"
    return parse_schedule(path.read_text("utf-8"), path.name, origin="shipped")


def test_the_shipped_2026_file_is_the_package_year_day_for_day():
    mine, theirs = shipped(2026), package_schedule(2026)
    assert {d: h.code for d, h in mine.closed().items()} == {
        d: h.code for d, h in theirs.closed().items()
    }
    assert {d: h.code for d, h in mine.open_().items()} == {
        d: h.code for d, h in theirs.open_().items()
    }
    assert mine.source_zh == "国务院办公厅关于2026年部分节假日安排的通知"


def test_2026_mid_autumn_and_national_day_with_their_make_up_days():
    """国务院办公厅关于2026年部分节假日安排的通知: 中秋节 9月25日至27日放假; 国庆节 10月1日至7日
    放假调休，共7天，9月20日（周日）、10月10日（周六）上班."""
    cal = WorkingCalendar.from_schedules([shipped(2026)])
    assert [cal.is_working_day(D(2026, 9, d)) for d in (25, 26, 27)] == [False] * 3
    assert cal.day(D(2026, 9, 25)).holiday.name_zh == "中秋节"
    assert cal.is_working_day(D(2026, 9, 20)) and D(2026, 9, 20).weekday() == 6  # a Sunday
    assert cal.is_working_day(D(2026, 10, 10)) and D(2026, 10, 10).weekday() == 5  # a Saturday
    assert not any(cal.is_working_day(D(2026, 10, d)) for d in range(1, 8))
    # 5 working days after Fri 18 Sep: Sun 20 (make-up), 21, 22, 23, 24 Sep
    assert cal.add_working_days(D(2026, 9, 18), 5) == D(2026, 9, 24)
    # 3 working days after Wed 30 Sep: Thu 8, Fri 9, Sat 10 (make-up) Oct
    assert cal.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert not cal.deadline(D(2026, 9, 30), 3).provisional


def test_a_stored_schedule_round_trips():
    s = shipped(2026)
    assert YearSchedule.from_dict(s.as_dict()) == s


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "bad-dates.yaml",
            [
                (6, "holidays[0].to", "2027-02-31"),
                (9, "holidays[1].to", "before"),
                (10, "holidays[1].workdays[0]", "Saturday or a Sunday"),
            ],
        ),
        (
            "unknown-holiday.yaml",
            [
                (2, "source.en", "source.en"),
                (3, "colour", "unknown key"),
                (5, "holidays[0].holiday", "one of"),
            ],
        ),
        (
            "wrong-year.yaml",
            [
                (5, "holidays[0].from", "not in 2027"),
                (10, "holidays[2].from", "listed twice"),
                (9, "holidays[2].name", "name"),
            ],
        ),
        ("not-yaml.yaml", [(None, None, "YAML")]),
    ],
)
def test_every_problem_of_a_broken_file_is_located(name, expected):
    text = (CORPUS / name).read_text("utf-8")
    with pytest.raises(ScheduleInvalid) as exc:
        parse_schedule(text, name)
    problems = exc.value.problems
    assert all(p.file == name and p.en and p.zh for p in problems)
    assert len({(p.line, p.path) for p in problems}) == len(problems)  # one problem a place
    for line, path, words in expected:
        assert any(
            (path is None or p.path == path) and (line is None or p.line == line) and words in p.en
            for p in problems
        ), (line, path, words, [str(p) for p in problems])
