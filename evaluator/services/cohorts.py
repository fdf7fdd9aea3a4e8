"""The units a round scores: the contract's stations linked on the round's date (a spot
check: those of its sample, services/spot_samples.py), or the agency; their contract
targets (the agency's: its stations' summed), and the unit a typed code names."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.queryset import QuerySet

from evaluator.services import station_links
from evaluator.store.base import RoundKind
from evaluator.store.contracts import Contract, ContractStation, Station
from evaluator.store.rounds import Round
from evaluator.systems import IndicatorSystem
from evaluator.tables.cells import code_key


def unit_named(units: list[str], text: str) -> str | None:
    """The unit of ``units`` that ``text`` names: exactly, or as a station code compared
    without case or width (``st01`` names ``ST01``); None if none does."""
    if text in units:
        return text
    key = code_key(text)
    return next((u for u in units if code_key(u) == key), None)


async def unit_code(text: str) -> str:
    """A unit as scores store it: a station's code however it was typed (``st01`` and
    ``ＳＴ０１`` name ``ST01``), or the text itself (an agency unit, an unknown code)."""
    station = await Station.filter(code_key=code_key(text)).first()
    return station.code if station else text


def agency_targets(stations: list[dict | None]) -> dict[str, float]:
    """The agency's contract targets: each target its stations' contract terms give, summed
    over the stations that give it (the contract's whole budget, cases, …); a target no
    station gives is absent (a measure naming it is then flagged ``no_target``)."""
    out: dict[str, float] = {}
    for targets in stations:
        for key, value in (targets or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = out.get(key, 0) + value
    return out


def round_links(round_: Round) -> QuerySet[ContractStation]:
    """The station links a round scores: the contract's in force on the round's date; a
    spot check's, only those of its sample."""
    links = ContractStation.filter(
        station_links.active_on(round_.as_of), contract_id=round_.contract_id
    )
    if round_.kind == RoundKind.SPOT_CHECK:
        links = links.filter(station__sampled_in__sample__round_id=round_.id)
    return links


@dataclass(frozen=True)
class Cohort:
    """What a round scores, read once: its contract, its units (the contract's stations in
    force on the round's date, or the agency) and each unit's contract targets."""

    contract: Contract
    units: list[str]  # station codes, sorted (an agency round: the agency's id)
    targets: dict[str, dict]  # unit → its targets in the contract (the agency: its stations' sums)


async def round_cohort(round_: Round, system: IndicatorSystem, conn=None) -> Cohort:
    """The round's :class:`Cohort` (one read of the contract and of its station links)."""
    contract = await Contract.get(id=round_.contract_id).using_db(conn)
    if system.unit == "agency":
        unit = str(contract.agency_id)
        targets = (
            await ContractStation.filter(
                station_links.active_on(round_.as_of), contract_id=contract.id
            )
            .using_db(conn)
            .values_list("targets", flat=True)
        )
        return Cohort(contract, [unit], {unit: agency_targets(targets)})
    # the links in force as plain rows (a national round has 30,000: no model objects)
    links = (
        await round_links(round_)
        .using_db(conn)
        .order_by("station__code")
        .values_list("station__code", "targets")
    )
    return Cohort(
        contract,
        [code for code, _ in links],
        {code: targets or {} for code, targets in links},
    )


async def contract_stations(round_: Round, conn=None) -> list[str]:
    """The codes of the stations the round's contract runs on the round's date, whatever
    the round scores: an agency round reads its registers' rows of these stations only."""
    return list(
        await ContractStation.filter(
            station_links.active_on(round_.as_of), contract_id=round_.contract_id
        )
        .using_db(conn)
        .order_by("station__code")
        .values_list("station__code", flat=True)
    )


async def round_unit(round_: Round, system: IndicatorSystem, text: str, conn=None) -> str | None:
    """The unit of the round that ``text`` names, as :func:`unit_named` finds it among
    :func:`round_units`, read with one query: a write names one unit, and a province's
    round has thousands."""
    if system.unit == "agency":
        contract = await Contract.get(id=round_.contract_id).using_db(conn)
        return unit_named([str(contract.agency_id)], text)
    found = (
        await round_links(round_)
        .filter(station__code_key=code_key(text))
        .using_db(conn)
        .values_list("station__code", flat=True)
    )
    return str(found[0]) if found else None


async def round_units(round_: Round, system: IndicatorSystem, conn=None) -> list[str]:
    """The units a round scores: the contract's stations in force on its date (a spot
    check's sample), or the agency."""
    return (await round_cohort(round_, system, conn)).units
