"""Metrics over the stations' approved results (站点评估结果): what an agency's portfolio
leaves read.

The "register" here is not a file anyone imports: it is the approved results of the
contract's own evaluation round of its stations, one row per station, assembled by
:mod:`evaluator.services.station_results` from the approval snapshot in force (what was
approved, never a recomputation). Its columns:

- ``station``: the unit the row counts for (the agency of an agency round; every row);
- ``evaluated``: the station's code; ``round``, ``round_kind``, ``as_of``, ``snapshot``:
  the station round and its snapshot the row was read from;
- ``total``: the station's approved total; ``out_of``: its system's total points;
- ``grade``: its approved grade code (``grade_zh`` its name, 优秀 …); ``lowest_grade``: the lowest grade of its system
  (不合格 in the usual bands); ``vetoes``: the veto items confirmed for it, ``;``-joined.

A station *passes* when its grade is not its system's lowest and no veto is confirmed
(合格及以上且无否决). Scores are compared as percentages of the station system's total
points (a 1,000-point system's 850 is 85).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluator.evidence.metrics.base import Metric, result
from evaluator.systems.vocabulary import RESULTS_KIND

__all__ = ["RESULTS_COLUMNS", "RESULTS_KIND", "RESULTS_METRICS"]
RESULTS_COLUMNS = (
    "station",
    "evaluated",
    "round",
    "round_kind",
    "as_of",
    "snapshot",
    "total",
    "out_of",
    "grade",
    "grade_zh",
    "lowest_grade",
    "vetoes",
)


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (unit, evaluated station) with its percentage score and pass."""
    rows = frame.drop_duplicates(["station", "evaluated"], keep="last").copy()
    rows["score"] = np.asarray(rows["total"], dtype=float) / np.asarray(rows["out_of"], dtype=float)
    rows["score"] *= 100.0
    vetoed = rows["vetoes"].fillna("").astype(str) != ""
    rows["passed"] = (rows["grade"].astype(str) != rows["lowest_grade"].astype(str)) & ~vetoed
    return rows


def _explained(rows: pd.DataFrame, stations) -> dict[str, dict]:
    """Per unit: the round(s) read and every station's approved score, grade and vetoes."""
    out: dict[str, dict] = {}
    for unit in stations:
        mine = rows[rows["station"] == unit].sort_values("evaluated", kind="stable")
        rounds = mine.drop_duplicates("round")
        out[unit] = {
            "rounds": [
                {"round": str(r), "kind": str(k), "as_of": str(a), "snapshot": str(s)}
                for r, k, a, s in zip(
                    rounds["round"],
                    rounds["round_kind"],
                    rounds["as_of"],
                    rounds["snapshot"],
                    strict=True,
                )
            ],
            "stations": [
                {
                    "code": str(code),
                    "total": round(float(total), 6),
                    "out_of": float(out_of),
                    "grade": str(grade),
                    "grade_zh": str(grade_zh),
                    "vetoes": [v for v in str(vetoes or "").split(";") if v],
                    "passed": bool(passed),
                }
                for code, total, out_of, grade, grade_zh, vetoes, passed in zip(
                    mine["evaluated"],
                    mine["total"],
                    mine["out_of"],
                    mine["grade"],
                    mine["grade_zh"],
                    mine["vetoes"],
                    mine["passed"],
                    strict=True,
                )
            ],
        }
    return out


def _evaluated(frame, stations, period, params):
    rows = _rows(frame)
    count = rows.groupby("station")["evaluated"].nunique().reindex(list(stations)).fillna(0)
    detail = _explained(rows, stations)
    for unit in stations:
        detail[unit]["evaluated"] = int(count[unit])
    return result(stations, count.astype(float), count.astype(float), detail)


def _mean_score(frame, stations, period, params):
    rows = _rows(frame)
    grouped = rows.groupby("station")["score"]
    mean = grouped.mean().reindex(list(stations))
    count = grouped.size().reindex(list(stations)).fillna(0)
    detail = _explained(rows, stations)
    for unit in stations:
        m = mean[unit]
        detail[unit] |= {"evaluated": int(count[unit]), "mean": None if pd.isna(m) else float(m)}
    return result(stations, mean, count.astype(float), detail)


def _passing_share(frame, stations, period, params):
    rows = _rows(frame)
    grouped = rows.groupby("station")["passed"]
    passing = grouped.sum().reindex(list(stations)).fillna(0).astype(int)
    count = grouped.size().reindex(list(stations)).fillna(0).astype(int)
    share = (passing / count).where(count > 0)
    detail = _explained(rows, stations)
    for unit in stations:
        detail[unit] |= {"evaluated": int(count[unit]), "passing": int(passing[unit])}
    return result(stations, share, count.astype(float), detail)


RESULTS_METRICS = (
    Metric(
        "stations_evaluated",
        RESULTS_KIND,
        "运营社工站数（已审定评估）",
        "Stations operated (approved evaluation)",
        "stations in the approved results of the contract's latest own evaluation round of its"
        " stations on or before the round's date",
        "合同在本轮日期及以前最近一次已审定的社工站评估结果中的站点数",
        ("ratio", "count"),
        _evaluated,
    ),
    Metric(
        "stations_mean_score",
        RESULTS_KIND,
        "所运营社工站平均分",
        "Mean approved score of the stations",
        "mean of the stations' approved totals, each as a percentage of its system's total"
        " points (0–100)",
        "各站已审定总分（按其指标体系总分折算为百分制）的平均值",
        ("ratio", "count"),
        _mean_score,
        unit_en="points of 100",
        unit_zh="百分制分",
        targets=False,
    ),
    Metric(
        "stations_passing_share",
        RESULTS_KIND,
        "社工站评估合格率",
        "Share of stations passing",
        "stations graded above their system's lowest grade with no veto confirmed ÷ stations"
        " in the approved results",
        "已审定等级高于最低等级（合格及以上）且无否决的站点数 ÷ 已审定结果中的站点数",
        ("ratio", "count"),
        _passing_share,
        targets=False,
    ),
)
