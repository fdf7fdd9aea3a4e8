"""Scorecards: a station's result in a round (every leaf explained) and the agency's
aggregate. Agency users see them once the round is approved; another agency's are not
found."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import render
from evaluator.services import scorecards
from evaluator.store.base import RoundKind, RoundState

bp = Blueprint("scorecards", url_prefix="/rounds")


class SystemRef(BaseModel):
    id: str
    version: str
    hash: str


class RoundRef(BaseModel):
    id: uuid.UUID
    kind: RoundKind
    state: RoundState
    as_of: str


class Grade(BaseModel):
    code: str
    zh: str
    en: str


class Family(BaseModel):
    code: str
    zh: str
    en: str
    points: float | None
    max: float


class Leaf(BaseModel):
    """One leaf explained: raw input → basis/measure → share → points."""

    family: str
    leaf: str
    name_zh: str
    name_en: str
    method: str
    raw: float | None
    basis: float | None
    measure: float | None
    share: float | None
    points: float | None
    max_points: float
    flag: str | None


class Card(BaseModel):
    system: SystemRef
    base: float
    bonus: float
    total: float
    grade: Grade
    capped: bool = Field(description="the grade was capped by a floor rule")
    vetoes: list[str]
    families: list[Family]
    leaves: list[Leaf]


class StationRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str


class StationScorecard(Card):
    station: StationRef
    round: RoundRef


class AgencyRef(BaseModel):
    id: uuid.UUID
    name: str


class StationResult(BaseModel):
    code: str
    total: float
    grade: str
    vetoed: bool


class Aggregate(BaseModel):
    stations: int
    mean_total: float | None
    min_total: float | None
    grades: dict[str, int]
    vetoed: int


class AgencyScorecard(BaseModel):
    """Station systems: ``stations`` and ``aggregate``; agency systems: the agency's own card."""

    agency: AgencyRef
    round: RoundRef
    stations: list[StationResult] | None = None
    aggregate: Aggregate | None = None
    system: SystemRef | None = None
    base: float | None = None
    bonus: float | None = None
    total: float | None = None
    grade: Grade | None = None
    capped: bool | None = None
    vetoes: list[str] | None = None
    families: list[Family] | None = None
    leaves: list[Leaf] | None = None


@bp.get("/<round_id:uuid>/stations/<station_id:uuid>/scorecard")
@doc("A station's scorecard in a round 社工站评分卡", response=StationScorecard, errors=(403, 404))
async def station_scorecard(
    request: Request, round_id: uuid.UUID, station_id: uuid.UUID
) -> HTTPResponse:
    card = await scorecards.station_scorecard(actor_of(request), round_id, station_id)
    return render(StationScorecard.model_validate(card))


@bp.get("/<round_id:uuid>/agency-scorecard")
@doc(
    "The agency's scorecard in a round 承接机构评分卡", response=AgencyScorecard, errors=(403, 404)
)
async def agency_scorecard(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    card = await scorecards.agency_scorecard(actor_of(request), round_id)
    return render(AgencyScorecard.model_validate(card))
