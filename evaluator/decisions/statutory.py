"""Public holidays as the law fixes them, for a year the State Council has not scheduled yet.

《全国年节及纪念日放假办法》 (as revised by State Council decree No. 795, effective
1 January 2025), article 2 — holidays for all citizens:

* 元旦 New Year's Day: 1 day (1 January);
* 春节 Spring Festival: 4 days (除夕, 正月初一, 初二, 初三 of the lunar calendar);
* 清明节 Tomb-sweeping Day: 1 day (the day of the 清明 solar term);
* 劳动节 Labour Day: 2 days (1–2 May);
* 端午节 Dragon Boat Festival: 1 day (5th of the 5th lunar month);
* 中秋节 Mid-autumn Festival: 1 day (15th of the 8th lunar month);
* 国庆节 National Day: 3 days (1–3 October).

Article 6: a holiday for all citizens that falls on a Saturday or Sunday is given back on a
working day (补假); here, the first weekdays after that holiday that are not holidays
themselves. A day two holidays share (中秋 within 国庆) is given back the same way, as the
State Council's notices do (2020, 2023, 2028 …): the law grants each holiday its days. Weekends are closed; there are no make-up working days (调休), because only
the State Council's yearly notice creates those.

Lunar dates come from ``lunardate`` (1900–2099); the 清明 solar term from
``chinese_calendar.get_solar_terms`` (1900–2100).
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from lunardate import LunarDate

from evaluator.decisions.schedules import Holiday, YearSchedule

FIRST_YEAR, LAST_YEAR = 1901, 2099  # 除夕 of 1900 needs lunar 1899
LAW_ZH = "《全国年节及纪念日放假办法》（2024年国务院令第795号修订）第二条、第六条"
LAW_EN = (
    "National Holidays and Memorial Days Regulation (as revised by State Council decree "
    "No. 795, 2024), articles 2 and 6"
)


def _days(first: dt.date, count: int) -> tuple[dt.date, ...]:
    return tuple(first + dt.timedelta(days=k) for k in range(count))


def _qingming(year: int) -> dt.date:
    terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 30))
    day: dt.date = next(day for day, name in terms if name == "清明")  # the library is untyped
    return day


def _lunar(year: int, month: int, day: int) -> dt.date:
    solar: dt.date = LunarDate(year, month, day).to_solar_date()  # lunardate is untyped
    return solar


def statutory_days(year: int) -> list[tuple[str, tuple[dt.date, ...]]]:
    """(holiday code, its statutory days) for ``year``, in the order of the law."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"statutory holidays can be derived for {FIRST_YEAR}–{LAST_YEAR} only")
    new_year = _lunar(year, 1, 1)
    return [
        ("new_years_day", (dt.date(year, 1, 1),)),
        ("spring_festival", _days(new_year - dt.timedelta(days=1), 4)),  # 除夕 … 正月初三
        ("tomb_sweeping_day", (_qingming(year),)),
        ("labour_day", _days(dt.date(year, 5, 1), 2)),
        ("dragon_boat_festival", (_lunar(year, 5, 5),)),
        ("mid_autumn_festival", (_lunar(year, 8, 15),)),
        ("national_day", _days(dt.date(year, 10, 1), 3)),
    ]


def provisional_schedule(year: int) -> YearSchedule:
    """The year as the law alone fixes it (see the module docstring), marked provisional."""
    law = statutory_days(year)
    taken: set[dt.date] = set()
    closed_by: list[tuple[str, list[dt.date], tuple[dt.date, ...]]] = []
    for code, days in law:
        closed = [d for d in days if d not in taken]  # 中秋 may fall within 国庆
        taken.update(closed)
        closed_by.append((code, closed, days))
    holidays = []
    for code, closed, days in closed_by:  # article 6, once every statutory day is known
        # a day on a weekend, or already another holiday's, is given back on a weekday
        owed = sum(1 for d in closed if d.weekday() >= 5) + len(days) - len(closed)
        day = max(days)
        while owed:
            day += dt.timedelta(days=1)
            if day.weekday() < 5 and day not in taken:
                closed.append(day)
                taken.add(day)
                owed -= 1
        holidays.append(Holiday(code, tuple(sorted(closed)), ()))
    return YearSchedule(
        year=year,
        kind="provisional",
        origin="law",
        source_zh=f"按{LAW_ZH}推算（国务院尚未公布 {year} 年节假日安排）",
        source_en=f"derived from the {LAW_EN} (the State Council has not published {year} yet)",
        version="law-2025",
        holidays=tuple(holidays),
    )
