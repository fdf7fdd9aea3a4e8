"""Working days on the official mainland calendar (State Council holiday schedule).

Public holidays are not working days; the make-up working days (调休, usually a Saturday
or Sunday next to a long holiday) are. The schedule comes from the ``chinese-calendar``
package, which carries each year once the State Council publishes it (usually in
November for the next year). A date in a year the package does not know is an error that
says so — never a guess, because a wrong deadline moves public money on the wrong day.

Counting rule: "within N working days after D" ends on the N-th working day after D
(D itself is not counted, whatever it is).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import chinese_calendar

from evaluator.errors import EvaluatorError, Problem


class CalendarError(EvaluatorError):
    title_en = "Outside the official calendar"
    title_zh = "超出法定节假日日历范围"


def supported_years() -> tuple[int, int]:
    """First and last year the installed holiday schedule covers."""
    years = {d.year for d in chinese_calendar.constants.holidays}
    return min(years), max(years)


@dataclass(frozen=True)
class WorkingCalendar:
    """The official calendar, optionally adjusted for a contract or a locality:
    ``extra_holidays`` are closed, ``extra_workdays`` are open, whatever the schedule says."""

    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def official(cls) -> WorkingCalendar:
        return cls()

    def with_adjustments(
        self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()
    ) -> WorkingCalendar:
        return WorkingCalendar(
            self.extra_holidays | frozenset(holidays), self.extra_workdays | frozenset(workdays)
        )

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        first, last = supported_years()
        if not first <= day.year <= last:
            raise CalendarError(
                Problem(
                    f"{day.isoformat()} is in {day.year}, but the official holiday schedule is known only for {first}–{last}; "
                    "update the chinese-calendar package once the State Council has published that year",
                    f"{day.isoformat()} 属于 {day.year} 年，而法定节假日安排仅覆盖 {first}–{last} 年；请在国务院公布该年安排后更新 chinese-calendar 软件包",
                )
            )
        return chinese_calendar.is_workday(day)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (n ≥ 1); ``start`` itself never counts."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day, counted = start, 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many have passed since ``start`` by ``end``."""
        if end <= start:
            return 0
        return sum(
            self.is_working_day(start + dt.timedelta(days=k))
            for k in range(1, (end - start).days + 1)
        )


OFFICIAL = WorkingCalendar.official()
