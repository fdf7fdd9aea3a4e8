"""Township social work stations (社工站)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, PageOut, Paging, page_of, render
from evaluator.services import contracts, listing
from evaluator.services.actors import get_station

bp = Blueprint("stations", url_prefix="/stations")


class StationOut(Out):
    id: uuid.UUID
    code: str
    name: str
    bureau_id: uuid.UUID
    township_id: str | None = Field(description="GB/T 2260 code of the township")
    created_at: dt.datetime


class StationPage(PageOut[StationOut]):
    pass


class StationQuery(Paging):
    bureau: uuid.UUID | None = None
    agency: uuid.UUID | None = Field(
        None, description="stations an agency runs (under any contract)"
    )
    contract: uuid.UUID | None = None
    round: uuid.UUID | None = None


class StationIn(In):
    bureau: uuid.UUID
    code: str = Field(
        min_length=1,
        max_length=40,
        description="letters, digits and - _ . / (full-width forms folded, spaces trimmed); "
        "unique regardless of case and width: st01 and ＳＴ０１ are ST01 (409)",
    )
    name: str = Field(min_length=1, max_length=200, description="not blank (trimmed)")


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
        page=q.page,
        per_page=q.per_page,
    )
    return render(page_of(StationPage, page))


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
    station = await contracts.add_station(
        actor_of(request), bureau_id=data.bureau, code=data.code, name=data.name
    )
    return render(StationOut.model_validate(station), 201)


@bp.get("/<station_id:uuid>")
@doc("One station 社工站详情", response=StationOut, errors=(404,))
async def show_station(request: Request, station_id: uuid.UUID) -> HTTPResponse:
    return render(StationOut.model_validate(await get_station(actor_of(request), station_id)))
