"""A region's roll-up workbook (汇总表): one row per region, the region asked for first and
the regions below it indented under it, one column per figure; money in yuan."""

from __future__ import annotations

from evaluator.reporting.workbooks.sheets import Book, Column, write_rows, yuan_amount

LEVEL_ZH = {"province": "省", "city": "市", "county": "县（区）", "township": "乡镇（街道）"}


def rollup_workbook(doc: dict) -> bytes:
    """The sheet 汇总 Roll-up (the figures) and 说明 Notes (the period, the day of the
    report and what each figure counts)."""
    period = doc["period"]
    footer = (
        f"&L汇总 Roll-up {doc['region']['name']} {period['label_zh']} ({period['label']})"
        f"&C&P / &N&R截至 as of {doc['today']}"
    )
    book = Book(0, footer)
    columns: list[Column] = [
        ("区划代码", "Region code", 10),
        ("行政区划", "Region", 22),
        ("层级", "Level", 9),
    ] + [(c["zh"], c["en"], 14 if c["money"] else 10) for c in doc["columns"]]
    ws = book.sheet("汇总 Roll-up", columns)
    formats = [book.text] * 3 + [book.money if c["money"] else book.whole for c in doc["columns"]]
    bold = [book.group] * 3 + [book.group] * len(doc["columns"])
    for i, row in enumerate(doc["rows"]):
        region = row["region"]
        cells = [
            region["code"],
            "　" * row["depth"] + region["name"],
            LEVEL_ZH.get(region["level"], region["level"]),
        ] + [
            yuan_amount(row["figures"][c["key"]]) if c["money"] else row["figures"][c["key"]]
            for c in doc["columns"]
        ]
        write_rows(ws, 2 + i, [cells], bold if row["depth"] == 0 else formats)
    notes = book.sheet("说明 Notes", [("项目", "Item", 24), ("内容", "Content", 90)], False)
    write_rows(
        notes,
        2,
        [
            ["行政区划 Region", f"{doc['region']['name']} {doc['region']['code']}"],
            [
                "期间 Period",
                f"{period['label_zh']} {period['label']}: {period['start']} – {period['end']}",
            ],
            ["截至 As of", str(doc["today"])],
            *NOTES,
        ],
        [book.text, book.wrap],
    )
    return book.close()


NOTES = [
    [
        "等级 Grades",
        "期内审定（以现行审定结果为准）的评估轮次中各社工站的等级，按轮次类型分列 · the "
        "stations of the rounds approved within the period, as approved, by round kind",
    ],
    [
        "续约建议 Recommendations",
        "期内作出（未被取代）的中期、末期及年度评估续约建议，及民政局的决定 · the "
        "recommendations made within the period (mid-term, final, annual) and the bureau's decisions",
    ],
    [
        "问题 Findings",
        "期内新发现的问题，按严重程度分列；其中至今未结、逾期的 · findings opened within the "
        "period, by severity; of those, still open and overdue on the day of the report",
    ],
    [
        "资金 Money",
        "期内在履行合同的金额、期内拨付、截至期末累计拨付；应付未付、暂缓、尚未到期为报表当日 · "
        "value of the contracts running in the period, released within it, released to its end; "
        "due, withheld and not yet due on the day of the report",
    ],
    [
        "汇总 Sums",
        "上级行的每一数字等于下级各行之和 · each figure of a region is the sum of its children's",
    ],
]
