"""`evaluator reliability --input`: the published Shrout–Fleiss figures from a plain CSV,
JSON under the documented keys, Krippendorff's example with missing cells from a workbook,
and every bad cell located."""

from __future__ import annotations

import json

import xlsxwriter

from evaluator.cli import main

SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


def test_the_iccs_of_a_plain_csv_as_json(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    lines = ["unit,rater,value"] + [
        f"T{t},J{j},{v}" for t, row in enumerate(SHROUT_FLEISS, 1) for j, v in enumerate(row, 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["reliability", "--input", str(path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert {k: round(got[k], 2) for k in ("icc1_1", "icc1_k", "icc2_1", "icc2_k", "icc3_1", "icc3_k")} == {
        "icc1_1": 0.17, "icc1_k": 0.44, "icc2_1": 0.29, "icc2_k": 0.62, "icc3_1": 0.71, "icc3_k": 0.91,
    }  # fmt: skip
    assert (got["units"], got["raters"]) == (6, 4) and "alpha" in got
    assert main(["reliability", "--input", str(path)]) == 0
    assert "icc3_k" in capsys.readouterr().out


def test_missing_cells_and_chinese_headers_in_a_workbook(tmp_path, capsys):
    path = tmp_path / "评分.xlsx"
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("评分")
    sheet.write_row(0, 0, ["评估对象", "评估员", "分值"])
    row = 1
    for o, values in enumerate(observers):
        for u, v in enumerate(values, 1):
            sheet.write_row(row, 0, [f"U{u}", f"O{o}"] + ([v] if v is not None else []))
            row += 1
    book.close()
    assert main(["reliability", "--input", str(path), "--level", "ordinal", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert round(got["alpha"], 3) == 0.815 and got["alpha_units"] == 11


def test_bad_cells_are_located_and_nothing_is_printed_as_figures(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("unit,rater,value\nT1,J1,12分\nT1,J2,3\nT1,J2,4\n,J3,2\n", encoding="utf-8")
    assert main(["reliability", "--input", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv row 2 column value" in err and "write only the number (12)" in err
    assert "J2 rated T1 twice (first on row 3)" in err
    assert "row 5 column unit: the unit is empty" in err
    assert main(["reliability"]) == 2
    assert "give either --input FILE or a ROUND" in capsys.readouterr().err
    assert main(["reliability", "--input", str(path), "--drift", "x"]) == 2
