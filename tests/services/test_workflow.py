"""Contracts, rounds, scores, approval and visibility through the service layer."""

from __future__ import annotations

import asyncio
import datetime as dt

import pandas as pd
import pytest
from workflow_fixtures import N_LEAVES, build_county, settle_gaps

from evaluator.errors import (
    ConflictError,
    InvalidInput,
    LockedError,
    NotFound,
    PermissionDenied,
    StateError,
)
from evaluator.services import audit, station_links
from evaluator.services import contracts as cs
from evaluator.services import rounds as rs
from evaluator.services import stations as station_svc
from evaluator.services.actors import round_scope, station_scope
from evaluator.services.cohorts import unit_code
from evaluator.services.scorecards import agency_scorecard, station_scorecard
from evaluator.services.scoring import record_score
from evaluator.store.audit import AuditEvent
from evaluator.store.base import RoundState
from evaluator.store.contracts import Station
from evaluator.store.rounds import ApprovalSnapshot, Round, Score


@pytest.fixture
async def county(db):
    return await build_county()


async def test_score_create_then_overwrite_with_version(county):
    ev = county.actors["evaluator"]
    s = await record_score(ev, county.round_a.id, "ST01", "L00", 5, comment="首次")
    assert s.version == 1
    s2 = await record_score(ev, county.round_a.id, "ST01", "L00", 7, expected_version=1)
    assert (s2.version, s2.value) == (2, 7)
    with pytest.raises(ConflictError):
        await record_score(ev, county.round_a.id, "ST01", "L00", 9, expected_version=1)
    with pytest.raises(ConflictError):  # creating again without a version
        await record_score(ev, county.round_a.id, "ST01", "L00", 9)
    assert (await Score.get(id=s.id)).value == 7


async def test_score_checks_role_unit_and_value(county):
    with pytest.raises(NotFound):  # not assigned: the round is outside the outsider's scope
        await record_score(county.actors["outsider"], county.round_a.id, "ST01", "L00", 5)
    with pytest.raises(PermissionDenied):
        await record_score(county.actors["agency_a"], county.round_a.id, "ST01", "L00", 5)
    with pytest.raises(InvalidInput):  # ST03 is on contract B, not in round A
        await record_score(county.actors["evaluator"], county.round_a.id, "ST03", "L00", 5)
    with pytest.raises(InvalidInput) as exc:
        await record_score(county.actors["evaluator"], county.round_a.id, "ST01", "L00", -1)
    assert "0 or more" in str(exc.value)
    with pytest.raises(InvalidInput):
        await record_score(county.actors["evaluator"], county.round_a.id, "ST01", "NOPE", 1)
    assert await Score.all().count() == 0


async def test_fifty_concurrent_writes_to_distinct_leaves_all_persist(county):
    ev = county.actors["evaluator"]
    await asyncio.gather(
        *(record_score(ev, county.round_a.id, "ST01", f"L{i:02d}", i % 11) for i in range(N_LEAVES))
    )
    assert await Score.filter(round_id=county.round_a.id).count() == N_LEAVES
    check = await audit.verify()
    assert check.ok, check


async def test_two_concurrent_overwrites_with_one_version_exactly_one_wins(county):
    ev = county.actors["evaluator"]
    await record_score(ev, county.round_a.id, "ST01", "L01", 3)
    outcomes = await asyncio.gather(
        record_score(ev, county.round_a.id, "ST01", "L01", 4, expected_version=1),
        record_score(ev, county.round_a.id, "ST01", "L01", 5, expected_version=1),
        return_exceptions=True,
    )
    wins = [o for o in outcomes if isinstance(o, Score)]
    conflicts = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(wins) == 1 and len(conflicts) == 1, outcomes
    stored = await Score.get(round_id=county.round_a.id, unit="ST01", leaf="L01")
    assert (stored.version, stored.value) == (2, wins[0].value)


async def test_two_concurrent_creates_one_conflicts(county):
    ev = county.actors["evaluator"]
    outcomes = await asyncio.gather(
        record_score(ev, county.round_a.id, "ST02", "L02", 4),
        record_score(ev, county.round_a.id, "ST02", "L02", 6),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "Score"]
    assert await Score.filter(unit="ST02", leaf="L02").count() == 1


async def _approve(county, round_):
    await settle_gaps(round_, county.actors["lead"])
    round_ = await rs.submit_round(county.actors["lead"], round_, round_.version)
    return await rs.approve_round(county.actors["bureau"], round_, round_.version)


