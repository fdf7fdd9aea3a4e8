"""Metrics over the report log (报告记录): reports submitted on time.

A report is *due in the period* when its due date falls within it; it is *on time* when
submitted on or before the due date. A row without a station is a contract-level report and
counts for every station.
"""

from __future__ import annotations

import numpy as np

from evaluator.evidence.metrics.base import (
    Metric,
    result,
    station_codes,
    station_lists,
    station_sums,
)
from evaluator.systems.vocabulary import REPORT_TYPE


def _on_time(frame, stations, period, params):
    kind = params["report_type"]
    due = np.asarray(frame["due_date"], dtype="datetime64[s]")
    rows = frame[
        np.asarray(frame["report_type"].astype(object) == kind, dtype=bool) & period.holds(due)
    ]
    codes = station_codes(rows)
    due = np.asarray(rows["due_date"], dtype="datetime64[s]")
    sub = np.asarray(rows["submitted_date"], dtype="datetime64[s]")
    on_time = ~np.isnat(sub) & (sub <= due)
    late = ~np.isnat(sub) & (sub > due)
    periods = np.asarray(rows["period"].astype(object), dtype=object)
    count = station_sums(on_time.astype(np.int64), codes, stations)
    total = station_sums(np.ones(len(rows), dtype=np.int64), codes, stations)
    lates = station_lists(periods[late], codes[late], stations)
    missing = station_lists(periods[np.isnat(sub)], codes[np.isnat(sub)], stations)
    detail = {
        s: {
            "due": int(total[s]),
            "on_time": int(count[s]),
            "late": lates[s],
            "missing": missing[s],
            "report_type": kind,
        }
        for s in stations
    }
    return result(stations, count.astype(float), total.astype(float), detail)


def _on_time_share(frame, stations, period, params):
    out = _on_time(frame, stations, period, params)
    out["value"] = (out["value"] / out["n"]).where(out["n"] > 0)
    return out


REPORT_METRICS = (
    Metric(
        "reports_on_time",
        "reports",
        "按时报送的报告份数",
        "Reports submitted on time",
        "reports of report_type (monthly) due in the period and submitted on or before the due date",
        "期内应交的 report_type（默认月度简报）报告中，在应交日期当日或之前提交的份数",
        ("ratio", "count"),
        _on_time,
        (REPORT_TYPE,),
        unit_en="reports",
        unit_zh="份",
    ),
    Metric(
        "reports_on_time_share",
        "reports",
        "报告按时报送率",
        "Share of reports submitted on time",
        "reports of report_type (monthly) due in the period and submitted on or before the due date ÷ those due in the period",
        "期内应交的 report_type（默认月度简报）报告中按时提交的份数 ÷ 应交份数",
        ("ratio", "count"),
        _on_time_share,
        (REPORT_TYPE,),
        targets=False,
    ),
)
