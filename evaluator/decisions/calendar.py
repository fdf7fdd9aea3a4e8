"""Working days on the mainland calendar: official where the State Council has published the
year, provisional (derived from the law) where it has not yet — never a blank.

Public holidays are not working days; the make-up working days (调休, a Saturday or Sunday
next to a long holiday) are; other weekends are closed. A calendar is built from the
*official* schedules known (``chinese-calendar``, shipped files, files an administrator
added: see ``schedules``); any other year is derived from the law (``statutory``) and every
date counted on it is marked provisional, with the reason.

Counting rule: "within N working days after D" ends on the N-th working day after D
(D itself is not counted, whatever it is).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from evaluator.decisions import statutory
from evaluator.decisions.schedules import Holiday, YearSchedule, package_schedule, package_years
from evaluator.errors import CalendarError, Problem


@dataclass(frozen=True)
class Day:
    """What the calendar says of one date."""

    day: dt.date
    working: bool
    holiday: Holiday | None  # the holiday it belongs to (closed, or its make-up day)
    provisional: bool


@dataclass(frozen=True)
class Deadline:
    """A date counted in working days, and whether any day counted lies in a provisional
    year (the State Council had not published it when counted)."""

    on: dt.date
    provisional_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)

    @property
    def basis(self) -> str:
        return "provisional" if self.provisional else "official"

    def explain(self) -> str:
        """``"en (zh)"`` when provisional, else ``""``."""
        en, zh = self.note()
        return f"{en} ({zh})" if en else ""

    def note(self) -> tuple[str, str]:
        """(en, zh): why the date is provisional, or empty texts."""
        if not self.provisional:
            return "", ""
        years = ", ".join(str(y) for y in self.provisional_years)
        return (
            f"provisional: counted on the statutory holidays of {years} (the State Council has "
            "not published that year's schedule yet); recomputed when it is",
            f"暂定：按法定节假日推算 {'、'.join(str(y) for y in self.provisional_years)} 年"
            "（国务院尚未公布该年节假日安排），公布后自动重算",
        )


@dataclass(frozen=True)
class WorkingCalendar:
    """The calendar in force: ``official`` schedules by year (a year missing is provisional),
    adjusted for a contract or a locality: ``extra_holidays`` are closed,
    ``extra_workdays`` open, whatever the schedule says."""

    official: Mapping[int, YearSchedule] = field(default_factory=dict)
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    _explicit: dict[dt.date, tuple[bool, Holiday]] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        for schedule in self.official.values():  # days an official schedule names, any year
            self._explicit.update({d: (False, h) for d, h in schedule.closed().items()})
            self._explicit.update({d: (True, h) for d, h in schedule.open_().items()})

    @classmethod
    def from_schedules(cls, schedules: Iterable[YearSchedule]) -> WorkingCalendar:
        """Later schedules of the same year override earlier ones."""
        by_year: dict[int, YearSchedule] = {}
        for schedule in schedules:
            by_year[schedule.year] = schedule
        return cls(by_year)

    def with_adjustments(
        self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()
    ) -> WorkingCalendar:
        return WorkingCalendar(
            self.official,
            self.extra_holidays | frozenset(holidays),
            self.extra_workdays | frozenset(workdays),
        )

    # --- one day ------------------------------------------------------------------------

    def schedule(self, year: int) -> YearSchedule:
        """The official schedule of ``year``, or the one derived from the law."""
        if year in self.official:
            return self.official[year]
        if not statutory.FIRST_YEAR <= year <= statutory.LAST_YEAR:
            raise CalendarError(
                Problem(
                    f"{year} is outside the calendar ({statutory.FIRST_YEAR}–{statutory.LAST_YEAR})",
                    f"{year} 年超出日历范围（{statutory.FIRST_YEAR}–{statutory.LAST_YEAR}）",
                )
            )
        return _provisional(year)

    def day(self, day: dt.date) -> Day:
        official_year = day.year in self.official
        listed = self._explicit.get(day)
        if listed is None and not official_year:
            schedule = self.schedule(day.year)
            closed, opened = _days_of(schedule)
            if day in closed:
                listed = (False, closed[day])
            elif day in opened:
                listed = (True, opened[day])
        provisional = not official_year and day not in self._explicit
        if day in self.extra_holidays:
            return Day(day, False, listed[1] if listed else None, provisional)
        if day in self.extra_workdays:
            return Day(day, True, listed[1] if listed else None, provisional)
        if listed is not None:
            return Day(day, listed[0], listed[1], provisional)
        return Day(day, day.weekday() < 5, None, provisional)

    def is_working_day(self, day: dt.date) -> bool:
        return self.day(day).working

    # --- counting -------------------------------------------------------------------------

    def deadline(self, start: dt.date, n: int) -> Deadline:
        """The n-th working day after ``start`` (n ≥ 1; ``start`` itself never counts), with
        the provisional years crossed on the way."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day, counted, provisional = start, 0, set()
        while counted < n:
            day += dt.timedelta(days=1)
            info = self.day(day)
            if info.provisional:
                provisional.add(day.year)
            if info.working:
                counted += 1
        return Deadline(day, tuple(sorted(provisional)))

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (n ≥ 1); ``start`` itself never counts."""
        return self.deadline(start, n).on

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many have passed since ``start`` by ``end``."""
        if end <= start:
            return 0
        return sum(
            self.is_working_day(start + dt.timedelta(days=k))
            for k in range(1, (end - start).days + 1)
        )

    def year_days(self, year: int) -> list[Day]:
        """Every holiday and make-up working day of ``year``, in date order."""
        schedule = self.schedule(year)
        days = {d for h in schedule.holidays for d in (*h.days, *h.workdays) if d.year == year}
        days |= {d for d in self._explicit if d.year == year}
        days |= {d for d in self.extra_holidays | self.extra_workdays if d.year == year}
        return [self.day(d) for d in sorted(days)]


@cache
def _provisional(year: int) -> YearSchedule:
    return statutory.provisional_schedule(year)


@cache
def _days_of(
    schedule: YearSchedule,
) -> tuple[dict[dt.date, Holiday], dict[dt.date, Holiday]]:
    return schedule.closed(), schedule.open_()


@cache
def package_calendar() -> WorkingCalendar:
    """The calendar of the installed ``chinese-calendar`` alone (no shipped or added files)."""
    return WorkingCalendar.from_schedules(
        s for y in package_years() if (s := package_schedule(y)) is not None
    )