async def test_write_to_approved_round_fails_and_writes_nothing(county):
    ev = county.actors["evaluator"]
    await record_score(ev, county.round_a.id, "ST01", "L00", 5)
    await _approve(county, county.round_a)
    scores, events = await Score.all().count(), await AuditEvent.all().count()
    with pytest.raises(LockedError):
        await record_score(ev, county.round_a.id, "ST01", "L00", 9, expected_version=1)
    with pytest.raises(LockedError):
        await record_score(ev, county.round_a.id, "ST02", "L03", 9)
    assert (await Score.all().count(), await AuditEvent.all().count()) == (scores, events)
    assert (await Score.get(unit="ST01", leaf="L00")).value == 5


async def test_state_machine_legal_and_illegal(county):
    lead, bureau = county.actors["lead"], county.actors["bureau"]
    r = county.round_a
    with pytest.raises(StateError):  # open → approved skips submitted
        await rs.approve_round(bureau, r, r.version)
    with pytest.raises(PermissionDenied):  # only the lead submits
        await rs.submit_round(county.actors["evaluator"], r, r.version)
    with pytest.raises(InvalidInput) as gaps:  # nothing scored: every gap is listed
        await rs.submit_round(lead, r, r.version)
    assert len(gaps.value.problems) == 2 * 50 and "ST01 L00" in str(gaps.value)
    await settle_gaps(r, lead)
    with pytest.raises(ConflictError):  # stale round version
        await rs.submit_round(lead, r, r.version - 1)
    r = await rs.submit_round(lead, r, r.version)
    with pytest.raises(StateError):
        await record_score(county.actors["evaluator"], r.id, "ST01", "L00", 1)
    r = await rs.return_round(bureau, r, r.version, "缺少佐证")
    assert r.state == RoundState.OPEN and r.reopen_reason == "缺少佐证"
    r = await rs.submit_round(lead, r, r.version)
    await rs.approve_round(bureau, r, r.version)
    r = await Round.get(id=r.id)
    assert r.state == RoundState.APPROVED
    with pytest.raises(InvalidInput):  # a reason is mandatory
        await rs.reopen_round(bureau, r, r.version, "  ")
    with pytest.raises(PermissionDenied):
        await rs.reopen_round(county.actors["other_bureau"], r, r.version, "x")
    r = await rs.reopen_round(bureau, r, r.version, "申诉复核")
    assert r.state == RoundState.REOPENED
    await record_score(county.actors["evaluator"], r.id, "ST01", "L00", 3)
    actions = [e.action for e in await AuditEvent.filter(object_id=str(r.id)).order_by("seq")]
    assert actions[-4:] == ["round.submitted", "round.approved", "round.snapshot", "round.reopened"]


async def test_snapshot_reproduces_from_stored_inputs(county):
    ev, ev2 = county.actors["evaluator"], county.actors["evaluator2"]
    for i in range(10):
        await record_score(ev, county.round_a.id, "ST01", f"L{i:02d}", 5 + i % 3)
        await record_score(ev2, county.round_a.id, "ST01", f"L{i:02d}", 4 + i % 4)
        await record_score(ev, county.round_a.id, "ST02", f"L{i:02d}", 10)
    snapshot = await _approve(county, county.round_a)
    assert snapshot.inputs_digest.startswith("sha256:") and snapshot.system_hash.startswith(
        "sha256:"
    )
    assert await rs.verify_snapshot(snapshot)
    # two raters on ST01: the mean of their values (trimmed rule with < 3 raters)
    card = await station_scorecard(
        county.actors["bureau"], county.round_a.id, county.stations["ST01"].id
    )
    l00 = next(leaf for leaf in card["leaves"] if leaf["leaf"] == "L00")
    assert l00["raw"] == pytest.approx(4.5)
    assert l00["points"] == pytest.approx(2 * 4.5 / 10)  # linear, target 10, not pro-rated
    # tampering with a stored score afterwards is detected by the snapshot check
    await Score.filter(unit="ST02", leaf="L00").update(value=1)
    assert not await rs.verify_snapshot(await ApprovalSnapshot.get(id=snapshot.id))


