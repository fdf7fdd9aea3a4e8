"""The demo county's registers: its flawed station loses exactly what its four flaws cost,
explained per leaf, in memory and in the stored rounds' scorecards."""

from __future__ import annotations

import pytest

from evaluator.demo.county import cast, make_county
from evaluator.demo.load import load_demo
from evaluator.demo.scoring import demo_inputs, run_demo, with_registers
from evaluator.demo.text import format_demo
from evaluator.engine import score
from evaluator.services.actors import Actor
from evaluator.services.scorecards import station_scorecard
from evaluator.shipped import shipped_system
from evaluator.store.contracts import Station
from evaluator.store.registers import RegisterImport
from evaluator.systems import load_system

# Hand-computed from the station-annual bands (mid-term, elapsed 0.5):
# A1.4 qualified share 2/3 ≥ 0.5 → share 0.5: 0.5 × 0.5 = 0.25 of 0.5 → loses 0.25
# A4.1 on time 6/7 = 0.857 ≥ 0.75 → share 0.33: 1.5 × 0.33 = 0.495 of 1.5 → loses 1.005
#      (contract-02's schedule: 5 monthly briefs, the 2026-Q3 report and the mid-term report
#      due by the round's date 2026-12-30; the third brief is late)
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
    assert notes[(station, "A4.1")]["detail"]["on_time"] == 6 and notes[(station, "A4.1")][
        "detail"
    ]["late"] == ["2026-09"]
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
    mid_term = RegisterImport.filter(active=True, round__kind="mid_term")
    assert await mid_term.count() == 6 * len(report.county.contracts)
    assert await RegisterImport.filter(active=True, round__kind="spot_check").count() == 6
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
        and leaves["A4.1"]["measured"]["detail"]["on_time"] == 6
    )
    assert leaves["E1.1"]["measured"]["flags"] == ["insufficient_sample"]
    assert leaves["C2.1"]["source"] == "raters" and leaves["C2.1"]["measured"] is None
    assert await Contract.filter(code=contract.code).count() == 1


async def test_an_upheld_appeal_overrides_a_measured_leaf_and_moves_the_total(db):
    """The lead upholds an appeal on a register-computed leaf (A4.1, reports on time:
    the register showed one report late); the register no longer wins for
    that station."""
    from evaluator import clock
    from evaluator.services import appeals
    from evaluator.services.actors import actor_for
    from evaluator.store.base import Role
    from evaluator.store.decisions import Decision
    from evaluator.store.orgs import Membership, User
    from evaluator.store.registers import MeasuredOverride
    from evaluator.store.rounds import Round, RoundAssignment

    report = run_demo(None)
    await load_demo(report)
    station = cast(report.county)["flawed"][0]
    contract = report.county.contract_of(station)
    round_ = await Round.get(contract__code=contract.code)
    found = await Station.get(code=station)
    before = await station_scorecard(Actor.system(), round_.id, found.id)
    a41 = next(leaf for leaf in before["leaves"] if leaf["leaf"] == "A4.1")
    assert a41["source"] == "register"
    measured, target = a41["measured"]["value"], 1.0  # the share of reports on time
    assert measured < target
    lead_user = await User.get(
        id=(await RoundAssignment.get(round_id=round_.id, role=Role.LEAD_EVALUATOR)).user_id
    )
    agency_user = await User.get(
        id=(
            await Membership.filter(
                role=Role.AGENCY_USER, organisation_id=(await round_.contract).agency_id
            ).first()
        ).user_id
    )
    lead, agency = await actor_for(lead_user), await actor_for(agency_user)
    decisions = await Decision.filter(round_id=round_.id).count()
    with clock.pinned(round_.appeal_until):  # the last day of the window
        appeal = await appeals.submit_appeal(
            agency, round_.id, station, ["A4.1"], "9 月报表已按时报送，系台账登记错误"
        )
        done = await appeals.decide_appeal(
            lead,
            appeal.id,
            uphold=True,
            answer="核实报送回执后确认按时",
            rescored={"A4.1": target},
            expected_version=appeal.version,
        )
    assert done.state == "upheld"
    after = await station_scorecard(Actor.system(), round_.id, found.id)
    leaf = next(x for x in after["leaves"] if x["leaf"] == "A4.1")
    assert leaf["source"] == "appeal"
    assert leaf["measured"]["override"]["value"] == target
    assert leaf["measured"]["override"]["register_value"] == measured
    assert leaf["measured"]["override"]["reason"] == "核实报送回执后确认按时"
    assert after["total"] > before["total"]
    assert await MeasuredOverride.filter(round_id=round_.id, unit=station).count() == 1
    assert await Decision.filter(round_id=round_.id).count() == decisions + 1  # re-proposed


