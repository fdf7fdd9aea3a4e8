"""Parse a register file (.xlsx or .csv) into a typed frame, or report every problem in it.

The whole file is validated before anything is returned: on any problem
:func:`parse_register` raises one :class:`InvalidInput` listing every problem (capped at
:data:`MAX_PROBLEMS`, then "… and N more"), each located as ``file sheet!F17`` (workbook) or
``file row 17 column 日期`` (CSV), in English and Chinese. Unknown extra columns are not
errors: they are ignored and listed in :attr:`Register.warnings`.

Work is vectorised: the table reader parses CSV with pandas' C reader, and each column is
factorised so that a cell text is parsed once per distinct value, then mapped back to the
rows holding it. A valid million-row service log parses in a few seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluator import settings
from evaluator.errors import InvalidInput, Problem
from evaluator.evidence.columns import Bad, Column, finalise
from evaluator.evidence.registers import REGISTERS
from evaluator.evidence.schema import Schema
from evaluator.evidence.sheet_problems import (
    Report,
    formula_cells,
    header_hint,
    merged_cells,
    skipped_rows,
    unknown_columns,
)
from evaluator.tables.cells import code_key
from evaluator.tables.read import header_key, read_table, resolve_columns

MAX_PROBLEMS = 500
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_ABSENT = 10**6  # sort position of problems at a column the file does not have


def max_bytes() -> int:
    """The size limit of a register file: ``REGISTER_MAX_BYTES`` or 200 MB (settings)."""
    return settings.get().register_max_bytes


def schema(kind: str) -> Schema:
    """The schema of a register kind; InvalidInput naming the kinds for an unknown one."""
    try:
        return REGISTERS[kind]
    except KeyError:
        kinds = ", ".join(REGISTERS)
        raise InvalidInput(
            Problem(
                f"unknown register kind {kind!r}; the kinds are: {kinds}",
                f"未知的台账类型 {kind!r}；可用类型：{kinds}",
            )
        ) from None


@dataclass(frozen=True, eq=False)
class Register:
    """A parsed register file.

    ``frame`` has one row per data row of the file (blank rows skipped) and one column per
    schema column, in schema order, typed (see :mod:`evaluator.evidence.columns`; a column
    the file does not have is all missing). ``rows[i]`` is the spreadsheet row of frame row
    ``i``; ``headers`` maps the canonical names present to the headers as written.
    """

    kind: str
    file: str
    sheet: str | None
    sha256: str
    frame: pd.DataFrame
    rows: np.ndarray
    headers: Mapping[str, str]
    letters: Mapping[str, str] = field(default_factory=dict)  # canonical -> A, B, … (xlsx)
    warnings: tuple[Problem, ...] = ()

    @property
    def schema(self) -> Schema:
        return REGISTERS[self.kind]

    def problem(self, i: int, column: str, en: str, zh: str) -> Problem:
        """A Problem located at frame row ``i`` and canonical ``column`` (for later checks)."""
        where = self.letters.get(column) if self.sheet is not None else None
        if where is None:
            where = self.headers.get(column) or self.schema.by_name[column].header
        return Problem(
            en, zh, file=self.file, sheet=self.sheet, row=int(self.rows[i]), column=where
        )


def parse_register(
    kind: str,
    path: str | Path,
    sheet: str | None = None,
    *,
    limit: int | None = None,
    name: str | None = None,
    stations: Collection[str] | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> Register:
    """Read and validate a register file of ``kind`` (``staff``, ``service_log``, ``reports``,
    ``finance``, ``volunteers``, ``satisfaction``): the first sheet of a workbook unless
    ``sheet`` names one. ``limit`` (bytes) defaults to :func:`max_bytes`; ``name`` is the
    file name problems cite (an upload's original name); ``stations``, when given, are the
    station codes the file may name (a round's stations): any other is reported with the rest;
    ``period`` (a contract's first and last day), when given, bounds the dates of what
    happened (``Schema.event_date``: a service, an expenditure).

    Raises InvalidInput with every problem found; returns a :class:`Register` otherwise.
    """
    spec = schema(kind)
    path = Path(path)
    if path.is_file():
        size, cap = path.stat().st_size, max_bytes() if limit is None else limit
        if size > cap:
            raise InvalidInput(
                Problem(
                    f"the file is {_size(size)}, more than the {_size(cap)} limit for registers",
                    f"文件大小 {_size(size)}，超过台账文件上限 {_size(cap)}",
                    file=name or path.name,
                )
            )
    known = {header_key(h) for c in spec.columns for h in (c.name, *c.headers)}
    table = read_table(
        path,
        sheet,
        header=lambda cells: sum(header_key(c) in known for c in cells if c) >= 2,
        name=name,
        formulas="report",  # located with the register's own columns (formula_cells)
        merged="report",  # a merged title above the header is allowed (merged_cells)
    )
    report = Report(table)
    problems: list[Problem] = []
    headers = resolve_columns(
        table, {c.name: c.headers for c in spec.columns}, spec.required, problems=problems
    )
    for p in problems:
        report.add(p)
    warnings = skipped_rows(table) + unknown_columns(table, spec, headers)
    if not headers:
        report.add(header_hint(table, spec))
    if (empty := table.no_rows_problem()) is not None:
        report.add(empty)
    position = {h: j for j, h in enumerate(table.frame.columns)}
    letter_of = {c: table.letters[h] for c, h in headers.items() if h in table.letters}
    # cells that read as empty for a reason already reported: not "required" problems too
    explained = formula_cells(table, report, set(letter_of.values()))
    for letter, rows_ in merged_cells(table, report, set(letter_of.values())).items():
        explained[letter] = np.concatenate([explained.get(letter, rows_[:0]), rows_])

    n = len(table.frame)
    columns: dict[str, object] = {}
    for col in spec.columns:
        header = headers.get(col.name)
        if header is None:
            columns[col.name] = col.build([], np.full(n, -1, dtype=np.int64))
            continue
        columns[col.name] = _parse_column(
            col,
            table.factorize(header),
            report,
            header,
            position[header],
            explained.get(letter_of.get(col.name, "")),
        )
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n))
    rows = np.asarray(table.rows, dtype=np.int64)
    for rule in spec.rules:
        for v in rule.check(frame, rows):
            header = headers.get(v.column)
            at = position[header] if header is not None else _ABSENT
            report.rows(
                np.flatnonzero(v.mask), at, header or spec.by_name[v.column].header, v.en, v.zh
            )
    if period is not None and spec.event_date in headers:
        _check_period(
            frame[spec.event_date],
            period,
            report,
            headers[spec.event_date],
            position[headers[spec.event_date]],
        )
    if stations is not None and "station" in headers:
        frame["station"] = _check_stations(
            frame["station"],
            list(stations),
            report,
            headers["station"],
            position[headers["station"]],
        )
    if report.total:
        raise InvalidInput(report.problems(MAX_PROBLEMS))
    for col in spec.columns:
        frame[col.name] = finalise(col, frame[col.name])
    return Register(
        kind=spec.kind,
        file=table.file,
        sheet=table.sheet,
        sha256=sha256_of(path),
        frame=frame,
        rows=rows,
        headers=headers,
        letters=letter_of,
        warnings=tuple(warnings),
    )


def _parse_column(
    col: Column,
    factors: tuple[np.ndarray, np.ndarray],
    report: Report,
    header: str,
    at: int,
    explained: np.ndarray | None,
):
    """Parse one column once per distinct text; report bad and missing cells (except the
    ``explained`` spreadsheet rows: empty because of a reported formula or merge)."""
    codes, texts = factors
    parsed = [col.parse(t) for t in texts]
    bad = np.array([isinstance(v, Bad) for v in parsed] + [False], dtype=bool)
    if bad.any():
        report.rows(
            np.flatnonzero(bad[codes]),
            at,
            header,
            lambda i: parsed[codes[i]].en,
            lambda i: parsed[codes[i]].zh,
        )
    empty = codes < 0
    if explained is not None:
        empty &= ~np.isin(report.table.rows, explained)
    if col.required and empty.any():
        report.rows(
            np.flatnonzero(empty),
            at,
            header,
            f"empty: {col.en} is required",
            f"未填写：{col.zh}为必填项",
        )
    values = [None if isinstance(v, Bad) else v for v in parsed]
    return col.build(values, codes)


def _check_period(
    dates: pd.Series, period: tuple[dt.date, dt.date], report: Report, header: str, at: int
) -> None:
    """Rows dated outside the contract's period (a service before it began, an expenditure
    after it ended, a year typed 2099) are reported: they are not this contract's work."""
    start, end = (pd.Timestamp(d) for d in period)
    values = pd.to_datetime(dates, errors="coerce")
    bad = np.asarray(values.notna() & ((values < start) | (values > end)), dtype=bool)
    if bad.any():
        shown = f"{period[0].isoformat()} – {period[1].isoformat()}"
        report.rows(
            np.flatnonzero(bad),
            at,
            header,
            lambda i: f"{values.iloc[i]:%Y-%m-%d} is outside the contract's period ({shown})",
            lambda i: f"{values.iloc[i]:%Y-%m-%d} 不在合同期内（{shown}）",
        )


def _check_stations(
    codes: pd.Series, allowed: list[str], report: Report, header: str, at: int
) -> pd.Series:
    """The station column with each code as ``allowed`` spells it (codes compare without
    case or width: ``s01`` is ``S01``); rows naming a station outside ``allowed`` are
    reported (a blank one is contract-level where allowed)."""
    canonical = {code_key(c): c for c in allowed}
    spelled = {c: canonical.get(code_key(c), c) for c in codes.cat.categories}
    if any(k != v for k, v in spelled.items()):
        values = codes.astype(object).map(spelled)
        codes = pd.Series(
            pd.Categorical(values, categories=sorted(set(spelled.values()))), index=codes.index
        )
    values = codes.astype(object)
    bad = np.asarray(values.notna() & ~values.isin(allowed), dtype=bool)
    if bad.any():
        shown = "、".join(allowed[:10]) + ("…" if len(allowed) > 10 else "")
        report.rows(
            np.flatnonzero(bad),
            at,
            header,
            lambda i: (
                f"station {values.iloc[i]!r} is not scored in this round (its stations: {shown})"
            ),
            lambda i: f"社工站 {values.iloc[i]!r} 不属于本轮评估（本轮社工站：{shown}）",
        )
    return codes


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
