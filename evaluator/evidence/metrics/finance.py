"""Metrics over the finance ledger (财务台账): spending and its structure, in exact fen.

Only rows dated within the period count. A row without a station is contract-level and
counts for every station (a station's shares are then those of the whole ledger).
"""

from __future__ import annotations

import numpy as np

from evaluator.evidence.metrics.base import Metric, Param, by_station, result


def _rows(frame, period):
    return frame[period.holds(frame["date"])]


def _fen(rows) -> np.ndarray:
    return np.asarray(rows["amount"], dtype=np.int64)


def _category_share(frame, stations, period, params):
    value, n, detail = {}, {}, {}
    for s, mine in by_station(_rows(frame, period), stations).items():
        fen = _fen(mine)
        part = int(fen[np.asarray(mine["category"].astype(object) == params["category"], dtype=bool)].sum())
        total = int(fen.sum())
        value[s] = part / total if total else np.nan
        n[s] = float(len(mine))
        detail[s] = {"category_fen": part, "total_fen": total, "category": params["category"]}
    return result(stations, value, n, detail)


def _spending(frame, stations, period, params):
    value, detail = {}, {}
    for s, mine in by_station(_rows(frame, period), stations).items():
        total = int(_fen(mine).sum())
        value[s] = total / 100  # yuan, for comparison with a budget in yuan
        detail[s] = {"total_fen": total}
    return result(stations, value, None, detail)


def _vouchers(frame, stations, period, params):
    value, n, detail = {}, {}, {}
    for s, mine in by_station(_rows(frame, period), stations).items():
        complete = np.asarray(mine["voucher_complete"].fillna(False), dtype=bool)
        value[s] = complete.mean() if len(mine) else np.nan
        n[s] = float(len(mine))
        detail[s] = {"complete": int(complete.sum()), "entries": len(mine)}
    return result(stations, value, n, detail)


_CATEGORY = Param("category", "personnel", "which spending category", "支出类别", choices=("personnel", "activity", "training", "admin", "equipment", "other"))

FINANCE_METRICS = (
    Metric(
        "spending_share", "finance", "支出类别占比", "Share of spending in a category",
        "amount in category (personnel) ÷ all amounts in the period, computed in fen",
        "期内 category（默认人员经费）类支出 ÷ 全部支出（按分计算）",
        ("ratio", "count"), _category_share, (_CATEGORY,), targets=False,
    ),
    Metric(
        "spending", "finance", "实际支出（元）", "Spending (yuan)",
        "sum of amounts in the period, in yuan (exact: summed in fen)",
        "期内支出合计（元；按分精确求和）",
        ("ratio", "count"), _spending, unit_en="yuan", unit_zh="元",
    ),
    Metric(
        "vouchers_complete_share", "finance", "凭证齐全比例", "Share of entries with complete vouchers",
        "entries in the period marked voucher complete ÷ entries in the period",
        "期内凭证齐全的记账笔数 ÷ 全部笔数",
        ("ratio", "count"), _vouchers, targets=False,
    ),
)
