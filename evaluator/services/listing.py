"""Reading through the actor's scope: paginated, filtered lists and single objects.

Every query starts from a scope in ``services.actors``, so a filter naming something the
actor may not see simply matches nothing (existence is never revealed). Lists are ordered
deterministically and cut into pages of at most ``MAX_PER_PAGE``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.queryset import QuerySet

from evaluator.errors import InvalidInput, NotFound, PermissionDenied, Problem
from evaluator.services import station_links
from evaluator.services.actors import (
    Actor,
    blind_rater,
    contract_scope,
    get_contract,
    get_round,
    may_see_scores,
    organisation_scope,
    round_scope,
    station_scope,
)
from evaluator.services.cohorts import unit_code
from evaluator.store.base import OrgKind, ReviewStatus, RoundKind, RoundState
from evaluator.store.contracts import Contract, ContractStation
from evaluator.store.orgs import Organisation
from evaluator.store.rounds import EvidenceFile, Round, Score, SystemVersion

T = TypeVar("T")
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # beyond it the offset is absurd (and overflows on PostgreSQL)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int


def check_page(page: int, per_page: int) -> None:
    problems = []
    if not 1 <= page <= MAX_PAGE:
        problems.append(
            Problem(
                f"page must be between 1 and {MAX_PAGE}",
                f"page 须在 1 到 {MAX_PAGE} 之间",
                path="page",
            )
        )
    if not 1 <= per_page <= MAX_PER_PAGE:
        problems.append(
            Problem(
                f"per_page must be between 1 and {MAX_PER_PAGE}",
                f"per_page 须在 1 到 {MAX_PER_PAGE} 之间",
                path="per_page",
            )
        )
    if problems:
        raise InvalidInput(problems)


async def paginate(query: QuerySet[T], page: int, per_page: int, *order: str) -> Page[T]:
    check_page(page, per_page)
    total = await query.count()
    items = await query.order_by(*order).offset((page - 1) * per_page).limit(per_page)
    return Page(list(items), page, per_page, total)


# -- organisations ------------------------------------------------------------------------
async def list_organisations(
    actor: Actor, *, kind: OrgKind | None = None, page: int = 1, per_page: int = 20
) -> Page[Organisation]:
    query = await organisation_scope(actor)
    if kind is not None:
        query = query.filter(kind=kind)
    return await paginate(query, page, per_page, "name", "id")


def given(query, **filters):
    """``query`` narrowed by each filter whose value was given (not None)."""
    return query.filter(**{name: value for name, value in filters.items() if value is not None})


# -- stations -----------------------------------------------------------------------------
async def list_stations(
    actor: Actor,
    *,
    bureau: uuid.UUID | None = None,
    agency: uuid.UUID | None = None,
    contract: uuid.UUID | None = None,
    round: uuid.UUID | None = None,
    as_of: dt.date | None = None,
    page: int = 1,
    per_page: int = 20,
):
    """Visible stations; with ``as_of``, those linked (as far as the actor sees) on that
    date — for an agency user, the stations it runs then."""
    query = station_scope(actor)
    if as_of is not None:
        linked = station_links.link_scope(actor).filter(station_links.active_on(as_of))
        query = query.filter(id__in=list(set(await linked.values_list("station_id", flat=True))))
    query = given(
        query,
        bureau_id=bureau,
        contract_links__contract__agency_id=agency,
        contract_links__contract_id=contract,
        contract_links__contract__rounds__id=round,
    )
    return await paginate(query.distinct(), page, per_page, "code")


# -- contracts ----------------------------------------------------------------------------
async def list_contracts(
    actor: Actor,
    *,
    buyer: uuid.UUID | None = None,
    agency: uuid.UUID | None = None,
    station: uuid.UUID | None = None,
    as_of: dt.date | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page[Contract]:
    """Visible contracts; with ``as_of``, those whose period contains that date."""
    query = contract_scope(actor) if as_of is None else station_links.contracts_on(actor, as_of)
    query = given(query, buyer_id=buyer, agency_id=agency, station_links__station_id=station)
    return await paginate(query.distinct(), page, per_page, "code")


@dataclass(frozen=True)
class ContractDetail:
    contract: Contract
    links: list[ContractStation]


async def contract_detail(
    actor: Actor, contract_id, as_of: dt.date | None = None
) -> ContractDetail:
    """A contract with its station links: all of them, or those in force on ``as_of``."""
    contract = await get_contract(actor, contract_id)
    links = ContractStation.filter(contract_id=contract.id)
    if as_of is not None:
        links = links.filter(station_links.active_on(as_of))
    return ContractDetail(
        contract,
        list(await links.prefetch_related("station").order_by("station__code", "valid_from")),
    )


# -- indicator systems (criteria are public to every signed-in user) ---------------------
async def list_systems(
    actor: Actor, *, code: str | None = None, page: int = 1, per_page: int = 20
) -> Page[SystemVersion]:
    query = SystemVersion.all()
    if code:
        query = query.filter(system_code=code)
    return await paginate(query, page, per_page, "system_code", "version", "created_at")


async def get_system(actor: Actor, system_id) -> SystemVersion:
    found = await SystemVersion.get_or_none(id=system_id)
    if found is None:
        raise NotFound(Problem(f"no indicator system {system_id}", f"未找到指标体系 {system_id}"))
    return found


# -- rounds -------------------------------------------------------------------------------
async def list_rounds(
    actor: Actor,
    *,
    contract: uuid.UUID | None = None,
    agency: uuid.UUID | None = None,
    station: uuid.UUID | None = None,
    state: RoundState | None = None,
    kind: RoundKind | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page[Round]:
    query = round_scope(actor)
    query = given(
        query,
        contract_id=contract,
        contract__agency_id=agency,
        contract__station_links__station_id=station,
        state=state,
        kind=kind,
    )
    return await paginate(query.distinct(), page, per_page, "as_of", "created_at", "id")


# -- scores -------------------------------------------------------------------------------
async def list_scores(
    actor: Actor,
    round_id,
    *,
    unit: str | None = None,
    leaf: str | None = None,
    rater: uuid.UUID | None = None,
    page: int = 1,
    per_page: int = 100,
) -> Page[Score]:
    """Every rater's raw scores of a round — for those who may see its scores (agency users
    only once it is approved)."""
    round_ = await get_round(actor, round_id)
    if not await may_see_scores(actor, round_):
        raise PermissionDenied(
            Problem("scores are published when the round is approved", "评估结果在轮次审定后公布")
        )
    query = Score.filter(round_id=round_.id)
    if await blind_rater(actor, round_):  # a panel is blind: one's own values only
        query = query.filter(rater_id=actor.user_id)
    if unit:
        query = query.filter(unit=await unit_code(unit))
    if leaf:
        query = query.filter(leaf=leaf)
    if rater is not None:
        query = query.filter(rater_id=rater)
    return await paginate(query, page, per_page, "unit", "leaf", "item", "rater_id")


# -- evidence -----------------------------------------------------------------------------
async def list_evidence(
    actor: Actor,
    *,
    round: uuid.UUID | None = None,
    station: uuid.UUID | None = None,
    status: ReviewStatus | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page[EvidenceFile]:
    """Evidence of the rounds whose evidence the actor may read (as ``read_evidence``)."""
    rounds = round_scope(actor) if round is None else round_scope(actor).filter(id=round)
    visible = [r.id for r in await rounds if await may_see_scores(actor, r)]
    query = EvidenceFile.filter(round_id__in=visible)
    query = given(query, station_id=station, status=status)
    return await paginate(query, page, per_page, "created_at", "id")


__all__ = [
    "ContractDetail",
    "MAX_PER_PAGE",
    "Page",
    "contract_detail",
    "get_system",
    "list_contracts",
    "list_evidence",
    "list_organisations",
    "list_rounds",
    "list_scores",
    "list_stations",
    "list_systems",
]
