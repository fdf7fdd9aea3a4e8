"""Township social work stations (社工站), who runs them when, and their standing on a date."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator import clock
from evaluator.server import parsing
from evaluator.server.api.scorecards import StationScorecard
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, PageOut, Paging, render
from evaluator.services import listing, scorecards, station_links
from evaluator.services import stations as station_svc
from evaluator.services.actors import get_station

bp = Blueprint("stations", url_prefix="/stations")

AS_OF = (
    "a date (YYYY-MM-DD, default today in Beijing time): who ran the station then; "
    "an agency user is told only about its own links"
)


class Responsible(BaseModel):
    """The link in force on ``on``: the contract and the agency running the station."""

    on: dt.date
    agency_id: uuid.UUID
    agency_name: str
    contract_id: uuid.UUID
    contract_code: str
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="exclusive; null: open-ended")


class StationOut(Out):
    id: uuid.UUID
    code: str
    name: str
    bureau_id: uuid.UUID
    township_id: str | None = Field(description="GB/T 2260 code of the township")
    created_at: dt.datetime
    responsible: Responsible | None = Field(
        None, description="who runs the station on the date asked (default today)"
    )


class StationLinkOut(BaseModel):
    contract_id: uuid.UUID
    contract_code: str
    agency_id: uuid.UUID
    agency_name: str
    succession: str | None = Field(description="renewal or rebid: how the contract began")
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="exclusive; null: open-ended")
    targets: dict


class StationDetailOut(StationOut):
    links: list[StationLinkOut] = Field(description="the station's contracts over time")


class StationPage(PageOut[StationOut]):
    pass


class StationQuery(Paging):
    bureau: uuid.UUID | None = None
    agency: uuid.UUID | None = Field(
        None, description="stations an agency runs (under any contract)"
    )
    contract: uuid.UUID | None = None
    round: uuid.UUID | None = None
    as_of: dt.date | None = Field(
        None, description="only the stations linked on this date, each with who ran it"
    )


class AsOfQuery(In):
    as_of: dt.date | None = Field(None, description=AS_OF)


class StationIn(In):
    bureau: uuid.UUID
    code: str = Field(
        min_length=1,
        max_length=40,
        description="letters, digits and - _ . / (full-width forms folded, spaces trimmed); "
        "unique regardless of case and width: st01 and ＳＴ０１ are ST01 (409)",
    )
    name: str = Field(min_length=1, max_length=200, description="not blank (trimmed)")


class HandoverIn(In):
    contract: uuid.UUID = Field(description="the contract that runs the station from `on`")
    on: dt.date = Field(
        description="first day under the new contract; the old link ends the day before"
    )
    targets: dict[str, int | float] = Field(default_factory=dict)


def _link(link) -> StationLinkOut:
    contract = link.contract
    return StationLinkOut(
        contract_id=contract.id,
        contract_code=contract.code,
        agency_id=contract.agency_id,
        agency_name=contract.agency.name,
        succession=contract.succession,
        valid_from=link.valid_from,
        valid_to=link.valid_to,
        targets=link.targets,
    )


async def _stations(request, stations, on: dt.date) -> list[dict]:
    actor = actor_of(request)
    who = await station_links.responsible_on(actor, [s.id for s in stations], on)
    return [
        StationOut.model_validate(s).model_dump()
        | {"responsible": who[s.id].document() if s.id in who else None}
        for s in stations
    ]


@bp.get("")
@doc("Stations you may see 可见的社工站", query=StationQuery, response=StationPage)
async def list_stations(request: Request) -> HTTPResponse:
    q = parsing.query(request, StationQuery)
    page = await listing.list_stations(
        actor_of(request),
        bureau=q.bureau,
        agency=q.agency,
        contract=q.contract,
        round=q.round,
        as_of=q.as_of,
        page=q.page,
        per_page=q.per_page,
    )
    items = await _stations(request, page.items, q.as_of or clock.today())
    return render(
        StationPage(items=items, page=page.page, per_page=page.per_page, total=page.total)
    )


@bp.post("")
@doc(
    "Add a station to a bureau 新增社工站",
    body=StationIn,
    response=StationOut,
    status=201,
    errors=(403, 404, 409),
)
async def create_station(request: Request) -> HTTPResponse:
    data = parsing.body(request, StationIn)
    station = await station_svc.add_station(
        actor_of(request), bureau_id=data.bureau, code=data.code, name=data.name
    )
    return render(StationOut.model_validate(station), 201)


@bp.get("/<station_id:uuid>")
@doc(
    "One station, who runs it on a date, and its contracts over time 社工站详情",
    query=AsOfQuery,
    response=StationDetailOut,
    errors=(404,),
)
async def show_station(request: Request, station_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, AsOfQuery)
    actor = actor_of(request)
    station = await get_station(actor, station_id)
    (item,) = await _stations(request, [station], q.as_of or clock.today())
    links = [_link(link) for link in await station_links.station_links(actor, station)]
    return render(StationDetailOut.model_validate(item | {"links": links}))


@bp.post("/<station_id:uuid>/handover")
@doc(
    "Hand a station over to another contract from a date (the buying bureau) 社工站移交",
    body=HandoverIn,
    response=StationLinkOut,
    status=201,
    errors=(403, 404, 409),
)
async def hand_over(request: Request, station_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, HandoverIn)
    link = await station_links.hand_over(
        actor_of(request), station_id, data.contract, data.on, data.targets
    )
    await link.fetch_related("contract__agency")
    return render(_link(link), 201)


class StationStanding(StationScorecard):
    as_of: dt.date = Field(description="the date asked")
    responsible: Responsible | None = Field(
        description="who runs the station on that date (null: no link you may see)"
    )


@bp.get("/<station_id:uuid>/scorecard")
@doc(
    "A station's latest approved scorecard on or before a date 社工站截至某日的评分卡",
    query=AsOfQuery,
    response=StationStanding,
    errors=(404,),
)
async def station_standing(request: Request, station_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, AsOfQuery)
    card = await scorecards.station_scorecard_as_of(
        actor_of(request), station_id, q.as_of or clock.today()
    )
    return render(StationStanding.model_validate(card))
