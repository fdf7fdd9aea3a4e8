"""Where a round's raters disagree, and the lead's adjudication (docs/raters.md): a
disagreement above its limit blocks the round's submission until the lead gives the slot
a value with a written reason."""

from __future__ import annotations

import uuid

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, render
from evaluator.services import panel

bp = Blueprint("panel", url_prefix="/rounds")


class AdjudicatedOut(Out):
    value: float
    reason: str


class DisagreementOut(Out):
    unit: str
    leaf: str
    item: str = Field(description="a checklist's item, else empty")
    n_raters: int
    min: float
    max: float
    spread: float = Field(description="highest − lowest of the raters' values")
    value: float | None = Field(description="the reconciled value before any adjudication")
    limit: float | None = Field(
        description="the largest spread allowed (null: no scale, never blocks)"
    )
    why: str = Field(description="why the spread is too wide, when it is")
    why_zh: str
    blocking: bool = Field(description="above the limit and not adjudicated: blocks submission")
    adjudicated: AdjudicatedOut | None


class DisagreementsOut(Out):
    round: uuid.UUID
    blocking: int
    items: list[DisagreementOut]


class AdjudicationIn(In):
    unit: str = Field(min_length=1, max_length=64)
    leaf: str = Field(min_length=1, max_length=40)
    item: str = Field("", max_length=40)
    value: float | None = Field(description="the slot's value; null takes an adjudication back")
    reason: str = Field("", max_length=4000, description="required with a value 裁定理由")


def _document(round_id: uuid.UUID, rows: list[dict]) -> DisagreementsOut:
    return DisagreementsOut(
        round=round_id,
        blocking=sum(1 for r in rows if r["blocking"]),
        items=[DisagreementOut.model_validate(r) for r in rows],
    )


@bp.get("/<round_id:uuid>/disagreements")
@doc(
    "Where the raters disagree, and what blocks submission 评分分歧",
    response=DisagreementsOut,
    errors=(403, 404),
    description="The round's lead evaluator, administrators and auditors.",
)
async def list_disagreements(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    rows = await panel.disagreements(actor_of(request), round_id)
    return render(_document(round_id, rows))


@bp.post("/<round_id:uuid>/adjudications")
@doc(
    "Adjudicate a disagreement: the slot's value and why (the round's lead) 裁定评分分歧",
    body=AdjudicationIn,
    response=DisagreementsOut,
    errors=(403, 404, 422, 423),
)
async def adjudicate(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, AdjudicationIn)
    rows = await panel.adjudicate(
        actor_of(request), round_id, data.unit, data.leaf, data.item, data.value, data.reason
    )
    return render(_document(round_id, rows))
