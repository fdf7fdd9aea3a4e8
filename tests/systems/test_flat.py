"""The flat composite-structure table: plain and COINr conventions, every validation rule."""

from __future__ import annotations

import openpyxl
import pytest

from evaluator.errors import InvalidInput, SystemInvalid
from evaluator.systems.flat import load_structure


def csv(tmp_path, text: str, name: str = "struct.csv"):
    p = tmp_path / name
    p.write_text(text.strip() + "\n", encoding="utf-8")
    return p


HEAD = "code,parent,weight,direction\n"

PLAIN = """
code,parent,weight,direction,name
I,,,,Index
A,I,2,1,Pillar A
a1,A,1,1,
a2,A,3,-1,Cost
B,I,1,,Pillar B
b1,B,,1,
"""


def test_plain_structure(tmp_path):
    s = load_structure(csv(tmp_path, PLAIN))
    assert s.root == "I"
    assert s.codes == ("I", "A", "a1", "a2", "B", "b1")
    assert s.indicators == ("a1", "a2", "b1")
    assert s.aggregates == ("I", "A", "B")
    assert dict(s.children) == {
        "I": ("A", "B"),
        "A": ("a1", "a2"),
        "a1": (),
        "a2": (),
        "B": ("b1",),
        "b1": (),
    }
    assert s.parent["a2"] == "A" and s.parent["I"] is None
    assert s.weight["A"] == 2.0 and s.weight["b1"] == 1.0  # empty weight → 1
    assert s.direction["a2"] == -1 and s.direction["B"] == 1  # empty direction → 1
    assert s.name["a2"] == "Cost" and s.name["a1"] == "a1"  # empty name → code
    assert dict(s.level) == {"I": 3, "A": 2, "B": 2, "a1": 1, "a2": 1, "b1": 1}
    assert s.bottom_up() == ("A", "B", "I")
    assert s.file == "struct.csv"


def test_tree_order_follows_file_order_not_row_order_of_parents(tmp_path):
    s = load_structure(csv(tmp_path, HEAD + "x2,B,1,1\nx1,A,1,1\nA,R,1,1\nB,R,1,1\nR,,1,1"))
    assert s.codes == ("R", "A", "x1", "B", "x2")


def test_unbalanced_tree_levels(tmp_path):
    s = load_structure(csv(tmp_path, HEAD + "R,,1,1\nA,R,1,1\na1,A,1,1\nb,R,1,1"))
    assert s.level["R"] == 3 and s.level["b"] == 1 and s.indicators == ("a1", "b")


CHINESE = """
代码,上级,权重,方向,名称
总分,,1,1,综合指数
服务,总分,0.6,1,服务成效
投诉,总分,0.4,-1,投诉次数
"""


def test_chinese_headers(tmp_path):
    s = load_structure(csv(tmp_path, CHINESE))
    assert s.root == "总分" and s.indicators == ("服务", "投诉")
    assert s.direction["投诉"] == -1 and s.weight["服务"] == 0.6 and s.name["总分"] == "综合指数"


COINR = """
iCode,iName,Parent,Weight,Direction,Type,Level
Index,Sustainability Index,,1,1,Aggregate,3
Env,Environment,Index,1,1,Aggregate,2
Soc,Social,Index,2,1,Aggregate,2
CO2,CO2 emissions,Env,1,-1,Indicator,1
Forest,Forest area,Env,1,1,Indicator,1
Life,Life expectancy,Soc,1,1,Indicator,1
GDP,GDP,,,,Denominator,
Region,Region,,,,Group,
Pop,Population,,,,Other,
"""


def test_coinr_structure(tmp_path):
    s = load_structure(csv(tmp_path, COINR))
    assert s.root == "Index"
    assert s.codes == ("Index", "Env", "CO2", "Forest", "Soc", "Life")
    assert s.indicators == ("CO2", "Forest", "Life")
    assert s.direction["CO2"] == -1 and s.weight["Soc"] == 2.0
    assert s.name["Env"] == "Environment"
    assert s.level["Index"] == 3 and s.level["Life"] == 1
    assert "GDP" not in s.codes and "Region" not in s.parent