async def test_the_served_demo_tells_replacements_a_refused_survey_and_an_appeal(db):
    """issue 12's demo: one replacement accepted by the lead, one rejected, the agency's
    survey refused, one appeal upheld on a measured leaf that moves the total."""
    from evaluator.services.registers import register_history
    from evaluator.store.registers import MeasuredOverride
    from evaluator.store.rounds import Round

    report = run_demo(None)
    loaded = await load_demo(report)
    assert len(loaded.story) == 4 and "refused" in loaded.story[2]
    weak = cast(report.county)["weak"][0]
    round_ = await Round.get(contract__code=report.county.contract_of(weak).code)
    finance = (await register_history(round_))["finance"]
    assert [h["state"] for h in finance] == ["replaced", "in_force", "rejected"]
    assert finance[1]["decided_by"] and finance[2]["decision_reason"].startswith(
        "金额与原始凭证不符"
    )
    assert [h["state"] for h in (await register_history(round_))["satisfaction"]] == ["in_force"]
    override = await MeasuredOverride.get(round_id=round_.id, unit=weak)
    assert override.leaf == "A4.1" and override.value == 1.0
    card = await station_scorecard(Actor.system(), round_.id, (await Station.get(code=weak)).id)
    assert card["total"] > float(report.result.total[weak])  # the appeal moved it


def test_the_unreported_station_misses_its_first_quarterly_report():
    """Contract-02 (2026-07-01 – 2027-06-30) asks for quarterly reports due 15 days after
    each quarter besides the monthly briefs and the default mid-term and final reports. By
    its mid-term round's date, 2026-12-30, seven are due: the briefs for July – November
    (10 Aug … 10 Dec), the 2026-Q3 report (15 Oct) and the mid-term report (30 Dec). ST09
    never lists its 2026-Q3 report: 6 of 7 on time = 0.857 ≥ 0.75 → share 0.33 → A4.1
    scores 1.5 × 0.33 = 0.495 of 1.5, and the observation DV-REPORTS names it."""
    report = run_demo(None)
    station = cast(report.county)["unreported"][0]
    contract = report.county.contract_of(station)
    assert station == "ST09" and contract.code.endswith("-02")
    note = report.notes[(station, "A4.1")]
    assert note["metric"] == "reports_scheduled_on_time_share"
    assert note["detail"]["due"] == 7 and note["detail"]["on_time"] == 6
    assert note["detail"]["missing"] == ["2026-Q3"] and note["detail"]["unlisted"] == ["2026-Q3"]
    assert note["value"] == pytest.approx(6 / 7)
    assert float(report.result.node_points.loc[station, "A4.1"]) == pytest.approx(0.495)
    assert note["detail"]["late"] == []  # every report it lists is on time
    finding = next(f for f in report.consequences.findings if f.unit == station)
    assert finding.rule == "DV-REPORTS" and finding.severity == "observation"
    assert "A4.1" in finding.en and "A4.1" in finding.zh
    rows = [line for line in format_demo(report).splitlines() if station in line]
    assert any("DV-REPORTS" in line for line in rows)


def test_the_contract_s_years_to_qualify_on_the_demo_roster(tmp_path):
    """The flawed station's worker P01, hired 2022-03-01 and still unqualified, is overdue
    under the plans' 2 years (deadline 2024-03-01) and under a contract's 3 (2025-03-01) on
    the round's date; only a contract of 5 years would leave them within their deadline."""
    from evaluator.demo.registers import demo_registers, round_date, write_registers
    from evaluator.evidence.metrics import METRICS, Period
    from evaluator.evidence.parse import parse_register

    county = make_county(2026)
    station = cast(county)["flawed"][0]
    contract = county.contract_of(station)
    frames = demo_registers(county, contract, cast(county), 2026, 0.5, True)
    roster = parse_register("staff", write_registers(frames, tmp_path)["staff"]).frame
    on = round_date(contract, 0.5)

    def qualified(years):
        period = Period(contract.start, on, qualification_years=years)
        out = METRICS["qualified_share"].run(roster, [station], period, {"grace_years": 2})
        return out.loc[station, "value"], out.loc[station, "detail"]

    default, detail = qualified(None)
    assert detail["overdue"] == [f"{station}-P01"] and detail["deadline_from"] == "system"
    three, detail = qualified(3)
    assert three == default and detail["overdue"] == [f"{station}-P01"]
    assert (detail["deadline_years"], detail["deadline_from"]) == (3, "contract")
    five, detail = qualified(5)
    assert detail["overdue"] == [] and five == 1.0 > default
