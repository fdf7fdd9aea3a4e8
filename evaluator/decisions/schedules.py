"""Holiday schedules, one year each: which days are closed, which weekend days are make-up
working days (调休), and where that comes from.

Three origins, in rising precedence:

* ``package`` — the State Council schedules carried by the ``chinese-calendar`` package;
* ``shipped`` — YAML files in ``calendars/`` shipped with this product (a year the package
  does not carry yet, or a correction);
* ``added`` — a file an administrator added (``evaluator calendar add``), kept in the
  database and audited.

A year none of them has is *provisional*: derived from the law (see ``statutory``).

The YAML form a schedule is written in: ``schedule_files``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import chinese_calendar

NAMES: dict[str, tuple[str, str]] = {  # code → (zh, en)
    "new_years_day": ("元旦", "New Year's Day"),
    "spring_festival": ("春节", "Spring Festival"),
    "tomb_sweeping_day": ("清明节", "Tomb-sweeping Day"),
    "labour_day": ("劳动节", "Labour Day"),
    "dragon_boat_festival": ("端午节", "Dragon Boat Festival"),
    "mid_autumn_festival": ("中秋节", "Mid-autumn Festival"),
    "national_day": ("国庆节", "National Day"),
    "anti_fascist_70th_day": (
        "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
        "Anti-Fascist 70th Day",
    ),
    "other": ("其他", "Other"),
}
_PACKAGE_CODES = {h.value: h.name for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class Holiday:
    """One holiday of a schedule: its closed days and the make-up working days it brings."""

    code: str
    days: tuple[dt.date, ...]
    workdays: tuple[dt.date, ...] = ()
    zh: str = ""
    en: str = ""

    @property
    def name_zh(self) -> str:
        return self.zh or NAMES.get(self.code, NAMES["other"])[0]

    @property
    def name_en(self) -> str:
        return self.en or NAMES.get(self.code, NAMES["other"])[1]


@dataclass(frozen=True)
class YearSchedule:
    year: int
    kind: str  # official | provisional
    origin: str  # package | shipped | added | law
    source_zh: str
    source_en: str
    version: str = ""
    holidays: tuple[Holiday, ...] = ()
    document: str = ""
    published: dt.date | None = None

    @property
    def provisional(self) -> bool:
        return self.kind == "provisional"

    def closed(self) -> dict[dt.date, Holiday]:
        return {d: h for h in self.holidays for d in h.days}

    def open_(self) -> dict[dt.date, Holiday]:
        return {d: h for h in self.holidays for d in h.workdays}

    def as_dict(self) -> dict[str, Any]:
        """The canonical form (what is stored, hashed and shown)."""
        return {
            "year": self.year,
            "kind": self.kind,
            "origin": self.origin,
            "source": {"zh": self.source_zh, "en": self.source_en}
            | ({"document": self.document} if self.document else {})
            | ({"published": self.published.isoformat()} if self.published else {}),
            "version": self.version,
            "holidays": [
                {
                    "holiday": h.code,
                    "name": {"zh": h.name_zh, "en": h.name_en},
                    "days": [d.isoformat() for d in h.days],
                    "workdays": [d.isoformat() for d in h.workdays],
                }
                for h in self.holidays
            ],
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> YearSchedule:
        """Back from :meth:`as_dict` (a stored schedule; trusted)."""
        src = doc["source"]
        return cls(
            year=int(doc["year"]),
            kind=doc["kind"],
            origin=doc["origin"],
            source_zh=src["zh"],
            source_en=src["en"],
            version=str(doc.get("version", "")),
            document=src.get("document", ""),
            published=dt.date.fromisoformat(src["published"]) if src.get("published") else None,
            holidays=tuple(
                Holiday(
                    h["holiday"],
                    tuple(dt.date.fromisoformat(d) for d in h["days"]),
                    tuple(dt.date.fromisoformat(d) for d in h["workdays"]),
                    h["name"]["zh"] if h["holiday"] == "other" else "",
                    h["name"]["en"] if h["holiday"] == "other" else "",
                )
                for h in doc["holidays"]
            ),
        )


@cache
def package_years() -> tuple[int, ...]:
    """The years the installed ``chinese-calendar`` carries (official schedules)."""
    return tuple(sorted({d.year for d in chinese_calendar.holidays}))


@cache
def package_schedule(year: int) -> YearSchedule | None:
    """The State Council schedule of ``year`` as ``chinese-calendar`` carries it."""
    if year not in package_years():
        return None
    closed: dict[str, list[dt.date]] = {}
    opened: dict[str, list[dt.date]] = {}
    for day, holiday in chinese_calendar.holidays.items():
        if day.year == year and holiday is not None:
            closed.setdefault(
                _PACKAGE_CODES.get(getattr(holiday, "value", holiday), "other"), []
            ).append(day)
    for day, holiday in chinese_calendar.workdays.items():
        # a make-up working day (a weekend day listed as a workday, named after its holiday)
        if day.year == year and holiday is not None and day.weekday() >= 5:
            opened.setdefault(
                _PACKAGE_CODES.get(getattr(holiday, "value", holiday), "other"), []
            ).append(day)
    version = getattr(chinese_calendar, "__version__", "")
    holidays = tuple(
        Holiday(code, tuple(sorted(days)), tuple(sorted(opened.get(code, ()))))
        for code, days in sorted(closed.items(), key=lambda kv: min(kv[1]))
    )
    return YearSchedule(
        year=year,
        kind="official",
        origin="package",
        source_zh=f"国务院办公厅关于{year}年部分节假日安排的通知（chinese-calendar {version}）",
        source_en=f"State Council notice on the {year} holidays (chinese-calendar {version})",
        version=f"chinese-calendar {version}",
        holidays=holidays,
    )