def test_coinr_without_index_row_gets_an_implicit_root(tmp_path):
    text = "\n".join(line for line in COINR.strip().splitlines() if not line.startswith("Index,"))
    text = text.replace(",Index,", ",,")
    s = load_structure(csv(tmp_path, text))
    assert s.root == "index"
    assert s.codes[0] == "index" and s.children["index"] == ("Env", "Soc")
    assert s.parent["Env"] == "index" and s.parent["index"] is None
    assert s.level["index"] == 3 and s.weight["index"] == 1.0


def test_coinr_file_written_by_r_with_na(tmp_path):
    text = COINR.replace("Index,Sustainability Index,,", "Index,Sustainability Index,NA,")
    text = text.replace(",,,,Denominator,", ",NA,NA,NA,Denominator,NA")
    s = load_structure(csv(tmp_path, text))
    assert s.root == "Index" and s.indicators == ("CO2", "Forest", "Life")


def test_single_top_node_is_the_root_without_implicit_index(tmp_path):
    s = load_structure(csv(tmp_path, "code,parent,weight,direction\nR,,1,1\nx,R,1,1\n"))
    assert s.root == "R" and "index" not in s.codes


def test_structure_from_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "iMeta"
    for row in [
        ["iCode", "Parent", "Weight", "Direction", "Type", "Level"],
        ["Idx", None, 1, 1, "Aggregate", 2],
        ["x", "Idx", 0.5, 1, "Indicator", 1],
        ["y", "Idx", 1.5, -1, "Indicator", 1],
    ]:
        ws.append(row)
    wb.save(tmp_path / "s.xlsx")
    s = load_structure(tmp_path / "s.xlsx")
    assert s.indicators == ("x", "y") and s.weight["x"] == 0.5 and s.direction["y"] == -1


# --- validation: each rule is located ----------------------------------------------------


def problems(tmp_path, text: str, name: str = "struct.csv"):
    with pytest.raises(SystemInvalid) as e:
        load_structure(csv(tmp_path, text, name))
    return e.value.problems


@pytest.mark.parametrize(
    "body,row,column,en,zh",
    [
        ("R,,1,1\nx,R,1,1\nx,R,1,1", 4, "code", "code 'x' is given twice (rows 3 and 4)", "重复"),
        (
            "R,,1,1\nx,Q,1,1",
            3,
            "parent",
            "parent 'Q' is not a code in this table",
            "不是本表中的代码",
        ),
        ("R,,1,1\nx,R,abc,1", 3, "weight", "weight 'abc' is not a number", "不是数字"),
        ("R,,1,1\nx,R,-2,1", 3, "weight", "weight -2 is negative", "负数"),
        (
            "R,,1,1\nx,R,0,1\ny,R,0,1",
            3,
            "weight",
            "all weights of the children of 'R' are 0",
            "全部为 0",
        ),
        ("R,,1,1\nx,R,1,2", 3, "direction", "direction '2' must be 1 or -1", "应为 1 或 -1"),
        ("R,,1,1\nx,R,1,up", 3, "direction", "direction 'up' must be 1 or -1", "方向"),
        ("R,,1,1\n,R,1,1", 3, "code", "the code is empty", "代码为空"),
        ("R,,1,1\nx,x,1,1", 3, "parent", "the parents form a cycle: x → x", "循环"),
        ("R,,1,1\nrank,R,1,1", 3, "code", "code 'rank' is reserved", "保留"),
        ("R,,1,1\nUnit,R,1,1", 3, "code", "code 'Unit' is reserved", "保留"),
        ("R,,1,1", 2, "parent", "the root 'R' has no children", "没有下级节点"),
    ],
)
def test_each_rule_is_reported_with_row_and_column(tmp_path, body, row, column, en, zh):
    (pr,) = problems(tmp_path, HEAD + body)
    assert (pr.file, pr.row, pr.column) == ("struct.csv", row, column)
    assert en in pr.en and zh in pr.zh


