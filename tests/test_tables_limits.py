"""Workbooks that must not be read silently or without bound (issue 18): a zip bomb is
refused before anything is expanded, a hidden first sheet is refused unless named, too many
cells are refused at their row, and a formula without a saved value is refused at its cell
(registers report it among their own problems)."""

from __future__ import annotations

import io
import zipfile

import pytest
import xlsxwriter

from evaluator.errors import InvalidInput
from evaluator.tables import workbook
from evaluator.tables.read import read_table


def _workbook(path, sheets, hide_first=False):
    wb = xlsxwriter.Workbook(str(path))
    for i, (name, rows) in enumerate(sheets):
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
        if hide_first and i == 0:
            ws.hide()
    if hide_first:
        wb.worksheets()[1].activate()
    wb.close()
    return path


def test_a_zip_bomb_is_refused_before_it_is_expanded(tmp_path):
    path = tmp_path / "bomb.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(workbook.MAX_UNCOMPRESSED // len(chunk) + 1):
                member.write(chunk)
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 2 * 1024 * 1024  # small on disk …
    with pytest.raises(InvalidInput) as refused:
        read_table(path)
    (problem,) = refused.value.problems
    assert "zip bomb" in problem.en and "压缩炸弹" in problem.zh and problem.file == "bomb.xlsx"


def test_a_hidden_first_sheet_is_refused_unless_named(tmp_path):
    path = _workbook(
        tmp_path / "hidden.xlsx",
        [("旧数据", [["unit", "value"], ["S1", 9]]), ("评分", [["unit", "value"], ["S1", 3]])],
        hide_first=True,
    )
    with pytest.raises(InvalidInput) as refused:
        read_table(path)
    (problem,) = refused.value.problems
    assert "'旧数据' is hidden" in problem.en and "评分" in problem.en and problem.sheet == "旧数据"
    assert "已隐藏" in problem.zh
    named = read_table(path, "旧数据")  # named explicitly: read
    assert named.sheet == "旧数据"


def test_a_formula_without_a_saved_value_is_refused_at_its_cell(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "formula.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["unit", "value"])
    ws.append(["S1", 3])
    ws.append(["S2", "=B2*2"])  # openpyxl writes the formula and no value
    wb.save(path)
    with pytest.raises(InvalidInput) as refused:
        read_table(path)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column, problem.sheet) == (3, "B", "Sheet")
    assert "formula without a saved value" in problem.en
    assert read_table(path, formulas="report").formulas == ("B3",)


def test_too_many_cells_are_refused_at_their_row(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_CELLS", 10)
    path = _workbook(
        tmp_path / "big.xlsx", [("S", [["unit", "value"]] + [["S1", i] for i in range(9)])]
    )
    with pytest.raises(InvalidInput) as refused:
        read_table(path)
    (problem,) = refused.value.problems
    assert problem.row == 6 and "more than 10 cells" in problem.en


def test_a_big5_score_table_is_told_its_encoding(tmp_path):
    from evaluator.evidence.raw import read_raw_inputs

    path = tmp_path / "分值.csv"
    path.write_bytes("單位,指標,分值\nS01,A1,3\n".encode("big5"))
    with pytest.raises(InvalidInput) as refused:
        read_raw_inputs(path)
    assert any(
        "read as GB18030" in p.en and "Big5" in p.en and "乱码" in p.zh
        for p in refused.value.problems
    )
    # a UTF-8 file with a wrong header gets no such hint
    plain = tmp_path / "plain.csv"
    plain.write_text("unit,lief,value\nS01,A1,3\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as wrong:
        read_raw_inputs(plain)
    assert [p.en.split(" (")[0] for p in wrong.value.problems] == ["missing column leaf"]
