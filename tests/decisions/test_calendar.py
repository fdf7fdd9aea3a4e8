"""Working days on the official calendar, hand-checked against the State Council notices
(2025: 国办发明电〔2024〕12号; 2026: the 2026 holiday notice)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.decisions.calendar import OFFICIAL, CalendarError, WorkingCalendar, supported_years

D = dt.date


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


def test_a_year_beyond_the_schedule_is_a_clear_error_not_a_date():
    first, last = supported_years()
    with pytest.raises(CalendarError) as exc:
        OFFICIAL.add_working_days(D(last, 12, 28), 10)
    text = str(exc.value)
    assert str(last + 1) in text and "chinese-calendar" in text and "国务院" in text
    with pytest.raises(CalendarError):
        OFFICIAL.is_working_day(D(first - 1, 6, 1))


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
@given(start=st.dates(min_value=D(2005, 1, 1), max_value=D(2025, 10, 31)), n=st.integers(1, 40))
def test_properties(start, n):
    end = OFFICIAL.add_working_days(start, n)
    assert OFFICIAL.is_working_day(end) and end > start
    assert OFFICIAL.working_days_between(start, end) == n
    assert OFFICIAL.working_days_between(start, end - dt.timedelta(days=1)) == n - 1
