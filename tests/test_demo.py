"""The synthetic demo county: deterministic, realistic enough, and telling its story
(weak stations, a thin sample, one veto, missing leaves, bonus) with any system."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluator.demo.county import make_county, uscc_check
from evaluator.demo.scoring import demo_inputs, run_demo
from evaluator.demo.text import format_demo, pad, text_width
from evaluator.engine import score
from evaluator.shipped import shipped_system
from evaluator.systems import load_system, parse_system

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def system():
    return load_system(shipped_system("station-annual"))


@pytest.fixture(scope="module")
def report():
    return run_demo(None)


def test_county_is_deterministic_for_a_seed(system):
    assert make_county(11) == make_county(11)
    assert make_county(11) != make_county(12)
    a = demo_inputs(make_county(11), system, seed=11)
    b = demo_inputs(make_county(11), system, seed=11)
    pd.testing.assert_frame_equal(a, b)
    c = demo_inputs(make_county(11), system, seed=12)
    assert not a.equals(c)


def test_county_shape_and_names():
    county = make_county()
    assert len(county.agencies) >= 3
    assert len(county.stations) >= 12
    assert county.bureau.name.endswith("县民政局")
    assert len({s.code for s in county.stations}) == len(county.stations)
    assert len({s.township for s in county.stations}) == len(county.stations)
    for st in county.stations:
        assert st.name == f"{st.township}社会工作服务站"
        assert st.agency in {a.code for a in county.agencies}
    for ag in county.agencies:
        assert ag.name.startswith(county.bureau.county) and "社会工作" in ag.name
        assert (
            len(ag.uscc) == 18 and ag.uscc[:2] == "52" and ag.uscc[2:8] == county.bureau.county_code
        )
        assert uscc_check(ag.uscc[:17]) == ag.uscc[17]
    covered = [s for c in county.contracts for s in c.stations]
    assert sorted(covered) == sorted(s.code for s in county.stations)


def test_uscc_check_character_on_a_published_example():
    # GB 32100-2015 appendix-style example: 91350100M000100Y43 is a valid code
    assert uscc_check("91350100M000100Y4") == "3"


def _ints(obj, path="county"):
    """Every field named *fen must be a plain int."""
    if is_dataclass(obj):
        for f in fields(obj):
            value = getattr(obj, f.name)
            if f.name.endswith("fen"):
                assert type(value) is int, f"{path}.{f.name} is {type(value).__name__}"
            _ints(value, f"{path}.{f.name}")
    elif isinstance(obj, tuple):
        for i, v in enumerate(obj):
            _ints(v, f"{path}[{i}]")


def test_money_is_integer_fen_and_tranches_add_up():
    county = make_county()
    _ints(county)
    for contract in county.contracts:
        assert [t.percent for t in contract.tranches] == [50, 30, 20]
        assert sum(t.amount_fen for t in contract.tranches) == contract.amount_fen
        assert contract.amount_fen == sum(t.amount_fen for t in contract.targets)
        assert isinstance(contract.start, date) and contract.end > contract.start
        for t in contract.targets:
            assert 300_000_00 <= t.amount_fen <= 600_000_00
            assert 2 <= t.staff <= 5


def test_every_leaf_has_values_for_most_stations_and_every_method_appears(system, report):
    inputs = report.inputs
    n_stations = len(report.county.stations)
    have = inputs.dropna(subset=["value"]).groupby("leaf")["unit"].nunique()
    for leaf in system.leaves + system.bonus_leaves:
        assert have.get(leaf.code, 0) >= 0.8 * n_stations, leaf.code
    for veto in system.spec.vetoes:
        assert have.get(veto.code, 0) == n_stations
    methods = {lf.method for lf in system.leaves + system.bonus_leaves if lf.code in have.index}
    assert methods == {"checklist", "ratio", "rubric", "likert", "count", "deduction", "bonus"}


def test_prorated_leaves_carry_target_and_elapsed(system, report):
    inputs = report.inputs
    for leaf in system.leaves:
        if getattr(leaf.spec, "prorate", False):
            rows = inputs[inputs["leaf"] == leaf.code]
            assert (rows["elapsed"] == report.elapsed).all(), leaf.code
            if leaf.spec.target is None:
                assert (rows["target"] > 0).all(), leaf.code


def test_story_one_veto_thin_sample_missing_bonus_and_a_spread_of_grades(system, report):
    result = report.result
    vetoed = result.vetoed
    assert vetoed.sum() == 1
    lowest = system.spec.grades[-1].code
    assert result.grade[vetoed].iloc[0] == lowest
    flags = result.flags()
    assert (flags["flag"] == "insufficient_sample").any()
    assert 1 <= flags.loc[flags["flag"] == "missing", "unit"].nunique() <= 2
    assert (result.bonus_total > 0).sum() >= 2
    good = result.grade.isin(["excellent", "good"]).sum()
    assert good > len(result) / 2  # mostly 良好/优秀
    assert (result.grade == lowest).sum() >= 2  # the weak stations fail too


def test_run_demo_writes_its_files_and_registers(tmp_path):
    rep = run_demo(tmp_path / "out")
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "county.json",
        "raw-inputs.csv",
        "registers",
        "scores.csv",
    ]
    for contract in rep.county.contracts:
        folder = out / "registers" / contract.code
        assert sorted(p.stem for p in folder.iterdir()) == sorted(rep.registers[contract.code])
    raw = (out / "raw-inputs.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(out / "raw-inputs.csv", encoding="utf-8-sig")
    assert list(back.columns) == ["unit", "leaf", "item", "value", "target", "n", "elapsed"]
    assert len(back) == len(rep.inputs)
    scores = pd.read_csv(out / "scores.csv", encoding="utf-8-sig")
    assert set(scores["unit"]) == {s.code for s in rep.county.stations}
    doc = json.loads((out / "county.json").read_text(encoding="utf-8"))
    contract = doc["contracts"][0]
    assert isinstance(contract["amount_fen"], int)
    assert date.fromisoformat(contract["start"]) == rep.county.contracts[0].start
    assert doc["bureau"]["name"] == rep.county.bureau.name


def test_format_demo_lists_every_station(report):
    text = format_demo(report)
    for st in report.county.stations:
        assert st.code in text and st.township in text
    assert report.system.content_hash[:15] in text
    assert "否决/veto" in text and "样本不足/thin sample" in text and "缺项/missing" in text
    weakest = report.result.total.idxmin()
    assert f"Weakest station {weakest}" in text


def test_display_width_counts_cjk_double():
    assert text_width("ST01") == 4
    assert text_width("白马镇") == 6
    assert text_width(pad("白马镇", 8)) == 8
    assert pad("12", 5, right=True) == "   12"


TINY = """
system: {id: tiny, version: "1", name: {zh: 示例, en: Tiny example}, unit: station, total_points: 10}
grades:
  - {code: pass, zh: 合格, en: Pass, min: 6}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
