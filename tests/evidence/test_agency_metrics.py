"""The agency's metrics, pure: the portfolio metrics over the stations' approved results
(hand-computed cases and properties) and the personnel share of a contract's ledger as an
agency round reads it (every station's rows summed, exact fen)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.errors import SystemInvalid
from evaluator.evidence.measure import compute_metrics
from evaluator.evidence.metrics import METRICS, RESULTS_KIND, Period
from evaluator.evidence.metrics.results import RESULTS_COLUMNS
from evaluator.shipped import shipped_system
from evaluator.systems import load_system, parse_system

YEAR = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
AGENCY = "AG"


def results(stations: list[tuple], unit: str = AGENCY, out_of: float = 100.0) -> pd.DataFrame:
    """Rows of one approved station round: (code, total, grade, vetoes)."""
    return pd.DataFrame(
        [
            {
                "station": unit,
                "evaluated": code,
                "round": "R-mid",
                "round_kind": "mid_term",
                "as_of": "2026-06-30",
                "snapshot": "S-1",
                "total": float(total),
                "out_of": out_of,
                "grade": grade,
                "grade_zh": grade,
                "lowest_grade": "fail",
                "vetoes": vetoes,
            }
            for code, total, grade, vetoes in stations
        ],
        columns=list(RESULTS_COLUMNS),
    )


def run(name: str, frame: pd.DataFrame, units=(AGENCY,)) -> pd.DataFrame:
    return METRICS[name].run(frame, list(units), YEAR)


PORTFOLIO = [
    ("ST01", 92.5, "excellent", ""),
    ("ST02", 71.0, "pass", ""),
    ("ST03", 58.0, "fail", ""),
    ("ST04", 88.0, "fail", "V1"),  # vetoed: failed whatever its total
    ("ST05", 65.5, "pass", ""),
]


def test_portfolio_hand_computed():
    frame = results(PORTFOLIO)
    assert run("stations_evaluated", frame).loc[AGENCY, "value"] == 5
    # (92.5 + 71 + 58 + 88 + 65.5) / 5 = 375 / 5 = 75
    mean = run("stations_mean_score", frame).loc[AGENCY]
    assert mean["value"] == pytest.approx(75.0) and mean["detail"]["mean"] == pytest.approx(75.0)
    # passing: ST01, ST02, ST05 (ST03 the lowest grade, ST04 vetoed) → 3 / 5
    share = run("stations_passing_share", frame).loc[AGENCY]
    assert share["value"] == pytest.approx(0.6) and share["n"] == 5
    assert share["detail"]["passing"] == 3
    named = {s["code"]: (s["passed"], s["vetoes"]) for s in share["detail"]["stations"]}
    assert named["ST03"] == (False, []) and named["ST04"] == (False, ["V1"])
    assert share["detail"]["rounds"] == [
        {"round": "R-mid", "kind": "mid_term", "as_of": "2026-06-30", "snapshot": "S-1"}
    ]


def test_scores_are_points_of_100_of_the_station_system():
    frame = results([("ST01", 850, "good", ""), ("ST02", 700, "pass", "")], out_of=1000.0)
    assert run("stations_mean_score", frame).loc[AGENCY, "value"] == pytest.approx(77.5)


def test_no_results_no_value():
    frame = results([])
    assert run("stations_evaluated", frame).loc[AGENCY, "value"] == 0
    assert np.isnan(run("stations_mean_score", frame).loc[AGENCY, "value"])
    assert np.isnan(run("stations_passing_share", frame).loc[AGENCY, "value"])


def test_agency_annual_fills_p1_to_p3_and_f3_through_the_one_measure_path():
    system = load_system(shipped_system("agency-annual"))
    doc = compute_metrics(results(PORTFOLIO), RESULTS_KIND, system, [AGENCY], YEAR)
    assert sorted(doc["leaves"]) == ["P1", "P2", "P3"]
    assert doc["leaves"]["P3"]["stations"][AGENCY]["value"] == pytest.approx(0.6)


GRADES = st.sampled_from(["excellent", "good", "pass", "fail"])
STATION = st.tuples(st.floats(0, 100), GRADES, st.sampled_from(["", "", "", "V2"]))


@given(st.lists(STATION, min_size=1, max_size=12), STATION)
def test_passing_share_is_a_share_and_one_more_passing_station_never_lowers_it(stations, extra):
    rows = [(f"ST{i:02d}", t, g, v) for i, (t, g, v) in enumerate(stations)]
    before = run("stations_passing_share", results(rows)).loc[AGENCY, "value"]
    assert 0.0 <= before <= 1.0
    passing = (f"ST{len(rows):02d}", extra[0], "pass", "")
    after = run("stations_passing_share", results([*rows, passing])).loc[AGENCY, "value"]
    assert 0.0 <= after <= 1.0 and after >= before - 1e-12
    # and another agency's stations never change it
    mixed = pd.concat([results(rows), results([("X1", 10.0, "fail", "V1")], unit="OTHER")])
    assert run("stations_passing_share", mixed).loc[AGENCY, "value"] == before


# --- F3: the contract's ledger as an agency round reads it --------------------------------

CATEGORIES = st.sampled_from(["personnel", "activity", "training", "admin", "equipment", "other"])
ENTRY = st.tuples(st.sampled_from(["ST01", "ST02", ""]), CATEGORIES, st.integers(1, 10**9))


def ledger(entries) -> pd.DataFrame:
    """The finance frame an agency round computes on: every row's station is the agency
    (services/registers.py: an agency is scored on all its rows)."""
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-03-05"] * len(entries)),
            "station": [AGENCY] * len(entries),
            "category": [c for _, c, _ in entries],
            "amount": np.asarray([fen for _, _, fen in entries], dtype=np.int64),
            "voucher_complete": [True] * len(entries),
        }
    )


def test_personnel_share_of_all_stations_in_fen():
    entries = [
        ("ST01", "personnel", 1_234_567),
        ("ST02", "personnel", 7_654_321),
        ("ST01", "activity", 500_000),
        ("", "admin", 487_654),  # contract-level: once
    ]
    share = run("spending_share", ledger(entries)).loc[AGENCY]
    # personnel 8,888,888 fen of 9,876,542 fen
    assert share["detail"] == {
        "category_fen": 8_888_888,
        "total_fen": 9_876_542,
        "category": "personnel",
    }
    assert share["value"] == 8_888_888 / 9_876_542


@given(st.lists(ENTRY, min_size=1, max_size=30), st.data())
def test_the_personnel_share_is_invariant_under_splitting_a_row_in_two(entries, data):
    before = run("spending_share", ledger(entries)).loc[AGENCY]
    i = data.draw(st.integers(0, len(entries) - 1))
    station, category, fen = entries[i]
    if fen < 2:
        return
    cut = data.draw(st.integers(1, fen - 1))
    split = [
        *entries[:i],
        (station, category, cut),
        (station, category, fen - cut),
        *entries[i + 1 :],
    ]
    after = run("spending_share", ledger(split)).loc[AGENCY]
    assert after["detail"] == before["detail"]  # the same fen, exactly
    assert after["value"] == before["value"]
    assert 0.0 <= after["value"] <= 1.0


# --- the language: the portfolio metrics belong to agency systems --------------------------

STATION_SYSTEM = """
system: {id: tiny, version: "1", name: {zh: 示例, en: Tiny}, unit: station, total_points: 10}
grades:
  - {code: pass, zh: 合格, en: Pass, min: 6}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
tree:
  - code: A
    name: {zh: 组合, en: Portfolio}
    points: 10
    children:
      - code: A1
        name: {zh: 合格率, en: Passing}
        points: 10
        method: ratio
        measure: {metric: stations_passing_share}
        linear: {floor: 0, cap: 1}
"""


def test_a_station_system_may_not_read_the_stations_results():
    with pytest.raises(SystemInvalid) as refused:
        parse_system(STATION_SYSTEM, "tiny.yaml")
    (problem,) = refused.value.problems
    assert problem.where == "tiny.yaml:15 tree[0].children[0].measure.metric"
    assert "fills leaves of an agency system" in problem.en and "仅适用于评估机构" in problem.zh
    parse_system(STATION_SYSTEM.replace("unit: station", "unit: agency"), "tiny.yaml")
