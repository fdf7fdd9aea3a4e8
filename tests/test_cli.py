"""The command line end to end (in-process, through evaluator.cli.main)."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluator.cli import main
from evaluator.demo.scoring import run_demo
from evaluator.shipped import shipped_system

SYSTEM = str(shipped_system("station-annual"))


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    run_demo(out)
    return out


def test_score_csv_and_xlsx_outputs(demo_files, tmp_path, capsys):
    raw = demo_files / "raw-inputs.csv"
    assert (
        main(
            [
                "score",
                "--system",
                SYSTEM,
                "--input",
                str(raw),
                "--output",
                str(tmp_path / "s.csv"),
                "--explain",
                "ST07",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "ST07" in printed and "E1.1" in printed and "insufficient_sample" in printed
    scores = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig")
    expected = pd.read_csv(demo_files / "scores.csv", encoding="utf-8-sig")
    assert scores["total"].tolist() == expected["total"].tolist()
    assert (
        main(
            ["score", "--system", SYSTEM, "--input", str(raw), "--output", str(tmp_path / "s.xlsx")]
        )
        == 0
    )
    sheets = pd.read_excel(tmp_path / "s.xlsx", sheet_name=None)
    assert list(sheets) == ["汇总 Summary", "指标 Nodes", "明细 Explanation", "标记 Flags"]
    assert len(sheets["明细 Explanation"]) == 14 * 49  # 47 scored + 2 bonus leaves per station
    nodes = sheets["指标 Nodes"]["code"].tolist()
    summary = sheets["汇总 Summary"]
    # every node is a column (groups, leaves, bonus leaves), then totals, grades and flags
    assert list(summary.columns[1 : 1 + len(nodes)]) == nodes and {"A1", "A1.1", "E"} <= set(nodes)
    assert {"grade_uncapped", "grade", "rank", "veto", "floor", "missing"} <= set(summary.columns)
    st07 = summary.set_index("unit").loc["ST07"]
    # its satisfaction family falls below its floor (at most 合格); its total 79.47 is a pass too
    assert (st07["grade_uncapped"], st07["grade"], st07["floor"]) == ("pass", "pass", "E")
    # the capped station: a good total (83.67) capped at 合格 by its satisfaction family
    st06 = summary.set_index("unit").loc["ST06"]
    assert (st06["grade_uncapped"], st06["grade"], st06["floor"]) == ("good", "pass", "E")


def test_score_bad_input_exits_2_with_located_problems_and_writes_nothing(tmp_path, capsys):
    raw = tmp_path / "raw.csv"
    raw.write_text(
        "单位,指标,子项,值\nST01,A1.1,a,1\nST01,ZZ9,,1\nST01,E1.1,,9\n", encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    assert main(["score", "--system", SYSTEM, "--input", str(raw), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "raw.csv row 3 column 指标: unknown leaf code" in err
    assert "raw.csv row 4 column 值: E1.1: value must be 1 to 5" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_score_missing_file_and_bad_suffix(tmp_path, capsys):
    assert main(["score", "--system", SYSTEM, "--input", str(tmp_path / "none.csv")]) == 2
    assert "file not found" in capsys.readouterr().err
    raw = tmp_path / "raw.csv"
    raw.write_text("unit,leaf,item,value\nST01,A1.1,a,1\n", encoding="utf-8")
    assert (
        main(
            [
                "score",
                "--system",
                SYSTEM,
                "--input",
                str(raw),
                "--output",
                str(tmp_path / "out.json"),
            ]
        )
        == 2
    )
    assert "output must end in" in capsys.readouterr().err


def test_score_table_generic_composite(tmp_path, capsys):
    (tmp_path / "s.csv").write_text(
        "code,parent,weight,direction\nidx,,1,1\na,idx,1,1\nb,idx,1,-1\n", encoding="utf-8"
    )
    (tmp_path / "d.csv").write_text("unit,a,b\nx,1,10\ny,3,0\nz,2,5\n", encoding="utf-8")
    assert (
        main(
            [
                "score-table",
                "--structure",
                str(tmp_path / "s.csv"),
                "--data",
                str(tmp_path / "d.csv"),
                "--output",
                str(tmp_path / "o.csv"),
            ]
        )
        == 0
    )
    out = pd.read_csv(tmp_path / "o.csv", encoding="utf-8-sig").set_index("unit")
    # minmax: a → x 0, y 100, z 50; b reversed → x 0, y 100, z 50; mean → same
    assert out.loc["y", "idx"] == pytest.approx(100) and out.loc["z", "idx"] == pytest.approx(50)
    assert out["rank"].to_dict() == {"y": 1, "z": 2, "x": 3}


def test_demo_without_database_prints_every_station(capsys):
    assert main(["demo", "--no-db"]) == 0
    printed = capsys.readouterr().out
    assert all(f"ST{i:02d}" in printed for i in range(1, 15))
    assert "不合格 Fail" in printed and "V4" in printed


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "check-system" in capsys.readouterr().out
