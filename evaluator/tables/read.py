"""Reading user tables (CSV and XLSX) into string cells that know where they came from.

Every loader of a user table (composite structures and data, raw inputs, registers) reads
it with :func:`read_table`, maps its headers with :func:`resolve_columns` and parses numbers
with :func:`parse_number`, so that every bad cell is reported the same way: ``file
Sheet1!F17`` for a workbook, ``file row 17 column value`` for a CSV (rows as a spreadsheet
shows them, the header being row 1).

A CSV file is parsed by pandas' C reader and every column is cleaned once per distinct
value (a million-row register reads in one to two seconds); a workbook is read cell by cell
with openpyxl (read-only, cached formula values), and its sheet XML is scanned for merged
ranges and for formulas that have no saved value (both would otherwise read as silently
empty cells).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluator.errors import InvalidInput, Problem

CSV_SUFFIXES = {".csv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel (.xls) and other OLE2 files


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

    A workbook must not expand beyond ``MAX_UNCOMPRESSED`` bytes (a zip bomb) nor hold more
    than ``MAX_CELLS`` cells; without ``sheet`` its first sheet is read, and a hidden first
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
        grid, encoding = _csv_grid(name, data)
        return _build(
            name, None, grid, np.arange(1, len(grid) + 1), header=header, encoding=encoding
        )
    if data.startswith(_OLE):
        raise InvalidInput(_old_excel(name, "this is an old-format Excel file (.xls) named .xlsx"))
    _check_expansion(name, data)
    sheet_name, rows, merges, unsaved = _xlsx_rows(name, data, sheet)
    refused = []
    if merged == "refuse":
        refused += [
            (
                ref,
                f"cells {ref} are merged: only {ref.split(':')[0]} keeps its value, the others "
                "read as empty; unmerge them and fill in every cell",
                f"{ref} 为合并单元格：只有 {ref.split(':')[0]} 保留数值，其余单元格读作空白；"
                "请取消合并并逐格填写",
            )
            for ref in merges
        ]
    if formulas == "refuse":
        refused += [
            (
                ref,
                "formula without a saved value (it would read as empty): open and save the "
                "file in Excel",
                "公式没有保存的计算结果（将读作空白）：请用 Excel 打开并保存文件",
            )
            for ref in unsaved
        ]
    if refused:
        raise InvalidInput(
            [
                Problem(en, zh, file=name, sheet=sheet_name, row=int(m[2]), column=m[1])
                for ref, en, zh in refused[:MAX_LISTED]
                if (m := re.match(r"([A-Z]+)(\d+)", ref)) is not None
            ]
        )
    grid = _grid([[_cell_text(v) for v in cells] for _, cells in rows])
    numbers = np.array([n for n, _ in rows], dtype=np.int64)
    return _build(name, sheet_name, grid, numbers, header=header, merged=merges, formulas=unsaved)


MAX_UNCOMPRESSED = 256 * 1024 * 1024  # what a workbook's parts may expand to
MAX_CELLS = 5_000_000  # cells read from one sheet
MAX_LISTED = 50  # problems of one kind listed


def _check_expansion(name: str, data: bytes) -> None:
    """Refuse a workbook whose parts would expand beyond ``MAX_UNCOMPRESSED`` (read from
    the zip directory, before anything is expanded)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip: the workbook reader names it
    if total > MAX_UNCOMPRESSED:
        mb, cap = total // 2**20, MAX_UNCOMPRESSED // 2**20
        raise InvalidInput(
            Problem(
                f"the workbook would expand to {mb:,} MB, more than the {cap} MB allowed "
                f"(a compressed file of {len(data):,} bytes): is it a zip bomb?",
                f"工作簿解压后达 {mb:,} MB，超过上限 {cap} MB（压缩文件仅 {len(data):,} 字节）："
                "疑似压缩炸弹",
                file=name,
            )
        )


def _grid(records: list[list]) -> pd.DataFrame:
    """Rows of unequal length as a rectangular frame of object cells (``None`` padding)."""
    width = max((len(r) for r in records), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in records], dtype=object)


