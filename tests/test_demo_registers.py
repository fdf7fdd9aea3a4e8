"""The demo county's registers: its flawed station loses exactly what its four flaws cost,
explained per leaf, in memory and in the stored rounds' scorecards."""

from __future__ import annotations

import pytest

from evaluator.demo import cast, demo_inputs, make_county, run_demo, with_registers
from evaluator.demo_text import format_demo
from evaluator.engine import score
from evaluator.services.actors import Actor
from evaluator.services.demo_load import load_demo
from evaluator.services.scorecards import station_scorecard
from evaluator.shipped import shipped_system
from evaluator.store.contracts import Station
from evaluator.store.registers import RegisterImport
from evaluator.systems import load_system

# Hand-computed from the station-annual bands (mid-term, elapsed 0.5):
# A1.4 qualified share 2/3 ≥ 0.5 → share 0.5: 0.5 × 0.5 = 0.25 of 0.5 → loses 0.25
# A4.1 on time 4/5 = 0.8 ≥ 0.75 → share 0.33: 1.5 × 0.33 = 0.495 of 1.5 → loses 1.005
# C1.3 groups 2 / (5 × 0.5) = 0.8 ≥ 0.8 → share 0.667: 1.334 of 2 → loses 0.666
# E1.1 46 valid responses < min_n 60 (35 phone < quota 50) → 0 of 8; its clean twin's 62
#      valid responses average 4.4484 → (4.4484 − 3) / 1.5 × 8 = 7.7247 → loses 7.7247
LOST = {"A1.4": 0.25, "A4.1": 1.005, "C1.3": 0.666, "E1.1": 7.7247}


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    system = load_system(shipped_system("station-annual"))
    county = make_county(2026)
    base = demo_inputs(county, system, 2026, 0.5)
    out = {}
    for flaws in (True, False):
        inputs, _, notes = with_registers(
            county, system, base, 2026, 0.5, tmp_path_factory.mktemp("r"), flaws
        )
        out[flaws] = (score(system, inputs), notes)
    return system, county, out


def test_flawed_station_loses_exactly_what_its_flaws_cost(twins):
    system, county, out = twins
    station = cast(county)["flawed"][0]
    (flawed, _), (clean, _) = out[True], out[False]
    leaves = [lf.code for lf in system.leaves]
    lost = (clean.node_points.loc[station, leaves] - flawed.node_points.loc[station, leaves]).round(
        6
    )
    changed = lost[lost.abs() > 1e-9].to_dict()
    assert set(changed) == {"A1.4", "A4.1", "C1.3", "E1.1"}
    for leaf, points in LOST.items():
        assert changed[leaf] == pytest.approx(points, abs=1e-4)
    assert flawed.node_points.loc[station, "E1.1"] == 0 and changed["E1.1"] == pytest.approx(
        clean.node_points.loc[station, "E1.1"]
    )
    assert clean.node_points.loc[station, "E1.1"] == pytest.approx(7.7247, abs=1e-4)
    assert float(clean.total[station] - flawed.total[station]) == pytest.approx(
        sum(changed.values()), abs=0.01
    )
    # other stations are untouched by the flaws
    others = [u for u in flawed.units if u != station]
    assert (flawed.total[others] == clean.total[others]).all()


def test_each_flaw_is_explained_on_its_leaf(twins):
    _, county, out = twins
    station = cast(county)["flawed"][0]
    notes = out[True][1]
    assert (
        notes[(station, "A4.1")]["detail"]["on_time"] == 4
        and len(notes[(station, "A4.1")]["detail"]["late"]) == 1
    )
    assert notes[(station, "A1.4")]["detail"]["overdue"] == [f"{station}-P01"]
    assert notes[(station, "C1.3")]["detail"] == {
        "qualified": 2,
        "recorded": 3,
        "min_sessions": 6,
        "min_person_times": 42,
    }
    survey = notes[(station, "E1.1")]
    assert (
        survey["flags"] == ["insufficient_sample"]
        and survey["detail"]["phone"] == 35
        and survey["n"] == 46
    )


def test_demo_text_explains_the_flawed_station():
    text = format_demo(run_demo(None))
    block = text[text.index("台账问题 Register findings") :]
    assert "A4.1" in block and "迟交 late" in block and "A1.4" in block and "C1.3" in block
    assert "E1.1" in block and "样本不足/thin sample" in block


async def test_stored_demo_rounds_import_registers_and_scorecards_show_them(db):
    report = run_demo(None)
    await load_demo(report)
    station = cast(report.county)["flawed"][0]
    assert await RegisterImport.filter(active=True).count() == 6 * len(report.county.contracts)
    found = await Station.get(code=station)
    contract = report.county.contract_of(station)
    from evaluator.store.contracts import Contract
    from evaluator.store.rounds import Round

    round_ = await Round.get(contract__code=contract.code)
    card = await station_scorecard(Actor.system(), round_.id, found.id)
    assert card["total"] == pytest.approx(float(report.result.total[station]))
    leaves = {leaf["leaf"]: leaf for leaf in card["leaves"]}
    assert (
        leaves["A4.1"]["source"] == "register"
        and leaves["A4.1"]["measured"]["detail"]["on_time"] == 4
    )
    assert leaves["E1.1"]["measured"]["flags"] == ["insufficient_sample"]
    assert leaves["C2.1"]["source"] == "raters" and leaves["C2.1"]["measured"] is None
    assert await Contract.filter(code=contract.code).count() == 1