def test_cycle_is_reported_once_at_its_first_row(tmp_path):
    probs = problems(tmp_path, HEAD + "R,,1,1\nr1,R,1,1\nA,B,1,1\nB,C,1,1\nC,A,1,1\nD,A,1,1")
    assert len(probs) == 1
    assert probs[0].row == 4 and probs[0].en == "the parents form a cycle: A → B → C → A"


def test_all_problems_at_once(tmp_path):
    probs = problems(
        tmp_path,
        HEAD + "R,,1,1\nx,R,abc,1\ny,R,1,0\nz,Q,1,1\nx,R,1,1\nw,R,-1,9",
    )
    located = sorted((pr.row, pr.column) for pr in probs)
    assert located == [
        (3, "weight"),
        (4, "direction"),
        (5, "parent"),
        (6, "code"),
        (7, "direction"),
        (7, "weight"),
    ]


def test_a_repeated_row_still_has_its_cells_checked(tmp_path):
    probs = problems(tmp_path, HEAD + "R,,1,1\nx,R,1,1\nx,R,-1,5")
    assert [(p.row, p.column) for p in probs] == [(4, "code"), (4, "weight"), (4, "direction")]


def test_xlsx_problems_use_cell_references(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "结构"
    for row in [
        ["code", "parent", "weight", "direction"],
        ["R", None, 1, 1],
        ["x", "R", "heavy", 1],
    ]:
        ws.append(row)
    wb.save(tmp_path / "s.xlsx")
    with pytest.raises(SystemInvalid) as e:
        load_structure(tmp_path / "s.xlsx")
    (pr,) = e.value.problems
    assert pr.where == "s.xlsx 结构!C3"


def test_missing_columns_are_all_listed(tmp_path):
    with pytest.raises(InvalidInput) as e:
        load_structure(csv(tmp_path, "code,name\nR,x\n"))
    missing = sorted(p.en.split()[2] for p in e.value.problems)
    assert missing == ["direction", "parent", "weight"]


def test_no_nodes(tmp_path):
    (pr,) = problems(tmp_path, HEAD.strip())
    assert "no nodes" in pr.en


# --- COINr-specific rules ----------------------------------------------------------------

CHEAD = "iCode,Parent,Weight,Direction,Type,Level\n"


@pytest.mark.parametrize(
    "body,row,column,en",
    [
        ("I,,1,1,Aggregate,2\nx,I,1,1,Indicatr,1", 3, "Type", "type 'Indicatr' is not one of"),
        (
            "I,,1,1,Indicator,2\nx,I,1,1,Indicator,1",
            2,
            "Type",
            "'I' is of type Indicator but has children",
        ),
        (
            "I,,1,1,Aggregate,2\nx,I,1,1,Indicator,1\nE,I,1,1,Aggregate,2",
            4,
            "Type",
            "'E' is of type Aggregate but has no children",
        ),
        (
            "I,,1,1,Aggregate,3\nx,I,1,1,Indicator,1",
            2,
            "Level",
            "level 3 of 'I' does not fit the tree",
        ),
        (
            "I,,1,1,Aggregate,2\nx,I,1,1,Indicator,1.5",
            3,
            "Level",
            "level '1.5' must be a whole number",
        ),
        (
            "I,,1,1,Aggregate,2\nx,G,1,1,Indicator,1\nG,,,,Group,",
            3,
            "Parent",
            "parent 'G' is a Group row, not an aggregate",
        ),
    ],
)
def test_coinr_rules(tmp_path, body, row, column, en):
    probs = problems(tmp_path, CHEAD + body)
    assert any((p.row, p.column) == (row, column) and en in p.en for p in probs), probs


def test_implicit_root_name_already_taken(tmp_path):
    probs = problems(tmp_path, HEAD + "A,,1,1\na,A,1,1\nB,,1,1\nindex,B,1,1")
    assert len(probs) == 1
    assert "'index'" in probs[0].en and probs[0].row == 4 and probs[0].column == "parent"


def test_implicit_root_zero_weights(tmp_path):
    probs = problems(tmp_path, HEAD + "A,,0,1\na,A,1,1\nB,,0,1\nb,B,1,1")
    assert [p.en for p in probs] == ["all weights of the children of 'index' are 0"]
