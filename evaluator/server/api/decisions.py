"""The renew-or-rebid recommendation of an approved round and the bureau's decision."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, etag, render
from evaluator.services import decisions

bp = Blueprint("decisions")
# Findings, decisions, tranches and appeals were one module (and one blueprint) until they
# were split per resource; the API document keeps the tag they have always shared.
TAG = "consequences"


class DecisionOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    approved_on: dt.date
    recommended: Literal["renew", "conditional", "rebid"]
    reasons: list[dict[str, Any]]
    losses: dict[str, Any]
    explanation_en: str
    explanation_zh: str
    status: Literal["proposed", "accepted", "overridden"]
    outcome: str | None
    reason: str
    decided_by_id: uuid.UUID | None
    decided_at: dt.datetime | None
    version: int


class DecideIn(In):
    accept: bool
    outcome: Literal["renew", "conditional", "rebid"] | None = None
    reason: str = Field("", max_length=4000, description="required to override")
    version: int | None = None


@bp.get("/rounds/<round_id:uuid>/decision")
@doc(
    "The round's renew-or-rebid recommendation and the bureau's decision 续签建议",
    response=DecisionOut,
    errors=(404,),
    tag=TAG,
)
async def show_decision(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    found = await decisions.current_decision(actor_of(request), round_id)
    return render(DecisionOut.model_validate(found), headers=etag(found.version))


@bp.post("/rounds/<round_id:uuid>/decision")
@doc(
    "Accept or override the recommendation (the buying bureau) 采纳或改判",
    body=DecideIn,
    response=DecisionOut,
    errors=(403, 404, 409, 422),
    if_match=True,
    tag=TAG,
)
async def decide(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, DecideIn)
    version = parsing.expected_version(request, data.version)
    found = await decisions.decide(
        actor_of(request),
        round_id,
        accept=data.accept,
        outcome=data.outcome,
        reason=data.reason,
        expected_version=version,
    )
    return render(DecisionOut.model_validate(found), headers=etag(found.version))
