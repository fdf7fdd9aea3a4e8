"""The offline scoring workbook read back (docs/raters.md, "Offline"): the layout the
writer (``reporting.workbooks.offline``) and the reader share, and the rater's rows of a
filled workbook with where each is (sheet, row). Pure: bytes in, cells out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

STAMP_SHEET = "_stamp"
COLUMNS = (  # (zh, en, width); F–I are the rater's
    ("指标编码", "Leaf", 9),
    ("清单项", "Item", 7),
    ("指标", "Indicator", 28),
    ("评分说明", "Guide", 46),
    ("取值", "Allowed", 16),
    ("分值", "Value", 10),
    ("目标", "Target", 9),
    ("有效样本量", "Valid n", 10),
    ("评估意见", "Comment", 36),
)
VALUE, TARGET, N, COMMENT = 5, 6, 7, 8
FIRST_ROW = 2  # 0-based: below the two header rows
LETTERS = "ABCDEFGHI"


@dataclass(frozen=True)
class Cell:
    """One rater row read back: where it is and what it holds (texts as typed)."""

    sheet: str
    row: int  # 1-based, as Excel shows it
    leaf: str
    item: str
    value: Any
    target: Any
    n: Any
    comment: str


def read_scoring_workbook(data: bytes) -> tuple[str | None, list[Cell], list[str]]:
    """(the stamp's text or None, the rater rows, the sheet names) of a filled workbook."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    try:
        stamp = None
        if STAMP_SHEET in wb.sheetnames:
            first = next(wb[STAMP_SHEET].iter_rows(min_row=1, max_row=1, values_only=True), ())
            stamp = str(first[0]) if first and first[0] is not None else None
        cells: list[Cell] = []
        sheets = [name for name in wb.sheetnames if name != STAMP_SHEET]
        for name in sheets:
            for number, row in enumerate(
                wb[name].iter_rows(min_row=FIRST_ROW + 1, values_only=True), start=FIRST_ROW + 1
            ):
                row = tuple(row) + (None,) * (len(COLUMNS) - len(row))
                leaf = row[0]
                if leaf is None or row[4] is None:
                    continue  # a family's heading (no "allowed" cell), or an empty row
                cells.append(
                    Cell(
                        name,
                        number,
                        str(leaf).strip(),
                        "" if row[1] is None else str(row[1]).strip(),
                        row[VALUE],
                        row[TARGET],
                        row[N],
                        "" if row[COMMENT] is None else str(row[COMMENT]),
                    )
                )
        return stamp, cells, sheets
    finally:
        wb.close()