def _unsupported(name: str, suffix: str) -> Problem:
    if suffix == ".xls":
        return _old_excel(name, "unsupported file type .xls (the old Excel format)")
    return Problem(
        f"unsupported file type {suffix or '(none)'}: use .csv or .xlsx",
        f"不支持的文件类型 {suffix or '（无扩展名）'}，请使用 .csv 或 .xlsx",
        file=name,
    )


def _old_excel(name: str, what: str) -> Problem:
    return Problem(
        f"{what}: open it in Excel and save it as an Excel Workbook (.xlsx) or CSV UTF-8",
        "不支持旧版 Excel 格式（.xls）：请在 Excel 中打开，另存为“Excel 工作簿 (.xlsx)”或“CSV UTF-8”",
        file=name,
    )


def _csv_encoding(name: str, data: bytes) -> str:
    """The encoding to read ``data`` in: UTF-8 (with or without BOM) or GB18030."""
    if data.startswith(_ZIP):
        raise InvalidInput(
            Problem(
                "this is an Excel workbook (.xlsx) named .csv: rename it to .xlsx",
                "这是 Excel 工作簿（.xlsx），却以 .csv 命名：请改为 .xlsx",
                file=name,
            )
        )
    if data.startswith(_OLE):
        raise InvalidInput(_old_excel(name, "this is an old-format Excel file (.xls) named .csv"))
    head = data[:4096]
    if (
        not data.startswith(_UTF16_BOMS)
        and b"\x00" in data
        and head.count(b"\x00") < len(head) // 8
    ):
        line = data[: data.index(b"\x00")].count(b"\n") + 1  # a stray NUL, not UTF-16
        raise InvalidInput(
            Problem(
                "the file contains the control character U+0000 (a NUL byte): delete it",
                "文件含有控制字符 U+0000（空字节）：请删除",
                file=name,
                row=line,
            )
        )
    if data.startswith(_UTF16_BOMS) or b"\x00" in head:
        raise InvalidInput(
            Problem(
                "the file is UTF-16 text (or not text at all): save it as CSV UTF-8",
                "文件为 UTF-16 编码（或不是文本文件）：请另存为“CSV UTF-8”",
                file=name,
            )
        )
    if data.startswith(_BOM):
        return "utf-8-sig"
    if _decodes(data, "utf-8"):
        # Valid UTF-8 whose every non-ASCII character is a 2-byte one (é, δ, ¥: no CJK at
        # all) is more likely short GB18030 Chinese ("未" is CE B4 in GB18030, "δ" in
        # UTF-8), so it is read as GB18030 when that gives Chinese. The price: a UTF-8 file
        # without any Chinese but with "é" or "¥" is misread; registers have Chinese. The
        # one exception is "×" (a "no" mark, C3 97), which GB18030 would read as the rare "脳".
        if (
            _NON_ASCII.search(data)
            and not _UTF8_WIDE.search(data)
            and set(_NON_ASCII_TEXT.findall(data.decode("utf-8"))) != {"×"}
            and _decodes(data, "gb18030")
            and _CJK.search(data.decode("gb18030"))
        ):
            return "gb18030"
        return "utf-8"
    if _decodes(data, "gb18030"):
        return "gb18030"
    raise InvalidInput(
        Problem(
            "cannot decode the file as UTF-8 or GB18030; save it as UTF-8 or GB18030",
            "文件编码无法识别，请另存为 UTF-8 或 GB18030",
            file=name,
        )
    )