async def test_agency_user_sees_own_round_only_and_blind_until_approved(county):
    ev = county.actors["evaluator"]
    await record_score(ev, county.round_a.id, "ST01", "L00", 5)
    agency_a, agency_b = county.actors["agency_a"], county.actors["agency_b"]
    assert {r.id for r in await round_scope(agency_a)} == {county.round_a.id}
    assert {s.code for s in await station_scope(agency_a)} == {"ST01", "ST02"}
    assert {s.code for s in await station_scope(agency_b)} == {"ST03"}
    with pytest.raises(PermissionDenied):  # blind until published
        await station_scorecard(agency_a, county.round_a.id, county.stations["ST01"].id)
    with pytest.raises(NotFound):  # another agency's round: existence not revealed
        await station_scorecard(agency_b, county.round_a.id, county.stations["ST01"].id)
    await _approve(county, county.round_a)
    card = await station_scorecard(agency_a, county.round_a.id, county.stations["ST01"].id)
    assert card["station"]["code"] == "ST01" and card["total"] == pytest.approx(1.0)
    with pytest.raises(NotFound):
        await station_scorecard(agency_b, county.round_a.id, county.stations["ST01"].id)
    with pytest.raises(NotFound):  # other bureau sees nothing of this county
        await station_scorecard(
            county.actors["other_bureau"], county.round_a.id, county.stations["ST01"].id
        )
    assert await round_scope(county.actors["other_bureau"]).count() == 0
    assert await round_scope(county.actors["auditor"]).count() == 2


async def test_agency_scorecard_aggregates_its_stations(county):
    ev = county.actors["evaluator"]
    for i in range(N_LEAVES):
        await record_score(ev, county.round_a.id, "ST01", f"L{i:02d}", 10)  # 10 / 10: full points
    await record_score(ev, county.round_a.id, "ST02", "L00", 5)
    await _approve(county, county.round_a)
    card = await agency_scorecard(county.actors["agency_a"], county.round_a.id)
    assert card["agency"]["name"] == "阳光社工"
    assert [s["code"] for s in card["stations"]] == ["ST01", "ST02"]
    assert card["aggregate"]["mean_total"] == pytest.approx((100 + 1) / 2)
    assert card["aggregate"]["grades"] == {"good": 1, "fail": 1}


async def test_effective_dated_links_keep_history(county):
    st = county.stations["ST02"]
    await station_links.end_station_link(
        county.actors["bureau"], county.contract_a, st, dt.date(2026, 7, 1)
    )
    assert (
        await station_links.agency_of_station(st, dt.date(2026, 6, 30))
    ).id == county.agency_a.id
    assert await station_links.agency_of_station(st, dt.date(2026, 7, 1)) is None
    codes = [
        link.station.code
        for link in await station_links.stations_as_of(county.contract_a, dt.date(2026, 8, 1))
    ]
    assert codes == ["ST01"]


async def test_contract_validation_lists_every_problem(county):
    with pytest.raises(InvalidInput) as exc:
        await cs.create_contract(
            county.admin,
            code="BAD",
            buyer=county.agency_a,
            agency=county.bureau,
            period_start=dt.date(2026, 2, 1),
            period_end=dt.date(2026, 1, 1),
            amount_fen=12.5,
            stations=[],
            schedule=[{"share_bp": 6000}, {"share_bp": 3000}],
        )
    paths = {p.path for p in exc.value.problems}
    assert paths == {"buyer", "agency", "period_end", "amount_fen", "schedule"}


async def test_open_is_only_from_draft_and_return_only_from_submitted(db):
    county = await build_county(open_rounds=False)
    lead, bureau = county.actors["lead"], county.actors["bureau"]
    r = county.round_a
    with pytest.raises(
        StateError
    ):  # the bureau cannot skip the lead's opening by "returning" a draft
        await rs.return_round(bureau, r, r.version, "补充")
    r = await rs.open_round(lead, r, r.version)
    await settle_gaps(r, lead)
    r = await rs.submit_round(lead, r, r.version)
    with pytest.raises(StateError):  # the lead cannot take back a submission without the bureau
        await rs.open_round(lead, r, r.version)
    r = await rs.return_round(bureau, r, r.version, "补充台账")
    assert (r.state, r.reopen_reason) == (RoundState.OPEN, "补充台账")


# --- values in range, station codes, updated_at (issue 12, points 3 and 9) ------------------


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"value": float("nan")}, "value"),
        ({"value": float("inf")}, "value"),
        ({"value": -float("inf")}, "value"),
        ({"value": 5, "target": float("nan")}, "target"),
        ({"value": 5, "target": 0}, "target"),
        ({"value": 5, "n": -1}, "n"),
        ({"value": 5, "n": 2**31}, "n"),
        ({"value": -0.5}, "value"),
    ],
)
async def test_a_score_is_a_finite_number_in_the_leaf_range(county, kwargs, path):
    value = kwargs.pop("value")
    with pytest.raises(InvalidInput) as exc:
        await record_score(
            county.actors["evaluator"], county.round_a.id, "ST01", "L00", value, **kwargs
        )
    assert [p.path for p in exc.value.problems] == [path]
    assert exc.value.problems[0].zh
    assert await Score.all().count() == 0


