"""Metrics over the report log (报告记录): reports submitted on time.

A report is *due in the period* when its due date falls within it; it is *on time* when
submitted on or before the due date. A row without a station is a contract-level report and
counts for every station.

``reports_on_time`` and ``reports_on_time_share`` read the reports the log lists (its own
due dates): a report the agency never lists is never seen. ``reports_scheduled_on_time_share``
reads the log against the contract's report schedule (``Period.reports_due``,
:mod:`evaluator.decisions.report_schedule`): every report the contract asks for that is due
in the period counts, listed or not (see :func:`_scheduled`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluator.evidence.metrics.base import (
    Metric,
    result,
    station_codes,
    station_lists,
    station_sums,
)
from evaluator.systems.vocabulary import (
    PERIODIC_REPORT_KINDS,
    REPORT_KINDS,
    REPORT_TYPE,
    SCHEDULED_TYPE,
)


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


def _keys(kinds: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """What identifies a report: its kind and period (``monthly|2026-07``); a dated
    report (mid-term, final), one a contract year, by its kind alone (``midterm|midterm``:
    the log may name its period 2026, 2026-H2 or anything else)."""
    periodic = np.isin(kinds, PERIODIC_REPORT_KINDS)
    return np.where(periodic, kinds + "|" + periods, kinds + "|" + kinds).astype(object)


def _scheduled(frame, stations, period, params):
    """Each report the contract's schedule asks for that is due in the period (its due
    date, the schedule's, within the period) is matched with the log's rows of its kind
    and period, the station's own or a contract-level one (blank station), the earliest
    submission counting: on time when submitted on or before the schedule's due date,
    late after it, missing when no matching row has a submitted date — *unlisted* when
    no row matches at all. The rows' own due dates are not read: the contract sets them.
    Rows the schedule does not ask for (another kind, a period outside the contract year)
    neither count nor cost: those whose own due date falls in the period are named
    ``unscheduled``. ``report_type`` narrows it to one kind."""
    wanted = params["report_type"]
    year = [
        r for r in (period.reports_due or ()) if wanted == "all" or r[0] == wanted
    ]  # the whole contract year's reports of the kinds counted
    kinds = np.asarray(frame["report_type"].astype(object), dtype=object)
    periods = np.asarray(frame["period"].astype(object), dtype=object)
    codes = station_codes(frame)
    submitted = np.asarray(frame["submitted_date"], dtype="datetime64[s]")
    wanted_keys = _keys(
        np.array([k for k, _, _ in year], dtype=object),
        np.array([p for _, p, _ in year], dtype=object),
    )
    index = {key: j for j, key in enumerate(wanted_keys)}
    row_due = (
        pd.Series(_keys(kinds, periods), dtype=object).map(index).fillna(-1).astype(int).to_numpy()
        if len(frame)
        else np.zeros(0, dtype=int)
    )
    position = {s: i for i, s in enumerate(stations)}
    first = np.full((len(stations), len(year)), np.datetime64("NaT", "s"))
    listed = np.zeros((len(stations), len(year)), dtype=bool)
    own = (row_due >= 0) & (codes != "")
    unit = pd.Series(codes[own], dtype=object).map(position)
    known = unit.notna().to_numpy()
    if known.any():
        mine = pd.DataFrame(
            {
                "s": unit[known].astype(int).to_numpy(),
                "d": row_due[own][known],
                "sub": submitted[own][known],
            }
        )
        earliest = mine.groupby(["s", "d"])["sub"].min()
        s_at = earliest.index.get_level_values("s").to_numpy()
        d_at = earliest.index.get_level_values("d").to_numpy()
        first[s_at, d_at] = earliest.to_numpy(dtype="datetime64[s]")
        listed[s_at, d_at] = True
    shared = (row_due >= 0) & (codes == "")
    if shared.any():
        earliest = (
            pd.DataFrame({"d": row_due[shared], "sub": submitted[shared]}).groupby("d")["sub"].min()
        )
        d_at = earliest.index.to_numpy()
        first[:, d_at] = np.fmin(first[:, d_at], earliest.to_numpy(dtype="datetime64[s]"))
        listed[:, d_at] = True
    due_days = np.array([np.datetime64(d, "s") for _, _, d in year], dtype="datetime64[s]")
    in_period = period.holds(due_days) if len(year) else np.zeros(0, dtype=bool)
    first, listed, due_days = first[:, in_period], listed[:, in_period], due_days[in_period]
    labels = [p for (_, p, _), keep in zip(year, in_period, strict=True) if keep]
    given = ~np.isnat(first)
    on_time = given & (first <= due_days)
    late = given & (first > due_days)
    n = float(len(labels))
    count = pd.Series(on_time.sum(axis=1).astype(float), index=list(stations))
    kinds_counted = REPORT_KINDS if wanted == "all" else (wanted,)
    row_days = np.asarray(frame["due_date"], dtype="datetime64[s]")
    extra = (row_due < 0) & np.isin(kinds, kinds_counted) & period.holds(row_days)
    extra_labels = np.where(np.isin(kinds, PERIODIC_REPORT_KINDS), periods, kinds)[extra]
    unscheduled = station_lists(extra_labels, codes[extra], stations)

    def named(mask: np.ndarray, i: int) -> list[str]:
        return [labels[j] for j in np.flatnonzero(mask[i])]

    detail = {
        s: {
            "due": int(n),
            "on_time": int(count[s]),
            "late": named(late, i),
            "missing": named(~given, i),
            "unlisted": named(~listed, i),
            "unscheduled": unscheduled[s],
            "report_type": wanted,
        }
        for i, s in enumerate(stations)
    }
    value = (count / n) if n > 0 else pd.Series(np.nan, index=list(stations))
    return result(stations, value, pd.Series(n, index=list(stations)), detail)


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
    Metric(
        "reports_scheduled_on_time_share",
        "reports",
        "合同要求报告按时报送率",
        "Share of the contract's reports submitted on time",
        "reports the contract's report schedule asks for (report_type: all, or one kind) due in the period and submitted on or before the schedule's due date ÷ those due in the period; a report the log does not list counts as missing; rows the schedule does not ask for do not count",
        "合同报送要求（report_type：全部或某一类）中期内应交的报告里，在合同规定的应交日期当日或之前提交的份数 ÷ 期内应交份数；报告记录未列出的应交报告计为未交；合同未要求的报告不计入",
        ("ratio", "count"),
        _scheduled,
        (SCHEDULED_TYPE,),
        targets=False,
    ),
)
