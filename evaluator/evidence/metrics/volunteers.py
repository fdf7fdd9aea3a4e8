"""Metrics over the volunteer register (志愿者名册): registered volunteers and their hours.

A volunteer counts when registered in the national volunteer service system and, where a
joined date is given, joined on or before the period's end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluator.evidence.metrics.base import Metric, result, station_codes


def _counted(frame, period) -> np.ndarray:
    joined = np.asarray(frame["joined_date"], dtype="datetime64[s]")
    return np.asarray(frame["registered"].fillna(False), dtype=bool) & (
        np.isnat(joined) | (joined <= period.last)
    )


def _registered(frame, stations, period, params):
    count = (
        pd.Series(_counted(frame, period).astype(float))
        .groupby(station_codes(frame))
        .sum()
        .reindex(stations)
        .fillna(0.0)
    )
    listed = frame.groupby(station_codes(frame)).size().reindex(stations).fillna(0)
    return result(
        stations,
        count,
        None,
        {s: {"registered": int(count[s]), "listed": int(listed[s])} for s in stations},
    )


def _hours(frame, stations, period, params):
    hours = np.where(
        _counted(frame, period), np.nan_to_num(np.asarray(frame["hours"], dtype=float)), 0.0
    )
    total = pd.Series(hours).groupby(station_codes(frame)).sum().reindex(stations).fillna(0.0)
    return result(
        stations, total, None, {s: {"hours": round(float(total[s]), 2)} for s in stations}
    )


VOLUNTEER_METRICS = (
    Metric(
        "volunteers_registered",
        "volunteers",
        "系统注册志愿者人数",
        "Registered volunteers",
        "volunteers registered in the national system (joined by the period's end)",
        "已在全国志愿服务信息系统注册（且在期末前加入）的志愿者人数",
        ("ratio", "count", "bonus"),
        _registered,
        unit_en="people",
        unit_zh="人",
    ),
    Metric(
        "volunteer_hours",
        "volunteers",
        "志愿服务时长",
        "Volunteer hours",
        "hours recorded for registered volunteers",
        "已注册志愿者的服务时长合计",
        ("ratio", "count"),
        _hours,
        unit_en="hours",
        unit_zh="小时",
    ),
)