async def test_bulk_scores_are_checked_with_the_same_rule_row_by_row(county):
    from evaluator.services.scoring import record_scores

    rows = pd.DataFrame(
        [
            {"unit": "ST01", "leaf": "L00", "value": 3},
            {"unit": "ST01", "leaf": "L01", "value": float("inf")},
            {"unit": "st02", "leaf": "L02", "value": -2},
            {"unit": "ST03", "leaf": "L03", "value": 1},
        ]
    )
    with pytest.raises(InvalidInput) as exc:  # ST03 is in round B
        await record_scores(county.actors["evaluator"], county.round_a.id, rows)
    assert [p.path for p in exc.value.problems] == ["rows[3].unit"]
    with pytest.raises(InvalidInput) as exc:
        await record_scores(county.actors["evaluator"], county.round_a.id, rows[:3])
    assert [p.path for p in exc.value.problems] == ["rows[1].value", "rows[2].value"]
    assert await Score.all().count() == 0
    good = pd.DataFrame([{"unit": "st02", "leaf": "L02", "value": 2, "n": float("nan")}])
    assert await record_scores(county.actors["evaluator"], county.round_a.id, good) == 1
    (score,) = await Score.all()
    assert (score.unit, score.value, score.n) == ("ST02", 2, None)
    assert score.station_id == county.stations["ST02"].id


async def test_an_overwrite_moves_updated_at(county):
    from evaluator import clock

    ev = county.actors["evaluator"]
    first = await record_score(ev, county.round_a.id, "ST01", "L00", 5)
    await asyncio.sleep(0.002)
    second = await record_score(ev, county.round_a.id, "ST01", "L00", 6, expected_version=1)
    stored = await Score.get(id=first.id)
    assert stored.updated_at == second.updated_at != first.updated_at
    assert abs(stored.updated_at - clock.now()) < dt.timedelta(minutes=1)


async def test_a_station_is_named_in_any_case_or_width(county):
    ev = county.actors["evaluator"]
    score = await record_score(ev, county.round_a.id, "ｓｔ０１", "L00", 5)
    assert (score.unit, score.station_id) == ("ST01", county.stations["ST01"].id)


@pytest.mark.parametrize("code", ["st01", "ＳＴ０１", " ST01 ", "sT01"])
async def test_station_codes_are_unique_regardless_of_case_and_width(county, code):
    from evaluator.errors import AlreadyExists

    with pytest.raises(AlreadyExists):
        await station_svc.create_station(county.actors["bureau"], county.bureau, code, "重复")
    assert await Station.all().count() == 3


async def test_two_stations_created_at_once_under_one_code_one_wins(county):
    from evaluator.errors import AlreadyExists

    outcomes = await asyncio.gather(
        *(
            station_svc.create_station(county.actors["bureau"], county.bureau, code, "九号站")
            for code in ("ST09", "st09", "ＳＴ０９", "St09")
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(o, Station) for o in outcomes) == 1
    assert all(isinstance(o, AlreadyExists) for o in outcomes if not isinstance(o, Station))
    assert await Station.filter(code_key="st09").count() == 1
    assert (await audit.verify()).ok


@pytest.mark.parametrize(
    ("code", "name", "path"),
    [
        ("ST09", "   ", "name"),
        ("ST09", "", "name"),
        ("ST09", "九号\n站", "name"),
        ("站 01", "九号站", "code"),
        ("  ", "九号站", "code"),
        ("-ST09", "九号站", "code"),
        ("S" * 41, "九号站", "code"),
    ],
)
async def test_station_names_are_not_blank_and_codes_follow_the_rule(county, code, name, path):
    with pytest.raises(InvalidInput) as exc:
        await station_svc.create_station(county.actors["bureau"], county.bureau, code, name)
    assert [p.path for p in exc.value.problems] == [path]
    assert await Station.all().count() == 3


async def test_a_station_is_stored_folded_and_trimmed(county):
    s = await station_svc.create_station(
        county.actors["bureau"], county.bureau, " ＳＴ－０９ ", " 九号站 "
    )
    assert (s.code, s.code_key, s.name) == ("ST-09", "st-09", "九号站")


@pytest.mark.parametrize("typed", ["st01", "ＳＴ０１", " ST01 "])
async def test_reads_by_unit_name_a_station_however_typed(county, typed):
    from evaluator.services import listing

    await record_score(county.actors["evaluator"], county.round_a.id, "ST01", "L00", 7)
    await record_score(county.actors["evaluator"], county.round_a.id, "ST02", "L00", 3)
    page = await listing.list_scores(county.actors["lead"], county.round_a.id, unit=typed)
    assert [(s.unit, s.value) for s in page.items] == [("ST01", 7)]
    assert await unit_code("no-such") == "no-such"
