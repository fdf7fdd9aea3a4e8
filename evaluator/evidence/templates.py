"""Register templates (.xlsx) and ``docs/registers.md``, both generated from the schemas.

``python -m evaluator.evidence.make_docs`` writes them into ``docs/``; a test fails when the
committed copies drift from what the schemas generate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from evaluator.evidence.columns import KIND_TEXT, Column
from evaluator.evidence.parse import DEFAULT_MAX_BYTES, MAX_PROBLEMS
from evaluator.evidence.registers import REGISTERS, SUPPLIERS, Schema
from evaluator.tables.cells import DATE_MAX, DATE_MIN

NOTES_SHEET = "说明 Notes"
FIXED_TIME = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)  # reproducible files
LAST_ROW = 1_048_575  # validations and formats cover every data row Excel has

_NUM_FORMATS = {
    "date": "yyyy-mm-dd",
    "money": "#,##0.00",
    "code": "@",
    "text": "@",
    "period": "@",
    "integer": "0",
}


def write_template(kind: str, path: str | Path) -> Path:
    """Write the .xlsx template of register ``kind`` to ``path``.

    Sheet 1 (named as the register's data sheet) has the bilingual header row (required
    columns highlighted), a number format per column and a data validation per typed column
    (drop-down lists for choices and yes/no); sheet 2 (``说明 Notes``) describes every column.
    """
    import xlsxwriter  # imported lazily: only template writers pay for it

    spec = REGISTERS[kind]
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False})
    wb.set_properties(
        {
            "title": f"{spec.zh} {spec.en}",
            "subject": "register template / 台账模板",
            "author": "evaluator",
            "created": FIXED_TIME.replace(tzinfo=None),
        }
    )
    head_required = wb.add_format(
        {"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True, "valign": "top"}
    )
    head_optional = wb.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    formats = {k: wb.add_format({"num_format": f}) for k, f in _NUM_FORMATS.items()}

    ws = wb.add_worksheet(spec.sheet)
    ws.freeze_panes(1, 0)
    ws.set_row(0, 32)
    for j, col in enumerate(spec.columns):
        width = max(12, min(40, _display_width(col.header) + 2))
        ws.set_column(j, j, width, formats.get(col.kind))
        ws.write_string(0, j, col.header, head_required if col.required else head_optional)
        rule_en, rule_zh = col.rule_text()
        ws.write_comment(
            0,
            j,
            f"{'必填' if col.required else '选填'}：{rule_zh}\n"
            f"{'Required' if col.required else 'Optional'}: {rule_en}",
            {"x_scale": 2, "y_scale": 1.5},
        )
        validation = _validation(col)
        if validation is not None:
            ws.data_validation(1, j, LAST_ROW, j, validation)
    ws.autofilter(0, 0, 0, len(spec.columns) - 1)

    _notes_sheet(wb, spec)
    wb.close()
    return path


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _validation(col: Column) -> dict | None:
    base = {"error_type": "warning", "error_title": "台账 Register"}
    rule_en, rule_zh = col.rule_text()
    message = {"error_message": f"{rule_zh}\n{rule_en}"[:255]}
    if col.kind == "choice":
        return base | message | {"validate": "list", "source": [o.zh for o in col.options]}
    if col.kind == "boolean":
        return base | message | {"validate": "list", "source": ["是", "否"]}
    if col.kind == "score":
        return (
            base
            | message
            | {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5}
        )
    if col.kind == "date":
        return (
            base
            | message
            | {
                "validate": "date",
                "criteria": "between",
                "minimum": DATE_MIN,
                "maximum": DATE_MAX,
            }
        )
    if col.kind in ("integer", "decimal", "money"):
        scale = 100 if col.kind == "money" else 1
        lo = -(10**12) if col.minimum is None else col.minimum / scale
        hi = 10**12 if col.maximum is None else col.maximum / scale
        kind = "integer" if col.kind == "integer" else "decimal"
        if kind == "integer":
            lo, hi = int(lo), int(hi)
        return (
            base | message | {"validate": kind, "criteria": "between", "minimum": lo, "maximum": hi}
        )
    return None


def _notes_sheet(wb, spec: Schema) -> None:
    title = wb.add_format({"bold": True, "font_size": 14})
    bold = wb.add_format({"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
    ws = wb.add_worksheet(NOTES_SHEET)
    ws.write_string(0, 0, f"{spec.zh} {spec.en}", title)
    ws.write_string(1, 0, spec.description_zh)
    ws.write_string(2, 0, spec.description_en)
    ws.write_string(
        3,
        0,
        f"在“{spec.sheet}”工作表第 1 行以下逐行填写；橙色表头为必填列。"
        f" Fill in sheet “{spec.sheet}” below row 1; orange headers are required.",
    )
    head = [
        "表头 Header",
        "字段 Field",
        "类型 Type",
        "必填 Required",
        "可填内容 Allowed values",
        "示例 Example",
        "说明 Notes",
        "也接受的表头 Also accepted headers",
    ]
    widths = [26, 20, 24, 12, 50, 16, 40, 40]
    for j, (h, w) in enumerate(zip(head, widths, strict=True)):
        ws.set_column(j, j, w)
        ws.write_string(5, j, h, bold)
    for i, col in enumerate(spec.columns, start=6):
        rule_en, rule_zh = col.rule_text()
        kind_en, kind_zh = KIND_TEXT[col.kind]
        cells = [
            col.header,
            col.name,
            f"{kind_zh} {kind_en}",
            "是 Yes" if col.required else "否 No",
            f"{rule_zh}\n{rule_en}",
            col.example,
            "\n".join(t for t in (col.note_zh, col.note_en) if t),
            "、".join(col.headers[1:]),
        ]
        for j, text in enumerate(cells):
            ws.write_string(i, j, text, wrap)
    row = 7 + len(spec.columns)
    if spec.rules:
        ws.write_string(row, 0, "规则 Rules", bold)
        for k, rule in enumerate(spec.rules, start=1):
            ws.write_string(row + k, 0, f"{rule.zh}  /  {rule.en}")
        row += len(spec.rules) + 2
    ws.write_string(row, 0, "格式 Formats", bold)
    for k, (zh, en) in enumerate(_FORMAT_NOTES, start=1):
        ws.write_string(row + k, 0, f"{zh}  /  {en}")


_FORMAT_NOTES = (
    (
        "日期：2025-03-01、2025/3/1、2025.3.1、2025年3月1日 或 Excel 日期",
        "Dates: 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日 or Excel dates",
    ),
    ("数字只填数字，不带单位（写 12，不写 12人）", "Numbers without units (12, not 12人)"),
    (
        "金额以元为单位，最多两位小数，可用千位逗号（1,234.56），不加 ¥ 或 元",
        "Amounts in yuan, at most 2 decimals, thousands commas allowed (1,234.56), no ¥ or 元",
    ),
    ("是/否列填 是 或 否", "Yes/no columns: 是 or 否 (yes/no, Y/N, 1/0 also accepted)"),
    (
        "不要合并单元格；公式须有计算结果（用 Excel 保存）",
        "Do not merge cells; formulas need a saved result (save the file in Excel)",
    ),
    ("CSV 文件请使用 UTF-8 或 GB18030 编码", "CSV files: UTF-8 or GB18030"),
)


# --- docs/registers.md -------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def registers_markdown() -> str:
    """The text of ``docs/registers.md``, generated from the schemas."""
    out: list[str] = [
        "# Registers (台账)",
        "",
        "<!-- Generated by `python -m evaluator.evidence.make_docs` from evaluator/evidence/registers.py."
        " Do not edit: a test fails when this file drifts from the schemas. -->",
        "",
        "A register is a table of evidence: the agency's staff roster, service log, report log,",
        "finance ledger and volunteer register, and the evaluator's satisfaction survey. Each",
        "kind below has a fixed set of columns; a downloadable template (`.xlsx`, with drop-down",
        "lists and a 说明 Notes sheet) is linked from its section.",
        "",
        *_suppliers_markdown(),
        "## Files",
        "",
        "- **.xlsx** (Excel 2007 and later): the first sheet is read unless a sheet is named; a",
        "  **hidden** first sheet is refused (name the sheet to read: it is never read silently).",
        "  Cell values are read as saved: a formula needs a saved result (open and save the file in",
        "  Excel), and merged cells are rejected (only the top-left cell of a merge has a value).",
        "  A workbook whose parts would expand beyond 256 MB (a zip bomb) is refused before it is",
        "  opened, and a sheet of more than 5,000,000 cells at the row that passes the limit.",
        "- **.csv** in UTF-8, UTF-8 with BOM (Excel's “CSV UTF-8”) or GB18030 (what Chinese Excel",
        "  writes as “CSV”). UTF-16 and other encodings are rejected; when no header is recognised",
        "  in a file read as GB18030 the problem says it may be in another encoding (Big5,",
        "  Shift-JIS). Fields are separated by commas, or by semicolons or tabs when the first line",
        "  has no comma (detected). A NUL byte that is not UTF-16 is named with its line.",
        "- Characters that cannot be seen — a zero-width space (U+200B), a byte-order mark inside a",
        "  cell (U+FEFF), control characters — are named with their code and position where they",
        '  make a value wrong (`"S01​" contains the invisible character U+200B (zero width space) at',
        "  position 4: delete it`). Full-width digits and punctuation are folded (`１２．５` is 12.5),",
        "  the same rule for registers, score inputs and tables.",
        "- Imported into a round, the date of a service (service log) or of an expenditure",
        "  (finance ledger) must lie within the contract's period: a row dated before it began,",
        "  after it ended or in a year typed wrong (2099) is a problem at its cell, and nothing",
        "  is stored.",
        "- Old Excel files (`.xls`) are rejected: save them as `.xlsx` first.",
        f"- At most {DEFAULT_MAX_BYTES // 1024 // 1024} MB per file (setting `REGISTER_MAX_BYTES`, in bytes).",
        "- The header row is the first non-empty row. Headers may be Chinese, English, the",
        "  bilingual template header or any listed alias; case, full-width forms and spaces do",
        "  not matter. Columns that are not part of the register are ignored (and listed as",
        "  warnings). Blank rows are skipped; a file without data rows is an error.",
        "",
        "The whole file is checked before anything is stored. If anything is wrong nothing is",
        f"stored, and every problem is listed (up to {MAX_PROBLEMS}, then “… and N more”) with its",
        "place and reason in English and Chinese:",
        "",
        "```text",
        '服务台账.xlsx 服务记录!F17: "2025/13/01" is not a date (日期格式错误)',
        'services.csv row 9 column 服务时数: "3.5小时" is a number with a unit: write only the number (3.5) ("3.5小时" 是带单位的数字：只填写数字（3.5）)',
        "```",
        "",
        "## Values",
        "",
        "| Type | Write | Rejected |",
        "|---|---|---|",
        "| date | `2025-03-01`, `2025/3/1`, `2025.3.1`, `2025年3月1日`, a real Excel date"
        f" ({DATE_MIN.year}–{DATE_MAX.year}) | `2025/13/01`, `3月1日`, `01/03/2025`, a date serial number |",
        "| whole number, number | `12`, `1,200`, `3.5`, `−3`, full-width digits (`１２．５`) — read as everywhere else (`tables/cells.py`) | `12人`, `3.5小时` (a number with a unit) |",
        "| amount (yuan) | `1234.56`, `1,234.56`, `0.5`; stored exactly as integer fen (分) |"
        " `¥1,200`, `1200元`, `12.345` (more than 2 decimals) |",
        "| yes/no | `是`/`否`, `有`/`无`, `已`/`未`, `Y`/`N`, `yes`/`no`, `true`/`false`, `1`/`0`, `√`/`×` | anything else |",
        "| choice | the option's Chinese label, English label or code (see each column) | anything else |",
        "| score 1–5 | `1` … `5`, or `非常不满意` `不满意` `一般` `满意` `非常满意` | `0`, `6`, `4.5` |",
        "| period | `2025`, `2025-03` (`2025/3`, `2025年3月`), `2025-Q1` (`2025年第1季度`), `2025-H1` (`2025年上半年`) | `2025-13` |",
        "| code | letters, digits and `- _ . /` (`S01`, `P-003`) | spaces, Chinese text |",
        "",
        "Money is never a float: the amount text is parsed digit by digit into integer fen",
        "(`1,234.56` → 123456). Zeros after the second decimal are accepted (`12.500`), and so is",
        "the binary noise of a spreadsheet formula (`0.30000000000000004` → 30 fen).",
        "",
    ]
    for spec in REGISTERS.values():
        out += _schema_markdown(spec)
    return "\n".join(out).rstrip() + "\n"


def _suppliers_markdown() -> list[str]:
    out = [
        "## Who supplies each register",
        "",
        "A register is evidence of one side. The agency supplies its operational registers; the",
        "evaluation side may import those too (a copy collected on site, say). The satisfaction",
        "survey is the evaluator's instrument: it measures the agency, so the agency never",
        "imports it (`403`, nothing stored). The table is data (`SUPPLIERS` in",
        "`evaluator/evidence/registers.py`), checked by the registers service on every import.",
        "",
        "| Register | Kind | Supplied by | The agency may import it |",
        "|---|---|---|---|",
    ]
    for kind, spec in REGISTERS.items():
        who = SUPPLIERS[kind]
        out.append(
            f"| {spec.zh} {spec.en} | `{kind}` | {_cell(who.en)} ({_cell(who.zh)}) |"
            f" {'yes' if who.agency_may_import else '**no**'} |"
        )
    out += [
        "",
        "A new version replaces the one in force; once an evaluator has scored a leaf the",
        "register fills, a replacement waits (`pending`) until the round's lead evaluator",
        "accepts it or rejects it with a reason (an import by the lead or an administrator is",
        "its own acceptance). Every version, with who imported it, when, its file hash and the",
        "hash of the version it replaced, is listed on the scorecards (`registers`). After",
        "approval the round takes no registers; a corrected register is submitted against an",
        "open finding instead (rectification evidence, never in force in the approved round); it",
        "can then be carried into the next round of the same contract, or of its renewal with the",
        "same agency, where it is imported and checked like any other file.",
        "",
    ]
    return out


def _schema_markdown(spec: Schema) -> list[str]:
    who = SUPPLIERS[spec.kind]
    out = [
        f"## {spec.zh} {spec.en} (`{spec.kind}`)",
        "",
        spec.description_en,
        spec.description_zh,
        "",
        f"Supplied by: {who.en} ({who.zh}).",
        "",
        f"Template: [templates/{spec.kind}.xlsx](templates/{spec.kind}.xlsx) (sheet {spec.sheet}).",
        "",
        "| Header | Field | Type | Required | Allowed values | Example | Also accepted headers |",
        "|---|---|---|---|---|---|---|",
    ]
    for col in spec.columns:
        rule_en, _ = col.rule_text()
        notes = f" ({col.note_en})" if col.note_en else ""
        out.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    col.header,
                    f"`{col.name}`",
                    col.kind,
                    "yes" if col.required else "",
                    rule_en + notes,
                    f"`{col.example}`" if col.example else "",
                    ", ".join(col.headers[1:]),
                )
            )
            + " |"
        )
    out.append("")
    for col in spec.columns:
        if col.kind != "choice":
            continue
        out += [f"Options of {col.header} (stored as the code):", ""]
        for o in col.options:
            also = f"; also {', '.join(o.aliases)}" if o.aliases else ""
            out.append(f"- `{o.code}`: {o.zh} / {o.en}{also}")
        out.append("")
    if spec.rules:
        out += ["Rules:", ""]
        out += [f"- {rule.en} ({rule.zh})" for rule in spec.rules]
        out.append("")
    return out
