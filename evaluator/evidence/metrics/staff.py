"""Metrics over the staff roster (人员名册): headcount, qualification, development, retention.

A worker is *on duty* on a day when hired on or before it and not yet gone (no leave date,
or a leave date on or after it). Only full-time workers (专职) count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluator.evidence.metrics.base import Metric, Period, result, station_codes
from evaluator.systems.vocabulary import (
    DEGREE_COUNTS,
    EQUIVALENT_HOURS,
    GRACE_YEARS,
    MIN_HOURS,
    MIN_STAFF,
    SETUP_MONTHS,
)


def _dates(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.asarray(frame[column], dtype="datetime64[s]")


def _full_time(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame["full_time"].fillna(False), dtype=bool)


def on_duty(frame: pd.DataFrame, day: np.datetime64) -> np.ndarray:
    hire, leave = _dates(frame, "hire_date"), _dates(frame, "leave_date")
    return _full_time(frame) & (hire <= day) & (np.isnat(leave) | (leave >= day))


def served(frame: pd.DataFrame, period: Period) -> np.ndarray:
    """Full-time workers on duty on at least one day of the period."""
    hire, leave = _dates(frame, "hire_date"), _dates(frame, "leave_date")
    return _full_time(frame) & (hire <= period.last) & (np.isnat(leave) | (leave >= period.first))


def average_headcount(frame: pd.DataFrame, stations: Sequence[str], period: Period) -> pd.Series:
    """Mean over the period's months of the full-time workers on duty on each reference day."""
    codes = station_codes(frame)
    days = period.month_ends()
    total = pd.Series(0.0, index=list(stations))
    for day in days:
        counts = pd.Series(on_duty(frame, day).astype(float)).groupby(codes).sum()
        total = total.add(counts.reindex(total.index).fillna(0.0))
    return total / len(days)


def _headcount(frame, stations, period, params):
    avg = average_headcount(frame, stations, period)
    months = len(period.month_ends())
    detail = {s: {"average_headcount": round(float(avg[s]), 4), "months": months} for s in stations}
    return result(stations, avg, None, detail)


def equivalent(frame: pd.DataFrame, params) -> np.ndarray:
    """The rows a system counts as qualified without the certificate it asks for: at least
    ``equivalent_hours`` of training (0: never) or, where ``degree_counts`` is yes, a
    relevant degree (one province's rule; the shipped system allows neither)."""
    hours = np.nan_to_num(np.asarray(frame["training_hours"], dtype=float))
    need = float(params["equivalent_hours"])
    by_hours = (need > 0) & (hours >= need)
    degree = np.asarray(frame["relevant_degree"].astype(object).fillna(False), dtype=bool)
    return by_hours | (degree & (params["degree_counts"] == "yes"))


def holds_level(frame: pd.DataFrame, day: np.datetime64, levels: Sequence[str] | None):
    """The rows holding a qualification (of ``levels``; any level when None) on ``day``."""
    qual = np.asarray(frame["qualification"].astype(object).fillna("none"), dtype=object)
    qdate = _dates(frame, "qualification_date")
    level = (qual != "none") if levels is None else np.isin(qual, levels)
    return level & ~np.isnat(qdate) & (qdate <= day)


