"""The contract (agency) workbook: 总览 with the recommendation, the stations side by side,
points lost, tranches in yuan, findings."""

from __future__ import annotations

from typing import Any

from evaluator.reporting.labels import OUTCOME_ZH
from evaluator.reporting.workbooks.sheets import (
    Book,
    Column,
    cell_range,
    findings_sheet,
    footer_text,
    grade_formatting,
    tranches_sheet,
    write_rows,
    yuan_amount,
)


# -- contract -----------------------------------------------------------------------------
def contract_workbook(doc: dict) -> bytes:
    """总览 (the agency, the contract, the recommendation and its explanation), 社工站 (the
    contract's stations side by side), 失分 (points lost), 拨付 (tranches in yuan), 偏差."""
    card, system = doc["card"], doc["system"]
    book = Book(system["decimals"], footer_text(card["round"], system))
    contract, rec = doc["contract"], doc["recommendation"]
    ws = book.sheet("总览 Overview", [("项目", "Item", 28), ("内容", "Value", 90)])
    aggregate = card.get("aggregate") or {}
    rows: list[tuple[str, Any, Any]] = [
        ("承接机构 Agency", card["agency"]["name"], book.text),
        ("合同 Contract", f"{contract['code']} {contract['title']}".strip(), book.text),
        ("服务期 Period", f"{contract['period_start']} — {contract['period_end']}", book.text),
        ("合同金额（元） Amount (yuan)", yuan_amount(contract["amount_fen"]), book.money),
        ("轮次 Round", f"{card['round']['kind']} {card['round']['as_of']}", book.text),
        ("社工站数 Stations", len(doc["stations"]), book.whole),
        ("平均总分 Mean total", aggregate.get("mean_total"), book.score),
        ("最低总分 Lowest total", aggregate.get("min_total"), book.score),
        (
            "续签建议 Recommendation",
            f"{OUTCOME_ZH[rec['recommended']]} {rec['recommended']}" if rec else "—",
            book.text,
        ),
        ("建议说明 Explanation", rec["explanation_zh"] if rec else "—", book.wrap),
        ("Explanation (en)", rec["explanation_en"] if rec else "—", book.wrap),
    ]
    robust = card.get("recommendation_robustness")
    if robust:
        rows.append(
            (
                "建议稳健性 Robustness",
                f"权重扰动下建议改变概率 P(recommendation changes) {robust['flip']:.1%}",
                book.text,
            )
        )
    for r, (label, value, fmt) in enumerate(rows, start=2):
        ws.write(r, 0, label, book.text)
        if value is not None:
            ws.write(r, 1, value, fmt)
    families = [n for n in system["nodes"] if n["depth"] == 1 and n["method"] == "group"]
    columns: list[Column] = [("编码", "Code", 10), ("社工站", "Station", 28)]
    columns += [(f"{f['code']} {f['zh']}", f"{f['en']} ({f['points']:g})", 14) for f in families]
    columns += [
        ("基础分", "Base", 9),
        ("加分", "Bonus", 9),
        ("总分", "Total", 9),
        ("等级", "Grade", 9),
        ("排名", "Rank", 7),
    ]
    st = book.sheet("社工站 Stations", columns)
    end = write_rows(
        st,
        2,
        [
            [s["code"], s["name"]]
            + [s["families"].get(f["code"]) for f in families]
            + [s["base"], s["bonus"], s["total"], s["grade_zh"], s["rank"]]
            for s in doc["stations"]
        ],
        [book.text, book.text] + [book.score] * (len(families) + 3) + [book.text, book.whole],
    )
    grade_col = 2 + len(families) + 3
    grade_formatting(book, st, cell_range(2, grade_col, end - 1, grade_col), system["grades"])
    lost = book.sheet(
        "失分 Points lost",
        [("层级", "Level", 10), ("编码", "Code", 10), ("名称", "Name", 36), ("失分", "Lost", 10)]
        + [("分值", "Max", 10)],
    )
    losses = (rec or {}).get("losses") or {"families": [], "leaves": []}
    write_rows(
        lost,
        2,
        [["一级指标 family", x["code"], x["zh"], x["lost"], x["max"]] for x in losses["families"]]
        + [["末级指标 leaf", x["code"], x["zh"], x["lost"], x["max"]] for x in losses["leaves"]],
        [book.text] * 3 + [book.score, book.score],
    )
    tranches_sheet(book, doc["tranches"])
    findings_sheet(book, doc["findings"])
    return book.close()
