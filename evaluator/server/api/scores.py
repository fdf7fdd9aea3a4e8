"""Raw scores of a round: one rater's input for one leaf (and checklist item) of one unit.

Writing: ``PUT …/scores/{unit}/{leaf}`` without a version creates (201); with the version
read (``If-Match`` or ``version``) overwrites (200); a stale version answers 409, an
approved round 423. A value that is not a finite number within the leaf's range, or
evidence that cannot be cited on the unit, answers 422 with the field's path, and nothing
is written (the score and its citations are one transaction)."""

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
from evaluator.server.models import FullPaging, In, Out, PageOut, etag, page_of, render
from evaluator.services import listing, scoring
from evaluator.systems.bounds import N_MAX

bp = Blueprint("scores", url_prefix="/rounds")


class ScoreOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    unit: str = Field(description="station code (or the agency id for agency systems)")
    station_id: uuid.UUID | None
    leaf: str
    item: str
    rater_id: uuid.UUID
    value: float | None
    target: float | None
    n: int | None
    comment: str
    evidence: list[str] = Field(description="evidence file ids")
    version: int
    updated_at: dt.datetime


class ScorePage(PageOut[ScoreOut]):
    pass


class ScoreQuery(FullPaging):
    unit: str | None = None
    leaf: str | None = None
    rater: uuid.UUID | None = None


class ItemQuery(In):
    item: str = Field(
        "", max_length=40, description="checklist item code (empty for the whole leaf)"
    )


class ScoreIn(In):
    value: float | None = Field(
        allow_inf_nan=False,
        description="the raw input, a finite number within the leaf's range (docs/api.md, "
        "Values): count, level, ratio … (null: not scored)",
    )
    target: float | None = Field(
        None,
        ge=0,
        allow_inf_nan=False,
        description="the unit's target (ratio, count per target); 0 only where the leaf's "
        "zero_target rule is zero or skip",
    )
    n: int | None = Field(None, ge=0, le=N_MAX, description="sample size (satisfaction)")
    comment: str = Field("", max_length=4000)
    evidence: list[uuid.UUID] = Field(
        default_factory=list,
        description="evidence file ids of the round, each uploaded for this station or for "
        "no station; cited for the leaf with the score",
    )
    version: int | None = Field(
        None, ge=1, le=N_MAX, description="the version read, to overwrite (or If-Match)"
    )


@bp.get("/<round_id:uuid>/scores")
@doc(
    "Raw scores of a round (agency users: once approved) 本轮原始评分",
    query=ScoreQuery,
    response=ScorePage,
    errors=(403, 404),
)
async def list_scores(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, ScoreQuery)
    page = await listing.list_scores(
        actor_of(request),
        round_id,
        unit=q.unit,
        leaf=q.leaf,
        rater=q.rater,
        page=q.page,
        per_page=q.per_page,
    )
    return render(page_of(ScorePage, page))


@bp.put("/<round_id:uuid>/scores/<unit:str>/<leaf:str>")
@doc(
    "Record your score for a leaf (create, or overwrite with the version read) 录入评分",
    body=ScoreIn,
    query=ItemQuery,
    response=ScoreOut,
    status=(200, 201),
    errors=(403, 404, 423),
    if_match=True,
    description="201 when created, 200 when overwritten; ETag is the score's version.",
)
async def put_score(request: Request, round_id: uuid.UUID, unit: str, leaf: str) -> HTTPResponse:
    item = parsing.query(request, ItemQuery).item
    data = parsing.body(request, ScoreIn)
    version = parsing.optional_version(request, data.version)
    score = await scoring.record_score(
        actor_of(request),
        round_id,
        unit,
        leaf,
        data.value,
        item=item,
        target=data.target,
        n=data.n,
        comment=data.comment,
        evidence=[str(e) for e in data.evidence],
        expected_version=version,
    )
    return render(
        ScoreOut.model_validate(score), 201 if version is None else 200, etag(score.version)
    )