def _qualified(frame, stations, period, params):
    codes = station_codes(frame)
    day = period.last
    duty = on_duty(frame, day)
    certified = holds_level(frame, day, None)
    holds = certified | equivalent(frame, params)
    # the contract's rule when it gives one (2 years, 3 in one province), else the system's
    years = period.qualification_years or int(params["grace_years"])
    hire = pd.Series(_dates(frame, "hire_date"))
    deadline = np.asarray(hire + pd.DateOffset(years=years), dtype="datetime64[s]")
    in_grace = ~holds & (deadline > day)
    overdue = duty & ~holds & ~in_grace
    ids = np.asarray(frame["person_id"].astype(object), dtype=object)
    n = pd.Series(duty.astype(float)).groupby(codes).sum().reindex(list(stations)).fillna(0.0)
    ok = (
        pd.Series((duty & ~overdue).astype(float))
        .groupby(codes)
        .sum()
        .reindex(list(stations))
        .fillna(0.0)
    )
    value = (ok / n).where(n > 0)

    def per_station(mask: np.ndarray) -> dict[str, int]:
        return pd.Series(mask.astype(int)).groupby(codes).sum().to_dict()

    qualified, within = per_station(duty & certified), per_station(duty & in_grace)
    counted = per_station(duty & holds & ~certified)
    late: dict[str, list[str]] = {}
    for code, person in zip(codes[overdue], ids[overdue], strict=True):
        late.setdefault(code, []).append(str(person))
    detail = {
        s: {
            "on_duty": int(n[s]),
            "qualified": int(qualified.get(s, 0)),
            "equivalent": int(counted.get(s, 0)),
            "within_deadline": int(within.get(s, 0)),
            "overdue": sorted(late.get(s, [])),
            "deadline_years": years,
            "deadline_from": "system" if period.qualification_years is None else "contract",
        }
        for s in stations
    }
    return result(stations, value, n, detail)


def _hours(column: str):
    def compute(frame, stations, period, params):
        codes = station_codes(frame)
        mask = served(frame, period)
        hours = np.where(mask, np.nan_to_num(np.asarray(frame[column], dtype=float)), 0.0)
        total = pd.Series(hours).groupby(codes).sum().reindex(list(stations)).fillna(0.0)
        avg = average_headcount(frame, stations, period)
        value = (total / avg).where(avg > 0)
        detail = {
            s: {
                "total_hours": round(float(total[s]), 2),
                "average_headcount": round(float(avg[s]), 4),
            }
            for s in stations
        }
        return result(stations, value, avg, detail)

    return compute


DAYS_IN_YEAR = 365


def owed_hours(frame: pd.DataFrame, period: Period, yearly: float) -> np.ndarray:
    """The training hours each row owes in the period: ``yearly`` for a whole year served
    in it, pro rata the days served in the period otherwise (0 for a worker who did not
    serve in it)."""
    hire, leave = _dates(frame, "hire_date"), _dates(frame, "leave_date")
    start = np.maximum(hire, period.first)
    end = np.where(np.isnat(leave), period.last, np.minimum(leave, period.last))
    days = (end - start).astype("timedelta64[D]").astype(np.int64) + 1
    return np.clip(days, 0, None) * (yearly / DAYS_IN_YEAR)


def _training_met(frame, stations, period, params):
    codes = station_codes(frame)
    counted = served(frame, period)
    owed = owed_hours(frame, period, float(params["min_hours"]))
    hours = np.nan_to_num(np.asarray(frame["training_hours"], dtype=float))
    met = counted & (hours >= owed - 1e-9)
    n = pd.Series(counted.astype(float)).groupby(codes).sum().reindex(list(stations)).fillna(0.0)
    ok = pd.Series(met.astype(float)).groupby(codes).sum().reindex(list(stations)).fillna(0.0)
    ids = np.asarray(frame["person_id"].astype(object), dtype=object)
    below: dict[str, list[dict]] = {}
    for i in np.flatnonzero(counted & ~met):
        below.setdefault(codes[i], []).append(
            {
                "person": str(ids[i]),
                "hours": round(float(hours[i]), 2),
                "owed": round(float(owed[i]), 2),
            }
        )
    detail = {
        s: {
            "workers": int(n[s]),
            "met": int(ok[s]),
            "below": sorted(below.get(s, []), key=lambda b: b["person"]),
            "min_hours": float(params["min_hours"]),
        }
        for s in stations
    }
    return result(stations, (ok / n).where(n > 0), n, detail)


