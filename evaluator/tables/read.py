"""Reading user tables (CSV and XLSX) into string cells that know where they came from.

Every loader of a user table (composite structures and data, raw inputs, registers) reads
it with :func:`read_table`, maps its headers with :func:`resolve_columns` and parses numbers
with :func:`parse_number`, so that every bad cell is reported the same way: ``file
Sheet1!F17`` for a workbook, ``file row 17 column value`` for a CSV (rows as a spreadsheet
shows them, the header being row 1).

A CSV file is parsed by pandas' C reader (:mod:`evaluator.tables.csv_text`) and every
column is cleaned once per distinct value (a million-row register reads in one to two
seconds); a workbook is read cell by cell with openpyxl (read-only, cached formula values),
and its sheet XML is scanned for merged ranges and for formulas that have no saved value
(both would otherwise read as silently empty cells: :mod:`evaluator.tables.workbook`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluator.errors import InvalidInput, Problem
from evaluator.tables.csv_text import csv_grid, rectangular
from evaluator.tables.workbook import old_excel, read_workbook

CSV_SUFFIXES = {".csv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass(frozen=True, eq=False)
class Table:
    """A user table: header names and data cells as stripped ``str`` (``None`` when empty).

    ``frame`` has one row per non-empty data row (RangeIndex 0..n-1, object dtype) and one
    column per header. Blank rows are dropped but row numbers stay those of the file.
    ``merged`` lists a workbook sheet's merged ranges (``"A5:A7"``) and ``formulas`` the
    cells holding a formula without a saved value (``"F17"``): both read as empty cells, so
    a loader that cares reports them. ``encoding`` is the encoding a CSV file was read in.
    """

    file: str
    sheet: str | None
    frame: pd.DataFrame
    header_row: int = 1
    rows: Sequence[int] = ()  # spreadsheet row of each data row (a numpy int array)
    letters: Mapping[str, str] = field(default_factory=dict)  # header -> A, B, … (xlsx only)
    merged: tuple[str, ...] = ()
    formulas: tuple[str, ...] = ()
    encoding: str | None = None
    factors: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    skipped: tuple[int, ...] = ()  # non-empty rows above the header (titles), when skipped

    def factorize(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, texts)``: each data cell of ``column`` as an index into its distinct
        texts (-1 for an empty cell). Parse ``texts`` once each, then index with ``codes``:
        that is how a loader stays vectorised on a million rows."""
        factors = self.factors.get(column)
        if factors is None:
            factors = _factorize(self.frame[column].to_numpy(dtype=object))
        return factors

    def row_number(self, i: int) -> int:
        """The 1-based spreadsheet row of data row ``i`` (0-based)."""
        return int(self.rows[i])

    def column_letter(self, name: str) -> str | None:
        """The Excel column letter of header ``name`` (xlsx), or ``None`` (csv)."""
        if self.sheet is None:
            return None
        return self.letters.get(name)

    def problem(self, i: int | None, column: str | None, en: str, zh: str) -> Problem:
        """A Problem located at data row ``i`` (``None``: the header row) and header ``column``."""
        row = self.header_row if i is None else self.row_number(i)
        col = column
        if column is not None and self.sheet is not None:
            col = self.letters.get(column, column)
        return Problem(en, zh, file=self.file, sheet=self.sheet, row=row, column=col)

    def no_rows_problem(self) -> Problem | None:
        """The problem of a table with a header and no data row, at the header (or None)."""
        if len(self.frame):
            return None
        return self.problem(
            None, None, "no data rows: the file has only the header", "没有数据行：文件只有表头"
        )


