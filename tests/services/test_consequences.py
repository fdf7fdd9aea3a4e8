"""From an approved round to its consequences: findings and their rectification lifecycle,
the recommendation and the bureau's decision, tranches and their release, appeals."""

from __future__ import annotations

import datetime as dt

import pytest
from workflow_fixtures import SYSTEM, build_county

from evaluator import clock
from evaluator.errors import ConflictError, InvalidInput, PermissionDenied, StateError
from evaluator.services import appeals, decisions, findings, tranches
from evaluator.services import rounds as rs
from evaluator.services.evidence import attach_evidence
from evaluator.services.scoring import record_score
from evaluator.store.decisions import Finding
from evaluator.store.rounds import ApprovalSnapshot

RULES = (
    SYSTEM
    + "\n"
    + "\n".join(
        [
            "deviations:",
            "  - {code: D-FAIL, name: {zh: 不合格, en: Fail}, when: {total_below: 60}, severity: suspension, deadline_working_days: 5}",
            "  - {code: D-L00, name: {zh: 指标0偏低, en: Leaf 0 low}, when: {nodes: [L00], attainment_below: 0.6}, severity: correction, deadline_working_days: 3}",
            "  - {code: D-L01, name: {zh: 指标1未满分, en: Leaf 1 short}, when: {nodes: [L01], below: 1.0}, severity: observation}",
            "  - {code: D-VETO, name: {zh: 否决, en: Veto}, when: {veto: any}, severity: termination}",
        ]
    )
)
APPROVED_ON = dt.date(2026, 9, 30)  # the day before the National Day holidays


async def refresh_on(day: dt.date):
    clock.pin(day)
    return await findings.refresh()


async def release_on(day: dt.date, *args):
    clock.pin(day)
    return await tranches.release(*args)


async def approved(
    county, values: dict[str, dict[str, float]], veto: str | None = None, on: dt.date = APPROVED_ON
):
    """Score round A (ST01, ST02): every leaf 10/10 unless ``values`` says otherwise."""
    r = county.round_a
    for unit in ("ST01", "ST02"):
        for i in range(50):
            leaf = f"L{i:02d}"
            await record_score(
                county.actors["evaluator"], r.id, unit, leaf, values.get(unit, {}).get(leaf, 10)
            )
    if veto:
        await record_score(county.actors["evaluator"], r.id, veto, "V1", 1)
    r = await rs.submit_round(county.actors["lead"], r, r.version)
    with clock.pinned(on):
        await rs.approve_round(county.actors["bureau"], r, r.version)
    return r


async def test_findings_open_with_working_day_deadlines_and_explanations(db, evidence_dir):
    county = await build_county(system=RULES)
    await approved(county, {"ST01": {"L00": 5, "L01": 9}})
    found = {
        (f.unit, f.rule): f
        for f in await findings.list_findings(county.actors["bureau"], round_id=county.round_a.id)
    }
    assert set(found) == {("ST01", "D-L00"), ("ST01", "D-L01")}
    low = found[("ST01", "D-L00")]
    # 30 Sep + 3 working days: 1–7 Oct are the National Day holidays, 10 Oct a make-up Saturday
    assert (low.severity, low.state, low.deadline) == ("correction", "open", dt.date(2026, 10, 10))
    assert (
        "L00" in low.explanation_en
        and "50.0%" in low.explanation_en
        and "3 个工作日" in low.explanation_zh
    )
    obs = found[("ST01", "D-L01")]
    assert obs.severity == "observation" and obs.deadline is None


async def test_rectification_lifecycle_legal_and_illegal(db, evidence_dir):
    county = await build_county(system=RULES)
    await approved(county, {"ST01": {"L00": 5}})
    (f,) = await findings.list_findings(county.actors["agency_a"], round_id=county.round_a.id)
    agency, evaluator = county.actors["agency_a"], county.actors["evaluator"]
    with pytest.raises(StateError):  # evidence before a plan
        await findings.act(agency, f.id, "submit_evidence", f.version, evidence=["x"])
    with pytest.raises(PermissionDenied):  # the evaluator does not write the plan
        await findings.act(evaluator, f.id, "submit_plan", f.version, plan="计划")
    with pytest.raises(InvalidInput):
        await findings.act(agency, f.id, "submit_plan", f.version, plan=" ")
    f = await findings.act(agency, f.id, "submit_plan", f.version, plan="十月底前补足个案跟进")
    proof = await attach_evidence(
        agency, county.round_a.id, "整改报告.pdf", "application/pdf", b"%PDF fix"
    )
    with pytest.raises(ConflictError):
        await findings.act(agency, f.id, "submit_evidence", f.version - 1, evidence=[str(proof.id)])
    f = await findings.act(agency, f.id, "submit_evidence", f.version, evidence=[str(proof.id)])
    with pytest.raises(PermissionDenied):  # the agency does not verify itself
        await findings.act(agency, f.id, "verify", f.version)
    with pytest.raises(InvalidInput):
        await findings.act(evaluator, f.id, "reject", f.version, comment="")
    f = await findings.act(evaluator, f.id, "reject", f.version, comment="缺少服务对象签字")
    assert f.state == "rejected" and f.review_comment == "缺少服务对象签字"
    f = await findings.act(agency, f.id, "submit_evidence", f.version, evidence=[str(proof.id)])
    f = await findings.act(evaluator, f.id, "verify", f.version)
    assert f.state == "closed"
    with pytest.raises(StateError):
        await findings.act(agency, f.id, "submit_plan", f.version, plan="again")


