"""score-table: DATA loading and composite scoring, by hand and as properties."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from types import MappingProxyType

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evaluator.engine.composite import score_composite
from evaluator.engine.normalise import normalise
from evaluator.errors import InvalidInput
from evaluator.evidence.composite_data import load_composite_data
from evaluator.systems.flat import CompositeStructure, load_structure

nan = np.nan

STRUCT = """code,parent,weight,direction,name
I,,1,1,Index
A,I,2,1,Pillar A
B,I,1,1,Pillar B
a1,A,1,1,
a2,A,1,-1,
b1,B,1,1,
"""


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def structure_from(text: str) -> CompositeStructure:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "s.csv"
        p.write_text(text, encoding="utf-8")
        return load_structure(p)


S = structure_from(STRUCT)


def frame(rows: dict[str, list[float]], columns=("a1", "a2", "b1")) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(columns), dtype=float)


# --- by hand -----------------------------------------------------------------------------


def test_end_to_end_by_hand(tmp_path):
    s = load_structure(write(tmp_path, "s.csv", STRUCT))
    data = load_composite_data(
        write(
            tmp_path, "d.csv", "unit,a1,a2,b1,uName\nu1,10,5,1,One\nu2,20,1,3,Two\nu3,30,3,,Three\n"
        ),
        s,
    )
    out = score_composite(s, data)
    assert list(out.columns) == ["unit", "I", "A", "B", "rank"]
    # a1 → 0, 50, 100; a2 reversed (5, 1, 3) → 0, 100, 50; b1 → 0, 100, missing
    # A = mean(a1, a2); B = b1; I = (2A + B) / 3 over what is present
    by_unit = out.set_index("unit")
    np.testing.assert_allclose(by_unit.loc[["u1", "u2", "u3"], "A"], [0, 75, 75])
    np.testing.assert_allclose(by_unit.loc[["u1", "u2"], "B"], [0, 100])
    assert np.isnan(by_unit.at["u3", "B"])
    np.testing.assert_allclose(by_unit.loc[["u1", "u2", "u3"], "I"], [0, 250 / 3, 75])
    assert out["unit"].tolist() == ["u2", "u3", "u1"]  # sorted by rank
    assert out["rank"].tolist() == [1, 2, 3]
    assert str(out["rank"].dtype) == "Int64"


def test_geometric_by_hand_and_zero_child_gives_zero():
    data = frame({"u1": [10, 5, 1], "u2": [20, 1, 3], "u3": [30, 3, 2]})
    out = score_composite(S, data, aggregate="geometric").set_index("unit")
    # a1: 0, 50, 100; a2: 0, 100, 50; b1: 0, 100, 50
    np.testing.assert_allclose(out.loc["u2", "A"], np.sqrt(50 * 100))
    np.testing.assert_allclose(out.loc["u3", "I"], (np.sqrt(100 * 50) ** 2 * 50) ** (1 / 3))
    assert out.loc["u1", "I"] == 0.0  # the worst unit on a child is 0 under geometric


def test_normalise_none_and_rank_methods():
    data = frame({"u1": [1, 2, 3], "u2": [4, 1, 0]})
    out = score_composite(S, data, normalise="none").set_index("unit")
    np.testing.assert_allclose(out.loc["u1", ["A", "B", "I"]].astype(float), [-0.5, 3, 2 / 3])
    out = score_composite(S, data, normalise="rank").set_index("unit")
    np.testing.assert_allclose(out.loc["u2", ["A", "B", "I"]].astype(float), [100, 0, 200 / 3])


def test_ties_take_the_minimum_rank_and_missing_root_is_last():
    data = frame(
        {"w": [nan, nan, nan], "x": [1, 1, 1], "y": [3, 0, 2], "z": [3, 0, 2], "v": [2, 0, 0]}
    )
    out = score_composite(S, data)
    assert out["unit"].tolist() == ["y", "z", "v", "x", "w"]
    assert out["rank"].tolist()[:4] == [1, 1, 3, 4]
    assert out["rank"].isna().tolist() == [False] * 4 + [True]
    assert out.set_index("unit").loc["w", ["I", "A", "B"]].isna().all()


def test_constant_indicator_drops_out_and_siblings_take_its_weight():
    data = frame({"u1": [5, 1, 0], "u2": [5, 3, 10]})  # a1 constant
    out = score_composite(S, data).set_index("unit")
    np.testing.assert_allclose(out["A"].astype(float), [100, 0])  # a2 alone (reversed)


def test_implicit_root_column():
    s = structure_from("code,parent,weight,direction\nP,,1,1\np,P,1,1\nQ,,3,1\nq,Q,1,1\n")
    out = score_composite(s, frame({"u1": [0, 10], "u2": [10, 0]}, columns=("p", "q")))
    assert list(out.columns) == ["unit", "index", "P", "Q", "rank"]
    np.testing.assert_allclose(out.set_index("unit")["index"].astype(float), [75, 25])


def test_geometric_with_negative_values_is_a_located_error():
    data = frame({"u1": [1, 2, 3], "u2": [2, 1, 0], "u3": [3, 3, 3]})
    with pytest.raises(InvalidInput) as e:
        score_composite(S, data, normalise="zscore", aggregate="geometric")
    probs = e.value.problems
    assert [p.column for p in probs] == ["a1", "a2", "b1"]
    assert "u1" in probs[0].en and "minmax" in probs[0].en and "几何" in probs[0].zh


def test_geometric_error_names_the_data_file(tmp_path):
    p = write(tmp_path, "DATA.csv", "unit,a1,a2,b1\nu1,1,2,3\nu2,2,1,0\nu3,3,3,1\n")
    with pytest.raises(InvalidInput) as e:
        score_composite(S, load_composite_data(p, S), "zscore", "geometric")
    assert e.value.problems[0].where == "DATA.csv column a1"


def test_unknown_methods_and_missing_indicator_all_reported():
    with pytest.raises(InvalidInput) as e:
        score_composite(S, frame({"u": [1, 2]}, columns=("a1", "b1")), "softmax", "harmonic")
    ens = [p.en for p in e.value.problems]
    assert len(ens) == 3
    assert "softmax" in ens[0] and "harmonic" in ens[1] and "'a2'" in ens[2]


# --- loading DATA ------------------------------------------------------------------------


def test_load_data_coinr_style(tmp_path):
    p = write(
        tmp_path,
        "iData.csv",
        "uCode,uName,Time,GDP,A1,a2,b1\nAUT,Austria,2020,400,1,2,NA\nBEL,Belgium,2020,500,3,4,5\n",
    )
    d = load_composite_data(p, S)
    assert list(d.columns) == ["a1", "a2", "b1"]  # A1 matched case-insensitively
    assert d.index.tolist() == ["AUT", "BEL"] and d.index.name == "unit"
    assert d.loc["AUT"].tolist()[:2] == [1.0, 2.0] and np.isnan(d.at["AUT", "b1"])
    assert d.dtypes.eq(float).all()


def test_load_data_gb18030_with_chinese_unit_header_and_thousands(tmp_path):
    p = write(tmp_path, "d.csv", '单位,a1,a2,b1\n福田站,"1,200",２,3\n', encoding="gb18030")
    d = load_composite_data(p, S)
    assert d.loc["福田站"].tolist() == [1200.0, 2.0, 3.0]


def test_load_data_reports_every_bad_cell(tmp_path):
    p = write(tmp_path, "d.csv", "unit,a1,a2,b1\nu1,12 人,1,2\nu2,1,abc,x\n,1,1,1\nu1,1,1,1\n")
    with pytest.raises(InvalidInput) as e:
        load_composite_data(p, S)
    located = [(p.row, p.column) for p in e.value.problems]
    assert located == [(2, "a1"), (3, "a2"), (3, "b1"), (4, "unit"), (5, "unit")]
    assert e.value.problems[0].en == "'12 人' is not a number (indicator a1)"
    assert "rows 2 and 5" in e.value.problems[-1].en


def test_load_data_missing_columns_all_listed(tmp_path):
    p = write(tmp_path, "d.csv", "name,a2\nx,1\n")
    with pytest.raises(InvalidInput) as e:
        load_composite_data(p, S)
    ens = [p.en for p in e.value.problems]
    assert len(ens) == 3
    assert "missing column unit" in ens[0]
    assert ens[1:] == ["missing column for indicator 'a1'", "missing column for indicator 'b1'"]


def test_load_data_rejects_panel_data(tmp_path):
    p = write(tmp_path, "d.csv", "uCode,Time,a1,a2,b1\nX,2019,1,1,1\nY,2020,1,1,1\n")
    with pytest.raises(InvalidInput) as e:
        load_composite_data(p, S)
    (pr,) = e.value.problems
    assert pr.column == "Time" and "2019, 2020" in pr.en


def test_load_data_no_units(tmp_path):
    with pytest.raises(InvalidInput) as e:
        load_composite_data(write(tmp_path, "d.csv", "unit,a1,a2,b1\n"), S)
    assert "no units" in e.value.problems[0].en


def test_load_data_xlsx_locates_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "DATA"
    for row in [["unit", "b1", "a1", "a2"], ["u1", 1, 2, 3], ["u2", 4, "n/a", 6]]:
        ws.append(row)
    wb.save(tmp_path / "d.xlsx")
    with pytest.raises(InvalidInput) as e:
        load_composite_data(tmp_path / "d.xlsx", S)
    assert [p.where for p in e.value.problems] == ["d.xlsx DATA!C3"]


# --- properties --------------------------------------------------------------------------

DEEP = structure_from(
    "code,parent,weight,direction\nR,,1,1\nA,R,2,1\nB,R,1,1\nA1,A,1,1\n"
    "x1,A1,1,1\nx2,A1,3,-1\nx3,A,0.5,1\ny1,B,1,1\ny2,B,2,-1\n"
)
K = len(DEEP.indicators)

data_st = arrays(
    float,
    st.tuples(st.integers(1, 10), st.just(K)),
    elements=st.one_of(st.just(nan), st.floats(-1e6, 1e6), st.sampled_from([0.0, 1.0])),
)


def as_frame(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(x, index=[f"u{i}" for i in range(len(x))], columns=list(DEEP.indicators))


def by_unit(out: pd.DataFrame) -> pd.DataFrame:
    return out.set_index("unit").sort_index()


@settings(max_examples=60)
@given(
    data_st,
    st.data(),
    st.sampled_from(["minmax", "rank", "none"]),
    st.sampled_from(["arithmetic", "geometric"]),
)
def test_unit_order_does_not_matter(x, data, method, kind):
    if kind == "geometric" and method == "none":
        x = np.abs(x) * np.array([1 if DEEP.direction[c] == 1 else 0 for c in DEEP.indicators])
    perm = np.array(data.draw(st.permutations(range(len(x)))))
    a = by_unit(score_composite(DEEP, as_frame(x), method, kind))
    b = by_unit(score_composite(DEEP, as_frame(x).iloc[perm], method, kind))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


@settings(max_examples=60)
@given(data_st)
def test_missing_indicator_gives_weighted_mean_of_the_rest(x):
    out = by_unit(score_composite(DEEP, as_frame(x)))
    dirs = np.array([DEEP.direction[c] for c in DEEP.indicators])
    norm = pd.DataFrame(normalise(x, dirs), index=as_frame(x).index, columns=list(DEEP.indicators))
    for unit in norm.index:
        # A1 = (1·x1 + 3·x2) / (1 + 3) over the present ones; B likewise with y1, y2
        for node, kids, w in [("A1", ["x1", "x2"], [1, 3]), ("B", ["y1", "y2"], [1, 2])]:
            v = norm.loc[unit, kids].to_numpy(float)
            keep = ~np.isnan(v)
            got = out.at[unit, node]
            if keep.any():
                expect = (v[keep] * np.array(w)[keep]).sum() / np.array(w)[keep].sum()
                assert got == pytest.approx(expect, rel=1e-9, abs=1e-9)
            else:
                assert np.isnan(got)


@settings(max_examples=60)
@given(
    data_st,
    st.sampled_from(["A1", "A", "B", "R"]),
    st.floats(0.01, 100),
    st.sampled_from(["arithmetic", "geometric"]),
)
def test_scaling_a_sibling_set_of_weights_changes_nothing(x, parent, c, kind):
    weights = dict(DEEP.weight)
    for kid in DEEP.children[parent]:
        weights[kid] *= c
    scaled = dataclasses.replace(DEEP, weight=MappingProxyType(weights))
    a = by_unit(score_composite(DEEP, as_frame(x), "rank", kind))
    b = by_unit(score_composite(scaled, as_frame(x), "rank", kind))
    aggregates = list(DEEP.aggregates)
    np.testing.assert_allclose(
        b[aggregates].to_numpy(float), a[aggregates].to_numpy(float), rtol=1e-9, atol=1e-9
    )


@settings(max_examples=60)
@given(data_st)
def test_ranks_are_one_to_n_with_ties_at_the_minimum(x):
    out = score_composite(DEEP, as_frame(x))
    root = out["R"].to_numpy(float)
    ranks = out["rank"]
    scored = ~np.isnan(root)
    assert ranks.isna().to_numpy().tolist() == (~scored).tolist()
    assert (~scored).tolist() == sorted((~scored).tolist())  # unscored units come last
    for i in np.flatnonzero(scored):
        assert ranks.iloc[i] == 1 + int((root[scored] > root[i]).sum())
    if scored.any():
        assert ranks.min() == 1 and ranks.max() <= scored.sum()


@pytest.mark.parametrize("method", ["minmax", "zscore"])
def test_extreme_finite_values_are_normalised_without_overflow(method):
    """issue 18: ±1e308 once overflowed max − min to infinity and the unit's value was
    silently dropped; the result is now that of the same values scaled down."""
    huge = frame({"u1": [1e308, 2, 3], "u2": [-1e308, 1, 0], "u3": [0.0, 5, 5]})
    small = frame({"u1": [1.0, 2, 3], "u2": [-1.0, 1, 0], "u3": [0.0, 5, 5]})
    with np.errstate(all="raise"):
        got = score_composite(S, huge, normalise=method).set_index("unit")
    want = score_composite(S, small, normalise=method).set_index("unit")
    pd.testing.assert_frame_equal(got, want)
    assert got.loc["u1", "rank"] == want.loc["u1", "rank"]
