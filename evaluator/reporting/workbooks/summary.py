"""The round's summary workbook for its bureau, written row by row in constant-memory mode."""

from __future__ import annotations

from evaluator.reporting.labels import OUTCOME_ZH, SEVERITY_ZH
from evaluator.reporting.workbooks.sheets import (
    Book,
    Column,
    cell_range,
    footer_text,
    grade_formatting,
    tranches_sheet,
    write_rows,
)


# -- the round's summary ------------------------------------------------------------------
def summary_workbook(doc: dict) -> bytes:
    """社工站 (every station: totals, ranks, grades, fragility, open findings by severity),
    承接机构, 近期拨付 (due within 30 days), and one sheet per family with its nodes as
    columns. Written row by row in xlsxwriter's constant-memory mode (10,000 stations stay
    within a small memory budget)."""
    system = doc["system"]
    book = Book(system["decimals"], footer_text(doc["round"], system), constant_memory=True)
    severities = ("observation", "correction", "suspension", "termination")
    columns: list[Column] = [
        ("编码", "Code", 10),
        ("社工站", "Station", 28),
        ("乡镇（街道）", "Township", 14),
        ("基础分", "Base", 9),
        ("加分", "Bonus", 8),
        ("总分", "Total", 9),
        ("排名", "Rank", 7),
        ("等级", "Grade", 9),
        ("封顶前等级", "Before caps", 11),
        ("底线", "Floors", 10),
        ("否决", "Vetoes", 10),
        ("等级改变概率", "P(grade flip)", 11),
        ("稳健性", "Fragile", 9),
    ] + [(f"未结{SEVERITY_ZH[s]}", f"Open {s}", 9) for s in severities]
    grades = {g["code"]: g["zh"] for g in system["grades"]}
    ws = book.sheet("社工站 Stations", columns)
    formats = (
        [book.text] * 3
        + [book.score] * 3
        + [book.whole]
        + [book.text] * 4
        + [book.share, book.text]
        + [book.whole] * 4
    )
    end = write_rows(
        ws,
        2,
        (
            [
                s["code"],
                s["name"],
                s["township"],
                s["base"],
                s["bonus"],
                s["total"],
                s["rank"],
                grades.get(s["grade"], s["grade"]),
                grades.get(s["grade_uncapped"], s["grade_uncapped"]),
                ",".join(s["floors"]) or None,
                ",".join(s["vetoes"]) or None,
                s["grade_flip"],
                "不稳健 fragile" if s["fragile"] else "稳健 robust",
            ]
            + [s["open_findings"][x] for x in severities]
            for s in doc["stations"]
        ),
        formats,
    )
    ws.autofilter(1, 0, max(end - 1, 1), len(columns) - 1)
    grade_formatting(book, ws, cell_range(2, 7, max(end - 1, 2), 8), system["grades"])
    ag = book.sheet(
        "承接机构 Agencies",
        [
            ("承接机构", "Agency", 30),
            ("合同", "Contract", 22),
            ("社工站数", "Stations", 9),
            ("平均总分", "Mean total", 10),
            ("续签建议", "Recommendation", 16),
            ("局方决定", "Decision", 16),
            ("建议改变概率", "P(flip)", 11),
            ("稳健性", "Fragile", 10),
        ],
    )
    write_rows(
        ag,
        2,
        (
            [
                a["name"],
                a["contract_code"],
                a["stations"],
                a["mean_total"],
                a["recommendation"] and f"{OUTCOME_ZH[a['recommendation']]} {a['recommendation']}",
                a["decision"] and f"{OUTCOME_ZH.get(a['decision'], a['decision'])}",
                a["flip"],
                "不稳健 fragile" if a["fragile"] else "稳健 robust",
            ]
            for a in doc["agencies"]
        ),
        [book.text, book.text, book.whole, book.score, book.text, book.text, book.share, book.text],
    )
    tranches_sheet(book, doc["tranches_due"], "近期拨付 Due in 30 days")
    for family in [n for n in system["nodes"] if n["depth"] == 1 and n["method"] == "group"]:
        _family_sheet(book, doc, family)
    return book.close()


def _family_sheet(book: Book, doc: dict, family: dict) -> None:
    nodes = _under(doc["system"]["nodes"], family["code"])
    columns: list[Column] = [("编码", "Code", 10), ("社工站", "Station", 24)]
    columns.append(
        (f"{family['code']} {family['zh']}", f"{family['en']} ({family['points']:g})", 14)
    )
    columns += [(f"{n['code']} {n['zh']}", f"{n['en']} ({n['points']:g})", 12) for n in nodes]
    name = f"{family['code']} {family['zh']}"[:31]
    ws = book.sheet(name, columns)
    codes = [family["code"]] + [n["code"] for n in nodes]
    write_rows(
        ws,
        2,
        ([s["code"], s["name"]] + [s["nodes"].get(c) for c in codes] for s in doc["stations"]),
        [book.text, book.text] + [book.score] * len(codes),
    )


def _under(nodes: list[dict], family: str) -> list[dict]:
    """The scored nodes below ``family`` in tree order (bonus leaves have no score there)."""
    inside = {family}
    out = []
    for n in nodes:
        if n["parent"] in inside:
            inside.add(n["code"])
            if not n["bonus"]:
                out.append(n)
    return out
