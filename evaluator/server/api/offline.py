"""The offline scoring workbook (评分表): a rater's export, and its import — all or
nothing, every problem located by sheet, row and column (docs/raters.md, "Offline")."""

from __future__ import annotations

import asyncio
import uuid

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw

from evaluator.errors import Problem
from evaluator.reporting.workbooks.offline import write_scoring_workbook
from evaluator.server import parsing
from evaluator.server.api.evidence import content_disposition, header_text
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.errors import UnsupportedMediaType
from evaluator.server.models import In, Out, render
from evaluator.services import offline, workbook_import

bp = Blueprint("offline", url_prefix="/rounds")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportQuery(In):
    rater: str | None = Field(
        None, max_length=64, description="default: yourself (a lead may name a rater)"
    )


class ImportedOut(Out):
    round: uuid.UUID
    written: int = Field(description="values written (created or changed)")
    unchanged: int
    export: uuid.UUID


@bp.get("/<round_id:uuid>/workbook")
@doc(
    "A rater's offline scoring workbook (.xlsx) 导出离线评分表",
    query=ExportQuery,
    errors=(403, 404, 422, 423),
    description="One sheet per station, drop-downs and ranges, locked structure, a hidden stamp.",
)
async def export(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, ExportQuery)
    doc = await offline.export_document(actor_of(request), round_id, q.rater)
    data = await asyncio.to_thread(write_scoring_workbook, doc)  # off the event loop
    name = doc["file_name"]
    return raw(
        data,
        content_type=XLSX,
        headers={
            "Content-Disposition": content_disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/<round_id:uuid>/workbook")
@doc(
    "Import a filled offline scoring workbook (the rater) 导入离线评分表",
    body={XLSX: {"type": "string", "format": "binary"}},
    response=ImportedOut,
    errors=(403, 404, 409, 413, 415, 422, 423),
    headers={"X-Filename": "file name used to locate problems, percent-encoded UTF-8"},
    description="All or nothing: a changed stamp, another round's or rater's workbook, a bad cell "
    "(located by sheet, row, column) → 422; a value changed on the server since the export → 409. "
    "An empty cell leaves the value as it is.",
)
async def import_(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    media = request.content_type.split(";")[0].strip().lower()
    if media not in (XLSX, "application/octet-stream"):
        raise UnsupportedMediaType(
            Problem(f"send the .xlsx workbook ({XLSX})", f"请上传 .xlsx 评分表（{XLSX}）")
        )
    name = header_text(request.headers.get("x-filename", "")) or "评分表.xlsx"
    result = await workbook_import.import_workbook(
        actor_of(request), parsing.file_body(request), name, round_id
    )
    return render(ImportedOut.model_validate(result))
