"""A region's roll-up through the services: the figures of a worked county (hand-computed),
the city and the province above it, and who reads which region."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from services.workflow_fixtures import County, build_county

from evaluator import clock
from evaluator.errors import InvalidInput, NotFound, PermissionDenied
from evaluator.services import organisations as org_svc
from evaluator.services import rounds as rs
from evaluator.services import tranches
from evaluator.services.actors import actor_for, contract_scope, round_scope, station_scope
from evaluator.services.rollups import document, region_rollup
from evaluator.services.scoring import record_scores
from evaluator.store.base import OrgKind, RegionLevel, Role
from evaluator.store.orgs import Region


async def _regions(county: County) -> dict:
    """Province 340000 → city 341500 → counties 341521 (the county's bureau) and 341522
    (the other bureau, which buys nothing); a city and a provincial officer."""
    admin = county.admin
    province = await org_svc.ensure_region("340000", "安徽省", RegionLevel.PROVINCE)
    city = await org_svc.ensure_region("341500", "六安市", RegionLevel.CITY, province)
    await Region.filter(code="341521").update(parent_id=city.code)
    other = await org_svc.ensure_region("341522", "邻县", RegionLevel.COUNTY, city)
    county.other_bureau.region_id = other.code
    await county.other_bureau.save(update_fields=["region_id"])
    actors = {}
    for name, region in (("city", city), ("province", province)):
        org = await org_svc.create_organisation(
            admin, OrgKind.BUREAU, f"{region.name}民政部门", region=region
        )
        user = await org_svc.create_user(admin, name)
        await org_svc.grant(admin, user, org, Role.BUREAU_OFFICER)
        actors[name] = await actor_for(user)
    for name in ("bureau", "other_bureau", "agency_a", "evaluator", "auditor"):
        actors[name] = await actor_for(county.users[name])
    actors["admin"] = admin
    return actors


async def _worked_case(county: County) -> None:
    """Contract A (600,000 yuan) pays its first tranche on 12 January; round A (ST01 full
    marks, ST02 one leaf at 2/10: both 良好) is approved on 30 September; today is 9 October."""
    with clock.pinned(dt.date(2026, 1, 12)):
        await tranches.release(county.actors["bureau"], county.contract_a.id, "T1")
    rows = pd.DataFrame(
        [
            {"unit": unit, "leaf": f"L{i:02d}", "value": 2 if (unit, i) == ("ST02", 0) else 10}
            for unit in ("ST01", "ST02")
            for i in range(50)
        ]
    )
    await record_scores(county.actors["evaluator"], county.round_a.id, rows)
    r = await rs.submit_round(county.actors["lead"], county.round_a, county.round_a.version)
    with clock.pinned(dt.date(2026, 9, 30)):
        await rs.approve_round(county.actors["bureau"], r, r.version)


@pytest.fixture
async def world(db, today):
    county = await build_county()
    actors = await _regions(county)
    await _worked_case(county)
    today(dt.date(2026, 10, 9))
    return actors


def _figures(doc: dict) -> dict[str, dict[str, int]]:
    return {
        row["region"]["code"]: {k: v for k, v in row["figures"].items() if v} for row in doc["rows"]
    }


async def test_the_worked_county_and_its_city_and_province(world):
    doc = document(await region_rollup(world["province"], None, "2026-Q3"))
    assert [(r["region"]["code"], r["depth"]) for r in doc["rows"]] == [
        ("340000", 0),
        ("341500", 1),
        ("341521", 2),
        ("341522", 2),
    ]
    figures = _figures(doc)
    county = figures["341521"]
    # by hand: 2 stations 良好 in the mid-term round approved on 30 September (Q3)
    assert county["stations_graded"] == 2 and county["grade.mid_term.good"] == 2
    assert county["recommendations"] == 1 and county["outcome.pending"] == 1
    # money: contracts A 60,000,000 fen + B 30,000,000; A's T1 (50 %) released in January
    assert county["contracts"] == 2 and county["contract_value_fen"] == 90_000_000
    assert "released_in_period_fen" not in county  # nothing released in Q3
    assert county["released_to_period_end_fen"] == 30_000_000
    # today (9 October): B's T1 15,000,000 overdue since January; A's T2 (30 %) due after
    # the mid-term passed, within 15 working days of 30 September (not yet overdue)
    assert county["due_now_fen"] == 15_000_000 + 18_000_000
    assert county["overdue_now_fen"] == 15_000_000
    assert county["scheduled_now_fen"] == 12_000_000 + 9_000_000 + 6_000_000
    # the city and the province are the county's sum (the other county buys nothing)
    assert figures["341522"] == {}
    assert figures["341500"] == county == figures["340000"]
    # the year: the January release counts too; the findings are those opened in the period
    year = _figures(document(await region_rollup(world["admin"], "341521", "2026")))["341521"]
    assert year["released_in_period_fen"] == 30_000_000
    assert year.get("findings_opened", 0) == sum(
        v for k, v in year.items() if k.startswith("findings.")
    )
    q2 = _figures(document(await region_rollup(world["admin"], "341521", "2026-Q2")))["341521"]
    # the second quarter: nothing graded or released in it; January's release before its end
    assert "stations_graded" not in q2 and "released_in_period_fen" not in q2
    assert q2["released_to_period_end_fen"] == 30_000_000


async def test_who_reads_which_region(world):
    async def rows(actor, region=None) -> list[str]:
        doc = document(await region_rollup(world[actor], region, "2026-H2"))
        return [r["region"]["code"] for r in doc["rows"]]

    assert await rows("city") == ["341500", "341521", "341522"]
    assert await rows("city", "341521") == ["341521"]  # a county of the city
    assert await rows("bureau") == ["341521"]
    assert await rows("other_bureau") == ["341522"]
    assert await rows("auditor", "340000") == ["340000", "341500", "341521", "341522"]
    for actor, region in (("city", "340000"), ("bureau", "341500"), ("other_bureau", "341521")):
        with pytest.raises(PermissionDenied) as caught:
            await region_rollup(world[actor], region, "2026-H2")
        assert "outside" in caught.value.problems[0].en
        assert "不在您可查阅的范围内" in caught.value.problems[0].zh
    for actor in ("agency_a", "evaluator"):
        with pytest.raises(PermissionDenied):
            await region_rollup(world[actor], None, "2026-H2")
    with pytest.raises(NotFound):
        await region_rollup(world["admin"], "999999", "2026-H2")
    with pytest.raises(InvalidInput):
        await region_rollup(world["city"], None, "2026-H3")


async def test_a_regional_officer_reads_no_contract_round_or_station(world):
    for name in ("city", "province"):
        actor = world[name]
        assert await contract_scope(actor).count() == 0
        assert await round_scope(actor).count() == 0
        assert await station_scope(actor).count() == 0
