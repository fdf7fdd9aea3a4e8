"""The reports a contract asks for (报告报送要求): its ``report_schedule``, checked, and
expanded into the reports due in its contract year. Pure: no clock, no database.

A schedule is a list of duties, at most one per report kind
(:data:`~evaluator.systems.vocabulary.REPORT_KINDS`, the codes of the report log)::

    - {kind: monthly, due_days: 10}      # 月度工作简报
    - {kind: quarterly, due_days: 15}    # 季度报告
    - {kind: midterm, due: 2026-12-30}   # 中期报告
    - {kind: final, due: 2027-06-01}     # 末期报告

* A **periodic** kind (``monthly``, ``quarterly``) asks for one report for every calendar
  month (quarter) the contract year touches, a partial first or last one included,
  labelled as the report log labels its period (``2026-07``, ``2026-Q3``), due
  ``due_days`` **calendar days** after the month (quarter) ends: ``due_days: 10`` asks for
  each month's brief by the 10th of the next month. A report due after the contract year
  ends (the last month's brief) is due, but no round of the contract reads it.
* A **dated** kind (``midterm``, ``final``) asks for one report, due on ``due``, a day of
  the contract year; its label is its kind.

Calendar days, not working days: the plans set report deadlines as a day of the month
(每月10日前报送上月工作简报), and a calendar-day rule needs no holiday schedule, so a due
date never moves when the State Council publishes a year's holidays.

A contract that gives no schedule (``None``: every contract stored before schedules
existed) has :func:`default_schedule`: monthly briefs due 10 days after each month, the
mid-term report due the day half the contract year has passed and the final report the
first day of its last month — the days from which a mid-term and a final round may be
approved (:mod:`evaluator.decisions.timing`), so that each report is due before its
evaluation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from evaluator.decisions.timing import half_passed, last_month_begins
from evaluator.decisions.words import REPORT_KIND_EN, REPORT_KIND_ZH
from evaluator.errors import InvalidInput, Problem
from evaluator.systems.vocabulary import PERIODIC_REPORT_KINDS, REPORT_KINDS
from evaluator.systems.yamlsrc import Located, Path_, format_path

DEFAULT_DUE_DAYS = 10  # a monthly brief by the 10th of the next month
MAX_DUE_DAYS = 92  # a periodic report due more than a quarter after its period is a typo
ROOT: Path_ = ("report_schedule",)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DueReport(NamedTuple):
    """One report due: its kind, its period as the report log labels it (``2026-07``,
    ``2026-Q3``; the kind itself for ``midterm`` and ``final``) and the day it is due."""

    kind: str
    period: str
    due: dt.date


def default_schedule(start: dt.date, end: dt.date) -> list[dict[str, object]]:
    """The schedule of a contract year ``start``–``end`` that gives none (module docstring)."""
    return [
        {"kind": "monthly", "due_days": DEFAULT_DUE_DAYS},
        {"kind": "midterm", "due": half_passed(start, end).isoformat()},
        {"kind": "final", "due": max(start, last_month_begins(end)).isoformat()},
    ]


def schedule_of(
    stored: Sequence[Mapping[str, object]] | None, start: dt.date, end: dt.date
) -> list[dict[str, object]]:
    """The schedule in force: the contract's own, or the default when it gives none."""
    return default_schedule(start, end) if stored is None else [dict(d) for d in stored]


# -- checking -------------------------------------------------------------------------------
def _words(kind: str) -> tuple[str, str]:
    return REPORT_KIND_EN[kind], REPORT_KIND_ZH[kind]


