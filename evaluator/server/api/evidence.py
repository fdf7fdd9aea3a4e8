"""Evidence files (佐证材料): streamed upload, metadata, content, review.

The upload body is the file itself (``Content-Type`` its media type), streamed in chunks
to the service, which hashes it and stores it under ``EVIDENCE_DIR`` by sha256: no client
name or path ever reaches the file system; the original name (``X-Filename``,
percent-encoded UTF-8, or ``?name=``) is kept as data only."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from urllib.parse import quote, unquote

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file_stream

from evaluator.errors import Problem, TooLarge
from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, PageOut, Paging, etag, page_of, render
from evaluator.services import evidence, listing
from evaluator.store.base import ReviewStatus

bp = Blueprint("evidence")


class EvidenceOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    station_id: uuid.UUID | None
    uploaded_by_id: uuid.UUID
    original_name: str = Field(description="as uploaded; data only, never a path")
    media_type: str
    size: int
    sha256: str
    status: ReviewStatus
    reviewer_id: uuid.UUID | None
    review_comment: str
    reviewed_at: dt.datetime | None
    version: int
    created_at: dt.datetime


class EvidencePage(PageOut[EvidenceOut]):
    pass


class EvidenceQuery(Paging):
    round: uuid.UUID | None = None
    station: uuid.UUID | None = None
    status: ReviewStatus | None = None


class UploadQuery(In):
    name: str | None = Field(
        None, max_length=255, description="original file name (or the X-Filename header)"
    )
    station: uuid.UUID | None = Field(None, description="the station the evidence is about")


class ReviewIn(In):
    status: ReviewStatus
    comment: str = Field(
        "", max_length=4000, description="required unless accepted 退回或不充分须填写"
    )
    version: int | None = Field(None, description="the version read (or If-Match)")


@bp.post("/rounds/<round_id:uuid>/evidence", stream=True)
@doc(
    "Upload an evidence file (streamed body) 上传佐证材料",
    query=UploadQuery,
    response=EvidenceOut,
    status=201,
    body={"application/octet-stream": {"type": "string", "format": "binary"}},
    errors=(403, 404, 413, 423),
    headers={"X-Filename": "original file name, percent-encoded UTF-8 原始文件名"},
    description="The body is the file; Content-Type is its media type (checked against the allow-list). "
    "Larger than EVIDENCE_MAX_BYTES: 413.",
)
async def upload_evidence(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    actor = actor_of(request)
    q = parsing.query(request, UploadQuery)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > evidence.max_bytes():
        raise TooLarge(
            Problem(
                f"the file is larger than {evidence.max_bytes()} bytes",
                f"文件超过 {evidence.max_bytes()} 字节上限",
                path="file",
            )
        )
    name = q.name or header_text(request.headers.get("x-filename", "")) or "file"
    media_type = request.content_type.split(";")[0].strip().lower()
    record = await evidence.attach_evidence(
        actor, round_id, name, media_type, parsing.body_chunks(request), station_id=q.station
    )
    return render(
        EvidenceOut.model_validate(record),
        201,
        etag(record.version) | {"Location": f"/api/v1/evidence/{record.id}"},
    )


@bp.get("/evidence")
@doc("Evidence you may read 可查阅的佐证材料", query=EvidenceQuery, response=EvidencePage)
async def list_evidence(request: Request) -> HTTPResponse:
    q = parsing.query(request, EvidenceQuery)
    page = await listing.list_evidence(
        actor_of(request),
        round=q.round,
        station=q.station,
        status=q.status,
        page=q.page,
        per_page=q.per_page,
    )
    return render(page_of(EvidencePage, page))


@bp.get("/evidence/<evidence_id:uuid>")
@doc("Evidence metadata 佐证材料信息", response=EvidenceOut, errors=(404,))
async def show_evidence(request: Request, evidence_id: uuid.UUID) -> HTTPResponse:
    record, _ = await evidence.read_evidence(actor_of(request), evidence_id)
    return render(EvidenceOut.model_validate(record), headers=etag(record.version))


@bp.get("/evidence/<evidence_id:uuid>/content")
@doc(
    "Evidence content (download) 下载佐证材料",
    response={"application/octet-stream": {"type": "string", "format": "binary"}},
    errors=(404,),
)
async def evidence_content(request: Request, evidence_id: uuid.UUID) -> HTTPResponse:
    record, path = await evidence.read_evidence(actor_of(request), evidence_id)
    headers = {
        "Content-Disposition": content_disposition(record.original_name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return await file_stream(path, mime_type=record.media_type, headers=headers)


@bp.post("/evidence/<evidence_id:uuid>/review")
@doc(
    "Review evidence (the round's evaluators) 审核佐证材料",
    body=ReviewIn,
    response=EvidenceOut,
    errors=(403, 404, 423),
    if_match=True,
)
async def review_evidence(request: Request, evidence_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, ReviewIn)
    version = parsing.expected_version(request, data.version)
    record = await evidence.review_evidence(
        actor_of(request), evidence_id, data.status, data.comment, version
    )
    return render(EvidenceOut.model_validate(record), headers=etag(record.version))


def header_text(value: str) -> str:
    """A header value as text: percent-encoded UTF-8, or raw UTF-8 bytes (read as latin-1)."""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("latin-1").decode("utf-8")
    return unquote(value)


def content_disposition(name: str) -> str:
    """Always a download (never rendered inline), with an ASCII fallback and the UTF-8 name."""
    fallback = (
        "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name)
        or "file"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
