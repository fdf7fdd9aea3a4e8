"""Write the corpus of broken (and a few tricky but valid) register files next to this script.

    .venv/bin/python tests/corpus/registers/make_corpus.py

The files are committed; ``expected.yaml`` lists what parsing each must report, and
``tests/evidence/test_register_corpus.py`` checks both (and that this script reproduces the
committed files byte for byte: workbooks are written with fixed timestamps).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/corpus: the shared writer
from reproducible import workbook  # noqa: E402

SERVICE_HEADER = ["站点编码", "服务日期", "服务类型", "个案/小组编号", "服务对象类别",
                  "节次/跟进次数", "参与人数", "服务时数", "服务地点", "服务社工", "备注"]


def service_rows(n: int = 4) -> list[list[str]]:
    base = [
        ["S01", "2025-03-01", "个案", "C001", "低保", "1", "1", "1.5", "入户", "P001", ""],
        ["S01", "2025/3/2", "小组", "G001", "留守儿童", "1", "8", "2", "站内", "P002", "第1节"],
        ["S02", "2025.3.3", "社区活动", "", "一般居民", "", "215", "3", "社区", "P003", ""],
        ["S02", "2025年3月4日", "探访", "", "独居老人", "", "1", "0.5", "入户", "P003", ""],
    ]
    return [list(r) for r in (base * (n // len(base) + 1))[:n]]


STAFF_HEADER = ["人员编号", "姓名", "站点编码", "入职日期", "离职日期", "是否专职",
                "职业资格等级", "取得资格日期", "出生年份", "培训时数", "督导时数"]
STAFF_ROWS = [
    ["P001", "张三", "S01", "2024-03-01", "", "是", "社会工作师", "2023-11-05", "1990", "64", "12"],
    ["P002", "李四", "S01", "2024-03-01", "", "是", "无", "", "1995", "60", "10"],
    ["P003", "王五", "S02", "2024-05-10", "", "否", "助理社会工作师", "2024-11-01", "1998", "20", "4"],
]

FINANCE_HEADER = ["日期", "凭证号", "站点编码", "支出类别", "金额（元）", "凭证齐全", "摘要"]
FINANCE_ROWS = [
    ["2025-03-05", "记-001", "S01", "人员经费", "8,000.00", "是", "3月工资"],
    ["2025-03-08", "记-002", "S01", "活动经费", "1,234.56", "是", "重阳节活动"],
    ["2025-03-10", "记-003", "S02", "行政办公", "0.1", "否", "文具"],
]

REPORT_HEADER = ["站点编码", "报告类型", "报告期", "应交日期", "提交日期"]
SATISFACTION_HEADER = ["站点编码", "受访者类型", "调查方式", "总体满意度", "服务态度",
                       "知晓站点地址", "知晓服务内容", "知晓驻站社工", "知晓求助方式", "知晓资金来源"]


# --- writers --------------------------------------------------------------------------------


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    def cell(v: str) -> str:
        return f'"{v}"' if any(ch in v for ch in ',"\n') else v

    return "".join(",".join(cell(v) for v in r) + "\n" for r in [header, *rows])


def write_csv(name: str, header, rows, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(csv_text(header, rows).encode(encoding))


def write_xlsx(name: str, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None,
               formulas: dict[str, dict[str, str]] | None = None, hidden: tuple[str, ...] = ()) -> None:
    (HERE / name).write_bytes(workbook(sheets, merges, formulas, hidden))


# --- the corpus -----------------------------------------------------------------------------


def build() -> None:
    for old in HERE.iterdir():
        if old.is_file() and old.name not in {"make_corpus.py", "expected.yaml"}:
            old.unlink()

    # encodings
    write_csv("01-utf16.csv", SERVICE_HEADER, service_rows(), encoding="utf-16")
    japanese = ["ステーション", "日付", "種類", "時間", "場所"]
    write_csv("02-shift-jis.csv", japanese, [["S01", "2025-03-01", "ケース", "1", "訪問"]],
              encoding="shift_jis")

    # headers
    header = [h for h in STAFF_HEADER if h not in ("入职日期", "是否专职")]
    rows = [[v for h, v in zip(STAFF_HEADER, r, strict=True) if h in header] for r in STAFF_ROWS]
    write_csv("03-missing-required-header.csv", header, rows)
    write_csv("04-duplicated-header.csv", SERVICE_HEADER + ["服务日期"],
              [r + [r[1]] for r in service_rows()])
    write_xlsx("05-same-column-twice.xlsx",
               {"服务记录": [["站点", *SERVICE_HEADER[1:], "Station"],
                             *[[*r, r[0]] for r in service_rows()]]})

    # workbook structure
    write_xlsx("06-merged-cells.xlsx", {"服务记录": [SERVICE_HEADER, *service_rows(6)]},
               merges={"服务记录": ["A2:A4", "I5:I6"]})
    write_xlsx("07-title-row.xlsx",
               {"服务记录": [["2025年3月服务台账"], SERVICE_HEADER, *service_rows()]},
               merges={"服务记录": ["A1:K1"]})
    rows = service_rows(5)
    rows[1][1], rows[2][1], rows[3][1] = "3月2日", "03/03/2025", "2025-3"
    write_xlsx("08-dates-as-text.xlsx", {"服务记录": [SERVICE_HEADER, *rows]})
    order = [9, 3, 2, 0, 8, 1, 7, 6]  # 服务日期 lands in column F, as in the docs' example
    rows = service_rows(19)
    rows[15][1] = "2025/13/01"
    write_xlsx("09-服务台账.xlsx",
               {"服务记录": [[SERVICE_HEADER[k] for k in order], *[[r[k] for k in order] for r in rows]],
                "说明": [["填表说明"]]})
    rows = service_rows()
    rows[0][6], rows[1][7], rows[2][5] = "12人", "3.5小时", "约2次"
    write_csv("10-numbers-with-units.csv", SERVICE_HEADER, rows)
    rows = [list(r) for r in FINANCE_ROWS]
    rows[0][4], rows[1][4] = "¥1,200", "1200元"
    write_csv("11-money-with-units.csv", FINANCE_HEADER, rows)
    sheet = [FINANCE_HEADER, *[list(r) for r in FINANCE_ROWS]]
    sheet[3][4] = None
    write_xlsx("12-formula-without-value.xlsx", {"财务台账": sheet},
               formulas={"财务台账": {"E4": "=E2*0.1"}})
    wb = xlsxwriter.Workbook(str(HERE / "13-formula-with-value.xlsx"), {"in_memory": True})
    wb.set_properties({"created": dt.datetime(2025, 1, 1)})
    ws = wb.add_worksheet("财务台账")
    for r, row in enumerate([FINANCE_HEADER, *FINANCE_ROWS]):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    ws.write_formula(3, 4, "=ROUND(800*0.1,2)", None, 80)
    wb.close()

    # rows
    rows = service_rows(3)
    text = csv_text(SERVICE_HEADER, rows[:1]) + "\n,,,,,,,,,,\n\n" + csv_text(SERVICE_HEADER, rows[1:]).split("\n", 1)[1]
    (HERE / "14-empty-rows-in-the-middle.csv").write_text(text, encoding="utf-8")
    write_xlsx("15-only-header.xlsx", {"服务记录": [SERVICE_HEADER]})
    write_xlsx("16-named-sheet-missing.xlsx",
               {"说明": [["填表说明"]], "2024": [SERVICE_HEADER, *service_rows()], "2025": [SERVICE_HEADER]})
    (HERE / "17-empty.csv").write_bytes(b"")
    write_csv("18-oversized.csv", SERVICE_HEADER, service_rows(40))

    # values
    rows = [list(r) for r in FINANCE_ROWS]
    rows[1][4] = "1234.567"
    write_csv("19-amount-3-decimals.csv", FINANCE_HEADER, rows)
    rows = [list(r) for r in FINANCE_ROWS]
    rows[2][4] = "-200.00"
    write_csv("20-negative-amount.csv", FINANCE_HEADER, rows)
    rows = [list(r) for r in STAFF_ROWS]
    rows[1][4] = "2024-02-01"
    write_csv("21-leave-before-hire.csv", STAFF_HEADER, rows)
    write_csv("22-score-6.csv", SATISFACTION_HEADER, [
        ["S01", "服务对象", "电话", "5", "4", "是", "是", "否", "是", "否"],
        ["S01", "服务对象", "现场", "6", "0", "是", "是", "是", "是", "是"],
        ["S02", "购买方", "电话", "4.5", "满意", "", "", "", "", ""],
    ])
    rows = service_rows()
    rows[1][2], rows[2][8] = "讲座", "线上"
    write_csv("23-choice-not-in-list.csv", SERVICE_HEADER, rows)
    rows = service_rows()
    rows[0][0] = "龙华街道社工站"
    rows[3][0] = "S 02"
    write_csv("24-station-text-not-code.csv", SERVICE_HEADER, rows)

    # file types
    (HERE / "25-old-excel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    (HERE / "26-register.txt").write_text(csv_text(SERVICE_HEADER, service_rows()), encoding="utf-8")
    (HERE / "27-xls-named-xlsx.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", (1980, 1, 1, 0, 0, 0)), "<Types/>")
    (HERE / "28-xlsx-named-csv.csv").write_bytes(buf.getvalue())

    # more value and rule problems
    rows = service_rows()
    rows[0][0], rows[1][1], rows[2][2], rows[3][7] = "", "", "", ""
    write_csv("29-required-values-empty.csv", SERVICE_HEADER, rows)
    rows = service_rows()
    rows[0][1] = "45717"
    write_csv("30-date-serial-numbers.csv", SERVICE_HEADER, rows)
    rows = [list(r) for r in STAFF_ROWS]
    rows[2][0] = "P001"
    rows[1][7] = "2024-01-01"
    rows[0][7] = ""
    write_csv("31-staff-rules.csv", STAFF_HEADER, rows)
    write_csv("32-report-periods.csv", REPORT_HEADER, [
        ["S01", "月度简报", "2025-03", "2025-04-10", "2025-04-08"],
        ["S01", "月度简报", "2025-Q1", "2025-04-10", ""],
        ["S01", "季度报告", "2025年3月", "2025-04-15", "2025-04-20"],
        ["S01", "月度简报", "2025年3月", "2025-04-10", ""],
        ["S02", "中期报告", "2025-13", "2025-07-15", ""],
    ])
    rows = service_rows(600)
    for r in rows:
        r[1] = "2025/02/30"
    write_csv("33-too-many-problems.csv", SERVICE_HEADER, rows)
    write_csv("34-unknown-columns.csv", [*SERVICE_HEADER[:3], "联系电话", *SERVICE_HEADER[3:], "录入人"],
              [[*r[:3], "13800000000", *r[3:], "小王"] for r in service_rows(2)])
    write_csv("35-awareness-partial.csv", SATISFACTION_HEADER, [
        ["S01", "服务对象", "电话", "5", "4", "是", "是", "", "", ""],
        ["S01", "村居委会", "现场", "4", "", "", "", "", "", ""],
    ])
    text = csv_text(SERVICE_HEADER, service_rows(2)) + "S01,2025-03-05,个案,C002,低保,1,1,1,入户,P001,,多余\n"
    (HERE / "36-ragged-row.csv").write_text(text, encoding="utf-8")
    write_csv("37-gb18030.csv", SERVICE_HEADER, service_rows(), encoding="gb18030")

    # issue 18: what people's files really hold
    write_xlsx("38-hidden-first-sheet.xlsx",
               {"旧数据": [SERVICE_HEADER, *service_rows(2)], "服务记录": [SERVICE_HEADER, *service_rows()]},
               hidden=("旧数据",))
    rows = service_rows()
    rows[1][0] = "S01\u200b"
    write_csv("39-zero-width-space.csv", SERVICE_HEADER, rows)
    body = "".join(";".join(r) + "\n" for r in [SERVICE_HEADER, *service_rows()])
    (HERE / "40-semicolon-separated.csv").write_text(body, encoding="utf-8")
    body = "".join("\t".join(r) + "\n" for r in [SERVICE_HEADER, *service_rows()])
    (HERE / "41-tab-separated.csv").write_text(body, encoding="utf-8")
    rows = service_rows()
    rows[2][9] = "P0\x0003"
    write_csv("42-nul-byte.csv", SERVICE_HEADER, rows)
    rows = service_rows()
    rows[0][6], rows[1][7], rows[2][1] = "１２", "２．５", "２０２５－０３－０３"
    write_csv("43-full-width-digits.csv", SERVICE_HEADER, rows)
    write_csv("44-percent-score.csv", SATISFACTION_HEADER, [
        ["S01", "服务对象", "电话", "90%", "4", "是", "是", "否", "是", "否"],
        ["S01", "服务对象", "现场", "5", "４", "是", "是", "是", "是", "是"],
    ])
    rows = [list(r) for r in FINANCE_ROWS]
    rows[0][4], rows[1][4], rows[2][4] = "inf", "1e400", "99999999999999999999999"
    write_csv("45-infinite-and-huge-amounts.csv", FINANCE_HEADER, rows)
    big5 = ["站點編碼", "服務日期", "服務類型", "個案/小組編號", "服務對象類別", "節次/跟進次數",
            "參與人數", "服務時數", "服務地點", "服務社工", "備註"]
    write_csv("46-big5.csv", big5, [["S01", "2025-03-01", "個案", "C001", "低保", "1", "1", "1.5",
                                     "入戶", "P001", ""]], encoding="big5")
    rows = service_rows()
    rows[3][0] = "\ufeffS02"
    write_csv("47-bom-inside-a-cell.csv", SERVICE_HEADER, rows)


if __name__ == "__main__":
    build()
    sys.exit(0)