def _kinds_text() -> tuple[str, str]:
    en = ", ".join(f"{k} ({REPORT_KIND_EN[k]})" for k in REPORT_KINDS)
    zh = "、".join(f"{k}（{REPORT_KIND_ZH[k]}）" for k in REPORT_KINDS)
    return en, zh


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def check_schedule(
    data: object,
    start: dt.date,
    end: dt.date,
    *,
    root: Path_ = ROOT,
    source: Located | None = None,
) -> list[dict[str, object]]:
    """``data`` (a list of duties, as JSON or YAML gives it) checked whole against the
    contract year ``start``–``end``: the schedule as stored (``due`` as ``YYYY-MM-DD``), or
    :class:`~evaluator.errors.InvalidInput` with every problem at its path (``report_schedule[2].kind``;
    with the file and line when ``source`` is the YAML document it came from)."""
    problems: list[Problem] = []

    def problem(path: Path_, en: str, zh: str) -> None:
        if source is not None:
            problems.append(source.problem(path, en, zh))
        else:
            problems.append(Problem(en, zh, path=format_path(path)))

    if not isinstance(data, list):
        problem(
            root,
            "the report schedule must be a list of report duties (or null for the default: "
            "monthly briefs, a mid-term and a final report)",
            "报告报送要求须为报送事项的列表（留空则用默认要求：月度工作简报、中期报告和末期报告）",
        )
        raise InvalidInput(problems)
    if not data:
        problem(
            root,
            "give at least one report duty, or null for the default (monthly briefs, a "
            "mid-term and a final report)",
            "须至少列出一项报送事项，或留空（null）以使用默认要求（月度工作简报、中期报告和末期报告）",
        )
    kinds_en, kinds_zh = _kinds_text()
    seen: dict[str, int] = {}
    out: list[dict[str, object]] = []
    for i, duty in enumerate(data):
        at: Path_ = (*root, i)
        if not isinstance(duty, dict):
            problem(
                at,
                "each duty is a mapping: {kind, due_days} (monthly, quarterly) or {kind, due} "
                "(midterm, final)",
                "每项报送事项须为映射：{kind, due_days}（monthly、quarterly）或 {kind, due}（midterm、final）",
            )
            continue
        kind = duty.get("kind")
        if kind is None:
            problem(
                (*at, "kind"),
                f"the report kind is missing: one of {kinds_en}",
                f"缺少报告类型 kind：须为 {kinds_zh} 之一",
            )
            continue
        if not isinstance(kind, str) or kind not in REPORT_KINDS:
            problem(
                (*at, "kind"),
                f"unknown report kind {kind!r}: one of {kinds_en}",
                f"未知的报告类型 {kind!r}：须为 {kinds_zh} 之一",
            )
            continue
        en, zh = _words(kind)
        if kind in seen:
            problem(
                (*at, "kind"),
                f"{kind} ({en}) is already asked for at {format_path((*root, seen[kind]))}: "
                "one duty per kind",
                f"{zh}（{kind}）已在 {format_path((*root, seen[kind]))} 列出：每类报告只列一项",
            )
            continue
        seen[kind] = i
        periodic = kind in PERIODIC_REPORT_KINDS
        allowed = {"kind", "due_days"} if periodic else {"kind", "due"}
        for key in duty:
            if key in allowed:
                continue
            if key in ("due", "due_days"):
                problem(
                    (*at, str(key)),
                    f"a {en.lower()} is due due_days after each "
                    f"{'month' if kind == 'monthly' else 'quarter'} ends, not on one date (due)"
                    if periodic
                    else f"the {en.lower()} is due on one date (due), not due_days after a period",
                    f"{zh}应在每{'月' if kind == 'monthly' else '季度'}结束后 due_days 天内报送，不设单一日期（due）"
                    if periodic
                    else f"{zh}应在某一日期（due）前报送，不按期间后天数（due_days）计",
                )
            else:
                problem(
                    (*at, str(key)),
                    f"unknown field {key!r}: a duty has kind and due_days (monthly, quarterly) "
                    "or due (midterm, final)",
                    f"未知字段 {key!r}：报送事项只有 kind 和 due_days（monthly、quarterly）或 due"
                    "（midterm、final）",
                )
        if periodic:
            days = duty.get("due_days")
            if days is None:
                problem(
                    (*at, "due_days"),
                    f"a {en.lower()} duty needs due_days: the calendar days after each period "
                    f"ends by which its report is due (e.g. {DEFAULT_DUE_DAYS})",
                    f"{zh}须给出 due_days：每期结束后多少个自然日内报送（例如 {DEFAULT_DUE_DAYS}）",
                )
            elif (
                isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DUE_DAYS
            ):
                problem(
                    (*at, "due_days"),
                    f"due_days must be a whole number of calendar days from 0 to {MAX_DUE_DAYS}, "
                    f"got {days!r}",
                    f"due_days 须为 0 至 {MAX_DUE_DAYS} 的整数（自然日），实际为 {days!r}",
                )
            else:
                out.append({"kind": kind, "due_days": days})
        else:
            raw = duty.get("due")
            day = _date(raw)
            if raw is None:
                problem(
                    (*at, "due"),
                    f"the {en.lower()} needs due: the day it is due (YYYY-MM-DD)",
                    f"{zh}须给出 due：应交日期（YYYY-MM-DD）",
                )
            elif day is None:
                problem(
                    (*at, "due"),
                    f"due must be a date YYYY-MM-DD, got {raw!r}",
                    f"due 须为日期（YYYY-MM-DD），实际为 {raw!r}",
                )
            elif not start <= day <= end:
                problem(
                    (*at, "due"),
                    f"{day.isoformat()} is outside the contract year ({start.isoformat()} – "
                    f"{end.isoformat()}): no round of the contract would read the {en.lower()}",
                    f"{day.isoformat()} 不在合同服务期（{start.isoformat()} 至 {end.isoformat()}）内："
                    f"本合同的评估轮次不会读到该{zh}",
                )
            else:
                out.append({"kind": kind, "due": day.isoformat()})
    if problems:
        raise InvalidInput(problems)
    return out


