"""The unit a write names, read with one query (cohorts.round_unit), is the unit the
round's whole cohort would give (unit_named over round_units): exact codes, codes typed in
another case or width, stations of another contract or gone by a rebid, unknown codes, and
the agency of an agency-scored round."""

from __future__ import annotations

from test_station_links import rebid
from workflow_fixtures import build_county, final_round

from evaluator.services.cohorts import round_unit, round_units, unit_named
from evaluator.services.systems import system_of
from evaluator.store.rounds import SystemVersion

TYPED = ["ST01", "st01", "ＳＴ０２", "ST02", "st03", "ST03", "ST99", "", "ST0", "ST01 "]


async def test_round_unit_equals_the_unit_the_cohort_names(db):
    county = await build_county()
    new = await rebid(county)  # ST02 leaves contract A on 2026-07-01
    rounds = [county.round_a, county.round_b]
    rounds.append(await final_round(county))  # contract A after the rebid: ST01 only
    compared = 0
    for round_ in rounds:
        system = await system_of(await SystemVersion.get(id=round_.system_id))
        units = await round_units(round_, system)
        for text in TYPED:
            assert await round_unit(round_, system, text) == unit_named(units, text), (
                round_.as_of,
                text,
            )
            compared += 1
    assert compared == 30 and new.code == "C-B2"


async def test_an_agency_round_names_its_agency(db):
    from evaluator.shipped import shipped_system

    county = await build_county(system=shipped_system("agency-annual").read_text(encoding="utf-8"))
    round_ = county.round_a
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    assert system.unit == "agency"
    units = await round_units(round_, system)
    for text in [*units, str(county.agency_b.id), "ST01", ""]:
        assert await round_unit(round_, system, text) == unit_named(units, text)
    assert await round_unit(round_, system, str(county.agency_a.id)) == str(county.agency_a.id)
