"""Indicator systems (指标体系): validated on upload (every problem located by line and
path), stored by content hash, immutable. Readable by every signed-in user."""

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
from evaluator.services import listing, systems

bp = Blueprint("systems", url_prefix="/systems")
YAML_TYPES = {"text/yaml", "application/yaml", "application/x-yaml", "text/x-yaml", "text/plain"}


class SystemOut(Out):
    id: uuid.UUID
    system_code: str
    version: str
    content_hash: str = Field(description="sha256 of the canonical form; rounds pin it")
    name_zh: str
    name_en: str
    unit: str = Field(description="station or agency")
    created_at: dt.datetime


class SystemDetailOut(SystemOut):
    source: str = Field(description="the YAML as uploaded")


class SystemPage(PageOut[SystemOut]):
    pass


class SystemQuery(Paging):
    code: str | None = Field(None, description="the system's id (system.id in the YAML)")


class SystemText(In):
    text: str = Field(min_length=1, description="the indicator system as YAML")
    file: str = Field("system.yaml", max_length=100, description="name used to locate problems")


class UploadQuery(In):
    file: str = Field("system.yaml", max_length=100, description="name used to locate problems")


@bp.get("")
@doc("Indicator systems 指标体系列表", query=SystemQuery, response=SystemPage)
async def list_systems(request: Request) -> HTTPResponse:
    q = parsing.query(request, SystemQuery)
    return render(
        page_of(
            SystemPage,
            await listing.list_systems(
                actor_of(request), code=q.code, page=q.page, per_page=q.per_page
            ),
        )
    )


@bp.post("")
@doc(
    "Upload an indicator system (YAML body, or JSON {text}) 上传指标体系",
    body={"text/yaml": {"type": "string"}, "application/json": SystemText},
    response=SystemOut,
    status=201,
    errors=(403, 415),
    description="Invalid systems answer 422 with every problem located (line and path) 校验失败时逐项定位。"
    " Uploading the same content again returns the stored version.",
)
async def create_system(request: Request) -> HTTPResponse:
    text, file = _text(request)
    version = await systems.register_system(actor_of(request), text, file)
    return render(
        SystemOut.model_validate(version), 201, {"Location": f"{request.path}/{version.id}"}
    )


@bp.get("/<system_id:uuid>")
@doc("One indicator system with its YAML 指标体系详情", response=SystemDetailOut, errors=(404,))
async def show_system(request: Request, system_id: uuid.UUID) -> HTTPResponse:
    return render(
        SystemDetailOut.model_validate(await listing.get_system(actor_of(request), system_id))
    )


def _text(request: Request) -> tuple[str, str]:
    kind = request.content_type.split(";")[0].strip().lower()
    if kind in YAML_TYPES:
        file = parsing.query(request, UploadQuery).file
        return parsing.yaml_text(request, file), file
    data = parsing.body(request, SystemText)
    return data.text, data.file