vetoes:
  - {code: X1, name: {zh: 转包, en: Subcontracting}}
tree:
  - code: A
    name: {zh: 行政合规, en: Compliance}
    points: 10
    children:
      - code: A1
        name: {zh: 制度, en: Rules}
        points: 4
        method: checklist
        items:
          - {code: a, text: 人员管理制度, points: 2}
          - {code: b, text: 无转包, points: 2}
        veto: X1
      - code: A2
        name: {zh: 个案量, en: Cases}
        points: 6
        method: ratio
        prorate: true
        bands:
          - {min: 1.0, share: 1}
          - {min: 0.8, share: 0.667}
"""


def test_demo_inputs_work_with_any_system():
    tiny = parse_system(TINY, "tiny.yaml")
    county = make_county(3, stations=12, agencies=4)
    raw = demo_inputs(county, tiny, seed=3, elapsed=0.25)
    result = score(tiny, raw)
    assert len(result) == 12
    assert result.vetoed.sum() == 1
    cases = raw[raw["leaf"] == "A2"]
    expected = {s.code: county.targets(s.code).cases for s in county.stations}
    assert np.allclose(cases["target"], cases["unit"].map(expected))  # evidently "cases"
    assert (cases["elapsed"] == 0.25).all()
    vetoed = result.units[result.vetoed.to_numpy()][0]
    b = raw[(raw["unit"] == vetoed) & (raw["leaf"] == "A1") & (raw["item"] == "b")]
    assert b["value"].tolist() in ([0.0], [])  # its 无转包 item is not met


def test_benchmark_script_runs():
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_engine.py"),
            "--units",
            "300",
            "--loop-units",
            "20",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "units/s" in proc.stdout and "extrapolated" in proc.stdout
