"""The offline scoring workbook (评分表) a rater fills where there is no connection: one
sheet per station with every leaf (a checklist's every item) — its question, what it may
be, the rater's value, target, valid n and comment at export — drop-down lists for levels
and checklist items, number ranges elsewhere, the structure locked (only the input cells
open), and a very hidden ``_stamp`` sheet (round, system, rater, the version of each value
at export) that the import checks. Pure: a document in, bytes out (tables.scoring_workbook
reads it back)."""

from __future__ import annotations

from collections.abc import Sequence

from evaluator.canonical import canonical_json
from evaluator.reporting.workbooks.sheets import Book, footer_text
from evaluator.tables.scoring_workbook import (
    COLUMNS,
    COMMENT,
    FIRST_ROW,
    STAMP_SHEET,
    TARGET,
    VALUE,
    N,
)


def write_scoring_workbook(doc: dict) -> bytes:
    """``doc`` (services.offline.export_document): ``forms`` (a scoring form per station, in
    order), ``stamp``, ``round`` and ``system`` (for the printed footer)."""
    forms: Sequence[dict] = doc["forms"]
    book = Book(decimals=2, footer=footer_text(doc["round"], doc["system"]))
    wb = book.wb
    open_cell = wb.add_format(
        {"font_name": "等线", "font_size": 10, "locked": False, "bg_color": "#FFF9E6", "border": 1}
    )
    for form in forms:
        ws = book.sheet(form["unit"][:31], COLUMNS)
        ws.protect("", {"format_columns": True, "format_rows": True})
        r = FIRST_ROW
        for family in form["families"]:
            ws.write(r, 0, family["code"], book.group)
            ws.write(r, 2, family["zh"], book.group)
            r += 1
            for leaf in family["leaves"]:
                r = _leaf_rows(book, ws, r, leaf, open_cell)
        for leaf in form.get("bonus", []):
            r = _leaf_rows(book, ws, r, leaf, open_cell)
    stamp_ws = wb.add_worksheet(STAMP_SHEET)
    stamp_ws.write_string(0, 0, canonical_json(doc["stamp"]))  # hashed as written
    stamp_ws.very_hidden()
    stamp_ws.protect()
    return book.close()


def _leaf_rows(book: Book, ws, r: int, leaf: dict, open_cell) -> int:
    guide = leaf["description_zh"]
    if leaf["measured"]:
        guide = (guide + " " if guide else "") + "（可由台账计算：导入台账后以台账为准）"
    if leaf["checklist"]:
        for it in leaf["checklist"]:
            ws.write_row(
                r,
                0,
                [
                    leaf["code"],
                    it["code"],
                    leaf["zh"],
                    f"{it['text']}（{it['points']:g} 分）",
                    "1 是 / 0 否",
                ],
                book.wrap,
            )
            _inputs(ws, r, it, open_cell, wants_target=False, wants_n=False)
            ws.data_validation(r, VALUE, r, VALUE, {"validate": "list", "source": ["0", "1"]})
            r += 1
        return r
    levels = leaf["levels"]
    if levels:
        allowed = " / ".join(f"{lv['level']} {lv['zh']}" for lv in levels)
    elif leaf["max"] is not None:
        allowed = f"{leaf['min']:g} – {leaf['max']:g}"
    else:
        allowed = f"≥ {leaf['min']:g}"
    ws.write_row(r, 0, [leaf["code"], "", leaf["zh"], guide, allowed], book.wrap)
    _inputs(ws, r, leaf, open_cell, wants_target=leaf["wants_target"], wants_n=leaf["wants_n"])
    if levels:
        ws.data_validation(
            r, VALUE, r, VALUE, {"validate": "list", "source": [str(lv["level"]) for lv in levels]}
        )
    elif leaf["max"] is not None:
        ws.data_validation(
            r,
            VALUE,
            r,
            VALUE,
            {
                "validate": "decimal",
                "criteria": "between",
                "minimum": leaf["min"],
                "maximum": leaf["max"],
            },
        )
    else:
        ws.data_validation(
            r, VALUE, r, VALUE, {"validate": "decimal", "criteria": ">=", "value": leaf["min"]}
        )
    return r + 1


def _inputs(ws, r: int, slot: dict, open_cell, *, wants_target: bool, wants_n: bool) -> None:
    """The rater's cells: open (unlocked), holding the values at export."""
    cells = [(VALUE, slot.get("value")), (COMMENT, slot.get("comment") or None)]
    if wants_target:
        cells.append((TARGET, slot.get("target")))
    if wants_n:
        cells.append((N, slot.get("n")))
    for c, value in cells:
        if value is None:
            ws.write_blank(r, c, None, open_cell)
        else:
            ws.write(r, c, value, open_cell)
