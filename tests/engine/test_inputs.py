"""Raw-input validation: every bad cell located by row (frame row i → spreadsheet row i + 2)
and column, all of them reported at once, nothing scored when any is bad."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from evaluator.engine import prepare_inputs, score
from evaluator.errors import InvalidInput, Problem
from evaluator.systems import parse_system

SYSTEM = textwrap.dedent(
    """
    system:
      id: inputs
      version: "1"
      name: {zh: 输入, en: Inputs}
      unit: station
      total_points: 30
    grades:
      - {code: pass, zh: 合格, en: Pass, min: 18}
      - {code: fail, zh: 不合格, en: Fail, min: 0}
    vetoes:
      - {code: V1, name: {zh: 否决, en: Veto}}
    tree:
      - code: G
        name: {zh: 组, en: Group}
        points: 30
        children:
          - code: C
            name: {zh: 清单, en: Checklist}
            points: 4
            method: checklist
            items:
              - {code: a, text: 甲, points: 2}
              - {code: b, text: 乙, points: 2}
          - {code: R, name: {zh: 比率, en: Ratio}, points: 6, method: ratio, target: 10, prorate: true, linear: {floor: 0, cap: 1}}
          - {code: K, name: {zh: 程度, en: Level}, points: 4, method: rubric, levels: [{level: 0, zh: 无, en: None}, {level: 2, zh: 中, en: Mid}, {level: 4, zh: 优, en: Top}]}
          - {code: L, name: {zh: 满意, en: Likert}, points: 6, method: likert, scale: [1, 5], min_n: 5}
          - {code: D, name: {zh: 扣分, en: Deduction}, points: 5, method: deduction, penalty: 1}
          - {code: N, name: {zh: 数量, en: Count}, points: 5, method: count, steps: [{min: 2, share: 1}, {min: 1, share: 0.5}]}
          - {code: B, name: {zh: 加分, en: Bonus}, method: bonus, per_unit: 1, cap: 2}
    """
)


@pytest.fixture(scope="module")
def system():
    return parse_system(SYSTEM, "inputs.yaml")


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows))


def good_rows() -> list[dict]:
    return [
        {"unit": "u1", "leaf": "C", "item": "a", "value": 1},
        {"unit": "u1", "leaf": "C", "item": "b", "value": 0},
        {"unit": "u1", "leaf": "R", "value": 5, "elapsed": 0.5},
        {"unit": "u1", "leaf": "K", "value": 2},
        {"unit": "u1", "leaf": "L", "value": 4, "n": 10},
        {"unit": "u1", "leaf": "D", "value": 1},
        {"unit": "u1", "leaf": "N", "value": 2},
        {"unit": "u1", "leaf": "B", "value": 1},
        {"unit": "u1", "leaf": "V1", "value": 0},
    ]


def located(exc: pytest.ExceptionInfo) -> list[tuple[int | None, str | None]]:
    return sorted(
        ((p.row, p.column) for p in exc.value.problems), key=lambda t: (t[0] or 0, t[1] or "")
    )


def bad(system, rows: list[dict]) -> pytest.ExceptionInfo:
    with pytest.raises(InvalidInput) as exc:
        score(system, frame(*rows))
    for p in exc.value.problems:
        assert isinstance(p, Problem) and p.en and p.zh
    return exc


def test_good_rows_score(system):
    r = score(system, frame(*good_rows()))
    # C 2, R 5/(10×0.5)=1 → 6, K 2/4 → 2, L (4−1)/4 → 4.5, D 5−1 = 4, N 5 ; bonus 1
    assert r.node_points.loc["u1", ["C", "R", "K", "L", "D", "N"]].tolist() == pytest.approx(
        [2, 6, 2, 4.5, 4, 5]
    )
    assert r.base["u1"] == pytest.approx(23.5)
    assert r.total["u1"] == pytest.approx(24.5)


def test_unknown_leaf(system):
    rows = good_rows() + [{"unit": "u1", "leaf": "ZZ", "value": 1}]
    exc = bad(system, rows)
    assert located(exc) == [(11, "leaf")]
    assert "unknown leaf" in exc.value.problems[0].en


def test_group_code_is_not_a_leaf(system):
    rows = good_rows()
    rows.insert(2, {"unit": "u2", "leaf": "G", "value": 1})
    exc = bad(system, rows)
    assert located(exc) == [(4, "leaf")]
    assert "group" in exc.value.problems[0].en
    assert "分组" in exc.value.problems[0].zh


def test_checklist_row_without_item_or_with_unknown_item(system):
    rows = good_rows() + [
        {"unit": "u2", "leaf": "C", "value": 1},
        {"unit": "u3", "leaf": "C", "item": "zz", "value": 1},
        {"unit": "u4", "leaf": "C", "item": "  ", "value": 1},  # blank item = no item
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "item"), (12, "item"), (13, "item")]
    msgs = [p.en for p in sorted(exc.value.problems, key=lambda p: p.row)]
    assert "need the item" in msgs[0]
    assert "unknown item" in msgs[1]
    assert "need the item" in msgs[2]


def test_non_numeric_value(system):
    rows = good_rows()
    rows[5] = {"unit": "u1", "leaf": "D", "value": "three"}
    rows[3] = {"unit": "u1", "leaf": "K", "value": "2级"}
    exc = bad(system, rows)
    assert located(exc) == [(5, "value"), (7, "value")]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("是", 1),
        ("否", 0),
        ("true", 1),
        ("false", 0),
        ("TRUE", 1),
        ("yes", 1),
        ("no", 0),
        (" 是 ", 1),
        ("1", 1),
        ("0", 0),
        (True, 1),
        (False, 0),
    ],
)
def test_yes_no_words_are_accepted(system, word, expected):
    rows = good_rows()
    rows[0] = {"unit": "u1", "leaf": "C", "item": "a", "value": word}
    rows[8] = {"unit": "u1", "leaf": "V1", "value": word}
    r = score(system, frame(*rows))
    assert r.node_points.loc["u1", "C"] == pytest.approx(2.0 * expected)
    assert bool(r.vetoed["u1"]) is bool(expected)


def test_rubric_level_not_in_set(system):
    rows = good_rows() + [
        {"unit": "u2", "leaf": "K", "value": 3},  # between levels
        {"unit": "u3", "leaf": "K", "value": 5},  # above the top
        {"unit": "u4", "leaf": "K", "value": 2.5},
        {"unit": "u5", "leaf": "K", "value": -2},
        {"unit": "u6", "leaf": "K", "value": 4},  # fine
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "value"), (12, "value"), (13, "value"), (14, "value")]
    assert all("0, 2, 4" in p.en for p in exc.value.problems)


def test_likert_mean_outside_scale(system):
    rows = good_rows() + [
        {"unit": "u2", "leaf": "L", "value": 5.5, "n": 10},
        {"unit": "u3", "leaf": "L", "value": 0.9, "n": 10},
        {"unit": "u4", "leaf": "L", "value": 1, "n": 10},  # edges are fine
        {"unit": "u5", "leaf": "L", "value": 5, "n": 10},
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "value"), (12, "value")]
    assert all("1 to 5" in p.en for p in exc.value.problems)


def test_negative_counts(system):
    rows = good_rows() + [
        {"unit": "u2", "leaf": "D", "value": -1},
        {"unit": "u3", "leaf": "B", "value": -1},
        {"unit": "u4", "leaf": "R", "value": -0.5},
        {"unit": "u5", "leaf": "D", "value": 0},  # fine
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "value"), (12, "value"), (13, "value")]
    assert "0 or more" in sorted(exc.value.problems, key=lambda p: p.row)[0].en


def test_checklist_item_and_veto_values_must_be_0_or_1(system):
    rows = good_rows() + [
        {"unit": "u2", "leaf": "C", "item": "a", "value": 2},
        {"unit": "u3", "leaf": "V1", "value": 0.5},
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "value"), (12, "value")]


def test_elapsed_outside_0_1(system):
    rows = good_rows() + [
        {"unit": "u2", "leaf": "R", "value": 1, "elapsed": 0},
        {"unit": "u3", "leaf": "R", "value": 1, "elapsed": 1.5},
        {"unit": "u4", "leaf": "R", "value": 1, "elapsed": -0.2},
        {"unit": "u5", "leaf": "R", "value": 1, "elapsed": 1},  # fine
        {"unit": "u6", "leaf": "R", "value": 1, "elapsed": "half"},
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "elapsed"), (12, "elapsed"), (13, "elapsed"), (15, "elapsed")]


def test_target_not_positive(system):
    rows = good_rows() + [
        {"unit": "u2", "leaf": "R", "value": 1, "target": 0},
        {"unit": "u3", "leaf": "R", "value": 1, "target": -5},
        {"unit": "u4", "leaf": "R", "value": 1, "target": 3},  # fine
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "target"), (12, "target")]
    negative, zero = exc.value.problems  # the sign is read first, the leaf's rule after
    assert "target of 0 is refused" in zero.en and "zero_target" in zero.zh
    assert "must not be negative" in negative.en and "负数" in negative.zh


def test_n_must_be_a_whole_number(system):
    rows = good_rows() + [
        {"unit": "u2", "leaf": "L", "value": 4, "n": -1},
        {"unit": "u3", "leaf": "L", "value": 4, "n": 2.5},
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "n"), (12, "n")]


def test_duplicate_rows(system):
    rows = good_rows() + [
        {"unit": "u1", "leaf": "C", "item": "a", "value": 0},  # same unit, leaf and item as row 2
        {"unit": "u1", "leaf": "C", "item": "b", "value": 1},  # same as row 3
        {"unit": "u1", "leaf": "D", "value": 2},  # same as row 7
        {"unit": "u2", "leaf": "D", "value": 2},  # another unit: fine
        {"unit": " u1 ", "leaf": "K", "value": 2},  # stripped: same as row 5
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "leaf"), (12, "leaf"), (13, "leaf"), (15, "leaf")]
    assert all("second row" in p.en for p in exc.value.problems)


def test_empty_unit_or_leaf(system):
    rows = good_rows() + [
        {"unit": "", "leaf": "D", "value": 1},
        {"unit": "u2", "leaf": None, "value": 1},
    ]
    exc = bad(system, rows)
    assert located(exc) == [(11, "unit"), (12, "leaf")]


def test_missing_required_columns(system):
    with pytest.raises(InvalidInput) as exc:
        score(system, pd.DataFrame({"unit": ["u1"], "leaf": ["D"]}))
    assert [(p.row, p.column) for p in exc.value.problems] == [(None, "value")]
    assert "value" in exc.value.problems[0].en
    with pytest.raises(InvalidInput) as exc:
        score(system, pd.DataFrame({"leaf": ["D"]}))
    assert sorted(p.column for p in exc.value.problems) == ["unit", "value"]


def test_every_bad_row_reported_at_once(system):
    rows = [
        {"unit": "u1", "leaf": "ZZ", "value": 1},  # 2 unknown leaf
        {"unit": "u1", "leaf": "G", "value": 1},  # 3 group
        {"unit": "u1", "leaf": "C", "value": 1},  # 4 no item
        {"unit": "u1", "leaf": "C", "item": "q", "value": 1},  # 5 unknown item
        {"unit": "u1", "leaf": "D", "value": "x"},  # 6 not a number
        {"unit": "u1", "leaf": "K", "value": 3},  # 7 not a level
        {"unit": "u1", "leaf": "L", "value": 6, "n": 10},  # 8 outside the scale
        {"unit": "u2", "leaf": "D", "value": -3},  # 9 negative count
        {"unit": "u1", "leaf": "R", "value": 1, "elapsed": 2},  # 10 elapsed
        {"unit": "u2", "leaf": "R", "value": 1, "target": 0},  # 11 target
        {"unit": "u3", "leaf": "N", "value": 1},  # 12 fine
        {"unit": "u3", "leaf": "N", "value": 2},  # 13 duplicate
        {"unit": "u4", "leaf": "L", "value": 4, "n": -1},  # 14 n
        {"unit": None, "leaf": "N", "value": 1},  # 15 empty unit
    ]
    exc = bad(system, rows)
    assert located(exc) == [
        (2, "leaf"),
        (3, "leaf"),
        (4, "item"),
        (5, "item"),
        (6, "value"),
        (7, "value"),
        (8, "value"),
        (9, "value"),
        (10, "elapsed"),
        (11, "target"),
        (13, "leaf"),
        (14, "n"),
        (15, "unit"),
    ]
    # the message of the error lists every problem, one per line
    assert len(str(exc.value).splitlines()) == 13


def test_row_numbers_ignore_the_frame_index(system):
    df = frame(*good_rows(), {"unit": "u2", "leaf": "ZZ", "value": 1})
    df.index = range(100, 100 + len(df))
    with pytest.raises(InvalidInput) as exc:
        score(system, df)
    assert located(exc) == [(11, "leaf")]


def test_problem_cap_with_a_note_of_the_rest(system):
    rows = [{"unit": f"u{i}", "leaf": "ZZ", "value": 1} for i in range(250)]
    exc = bad(system, rows)
    problems = exc.value.problems
    assert len(problems) == 201
    assert [p.row for p in problems[:200]] == list(range(2, 202))
    assert "50 more" in problems[-1].en


def test_custom_locate(system):
    def locate(i: int, column: str, en: str, zh: str) -> Problem:
        return Problem(en, zh, file="raw.xlsx", sheet="Sheet1", row=i + 10, column=column.upper())

    df = frame(*good_rows(), {"unit": "u2", "leaf": "ZZ", "value": 1})
    with pytest.raises(InvalidInput) as exc:
        score(system, df, locate=locate)
    p = exc.value.problems[0]
    assert (p.file, p.sheet, p.row, p.column) == ("raw.xlsx", "Sheet1", 19, "LEAF")


def test_prepared_inputs_matrices(system):
    inputs = prepare_inputs(system, frame(*good_rows(), {"unit": "u2", "leaf": "K", "value": 4}))
    assert list(inputs.units) == ["u1", "u2"]
    assert inputs.column("K").tolist() == [2, 4]
    assert np.isnan(inputs.column("D")[1])
    assert inputs.column("R", "elapsed")[0] == 0.5
    assert inputs.column("L", "n").tolist()[0] == 10
    # optional columns absent → all NaN
    bare = prepare_inputs(system, frame({"unit": "u1", "leaf": "D", "value": 1}))
    assert bare.target is None and bare.n is None and bare.elapsed is None
    assert np.isnan(bare.column("R", "target")).all()


def test_prorated_leaf_without_own_target_needs_a_target_on_every_row():
    s = parse_system(
        SYSTEM.replace("method: ratio, target: 10, prorate: true", "method: ratio, prorate: true"),
        "inputs.yaml",
    )
    rows = good_rows()
    rows[2] = {"unit": "u1", "leaf": "R", "value": 5, "elapsed": 0.5, "target": 20}
    r = score(s, frame(*rows))
    assert r.leaf_scores["R"].measure.tolist() == pytest.approx([0.5])  # 5 / (20 × 0.5)
    rows += [
        {"unit": "u2", "leaf": "R", "value": 5, "elapsed": 0.5},  # a count, never a ratio
        {"unit": "u3", "leaf": "R", "value": 5, "target": 5},  # fine
    ]
    exc = bad(s, rows)
    assert located(exc) == [(11, "target")]
    assert "target" in exc.value.problems[0].en
    # without any target column at all, every row of that leaf is reported
    no_target = [{k: v for k, v in row.items() if k != "target"} for row in rows[:-1]]
    exc = bad(s, no_target)
    assert located(exc) == [(4, "target"), (11, "target")]


def test_numbers_with_thousands_separators_and_integer_floats():
    rows = good_rows()
    rows[6] = {"unit": "u1", "leaf": "N", "value": "1,000"}
    rows[5] = {"unit": "u1", "leaf": "D", "value": "1.0"}
    r = score(parse_system(SYSTEM, "inputs.yaml"), frame(*rows))
    assert r.leaf_scores["N"].raw.tolist() == [1000]
    assert r.leaf_scores["D"].raw.tolist() == [1]
    exc = bad(
        parse_system(SYSTEM, "inputs.yaml"),
        good_rows() + [{"unit": "u2", "leaf": "N", "value": "1,5"}],
    )
    assert located(exc) == [(11, "value")]
