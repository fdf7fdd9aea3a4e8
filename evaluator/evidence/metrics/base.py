"""What a metric is: a named, documented computation over one register kind for a period,
giving per station a value, a sample size ``n``, flags and the figures behind the value.

Metrics are looked up by name only (see :data:`evaluator.evidence.metrics.METRICS`); an
indicator system names one in a leaf's ``measure`` and may set the parameters the metric
declares, nothing else: no expression or code is ever read from a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluator.systems.vocabulary import Param

__all__ = ["INSUFFICIENT_SAMPLE", "Compute", "DueReport", "Metric", "Param", "Period", "result"]

INSUFFICIENT_SAMPLE = "insufficient_sample"


DueReport = tuple[str, str, dt.date]  # (kind, period label, due date): a report a contract asks for


@dataclass(frozen=True)
class Period:
    """The days a round looks at, both ends included (from the contract year's start), and
    the reports its contract asks for in that year (``reports_due``: every (kind, period
    label, due date) of the contract's report schedule, expanded by
    :func:`evaluator.decisions.report_schedule.reports_due`; None when no contract is known:
    the metrics that read the schedule then have nothing due)."""

    start: dt.date
    end: dt.date
    reports_due: tuple[DueReport, ...] | None = None
    # the contract's years from hiring to qualify (None: the metric's grace_years)
    qualification_years: int | None = None
    # the contract's limit on the share of hours spent on township administrative work
    # (None: the metric's max_share)
    township_share_limit: float | None = None

    def month_ends(self) -> list[np.datetime64]:
        """One reference day per calendar month the period touches: the month's last day,
        or the period's end in its last (partial) month."""
        days = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            days.append(np.datetime64(min(nxt - dt.timedelta(days=1), self.end), "s"))
            year, month = nxt.year, nxt.month
        return days

    @property
    def first(self) -> np.datetime64:
        return np.datetime64(self.start, "s")

    @property
    def last(self) -> np.datetime64:
        return np.datetime64(self.end, "s")

    def holds(self, dates: pd.Series | np.ndarray) -> np.ndarray:
        d = np.asarray(dates, dtype="datetime64[s]")
        return (d >= self.first) & (d <= self.last)


Compute = Callable[[pd.DataFrame, Sequence[str], Period, Mapping[str, object]], pd.DataFrame]


@dataclass(frozen=True)
class Metric:
    """A named computation over the register ``kind``.

    ``compute(frame, stations, period, params)`` returns a frame indexed by ``stations``
    with columns ``value`` (float, NaN when undefined, e.g. a share of nothing), ``n``
    (float, the sample or denominator, NaN when not meaningful), ``flags`` (tuple of flag
    codes) and ``detail`` (dict of the figures behind the value, for the explanation).
    ``methods`` are the leaf methods whose value it can fill.
    """

    name: str
    kind: str
    zh: str
    en: str
    formula_en: str
    formula_zh: str
    methods: tuple[str, ...]
    compute: Compute
    params: tuple[Param, ...] = ()
    unit_en: str = ""
    unit_zh: str = ""
    targets: bool = True  # whether a target makes sense (a count or amount; not a share)
    param_defaults: Callable[[Mapping[str, object]], Mapping[str, object]] | None = field(
        default=None, repr=False
    )

    @property
    def by_param(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}

    def resolved(self, given: Mapping[str, object] | None) -> dict[str, object]:
        """The parameters with defaults filled in (some defaults depend on other params)."""
        values = {p.name: p.default for p in self.params}
        if self.param_defaults is not None:
            values.update(self.param_defaults({**values, **(given or {})}))
        values.update(given or {})
        return values

    def run(
        self,
        frame: pd.DataFrame,
        stations: Sequence[str],
        period: Period,
        params: Mapping[str, object] | None = None,
    ) -> pd.DataFrame:
        out = self.compute(frame, list(stations), period, self.resolved(params))
        return out.reindex(list(stations))


def result(stations: Sequence[str], value, n=None, detail=None, flags=None) -> pd.DataFrame:
    """Assemble a metric result frame over ``stations`` (series indexed by station code,
    missing stations get NaN / empty)."""
    index = pd.Index(list(stations), name="station")

    def aligned(series):
        return (
            pd.Series(np.nan, index=index)
            if series is None
            else pd.Series(series, dtype=float).reindex(index)
        )

    frame = pd.DataFrame({"value": aligned(value), "n": aligned(n)}, index=index)
    frame["flags"] = [tuple((flags or {}).get(s, ())) for s in index]
    frame["detail"] = [dict((detail or {}).get(s, {})) for s in index]
    return frame


def station_codes(frame: pd.DataFrame) -> np.ndarray:
    """The station column as plain strings ("" for a blank station)."""
    col = frame["station"]
    return np.asarray(col.astype(object).where(col.notna(), ""), dtype=object)


def station_sums(values: np.ndarray, codes: np.ndarray, stations: Sequence[str]) -> pd.Series:
    """Per station: the sum of ``values`` over its rows plus the contract-level rows (blank
    station), which count for every station. Integer values stay exact integers."""
    values = np.asarray(values)
    own = codes != ""
    sums = pd.Series(values[own]).groupby(codes[own]).sum().reindex(list(stations)).fillna(0)
    return (sums + values[~own].sum()).astype(values.dtype if values.dtype.kind in "iu" else float)


def station_lists(
    values: np.ndarray, codes: np.ndarray, stations: Sequence[str]
) -> dict[str, list[str]]:
    """Per station: the sorted texts of its rows and of the contract-level rows."""
    shared = [str(v) for v in values[codes == ""]]
    out: dict[str, list[str]] = {s: list(shared) for s in stations}
    for code, value in zip(codes, values, strict=True):
        if code and code in out:
            out[code].append(str(value))
    return {s: sorted(v) for s, v in out.items()}