_NON_ASCII = re.compile(rb"[\x80-\xff]")
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f]")
_UTF8_WIDE = re.compile(rb"[\xe0-\xff]")  # a lead byte of a 3- or 4-byte UTF-8 character
_CJK = re.compile("[\u3400-\u9fff\uff00-\uffef]")


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether ``data`` is valid ``encoding``, checked in chunks (no decoded copy kept)."""
    view = memoryview(data)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), 1 << 22):
            decoder.decode(view[start : start + (1 << 22)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _separator(body: bytes) -> str:
    """The field separator: a comma, or a semicolon or a tab when the first non-empty line
    has none of the others (what Excel writes in some locales; a tab-separated export)."""
    first = next((line for line in body[:65536].splitlines() if line.strip()), b"")
    if b"," in first:
        return ","
    counts = {";": first.count(b";"), "\t": first.count(b"\t")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def _csv_grid(name: str, data: bytes) -> tuple[pd.DataFrame, str]:
    """Every record of a CSV file as a frame of text cells (columns 0..w-1), and its encoding.

    pandas' C reader does the work; a file whose rows are ragged (more fields than the first
    row) falls back to the ``csv`` module.
    """
    encoding = _csv_encoding(name, data)
    body = data[len(_BOM) :] if encoding == "utf-8-sig" else data
    reader_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    separator = _separator(body)
    try:
        grid = pd.read_csv(
            io.BytesIO(body),
            header=None,
            dtype=object,
            na_filter=False,
            skip_blank_lines=False,
            encoding=reader_encoding,
            engine="c",
            sep=separator,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(dtype=object), encoding
    except pd.errors.ParserError:
        text = body.decode(reader_encoding)
        try:
            records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
        except csv.Error as exc:
            raise InvalidInput(
                Problem(f"not a readable CSV file: {exc}", f"CSV 文件格式错误：{exc}", file=name)
            ) from exc
        grid = _grid(records)
    grid.columns = range(grid.shape[1])
    return grid, encoding


def _xlsx_rows(
    name: str, data: bytes, sheet: str | None
) -> tuple[str, list[tuple[int, list]], tuple[str, ...], tuple[str, ...]]:
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
            state = getattr(wb[sheet], "sheet_state", "visible")
            if state != "visible":
                visible = [
                    n for n in names if getattr(wb[n], "sheet_state", "visible") == "visible"
                ]
                raise InvalidInput(
                    Problem(
                        f"the first sheet {sheet!r} is hidden: name the sheet to read "
                        f"(visible sheets: {', '.join(visible) or 'none'})",
                        f"第一个工作表 {sheet!r} 已隐藏：请指定要读取的工作表"
                        f"（可见工作表：{'、'.join(visible) or '无'}）",
                        file=name,
                        sheet=sheet,
                    )
                )
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
        rows, cells = [], 0
        for n, r in enumerate(ws.iter_rows(values_only=True), start=1):
            cells += len(r)
            if cells > MAX_CELLS:
                raise InvalidInput(
                    Problem(
                        f"the sheet holds more than {MAX_CELLS:,} cells (row {n}): split it or "
                        "delete the unused rows and columns",
                        f"工作表超过 {MAX_CELLS:,} 个单元格（第 {n} 行）：请拆分，或删除未使用的行和列",
                        file=name,
                        sheet=sheet,
                        row=n,
                    )
                )
            rows.append((n, list(r)))
        merged, formulas = _scan_sheet(ws)
    finally:
        wb.close()
    return sheet, rows, merged, formulas


_MERGE = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)"'
)
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _scan_sheet(ws) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Merged ranges and formula cells without a saved value, from the sheet's XML.

    openpyxl's read-only sheets know neither, so the XML is scanned as bytes (cheap); only
    a sheet that has formulas at all is parsed to find the cells whose value is missing.
    """
    opener = getattr(ws, "_get_source", None)
    if opener is None:  # pragma: no cover - a normal (not read-only) worksheet
        return (), ()
    merged: dict[str, None] = {}
    has_formulas = False
    tail = b""
    with opener() as src:
        while chunk := src.read(1 << 20):
            block = tail + chunk
            merged.update(dict.fromkeys(m.decode() for m in _MERGE.findall(block)))
            has_formulas = has_formulas or _FORMULA.search(block) is not None
            tail = block[-512:]
    formulas: list[str] = []
    if has_formulas:
        with opener() as src:
            for _, el in ET.iterparse(src, events=("end",)):
                tag = el.tag.rsplit("}", 1)[-1]
                if tag == "c":
                    f = v = None
                    for child in el:
                        local = child.tag.rsplit("}", 1)[-1]
                        if local == "f":
                            f = child
                        elif local == "v":
                            v = child
                    if f is not None and (v is None or (not v.text and el.get("t") != "str")):
                        formulas.append(el.get("r") or "?")
                    el.clear()
                elif tag == "row":
                    el.clear()
    return tuple(merged), tuple(formulas)


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
