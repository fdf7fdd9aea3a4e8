"""Reading user tables: encodings, workbooks, locations, header checks, number parsing."""

from __future__ import annotations

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.errors import InvalidInput
from evaluator.tables.cells import parse_number
from evaluator.tables.read import column_letter, read_table, resolve_columns


def write_xlsx(path, sheets: dict[str, list[list]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


def problems_of(excinfo) -> list:
    return excinfo.value.problems


# --- CSV ---------------------------------------------------------------------------------


def test_csv_cells_are_stripped_text_or_none(tmp_path):
    p = tmp_path / "raw.csv"
    p.write_text(" unit , value ,note\nS1, 12 ,\nS2,,  x  \n", encoding="utf-8")
    t = read_table(p)
    assert t.file == "raw.csv" and t.sheet is None
    assert list(t.frame.columns) == ["unit", "value", "note"]
    assert t.frame.to_dict("records") == [
        {"unit": "S1", "value": "12", "note": None},
        {"unit": "S2", "value": None, "note": "x"},
    ]
    assert t.row_number(0) == 2 and t.row_number(1) == 3
    assert t.column_letter("value") is None


def test_csv_problem_is_located_by_row_and_column_name(tmp_path):
    p = tmp_path / "raw.csv"
    p.write_text("unit,value\nS1,1\n\n\nS2,abc\n", encoding="utf-8")
    t = read_table(p)
    assert len(t.frame) == 2  # blank rows dropped ...
    assert t.row_number(1) == 5  # ... but numbering is the file's
    pr = t.problem(1, "value", "not a number", "不是数字")
    assert pr.where == "raw.csv row 5 column value"
    assert str(pr) == "raw.csv row 5 column value: not a number (不是数字)"


def test_csv_with_bom(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("单位,得分\n社工站甲,3\n".encode("utf-8-sig"))
    t = read_table(p)
    assert list(t.frame.columns) == ["单位", "得分"]
    assert t.frame.iloc[0].tolist() == ["社工站甲", "3"]


def test_csv_in_gb18030(tmp_path):
    p = tmp_path / "gb.csv"
    data = "单位,指标,值\n龙华区社工站,A1,１２\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test really exercises the fallback
    p.write_bytes(data)
    t = read_table(p)
    assert list(t.frame.columns) == ["单位", "指标", "值"]
    assert t.frame.iloc[0].tolist() == ["龙华区社工站", "A1", "１２"]


def test_csv_undecodable(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(b"a,b\n\xff\xff,\x80\n")
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    (pr,) = problems_of(e)
    assert pr.file == "bad.csv"
    assert "cannot decode" in pr.en and "文件编码无法识别" in pr.zh


def test_quoted_multiline_field_counts_as_one_row(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('unit,note\nS1,"two\nlines"\nS2,x\n', encoding="utf-8")
    t = read_table(p)
    assert t.frame.at[0, "note"] == "two\nlines"
    assert t.row_number(1) == 3


# --- file-level errors -------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInput) as e:
        read_table(tmp_path / "nope.csv")
    (pr,) = problems_of(e)
    assert pr.file == "nope.csv" and "not found" in pr.en and "不存在" in pr.zh


def test_zero_byte_file(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    assert "empty" in problems_of(e)[0].en


@pytest.mark.parametrize("name", ["data.txt", "data.xls", "data"])
def test_unsupported_type(tmp_path, name):
    p = tmp_path / name
    p.write_text("a,b\n1,2\n")
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    assert "unsupported file type" in problems_of(e)[0].en


def test_no_header(tmp_path):
    p = tmp_path / "blank.csv"
    p.write_text("\n , \n\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    assert "no header" in problems_of(e)[0].en


def test_empty_header_cell_with_data_is_an_error_but_empty_columns_are_dropped(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("unit,,value,\nS1,x,1,\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    (pr,) = problems_of(e)
    assert pr.row == 1 and "column 2" in pr.en and "第 2 列" in pr.zh
    ok = tmp_path / "ok.csv"
    ok.write_text("unit,,value,\nS1,,1,\n", encoding="utf-8")
    assert list(read_table(ok).frame.columns) == ["unit", "value"]


def test_every_duplicated_header_is_reported(tmp_path):
    p = tmp_path / "dup.xlsx"
    write_xlsx(p, {"S": [["unit", "value", "unit", "value", "note"], ["a", 1, "a", 2, None]]})
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    probs = problems_of(e)
    assert [(pr.sheet, pr.row, pr.column) for pr in probs] == [("S", 1, "C"), ("S", 1, "D")]
    assert "'unit' appears twice" in probs[0].en and "'value' appears twice" in probs[1].en


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_first_sheet_values_and_locations(tmp_path):
    p = write_xlsx(
        tmp_path / "in.xlsx",
        {
            "Data": [["unit", "value", "flag"], ["S1", 12, True], [None], ["S2", 12.5, None]],
            "Other": [["x"], [1]],
        },
    )
    t = read_table(p)
    assert t.sheet == "Data" and t.file == "in.xlsx"
    assert t.frame.to_dict("records") == [
        {"unit": "S1", "value": "12", "flag": "TRUE"},
        {"unit": "S2", "value": "12.5", "flag": None},
    ]
    assert [t.row_number(0), t.row_number(1)] == [2, 4]
    assert t.column_letter("value") == "B"
    pr = t.problem(1, "value", "bad", "坏")
    assert (pr.sheet, pr.row, pr.column) == ("Data", 4, "B")
    assert pr.where == "in.xlsx Data!B4"


def test_xlsx_named_sheet_and_far_columns(tmp_path):
    header = [f"c{i}" for i in range(1, 29)]
    p = write_xlsx(tmp_path / "w.xlsx", {"A": [["x"]], "B": [header, list(range(28))]})
    t = read_table(p, sheet="B")
    assert t.column_letter("c27") == "AA" and t.column_letter("c28") == "AB"
    assert t.frame.at[0, "c28"] == "27"


def test_xlsx_missing_sheet_lists_the_sheets(tmp_path):
    p = write_xlsx(tmp_path / "w.xlsx", {"一月": [["x"]], "二月": [["y"]]})
    with pytest.raises(InvalidInput) as e:
        read_table(p, sheet="三月")
    (pr,) = problems_of(e)
    assert "一月, 二月" in pr.en and "一月, 二月" in pr.zh


def test_corrupt_xlsx(tmp_path):
    p = tmp_path / "fake.xlsx"
    p.write_text("not a zip")
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    assert "xlsx" in problems_of(e)[0].en


@pytest.mark.parametrize(
    "index,letters", [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letter(index, letters):
    assert column_letter(index) == letters


# --- resolve_columns ---------------------------------------------------------------------

SPEC = {"unit": ["uCode", "单位"], "value": ["值", "得分"], "note": ["备注"]}


def table_with(tmp_path, header: str):
    p = tmp_path / "t.csv"
    p.write_text(header + "\n" + ",".join("x" for _ in header.split(",")) + "\n", encoding="utf-8")
    return read_table(p)


def test_resolve_columns_aliases_case_insensitive(tmp_path):
    t = table_with(tmp_path, "UCODE,得分,other")
    assert resolve_columns(t, SPEC, {"unit", "value"}) == {"unit": "UCODE", "value": "得分"}


def test_resolve_columns_reports_every_missing_required_column(tmp_path):
    t = table_with(tmp_path, "other,note")
    with pytest.raises(InvalidInput) as e:
        resolve_columns(t, SPEC, {"unit", "value"})
    probs = problems_of(e)
    assert len(probs) == 2
    assert "missing column unit" in probs[0].en and "uCode" in probs[0].en
    assert "缺少列 value" in probs[1].zh
    assert all(pr.row == 1 and pr.file == "t.csv" for pr in probs)


def test_resolve_columns_column_given_twice(tmp_path):
    t = table_with(tmp_path, "unit,单位,value")
    with pytest.raises(InvalidInput) as e:
        resolve_columns(t, SPEC, {"unit"})
    (pr,) = problems_of(e)
    assert pr.en == "column unit given twice as 'unit' and '单位'"


# --- parse_number ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [
        ("12", 12.0),
        ("12.5", 12.5),
        ("-3", -3.0),
        ("+0.5", 0.5),
        (".5", 0.5),
        ("1,234.5", 1234.5),
        ("12,345,678", 12345678.0),
        ("１２．５", 12.5),
        ("１,２３４", 1234.0),
        ("1e3", 1000.0),
        ("  7 ", 7.0),
        ("\u22124", -4.0),
    ],
)
def test_parse_number_accepts(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text", [None, "", "  ", "12 人", "abc", "1,23", "12,", "nan", "inf", "1.2.3", "12%", "--1"]
)
def test_parse_number_rejects(text):
    assert parse_number(text) is None


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_parse_number_round_trips_repr(x):
    assert parse_number(repr(x)) == x


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_parse_number_thousands_separators(n):
    assert parse_number(f"{n:,}") == n


# --- encodings sniffed, workbook structure, header detection, factors --------------------------


def test_short_gb18030_that_is_also_valid_utf8_is_read_as_gb18030(tmp_path):
    p = tmp_path / "gb.csv"
    data = "flag,note\n未,x\n".encode("gb18030")
    assert data.decode("utf-8") == "flag,note\nδ,x\n"  # valid UTF-8 …
    p.write_bytes(data)
    t = read_table(p)  # … but Greek is not what a register holds
    assert t.encoding == "gb18030" and t.frame.iloc[0].tolist() == ["未", "x"]


def test_utf8_chinese_stays_utf8(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("站点,金额\nS01,¥12\n", encoding="utf-8")
    assert read_table(p).encoding == "utf-8"


@pytest.mark.parametrize(
    "name,data,fragment",
    [
        ("u16.csv", "a,b\n1,2\n".encode("utf-16"), "UTF-16"),
        ("u16le.csv", "a,b\n1,2\n".encode("utf-16-le"), "UTF-16"),
        ("zip.csv", b"PK\x03\x04rest", "Excel workbook (.xlsx) named .csv"),
        ("ole.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old-format Excel"),
        ("ole.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old-format Excel"),
    ],
)
def test_files_that_are_not_what_their_name_says(tmp_path, name, data, fragment):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    assert fragment in problems_of(e)[0].en


def test_xls_suffix_says_how_to_convert(tmp_path):
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput) as e:
        read_table(p)
    assert "save it as an Excel Workbook (.xlsx)" in problems_of(e)[0].en


def test_ragged_csv_falls_back_to_the_csv_module(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("a,b\n1,2\n3,4,\n", encoding="utf-8")  # a trailing comma on one row
    t = read_table(p)
    assert t.frame.to_dict("records") == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_xlsx_merged_ranges_and_formulas_without_values(tmp_path):
    p = tmp_path / "m.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for row in (["unit", "value"], ["a", 1], [None, 2], ["b", None]):
        ws.append(row)
    ws.merge_cells("A2:A3")
    ws["B4"] = "=B2+B3"  # openpyxl saves no cached value
    wb.save(p)
    t = read_table(p, formulas="report", merged="report")  # the defaults refuse them
    assert t.merged == ("A2:A3",) and t.formulas == ("B4",)
    assert t.frame.to_dict("records")[2] == {"unit": "b", "value": None}


def test_header_predicate_skips_a_title_row(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("2025年台账,,\nunit,value,note\nS1,1,\n", encoding="utf-8")
    t = read_table(p, header=lambda cells: "unit" in cells)
    assert list(t.frame.columns) == ["unit", "value", "note"]
    assert (t.header_row, t.skipped, t.row_number(0)) == (2, (1,), 3)
    with pytest.raises(InvalidInput):  # without it, the title is the header
        read_table(p)


def test_factorize_gives_codes_into_distinct_data_texts(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("unit,value\n a ,1\n\nb,1\na,\n", encoding="utf-8")
    t = read_table(p)
    codes, texts = t.factorize("unit")
    assert texts[codes].tolist() == ["a", "b", "a"]
    codes, texts = t.factorize("value")
    assert codes.tolist() == [0, 0, -1] and texts.tolist() == ["1"]  # the header is not a text


def test_headers_match_across_width_and_spaces(tmp_path):
    t = table_with(tmp_path, "金额 (元),Hire  Date")
    spec = {"amount": ["金额（元）"], "hire_date": ["hire date"]}
    assert resolve_columns(t, spec) == {"amount": "金额 (元)", "hire_date": "Hire  Date"}


def test_resolve_columns_can_collect_instead_of_raising(tmp_path):
    t = table_with(tmp_path, "unit,other")
    problems: list = []
    found = resolve_columns(t, SPEC, {"unit", "value"}, problems=problems)
    assert found == {"unit": "unit"} and len(problems) == 1 and "value" in problems[0].en


def test_a_utf8_file_whose_only_non_ascii_is_a_cross_mark_stays_utf8():
    # found by hypothesis: "×" (C3 97 in UTF-8) reads as the rare "脳" in GB18030
    from evaluator.tables.csv_text import _csv_encoding

    assert _csv_encoding("r.csv", "id,registered\nV0,×\n".encode()) == "utf-8"
    assert _csv_encoding("r.csv", "编号,未\n".encode("gb18030")) == "gb18030"
