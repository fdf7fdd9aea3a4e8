"""Metrics over the service log (服务台账): quality-gated cases, groups and activities,
and where service hours were delivered. Only rows dated within the period count.

Rows sharing a case/group ID at a station are sessions of one case or group; a row without
an ID is a case, group or activity of its own. A row without a sessions figure counts as
one session; one without participants as none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluator.evidence.metrics.base import Metric, Period, result, station_codes
from evaluator.systems.vocabulary import (
    MAX_SHARE,
    MIN_FOLLOWUPS,
    MIN_PARTICIPANTS,
    MIN_PERSON_TIMES,
    MIN_SESSIONS,
)

TOWNSHIP_ADMIN = "township_admin"  # logged hours of township administrative work, not a service


def _in_period(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    return frame[period.holds(frame["date"])]


def _services(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The period's rows that are services (not township administrative work)."""
    rows = _in_period(frame, period)
    return rows[np.asarray(rows["service_type"].astype(object) != TOWNSHIP_ADMIN, dtype=bool)]


def _units(frame: pd.DataFrame, service_type: str) -> pd.DataFrame:
    """One row per case / group / activity of ``service_type``: station, sessions, person-times."""
    rows = frame[np.asarray(frame["service_type"] == service_type, dtype=bool)]
    ids = rows["record_id"].astype(object)
    key = np.where(
        ids.notna(),
        "id:" + ids.astype(str),
        "row:" + pd.Series(np.arange(len(rows)), index=rows.index).astype(str),
    )
    data = pd.DataFrame(
        {
            "station": station_codes(rows),
            "key": key,
            "sessions": np.asarray(rows["sessions"].astype("Float64").fillna(1), dtype=float),
            "participants": np.asarray(
                rows["participants"].astype("Float64").fillna(0), dtype=float
            ),
        }
    )
    return data.groupby(["station", "key"], sort=False).sum().reset_index()


def _count_units(service_type: str, passes, describe):
    def compute(frame, stations, period, params):
        units = _units(_in_period(frame, period), service_type)
        ok = passes(units, params)
        qualified = (
            pd.Series(ok.astype(float))
            .groupby(units["station"].to_numpy())
            .sum()
            .reindex(stations)
            .fillna(0.0)
        )
        total = units.groupby("station").size().reindex(stations).fillna(0).astype(float)
        detail = {
            s: {"qualified": int(qualified[s]), "recorded": int(total[s]), **describe(params)}
            for s in stations
        }
        return result(stations, qualified, total, detail)

    return compute


def _cases(units, params):
    return np.asarray(units["sessions"] >= params["min_followups"])


def _groups(units, params):
    return np.asarray(
        (units["sessions"] >= params["min_sessions"])
        & (units["participants"] >= params["min_person_times"])
    )


def _activities(units, params):
    return np.asarray(units["participants"] >= params["min_participants"])


def _community_share(frame, stations, period, params):
    rows = _services(frame, period)
    codes = station_codes(rows)
    hours = np.asarray(rows["hours"], dtype=float)
    place = np.asarray(rows["place"].astype(object), dtype=object)
    outside = np.where((place == "community") | (place == "household"), hours, 0.0)
    total = pd.Series(hours).groupby(codes).sum().reindex(stations).fillna(0.0)
    out = pd.Series(outside).groupby(codes).sum().reindex(stations).fillna(0.0)
    value = (out / total).where(total > 0)
    detail = {
        s: {
            "community_household_hours": round(float(out[s]), 2),
            "total_hours": round(float(total[s]), 2),
        }
        for s in stations
    }
    return result(stations, value, total, detail)


def _hours(frame, stations, period, params):
    rows = _services(frame, period)
    total = (
        pd.Series(np.asarray(rows["hours"], dtype=float))
        .groupby(station_codes(rows))
        .sum()
        .reindex(stations)
        .fillna(0.0)
    )
    return result(
        stations, total, None, {s: {"total_hours": round(float(total[s]), 2)} for s in stations}
    )


