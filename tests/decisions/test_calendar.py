"""Working days on the calendar, hand-checked against the State Council notices
(2025: 国办发明电〔2024〕12号; 2026: 国务院办公厅关于2026年部分节假日安排的通知), and
provisional years derived from the law (《全国年节及纪念日放假办法》, 2024 revision).

The official years are those of the package up to 2026 only, so that no test depends on
the last year the installed chinese-calendar happens to carry."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.decisions.calendar import CalendarError, WorkingCalendar
from evaluator.decisions.schedules import package_schedule

D = dt.date
OFFICIAL = WorkingCalendar.from_schedules(package_schedule(y) for y in range(2004, 2027))


def test_spring_festival_2026_and_its_make_up_saturdays():
    assert OFFICIAL.is_working_day(D(2026, 2, 14))  # Saturday, make-up working day
    assert not OFFICIAL.is_working_day(D(2026, 2, 16))  # 除夕 eve, holiday
    assert not OFFICIAL.is_working_day(D(2026, 2, 23))  # Monday, still holiday
    assert OFFICIAL.is_working_day(D(2026, 2, 28))  # Saturday, make-up working day
    assert not OFFICIAL.is_working_day(D(2026, 3, 1))  # an ordinary Sunday
    # three working days after Thursday 12 Feb: Fri 13, Sat 14 (make-up), then Tue 24 Feb
    assert OFFICIAL.add_working_days(D(2026, 2, 12), 3) == D(2026, 2, 24)


def test_fifteen_working_days_after_signing_across_spring_festival():
    # 11, 12, 13, 14(Sat), 24, 25, 26, 27, 28(Sat) Feb, 2, 3, 4, 5, 6, 9 Mar
    assert OFFICIAL.add_working_days(D(2026, 2, 10), 15) == D(2026, 3, 9)
    assert OFFICIAL.working_days_between(D(2026, 2, 10), D(2026, 3, 9)) == 15


def test_national_day_2025_with_make_up_sunday_and_saturday():
    assert OFFICIAL.is_working_day(D(2025, 9, 28))  # Sunday, make-up
    assert OFFICIAL.is_working_day(D(2025, 10, 11))  # Saturday, make-up
    assert not OFFICIAL.is_working_day(D(2025, 10, 8))
    assert OFFICIAL.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert OFFICIAL.add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert OFFICIAL.working_days_between(D(2025, 9, 30), D(2025, 10, 12)) == 3  # 9, 10, 11 Oct


def test_national_day_2026():
    assert OFFICIAL.is_working_day(D(2026, 9, 20))  # Sunday, make-up
    assert not OFFICIAL.is_working_day(D(2026, 10, 7))
    assert OFFICIAL.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 9)


def test_a_year_beyond_the_schedule_is_provisional_not_an_error():
    due = OFFICIAL.deadline(D(2026, 12, 28), 10)
    # 29, 30, 31 Dec (official 2026), then 2027: 1 Jan is 元旦 (law), 4–8, 11, 12 Jan
    assert due.on == D(2027, 1, 12)
    assert due.provisional and due.provisional_years == (2027,)
    en, zh = due.note()
    assert "2027" in en and "provisional" in en and "暂定" in zh and "国务院" in zh
    assert not OFFICIAL.deadline(D(2026, 12, 1), 5).provisional


def test_only_years_the_lunar_tables_cover():
    with pytest.raises(CalendarError) as exc:
        OFFICIAL.is_working_day(D(2100, 6, 1))
    assert "2100" in str(exc.value)


def test_local_adjustments():
    local = OFFICIAL.with_adjustments(holidays=[D(2026, 3, 2)], workdays=[D(2026, 3, 1)])
    assert local.is_working_day(D(2026, 3, 1)) and not local.is_working_day(D(2026, 3, 2))
    assert OFFICIAL.add_working_days(D(2026, 2, 28), 1) == D(2026, 3, 2)
    assert local.add_working_days(D(2026, 2, 28), 1) == D(2026, 3, 1)
    assert isinstance(local, WorkingCalendar)


def test_n_must_be_positive():
    with pytest.raises(ValueError):
        OFFICIAL.add_working_days(D(2026, 1, 5), 0)


@settings(max_examples=60, deadline=None)
@given(start=st.dates(min_value=D(2005, 1, 1), max_value=D(2060, 10, 31)), n=st.integers(1, 40))
def test_properties(start, n):
    end = OFFICIAL.add_working_days(start, n)
    assert OFFICIAL.is_working_day(end) and end > start
    assert OFFICIAL.working_days_between(start, end) == n
    assert OFFICIAL.working_days_between(start, end - dt.timedelta(days=1)) == n - 1


@settings(max_examples=60, deadline=None)
@given(start=st.dates(min_value=D(2020, 1, 1), max_value=D(2040, 10, 31)), n=st.integers(1, 60))
def test_provisional_exactly_when_the_count_crosses_an_unpublished_year(start, n):
    due = OFFICIAL.deadline(start, n)
    counted_years = set(range((start + dt.timedelta(days=1)).year, due.on.year + 1))
    assert set(due.provisional_years) == {y for y in counted_years if y > 2026}
    assert due.provisional == (due.on.year > 2026)
