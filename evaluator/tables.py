"""Reading user tables (CSV and XLSX) into string cells that know where they came from.

Every loader of a user table (composite structures and data, raw inputs, registers) reads
it with :func:`read_table`, maps its headers with :func:`resolve_columns` and parses numbers
with :func:`parse_number`, so that every bad cell is reported the same way: ``file
Sheet1!F17`` for a workbook, ``file row 17 column value`` for a CSV (rows as a spreadsheet
shows them, the header being row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaluator.errors import InvalidInput, Problem

CSV_SUFFIXES = {".csv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, eq=False)
class Table:
    """A user table: header names and data cells as stripped ``str`` (``None`` when empty).

    ``frame`` has one row per non-empty data row (RangeIndex 0..n-1, object dtype) and one
    column per header. Blank rows are dropped but row numbers stay those of the file.
    """

    file: str
    sheet: str | None
    frame: pd.DataFrame
    header_row: int = 1
    rows: tuple[int, ...] = ()  # spreadsheet row of each data row
    letters: Mapping[str, str] = field(default_factory=dict)  # header -> A, B, … (xlsx only)

    def row_number(self, i: int) -> int:
        """The 1-based spreadsheet row of data row ``i`` (0-based)."""
        return self.rows[i]

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


def read_table(path: str | Path, sheet: str | None = None) -> Table:
    """Read a .csv (UTF-8, UTF-8 with BOM or GB18030) or .xlsx file (first or named sheet)."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InvalidInput(Problem(f"file not found: {path}", f"文件不存在：{path}", file=name))
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise InvalidInput(
            Problem(
                f"unsupported file type {suffix or '(none)'}: use .csv or .xlsx",
                f"不支持的文件类型 {suffix or '（无扩展名）'}，请使用 .csv 或 .xlsx",
                file=name,
            )
        )
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
        return _build(name, None, _csv_rows(name, data))
    sheet_name, rows = _xlsx_rows(name, data, sheet)
    return _build(name, sheet_name, rows)


def _csv_rows(name: str, data: bytes) -> list[tuple[int, list[object]]]:
    text = None
    encodings = ("utf-8-sig",) if data.startswith(_BOM) else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise InvalidInput(
            Problem(
                "cannot decode the file as UTF-8 or GB18030; save it as UTF-8 or GB18030",
                "文件编码无法识别，请另存为 UTF-8 或 GB18030",
                file=name,
            )
        )
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidInput(
            Problem(f"not a readable CSV file: {exc}", f"CSV 文件格式错误：{exc}", file=name)
        ) from exc
    return [(n, list(r)) for n, r in enumerate(records, start=1)]


def _xlsx_rows(name: str, data: bytes, sheet: str | None) -> tuple[str, list[tuple[int, list]]]:
    import openpyxl  # imported lazily: only workbook readers pay for it

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zip, xml and openpyxl errors all mean "not a workbook"
        raise InvalidInput(
            Problem(
                f"cannot read the file as an .xlsx workbook ({type(exc).__name__})",
                "无法作为 .xlsx 工作簿读取",
                file=name,
            )
        ) from exc
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            if not names:
                raise InvalidInput(
                    Problem("the workbook has no sheet", "工作簿没有工作表", file=name)
                )
            sheet = names[0]
        elif sheet not in names:
            listed = ", ".join(names)
            raise InvalidInput(
                Problem(
                    f"no sheet named {sheet!r}; the sheets are: {listed}",
                    f"没有名为 {sheet!r} 的工作表；现有工作表：{listed}",
                    file=name,
                )
            )
        ws = wb[sheet]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # some writers store wrong dimensions; read what is there
        rows = [(n, list(r)) for n, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()
    return sheet, rows


def _cell_text(value: object) -> str | None:
    """A cell value as stripped text, ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    return text or None


def column_letter(index: int) -> str:
    """Excel letter of the 0-based column ``index``: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _build(name: str, sheet: str | None, raw: list[tuple[int, list[object]]]) -> Table:
    rows = [(n, [_cell_text(v) for v in cells]) for n, cells in raw]
    rows = [(n, cells) for n, cells in rows if any(c is not None for c in cells)]
    if not rows:
        raise InvalidInput(
            Problem("the table has no header row", "表格没有表头行", file=name, sheet=sheet)
        )
    header_row, header = rows[0]
    body = rows[1:]
    width = max(len(cells) for _, cells in rows)

    def located(row: int, j: int, en: str, zh: str) -> Problem:
        col = column_letter(j) if sheet is not None else None
        return Problem(en, zh, file=name, sheet=sheet, row=row, column=col)

    problems: list[Problem] = []
    keep: list[int] = []
    seen: dict[str, int] = {}
    for j in range(width):
        title = header[j] if j < len(header) else None
        has_data = any(j < len(cells) and cells[j] is not None for _, cells in body)
        if title is None:
            if has_data:
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
    columns = [header[j] for j in keep]
    data = [[cells[j] if j < len(cells) else None for j in keep] for _, cells in body]
    frame = pd.DataFrame(data, columns=columns, dtype=object)
    if not data:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    letters = {header[j]: column_letter(j) for j in keep} if sheet is not None else {}
    return Table(
        file=name,
        sheet=sheet,
        frame=frame,
        header_row=header_row,
        rows=tuple(n for n, _ in body),
        letters=letters,
    )


def resolve_columns(
    table: Table,
    spec: Mapping[str, Sequence[str]],
    required: Collection[str] = (),
) -> dict[str, str]:
    """Map canonical column names to the table's actual headers.

    ``spec`` maps a canonical name to its accepted headers (matched case-insensitively; the
    canonical name itself is always accepted). Returns ``{canonical: header}`` for the columns
    present; raises InvalidInput listing every missing ``required`` column and every column
    given twice under two of its names.
    """
    by_key: dict[str, str] = {}
    for header in table.frame.columns:
        by_key.setdefault(str(header).casefold(), str(header))
    found: dict[str, str] = {}
    problems: list[Problem] = []
    for canonical, aliases in spec.items():
        names = [canonical, *[a for a in aliases if a.casefold() != canonical.casefold()]]
        hits: list[str] = []
        for alias in names:
            header = by_key.get(alias.casefold())
            if header is not None and header not in hits:
                hits.append(header)
        if len(hits) > 1:
            shown = " and ".join(repr(h) for h in hits)
            problems.append(
                table.problem(
                    None,
                    None,
                    f"column {canonical} given twice as {shown}",
                    f"列 {canonical} 重复给出：{'、'.join(hits)}",
                )
            )
        elif hits:
            found[canonical] = hits[0]
        elif canonical in required:
            accepted = ", ".join(names)
            problems.append(
                table.problem(
                    None,
                    None,
                    f"missing column {canonical} (accepted headers: {accepted})",
                    f"缺少列 {canonical}（可用表头：{accepted}）",
                )
            )
    if problems:
        raise InvalidInput(problems)
    return found


_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def parse_number(text: str | None) -> float | None:
    """Parse a number as people type it, or return ``None``.

    Accepts ``12``, ``-12.5``, ``1,234.5`` (thousands commas), ``1e3`` and full-width digits
    (``１２．５``). Rejects text with units or words (``12 人``, ``abc``), ``nan``/``inf``,
    misplaced commas (``1,23``) and empty cells.
    """
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip().replace("\u2212", "-")
    if _PLAIN.fullmatch(s):
        return float(s)
    if _GROUPED.fullmatch(s):
        return float(s.replace(",", ""))
    return None
