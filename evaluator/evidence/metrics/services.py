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
    MIN_FOLLOWUPS,
    MIN_PARTICIPANTS,
    MIN_PERSON_TIMES,
    MIN_SESSIONS,
)


def _in_period(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    return frame[period.holds(frame["date"])]


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
    rows = _in_period(frame, period)
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
    rows = _in_period(frame, period)
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
        "service hours at places community or household ÷ all service hours in the period",
        "期内服务地点为社区或入户的服务时数 ÷ 全部服务时数",
        ("ratio", "count"),
        _community_share,
        targets=False,
    ),
    Metric(
        "service_hours",
        "service_log",
        "服务总时数",
        "Service hours",
        "sum of service hours in the period",
        "期内服务时数合计",
        ("ratio", "count"),
        _hours,
        unit_en="hours",
        unit_zh="小时",
    ),
)
