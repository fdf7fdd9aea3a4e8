"""Who runs a station when: the effective-dated links between stations and contracts.

A link ``[valid_from, valid_to)`` lies inside its contract's period, and a station has one
link (so one agency) at a time — checked here with a message that names the clash, and
guarded by the database for the races (an exclusion constraint on PostgreSQL, triggers on
SQLite; migration 0007). History stays with the agency that earned it: ending a link never
deletes it, and a round that has started keeps the stations it was opened with.

Use cases:
- a contract that follows another (``renewal_of``, with ``succession`` renewal or rebid)
  takes over the predecessor's stations from its first day (``take_over``, called inside
  the contract's creation);
- ``hand_over`` moves one station to another contract from a date;
- ``end_station_link`` ends a station's link without a successor.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.decisions.words import ROUND_KIND_ZH, ROUND_STATE_ZH
from evaluator.errors import InvalidInput, Overlap, Problem, StateError
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    buys,
    contract_scope,
    get_contract,
    get_station,
    require,
)
from evaluator.store.base import PANEL_ROLES, Role, RoundState
from evaluator.store.contracts import Contract, ContractStation, Station
from evaluator.store.orgs import Organisation
from evaluator.store.rounds import Round

SUCCESSIONS = ("renewal", "rebid")
GUARDS = ("contract_station_no_overlap", "contract_station_dates")


def active_on(on: dt.date, prefix: str = "") -> Q:
    """Links in force on a date (``prefix`` reaches them through a relation)."""
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": on})
    )


def link_end(contract: Contract) -> dt.date:
    """The exclusive end of a link that runs to the end of its contract."""
    return contract.period_end + dt.timedelta(days=1)


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "…"


# -- reads ----------------------------------------------------------------------------------
def link_scope(actor: Actor) -> QuerySet[ContractStation]:
    """The station links an actor may see: a bureau its contracts', an agency its own
    from the day they start (never another agency's), an evaluator those of the contracts
    of its rounds (a township official none: they are not told who runs their station)."""
    if actor.sees_everything:
        return ContractStation.all()
    q = Q(contract__buyer_id__in=list(actor.orgs(Role.BUREAU_OFFICER))) | Q(
        Q(contract__agency_id__in=list(actor.orgs(Role.AGENCY_USER)))
        & Q(valid_from__lte=clock.today())
    )
    if actor.user_id is not None:  # a township official's assignment shows no link
        q |= Q(
            contract__rounds__assignments__user_id=actor.user_id,
            contract__rounds__assignments__role__in=list(PANEL_ROLES),
        )
    return ContractStation.filter(q).distinct()


async def stations_as_of(contract: Contract, on: dt.date, conn=None) -> list[ContractStation]:
    """The contract's station links in force on a date, with their stations."""
    return (
        await ContractStation.filter(active_on(on), contract=contract)
        .using_db(conn)
        .prefetch_related("station")
        .order_by("station__code")
    )


async def agency_of_station(station: Station, on: dt.date) -> Organisation | None:
    """The agency running a station on a date (history stays with whoever ran it then)."""
    link = (
        await ContractStation.filter(active_on(on), station=station)
        .prefetch_related("contract__agency")
        .first()
    )
    return link.contract.agency if link else None


@dataclass(frozen=True)
class Responsible:
    """Who ran a station on a date: the link in force, its contract and agency."""

    on: dt.date
    link: ContractStation

    def document(self) -> dict:
        contract = self.link.contract
        return {
            "on": self.on.isoformat(),
            "agency_id": str(contract.agency_id),
            "agency_name": contract.agency.name,
            "contract_id": str(contract.id),
            "contract_code": contract.code,
            "valid_from": self.link.valid_from.isoformat(),
            "valid_to": self.link.valid_to.isoformat() if self.link.valid_to else None,
        }


async def responsible_on(actor: Actor, station_ids: list, on: dt.date) -> dict[object, Responsible]:
    """For each station, the link in force on ``on`` that the actor may see (an agency user
    is not told which other agency runs a station)."""
    links = (
        await link_scope(actor)
        .filter(active_on(on), station_id__in=list(station_ids))
        .prefetch_related("contract__agency")
    )
    return {link.station_id: Responsible(on, link) for link in links}


async def station_links(actor: Actor, station: Station) -> list[ContractStation]:
    """A station's links the actor may see, oldest first, with contract and agency."""
    return (
        await link_scope(actor)
        .filter(station_id=station.id)
        .prefetch_related("contract__agency")
        .order_by("valid_from")
    )


# -- guards ---------------------------------------------------------------------------------
@contextmanager
def guarded(station: Station | None = None):
    """The database's refusal of an overlapping link (a race the checks below lost) as a
    409 that names the station."""
    try:
        yield
    except IntegrityError as exc:
        if not any(name in str(exc) for name in GUARDS):
            raise
        what = f"station {station.code}" if station else "a station"
        raise Overlap(
            Problem(
                f"{what} is linked to another contract over these dates (a concurrent change); "
                "read its links again",
                f"{station.code if station else '社工站'} 在此期间已关联其他合同（并发修改），请重新读取",
                path="stations",
            )
        ) from None


async def check_free(
    station: Station, start: dt.date, end: dt.date | None, conn, path: str = "stations"
) -> None:
    """Refuse a link of ``station`` over ``[start, end)`` that would overlap another."""
    clash = (
        await ContractStation.filter(station_id=station.id, valid_from__lt=end or dt.date.max)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .using_db(conn)
        .prefetch_related("contract")
        .first()
    )
    if clash is not None:
        raise Overlap(
            Problem(
                f"station {station.code} is linked to contract {clash.contract.code} over "
                f"[{_day(clash.valid_from)}, {_day(clash.valid_to)}): one agency at a time; "
                "end that link first or sign this contract as its renewal or rebid",
                f"社工站 {station.code} 在 [{_day(clash.valid_from)}, {_day(clash.valid_to)}) "
                f"已关联合同 {clash.contract.code}：同一时间只能由一家机构承接；"
                "请先结束该关联，或将本合同作为其续签/重新招标合同",
                path=path,
            )
        )


async def _started_rounds(contract: Contract, on: dt.date, conn) -> list[Round]:
    """Rounds of the contract past their draft whose evaluation date is on or after ``on``:
    moving a station across ``on`` would change the stations they score."""
    return (
        await Round.filter(contract_id=contract.id, as_of__gte=on)
        .exclude(state=RoundState.DRAFT)
        .using_db(conn)
        .order_by("as_of")
    )


async def refuse_if_rounds_started(contract: Contract, on: dt.date, conn) -> None:
    started = await _started_rounds(contract, on, conn)
    if started:
        names = ", ".join(
            f"{r.kind.value} {r.as_of.isoformat()} ({r.state.value})" for r in started
        )
        names_zh = "、".join(
            f"{ROUND_KIND_ZH[r.kind.value]} {r.as_of.isoformat()}（{ROUND_STATE_ZH[r.state.value]}）"
            for r in started
        )
        raise StateError(
            Problem(
                f"contract {contract.code} has rounds under way on or after {on.isoformat()} "
                f"({names}): their stations cannot change; choose a date after them",
                f"合同 {contract.code} 在 {on.isoformat()} 及以后有进行中的评估轮次（{names_zh}），"
                "其社工站不可变更；请选择其后的日期",
                path="on",
            )
        )


def _within(contract: Contract, on: dt.date, path: str) -> None:
    if not contract.period_start <= on <= contract.period_end:
        raise InvalidInput(
            Problem(
                f"{on.isoformat()} is outside contract {contract.code}'s period "
                f"{contract.period_start.isoformat()} – {contract.period_end.isoformat()}",
                f"{on.isoformat()} 不在合同 {contract.code} 的服务期 "
                f"{contract.period_start.isoformat()} 至 {contract.period_end.isoformat()} 内",
                path=path,
            )
        )


async def _end(link: ContractStation, on: dt.date, conn) -> dict:
    """End a link at ``on`` (exclusive); returns the before-image for the audit."""
    if on <= link.valid_from:
        raise InvalidInput(
            Problem(
                f"the link starts {link.valid_from.isoformat()}: it can only end after that",
                f"该关联自 {link.valid_from.isoformat()} 起生效，结束日须晚于此日",
                path="on",
            )
        )
    contract = await Contract.get(id=link.contract_id).using_db(conn)
    await refuse_if_rounds_started(contract, on, conn)
    before = {"contract": contract.code, "valid_to": _day(link.valid_to)}
    link.valid_to = on
    await link.save(using_db=conn, update_fields=["valid_to"])
    return before


# -- use cases ------------------------------------------------------------------------------
async def take_over(contract: Contract, stations: list, conn) -> list[dict]:
    """Inside the creation of ``contract``: end its predecessor's links of the same stations
    on its first day, then check that nothing else overlaps. Returns what was ended."""
    ended = []
    start = contract.period_start
    for terms in stations:
        if contract.renewal_of_id is not None:
            link = (
                await ContractStation.filter(
                    contract_id=contract.renewal_of_id, station_id=terms.station.id
                )
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
                .using_db(conn)
                .select_for_update()
                .first()
            )
            if link is not None:
                before = await _end(link, start, conn)
                ended.append({"station": terms.station.code, **before})
        await check_free(terms.station, start, link_end(contract), conn)
    return ended


def check_succession(
    contract_agency, predecessor: Contract | None, succession: str | None, start: dt.date
) -> str | None:
    """The succession recorded on a new contract: ``renewal`` when the same agency goes on,
    ``rebid`` when the stations were re-tendered; given or derived."""
    if predecessor is None:
        if succession is not None:
            raise InvalidInput(
                Problem(
                    "succession needs the contract it follows (renewal_of)",
                    "续签/重新招标须指明所接续的合同（renewal_of）",
                    path="succession",
                )
            )
        return None
    problems = []
    if succession is not None and succession not in SUCCESSIONS:
        problems.append(
            Problem(
                f"succession must be one of {', '.join(SUCCESSIONS)}",
                "接续方式须为 renewal（续签）或 rebid（重新招标）",
                path="succession",
            )
        )
    if succession == "renewal" and predecessor.agency_id != contract_agency.id:
        problems.append(
            Problem(
                "a renewal continues with the same agency; a new agency is a rebid",
                "续签须为同一承接机构；更换机构为重新招标",
                path="succession",
            )
        )
    if start <= predecessor.period_start:
        problems.append(
            Problem(
                f"a contract that follows {predecessor.code} starts after it "
                f"({predecessor.period_start.isoformat()})",
                f"接续合同须晚于 {predecessor.code} 的开始日（{predecessor.period_start.isoformat()}）",
                path="period_start",
            )
        )
    if problems:
        raise InvalidInput(problems)
    if succession is not None:
        return succession
    return "renewal" if predecessor.agency_id == contract_agency.id else "rebid"


async def hand_over(
    actor: Actor, station_id, contract_id, on: dt.date, targets: dict | None = None
) -> ContractStation:
    """Move a station to another contract from ``on``: the link in force then ends the day
    before, the new one runs to the end of the receiving contract; one transaction, one
    audit event. Both contracts must be the actor's bureau's."""
    station = await get_station(actor, station_id)
    to = await get_contract(actor, contract_id)
    require(
        buys(actor, to),
        "only the buying bureau may move stations between its contracts",
        "仅购买方可调整社工站承接合同",
    )
    _within(to, on, "on")
    async with in_transaction() as conn:
        link = (
            await ContractStation.filter(active_on(on), station_id=station.id)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        before = None
        if link is not None:
            if link.contract_id == to.id:
                raise InvalidInput(
                    Problem(
                        f"station {station.code} is already on contract {to.code} then",
                        f"社工站 {station.code} 此时已在合同 {to.code} 内",
                        path="contract",
                    )
                )
            old = await Contract.get(id=link.contract_id).using_db(conn)
            require(
                buys(actor, old),
                "the station is run under another bureau's contract",
                "该社工站由其他民政局的合同承接",
            )
            before = await _end(link, on, conn) | {"agency": str(old.agency_id)}
        await refuse_if_rounds_started(to, on, conn)
        await check_free(station, on, link_end(to), conn, path="on")
        with guarded(station):
            new = await ContractStation.create(
                contract=to,
                station=station,
                valid_from=on,
                valid_to=link_end(to),
                targets=targets or {},
                using_db=conn,
            )
        await audit.record(
            actor.username,
            "station.handover",
            "station",
            station.id,
            before,
            {
                "contract": to.code,
                "agency": str(to.agency_id),
                "valid_from": on.isoformat(),
                "valid_to": link_end(to).isoformat(),
                "targets": targets or {},
            },
            connection=conn,
        )
    return new


async def end_station_link(actor: Actor, contract: Contract, station: Station, on: dt.date) -> None:
    """Stop a station's link to a contract from ``on`` (exclusive end), e.g. a station
    closed; a station that goes to another agency is handed over instead."""
    require(
        buys(actor, contract),
        "only the buying bureau may change its contracts",
        "仅购买方可变更合同",
    )
    async with in_transaction() as conn:
        link = (
            await ContractStation.filter(contract=contract, station=station)
            .using_db(conn)
            .select_for_update()
            .order_by("-valid_from")
            .first()
        )
        if link is None:
            raise InvalidInput(
                Problem("the station is not on this contract", "该社工站不在此合同内")
            )
        before = await _end(link, on, conn)
        await audit.record(
            actor.username,
            "contract.station_end",
            "contract",
            contract.id,
            before,
            {"station": station.code, "valid_to": on.isoformat()},
            connection=conn,
        )


def contracts_on(actor: Actor, on: dt.date) -> QuerySet[Contract]:
    """The visible contracts in force on a date."""
    return contract_scope(actor).filter(period_start__lte=on, period_end__gte=on)
