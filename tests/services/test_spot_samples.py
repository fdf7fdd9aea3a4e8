"""A spot check's sample (services/spot_samples.py): the stations it scores are the sampled
ones everywhere — units, scoring, completeness, results, comparison, visibility, roll-up —
and the sample and how it was drawn are recorded in the round and its audit event."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from services.workflow_fixtures import N_LEAVES, build_county
from test_spot_checks import city_officer

from evaluator import clock
from evaluator.analysis.spot_sample import draw
from evaluator.errors import InvalidInput, NotFound
from evaluator.services import completeness, panel_staff
from evaluator.services import contracts as cs
from evaluator.services import rounds as rs
from evaluator.services import stations as station_svc
from evaluator.services.actors import get_station
from evaluator.services.cohorts import round_units
from evaluator.services.rollups import document, region_rollup
from evaluator.services.round_inputs import system_of_round
from evaluator.services.scoring import record_scores
from evaluator.services.spot_checks import commission, spot_check_comparison
from evaluator.services.spot_samples import SampleRequest, sample_document
from evaluator.store.audit import AuditEvent
from evaluator.store.base import Role, RoundKind
from evaluator.store.rounds import ApprovalSnapshot, Round, SystemVersion

CODES = ["ST04", "ST05", "ST06", "ST07", "ST08"]


def _rows(units) -> pd.DataFrame:
    return pd.DataFrame(
        [{"unit": u, "leaf": f"L{i:02d}", "value": 10} for u in units for i in range(N_LEAVES)]
    )


async def _staff_and_open(county, round_):
    await panel_staff.assign(county.admin, round_, county.users["lead"], Role.LEAD_EVALUATOR)
    await panel_staff.assign(county.admin, round_, county.users["evaluator"], Role.EVALUATOR)
    return await rs.open_round(county.actors["lead"], round_, round_.version)


@pytest.fixture
async def world(db):
    """Contract C-S of five stations (ST04–ST08), its mid-term round approved on 30 September
    with full marks, and a city officer over the county."""
    county = await build_county()
    city = await city_officer(county)
    stations = [
        await station_svc.create_station(county.admin, county.bureau, c, f"{c}站") for c in CODES
    ]
    contract = await cs.create_contract(
        county.actors["bureau"],
        code="C-S",
        buyer=county.bureau,
        agency=county.agency_a,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        amount_fen=50_000_000,
        stations=[cs.StationTerms(s, {"cases": 20}) for s in stations],
    )
    system = await SystemVersion.get(id=county.round_a.system_id)
    own = await rs.create_round(
        county.actors["bureau"],
        contract=contract,
        evaluation_agency=county.evaluators,
        kind=RoundKind.MID_TERM,
        system=system,
        as_of=dt.date(2026, 6, 30),
        elapsed=0.5,
    )
    own = await _staff_and_open(county, own)
    await record_scores(county.actors["evaluator"], own.id, _rows(CODES))
    own = await rs.submit_round(county.actors["lead"], own, own.version)
    with clock.pinned(dt.date(2026, 9, 30)):
        await rs.approve_round(county.actors["bureau"], own, own.version)
    return county, city, {s.code: s for s in stations}


async def _commission(county, city, sample: SampleRequest | None) -> Round:
    return await commission(
        city,
        contract_code="C-S",
        evaluation_agency_id=county.evaluators.id,
        system_id=county.round_a.system_id,
        as_of=dt.date(2026, 11, 20),
        sample=sample,
    )


async def test_a_drawn_sample_is_what_the_spot_check_scores_everywhere(world, today):
    county, city, stations = world
    check = await _commission(county, city, SampleRequest(count=2))
    sampled = draw(CODES, 2, str(check.id))  # anyone can redo the draw from the round id
    assert len(sampled) == 2
    doc = await sample_document(check)
    assert doc == {
        "method": "count",
        "method_zh": "按数量抽取",
        "share": None,
        "count": 2,
        "seed": str(check.id),
        "population": 5,
        "stations": sampled,
    }
    event = await AuditEvent.filter(action="round.create", object_id=str(check.id)).get()
    assert json.loads(event.after)["sample"] == doc
    system = await system_of_round(check)
    assert await round_units(check, system) == sampled

    check = await _staff_and_open(county, check)
    outside = next(c for c in CODES if c not in sampled)
    with pytest.raises(InvalidInput):  # a station outside the sample cannot be scored
        await record_scores(county.actors["evaluator"], check.id, _rows([outside]))
    _, gaps = await completeness.list_gaps(county.actors["lead"], check.id)
    assert {g.unit for g in gaps} == set(sampled)  # only the sampled stations are owed
    await record_scores(county.actors["evaluator"], check.id, _rows(sampled))

    # the city sees the sampled stations only
    assert (await get_station(city, stations[sampled[0]].id)).code == sampled[0]
    with pytest.raises(NotFound):
        await get_station(city, stations[outside].id)

    comparison = await spot_check_comparison(city, check.id)
    assert sorted(s["unit"] for s in comparison["stations"]) == sampled
    assert comparison["summary"]["stations"] == 2 and comparison["sample"] == doc

    check = await rs.submit_round(county.actors["lead"], check, check.version)
    with clock.pinned(dt.date(2026, 11, 25)):
        snapshot = await rs.approve_round(city, check, check.version)
    assert isinstance(snapshot, ApprovalSnapshot)
    assert sorted(json.loads(snapshot.results)) == sampled
    today(dt.date(2026, 12, 1))
    rows = document(await region_rollup(city, "341521", "2026-Q4"))["rows"]
    (figures,) = [r["figures"] for r in rows if r["region"]["code"] == "341521"]
    assert figures["grade.spot_check.good"] == 2  # two graded stations, not five


async def test_a_named_sample_and_a_share(world):
    county, city, _ = world
    named = await _commission(county, city, SampleRequest(stations=("st07", "ＳＴ０５")))
    assert (await sample_document(named))["stations"] == ["ST05", "ST07"]
    assert (await sample_document(named))["seed"] == ""  # nothing drawn
    half = await _commission(county, city, SampleRequest(share=0.5))  # 2.5 → 3 stations
    doc = await sample_document(half)
    assert doc["method"] == "share" and doc["stations"] == draw(CODES, 3, str(half.id))
    whole = await _commission(county, city, None)
    assert (await sample_document(whole))["stations"] == CODES
    assert (await sample_document(whole))["method_zh"] == "全部社工站"


@pytest.mark.parametrize(
    "sample, path, en, zh",
    [
        (SampleRequest(share=0.3, count=2), "sample", "name the sample one way", "只能选一种"),
        (SampleRequest(), "sample", "name the sample one way", "只能选一种"),
        (SampleRequest(stations=()), "sample.stations", "at least one", "至少指定一个"),
        (
            SampleRequest(stations=("ST04", "ST01")),
            "sample.stations[1]",
            "'ST01' is not a station of contract C-S on 2026-11-20",
            "“ST01”不是合同 C-S 在 2026-11-20 的社工站",
        ),
        (SampleRequest(stations=("ST04", "st04")), "sample.stations[1]", "twice", "重复"),
        (SampleRequest(share=0), "sample.share", "in (0, 1]", "抽样比例须在 (0, 1] 之间"),
        (SampleRequest(share=1.5), "sample.share", "in (0, 1]", "抽样比例"),
        (SampleRequest(share=float("nan")), "sample.share", "in (0, 1]", "抽样比例"),
        (SampleRequest(count=0), "sample.count", "must be 1 to 5", "1 至 5"),
        (SampleRequest(count=6), "sample.count", "must be 1 to 5", "社工站数"),
    ],
)
async def test_bad_samples_are_refused_where_and_what(world, sample, path, en, zh):
    county, city, _ = world
    before = await Round.all().count()
    with pytest.raises(InvalidInput) as caught:
        await _commission(county, city, sample)
    (problem,) = caught.value.problems
    assert problem.path == path and en in problem.en and zh in problem.zh
    assert await Round.all().count() == before  # nothing written


async def test_only_a_spot_check_samples(world):
    county, _, _ = world
    with pytest.raises(InvalidInput) as caught:
        await rs.create_round(
            county.actors["bureau"],
            contract=county.contract_a,
            evaluation_agency=county.evaluators,
            kind=RoundKind.FINAL,
            system=await SystemVersion.get(id=county.round_a.system_id),
            as_of=dt.date(2026, 12, 31),
            sample=SampleRequest(count=1),
        )
    assert caught.value.problems[0].path == "sample" and "仅抽查" in caught.value.problems[0].zh
