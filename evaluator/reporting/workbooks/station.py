"""The station scorecard workbook: 总览 (with a chart against the round's mean), 指标得分
(the whole tree, outlined by depth), 偏差与整改, 满意度."""

from __future__ import annotations

from typing import Any

from evaluator.reporting.labels import KIND_ZH, OUTCOME_ZH, SOURCE_ZH
from evaluator.reporting.workbooks.sheets import (
    Book,
    Column,
    findings_sheet,
    footer_text,
    input_figure,
    write_rows,
)


# -- station ------------------------------------------------------------------------------
def station_workbook(doc: dict) -> bytes:
    """总览, 指标得分 (the whole tree, outlined by family), 偏差与整改, 满意度, with a bar
    chart of the family shares against the county mean."""
    card, system = doc["card"], doc["system"]
    book = Book(system["decimals"], footer_text(card["round"], system))
    _station_overview(book, doc)
    _station_scores(book, doc)
    findings_sheet(book, doc["findings"])
    _satisfaction_sheet(book, doc["satisfaction"])
    return book.close()


def _station_overview(book: Book, doc: dict) -> None:
    card, system, county = doc["card"], doc["system"], doc["county"]
    ws = book.sheet("总览 Overview", [("项目", "Item", 28), ("内容", "Value", 60)])
    rec = doc["recommendation"]
    robust = card.get("robustness") or {}
    station = doc["station"]
    rows: list[tuple[str, Any, Any]] = [
        ("社工站 Station", f"{station['name']}（{station['code']}）", book.text),
        ("乡镇（街道） Township", station.get("township") or "—", book.text),
        ("承接机构 Agency", card["agency"]["name"], book.text),
        ("合同 Contract", card["agency"]["contract_code"], book.text),
        (
            "轮次 Round",
            f"{KIND_ZH.get(card['round']['kind'], card['round']['kind'])} {card['round']['kind']}",
            book.text,
        ),
        ("评估基准日 Evaluation date", card["round"]["as_of"], book.text),
        ("评估机构 Evaluation agency", doc["method"]["evaluation_agency"], book.text),
        ("指标体系 System", f"{system['name_zh']} {system['version']}", book.text),
        ("基础分 Base", card["base"], book.score),
        ("加分 Bonus", card["bonus"], book.score),
        ("总分 Total", card["total"], book.score),
        (
            "等级 Grade",
            f"{card['grade']['zh']} {card['grade']['en']}"
            + ("（加分不计入等级 graded on the base）" if card["grade_on"] == "base" else ""),
            book.text,
        ),
        (
            "封顶前等级 Grade before caps",
            f"{card['grade_uncapped']['zh']} {card['grade_uncapped']['en']}",
            book.text,
        ),
        ("标记 Flags", "，".join(card["flags"]) or "—", book.text),
        ("本轮排名 Rank in the round", f"{county['rank']} / {county['units']}", book.text),
        (
            "合同续签建议 Recommendation",
            f"{OUTCOME_ZH[rec['recommended']]} {rec['recommended']}" if rec else "—",
            book.text,
        ),
        (
            "等级稳健性 Robustness",
            f"权重扰动下等级改变概率 P(grade changes) {robust.get('grade_flip', 0):.1%}，"
            f"{'不稳健 fragile' if robust.get('fragile') else '稳健 robust'}"
            if robust
            else "—",
            book.text,
        ),
        ("生成日期 Generated", doc["generated_on"], book.text),
    ]
    for r, (label, value, fmt) in enumerate(rows, start=2):
        ws.write(r, 0, label, book.text)
        ws.write(r, 1, value, fmt)
    # the chart's data: family shares against the county mean
    top = len(rows) + 4
    ws.write_row(top, 0, ["一级指标 Family", "得分率 Share", "本轮均值 Round mean"], book.head_zh)
    families = card["families"]
    means = county["family_means"]
    for i, f in enumerate(families, start=1):
        share = (f["points"] or 0) / f["max"] if f["max"] else 0
        mean = (means.get(f["code"]) or 0) / f["max"] if f["max"] else 0
        ws.write(top + i, 0, f"{f['code']} {f['zh']}", book.text)
        ws.write(top + i, 1, share, book.share)
        ws.write(top + i, 2, mean, book.share)
    chart = book.wb.add_chart({"type": "bar"})
    last = top + len(families)
    for col, name in ((1, "本站 This station"), (2, "本轮均值 Round mean")):
        chart.add_series(
            {
                "name": name,
                "categories": ["总览 Overview", top + 1, 0, last, 0],
                "values": ["总览 Overview", top + 1, col, last, col],
            }
        )
    chart.set_title({"name": "一级指标得分率 Family shares"})
    chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%"})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 620, "height": 60 + 40 * len(families)})
    ws.insert_chart(2, 3, chart)