def staffed_on(
    hire: np.ndarray, leave: np.ndarray, period: Period, need: int
) -> np.datetime64 | None:
    """The first day of the period on which at least ``need`` of these full-time workers
    were on duty (None if none was): only the period's first day and hiring days can be
    the first such day."""
    later = hire[(hire > period.first) & (hire <= period.last)]
    for day in np.unique(np.concatenate([[period.first], later])):
        on = (hire <= day) & (np.isnat(leave) | (leave >= day))
        if int(on.sum()) >= need:
            return day
    return None


def _staffed_in_time(frame, stations, period, params):
    codes = station_codes(frame)
    need, months = int(params["min_staff"]), int(params["setup_months"])
    deadline = np.datetime64(pd.Timestamp(period.start) + pd.DateOffset(months=months), "s")
    rows = pd.Series(np.arange(len(frame))).groupby(codes).indices
    full = _full_time(frame)
    hire, leave = _dates(frame, "hire_date"), _dates(frame, "leave_date")
    value, detail = {}, {}
    for s in stations:
        mine = np.asarray(rows.get(s, []), dtype=np.int64)
        mine = mine[full[mine]]
        day = staffed_on(hire[mine], leave[mine], period, need)
        if day is not None and day <= deadline:
            value[s] = 1.0
        elif deadline <= period.last:
            value[s] = 0.0
        else:
            value[s] = np.nan  # not staffed yet, and its deadline is after the period
        detail[s] = {
            "staffed_on": None if day is None else str(day.astype("datetime64[D]")),
            "deadline": str(deadline.astype("datetime64[D]")),
            "min_staff": need,
        }
    return result(stations, pd.Series(value), None, detail)


INTERMEDIATE = ("intermediate", "senior")  # 社会工作师 and above


def _supervisor_qualified(frame, stations, period, params):
    codes = station_codes(frame)
    day = period.last
    position = np.asarray(frame["position"].astype(object), dtype=object)
    duty = on_duty(frame, day) & (position == "supervisor")
    ok = duty & (holds_level(frame, day, INTERMEDIATE) | equivalent(frame, params))
    n = pd.Series(duty.astype(float)).groupby(codes).sum().reindex(list(stations)).fillna(0.0)
    good = pd.Series(ok.astype(float)).groupby(codes).sum().reindex(list(stations)).fillna(0.0)
    ids = np.asarray(frame["person_id"].astype(object), dtype=object)
    short: dict[str, list[str]] = {}
    for i in np.flatnonzero(duty & ~ok):
        short.setdefault(codes[i], []).append(str(ids[i]))
    detail = {
        s: {
            "supervisors": int(n[s]),
            "qualified": int(good[s]),
            "not_qualified": sorted(short.get(s, [])),
        }
        for s in stations
    }
    return result(stations, (good / n).where(n > 0), n, detail)


def _retention(frame, stations, period, params):
    codes = station_codes(frame)
    leave = _dates(frame, "leave_date")
    left = _full_time(frame) & ~np.isnat(leave) & (leave >= period.first) & (leave <= period.last)
    departures = (
        pd.Series(left.astype(float)).groupby(codes).sum().reindex(list(stations)).fillna(0.0)
    )
    avg = average_headcount(frame, stations, period)
    value = (1 - departures / avg).clip(lower=0.0).where(avg > 0)
    detail = {
        s: {"departures": int(departures[s]), "average_headcount": round(float(avg[s]), 4)}
        for s in stations
    }
    return result(stations, value, avg, detail)


