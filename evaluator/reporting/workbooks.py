"""Scorecard workbooks (.xlsx, xlsxwriter) from the report documents of
:mod:`evaluator.services.reports`: a station's, a contract's and a round's summary. Pure:
a document in, the workbook's bytes out; every figure is the document's own, shown with the
system's decimals, so a workbook never disagrees with the API.

Conventions of every sheet: Chinese headers on the first row with English below them, both
repeated on every printed page; frozen panes below the headers; A4 landscape, fitted to the
page width; a footer naming the round and the system hash.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from evaluator.reporting.labels import (
    KIND_ZH,
    OUTCOME_ZH,
    SEVERITY_ZH,
    SOURCE_ZH,
    STATE_ZH,
    TRANCHE_ZH,
)

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


def _input(value: float | None) -> float | None:
    """An input figure (raw value, target, ratio) as shown: 4 decimals at most."""
    return None if value is None else round(float(value), 4)


def _yuan(fen: int) -> float:
    """Yuan from integer fen for a money cell (exact to the cent for any contract amount)."""
    return fen / 100


def _write_rows(
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


def _grade_formatting(book: Book, ws: Worksheet, cells: str, grades: list[dict]) -> None:
    """Colour a range of grade cells (codes or zh names) by grade, best first."""
    for i, g in enumerate(grades):
        fill = book.grade_fills[min(i, len(book.grade_fills) - 1)]
        for label in {g["code"], g["zh"]}:
            ws.conditional_format(
                cells,
                {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": fill},
            )


# -- station ------------------------------------------------------------------------------
def station_workbook(doc: dict) -> bytes:
    """总览, 指标得分 (the whole tree, outlined by family), 偏差与整改, 满意度, with a bar
    chart of the family shares against the county mean."""
    card, system = doc["card"], doc["system"]
    book = Book(system["decimals"], footer_text(card["round"], system))
    _station_overview(book, doc)
    _station_scores(book, doc)
    _findings_sheet(book, doc["findings"])
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
                _input(leaf.get("raw")),
                _input(leaf.get("basis")),
                _input(leaf.get("measure")),
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
        _write_rows(ws, r, [row], formats)
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


def _findings_sheet(book: Book, findings: list[dict]) -> None:
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
    _write_rows(ws, 2, rows, [book.text] * 6 + [book.wrap])


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
    _write_rows(
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
        ("合同金额（元） Amount (yuan)", _yuan(contract["amount_fen"]), book.money),
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
    end = _write_rows(
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
    _grade_formatting(book, st, _range(2, grade_col, end - 1, grade_col), system["grades"])
    lost = book.sheet(
        "失分 Points lost",
        [("层级", "Level", 10), ("编码", "Code", 10), ("名称", "Name", 36), ("失分", "Lost", 10)]
        + [("分值", "Max", 10)],
    )
    losses = (rec or {}).get("losses") or {"families": [], "leaves": []}
    _write_rows(
        lost,
        2,
        [["一级指标 family", x["code"], x["zh"], x["lost"], x["max"]] for x in losses["families"]]
        + [["末级指标 leaf", x["code"], x["zh"], x["lost"], x["max"]] for x in losses["leaves"]],
        [book.text] * 3 + [book.score, book.score],
    )
    _tranches_sheet(book, doc["tranches"])
    _findings_sheet(book, doc["findings"])
    return book.close()


def _tranches_sheet(book: Book, tranches: list[dict], name: str = "拨付 Tranches") -> None:
    columns: list[Column] = [
        ("批次", "Tranche", 10),
        ("比例", "Share", 8),
        ("金额（元）", "Amount (yuan)", 16),
        ("状态", "Status", 14),
        ("日期", "Paid / due", 34),
        ("阻碍", "Blocked by", 40),
    ]
    ws = book.sheet(name, columns)
    _write_rows(
        ws,
        2,
        [
            [
                t["code"],
                t["share_bp"] / 10000,
                _yuan(t["amount_fen"]),
                f"{TRANCHE_ZH.get(t['status'], t['status'])} {t['status']}",
                t["when"],
                "，".join(t["blocked_by"]) or None,
            ]
            for t in tranches
        ],
        [book.text, book.share, book.money, book.text, book.text, book.wrap],
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
    end = _write_rows(
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
    _grade_formatting(book, ws, _range(2, 7, max(end - 1, 2), 8), system["grades"])
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
    _write_rows(
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
    _tranches_sheet(book, doc["tranches_due"], "近期拨付 Due in 30 days")
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
    _write_rows(
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


def _range(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    from xlsxwriter.utility import xl_range

    return str(xl_range(first_row, first_col, last_row, last_col))