def _township_work(frame, stations, period, params):
    rows = _in_period(frame, period)
    codes = station_codes(rows)
    hours = np.asarray(rows["hours"], dtype=float)
    admin = np.where(np.asarray(rows["service_type"].astype(object) == TOWNSHIP_ADMIN), hours, 0.0)
    total = pd.Series(hours).groupby(codes).sum().reindex(stations).fillna(0.0)
    spent = pd.Series(admin).groupby(codes).sum().reindex(stations).fillna(0.0)
    # the contract's limit when it sets one, else the system's
    limit = (
        float(params["max_share"])
        if period.township_share_limit is None
        else period.township_share_limit
    )
    within = (spent <= limit * total + 1e-9).astype(float).where(total > 0)
    detail = {
        s: {
            "township_hours": round(float(spent[s]), 2),
            "total_hours": round(float(total[s]), 2),
            "share": round(float(spent[s] / total[s]), 4) if total[s] > 0 else None,
            "limit": limit,
            "limit_from": "system" if period.township_share_limit is None else "contract",
        }
        for s in stations
    }
    return result(stations, within, total, detail)


SERVICE_METRICS = (
    Metric(
        "cases_qualified",
        "service_log",
        "合格个案数",
        "Quality-gated cases",
        "cases (rows of type case sharing an ID) in the period whose follow-ups add up to at least min_followups (6)",
        "期内跟进次数合计不少于 min_followups（默认 6）次的个案数（同一编号的个案记录合并计算）",
        ("ratio", "count", "bonus"),
        _count_units("case", _cases, lambda p: {"min_followups": p["min_followups"]}),
        (MIN_FOLLOWUPS,),
        unit_en="cases",
        unit_zh="个",
    ),
    Metric(
        "groups_qualified",
        "service_log",
        "合格小组数",
        "Quality-gated groups",
        "groups in the period with at least min_sessions (6) sessions and min_person_times (42) person-times",
        "期内节次不少于 min_sessions（默认 6）节且累计不少于 min_person_times（默认 42）人次的小组数",
        ("ratio", "count", "bonus"),
        _count_units(
            "group",
            _groups,
            lambda p: {
                "min_sessions": p["min_sessions"],
                "min_person_times": p["min_person_times"],
            },
        ),
        (MIN_SESSIONS, MIN_PERSON_TIMES),
        unit_en="groups",
        unit_zh="个",
    ),
    Metric(
        "activities_qualified",
        "service_log",
        "达标活动场次",
        "Activities meeting the participation threshold",
        "activities in the period with at least min_participants (25) participants",
        "期内参与人数不少于 min_participants（默认 25）人的社区活动场次",
        ("ratio", "count", "bonus"),
        _count_units(
            "activity", _activities, lambda p: {"min_participants": p["min_participants"]}
        ),
        (MIN_PARTICIPANTS,),
        unit_en="activities",
        unit_zh="场",
    ),
    Metric(
        "community_hours_share",
        "service_log",
        "社区及入户服务时数占比",
        "Share of service hours in communities and households",
        "service hours at places community or household ÷ all service hours in the period (township administrative work is not a service)",
        "期内服务地点为社区或入户的服务时数 ÷ 全部服务时数（乡镇行政事务不是服务，不计）",
        ("ratio", "count"),
        _community_share,
        targets=False,
    ),
    Metric(
        "service_hours",
        "service_log",
        "服务总时数",
        "Service hours",
        "sum of service hours in the period (township administrative work is not a service)",
        "期内服务时数合计（乡镇行政事务不计）",
        ("ratio", "count"),
        _hours,
        unit_en="hours",
        unit_zh="小时",
    ),
    Metric(
        "township_work_within_limit",
        "service_log",
        "乡镇行政事务时数未超上限",
        "Township administrative work within the limit",
        "1 when hours logged as township administrative work are at most the limit's share of all hours logged in the period (the contract's township_hours_limit, else max_share, 0.1), 0 when above; missing with no hours logged",
        "期内记为乡镇行政事务的时数占全部记录时数的比例不超过上限（合同约定的 township_hours_limit，未约定时按 max_share，默认 10%）记 1，超过记 0；无记录时数的为缺失",
        ("ratio", "count"),
        _township_work,
        (MAX_SHARE,),
        targets=False,
    ),
)