STAFF_METRICS = (
    Metric(
        "fulltime_headcount",
        "staff",
        "月均在岗专职社工人数",
        "Average full-time social workers on duty",
        "mean over the period's months of full-time workers on duty on the month's last day (the period's end in a partial last month)",
        "按期内各月最后一天（末月不足一月的取期末）在岗专职社工人数求平均",
        ("ratio", "count"),
        _headcount,
        unit_en="people",
        unit_zh="人",
    ),
    Metric(
        "qualified_share",
        "staff",
        "持证（或在取证期限内）人员比例",
        "Share qualified or within the qualification deadline",
        "full-time workers on duty at the period's end who hold a qualification — or, where the system allows, at least equivalent_hours of training or a relevant degree (degree_counts) — or were hired less than the years to qualify before it (the contract's qualification_years, else grace_years), ÷ full-time workers on duty then",
        "期末在岗专职社工中已取得职业资格（或按体系认可的 equivalent_hours 培训时数、相关专业学历 degree_counts 视同）、或入职未满取证期限（合同约定的年限，未约定时按 grace_years，默认 2 年）者所占比例",
        ("ratio", "count"),
        _qualified,
        (GRACE_YEARS, EQUIVALENT_HOURS, DEGREE_COUNTS),
        targets=False,
    ),
    Metric(
        "supervision_hours_per_worker",
        "staff",
        "人均督导时数",
        "Supervision hours per social worker",
        "supervision hours of full-time workers who served in the period ÷ average full-time headcount",
        "期内服务过的专职社工督导时数合计 ÷ 月均在岗专职社工人数",
        ("ratio", "count"),
        _hours("supervision_hours"),
        unit_en="hours",
        unit_zh="小时",
    ),
    Metric(
        "training_hours_per_worker",
        "staff",
        "人均培训时数",
        "Training hours per social worker",
        "training hours of full-time workers who served in the period ÷ average full-time headcount",
        "期内服务过的专职社工培训时数合计 ÷ 月均在岗专职社工人数",
        ("ratio", "count"),
        _hours("training_hours"),
        unit_en="hours",
        unit_zh="小时",
    ),
    Metric(
        "training_hours_met_share",
        "staff",
        "培训时数达标人员比例",
        "Share of workers with their training hours",
        "full-time workers who served in the period and had at least min_hours (60) of training a year — pro rata the days they served in the period — ÷ full-time workers who served in it",
        "期内服务过的专职社工中，培训时数不少于每年 min_hours（默认 60）小时（按其期内在岗天数折算）者所占比例",
        ("ratio", "count"),
        _training_met,
        (MIN_HOURS,),
        targets=False,
    ),
    Metric(
        "staffed_in_time",
        "staff",
        "按期完成人员配备",
        "Staffed within the set-up deadline",
        "1 when at least min_staff (2) full-time workers were on duty on some day within setup_months (1) of the period's start (the contract's), 0 when that day passed without them; missing when it is after the period and they are not there yet",
        "期初（合同起始日）起 setup_months（默认 1）个月内某日已有不少于 min_staff（默认 2）名专职社工在岗记 1，期限已过仍未配齐记 0；期限晚于期末且尚未配齐的为缺失",
        ("ratio", "count"),
        _staffed_in_time,
        (MIN_STAFF, SETUP_MONTHS),
        targets=False,
    ),
    Metric(
        "supervisor_qualified",
        "staff",
        "督导持中级资格比例",
        "Supervisors with the intermediate qualification",
        "full-time supervisors (position 督导) on duty at the period's end who hold the intermediate qualification (社会工作师) or above — or, where the system allows, at least equivalent_hours of training or a relevant degree (degree_counts) — ÷ full-time supervisors on duty then; missing without a supervisor",
        "期末在岗专职督导（岗位为督导）中持中级（社会工作师）及以上资格者——或按体系认可的 equivalent_hours 培训时数、相关专业学历（degree_counts）视同者——所占比例；无督导的为缺失",
        ("ratio", "count"),
        _supervisor_qualified,
        (EQUIVALENT_HOURS, DEGREE_COUNTS),
        targets=False,
    ),
    Metric(
        "retention",
        "staff",
        "人员稳定率",
        "Staff retention",
        "1 − full-time departures in the period ÷ average full-time headcount (not below 0)",
        "1 −（期内专职社工离职人数 ÷ 月均在岗专职社工人数），最低为 0",
        ("ratio", "count"),
        _retention,
        targets=False,
    ),
)
