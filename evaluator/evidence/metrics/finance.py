"""Metrics over the finance ledger (财务台账): spending and its structure, in exact fen.

Only rows dated within the period count. A row without a station is contract-level and
counts for every station (a station's shares are then those of the whole ledger).
"""

from __future__ import annotations

import numpy as np

from evaluator.evidence.metrics.base import Metric, result, station_codes, station_sums
from evaluator.systems.vocabulary import CATEGORY


def _rows(frame, period):
    rows = frame[period.holds(frame["date"])]
    return rows, station_codes(rows), np.asarray(rows["amount"], dtype=np.int64)


def _category_share(frame, stations, period, params):
    rows, codes, fen = _rows(frame, period)
    mine = np.asarray(rows["category"].astype(object) == params["category"], dtype=bool)
    part = station_sums(np.where(mine, fen, 0), codes, stations)
    total = station_sums(fen, codes, stations)
    entries = station_sums(np.ones(len(rows), dtype=np.int64), codes, stations)
    value = (part / total).where(total > 0)
    detail = {
        s: {
            "category_fen": int(part[s]),
            "total_fen": int(total[s]),
            "category": params["category"],
        }
        for s in stations
    }
    return result(stations, value, entries, detail)


def _spending(frame, stations, period, params):
    rows, codes, fen = _rows(frame, period)
    total = station_sums(fen, codes, stations)
    detail = {s: {"total_fen": int(total[s])} for s in stations}
    return result(stations, total / 100, None, detail)  # yuan, for comparison with a budget in yuan


def _vouchers(frame, stations, period, params):
    rows, codes, _ = _rows(frame, period)
    complete = station_sums(
        np.asarray(rows["voucher_complete"].fillna(False), dtype=np.int64), codes, stations
    )
    entries = station_sums(np.ones(len(rows), dtype=np.int64), codes, stations)
    value = (complete / entries).where(entries > 0)
    detail = {s: {"complete": int(complete[s]), "entries": int(entries[s])} for s in stations}
    return result(stations, value, entries, detail)


FINANCE_METRICS = (
    Metric(
        "spending_share",
        "finance",
        "支出类别占比",
        "Share of spending in a category",
        "amount in category (personnel) ÷ all amounts in the period, computed in fen",
        "期内 category（默认人员经费）类支出 ÷ 全部支出（按分计算）",
        ("ratio", "count"),
        _category_share,
        (CATEGORY,),
        targets=False,
    ),
    Metric(
        "spending",
        "finance",
        "实际支出（元）",
        "Spending (yuan)",
        "sum of amounts in the period, in yuan (exact: summed in fen)",
        "期内支出合计（元；按分精确求和）",
        ("ratio", "count"),
        _spending,
        unit_en="yuan",
        unit_zh="元",
    ),
    Metric(
        "vouchers_complete_share",
        "finance",
        "凭证齐全比例",
        "Share of entries with complete vouchers",
        "entries in the period marked voucher complete ÷ entries in the period",
        "期内凭证齐全的记账笔数 ÷ 全部笔数",
        ("ratio", "count"),
        _vouchers,
        targets=False,
    ),
)