def read_table(
    path: str | Path,
    sheet: str | None = None,
    *,
    header: Callable[[list[str | None]], bool] | None = None,
    name: str | None = None,
    formulas: str = "refuse",
    merged: str = "refuse",
) -> Table:
    """Read a .csv (UTF-8, UTF-8 with BOM or GB18030) or .xlsx file (first or named sheet).

    The header row is the first non-empty row; with ``header``, it is the first of the first
    10 non-empty rows for which ``header(cells)`` is true (rows above it, such as a title,
    are skipped and listed in ``Table.skipped``), falling back to the first non-empty row.
    ``name`` is the file name problems cite (an upload's original name), the path's by default.

    A workbook (:mod:`evaluator.tables.workbook`) must not expand beyond ``MAX_UNCOMPRESSED``
    bytes (a zip bomb) nor hold more than ``MAX_CELLS`` cells; without ``sheet`` its first sheet is read, and a hidden first
    sheet is refused (name the sheet to read it). A formula cell without a saved value is
    refused at its cell (``formulas="refuse"``), or left for the caller to report
    (``formulas="report"``: ``Table.formulas``); merged cells likewise (``merged``: only the
    first cell of a merge keeps its value, the others would read as empty).
    """
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise InvalidInput(Problem(f"file not found: {path}", f"文件不存在：{path}", file=name))
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise InvalidInput(_unsupported(name, suffix))
    data = path.read_bytes()
    if not data:
        raise InvalidInput(Problem("the file is empty", "文件为空", file=name))
    if suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise InvalidInput(
                Problem(
                    f"a CSV file has no sheets (sheet {sheet!r} asked for)",
                    f"CSV 文件没有工作表（指定了工作表 {sheet!r}）",
                    file=name,
                )
            )
        grid, encoding = csv_grid(name, data)
        return _build(
            name, None, grid, np.arange(1, len(grid) + 1), header=header, encoding=encoding
        )
    sheet_name, records, numbers, merges, unsaved = read_workbook(
        name, data, sheet, formulas=formulas, merged=merged
    )
    grid = rectangular(records)
    return _build(name, sheet_name, grid, numbers, header=header, merged=merges, formulas=unsaved)


def _unsupported(name: str, suffix: str) -> Problem:
    if suffix == ".xls":
        return old_excel(name, "unsupported file type .xls (the old Excel format)")
    return Problem(
        f"unsupported file type {suffix or '(none)'}: use .csv or .xlsx",
        f"不支持的文件类型 {suffix or '（无扩展名）'}，请使用 .csv 或 .xlsx",
        file=name,
    )


def column_letter(index: int) -> str:
    """Excel letter of the 0-based column ``index``: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _clean(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _factorize(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, texts): cells as indices into their distinct stripped texts, -1 when empty.

    Stripping happens once per distinct value, not once per cell."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    cleaned = [_clean(u) for u in uniques]
    distinct = list(dict.fromkeys(t for t in cleaned if t is not None))
    position = {t: i for i, t in enumerate(distinct)}
    remap = np.array([position[t] if t is not None else -1 for t in cleaned] + [-1], dtype=np.int32)
    texts = np.empty(len(distinct), dtype=object)
    texts[:] = distinct
    return remap[codes], texts


def _restrict(codes: np.ndarray, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop the texts no code uses (the header's, a title's), keeping first-seen order."""
    used = np.bincount(codes[codes >= 0], minlength=len(texts)) > 0
    if used.all():
        return codes, texts
    remap = np.append(np.cumsum(used) - 1, -1).astype(np.int32)
    return remap[codes], texts[used]


def _values(codes: np.ndarray, texts: np.ndarray) -> np.ndarray:
    """The object array of texts (``None`` where empty) that ``codes`` stand for."""
    table = np.empty(len(texts) + 1, dtype=object)
    table[:-1] = texts
    table[-1] = None
    return table[codes]


