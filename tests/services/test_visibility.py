"""Reading one round or station by id checks the scope's rules on the row
(services/actors.py, may_see_round and may_see_station): each predicate must equal its
scope for every actor and object — including a rebid whose link starts later, a station
seen only through an assignment, another county's bureau and a user with no role."""

from __future__ import annotations

import datetime as dt

import pytest
from test_spot_checks import city_officer, commissioned
from test_station_links import rebid
from test_townships import township_official, year_end
from workflow_fixtures import build_county

from evaluator import clock
from evaluator.errors import NotFound
from evaluator.services import organisations as org_svc
from evaluator.services import panel_staff
from evaluator.services import rounds as rs
from evaluator.services.actors import (
    Actor,
    actor_for,
    get_round,
    get_station,
    may_see_round,
    may_see_station,
    round_scope,
    station_scope,
)
from evaluator.services.spot_checks import commission
from evaluator.services.spot_samples import SampleRequest
from evaluator.store.base import Role, RoundKind
from evaluator.store.contracts import Station
from evaluator.store.rounds import Round


async def _actors(county) -> dict[str, Actor]:
    nobody = await org_svc.create_user(Actor.system(), "nobody")
    return county.actors | {
        "system": Actor.system(),
        "nobody": await actor_for(nobody),
        "anonymous": Actor(username="anonymous"),
    }


async def _check(actors: dict[str, Actor]) -> int:
    rounds, stations = await Round.all(), await Station.all()
    compared = 0
    for name, actor in actors.items():
        seen_rounds = set(await round_scope(actor).values_list("id", flat=True))
        seen_stations = set(await station_scope(actor).values_list("id", flat=True))
        for r in rounds:
            assert await may_see_round(actor, r) == (r.id in seen_rounds), (name, r.id)
            if r.id in seen_rounds:
                assert (await get_round(actor, r.id)).id == r.id
            else:
                with pytest.raises(NotFound):
                    await get_round(actor, r.id)
            compared += 1
        for s in stations:
            assert await may_see_station(actor, s) == (s.id in seen_stations), (name, s.code)
            if s.id not in seen_stations:
                with pytest.raises(NotFound):
                    await get_station(actor, s.id)
            compared += 1
    return compared


async def test_each_predicate_equals_its_scope(db):
    county = await build_county()
    actors = await _actors(county)
    # a rebid: agency B holds ST02 from 2026-07-01 (not yet seen on 1 June, seen after)
    await rebid(county)
    # a station seen only through an assignment: an outsider evaluator on a round of B
    await panel_staff.assign(
        Actor.system(), county.round_b, county.users["outsider"], Role.EVALUATOR
    )
    # a round of A's contract given to the lead's agency but nobody assigned
    await rs.create_round(
        county.actors["bureau"],
        contract=county.contract_a,
        evaluation_agency=county.evaluators,
        kind=RoundKind.SPOT_CHECK,
        system=await county.round_a.system,
        as_of=dt.date(2026, 6, 30),
        elapsed=0.5,
    )
    # spot checks commissioned by a city's bureau: its officer sees them and the stations
    # they sample — ST03 of B's contract, ST01 of A's (sampled of ST01 and ST02), not ST02
    actors["city"] = await city_officer(county)
    await commissioned(county, actors["city"], "C-B", SampleRequest(stations=("ST03",)))
    await commission(
        actors["city"],
        contract_code="C-A",
        evaluation_agency_id=county.evaluators.id,
        system_id=county.round_a.system_id,
        as_of=dt.date(2026, 6, 30),
        sample=SampleRequest(stations=("ST01",)),
    )
    seen = set(await station_scope(actors["city"]).values_list("code", flat=True))
    assert seen == {"ST01", "ST03"}
    # the official of ST01's township, on A's final round for the purchaser: that round and
    # ST01, nothing else
    actors["township"] = await township_official(county)
    final = await year_end(county)
    await panel_staff.assign_user(
        county.actors["lead"], final.id, "township", Role.EVALUATOR, "purchaser"
    )
    assert set(await round_scope(actors["township"]).values_list("id", flat=True)) == {final.id}
    seen = set(await station_scope(actors["township"]).values_list("code", flat=True))
    assert seen == {"ST01"}
    for day in (dt.date(2026, 6, 1), dt.date(2026, 8, 1)):
        clock.pin(day)
        assert await _check(actors) == 14 * 9  # actors × (6 rounds + 3 stations)
