"""Organisations: bureaus, evaluation agencies, service agencies, township governments
(creating one: admin only)."""

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
from evaluator.server.models import In, Out, PageOut, Paging, page_of, render
from evaluator.services import listing
from evaluator.services import organisations as org_svc
from evaluator.services.actors import get_organisation
from evaluator.store.base import OrgKind

bp = Blueprint("organisations", url_prefix="/organisations")


class OrganisationOut(Out):
    id: uuid.UUID
    kind: OrgKind
    name: str
    short_name: str
    credit_code: str | None
    registered_on: dt.date | None
    credit_status: str
    grade: str
    region_id: str | None = Field(None, description="its region's code (GB/T 2260)")
    created_at: dt.datetime


class OrganisationPage(PageOut[OrganisationOut]):
    pass


class OrganisationQuery(Paging):
    kind: OrgKind | None = None


class OrganisationIn(In):
    kind: OrgKind
    name: str = Field(min_length=1, max_length=200)
    short_name: str = Field("", max_length=50)
    credit_code: str | None = Field(
        None, min_length=18, max_length=18, description="统一社会信用代码"
    )
    registered_on: dt.date | None = None
    credit_status: Literal["normal", "abnormal", "serious_violation"] = "normal"
    grade: str = Field("", max_length=10, description="3A, 4A, 5A")
    region: str | None = Field(
        None,
        max_length=12,
        description="its region's code; a township government (kind township) needs a township",
    )


@bp.get("")
@doc("Organisations you may see 可见的机构", query=OrganisationQuery, response=OrganisationPage)
async def list_organisations(request: Request) -> HTTPResponse:
    q = parsing.query(request, OrganisationQuery)
    page = await listing.list_organisations(
        actor_of(request), kind=q.kind, page=q.page, per_page=q.per_page
    )
    return render(page_of(OrganisationPage, page))


@bp.post("")
@doc(
    "Create an organisation (administrators) 新建机构（管理员）",
    body=OrganisationIn,
    response=OrganisationOut,
    status=201,
    errors=(403, 409),
)
async def create_organisation(request: Request) -> HTTPResponse:
    data = parsing.body(request, OrganisationIn)
    org = await org_svc.create_organisation(actor_of(request), **data.model_dump())
    return render(OrganisationOut.model_validate(org), 201)


@bp.get("/<organisation_id:uuid>")
@doc("One organisation 机构详情", response=OrganisationOut, errors=(404,))
async def show_organisation(request: Request, organisation_id: uuid.UUID) -> HTTPResponse:
    return render(
        OrganisationOut.model_validate(await get_organisation(actor_of(request), organisation_id))
    )
