"""Register parsing: typed frames from every file format, exact money, header aliases,
located problems, templates and the generated docs."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.errors import InvalidInput
from evaluator.evidence.columns import Column
from evaluator.evidence.make_docs import generated
from evaluator.evidence.parse import MAX_PROBLEMS, parse_register
from evaluator.evidence.registers import REGISTERS
from evaluator.evidence.templates import NOTES_SHEET, registers_markdown, write_template
from evaluator.evidence.values import FALSE_WORDS, SCORE_WORDS, TRUE_WORDS, option_key
from evaluator.tables.read import header_key

REPO = Path(__file__).resolve().parents[2]

# --- expected frames, built independently of the parser --------------------------------------


def typed(kind: str, data: dict[str, list]) -> pd.DataFrame:
    """The frame ``parse_register`` must return for ``data`` (canonical name → values;
    dates as ISO text, money in fen, choices as codes, absent columns all missing)."""
    spec = REGISTERS[kind]
    n = len(next(iter(data.values())))
    out = {}
    for c in spec.columns:
        v = data.get(c.name, [None] * n)
        if c.kind == "choice":
            out[c.name] = pd.Categorical(v, categories=[o.code for o in c.options])
        elif c.kind in ("code", "period"):
            out[c.name] = pd.Categorical(v, categories=sorted({x for x in v if x is not None}))
        elif c.kind == "text":
            out[c.name] = pd.array(v, dtype="str")
        elif c.kind == "date":
            out[c.name] = np.array(
                [np.datetime64(x, "s") if x else np.datetime64("NaT", "s") for x in v],
                dtype="datetime64[s]",
            )
        elif c.kind == "decimal":
            out[c.name] = np.array([np.nan if x is None else x for x in v], dtype=float)
        elif c.kind == "boolean":
            out[c.name] = np.array(v, dtype=bool) if c.required else pd.array(v, dtype="boolean")
        else:  # integer, score, money
            out[c.name] = np.array(v, dtype=np.int64) if c.required else pd.array(v, dtype="Int64")
    return pd.DataFrame(out)


# Each sample: cells as people type them (by canonical column), and the typed values.
SAMPLES: dict[str, tuple[list[dict[str, str]], dict[str, list]]] = {
    "staff": (
        [
            {
                "person_id": "P001",
                "name": "张三",
                "station": "S01",
                "hire_date": "2024-03-01",
                "full_time": "是",
                "qualification": "社会工作师",
                "qualification_date": "2023-11-05",
                "birth_year": "1990",
                "training_hours": "64",
                "supervision_hours": "12.5",
            },
            {
                "person_id": "P002",
                "name": "李四",
                "station": "S02",
                "hire_date": "2024/3/15",
                "leave_date": "2025年6月30日",
                "full_time": "否",
                "qualification": "无",
                "birth_year": "1,995",
                "training_hours": "0",
            },
        ],
        {
            "person_id": ["P001", "P002"],
            "name": ["张三", "李四"],
            "station": ["S01", "S02"],
            "hire_date": ["2024-03-01", "2024-03-15"],
            "leave_date": [None, "2025-06-30"],
            "full_time": [True, False],
            "qualification": ["intermediate", "none"],
            "qualification_date": ["2023-11-05", None],
            "birth_year": [1990, 1995],
            "training_hours": [64.0, 0.0],
            "supervision_hours": [12.5, None],
        },
    ),
    "service_log": (
        [
            {
                "station": "S01",
                "date": "2025-03-01",
                "service_type": "个案",
                "record_id": "C001",
                "client_category": "低保",
                "sessions": "1",
                "participants": "1",
                "hours": "1.5",
                "place": "入户",
                "worker": "P001",
            },
            {
                "station": "S01",
                "date": "2025.3.2",
                "service_type": "小组",
                "record_id": "G001",
                "client_category": "留守儿童",
                "sessions": "2",
                "participants": "8",
                "hours": "2",
                "place": "站内",
                "note": "第2节",
            },
            {
                "station": "S02",
                "date": "2025/3/3",
                "service_type": "社区活动",
                "participants": "1,215",
                "hours": "3",
                "place": "社区",
            },
        ],
        {
            "station": ["S01", "S01", "S02"],
            "date": ["2025-03-01", "2025-03-02", "2025-03-03"],
            "service_type": ["case", "group", "activity"],
            "record_id": ["C001", "G001", None],
            "client_category": ["dibao", "left_behind_child", None],
            "sessions": [1, 2, None],
            "participants": [1, 8, 1215],
            "hours": [1.5, 2.0, 3.0],
            "place": ["household", "station", "community"],
            "worker": ["P001", None, None],
            "note": [None, "第2节", None],
        },
    ),
    "reports": (
        [
            {
                "station": "S01",
                "report_type": "月度简报",
                "period": "2025年3月",
                "due_date": "2025-04-10",
                "submitted_date": "2025-04-08",
            },
            {
                "station": "S01",
                "report_type": "季度报告",
                "period": "2025年第1季度",
                "due_date": "2025-04-15",
            },
            {
                "report_type": "中期报告",
                "period": "2025-H1",
                "due_date": "2025-07-15",
                "submitted_date": "2025/7/20",
            },
        ],
        {
            "station": ["S01", "S01", None],
            "report_type": ["monthly", "quarterly", "midterm"],
            "period": ["2025-03", "2025-Q1", "2025-H1"],
            "due_date": ["2025-04-10", "2025-04-15", "2025-07-15"],
            "submitted_date": ["2025-04-08", None, "2025-07-20"],
        },
    ),
    "finance": (
        [
            {
                "date": "2025-03-05",
                "voucher": "记-001",
                "station": "S01",
                "category": "人员经费",
                "amount": "8,000.00",
                "voucher_complete": "是",
                "summary": "3月工资",
            },
            {
                "date": "2025-03-08",
                "category": "活动经费",
                "amount": "1,234.56",
                "voucher_complete": "否",
            },
            {
                "date": "2025-03-10",
                "category": "行政办公",
                "amount": "0.1",
                "voucher_complete": "是",
            },
        ],
        {
            "date": ["2025-03-05", "2025-03-08", "2025-03-10"],
            "voucher": ["记-001", None, None],
            "station": ["S01", None, None],
            "category": ["personnel", "activity", "admin"],
            "amount": [800000, 123456, 10],
            "voucher_complete": [True, False, True],
            "summary": ["3月工资", None, None],
        },
    ),
    "volunteers": (
        [
            {
                "volunteer_id": "V0001",
                "name": "王五",
                "station": "S01",
                "registered": "是",
                "hours": "36.5",
                "joined_date": "2024-09-01",
            },
            {"volunteer_id": "V0002", "station": "S02", "registered": "否", "hours": "0"},
        ],
        {
            "volunteer_id": ["V0001", "V0002"],
            "name": ["王五", None],
            "station": ["S01", "S02"],
            "registered": [True, False],
            "hours": [36.5, 0.0],
            "joined_date": ["2024-09-01", None],
        },
    ),
    "satisfaction": (
        [
            {
                "station": "S01",
                "response_id": "Q1",
                "survey_date": "2025-11-20",
                "respondent_type": "服务对象",
                "channel": "电话",
                "client_type": "重点对象",
                "overall": "5",
                "attitude": "4",
                "knows_address": "是",
                "knows_services": "是",
                "knows_staff": "否",
                "knows_help": "是",
                "knows_funding": "否",
            },
            {
                "station": "S01",
                "respondent_type": "村（居）委会",
                "channel": "现场",
                "overall": "满意",
                "outcome": "3",
            },
        ],
        {
            "station": ["S01", "S01"],
            "response_id": ["Q1", None],
            "survey_date": ["2025-11-20", None],
            "respondent_type": ["user", "community"],
            "channel": ["phone", "on_site"],
            "client_type": ["priority", None],
            "overall": [5, 4],
            "attitude": [4, None],
            "outcome": [None, 3],
            "knows_address": [True, None],
            "knows_services": [True, None],
            "knows_staff": [False, None],
            "knows_help": [True, None],
            "knows_funding": [False, None],
        },
    ),
}


def _columns_used(kind: str) -> list[Column]:
    rows, _ = SAMPLES[kind]
    used = {k for r in rows for k in r}
    return [c for c in REGISTERS[kind].columns if c.name in used]


def write_csv(path: Path, kind: str, header: str, encoding: str) -> Path:
    rows, _ = SAMPLES[kind]
    cols = _columns_used(kind)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([getattr(c, header) for c in cols])
    for r in rows:
        w.writerow([r.get(c.name, "") for c in cols])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _native(c: Column, value):
    """A typed value as Excel would hold it (real dates and numbers)."""
    if value is None:
        return None
    if c.kind == "date":
        return dt.date.fromisoformat(value)
    if c.kind in ("integer", "decimal", "score"):
        return value
    if c.kind == "money":
        return value / 100  # a float cell: 1234.56, 0.1
    if c.kind == "boolean":
        return value
    return None


def write_xlsx(path: Path, kind: str) -> Path:
    rows, expected = SAMPLES[kind]
    spec = REGISTERS[kind]
    cols = _columns_used(kind)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = spec.sheet
    ws.append([c.zh for c in cols])
    for i, r in enumerate(rows):
        line = []
        for c in cols:
            native = _native(c, expected[c.name][i])
            line.append(native if native is not None else (r.get(c.name) or None))
        ws.append(line)
    wb.create_sheet("说明").append(["这一页不是数据"])
    wb.save(path)
    return path


FORMATS = {
    "csv-utf8-zh": lambda p, k: write_csv(p / f"{k}.csv", k, "zh", "utf-8"),
    "csv-bom-en": lambda p, k: write_csv(p / f"{k}.csv", k, "en", "utf-8-sig"),
    "csv-gb18030-bilingual": lambda p, k: write_csv(p / f"{k}.csv", k, "header", "gb18030"),
    "xlsx-native-cells": lambda p, k: write_xlsx(p / f"{k}.xlsx", k),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", SAMPLES)
def test_valid_file_parses_to_the_exact_typed_frame(tmp_path, kind, fmt):
    path = FORMATS[fmt](tmp_path, kind)
    register = parse_register(kind, path)
    _, expected = SAMPLES[kind]
    pd.testing.assert_frame_equal(register.frame, typed(kind, expected))
    n = len(register.frame)
    assert list(register.rows) == list(range(2, n + 2))
    assert register.kind == kind and register.file == path.name
    assert register.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert register.warnings == ()
    assert register.sheet == (REGISTERS[kind].sheet if fmt.startswith("xlsx") else None)


def test_every_kind_has_a_sample():
    assert set(SAMPLES) == set(REGISTERS)


# --- money -------------------------------------------------------------------------------------


def _ledger(tmp_path, amounts: list[str]) -> pd.Series:
    p = tmp_path / "ledger.csv"
    lines = ["日期,支出类别,金额（元）,凭证齐全"] + [
        f'2025-03-01,活动经费,"{a}",是' for a in amounts
    ]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return parse_register("finance", p).frame["amount"]


def test_money_is_exact_integer_fen(tmp_path):
    amount = _ledger(tmp_path, ["1,234.56", "0.1", "0.2", "12.5", "7", "12.500", "9,999,999.99"])
    assert amount.dtype == np.int64
    assert amount.tolist() == [123456, 10, 20, 1250, 700, 1250, 999999999]
    assert int(amount.iloc[1] + amount.iloc[2]) == 30  # 0.1 + 0.2 is exactly 0.30 yuan


def test_money_sum_of_many_dimes_is_exact(tmp_path):
    amount = _ledger(tmp_path, ["0.1"] * 1000 + ["0.2"] * 1000)
    assert int(amount.sum()) == 30000  # a float sum would drift


def test_money_from_excel_float_cells_and_formula_noise(tmp_path):
    p = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("财务台账")
    for j, h in enumerate(["日期", "支出类别", "金额（元）", "凭证齐全"]):
        ws.write_string(0, j, h)
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i, amount in enumerate([1234.56, 0.1, 1e9]):
        ws.write_datetime(i + 1, 0, dt.datetime(2025, 3, 1), date)
        ws.write_string(i + 1, 1, "活动经费")
        ws.write_number(i + 1, 2, amount)
        ws.write_boolean(i + 1, 3, True)
    ws.write_datetime(4, 0, dt.datetime(2025, 3, 2), date)
    ws.write_string(4, 1, "其他")
    ws.write_formula(4, 2, "=0.1+0.2", None, 0.1 + 0.2)  # cached 0.30000000000000004
    ws.write_boolean(4, 3, False)
    wb.close()
    frame = parse_register("finance", p).frame
    assert frame["amount"].tolist() == [123456, 10, 100000000000, 30]
    assert frame["date"].tolist() == [pd.Timestamp("2025-03-01")] * 3 + [pd.Timestamp("2025-03-02")]


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("1234.567", "more than 2 decimals"),
        ("¥1,200", "number with a unit"),
        ("1200元", "number with a unit"),
        ("-5", "is negative"),
        ("0", "out of range"),
        ("1,23", "is not an amount"),
        ("1e3", "is not an amount"),
    ],
)
def test_money_rejects(tmp_path, text, fragment):
    with pytest.raises(InvalidInput) as e:
        _ledger(tmp_path, [text])
    (p,) = e.value.problems
    assert fragment in p.en and (p.row, p.column) == (2, "金额（元）")


# --- headers ---------------------------------------------------------------------------------------


def test_headers_match_ignoring_case_width_and_spaces(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text(
        "DATE,Category,金额(元),凭证 齐全,摘要\n2025-03-01,Activities,5,yes,x\n", encoding="utf-8"
    )
    r = parse_register("finance", p)
    assert r.headers == {
        "date": "DATE",
        "category": "Category",
        "amount": "金额(元)",
        "voucher_complete": "凭证 齐全",
        "summary": "摘要",
    }
    assert r.frame.at[0, "category"] == "activity" and r.frame.at[0, "amount"] == 500


def test_missing_required_columns_list_their_accepted_headers(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("日期,摘要\n2025-03-01,x\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        parse_register("finance", p)
    missing = [pr for pr in e.value.problems if "missing column" in pr.en]
    assert [pr.en.split(" (")[0] for pr in missing] == [
        "missing column category",
        "missing column amount",
        "missing column voucher_complete",
    ]
    assert "金额（元） Amount (yuan)" in missing[1].en and "金额" in missing[1].zh


def test_problems_from_every_column_and_rule_come_together_in_file_order(tmp_path):
    p = tmp_path / "staff.csv"
    p.write_text(
        "人员编号,站点编码,入职日期,离职日期,是否专职,职业资格等级,出生年份\n"
        "P1,S01,2024-03-01,2024-01-01,是,无,1990\n"
        "P2,社工站,2024-13-01,,也许,硕士,1800\n"
        "P1,S01,2024-03-01,,是,无,\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as e:
        parse_register("staff", p)
    got = [(pr.row, pr.column) for pr in e.value.problems]
    assert got == [
        (2, "离职日期"),  # leave before hire
        (3, "站点编码"),
        (3, "入职日期"),
        (3, "是否专职"),
        (3, "职业资格等级"),
        (3, "出生年份"),
        (4, "人员编号"),  # duplicate of row 2
    ]
    assert (
        str(e.value.problems[2])
        == 'staff.csv row 3 column 入职日期: "2024-13-01" is not a date (日期格式错误)'
    )


def test_problems_are_capped(tmp_path):
    p = tmp_path / "s.csv"
    body = "".join("S01,2025-02-30,个案,1,入户\n" for _ in range(MAX_PROBLEMS + 7))
    p.write_text("站点编码,服务日期,服务类型,服务时数,服务地点\n" + body, encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        parse_register("service_log", p)
    problems = e.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert [pr.row for pr in problems[:3]] == [2, 3, 4]
    assert problems[-1].en == "… and 7 more problems" and "另有 7 处问题" in problems[-1].zh


def test_unknown_kind_lists_the_kinds(tmp_path):
    p = write_csv(tmp_path / "x.csv", "staff", "zh", "utf-8")
    with pytest.raises(InvalidInput) as e:
        parse_register("payroll", p)
    assert (
        "staff, service_log, reports, finance, volunteers, satisfaction" in e.value.problems[0].en
    )


def test_size_limit_argument_and_environment(tmp_path, monkeypatch):
    p = write_csv(tmp_path / "x.csv", "staff", "zh", "utf-8")
    size = p.stat().st_size
    parse_register("staff", p, limit=size)
    with pytest.raises(InvalidInput, match="limit for registers"):
        parse_register("staff", p, limit=size - 1)
    monkeypatch.setenv("REGISTER_MAX_BYTES", str(size - 1))
    with pytest.raises(InvalidInput, match="limit for registers"):
        parse_register("staff", p)


def test_named_sheet_and_register_locations(tmp_path):
    p = tmp_path / "w.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    ws = wb.create_sheet("名册")
    ws.append(["志愿者编号", "站点编码", "是否注册", "志愿时长", "备注"])
    ws.append(["V1", "S01", "是", 3])
    ws.append([])
    ws.append(["V2", "S01", "否", 4.5])
    wb.save(p)
    r = parse_register("volunteers", p, sheet="名册")
    assert r.sheet == "名册" and r.rows.tolist() == [2, 4]
    assert r.frame["hours"].tolist() == [3.0, 4.5]
    pr = r.problem(1, "hours", "too many", "太多")
    assert pr.where == "w.xlsx 名册!D4"
    assert [w.column for w in r.warnings] == ["E"]
    assert r.problem(0, "name", "x", "y").where == "w.xlsx 名册! row 2 column 姓名 Name"


def test_a_million_cells_are_checked_per_distinct_value(tmp_path):
    """20,000 rows, one bad cell: found and located (the vectorised path)."""
    p = tmp_path / "big.csv"
    lines = ["站点编码,服务日期,服务类型,服务时数,服务地点"]
    lines += [f"S{i % 30:02d},2025-03-{i % 28 + 1:02d},个案,1.5,入户" for i in range(20_000)]
    lines[12_345] = "S01,2025-03-01,个案,1.5小时,入户"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        parse_register("service_log", p)
    (pr,) = e.value.problems
    assert (pr.row, pr.column) == (12_346, "服务时数") and "unit" in pr.en


# --- hypothesis: any valid row set round-trips through CSV -----------------------------------------

_SAFE_TEXT = st.text(
    alphabet=st.sampled_from("abcXYZ 0123456789社工站服务记录，。、-_/()\"'"),
    min_size=1,
    max_size=12,
)


def _ascii_case(draw, s: str) -> str:
    return draw(st.sampled_from([s, s.upper(), s.lower()])) if s.isascii() else s


@st.composite
def _cell(draw, c: Column, row: int):
    """(text typed in the file, typed value) for one cell of column ``c``."""
    if c.kind == "text":
        s = draw(_SAFE_TEXT)
        return s, (s.strip() or None)
    if c.kind == "code":
        s = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-/]{0,8}", fullmatch=True))
        return s, s
    if c.kind == "date":
        d = draw(st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31)))
        fmt = draw(st.sampled_from(["iso", "slash", "dot", "zh"]))
        text = {
            "iso": d.isoformat(),
            "slash": f"{d.year}/{d.month}/{d.day}",
            "dot": f"{d.year}.{d.month}.{d.day}",
            "zh": f"{d.year}年{d.month}月{d.day}日",
        }[fmt]
        return text, d.isoformat()
    if c.kind == "integer":
        n = draw(st.integers(int(c.minimum or 0), int(c.maximum or 10**6)))
        return draw(st.sampled_from([str(n), f"{n:,}"])), n
    if c.kind == "decimal":
        k = draw(st.integers(int((c.minimum or 0) * 100), int((c.maximum or 10**4) * 100)))
        return draw(st.sampled_from([f"{k / 100:.2f}", repr(k / 100)])), k / 100
    if c.kind == "money":
        fen = draw(st.integers(int(c.minimum or 0), 10**11))
        yuan, cents = divmod(fen, 100)
        text = draw(st.sampled_from([f"{yuan}.{cents:02d}", f"{yuan:,}.{cents:02d}"]))
        if cents == 0:
            text = draw(st.sampled_from([text, str(yuan), f"{yuan:,}"]))
        return text, fen
    if c.kind == "boolean":
        b = draw(st.booleans())
        word = draw(st.sampled_from(sorted(TRUE_WORDS if b else FALSE_WORDS)))
        return _ascii_case(draw, word), b
    if c.kind == "choice":
        o = draw(st.sampled_from(c.options))
        return _ascii_case(draw, draw(st.sampled_from(o.labels))), o.code
    if c.kind == "score":
        n = draw(st.integers(1, 5))
        words = [w for w, v in SCORE_WORDS.items() if v == n]
        return draw(st.sampled_from([str(n), *words])), n
    raise AssertionError(c.kind)  # periods are drawn per row (they depend on the report type)


@st.composite
def _rows(draw, kind: str):
    spec = REGISTERS[kind]
    n = draw(st.integers(1, 6))
    cells: list[dict[str, str]] = []
    values: dict[str, list] = {c.name: [] for c in spec.columns}
    for i in range(n):
        row: dict[str, str] = {}
        for c in spec.columns:
            if c.kind == "period":
                continue
            given = c.required or draw(st.booleans())
            text, value = draw(_cell(c, i)) if given else ("", None)
            row[c.name] = text
            values[c.name].append(value)
        _fix_rules(draw, kind, i, row, values)
        cells.append(row)
    return cells, values


def _set(row, values, name, text, value):
    row[name] = text
    values[name][-1] = value


def _fix_rules(draw, kind: str, i: int, row: dict, values: dict) -> None:
    """Make row ``i`` satisfy the kind's cross-column rules."""
    if kind == "staff":
        _set(row, values, "person_id", f"P{i}", f"P{i}")
        hire = dt.date.fromisoformat(values["hire_date"][-1])
        if values["leave_date"][-1] is not None:
            leave = min(hire + dt.timedelta(days=draw(st.integers(0, 4000))), dt.date(2100, 12, 31))
            _set(row, values, "leave_date", leave.isoformat(), leave.isoformat())
        if values["qualification"][-1] == "none":
            _set(row, values, "qualification_date", "", None)
        elif values["qualification_date"][-1] is None:
            _set(row, values, "qualification_date", "2020-01-01", "2020-01-01")
    elif kind == "volunteers":
        _set(row, values, "volunteer_id", f"V{i}", f"V{i}")
    elif kind == "reports":
        year = 2000 + i  # one period per row: no duplicate reports
        t = values["report_type"][-1]
        if t == "monthly":
            m = draw(st.integers(1, 12))
            text, value = (
                draw(st.sampled_from([f"{year}-{m:02d}", f"{year}年{m}月", f"{year}/{m}"])),
                f"{year}-{m:02d}",
            )
        elif t == "quarterly":
            q = draw(st.integers(1, 4))
            text, value = (
                draw(st.sampled_from([f"{year}-Q{q}", f"{year}Q{q}", f"{year}年第{q}季度"])),
                f"{year}-Q{q}",
            )
        else:
            text, value = draw(
                st.sampled_from([(str(year), str(year)), (f"{year}年上半年", f"{year}-H1")])
            )
        row["period"] = text
        values["period"].append(value)
    elif kind == "satisfaction":
        names = [n for n in values if n.startswith("knows_")]
        answered = draw(st.booleans())
        for name in names:
            if answered and values[name][-1] is None:
                _set(row, values, name, "是", True)
            elif not answered:
                _set(row, values, name, "", None)


