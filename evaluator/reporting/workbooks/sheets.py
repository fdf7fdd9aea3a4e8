"""What every workbook shares: the formats and print set-up (``Book``), writing rows, grade
colours, the findings and tranches sheets."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from evaluator.reporting.labels import KIND_ZH, SEVERITY_ZH, STATE_ZH, TRANCHE_ZH

Column = tuple[str, str, float]  # (zh, en, width)

# fill colours of the grade cells, best to worst (more grades reuse the last)
GRADE_FILLS = ("#C6EFCE", "#DDEBF7", "#FFEB9C", "#FFC7CE")


class Book:
    """A workbook with the formats every sheet shares."""

    def __init__(self, decimals: int, footer: str, constant_memory: bool = False):
        self.buffer = io.BytesIO()
        options: dict[str, Any] = {"constant_memory": constant_memory}
        if not constant_memory:
            options["in_memory"] = True
        self.wb: Workbook = xlsxwriter.Workbook(self.buffer, options)
        self.footer = footer
        places = "0" if decimals == 0 else "0." + "0" * decimals
        base = {"font_name": "等线", "font_size": 10, "valign": "vcenter"}
        self.text = self.wb.add_format(base)
        self.wrap = self.wb.add_format(base | {"text_wrap": True})
        self.score = self.wb.add_format(base | {"num_format": places})
        self.share = self.wb.add_format(base | {"num_format": "0.0%"})
        self.money = self.wb.add_format(base | {"num_format": "#,##0.00"})
        self.whole = self.wb.add_format(base | {"num_format": "0"})
        self.head_zh = self.wb.add_format(
            base | {"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "border": 1}
        )
        self.head_en = self.wb.add_format(
            base | {"italic": True, "bg_color": "#D9E1F2", "font_size": 9, "border": 1}
        )
        self.group = self.wb.add_format(base | {"bold": True, "bg_color": "#F2F2F2"})
        self.group_score = self.wb.add_format(
            base | {"bold": True, "bg_color": "#F2F2F2", "num_format": places}
        )
        self.group_share = self.wb.add_format(
            base | {"bold": True, "bg_color": "#F2F2F2", "num_format": "0.0%"}
        )
        self.title = self.wb.add_format(base | {"bold": True, "font_size": 14})
        self.grade_fills = [self.wb.add_format({"bg_color": c}) for c in GRADE_FILLS]

    def sheet(self, name: str, columns: Sequence[Column], landscape: bool = True) -> Worksheet:
        """A sheet with its two header rows (zh, then en), frozen below them, printed on
        A4 with the headers repeated and the footer."""
        ws = self.wb.add_worksheet(name)
        for c, (_, _, width) in enumerate(columns):
            ws.set_column(c, c, width)
        # row by row: in constant-memory mode a row is flushed once the next one is started
        ws.write_row(0, 0, [zh for zh, _, _ in columns], self.head_zh)
        ws.write_row(1, 0, [en for _, en, _ in columns], self.head_en)
        ws.freeze_panes(2, 1)
        ws.set_paper(9)  # A4
        if landscape:
            ws.set_landscape()
        ws.repeat_rows(0, 1)
        ws.fit_to_pages(1, 0)
        ws.set_footer(self.footer)
        return ws

    def close(self) -> bytes:
        self.wb.close()
        return self.buffer.getvalue()


def footer_text(round_: dict, system: dict) -> str:
    """The printed footer: the round (kind, date, id) and the system (id, version, hash);
    ``&`` doubled as Excel's header/footer codes need."""
    text = (
        f"&L轮次 Round {KIND_ZH.get(round_['kind'], round_['kind'])} {round_['as_of']} "
        f"{round_['id'][:8]}&C&P / &N&R{system['id']} {system['version']} "
        f"{system['hash'][:19]}"
    )
    return text if len(text) < 250 else text[:250]


def input_figure(value: float | None) -> float | None:
    """An input figure (raw value, target, ratio) as shown: 4 decimals at most."""
    return None if value is None else round(float(value), 4)


def yuan_amount(fen: int) -> float:
    """Yuan from integer fen for a money cell (exact to the cent for any contract amount)."""
    return fen / 100


def write_rows(
    ws: Worksheet, first: int, rows: Iterable[Sequence[Any]], formats: Sequence[Any]
) -> int:
    """Rows from ``first``, a format per column; None is an empty cell. The next row."""
    r = first
    for row in rows:
        for c, value in enumerate(row):
            if value is None:
                continue
            ws.write(r, c, value, formats[c])
        r += 1
    return r


def grade_formatting(book: Book, ws: Worksheet, cells: str, grades: list[dict]) -> None:
    """Colour a range of grade cells (codes or zh names) by grade, best first."""
    for i, g in enumerate(grades):
        fill = book.grade_fills[min(i, len(book.grade_fills) - 1)]
        for label in {g["code"], g["zh"]}:
            ws.conditional_format(
                cells,
                {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": fill},
            )


def findings_sheet(book: Book, findings: list[dict]) -> None:
    columns: list[Column] = [
        ("对象", "Unit", 10),
        ("规则", "Rule", 12),
        ("严重程度", "Severity", 12),
        ("状态", "State", 12),
        ("发现日期", "Opened", 12),
        ("整改期限", "Deadline", 22),
        ("说明", "Explanation", 70),
    ]
    ws = book.sheet("偏差与整改 Findings", columns)
    rows = [
        [
            f["unit"],
            f["rule"],
            f"{SEVERITY_ZH.get(f['severity'], f['severity'])} {f['severity']}",
            f"{STATE_ZH.get(f['state'], f['state'])} {f['state']}",
            f["opened_on"],
            (f["deadline"] or "—")
            + (" 暂定 provisional" if f.get("deadline_basis") == "provisional" else ""),
            f["explanation_zh"],
        ]
        for f in findings
    ]
    if not rows:
        rows = [["—", "无 None", None, None, None, None, None]]
    write_rows(ws, 2, rows, [book.text] * 6 + [book.wrap])


def tranches_sheet(book: Book, tranches: list[dict], name: str = "拨付 Tranches") -> None:
    columns: list[Column] = [
        ("批次", "Tranche", 10),
        ("比例", "Share", 8),
        ("金额（元）", "Amount (yuan)", 16),
        ("状态", "Status", 14),
        ("日期", "Paid / due", 34),
        ("阻碍", "Blocked by", 40),
    ]
    ws = book.sheet(name, columns)
    write_rows(
        ws,
        2,
        [
            [
                t["code"],
                t["share_bp"] / 10000,
                yuan_amount(t["amount_fen"]),
                f"{TRANCHE_ZH.get(t['status'], t['status'])} {t['status']}",
                t["when"],
                "；".join(t["blocked_by_zh"]) or None,
            ]
            for t in tranches
        ],
        [book.text, book.share, book.money, book.text, book.text, book.wrap],
    )


def cell_range(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    from xlsxwriter.utility import xl_range

    return str(xl_range(first_row, first_col, last_row, last_col))
