"""One station, one agency at a time (issue 12, point 8), through the services:

- the database refuses overlapping links of a station and links that end before they start
  (exclusion constraint on PostgreSQL, triggers on SQLite), also under parallel claims;
- a mid-year rebid: the new contract follows the old (``renewal_of``, succession ``rebid``),
  the old link ends the day before, in the contract's own transaction; the old agency keeps
  its history, the new one sees the station from its first day, as-of reads name the agency
  on either side of the date;
- a handover of one station between existing contracts, refused across a round under way;
- rounds lie inside their contract's period and score the stations linked on their date.

The HTTP race against two workers runs on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
from tortoise.exceptions import IntegrityError
from two_workers import two_workers
from workflow_fixtures import build_county

from evaluator.errors import InvalidInput, NotFound, Overlap, PermissionDenied, StateError
from evaluator.services import audit, station_links
from evaluator.services import contracts as cs
from evaluator.services import rounds as rs
from evaluator.services.actors import station_scope
from evaluator.services.cohorts import round_units
from evaluator.services.systems import system_of
from evaluator.store.audit import AuditEvent
from evaluator.store.base import RoundKind
from evaluator.store.contracts import Contract, ContractStation
from evaluator.store.rounds import Round, SystemVersion

D = dt.date
YEAR_END = D(2026, 12, 31)


async def rebid(county, start=None, code="C-B2", agency=None, **kw) -> Contract:
    """Agency B wins ST02 from ``start`` (2026-07-01) for a year, following contract A."""
    start = start or D(2026, 7, 1)
    return await cs.create_contract(
        county.actors["bureau"],
        code=code,
        buyer=county.bureau,
        agency=agency or county.agency_b,
        period_start=start,
        period_end=D(start.year + 1, start.month, start.day) - dt.timedelta(days=1),
        amount_fen=25_000_000,
        stations=[cs.StationTerms(county.stations["ST02"], {"cases": 12})],
        renewal_of=county.contract_a,
        **kw,
    )


async def codes_seen(actor) -> list[str]:
    return sorted(await station_scope(actor).values_list("code", flat=True))


async def test_the_database_refuses_overlapping_links(db):
    county = await build_county()
    st = county.stations["ST01"]  # on contract A over [2026-01-01, 2027-01-01)
    for start, end in [(D(2026, 12, 31), D(2027, 6, 1)), (D(2025, 6, 1), None)]:
        with pytest.raises(IntegrityError):
            await ContractStation.create(
                contract=county.contract_b, station=st, valid_from=start, valid_to=end
            )
    with pytest.raises(IntegrityError):  # a link ends after it starts
        await ContractStation.create(
            contract=county.contract_b,
            station=county.stations["ST03"],
            valid_from=D(2027, 3, 1),
            valid_to=D(2027, 3, 1),
        )
    # adjacent is not overlapping: [.., 2027-01-01) then [2027-01-01, ..)
    after = await ContractStation.create(
        contract=county.contract_b, station=st, valid_from=D(2027, 1, 1), valid_to=None
    )
    after.valid_from = D(2026, 12, 1)  # an update into an overlap is refused too
    with pytest.raises(IntegrityError):
        await after.save()
    assert await ContractStation.filter(station=st).count() == 2


async def test_a_contract_over_a_linked_station_is_refused_and_writes_nothing(db):
    county = await build_county()
    contracts, links, events = (
        await Contract.all().count(),
        await ContractStation.all().count(),
        await AuditEvent.all().count(),
    )
    with pytest.raises(Overlap) as exc:
        await cs.create_contract(
            county.actors["bureau"],
            code="C-X",
            buyer=county.bureau,
            agency=county.agency_b,
            period_start=D(2026, 7, 1),
            period_end=D(2027, 6, 30),
            amount_fen=1_000_000,
            stations=[
                cs.StationTerms(county.stations["ST02"], {}),
            ],
        )
    problem = exc.value.problems[0]
    assert "ST02" in problem.en and "C-A" in problem.en and "2026-01-01" in problem.en
    assert "C-A" in problem.zh
    assert (
        await Contract.all().count(),
        await ContractStation.all().count(),
        await AuditEvent.all().count(),
    ) == (contracts, links, events)


async def test_a_mid_year_rebid_hands_the_station_over(db, today):
    county = await build_county()
    bureau, agency_a, agency_b = (county.actors[k] for k in ("bureau", "agency_a", "agency_b"))
    st02 = county.stations["ST02"]
    today(D(2026, 6, 15))
    new = await rebid(county)
    assert new.succession == "rebid" and new.renewal_of_id == county.contract_a.id

    old_link = await ContractStation.get(contract=county.contract_a, station=st02)
    assert (old_link.valid_from, old_link.valid_to) == (D(2026, 1, 1), D(2026, 7, 1))
    new_link = await ContractStation.get(contract=new, station=st02)
    assert (new_link.valid_from, new_link.valid_to) == (D(2026, 7, 1), D(2027, 7, 1))
    event = await AuditEvent.filter(action="contract.create", object_id=str(new.id)).get()
    after = json.loads(event.after)
    assert after["succession"] == "rebid"
    assert after["taken_over"] == [{"station": "ST02", "contract": "C-A", "valid_to": "2027-01-01"}]
    assert (await audit.verify()).ok

    # as of either side of the date
    assert (await station_links.agency_of_station(st02, D(2026, 6, 30))).id == county.agency_a.id
    assert (await station_links.agency_of_station(st02, D(2026, 7, 1))).id == county.agency_b.id
    for on, agency in [(D(2026, 6, 30), "阳光社工"), (D(2026, 7, 1), "春晖社工")]:
        who = await station_links.responsible_on(bureau, [st02.id], on)
        assert who[st02.id].document()["agency_name"] == agency
    # the new agency sees the station from its first day, not before
    assert await codes_seen(agency_b) == ["ST03"]
    today(D(2026, 7, 1))
    assert await codes_seen(agency_b) == ["ST02", "ST03"]
    # the old agency keeps its history, and is not told who runs the station now
    assert await codes_seen(agency_a) == ["ST01", "ST02"]
    assert await station_links.responsible_on(agency_a, [st02.id], D(2026, 7, 1)) == {}
    assert st02.id in await station_links.responsible_on(agency_a, [st02.id], D(2026, 6, 30))
    assert [link.contract.code for link in await station_links.station_links(agency_a, st02)] == [
        "C-A"
    ]
    assert [link.contract.code for link in await station_links.station_links(bureau, st02)] == [
        "C-A",
        "C-B2",
    ]
    # the open mid-term round keeps ST02 (its date is before the handover); a round of the
    # new contract scores it from then on, and contract A's later rounds no longer do
    system = await system_of(await SystemVersion.get(id=county.round_a.system_id))
    assert await round_units(county.round_a, system) == ["ST01", "ST02"]
    version = await SystemVersion.get(id=county.round_a.system_id)
    later = await rs.create_round(
        bureau,
        contract=new,
        evaluation_agency=county.evaluators,
        kind=RoundKind.MID_TERM,
        system=version,
        as_of=D(2026, 12, 31),
    )
    assert await round_units(later, system) == ["ST02"]
    final_a = await rs.create_round(
        bureau,
        contract=county.contract_a,
        evaluation_agency=county.evaluators,
        kind=RoundKind.FINAL,
        system=version,
        as_of=YEAR_END,
    )
    assert await round_units(final_a, system) == ["ST01"]
    # nobody else claims ST02 in the new contract's year
    with pytest.raises(Overlap) as exc:
        await cs.create_contract(
            bureau,
            code="C-Z",
            buyer=county.bureau,
            agency=county.agency_a,
            period_start=D(2026, 10, 1),
            period_end=D(2026, 12, 31),
            amount_fen=1_000,
            stations=[cs.StationTerms(st02, {})],
        )
    assert "C-B2" in exc.value.problems[0].en


async def test_a_handover_never_crosses_a_round_under_way(db):
    county = await build_county()  # round A is open with its date 2026-06-30
    contracts, links = await Contract.all().count(), await ContractStation.all().count()
    with pytest.raises(StateError) as exc:
        await rebid(county, start=D(2026, 6, 1))
    assert "2026-06-30" in exc.value.problems[0].en
    assert (await Contract.all().count(), await ContractStation.all().count()) == (
        contracts,
        links,
    )
    assert (
        await ContractStation.get(contract=county.contract_a, station=county.stations["ST02"])
    ).valid_to == D(2027, 1, 1)


async def test_a_round_still_in_draft_does_not_hold_the_date(db):
    county = await build_county(open_rounds=False)
    assert (await rebid(county, start=D(2026, 6, 1))).succession == "rebid"
    system = await system_of(await SystemVersion.get(id=county.round_a.system_id))
    assert await round_units(county.round_a, system) == ["ST01"]  # its date is 2026-06-30


async def test_succession_is_checked(db):
    county = await build_county()
    with pytest.raises(InvalidInput) as exc:
        await rebid(county, succession="renewal")  # a new agency is a rebid
    assert exc.value.problems[0].path == "succession"
    with pytest.raises(InvalidInput):
        await rebid(county, succession="takeover")
    with pytest.raises(InvalidInput) as exc:
        await rebid(county, start=D(2025, 7, 1))
    assert [p.path for p in exc.value.problems] == ["period_start"]
    with pytest.raises(InvalidInput):  # succession without the contract it follows
        await cs.create_contract(
            county.actors["bureau"],
            code="C-Q",
            buyer=county.bureau,
            agency=county.agency_a,
            period_start=D(2027, 1, 1),
            period_end=D(2027, 12, 31),
            amount_fen=1_000,
            stations=[],
            succession="renewal",
        )
    # a renewal: the same agency again from the day after; nothing to end, adjacent links
    renewal = await cs.create_contract(
        county.actors["bureau"],
        code="C-A2",
        buyer=county.bureau,
        agency=county.agency_a,
        period_start=D(2027, 1, 1),
        period_end=D(2027, 12, 31),
        amount_fen=60_000_000,
        stations=[cs.StationTerms(county.stations[s], {}) for s in ("ST01", "ST02")],
        renewal_of=county.contract_a,
    )
    assert renewal.succession == "renewal"
    assert await ContractStation.filter(station=county.stations["ST01"]).count() == 2
    # only through the actor's scope: another county's bureau does not see contract A
    with pytest.raises(NotFound):
        await cs.sign_contract(
            county.actors["other_bureau"],
            code="C-O",
            buyer_id=county.other_bureau.id,
            agency_id=county.agency_b.id,
            period_start=D(2027, 1, 1),
            period_end=D(2027, 12, 31),
            amount_fen=1_000,
            stations=[],
            renewal_of_id=county.contract_a.id,
        )


async def test_hand_over_moves_one_station_between_contracts(db):
    county = await build_county()
    bureau = county.actors["bureau"]
    st03 = county.stations["ST03"]
    link = await station_links.hand_over(
        bureau, st03.id, county.contract_a.id, D(2026, 9, 1), {"cases": 8}
    )
    assert (link.valid_from, link.valid_to, link.targets) == (
        D(2026, 9, 1),
        D(2027, 1, 1),
        {"cases": 8},
    )
    assert (await station_links.agency_of_station(st03, D(2026, 8, 31))).id == county.agency_b.id
    assert (await station_links.agency_of_station(st03, D(2026, 9, 1))).id == county.agency_a.id
    event = await AuditEvent.filter(action="station.handover").get()
    assert json.loads(event.before) == {
        "contract": "C-B",
        "valid_to": "2027-01-01",
        "agency": str(county.agency_b.id),
    }
    after = json.loads(event.after)
    assert after["contract"] == "C-A" and after["valid_from"] == "2026-09-01"

    with pytest.raises(InvalidInput):  # already there
        await station_links.hand_over(bureau, st03.id, county.contract_a.id, D(2026, 10, 1))
    with pytest.raises(InvalidInput) as exc:  # outside the receiving contract's period
        await station_links.hand_over(bureau, st03.id, county.contract_b.id, D(2027, 2, 1))
    assert exc.value.problems[0].path == "on"
    with pytest.raises(NotFound):
        await station_links.hand_over(
            county.actors["other_bureau"], st03.id, county.contract_b.id, D(2026, 10, 1)
        )
    with pytest.raises(PermissionDenied):
        await station_links.hand_over(
            county.actors["agency_a"],
            county.stations["ST01"].id,
            county.contract_a.id,
            D(2026, 10, 1),
        )
    with pytest.raises(StateError):  # round B (open, dated 2026-06-30) holds ST03 then
        await station_links.hand_over(bureau, st03.id, county.contract_a.id, D(2026, 5, 1))
    assert await ContractStation.filter(station=st03).count() == 2


async def test_rounds_lie_inside_their_contract(db):
    county = await build_county()
    version = await SystemVersion.get(id=county.round_a.system_id)
    rounds = await Round.all().count()
    for as_of in (D(2025, 12, 31), D(2027, 1, 1)):
        with pytest.raises(InvalidInput) as exc:
            await rs.create_round(
                county.actors["bureau"],
                contract=county.contract_a,
                evaluation_agency=county.evaluators,
                kind=RoundKind.FINAL,
                system=version,
                as_of=as_of,
            )
        assert exc.value.problems[0].path == "as_of"
        assert "C-A" in exc.value.problems[0].zh
    assert await Round.all().count() == rounds


async def test_parallel_claims_of_one_station_leave_one_link(db):
    county = await build_county()
    st = county.stations["ST02"]

    async def claim(i: int):
        return await cs.create_contract(
            county.actors["bureau"],
            code=f"C-2027-{i}",
            buyer=county.bureau,
            agency=county.agency_b,
            period_start=D(2027, 1, 1),
            period_end=D(2027, 12, 31),
            amount_fen=1_000_000,
            stations=[cs.StationTerms(st, {})],
        )

    outcomes = await asyncio.gather(*(claim(i) for i in range(12)), return_exceptions=True)
    won = [o for o in outcomes if isinstance(o, Contract)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, Overlap) for o in outcomes if o not in won), outcomes
    assert await ContractStation.filter(station=st, valid_from=D(2027, 1, 1)).count() == 1
    assert await Contract.filter(code__startswith="C-2027-").count() == 1
    assert await AuditEvent.filter(action="contract.create").count() == 3  # A, B, the winner

    # parallel handovers of one station to two contracts: one wins, the other sees it
    other = [
        await cs.create_contract(
            county.actors["bureau"],
            code=f"C-H{i}",
            buyer=county.bureau,
            agency=agency,
            period_start=D(2026, 1, 1),
            period_end=YEAR_END,
            amount_fen=1_000,
            stations=[],
        )
        for i, agency in enumerate((county.agency_a, county.agency_b))
    ]
    outcomes = await asyncio.gather(
        *(
            station_links.hand_over(
                county.actors["bureau"], county.stations["ST01"].id, c.id, D(2026, 9, 1)
            )
            for c in other * 4
        ),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, ContractStation)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, (Overlap, InvalidInput)) for o in outcomes if o not in won)
    assert await ContractStation.filter(station=county.stations["ST01"]).count() == 2


async def test_parallel_posts_to_two_workers_link_a_station_once(db, db_kind, evidence_dir):
    if db_kind != "postgres":
        pytest.skip("races between sanic workers need PostgreSQL (SQLite allows one worker)")
    from evaluator.services import auth
    from evaluator.services.actors import Actor

    county = await build_county()
    await auth.set_password(Actor.system(), "bureau", "correct horse battery")
    token = (await auth.login("bureau", "correct horse battery", "198.51.100.8")).token
    async with two_workers(db.url, evidence_dir) as base:

        def body(i: int) -> dict:
            return {
                "code": f"C-RACE-{i}",
                "buyer": str(county.bureau.id),
                "agency": str((county.agency_a, county.agency_b)[i % 2].id),
                "period_start": "2027-01-01",
                "period_end": "2027-12-31",
                "amount_fen": 1_000_000,
                "stations": [{"station": str(county.stations["ST03"].id)}],
            }

        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"{base}/api/v1/contracts",
                        json=body(i),
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for i in range(30)
                )
            )
    codes = [a.status_code for a in answers]
    assert codes.count(201) == 1 and set(codes) == {201, 409}, codes
    assert {a.json()["type"].rsplit("/", 1)[1] for a in answers if a.status_code == 409} == {
        "overlapping-link"
    }
    assert (
        await ContractStation.filter(
            station=county.stations["ST03"], valid_from=D(2027, 1, 1)
        ).count()
        == 1
    )
    assert await Contract.filter(code__startswith="C-RACE-").count() == 1
