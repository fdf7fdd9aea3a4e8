"""Provisional years: the statutory holidays of 《全国年节及纪念日放假办法》 (2024 revision,
articles 2 and 6), lunar dates checked against the lunar-calendar package, not copied."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from lunardate import LunarDate

from evaluator.decisions.calendar import WorkingCalendar
from evaluator.decisions.schedules import package_schedule
from evaluator.decisions.statutory import provisional_schedule, statutory_days

D = dt.date
OFFICIAL = WorkingCalendar.from_schedules(package_schedule(y) for y in range(2004, 2027))


def test_spring_festival_2027_from_the_lunar_calendar():
    new_year = LunarDate(2027, 1, 1).to_solar_date()
    eve = new_year - dt.timedelta(days=1)
    assert eve == D(2027, 2, 5) and new_year == D(2027, 2, 6)  # 除夕 Fri, 正月初一 Sat
    assert LunarDate.from_solar_date(2027, 2, 5).month == 12  # 除夕 is the last day of 腊月
    days = dict(statutory_days(2027))["spring_festival"]
    assert days == (D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8))  # 除夕 … 初三
    # article 6: 初一 and 初二 fall on Saturday and Sunday, so two weekdays are given back
    festival = next(h for h in provisional_schedule(2027).holidays if h.code == "spring_festival")
    assert festival.days == (*days, D(2027, 2, 9), D(2027, 2, 10))
    assert festival.workdays == ()  # only the State Council's notice makes make-up days


def test_every_day_of_provisional_2027():
    closed = {d: h.code for d, h in provisional_schedule(2027).closed().items()}
    assert closed == {
        D(2027, 1, 1): "new_years_day",  # Friday
        **{D(2027, 2, d): "spring_festival" for d in range(5, 11)},
        D(2027, 4, 5): "tomb_sweeping_day",  # the 清明 solar term
        **{D(2027, 5, d): "labour_day" for d in (1, 2, 3, 4)},  # Sat, Sun → Mon, Tue
        LunarDate(2027, 5, 5).to_solar_date(): "dragon_boat_festival",
        LunarDate(2027, 8, 15).to_solar_date(): "mid_autumn_festival",
        **{D(2027, 10, d): "national_day" for d in (1, 2, 3, 4, 5)},  # Sat, Sun → Mon, Tue
    }
    schedule = provisional_schedule(2027)
    assert schedule.provisional and schedule.origin == "law"
    assert "全国年节及纪念日放假办法" in schedule.source_zh


def test_mid_autumn_inside_national_day_is_given_back():
    # 2028: 中秋 (lunar 8/15) is 3 October, already a National Day holiday
    assert LunarDate(2028, 8, 15).to_solar_date() == D(2028, 10, 3)
    statutory = [d for _, days in statutory_days(2028) for d in days]
    assert len(statutory) == 13 and len(set(statutory)) == 12
    closed = provisional_schedule(2028).closed()
    # 1 Oct is a Sunday, 3 Oct is shared: both given back, on Wed 4 and Thu 5 October
    assert {d for d, h in closed.items() if d.month == 10} == {D(2028, 10, d) for d in range(1, 6)}


def test_a_deadline_over_the_provisional_spring_festival():
    # approved Wed 3 Feb 2027; 5 working days: Thu 4, (5–10 closed), Thu 11, Fri 12, Mon 15, Tue 16
    due = OFFICIAL.deadline(D(2027, 2, 3), 5)
    assert due.on == D(2027, 2, 16) and due.provisional_years == (2027,)


@settings(max_examples=30, deadline=None)
@given(year=st.integers(2025, 2026))
def test_the_law_is_inside_every_official_schedule_since_it_took_effect(year):
    """Each statutory day of 2025 and 2026 is a holiday of the State Council's schedule."""
    official = package_schedule(year).closed()
    for _, days in statutory_days(year):
        assert all(d in official for d in days)


@settings(max_examples=40, deadline=None)
@given(year=st.integers(1901, 2099))
def test_law_holidays_are_thirteen_days_each_given_back_on_a_weekday(year):
    schedule = provisional_schedule(year)
    closed = schedule.closed()
    statutory = {d for _, days in statutory_days(year) for d in days}
    assert len(statutory) in (12, 13)  # 13 days; 12 when 中秋 falls within 国庆
    given_back = set(closed) - statutory
    weekend = sum(1 for d in statutory if d.weekday() >= 5)
    shared = 13 - len(statutory)
    assert len(given_back) == weekend + shared and all(d.weekday() < 5 for d in given_back)
