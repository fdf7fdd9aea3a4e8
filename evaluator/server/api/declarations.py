"""Conflicts of interest: evaluators declare ties to organisations (利益关联申报)."""

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
from evaluator.server.models import In, Out, render
from evaluator.services import interests

bp = Blueprint("declarations", url_prefix="/declarations")


class DeclarationIn(In):
    organisation: uuid.UUID
    kind: Literal["employment", "family", "past_contract", "other"] = Field(
        description="employment 任职, family 亲属, past_contract 曾有合同往来, other 其他"
    )
    note: str = Field("", max_length=2000)
    username: str | None = Field(
        None, max_length=64, description="an administrator records another's tie"
    )


class DeclarationOut(Out):
    id: uuid.UUID
    username: str
    organisation: uuid.UUID
    organisation_name: str
    kind: str
    note: str
    declared_at: dt.datetime


class DeclaredOut(Out):
    declaration: DeclarationOut
    rounds_excluded: list[uuid.UUID] = Field(
        description="rounds the person was assigned to whose results now leave their values out"
    )


class DeclarationsOut(Out):
    items: list[DeclarationOut]


@bp.get("")
@doc(
    "Declared ties: one's own, a lead's agency's, everyone's for admins 利益关联申报",
    response=DeclarationsOut,
)
async def list_declarations(request: Request) -> HTTPResponse:
    rows = await interests.list_declarations(actor_of(request))
    return render(DeclarationsOut(items=[DeclarationOut.model_validate(r) for r in rows]))


@bp.post("")
@doc(
    "Declare a tie to an organisation 申报利益关联",
    body=DeclarationIn,
    response=DeclaredOut,
    status=201,
    errors=(403, 404, 409),
    description="Never assigned to a round of that agency's contracts afterwards (409); a round the "
    "person is already assigned to leaves their values out of its results from now on.",
)
async def declare(request: Request) -> HTTPResponse:
    data = parsing.body(request, DeclarationIn)
    actor = actor_of(request)
    declaration, affected = await interests.declare(
        actor, data.organisation, data.kind, data.note, username=data.username
    )
    row = next(
        r for r in await interests.list_declarations(actor) if r["id"] == str(declaration.id)
    )
    return render(
        DeclaredOut(declaration=DeclarationOut.model_validate(row), rounds_excluded=affected), 201
    )