async def test_overdue_findings_escalate_and_suspensions_block_tranches(db, evidence_dir):
    county = await build_county(system=RULES)
    low = {f"L{i:02d}": 2 for i in range(50)}  # every leaf 20% → total 20 → fail
    await approved(county, {"ST02": low})
    all_ = {f.rule: f for f in await Finding.filter(unit="ST02")}
    assert all_["D-FAIL"].severity == "suspension" and all_["D-FAIL"].deadline == dt.date(
        2026, 10, 13
    )
    clock.pin(dt.date(2026, 10, 1))
    contract, table = await tranches.contract_tranches(
        county.actors["bureau"], county.contract_a.id
    )
    by_code = {t.code: t for t in table}
    assert sum(t.amount_fen for t in table) == contract.amount_fen == 60_000_000
    assert (
        by_code["T1"].status == "withheld"
        and "suspension D-FAIL @ ST02" in by_code["T1"].blocked_by
    )
    assert all_["D-L00"].deadline == dt.date(2026, 10, 10)
    assert await refresh_on(dt.date(2026, 10, 10)) == (0, 0, 0)  # on the deadline: not yet
    assert await refresh_on(dt.date(2026, 10, 13)) == (0, 1, 1)  # D-L00 expires, escalates
    assert await refresh_on(dt.date(2026, 10, 13)) == (0, 0, 0)  # idempotent
    assert await refresh_on(dt.date(2026, 10, 14)) == (0, 1, 1)  # D-FAIL expires, escalates
    states = {(f.rule, f.severity): f.state for f in await Finding.filter(unit="ST02")}
    assert (
        states[("D-FAIL", "suspension")] == "escalated"
        and states[("D-FAIL", "termination")] == "open"
    )
    assert (
        states[("D-L00", "correction")] == "escalated" and states[("D-L00", "suspension")] == "open"
    )


async def test_recommendation_decision_and_release(db, evidence_dir):
    county = await build_county(system=RULES)
    await approved(county, {})
    bureau = county.actors["bureau"]
    decision = await decisions.current_decision(bureau, county.round_a.id)
    assert (
        decision.recommended == "renew"
        and "≥" not in decision.explanation_en
        and "80" in decision.explanation_en
    )
    with pytest.raises(PermissionDenied):
        await decisions.decide(
            county.actors["lead"],
            county.round_a.id,
            accept=True,
            outcome=None,
            reason="",
            expected_version=1,
        )
    with pytest.raises(InvalidInput):  # an override needs a reason
        await decisions.decide(
            bureau,
            county.round_a.id,
            accept=False,
            outcome="conditional",
            reason=" ",
            expected_version=1,
        )
    decided = await decisions.decide(
        bureau,
        county.round_a.id,
        accept=False,
        outcome="conditional",
        reason="投诉尚在调查",
        expected_version=1,
    )
    assert (decided.status, decided.outcome) == ("overridden", "conditional")
    with pytest.raises(StateError):
        await decisions.decide(
            bureau, county.round_a.id, accept=True, outcome=None, reason="", expected_version=2
        )
    clock.pin(dt.date(2026, 10, 9))
    _, table = await tranches.contract_tranches(bureau, county.contract_a.id)
    status = {t.code: (t.status, t.due_on) for t in table}
    assert status["T1"] == ("due", dt.date(2026, 1, 22))  # 1 Jan + 15 working days
    # mid-term passed 30 Sep; + 15 working days: 8, 9, 10 (make-up Saturday), 12–16, 19–23, 26, 27 Oct
    assert status["T2"] == ("due", dt.date(2026, 10, 27))
    assert status["T3"] == ("scheduled", None)
    with pytest.raises(PermissionDenied):
        await tranches.release(county.actors["agency_a"], county.contract_a.id, "T1")
    with pytest.raises(StateError):
        await release_on(dt.date(2026, 10, 9), bureau, county.contract_a.id, "T3")
    record = await release_on(dt.date(2026, 10, 9), bureau, county.contract_a.id, "T1")
    assert record.amount_fen == 30_000_000
    with pytest.raises(StateError):
        await release_on(dt.date(2026, 10, 9), bureau, county.contract_a.id, "T1")


