"""Metrics over the report log (报告记录): reports submitted on time.

A report is *due in the period* when its due date falls within it; it is *on time* when
submitted on or before the due date. A row without a station is a contract-level report and
counts for every station.
"""

from __future__ import annotations

import numpy as np

from evaluator.evidence.metrics.base import Metric, Param, by_station, result


def _on_time(frame, stations, period, params):
    kind = params["report_type"]
    due = np.asarray(frame["due_date"], dtype="datetime64[s]")
    mask = np.asarray(frame["report_type"].astype(object) == kind, dtype=bool) & period.holds(due)
    rows = frame[mask]
    value, n, detail = {}, {}, {}
    for s, mine in by_station(rows, stations).items():
        due_s = np.asarray(mine["due_date"], dtype="datetime64[s]")
        sub = np.asarray(mine["submitted_date"], dtype="datetime64[s]")
        on_time = ~np.isnat(sub) & (sub <= due_s)
        late = ~np.isnat(sub) & (sub > due_s)
        periods = np.asarray(mine["period"].astype(object), dtype=object)
        value[s], n[s] = float(on_time.sum()), float(len(mine))
        detail[s] = {
            "due": len(mine),
            "on_time": int(on_time.sum()),
            "late": sorted(str(p) for p in periods[late]),
            "missing": sorted(str(p) for p in periods[np.isnat(sub)]),
            "report_type": kind,
        }
    return result(stations, value, n, detail)


def _on_time_share(frame, stations, period, params):
    out = _on_time(frame, stations, period, params)
    out["value"] = (out["value"] / out["n"]).where(out["n"] > 0)
    return out


_TYPE = Param("report_type", "monthly", "which reports count", "计入的报告类型", choices=("monthly", "quarterly", "midterm", "final", "other"))

REPORT_METRICS = (
    Metric(
        "reports_on_time", "reports", "按时报送的报告份数", "Reports submitted on time",
        "reports of report_type (monthly) due in the period and submitted on or before the due date",
        "期内应交的 report_type（默认月度简报）报告中，在应交日期当日或之前提交的份数",
        ("ratio", "count"), _on_time, (_TYPE,), unit_en="reports", unit_zh="份",
    ),
    Metric(
        "reports_on_time_share", "reports", "报告按时报送率", "Share of reports submitted on time",
        "reports of report_type (monthly) due in the period and submitted on or before the due date ÷ those due in the period",
        "期内应交的 report_type（默认月度简报）报告中按时提交的份数 ÷ 应交份数",
        ("ratio", "count"), _on_time_share, (_TYPE,), targets=False,
    ),
)
