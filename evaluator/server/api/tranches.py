"""A contract's tranches and their release. A due date counted on a year the State Council
has not published yet is provisional (暂定): ``due_basis`` says so and ``due_note`` says why;
it is recomputed when the year's schedule arrives (``POST /calendars``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import Out, render
from evaluator.services import tranches

bp = Blueprint("tranches")
# Findings, decisions, tranches and appeals were one module (and one blueprint) until they
# were split per resource; the API document keeps the tag they have always shared.
TAG = "consequences"


class TrancheOut(Out):
    code: str
    share_bp: int
    amount_fen: int
    trigger: str
    status: Literal["scheduled", "due", "withheld", "released", "forfeited"]
    trigger_on: dt.date | None = Field(description="when its trigger happened (or will)")
    due_on: dt.date | None
    due_basis: Literal["", "official", "provisional"] = Field(
        description="of due_on: official, or provisional 暂定 (recomputed when the year is "
        "published); empty without a due date"
    )
    overdue: bool
    released_on: dt.date | None
    blocked_by: list[str] = Field(
        description="codes of what blocks it: `<trigger>:failed`, or `<severity> <rule> @ <unit>`"
    )
    blocked_by_en: list[str] = Field(description="the same, in words")
    blocked_by_zh: list[str] = Field(description="the same, in Chinese 受阻原因")
    status_zh: str = Field(description="the status in Chinese 状态")
    trigger_zh: str = Field(description="the trigger in Chinese 触发条件")
    due_note: str = Field(description="why the date is provisional, or when the trigger comes")
    when: str = Field(
        description="the date cell of a tranche table, never blank: released on, due by "
        "(marked 暂定 provisional), or what it waits for"
    )


class TranchesOut(Out):
    contract_id: uuid.UUID
    amount_fen: int
    items: list[TrancheOut]


class ReleaseOut(Out):
    contract_id: uuid.UUID
    code: str
    amount_fen: int
    released_on: dt.date


@bp.get("/contracts/<contract_id:uuid>/tranches")
@doc(
    "The contract's tranches: amount in fen, status, due date, what blocks them 拨付计划",
    response=TranchesOut,
    errors=(404,),
    tag=TAG,
)
async def list_tranches(request: Request, contract_id: uuid.UUID) -> HTTPResponse:
    contract, table = await tranches.contract_tranches(actor_of(request), contract_id)
    items = [
        TrancheOut.model_validate({**t.__dict__, **t.words(), "when": t.date_label()})
        for t in table
    ]
    return render(TranchesOut(contract_id=contract.id, amount_fen=contract.amount_fen, items=items))


@bp.post("/contracts/<contract_id:uuid>/tranches/<code:str>/release")
@doc(
    "Release a due tranche (the buying bureau) 拨付",
    response=ReleaseOut,
    status=201,
    errors=(403, 404, 409, 422),
    tag=TAG,
)
async def release_tranche(request: Request, contract_id: uuid.UUID, code: str) -> HTTPResponse:
    record = await tranches.release(actor_of(request), contract_id, code)
    return render(
        ReleaseOut(
            contract_id=record.contract_id,
            code=record.code,
            amount_fen=record.amount_fen,
            released_on=record.released_on,
        ),
        201,
    )
