"""Holiday schedules as YAML files (``calendars/*.yaml``, ``evaluator calendar add``):
validated whole, every problem located by line and path, into a ``YearSchedule``.

The form, one file a year (``calendars/2027.yaml``)::

    year: 2027
    source:
      zh: 国务院办公厅关于2027年部分节假日安排的通知
      en: General Office of the State Council, notice on the 2027 holidays
      document: 国办发明电〔2026〕…号      # optional
      published: 2026-11-…               # optional
    version: "1"                         # optional; any text
    holidays:
      - holiday: spring_festival         # a code below, or `other` with a name
        from: 2027-02-05
        to: 2027-02-13                   # optional, default: `from`
        workdays: [2027-02-14]           # make-up working days (调休上班), optional
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from evaluator.decisions.schedules import NAMES, Holiday, YearSchedule
from evaluator.errors import InvalidInput, Problem, SystemInvalid
from evaluator.systems.yamlsrc import Located, Path_, format_path, parse_yaml

MAX_DAYS = 14  # a single holiday longer than this is a typing error


class ScheduleInvalid(InvalidInput):
    title_en = "Invalid holiday schedule"
    title_zh = "节假日安排无效"


_TOP = {"year", "source", "version", "holidays"}
_SOURCE = {"zh", "en", "document", "published"}
_HOLIDAY = {"holiday", "name", "from", "to", "workdays"}


def parse_schedule(text: str, file: str, origin: str = "added") -> YearSchedule:
    """Validate a schedule file; every problem at once, with its line and path."""
    try:
        doc = parse_yaml(text, file)
    except SystemInvalid as exc:
        raise ScheduleInvalid(exc.problems) from None
    problems = list(doc.problems)
    data = doc.data
    if not isinstance(data, dict):
        raise ScheduleInvalid(
            [
                doc.problem(
                    (),
                    "the file must be a mapping (year, source, holidays)",
                    "文件须为映射（year、source、holidays）",
                )
            ]
        )
    _unknown(doc, data, (), _TOP, problems)
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1901 <= year <= 2099:
        problems.append(
            doc.problem(
                ("year",),
                "year must be a year between 1901 and 2099",
                "year 须为 1901–2099 之间的年份",
            )
        )
        year = None
    source = data.get("source")
    zh = en = document = ""
    published = None
    if not isinstance(source, dict):
        problems.append(
            doc.problem(
                ("source",),
                "source is required: the notice's title in zh and en",
                "须填写 source：通知标题（中英文）",
            )
        )
    else:
        _unknown(doc, source, ("source",), _SOURCE, problems)
        zh_raw, en_raw = source.get("zh"), source.get("en")
        zh = zh_raw if isinstance(zh_raw, str) else ""
        en = en_raw if isinstance(en_raw, str) else ""
        for key, value in (("zh", zh_raw), ("en", en_raw)):
            if not isinstance(value, str) or not value.strip():
                problems.append(
                    doc.problem(
                        ("source", key),
                        f"source.{key} must be a non-empty text",
                        f"source.{key} 须为非空文本",
                    )
                )
        document = str(source.get("document") or "")
        published = _date(
            doc, source.get("published"), ("source", "published"), problems, optional=True
        )
    version = data.get("version", "")
    holidays_raw = data.get("holidays")
    holidays: list[Holiday] = []
    if not isinstance(holidays_raw, list) or not holidays_raw:
        problems.append(
            doc.problem(("holidays",), "holidays must be a non-empty list", "holidays 须为非空列表")
        )
        holidays_raw = []
    seen: dict[dt.date, str] = {}  # day → where it was first listed
    for i, item in enumerate(holidays_raw):
        holiday = _holiday(doc, item, ("holidays", i), year, seen, problems)
        if holiday is not None:
            holidays.append(holiday)
    if problems:
        raise ScheduleInvalid(_ordered(problems))
    assert year is not None  # else a problem was raised above
    return YearSchedule(
        year=year,
        kind="official",
        origin=origin,
        source_zh=zh.strip(),
        source_en=en.strip(),
        version="" if version is None else str(version),
        holidays=tuple(holidays),
        document=document,
        published=published,
    )


def _holiday(
    doc: Located,
    item: object,
    where: Path_,
    year: int | None,
    seen: dict[dt.date, str],
    problems: list[Problem],
) -> Holiday | None:
    if not isinstance(item, dict):
        problems.append(
            doc.problem(
                where,
                "each holiday must be a mapping (holiday, from, to, workdays)",
                "每个节日须为映射（holiday、from、to、workdays）",
            )
        )
        return None
    _unknown(doc, item, where, _HOLIDAY, problems)
    code = item.get("holiday")
    zh = en = ""
    named = code == "other"
    if code not in NAMES:
        problems.append(
            doc.problem(
                (*where, "holiday"),
                f"holiday must be one of {', '.join(NAMES)}",
                f"holiday 须为 {'、'.join(NAMES)} 之一",
            )
        )
        code = "other"
    name = item.get("name")
    if named:
        if not (
            isinstance(name, dict)
            and all(isinstance(name.get(k), str) and str(name.get(k)).strip() for k in ("zh", "en"))
        ):
            problems.append(
                doc.problem(
                    (*where, "name"),
                    "a holiday of kind `other` needs name: {zh, en}",
                    "类型为 other 的节日须填写名称 name: {zh, en}",
                )
            )
        else:
            zh, en = name["zh"].strip(), name["en"].strip()
    first = _date(doc, item.get("from"), (*where, "from"), problems)
    last = _date(doc, item.get("to", item.get("from")), (*where, "to"), problems)
    days: tuple[dt.date, ...] = ()
    if first and last:
        if last < first:
            problems.append(
                doc.problem(
                    (*where, "to"),
                    f"to ({last}) is before from ({first})",
                    f"结束日期（{last}）早于开始日期（{first}）",
                )
            )
        elif (last - first).days >= MAX_DAYS:
            problems.append(
                doc.problem(
                    (*where, "to"),
                    f"{(last - first).days + 1} days is too long for one holiday (at most {MAX_DAYS})",
                    f"单个节日 {(last - first).days + 1} 天过长（至多 {MAX_DAYS} 天）",
                )
            )
        else:
            days = tuple(first + dt.timedelta(days=k) for k in range((last - first).days + 1))
    raw_workdays = item.get("workdays", [])
    if raw_workdays is None:
        raw_workdays = []
    if not isinstance(raw_workdays, list):
        problems.append(
            doc.problem(
                (*where, "workdays"), "workdays must be a list of dates", "workdays 须为日期列表"
            )
        )
        raw_workdays = []
    workdays = []
    for j, raw in enumerate(raw_workdays):
        day = _date(doc, raw, (*where, "workdays", j), problems)
        if day is None:
            continue
        if day.weekday() < 5:
            problems.append(
                doc.problem(
                    (*where, "workdays", j),
                    f"{day} is a {day.strftime('%A')}: a make-up working day is a Saturday or a Sunday",
                    f"{day} 为工作日（周一至周五），调休上班日须为周六或周日",
                )
            )
            continue
        workdays.append(day)
    reported: set[Path_] = set()  # one problem per key, not one per day of a range
    for k, day in [(("from",), d) for d in days] + [
        (("workdays", j), d) for j, d in enumerate(workdays)
    ]:
        far = year is not None and day.year != year and not _near_new_year(day, year)
        if far and k not in reported:
            reported.add(k)
            problems.append(
                doc.problem(
                    (*where, *k),
                    f"{day} is not in {year} (or the days next to it)",
                    f"{day} 不在 {year} 年（或其前后相邻几日）内",
                )
            )
        if day in seen:
            problems.append(
                doc.problem(
                    (*where, *k),
                    f"{day} is listed twice (also at {seen[day]})",
                    f"{day} 重复出现（另见 {seen[day]}）",
                )
            )
        else:
            seen[day] = format_path((*where, *k))
    return Holiday(code, days, tuple(sorted(workdays)), zh, en)


def _near_new_year(day: dt.date, year: int) -> bool:
    """A notice may reach a few days into the neighbouring years (元旦 bridges, 春节 make-up days)."""
    return (day.year == year - 1 and day >= dt.date(year - 1, 12, 20)) or (
        day.year == year + 1 and day <= dt.date(year + 1, 1, 10)
    )


def _date(
    doc: Located, value: object, where: Path_, problems: list[Problem], optional: bool = False
) -> dt.date | None:
    if value is None and optional:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(
        doc.problem(
            where, f"{value!r} is not a date (YYYY-MM-DD)", f"{value!r} 不是日期（YYYY-MM-DD）"
        )
    )
    return None


def _unknown(
    doc: Located,
    mapping: dict[str, Any],
    where: Path_,
    allowed: set[str],
    problems: list[Problem],
) -> None:
    for key in mapping:
        if key not in allowed:
            problems.append(
                doc.problem(
                    (*where, key),
                    f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})",
                    f"未知的键 {key!r}（可用：{'、'.join(sorted(allowed))}）",
                )
            )


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.path or ""))