@pytest.mark.parametrize("kind", list(REGISTERS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_valid_row_set_round_trips_through_csv(kind, data):
    cells, values = data.draw(_rows(kind))
    spec = REGISTERS[kind]
    header = data.draw(st.sampled_from(["zh", "en", "header", "name"]))
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([getattr(c, header) for c in spec.columns])
    for row in cells:
        w.writerow([row.get(c.name, "") for c in spec.columns])
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "r.csv"
        p.write_bytes(buf.getvalue().encode(encoding))
        register = parse_register(kind, p)
    pd.testing.assert_frame_equal(register.frame, typed(kind, values))


# --- templates and docs --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(REGISTERS))
def test_template_has_the_bilingual_header_notes_and_validations(tmp_path, kind):
    spec = REGISTERS[kind]
    path = write_template(kind, tmp_path / f"{kind}.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [spec.sheet, NOTES_SHEET]
    ws = wb[spec.sheet]
    assert [c.value for c in ws[1]] == [c.header for c in spec.columns]
    listed = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    for j, c in enumerate(spec.columns):
        letter = openpyxl.utils.get_column_letter(j + 1)
        if c.kind == "choice":
            assert listed[f"{letter}2"].type == "list"
            assert all(o.zh in listed[f"{letter}2"].formula1 for o in c.options)
        if c.kind == "date":
            assert listed[f"{letter}2"].type == "date"
    notes = [row[0] for row in wb[NOTES_SHEET].iter_rows(values_only=True)]
    assert all(c.header in notes for c in spec.columns)
    # an empty template is a register with no data rows …
    with pytest.raises(InvalidInput, match="no data rows"):
        parse_register(kind, path)


def test_a_filled_in_template_parses(tmp_path):
    path = write_template("finance", tmp_path / "finance.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["财务台账"]
    ws.append([dt.date(2025, 3, 5), "记-1", "S01", "活动经费", 1234.56, "是", "活动"])
    wb.save(path)
    r = parse_register("finance", path)
    assert r.frame["amount"].tolist() == [123456] and r.warnings == ()


def test_committed_docs_and_templates_match_the_schemas():
    """Regenerate with `python -m evaluator.evidence.make_docs` when this fails."""
    docs = REPO / "docs"
    assert (docs / "registers.md").read_text(encoding="utf-8") == registers_markdown()
    for path, data in generated(docs).items():
        assert path.is_file(), f"{path} is missing: run python -m evaluator.evidence.make_docs"
        assert path.read_bytes() == data, (
            f"{path} is out of date: run python -m evaluator.evidence.make_docs"
        )


@pytest.mark.parametrize("kind", list(REGISTERS))
def test_no_header_names_two_columns(kind):
    """Every accepted header (as compared: case, width and spaces folded) names one column."""
    owner: dict[str, str] = {}
    for c in REGISTERS[kind].columns:
        for h in {header_key(x) for x in (c.name, *c.headers)}:
            assert owner.setdefault(h, c.name) == c.name, f"{h!r}: {owner[h]} and {c.name}"
        meaning: dict[str, str] = {}
        for o in c.options:
            for label in o.labels:
                key = option_key(label)
                assert meaning.setdefault(key, o.code) == o.code, (
                    f"{c.name}: {label!r} is ambiguous"
                )