def _build(
    name: str,
    sheet: str | None,
    grid: pd.DataFrame,
    numbers: np.ndarray,
    *,
    header: Callable[[list[str | None]], bool] | None = None,
    merged: tuple[str, ...] = (),
    formulas: tuple[str, ...] = (),
    encoding: str | None = None,
) -> Table:
    """A Table from a grid of raw cells: the first non-empty row is the header."""
    factors = [_factorize(grid[j].to_numpy(dtype=object)) for j in grid.columns]
    width = len(factors)
    filled = np.zeros((len(grid), width), dtype=bool)
    for j, (codes, _) in enumerate(factors):
        filled[:, j] = codes >= 0
    nonempty = np.flatnonzero(filled.any(axis=1)) if width else np.array([], dtype=np.int64)
    if not len(nonempty):
        raise InvalidInput(
            Problem("the table has no header row", "表格没有表头行", file=name, sheet=sheet)
        )

    def cells_of(r: int) -> list[str | None]:
        return [texts[c] if (c := codes[r]) >= 0 else None for codes, texts in factors]

    top = nonempty[0]
    if header is not None:
        top = next((r for r in nonempty[:10] if header(cells_of(r))), top)
    skipped = tuple(int(numbers[r]) for r in nonempty[nonempty < top])
    body = nonempty[nonempty > top]
    header_row = int(numbers[top])
    header_cells = cells_of(top)
    has_data = filled[body].any(axis=0)

    def located(row: int, j: int, en: str, zh: str) -> Problem:
        col = column_letter(j) if sheet is not None else None
        return Problem(en, zh, file=name, sheet=sheet, row=row, column=col)

    problems: list[Problem] = []
    keep: list[int] = []
    seen: dict[str, int] = {}
    for j in range(width):
        title = header_cells[j]
        if title is None:
            if has_data[j]:
                problems.append(
                    located(
                        header_row,
                        j,
                        f"column {j + 1} has data but an empty header",
                        f"第 {j + 1} 列有数据但表头为空",
                    )
                )
            continue
        if title in seen:
            problems.append(
                located(
                    header_row,
                    j,
                    f"header {title!r} appears twice (columns {seen[title] + 1} and {j + 1})",
                    f"表头 {title!r} 重复（第 {seen[title] + 1} 列和第 {j + 1} 列）",
                )
            )
            continue
        seen[title] = j
        keep.append(j)
    if problems:
        raise InvalidInput(problems)
    if len(body) == len(grid) - 1 - top:  # no blank rows: a slice, not a copy
        body = slice(top + 1, None)
    kept = {header_cells[j]: _restrict(factors[j][0][body], factors[j][1]) for j in keep}
    frame = pd.DataFrame(
        {h: pd.Series(_values(*f), dtype=object) for h, f in kept.items()},
        columns=pd.Index(list(kept), dtype=object),
    )
    letters = {header_cells[j]: column_letter(j) for j in keep} if sheet is not None else {}
    return Table(
        file=name,
        sheet=sheet,
        frame=frame,
        header_row=header_row,
        rows=np.asarray(numbers[body], dtype=np.int64),
        letters=letters,
        merged=merged,
        formulas=formulas,
        encoding=encoding,
        factors=kept,
        skipped=skipped,
    )


def header_key(text: str) -> str:
    """How headers are compared: NFKC (full-width forms folded), no whitespace, case-folded.

    ``金额（元）``, ``金额(元)`` and ``金额 (元)`` are the same header; so are ``Hire date``
    and ``HIRE DATE``.
    """
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def resolve_columns(
    table: Table,
    spec: Mapping[str, Sequence[str]],
    required: Collection[str] = (),
    *,
    problems: list[Problem] | None = None,
) -> dict[str, str]:
    """Map canonical column names to the table's actual headers.

    ``spec`` maps a canonical name to its accepted headers (matched by :func:`header_key`;
    the canonical name itself is always accepted). Returns ``{canonical: header}`` for the
    columns present. Every missing ``required`` column and every column given twice under
    two of its names is a problem: appended to ``problems`` when a list is given (the
    columns found are still returned), raised as one InvalidInput otherwise.
    """
    by_key: dict[str, str] = {}
    for header in table.frame.columns:
        by_key.setdefault(header_key(header), str(header))
    found: dict[str, str] = {}
    collected: list[Problem] = []
    for canonical, aliases in spec.items():
        names = list(dict.fromkeys([canonical, *aliases]))
        hits: list[str] = []
        for alias in names:
            header = by_key.get(header_key(alias))
            if header is not None and header not in hits:
                hits.append(header)
        if len(hits) > 1:
            shown = " and ".join(repr(h) for h in hits)
            collected.append(
                table.problem(
                    None,
                    hits[1],
                    f"column {canonical} given twice as {shown}",
                    f"列 {canonical} 重复给出：{'、'.join(hits)}",
                )
            )
        elif hits:
            found[canonical] = hits[0]
        elif canonical in required:
            accepted = ", ".join(names)
            collected.append(
                table.problem(
                    None,
                    None,
                    f"missing column {canonical} (accepted headers: {accepted})",
                    f"缺少列 {canonical}（可用表头：{accepted}）",
                )
            )
    if problems is not None:
        problems.extend(collected)
    elif collected:
        if not found and table.encoding == "gb18030":  # every header unknown: the encoding?
            collected.append(
                table.problem(
                    None,
                    None,
                    "the file was read as GB18030: if its headers look garbled it is in "
                    "another encoding (Big5, Shift-JIS …): save it as CSV UTF-8",
                    "文件按 GB18030 读取：如果表头显示为乱码，说明文件是其他编码（如 Big5），"
                    "请另存为“CSV UTF-8”",
                )
            )
        raise InvalidInput(collected)
    return found