# -- expanding --------------------------------------------------------------------------------
def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)


def _periods(kind: str, start: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    """(label, last day) of every calendar month or quarter the days start–end touch."""
    step = 1 if kind == "monthly" else 3
    year, month = start.year, start.month
    if step == 3:
        month = (month - 1) // 3 * 3 + 1  # the quarter's first month
    out = []
    while (year, month) <= (end.year, end.month):
        last_month = month + step - 1
        label = f"{year}-{month:02d}" if step == 1 else f"{year}-Q{(month - 1) // 3 + 1}"
        out.append((label, _month_end(year, last_month)))
        year, month = (year + 1, 1) if last_month == 12 else (year, last_month + 1)
    return out


def reports_due(
    schedule: Sequence[Mapping[str, object]], start: dt.date, end: dt.date
) -> list[DueReport]:
    """Every report a checked ``schedule`` asks for in the contract year ``start``–``end``,
    by due date (then kind, then period): the concrete list the report log is read against."""
    out: list[DueReport] = []
    for duty in schedule:
        kind = str(duty["kind"])
        if kind in PERIODIC_REPORT_KINDS:
            days = duty["due_days"]
            assert isinstance(days, int)  # a checked schedule
            out += [
                DueReport(kind, label, last + dt.timedelta(days=days))
                for label, last in _periods(kind, start, end)
            ]
        else:
            out.append(DueReport(kind, kind, dt.date.fromisoformat(str(duty["due"]))))
    order = {k: i for i, k in enumerate(REPORT_KINDS)}
    return sorted(out, key=lambda r: (r.due, order[r.kind], r.period))


def contract_reports_due(
    stored: Sequence[Mapping[str, object]] | None, start: dt.date, end: dt.date
) -> list[DueReport]:
    """The reports due in a contract year, from its stored schedule (or the default)."""
    return reports_due(schedule_of(stored, start, end), start, end)


__all__ = [
    "DEFAULT_DUE_DAYS",
    "MAX_DUE_DAYS",
    "DueReport",
    "check_schedule",
    "contract_reports_due",
    "default_schedule",
    "reports_due",
    "schedule_of",
]
