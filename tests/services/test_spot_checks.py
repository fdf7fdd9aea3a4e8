"""A spot check against the county's own round (hand-computed shares), and who reads it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from services.workflow_fixtures import County, build_county

from evaluator import clock
from evaluator.errors import InvalidInput, NotFound, PermissionDenied
from evaluator.services import organisations as org_svc
from evaluator.services import panel_staff
from evaluator.services import rounds as rs
from evaluator.services.actors import (
    Actor,
    actor_for,
    contract_scope,
    get_contract,
    get_round,
    get_station,
    may_see_scores,
    round_scope,
)
from evaluator.services.scoring import record_scores
from evaluator.services.spot_checks import commission, spot_check_comparison
from evaluator.services.spot_samples import SampleRequest
from evaluator.store.base import OrgKind, RegionLevel, Role, RoundKind, RoundState
from evaluator.store.orgs import Region
from evaluator.store.rounds import SystemVersion


def _rows(low: dict[tuple[str, int], float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"unit": unit, "leaf": f"L{i:02d}", "value": low.get((unit, i), 10)}
            for unit in ("ST01", "ST02")
            for i in range(50)
        ]
    )


async def _county_and_spot_check(county: County):
    """Round A (the county's, approved on 30 September): ST01 full marks (100/100), ST02 with
    L00 at 2/10 (98.4). The city's spot check of contract A on 20 November, same system:
    ST01 with L00–L09 at 5/10 (90/100), ST02 full marks (100)."""
    await record_scores(county.actors["evaluator"], county.round_a.id, _rows({("ST02", 0): 2}))
    r = await rs.submit_round(county.actors["lead"], county.round_a, county.round_a.version)
    with clock.pinned(dt.date(2026, 9, 30)):
        await rs.approve_round(county.actors["bureau"], r, r.version)
    check = await rs.create_round(
        county.actors["bureau"],
        contract=county.contract_a,
        evaluation_agency=county.evaluators,
        kind=RoundKind.SPOT_CHECK,
        system=await SystemVersion.get(id=county.round_a.system_id),
        as_of=dt.date(2026, 11, 20),
    )
    await panel_staff.assign(county.admin, check, county.users["lead"], Role.LEAD_EVALUATOR)
    await panel_staff.assign(county.admin, check, county.users["evaluator"], Role.EVALUATOR)
    check = await rs.open_round(county.actors["lead"], check, check.version)
    low = {("ST01", i): 5 for i in range(10)}
    await record_scores(county.actors["evaluator"], check.id, _rows(low))
    return check


@pytest.fixture
async def world(db):
    county = await build_county()
    return county, await _county_and_spot_check(county)


async def test_the_spot_check_against_the_county_round_by_hand(world):
    county, check = world
    doc = await spot_check_comparison(county.actors["bureau"], check.id)
    assert doc["county_round"]["id"] == str(county.round_a.id)
    assert (
        doc["county_round"]["kind_zh"] == "中期评估" and doc["spot_check"]["state_zh"] == "评分中"
    )
    st01, st02 = doc["stations"]  # the largest difference first
    assert (
        st01["unit"] == "ST01" and st01["spot_check_share"] == 0.9 and st01["county_share"] == 1.0
    )
    assert st01["difference"] == pytest.approx(-0.1) and st01["differs"]
    assert st01["grades_agree"] and st01["spot_check_grade_zh"] == "良好"
    # ten leaves at half their points against full: -0.5 each, all beyond 0.25
    assert [x["leaf"] for x in st01["leaves_differing"]] == [f"L{i:02d}" for i in range(10)]
    assert all(x["difference"] == -0.5 for x in st01["leaves_differing"])
    assert st01["leaves_compared"] == 50
    # ST02: 100 against 98.4 (+1.6 points of the total: within 5), L00 10/10 against 2/10
    assert st02["difference"] == pytest.approx(0.016) and not st02["differs"]
    assert [(x["leaf"], x["difference"]) for x in st02["leaves_differing"]] == [("L00", 0.8)]
    summary = doc["summary"]
    assert summary == {
        "stations": 2,
        "grades_agreeing": 2,
        "differing": 1,
        "mean_absolute_difference": pytest.approx((0.1 + 0.016) / 2),
        "common_leaves": 50,
        "only_in_spot_check": [],
    }


async def test_who_reads_the_comparison(world):
    county, check = world
    assert (await spot_check_comparison(county.actors["lead"], check.id))["stations"]
    with pytest.raises(PermissionDenied):  # the spot check's panel is blind while it is open
        await spot_check_comparison(county.actors["evaluator"], check.id)
    with pytest.raises(PermissionDenied):  # the agency: once the spot check is approved
        await spot_check_comparison(county.actors["agency_a"], check.id)
    for outsider in ("other_bureau", "agency_b", "outsider"):
        with pytest.raises(NotFound):
            await spot_check_comparison(county.actors[outsider], check.id)
    with pytest.raises(InvalidInput) as caught:
        await spot_check_comparison(county.actors["bureau"], county.round_a.id)
    assert "不是抽查" in caught.value.problems[0].zh


async def city_officer(county: County, name: str = "city", code: str = "341500") -> Actor:
    """The county's region under a city (``code``) whose civil-affairs bureau has one officer."""
    city = await org_svc.ensure_region(code, f"{code}市", RegionLevel.CITY)
    await Region.filter(code="341521").update(parent_id=city.code)
    bureau = await org_svc.create_organisation(
        county.admin, OrgKind.BUREAU, f"{code}市民政局", region=city
    )
    user = await org_svc.create_user(county.admin, name)
    await org_svc.grant(county.admin, user, bureau, Role.BUREAU_OFFICER)
    return await actor_for(user)


async def commissioned(
    county: County, city: Actor, contract: str = "C-A", sample: SampleRequest | None = None
):
    return await commission(
        city,
        contract_code=contract,
        evaluation_agency_id=county.evaluators.id,
        system_id=county.round_a.system_id,
        as_of=dt.date(2026, 11, 20),
        sample=sample,
    )


async def test_a_city_commissions_runs_and_approves_a_spot_check(db):
    county = await build_county()
    city = await city_officer(county)
    await record_scores(county.actors["evaluator"], county.round_a.id, _rows({}))
    r = await rs.submit_round(county.actors["lead"], county.round_a, county.round_a.version)
    with clock.pinned(dt.date(2026, 9, 30)):
        await rs.approve_round(county.actors["bureau"], r, r.version)

    check = await commissioned(county, city)
    assert check.kind == RoundKind.SPOT_CHECK and check.commissioned_by_id is not None
    await panel_staff.assign(county.admin, check, county.users["lead"], Role.LEAD_EVALUATOR)
    await panel_staff.assign(county.admin, check, county.users["evaluator"], Role.EVALUATOR)
    check = await rs.open_round(county.actors["lead"], check, check.version)
    await record_scores(county.actors["evaluator"], check.id, _rows({("ST01", 0): 0}))
    # while it is open the city sees its scores; the county's bureau and the agency do not
    assert await may_see_scores(city, check)
    assert not await may_see_scores(county.actors["bureau"], check)
    assert not await may_see_scores(county.actors["agency_a"], check)
    check = await rs.submit_round(county.actors["lead"], check, check.version)
    with pytest.raises(PermissionDenied):  # the county does not approve the city's check
        await rs.approve_round(county.actors["bureau"], check, check.version)
    with clock.pinned(dt.date(2026, 11, 25)):
        await rs.approve_round(city, check, check.version)
    check = await get_round(city, check.id)
    assert check.state == RoundState.APPROVED
    for reader in ("bureau", "agency_a"):  # published: the buyer and the agency see it
        assert await may_see_scores(county.actors[reader], check)

    # the city reads its spot check, its stations and the comparison — no contract, no
    # other round, no station of another contract
    assert set(await round_scope(city).values_list("id", flat=True)) == {check.id}
    assert await contract_scope(city).count() == 0
    with pytest.raises(NotFound):
        await get_contract(city, county.contract_a.id)
    assert (await get_station(city, county.stations["ST01"].id)).code == "ST01"
    with pytest.raises(NotFound):
        await get_station(city, county.stations["ST03"].id)
    with pytest.raises(NotFound):
        await get_round(city, county.round_a.id)
    doc = await spot_check_comparison(city, check.id)
    st01 = next(s for s in doc["stations"] if s["unit"] == "ST01")
    assert st01["difference"] == pytest.approx(-0.02)  # L00 (2 points) lost: 98 against 100


async def test_who_may_commission_a_spot_check(db):
    county = await build_county()
    city = await city_officer(county)
    with pytest.raises(PermissionDenied):  # a county bureau creates its own rounds
        await commissioned(county, county.actors["bureau"])
    for name in ("agency_a", "lead", "auditor"):
        with pytest.raises(PermissionDenied):
            await commissioned(county, county.actors[name])
    with pytest.raises(NotFound) as caught:  # a contract the city does not oversee
        await commissioned(county, city, "C-ELSEWHERE")
    assert caught.value.problems[0].path == "contract_code"
    other_city = await city_officer(county, "other_city", "341000")  # now 341521's parent
    with pytest.raises(NotFound):
        await commissioned(county, city)
    assert (await commissioned(county, other_city)).contract_id == county.contract_a.id
