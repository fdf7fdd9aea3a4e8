"""The agency system wired in (issue 20, item 4): agency-annual's P1–P3 read the approved
results of the contract's own evaluation of its stations (the snapshot in force, forever),
F3 the contract's finance ledger (all stations summed, exact fen); DV-BUDGET raises a
correction below the 90% personnel share and the agency's recommendation follows it.

Hand-computed cases on the workflow county: contract A runs ST01 and ST02, its mid-term
station round scores 50 leaves of 2 points (value v of 10 → 2v/10 points: every leaf at v
gives a total of 10v)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from portfolio_fixtures import (
    agency_round,
    approve,
    import_ledger,
    ledger,
    score_agency_in_full,
    score_station_round,
)
from workflow_fixtures import build_county, final_round

from evaluator import clock
from evaluator.errors import InvalidInput, NotFound
from evaluator.services import appeals, panel_staff
from evaluator.services import rounds as rs
from evaluator.services.cohorts import agency_targets
from evaluator.services.decisions import current_decision
from evaluator.services.scorecards import agency_scorecard, compute_round
from evaluator.services.scoring import record_scores
from evaluator.store.base import Role
from evaluator.store.decisions import Finding
from evaluator.store.rounds import ApprovalSnapshot, Round

P_LEAVES = ("P1", "P2", "P3")


@pytest.fixture
async def county(db):
    return await build_county()


def leaves(card: dict) -> dict[str, dict]:
    return {leaf["leaf"]: leaf for leaf in card["leaves"]}


async def test_portfolio_leaves_read_the_approved_station_results(county):
    await score_station_round(county, {"ST01": 10, "ST02": 7})  # totals 100 and 70
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    card = await agency_scorecard(county.actors["bureau"], round_.id)
    got = leaves(card)
    assert {code: got[code]["source"] for code in P_LEAVES} == dict.fromkeys(P_LEAVES, "results")
    assert got["P1"]["raw"] == 2  # two stations: the step at 1 → 0.333 of 3 points
    assert got["P1"]["points"] == pytest.approx(0.333 * 3)
    assert got["P2"]["raw"] == pytest.approx(85.0)  # (100 + 70) / 2
    assert got["P2"]["points"] == pytest.approx(10 * (0.85 - 0.6) / 0.3)
    assert got["P3"]["raw"] == 1.0 and got["P3"]["points"] == pytest.approx(5)
    detail = got["P2"]["measured"]["detail"]
    assert detail["rounds"][0]["round"] == str(county.round_a.id)
    assert detail["rounds"][0]["snapshot"] == str(
        (await Round.get(id=county.round_a.id)).snapshot_in_force
    )
    assert [(s["code"], s["total"], s["grade"], s["passed"]) for s in detail["stations"]] == [
        ("ST01", 100.0, "good", True),
        ("ST02", 70.0, "good", True),
    ]
    portfolio = card["portfolio"]
    assert (portfolio["evaluated"], portfolio["mean"], portfolio["passing"]) == (2, 85.0, 2)


async def test_a_failing_station_lowers_p3_and_is_named(county):
    await score_station_round(county, {"ST01": 10, "ST02": 5.5})  # 100 good, 55 fail
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    got = leaves(await agency_scorecard(county.actors["bureau"], round_.id))
    assert got["P3"]["raw"] == 0.5 and got["P3"]["points"] == 0  # below the 0.8 band
    assert got["P2"]["raw"] == pytest.approx(77.5)
    stations = got["P3"]["measured"]["detail"]["stations"]
    assert [(s["code"], s["grade"], s["passed"]) for s in stations] == [
        ("ST01", "good", True),
        ("ST02", "fail", False),
    ]


async def test_without_approved_station_results_the_raters_values_stand(county):
    await score_station_round(county, {"ST01": 10, "ST02": 7})  # scored, not approved
    round_ = await agency_round(county)
    unit = str(county.agency_a.id)
    await record_scores(
        county.actors["evaluator"],
        round_.id,
        pd.DataFrame([{"unit": unit, "leaf": "P1", "value": 4.0}]),
    )
    card = await agency_scorecard(county.actors["bureau"], round_.id)
    got = leaves(card)
    assert got["P1"]["source"] == "raters" and got["P1"]["raw"] == 4
    assert card["portfolio"] is None


async def test_what_was_approved_is_what_is_shown_forever(county):
    bureau, unit = county.actors["bureau"], str(county.agency_a.id)
    await score_station_round(county, {"ST01": 10, "ST02": 7})  # 100 and 70
    await approve(county, county.round_a)
    first = await approve(county, await agency_round(county))
    # the station round is reopened; a second rater (evaluator2, on the panel from the
    # start) gives ST02 1 everywhere: (7 + 1) / 2 → 40, failing, once approved again
    station_round = await Round.get(id=county.round_a.id)
    station_round = await rs.reopen_round(bureau, station_round, station_round.version, "复核")
    await record_scores(
        county.actors["evaluator2"],
        station_round.id,
        pd.DataFrame([{"unit": "ST02", "leaf": f"L{i:02d}", "value": 1.0} for i in range(50)]),
    )
    # an agency round approved meanwhile reads the last approved results: 85
    second = await approve(county, await agency_round(county))
    station_round = await approve(county, station_round)
    # the agency's appeal on G5 is upheld after the station round's new approval: the
    # rescore amends the first approval and reads what it read
    appeal = await appeals.submit_appeal(
        county.actors["agency_a"], first.id, unit, ["G5"], "制度汇编已补交"
    )
    await appeals.decide_appeal(
        county.actors["lead"],
        appeal.id,
        uphold=True,
        answer="核实后改为 2 级",
        rescored={"G5": 2},
        expected_version=appeal.version,
    )
    for agency in (first, second):
        agency = await Round.get(id=agency.id)
        done = await compute_round(agency)
        assert done.notes[(unit, "P2")]["value"] == pytest.approx(85.0)
        assert done.notes[(unit, "P3")]["value"] == 1.0
        assert await rs.verify_snapshot(await ApprovalSnapshot.get(id=agency.snapshot_in_force))
    got = leaves(await agency_scorecard(bureau, first.id))
    assert got["P2"]["raw"] == pytest.approx(85.0) and got["G5"]["raw"] == 2
    assert await ApprovalSnapshot.filter(round_id=first.id).count() == 2  # approval + appeal
    # a new agency round reads the snapshot now in force
    third = await agency_round(county)
    got = leaves(await agency_scorecard(bureau, third.id))
    assert got["P2"]["raw"] == pytest.approx(70.0) and got["P3"]["raw"] == 0.5
    assert got["P2"]["measured"]["detail"]["rounds"][0]["snapshot"] == str(
        station_round.snapshot_in_force
    )


async def test_the_latest_own_evaluation_on_or_before_the_round_s_date(county):
    await score_station_round(county, {"ST01": 10, "ST02": 7})
    await approve(county, county.round_a)
    final = await final_round(county)  # 2026-12-31
    for name, role in (("lead", Role.LEAD_EVALUATOR), ("evaluator", Role.EVALUATOR)):
        await panel_staff.assign(county.admin, final, county.users[name], role)
    final = await rs.open_round(county.actors["lead"], final, final.version)
    await score_station_round(county, {"ST01": 9}, final)
    with clock.pinned(dt.date(2026, 12, 31)):  # approved on its date
        await approve(county, final)
    mid_year = await agency_round(county, dt.date(2026, 6, 30))
    year_end = await agency_round(county, dt.date(2026, 12, 31))
    bureau = county.actors["bureau"]
    got = leaves(await agency_scorecard(bureau, mid_year.id))["P2"]["measured"]["detail"]
    assert got["rounds"][0]["round"] == str(county.round_a.id)
    got = leaves(await agency_scorecard(bureau, year_end.id))["P2"]["measured"]["detail"]
    assert got["rounds"][0]["round"] == str(final.id)
    # the final round: ST01 at 9 → 90, ST02 unscored (missing: zero) → 0
    assert [(s["code"], s["total"]) for s in got["stations"]] == [("ST01", 90.0), ("ST02", 0.0)]


async def test_f3_is_the_personnel_share_of_the_contract_ledger_in_fen(county, tmp_path):
    await score_station_round(county, {"ST01": 10, "ST02": 7})
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    rows = [
        ("ST01", "人员经费", 123456),
        ("ST01", "活动经费", 10001),
        ("ST02", "人员经费", 99999),
        ("", "行政办公", 5000),  # contract-level: counts once for the agency
    ]
    await import_ledger(county, round_, ledger(rows), tmp_path)
    f3 = leaves(await agency_scorecard(county.actors["bureau"], round_.id))["F3"]
    assert f3["source"] == "register"
    assert f3["measured"]["detail"] == {
        "category_fen": 223455,
        "total_fen": 238456,
        "category": "personnel",
    }
    assert f3["measured"]["value"] == 223455 / 238456  # exact: one division of integer fen
    assert f3["raw"] == pytest.approx(223455 / 238456)  # as the scorecard rounds it
    assert f3["points"] == pytest.approx(3)  # 93.7% ÷ 90% ≥ 0.97: full
    got = leaves(await agency_scorecard(county.actors["bureau"], round_.id))
    # F4: contract A's stations give no budget → unscored and said so, never a guess
    assert (
        got["F4"]["measured"]["flags"] == ["no_target"]
        and got["F4"]["measured"]["value"] == 2384.56
    )
    # F6: every entry has its vouchers
    assert got["F6"]["measured"]["detail"] == {"complete": 4, "entries": 4}


def test_the_agency_s_targets_are_its_stations_summed():
    stations = [
        {"budget": 300000, "cases": 20, "staff": 3},
        {"budget": 250000.5},
        None,
        {"x": True},
    ]
    assert agency_targets(stations) == {"budget": 550000.5, "cases": 20, "staff": 3}
    assert agency_targets([]) == {}


async def test_a_ledger_row_of_another_contract_s_station_is_refused(county, tmp_path):
    round_ = await agency_round(county)
    with pytest.raises(InvalidInput) as refused:
        await import_ledger(county, round_, ledger([("ST03", "人员经费", 100)]), tmp_path)
    text = str(refused.value)
    assert "ST03" in text and "不属于本轮评估" in text and "is not scored in this round" in text


async def test_a_personnel_share_below_90_percent_opens_dv_budget_and_conditions_renewal(
    county, tmp_path
):
    await score_station_round(county, {"ST01": 10, "ST02": 10})
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    # personnel 89.99% (operations 10.01%): just below the county plan's 90%
    await import_ledger(
        county,
        round_,
        ledger([("ST01", "人员经费", 899900), ("ST02", "活动经费", 100100)]),
        tmp_path,
    )
    await score_agency_in_full(county, round_)
    round_ = await approve(county, round_)
    unit = str(county.agency_a.id)
    findings = await Finding.filter(round_id=round_.id).values_list("unit", "rule", "severity")
    assert findings == [(unit, "DV-BUDGET", "correction")]
    budget = await Finding.get(round_id=round_.id, rule="DV-BUDGET")
    assert budget.causes[0]["code"] == "F3"
    assert budget.causes[0]["attainment"] == pytest.approx(0.8999 / 0.9, abs=1e-6)
    assert "F3" in budget.explanation_zh and "F3" in budget.explanation_en
    decision = await current_decision(county.actors["bureau"], round_.id)
    assert decision.recommended == "conditional"
    assert [r["rule"] for r in decision.reasons] == ["open_findings"]
    assert "存在未结的整改类问题：阳光社工 DV-BUDGET（整改）" in decision.explanation_zh
    assert "DV-BUDGET (correction) at 阳光社工" in decision.explanation_en
    assert unit not in decision.explanation_zh  # the agency by its name, not its id


async def test_at_90_percent_nothing_is_open_and_the_agency_is_renewed(county, tmp_path):
    await score_station_round(county, {"ST01": 10, "ST02": 10})
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    await import_ledger(
        county, round_, ledger([("ST01", "人员经费", 900000), ("", "行政办公", 100000)]), tmp_path
    )
    await score_agency_in_full(county, round_)
    round_ = await approve(county, round_)
    assert await Finding.filter(round_id=round_.id).count() == 0
    decision = await current_decision(county.actors["bureau"], round_.id)
    assert decision.recommended == "renew"


async def test_an_agency_sees_its_own_portfolio_only(county):
    await score_station_round(county, {"ST01": 10, "ST02": 7})
    await score_station_round(county, {"ST03": 2}, county.round_b)  # agency B's station
    await approve(county, county.round_a)
    await approve(county, county.round_b)
    round_ = await agency_round(county)
    round_ = await approve(county, round_)
    card = await agency_scorecard(county.actors["agency_a"], round_.id)
    assert [s["code"] for s in card["portfolio"]["stations"]] == ["ST01", "ST02"]
    with pytest.raises(NotFound):  # agency B never learns that the round exists
        await agency_scorecard(county.actors["agency_b"], round_.id)


async def test_the_evaluator_s_form_shows_the_results_the_leaves_read(county):
    from evaluator.services.scoring_form import scoring_form

    await score_station_round(county, {"ST01": 10, "ST02": 7})
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    form = await scoring_form(county.actors["evaluator"], round_.id, str(county.agency_a.id))
    shown = {
        leaf["code"]: leaf["register"] for family in form["families"] for leaf in family["leaves"]
    }
    assert shown["P2"]["kind"] == "station_results" and shown["P2"]["value"] == 85.0
    assert shown["P3"]["detail"] == {"evaluated": 2, "passing": 2}
    assert shown["F3"] is None  # no ledger imported yet


async def test_the_agency_s_report_lists_the_stations_it_read(county):
    from evaluator.reporting.report import render_markdown
    from evaluator.services.reports import contract_report

    await score_station_round(county, {"ST01": 10, "ST02": 5.5})  # 100 good, 55 fail
    await approve(county, county.round_a)
    round_ = await agency_round(county)
    text = render_markdown(await contract_report(county.actors["bureau"], round_.id))
    assert "服务组合指标（P1–P3）读取本合同 2026-06-30" in text
    assert "2 个站点，合格及以上且无否决 1 个，平均 77.50 分" in text
    assert "| ST02 | 55.00 | 100 | 不合格 | — | 否 |" in text


async def test_an_agency_round_neither_moves_a_tranche_nor_counts_as_a_station(county, tmp_path):
    """The agency round scores the organisation: its approval (kind annual, which for a
    station round is the final evaluation) triggers no tranche, and the county's roll-up
    counts the stations its station round graded, not the agency beside them."""
    from evaluator.services.rollups import document, region_rollup
    from evaluator.services.tranches import contract_tranches
    from evaluator.store.contracts import Contract

    await score_station_round(county, {"ST01": 10, "ST02": 10})
    await approve(county, county.round_a)  # the mid-term: the second tranche's trigger
    contract = await Contract.get(id=county.round_a.contract_id)

    async def statuses():
        _, table = await contract_tranches(county.actors["bureau"], contract.id)
        return {t.code: (t.status, t.trigger_on) for t in table}

    before = await statuses()
    round_ = await agency_round(county)
    await import_ledger(
        county, round_, ledger([("ST01", "人员经费", 900000), ("", "行政办公", 100000)]), tmp_path
    )
    await score_agency_in_full(county, round_)
    round_ = await approve(county, round_)
    assert (await current_decision(county.actors["bureau"], round_.id)).recommended == "renew"
    assert await statuses() == before  # the final tranche still waits for the final evaluation
    year = str(round_.as_of.year)
    rows = document(await region_rollup(county.admin, None, year))["rows"]
    graded = sum(r["figures"].get("stations_graded", 0) for r in rows if r["depth"] == 0)
    assert graded == 2  # ST01 and ST02, not the agency
