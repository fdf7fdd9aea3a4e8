"""Reading an .xlsx workbook for :func:`evaluator.tables.read.read_table`, within bounds:
the expansion of its parts (a zip bomb is refused before anything is expanded), the cells of
one sheet, a hidden first sheet refused unless named, and — scanned from the sheet's XML —
merged ranges and formulas without a saved value, which would otherwise read as silently
empty cells (refused at their cell, or left for the caller to report)."""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile

import numpy as np

from evaluator.errors import InvalidInput, Problem

MAX_UNCOMPRESSED = 256 * 1024 * 1024  # what a workbook's parts may expand to
MAX_CELLS = 5_000_000  # cells read from one sheet
MAX_LISTED = 50  # problems of one kind listed
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel (.xls) and other OLE2 files


def read_workbook(
    name: str, data: bytes, sheet: str | None, *, formulas: str, merged: str
) -> tuple[str, list[list[str | None]], np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """(sheet name, each row's cell texts, the rows' numbers, merged ranges, formula cells
    without a saved value) of the first or named sheet; ``formulas``/``merged``: "refuse"
    (a located problem per cell) or "report" (returned for the caller)."""
    if data.startswith(OLE):
        raise InvalidInput(old_excel(name, "this is an old-format Excel file (.xls) named .xlsx"))
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
    records = [[_cell_text(v) for v in cells] for _, cells in rows]
    numbers = np.array([n for n, _ in rows], dtype=np.int64)
    return sheet_name, records, numbers, merges, unsaved


def _check_expansion(name: str, data: bytes) -> None:
    """Refuse a workbook whose parts would expand beyond ``MAX_UNCOMPRESSED`` (read from
    the zip directory, before anything is expanded)."""
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


def old_excel(name: str, what: str) -> Problem:
    return Problem(
        f"{what}: open it in Excel and save it as an Excel Workbook (.xlsx) or CSV UTF-8",
        "不支持旧版 Excel 格式（.xls）：请在 Excel 中打开，另存为“Excel 工作簿 (.xlsx)”或“CSV UTF-8”",
        file=name,
    )


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
