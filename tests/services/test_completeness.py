"""The completeness gate: every gap of a round is scored or decided by the lead, with a
reason, before the round is submitted or approved; the decisions show in the score."""

from __future__ import annotations

import pytest
from workflow_fixtures import build_county

from evaluator.errors import InvalidInput, PermissionDenied, StateError
from evaluator.services import completeness
from evaluator.services import rounds as rs
from evaluator.services.scorecards import compute_round
from evaluator.services.scoring import record_score
from evaluator.store.audit import AuditEvent
from evaluator.store.rounds import LeafWaiver, Round

ERROR_RULE = """\
system: {id: gate, version: '1', name: {zh: 门, en: Gate}, unit: station, total_points: 100}
grades:
  - {code: good, zh: 良好, en: Good, min: 60}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
tree:
  - code: A
    name: {zh: 甲, en: A}
    points: 100
    children:
      - {code: L1, name: {zh: 一, en: One}, points: 50, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
      - {code: L2, name: {zh: 二, en: Two}, points: 30, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
      - {code: L3, name: {zh: 三, en: Three}, points: 20, method: ratio, target: 10, missing: error, linear: {floor: 0, cap: 1}}
"""


async def test_gaps_block_submission_until_the_lead_decides_each(db):
    county = await build_county(system=ERROR_RULE)
    lead, r = county.actors["lead"], county.round_a
    await record_score(county.actors["evaluator"], r.id, "ST01", "L1", 10)
    await record_score(county.actors["evaluator"], r.id, "ST01", "L3", 10)
    _, gaps = await completeness.list_gaps(lead, r.id)
    # ST01 lacks L2; ST02, never scored, lacks everything — it is not approved as "fail"
    assert [(g.unit, g.leaf, g.decision) for g in gaps] == [
        ("ST01", "L2", None),
        ("ST02", "L1", None),
        ("ST02", "L2", None),
        ("ST02", "L3", None),
    ]
    with pytest.raises(InvalidInput) as exc:
        await rs.submit_round(lead, r, r.version)
    assert [p.path for p in exc.value.problems] == [
        "gaps.ST01.L2",
        "gaps.ST02.L1",
        "gaps.ST02.L2",
        "gaps.ST02.L3",
    ]
    assert "主评估员" in exc.value.problems[0].zh
    with pytest.raises(PermissionDenied):  # an evaluator does not decide
        await completeness.decide_gap(
            county.actors["evaluator"], r.id, "ST01", "L2", "not_applicable", "x"
        )
    with pytest.raises(InvalidInput) as exc:  # a reason; and an error-rule leaf needs a value
        await completeness.decide_gap(lead, r.id, "ST02", "L3", "accepted_missing", "")
    assert {p.path for p in exc.value.problems} == {"decision", "reason"}
    await completeness.decide_gap(lead, r.id, "ST01", "L2", "not_applicable", "本站无该项服务")
    await completeness.decide_gap(lead, r.id, "ST02", "L1", "accepted_missing", "现场未见台账")
    await completeness.decide_gap(lead, r.id, "ST02", "L2", "accepted_missing", "现场未见台账")
    await completeness.decide_gap(lead, r.id, "ST02", "L3", "not_applicable", "新建站")
    assert await AuditEvent.filter(action="gap.decide").count() == 4
    done = await compute_round(r)
    # ST01: L2 not applicable → L1 and L3 share the 100 points: full marks
    assert done.result.total["ST01"] == 100.0
    # ST02: L1 and L2 accepted as missing (zero), L3 not applicable → 0 of 80, 0.00
    assert done.result.total["ST02"] == 0.0
    r = await rs.submit_round(lead, r, r.version)
    with pytest.raises(StateError):  # submitted: decisions are frozen with the scores
        await completeness.decide_gap(lead, r.id, "ST01", "L2", "clear", "")
    # approval checks again: a decision that vanished (here: removed behind the service's
    # back) blocks it
    await LeafWaiver.filter(round_id=r.id, unit="ST01", leaf="L2").delete()
    with pytest.raises(InvalidInput):
        await rs.approve_round(county.actors["bureau"], r, r.version)


async def test_a_decision_can_be_taken_back_while_the_round_is_open(db):
    county = await build_county(system=ERROR_RULE)
    lead, r = county.actors["lead"], county.round_a
    await completeness.decide_gap(lead, r.id, "ST01", "L1", "not_applicable", "x")
    assert await completeness.decide_gap(lead, r.id, "ST01", "L1", "clear", "") is None
    _, gaps = await completeness.list_gaps(lead, r.id)
    assert all(g.decision is None for g in gaps) and len(gaps) == 6
    assert await AuditEvent.filter(action="gap.clear").count() == 1
    with pytest.raises(InvalidInput):  # not a unit of the round, not a leaf
        await completeness.decide_gap(lead, r.id, "ST03", "L9", "not_applicable", "x")
    assert (await Round.get(id=r.id)).version == r.version  # the round itself is unchanged


async def test_contract_amounts_beyond_64_bits_are_refused(db):
    from evaluator.services import contracts as cs

    county = await build_county()
    with pytest.raises(InvalidInput) as exc:
        await cs.create_contract(
            county.actors["bureau"],
            code="C-HUGE",
            buyer=county.bureau,
            agency=county.agency_a,
            period_start=county.contract_a.period_start,
            period_end=county.contract_a.period_end,
            amount_fen=2**64,
            stations=[cs.StationTerms(county.stations["ST03"], {})],
        )
    assert [p.path for p in exc.value.problems] == ["amount_fen"]