def _station_scores(book: Book, doc: dict) -> None:
    card, system = doc["card"], doc["system"]
    columns: list[Column] = [
        ("编码", "Code", 10),
        ("指标名称", "Name (zh)", 30),
        ("Name", "Name (en)", 36),
        ("计分方法", "Method", 10),
        ("分值", "Max points", 9),
        ("得分", "Score", 9),
        ("得分率", "Share", 9),
        ("原始值", "Raw value", 10),
        ("目标/样本", "Target / n", 10),
        ("达成率", "Measure", 9),
        ("来源", "Source", 12),
        ("标记", "Flag", 14),
        ("佐证状态", "Evidence", 10),
        ("评估意见", "Comments", 40),
    ]
    ws = book.sheet("指标得分 Scores", columns)
    comments = doc.get("comments") or {}
    leaves = {leaf["leaf"]: leaf for leaf in card["leaves"]}
    groups = _group_scores(card, system)
    r = 2
    for node in system["nodes"]:
        level = node["depth"] - 1
        code = node["code"]
        if node["method"] == "group":
            points, share = groups.get(code, (None, None))
            row = [code, node["zh"], node["en"], "分组 group", node["points"], points, share]
            formats = [book.group] * 4 + [book.group_score] * 2 + [book.group_share]
        else:
            leaf = leaves.get(code, {})
            row = [
                code,
                node["zh"],
                node["en"],
                node["method"],
                leaf.get("max_points"),
                leaf.get("points"),
                leaf.get("share"),
                input_figure(leaf.get("raw")),
                input_figure(leaf.get("basis")),
                input_figure(leaf.get("measure")),
                SOURCE_ZH.get(leaf.get("source", ""), leaf.get("source")),
                leaf.get("flag") or None,
                (leaf.get("evidence") or {}).get("status"),
                "；".join(comments.get(code, [])) or None,
            ]
            formats = (
                [book.text] * 4
                + [book.score, book.score, book.share]
                + [book.text] * 6
                + [book.wrap]
            )
        write_rows(ws, r, [row], formats)
        # outline: leaves and inner groups fold under their family
        ws.set_row(r, None, None, {"level": min(level, 7)})
        r += 1
    ws.autofilter(1, 0, r - 1, len(columns) - 1)


def _group_scores(card: dict, system: dict) -> dict[str, tuple[float | None, float | None]]:
    """(points, share) of every group, summed from the card's leaves (a skipped leaf counts
    nothing) — the families as the card gives them."""
    families = {f["code"]: f for f in card["families"]}
    parent = {n["code"]: n["parent"] for n in system["nodes"]}
    points: dict[str, float] = {}
    for leaf in card["leaves"]:
        if leaf["method"] == "bonus" or leaf["points"] is None:
            continue
        node = parent.get(leaf["leaf"])
        while node is not None:
            points[node] = points.get(node, 0.0) + leaf["points"]
            node = parent.get(node)
    out: dict[str, tuple[float | None, float | None]] = {}
    for n in system["nodes"]:
        if n["method"] != "group":
            continue
        got = families[n["code"]]["points"] if n["code"] in families else points.get(n["code"])
        out[n["code"]] = (got, None if got is None else got / n["points"])
    return out


def _satisfaction_sheet(book: Book, rows: list[dict]) -> None:
    columns: list[Column] = [
        ("指标", "Leaf", 10),
        ("名称", "Name", 30),
        ("有效样本", "Valid n", 10),
        ("样本要求", "Quota", 10),
        ("电话", "Phone", 8),
        ("实地", "On site", 8),
        ("均值", "Mean", 8),
        ("95%区间下限", "CI low", 10),
        ("95%区间上限", "CI high", 10),
        ("得分", "Score", 8),
        ("分值", "Max", 8),
        ("标记", "Flag", 16),
    ]
    ws = book.sheet("满意度 Satisfaction", columns)
    mean_fmt = book.wb.add_format({"num_format": "0.00", "font_size": 10})
    write_rows(
        ws,
        2,
        [
            [
                s["leaf"],
                s["name_zh"],
                s["n"],
                s["quota"],
                s["phone"],
                s["on_site"],
                s["mean"],
                (s["ci95"] or [None, None])[0],
                (s["ci95"] or [None, None])[1],
                s["points"],
                s["max_points"],
                s["flag"] or None,
            ]
            for s in rows
        ],
        [book.text, book.text] + [book.whole] * 4 + [mean_fmt] * 3 + [book.score] * 2 + [book.text],
    )
