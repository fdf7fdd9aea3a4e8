"""The completeness gate of a round: the (unit, leaf) pairs without a usable value, and the
lead evaluator's decision on each (not applicable / accepted as missing, with a reason).
A round with an undecided gap cannot be submitted or approved (422 listing every gap)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, render
from evaluator.services import completeness

bp = Blueprint("gaps", url_prefix="/rounds")


class GapOut(Out):
    unit: str
    leaf: str
    name_zh: str
    name_en: str
    missing_rule: str = Field(description="zero, skip or error: what an accepted gap gives")
    decision: Literal["not_applicable", "accepted_missing"] | None = Field(
        description="null: undecided — the round cannot be submitted 未处理的缺项阻止提交"
    )
    reason: str


class GapsOut(Out):
    round: uuid.UUID
    complete: bool = Field(description="no undecided gap: the round may be submitted")
    undecided: int
    items: list[GapOut]


class GapIn(In):
    unit: str = Field(min_length=1, max_length=64)
    leaf: str = Field(min_length=1, max_length=40)
    decision: Literal["not_applicable", "accepted_missing", "clear"]
    reason: str = Field("", max_length=4000, description="required unless clear 除 clear 外必填")


def _document(round_id, gaps) -> GapsOut:
    undecided = sum(g.decision is None for g in gaps)
    return GapsOut(
        round=round_id,
        complete=undecided == 0,
        undecided=undecided,
        items=[GapOut.model_validate(g) for g in gaps],
    )


@bp.get("/<round_id:uuid>/gaps")
@doc(
    "Leaves without a usable value, and the lead's decisions 缺项及主评估员的处理",
    response=GapsOut,
    errors=(403, 404),
)
async def list_gaps(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    round_, gaps = await completeness.list_gaps(actor_of(request), round_id)
    return render(_document(round_.id, gaps))


@bp.post("/<round_id:uuid>/gaps")
@doc(
    "Decide a gap: not applicable, accepted as missing, or clear (the round's lead) 处理缺项",
    body=GapIn,
    response=GapsOut,
    errors=(403, 404, 409, 422, 423),
)
async def decide_gap(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, GapIn)
    actor = actor_of(request)
    await completeness.decide_gap(actor, round_id, data.unit, data.leaf, data.decision, data.reason)
    round_, gaps = await completeness.list_gaps(actor, round_id)
    return render(_document(round_.id, gaps))
