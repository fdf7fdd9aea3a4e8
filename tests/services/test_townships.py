"""The township takes part at year end (services/townships.py): an official of a township
government rates the stations of their township for the purchaser in final and annual
rounds — and sees nothing else."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from services.workflow_fixtures import SYSTEM, County, build_county, final_round

from evaluator.errors import InvalidInput, NotFound, PermissionDenied
from evaluator.services import completeness, panel_staff, registers
from evaluator.services import organisations as org_svc
from evaluator.services import rounds as rs
from evaluator.services.actors import (
    Actor,
    actor_for,
    contract_scope,
    get_contract,
    get_organisation,
    get_round,
    get_station,
    may_see_scores,
    organisation_scope,
    require_results,
    round_scope,
    station_scope,
)
from evaluator.services.round_inputs import round_inputs, system_of_round
from evaluator.services.scorecards import station_scorecard
from evaluator.services.scoring import record_score, record_scores
from evaluator.services.scoring_form import scoring_form, scoring_progress
from evaluator.store.base import OrgKind, RegionLevel, Role
from evaluator.store.contracts import Station
from evaluator.store.rounds import Round, RoundAssignment

# the workflow system with its last leaf scored by the purchaser
PURCHASER_SYSTEM = SYSTEM.replace(
    "{code: L49, name: {zh: 指标49, en: Leaf 49}, points: 2, method: ratio,",
    "{code: L49, name: {zh: 指标49, en: Leaf 49}, points: 2, role: purchaser, method: ratio,",
)


async def township_official(
    county: County, name: str = "township", code: str = "341521001", station: str | None = "ST01"
) -> Actor:
    """A township under the county with a government of one official; ``station`` lies in it."""
    region = await org_svc.ensure_region(code, f"{code}镇", RegionLevel.TOWNSHIP)
    await type(region).filter(code=code).update(parent_id="341521")
    if station:
        await Station.filter(code=station).update(township_id=code)
    government = await org_svc.create_organisation(
        county.admin, OrgKind.TOWNSHIP, f"{code}镇人民政府", region=code
    )
    user = await org_svc.create_user(county.admin, name)
    await org_svc.grant(county.admin, user, government, Role.TOWNSHIP_OFFICIAL)
    return await actor_for(user)


async def year_end(county: County) -> Round:
    """Contract A's final round, open, its lead and evaluator assigned."""
    final = await final_round(county)
    await panel_staff.assign(county.admin, final, county.users["lead"], Role.LEAD_EVALUATOR)
    await panel_staff.assign(county.admin, final, county.users["evaluator"], Role.EVALUATOR)
    return await rs.open_round(county.actors["lead"], final, final.version)


@pytest.fixture
async def world(db):
    county = await build_county(system=PURCHASER_SYSTEM)
    official = await township_official(county)
    await Station.filter(code="ST02").update(township_id=None)
    final = await year_end(county)
    await panel_staff.assign_user(
        county.actors["lead"], final.id, "township", Role.EVALUATOR, "purchaser"
    )
    return county, official, await Round.get(id=final.id)


async def test_the_lead_assigns_a_township_official_at_year_end_only(db):
    county = await build_county(system=PURCHASER_SYSTEM)
    await township_official(county)
    await township_official(county, "far", "341521009", station=None)  # no station of C-A
    final = await year_end(county)
    lead = county.actors["lead"]
    staff = await panel_staff.staffing(lead, final.id)
    assert staff is not None
    assert [c["username"] for c in staff["candidates"] if c["township"]] == ["township"]
    mid = await panel_staff.staffing(lead, county.round_a.id)
    assert mid is not None and not any(c["township"] for c in mid["candidates"])

    for round_id, rater_role, username, path in (
        (county.round_a.id, "purchaser", "township", "role"),  # a mid-term round
        (final.id, "third_party", "township", "rater_role"),
        (final.id, "purchaser", "far", "username"),  # no station of theirs in the round
    ):
        with pytest.raises(InvalidInput) as caught:
            await panel_staff.assign_user(lead, round_id, username, Role.EVALUATOR, rater_role)
        assert [p.path for p in caught.value.problems] == [path]
        assert all(p.zh for p in caught.value.problems)
    done = await panel_staff.assign_user(lead, final.id, "township", Role.EVALUATOR, "purchaser")
    assert (done.role, done.rater_role) == (Role.TOWNSHIP_OFFICIAL, "purchaser")
    assert await RoundAssignment.filter(round_id=final.id, role=Role.TOWNSHIP_OFFICIAL).count() == 1