async def test_a_veto_recommends_rebid_and_withholds_the_mid_term_tranche(db, evidence_dir):
    county = await build_county(system=RULES)
    await approved(county, {}, veto="ST02")
    decision = await decisions.current_decision(county.actors["bureau"], county.round_a.id)
    assert (
        decision.recommended == "rebid"
        and "V1" in decision.explanation_en
        and "否决项成立" in decision.explanation_zh
    )
    clock.pin(dt.date(2026, 10, 9))
    _, table = await tranches.contract_tranches(county.actors["bureau"], county.contract_a.id)
    t2 = next(t for t in table if t.code == "T2")
    assert t2.status == "withheld" and t2.blocked_by[0] == "mid_term_passed:failed"


async def test_appeal_window_uphold_rescoring_and_dismissal(db, evidence_dir):
    county = await build_county(system=RULES)
    await approved(county, {"ST01": {"L00": 5}})
    agency, lead = county.actors["agency_a"], county.actors["lead"]
    round_id = county.round_a.id
    clock.pin(dt.date(2026, 10, 14))
    with pytest.raises(StateError):  # 30 Sep + 5 working days = 13 Oct
        await appeals.submit_appeal(agency, round_id, "ST01", ["L00"], "个案记录漏传")
    clock.pin(dt.date(2026, 10, 9))
    with pytest.raises(PermissionDenied):
        await appeals.submit_appeal(county.actors["bureau"], round_id, "ST01", ["L00"], "x")
    clock.pin(dt.date(2026, 10, 13))
    appeal = await appeals.submit_appeal(agency, round_id, "ST01", ["L00"], "个案记录漏传")
    with pytest.raises(PermissionDenied):
        await appeals.decide_appeal(
            county.actors["evaluator"],
            appeal.id,
            uphold=True,
            answer="ok",
            rescored={"L00": 9},
            expected_version=1,
        )
    with pytest.raises(InvalidInput):
        await appeals.decide_appeal(
            lead,
            appeal.id,
            uphold=True,
            answer="核实补交记录",
            rescored={"L01": 9},
            expected_version=1,
        )
    with pytest.raises(InvalidInput) as exc:  # the lead's value obeys the leaf's bounds
        await appeals.decide_appeal(
            lead,
            appeal.id,
            uphold=True,
            answer="核实补交记录",
            rescored={"L00": -3},
            expected_version=1,
        )
    assert exc.value.problems[0].path == "rescored.L00"
    first = await ApprovalSnapshot.filter(round_id=round_id).count()
    upheld = await appeals.decide_appeal(
        lead, appeal.id, uphold=True, answer="核实补交记录", rescored={"L00": 9}, expected_version=1
    )
    assert upheld.state == "upheld"
    assert await ApprovalSnapshot.filter(round_id=round_id).count() == first + 1  # the old one kept
    clock.pin(dt.date(2026, 10, 9))
    second = await appeals.submit_appeal(agency, round_id, "ST01", ["L02"], "另一项")
    with pytest.raises(InvalidInput):
        await appeals.decide_appeal(
            lead, second.id, uphold=False, answer=" ", rescored=None, expected_version=1
        )
    dismissed = await appeals.decide_appeal(
        lead, second.id, uphold=False, answer="原评分有据", rescored=None, expected_version=1
    )
    assert dismissed.state == "dismissed"
    with pytest.raises(StateError):
        await appeals.decide_appeal(
            lead, second.id, uphold=True, answer="x", rescored={"L02": 1}, expected_version=2
        )
    assert [a.state for a in await appeals.list_appeals(county.actors["bureau"], round_id)] == [
        "upheld",
        "dismissed",
    ]


async def test_a_contract_sets_its_own_deadlines(db, evidence_dir):
    from evaluator.services import contracts as cs

    county = await build_county(system=RULES)
    await cs.create_contract(
        county.actors["bureau"],
        code="C-OWN",
        buyer=county.bureau,
        agency=county.agency_a,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        amount_fen=100,
        stations=[],  # ST03 is contract B's: one agency at a time
        rectification_working_days=1,
        appeal_working_days=2,
    )
    from evaluator.store.contracts import Contract

    await Contract.filter(code="C-A").update(rectification_working_days=1, appeal_working_days=2)
    await approved(county, {"ST01": {"L00": 5}})
    (f,) = await Finding.filter(rule="D-L00")
    assert f.deadline_working_days == 1 and f.deadline == dt.date(
        2026, 10, 8
    )  # the first working day after the holidays
    await Contract.filter(code="C-A").update(appeal_working_days=9)  # fixed at approval
    clock.pin(dt.date(2026, 10, 12))
    with pytest.raises(StateError):  # the contract's window: 2 working days → 9 Oct
        await appeals.submit_appeal(
            county.actors["agency_a"], county.round_a.id, "ST01", ["L00"], "迟交"
        )
