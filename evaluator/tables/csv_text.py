"""Reading a CSV file for :func:`evaluator.tables.read.read_table`: its encoding (UTF-8,
UTF-8 with BOM or GB18030; UTF-16, a stray NUL byte, a workbook or an old Excel file named
.csv are named), its separator (a comma, or a semicolon or a tab when the first line has no
comma), every record as text cells."""

from __future__ import annotations

import codecs
import csv
import io
import re

import pandas as pd

from evaluator.errors import InvalidInput, Problem
from evaluator.tables.workbook import OLE, old_excel

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ZIP = b"PK\x03\x04"


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
    if data.startswith(OLE):
        raise InvalidInput(old_excel(name, "this is an old-format Excel file (.xls) named .csv"))
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


def csv_grid(name: str, data: bytes) -> tuple[pd.DataFrame, str]:
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
        grid = rectangular(records)
    grid.columns = range(grid.shape[1])
    return grid, encoding


def rectangular(records: list[list]) -> pd.DataFrame:
    """Rows of unequal length as a rectangular frame of object cells (``None`` padding)."""
    width = max((len(r) for r in records), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in records], dtype=object)
