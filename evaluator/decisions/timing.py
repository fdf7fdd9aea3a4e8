"""When a round may be approved (pure).

A round's results can be approved only once its evaluation date has come:

* never before the round's own evaluation date (``as_of``);
* a mid-term round not before half the service period has passed (the county plans put
  the mid-term evaluation after half the service period): ``start + ⌊days ÷ 2⌋``, where
  ``days`` counts the period's days, first and last included;
* a final or annual round not before the first day of the period's last month (the final
  evaluation happens in the last month of the contract year): the day after
  ``end − 1 month``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Earliest:
    on: dt.date
    en: str
    zh: str


def _month_before(day: dt.date) -> dt.date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def half_passed(period_start: dt.date, period_end: dt.date) -> dt.date:
    """The day half the service period has passed: ``start + ⌊days ÷ 2⌋`` (``days`` counts
    the period's days, first and last included)."""
    return period_start + dt.timedelta(days=((period_end - period_start).days + 1) // 2)


def last_month_begins(period_end: dt.date) -> dt.date:
    """The first day of the service period's last month: the day after ``end − 1 month``."""
    return _month_before(period_end) + dt.timedelta(days=1)


def earliest_approval(
    kind: str, period_start: dt.date, period_end: dt.date, as_of: dt.date
) -> Earliest:
    """The first day a round of ``kind`` (mid_term, final, annual, other) may be approved."""
    candidates = [
        Earliest(as_of, f"its evaluation date {as_of}", f"本轮评估日期 {as_of}"),
    ]
    if kind == "mid_term":
        half = half_passed(period_start, period_end)
        candidates.append(
            Earliest(
                half,
                f"half the service period ({period_start} – {period_end}) has passed on {half}",
                f"服务期（{period_start} 至 {period_end}）过半之日为 {half}",
            )
        )
    elif kind in ("final", "annual"):
        last_month = last_month_begins(period_end)
        candidates.append(
            Earliest(
                last_month,
                f"the final evaluation falls in the service period's last month, from {last_month}",
                f"末期评估应在服务期最后一个月内进行，自 {last_month} 起",
            )
        )
    return max(candidates, key=lambda e: e.on)