async def test_a_township_government_and_its_officials_are_checked(db):
    county = await build_county()
    with pytest.raises(InvalidInput) as caught:  # a county is no township
        await org_svc.create_organisation(county.admin, OrgKind.TOWNSHIP, "某镇", region="341521")
    assert caught.value.problems[0].path == "region" and "乡镇" in caught.value.problems[0].zh
    with pytest.raises(InvalidInput) as caught:
        await org_svc.create_organisation(
            county.admin, OrgKind.TOWNSHIP, "某镇", region="999999999"
        )
    assert caught.value.problems[0].path == "region"
    official = await township_official(county)
    government = next(iter(official.orgs(Role.TOWNSHIP_OFFICIAL)))
    user = await org_svc.create_user(county.admin, "someone")
    for org, role in (
        (county.bureau, Role.TOWNSHIP_OFFICIAL),
        (await get_organisation(county.admin, government), Role.BUREAU_OFFICER),
    ):
        with pytest.raises(InvalidInput) as caught:
            await org_svc.grant(county.admin, user, org, role)
        assert caught.value.problems[0].path == "role"


async def test_the_official_rates_the_purchasers_leaf_of_its_station(world):
    county, official, final = world
    assert [p["code"] for p in await scoring_progress(official, final.id)] == ["ST01"]
    form = await scoring_form(official, final.id, "st01")
    assert form["rater_role"] == "purchaser" and form["total"] == 1
    (leaf,) = form["families"][0]["leaves"]
    assert leaf["code"] == "L49" and leaf["register"] is None and leaf["cited"]["citations"] == []
    with pytest.raises(PermissionDenied):  # ST02 is no station of theirs
        await scoring_form(official, final.id, "ST02")

    await record_score(official, final.id, "ST01", "L49", 8)
    with pytest.raises(InvalidInput) as caught:
        await record_score(official, final.id, "ST02", "L49", 8)
    assert "不是本轮中您所在乡镇（街道）的社工站" in caught.value.problems[0].zh
    with pytest.raises(InvalidInput) as caught:  # the same answer for a station not in the round
        await record_score(official, final.id, "ST03", "L49", 8)
    assert "not a station of your township in this round" in caught.value.problems[0].en
    with pytest.raises(PermissionDenied):  # the third party's leaf
        await record_score(official, final.id, "ST01", "L00", 8)
    with pytest.raises(InvalidInput) as caught:
        await record_scores(
            official, final.id, pd.DataFrame([{"unit": "ST02", "leaf": "L49", "value": 9}])
        )
    assert caught.value.problems[0].path == "rows[0].unit"
    with pytest.raises(PermissionDenied):  # no file of the round is theirs to cite
        await record_score(official, final.id, "ST01", "L49", 9, evidence=["x"], expected_version=1)

    part = await panel_staff.submit_part(official, final.id)
    assert part["unanswered"] == 0
    # their value is the purchaser's for ST01 in the round's inputs
    inputs, _ = await round_inputs(final, await system_of_round(final))
    mine = inputs[(inputs["unit"] == "ST01") & (inputs["leaf"] == "L49")]
    assert list(mine["value"]) == [8]
    assert inputs[(inputs["unit"] == "ST02") & (inputs["leaf"] == "L49")].empty


async def test_the_official_sees_nothing_else(world):
    county, official, final = world
    assert set(await round_scope(official).values_list("id", flat=True)) == {final.id}
    assert set(await station_scope(official).values_list("code", flat=True)) == {"ST01"}
    assert await contract_scope(official).count() == 0
    orgs = set(await (await organisation_scope(official)).values_list("kind", flat=True))
    assert orgs == {OrgKind.TOWNSHIP}  # their own government only: no agency, no bureau
    with pytest.raises(NotFound):
        await get_contract(official, county.contract_a.id)
    for org in (county.agency_a, county.evaluators, county.bureau):
        with pytest.raises(NotFound):
            await get_organisation(official, org.id)
    with pytest.raises(NotFound):
        await get_station(official, county.stations["ST02"].id)
    with pytest.raises(NotFound):
        await get_round(official, county.round_a.id)
    assert not await may_see_scores(official, final)
    with pytest.raises(PermissionDenied):
        await require_results(official, final)
    await panel_staff.submit_part(official, final.id)  # submitted: still no results
    with pytest.raises(PermissionDenied):
        await require_results(official, final)
    with pytest.raises(PermissionDenied):
        await station_scorecard(official, final.id, county.stations["ST01"].id)
    with pytest.raises(PermissionDenied):
        await completeness.list_gaps(official, final.id)
    with pytest.raises(NotFound):
        await registers.list_imports(official, final.id)
    assert dt.date(2026, 12, 31) == final.as_of
