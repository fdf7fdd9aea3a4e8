"""Appeals of an approved round (and the bureau extending the window). An appeal window
counted on a year the State Council has not published yet is provisional (暂定):
``appeal_basis`` says so and ``appeal_note`` says why; it is recomputed when the year's
schedule arrives (``POST /calendars``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import Basis, In, Out, etag, render
from evaluator.services import appeals

bp = Blueprint("appeals")
# Findings, decisions, tranches and appeals were one module (and one blueprint) until they
# were split per resource; the API document keeps the tag they have always shared.
TAG = "consequences"


class AppealWindowIn(In):
    until: dt.date = Field(description="the new last day to appeal (later than the current one)")
    reason: str = Field(max_length=4000, description="why, e.g. a local closure 延长原因（必填）")


class AppealWindowOut(Out):
    round: uuid.UUID
    appeal_until: dt.date
    appeal_basis: Basis
    appeal_note: str


class AppealIn(In):
    unit: str = Field(max_length=64)
    leaves: list[str] = Field(min_length=1, max_length=100)
    reason: str = Field(max_length=20000)
    evidence: list[str] = Field(default_factory=list, max_length=100)


class AppealOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    unit: str
    leaves: list[str]
    reason: str
    evidence: list[str]
    state: Literal["submitted", "upheld", "dismissed"]
    answer: str
    rescored: dict[str, float]
    version: int
    created_at: dt.datetime


class AppealList(Out):
    items: list[AppealOut]


class AppealDecisionIn(In):
    uphold: bool
    answer: str = Field(max_length=20000)
    rescored: dict[str, float] | None = Field(
        None, description="uphold: the new value of each contested leaf"
    )
    version: int | None = None


@bp.post("/rounds/<round_id:uuid>/appeal-window")
@doc(
    "Extend an approved round's appeal window, with a reason (the buying bureau) 延长申诉期",
    body=AppealWindowIn,
    response=AppealWindowOut,
    errors=(403, 404, 409, 422),
    description="Only later than the current end (a window is never shortened: 422); the end "
    "becomes `override` and is no longer recomputed by a calendar update.",
    tag=TAG,
)
async def extend_appeal_window(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, AppealWindowIn)
    round_ = await appeals.extend_window(actor_of(request), round_id, data.until, data.reason)
    return render(
        AppealWindowOut(
            round=round_.id,
            appeal_until=round_.appeal_until,
            appeal_basis=round_.appeal_basis,
            appeal_note=round_.appeal_note,
        )
    )


@bp.post("/rounds/<round_id:uuid>/appeals")
@doc(
    "Appeal leaves of an approved round (the agency, within the window) 申诉",
    body=AppealIn,
    response=AppealOut,
    status=201,
    errors=(403, 404, 409, 422),
    tag=TAG,
)
async def submit_appeal(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, AppealIn)
    found = await appeals.submit_appeal(
        actor_of(request), round_id, data.unit, data.leaves, data.reason, data.evidence
    )
    return render(AppealOut.model_validate(found), 201, etag(found.version))


@bp.get("/rounds/<round_id:uuid>/appeals")
@doc("A round's appeals 申诉列表", response=AppealList, errors=(404,), tag=TAG)
async def list_appeals(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    items = await appeals.list_appeals(actor_of(request), round_id)
    return render(AppealList(items=[AppealOut.model_validate(a) for a in items]))


@bp.post("/appeals/<appeal_id:uuid>/decision")
@doc(
    "Uphold (with new values) or dismiss an appeal (the round's lead) 申诉答复",
    body=AppealDecisionIn,
    response=AppealOut,
    errors=(403, 404, 409, 422),
    if_match=True,
    tag=TAG,
)
async def decide_appeal(request: Request, appeal_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, AppealDecisionIn)
    version = parsing.expected_version(request, data.version)
    found = await appeals.decide_appeal(
        actor_of(request),
        appeal_id,
        uphold=data.uphold,
        answer=data.answer,
        rescored=data.rescored,
        expected_version=version,
    )
    return render(AppealOut.model_validate(found), headers=etag(found.version))
