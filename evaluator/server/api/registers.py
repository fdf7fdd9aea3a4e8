"""Registers (台账): streamed upload and import, versions, metric values; evidence citations.

Upload: ``POST /rounds/{id}/registers/{kind}`` with the file as the body (``X-Filename`` or
``?name=`` gives its name, whose suffix says .xlsx or .csv; ``?sheet=`` picks a sheet).
The whole file is validated first: on any problem the answer is 422 with every problem
located (file, sheet, row, column) and nothing is stored. Importing the version in force
again answers 200 with ``unchanged: true``; a new version answers 201, or 202 when it waits
(``pending``) for the lead evaluator's acceptance (``.../{import_id}/accept`` or
``/reject``); a concurrent import that lost the race answers 409. After approval, a
corrected register goes to an open finding: ``POST /findings/{id}/registers/{kind}``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.errors import Problem, TooLarge
from evaluator.evidence import parse
from evaluator.server import parsing
from evaluator.server.api.evidence import header_text
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, etag, render
from evaluator.services import citations, register_versions, registers
from evaluator.store.base import ReviewStatus

bp = Blueprint("registers")


class RegisterImportOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    kind: str
    original_name: str
    sheet: str | None
    sha256: str
    size: int
    rows: int
    active: bool = Field(description="in force: the version the round's scores use 现行版本")
    state: Literal["in_force", "replaced", "pending", "rejected", "rectification"] = Field(
        description="in_force; replaced; pending (waits for the lead evaluator's acceptance "
        "待主评估员确认); rejected (by the lead, with a reason); rectification (kept with a "
        "finding 整改佐证, never in force)"
    )
    replaces_id: uuid.UUID | None = Field(
        description="the version in force when this one was imported 导入时的现行版本"
    )
    finding_id: uuid.UUID | None = Field(
        description="rectification: the finding it answers 对应的问题"
    )
    imported_by_id: uuid.UUID | None
    created_at: dt.datetime
    replaced_at: dt.datetime | None
    decided_by_id: uuid.UUID | None = Field(description="the lead who accepted or rejected it")
    decided_at: dt.datetime | None
    decision_reason: str
    warnings: list[dict[str, Any]] = Field(
        description="notes that did not stop the import (ignored columns, a title row) 提示"
    )
    leaves: list[str] = Field(
        description="leaves of the round's system computed from this register 由本台账计算的指标"
    )


class Note(Out):
    en: str
    zh: str


class ImportOut(RegisterImportOut):
    unchanged: bool = Field(
        description="true: this file is already the version in force (or already waiting) "
        "已是现行版本（或已在等待确认）"
    )
    replaced_id: uuid.UUID | None = Field(
        None, description="the version this one replaced 被替换的版本"
    )
    note: Note | None = Field(
        None,
        description="e.g. pending: waits for the lead evaluator's acceptance 待主评估员确认",
    )


class DecisionIn(In):
    reason: str = Field("", max_length=4000, description="required to reject 退回须填写理由")


class RegisterListOut(Out):
    items: list[RegisterImportOut]


class UploadQuery(In):
    name: str | None = Field(
        None,
        max_length=255,
        description="original file name (or the X-Filename header); its suffix must be .csv or .xlsx",
    )
    sheet: str | None = Field(
        None, max_length=100, description="the sheet of a workbook (default: the first)"
    )


class HistoryQuery(In):
    history: bool = Field(
        False, description="include replaced, pending and rejected versions 包含历史及待确认版本"
    )


class MetricsQuery(In):
    station: str | None = Field(None, max_length=64, description="only this station code")


class MetricValue(Out):
    kind: str
    leaf: str | None = Field(
        description="the leaf this value fills, or null for a reference figure"
    )
    metric: str
    params: dict[str, Any]
    station: str
    value: float | None
    n: float | None
    flags: list[str]
    detail: dict[str, Any]


class MetricsOut(Out):
    period: list[str] | None
    items: list[MetricValue]


class CitationIn(In):
    unit: str = Field(
        max_length=64, description="station code (or the agency id for agency systems)"
    )
    leaf: str = Field(max_length=40)
    evidence: uuid.UUID = Field(description="an evidence file of the round")


class CitationReviewIn(In):
    status: ReviewStatus
    comment: str = Field(
        "", max_length=4000, description="required unless accepted 退回或不充分须填写"
    )
    version: int | None = Field(None, description="the version read (or If-Match)")


class CitationOut(Out):
    id: uuid.UUID
    unit: str
    leaf: str
    evidence: uuid.UUID
    name: str
    status: ReviewStatus
    comment: str
    version: int


class CitationListOut(Out):
    items: list[CitationOut]


def _out(record, model=RegisterImportOut, **extra):
    return model.model_validate(
        {
            **{
                k: getattr(record, k)
                for k in (
                    "id",
                    "round_id",
                    "kind",
                    "original_name",
                    "sheet",
                    "sha256",
                    "size",
                    "rows",
                    "active",
                    "state",
                    "replaces_id",
                    "finding_id",
                    "imported_by_id",
                    "created_at",
                    "replaced_at",
                    "decided_by_id",
                    "decided_at",
                    "decision_reason",
                    "warnings",
                )
            },
            "leaves": list(record.metrics.get("leaves", {})),
            **extra,
        }
    )


def _upload(request: Request) -> tuple[str, str | None]:
    """The uploaded file's name and sheet; 413 before reading a body declared too large."""
    q = parsing.query(request, UploadQuery)
    name = q.name or header_text(request.headers.get("x-filename", "")) or ""
    limit = parse.max_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:  # refuse before reading the body
        raise TooLarge(
            Problem(
                f"the file is larger than {limit} bytes", f"文件超过 {limit} 字节上限", path="file"
            )
        )
    return name, q.sheet


def _imported(done: registers.Imported, location: str) -> HTTPResponse:
    note = registers.import_note(done)
    body = _out(
        done.record,
        ImportOut,
        unchanged=done.unchanged,
        replaced_id=done.replaced.id if done.replaced else None,
        note=None if note is None else {"en": note[0], "zh": note[1]},
    )
    status = 200 if done.unchanged else 202 if done.pending else 201
    return render(body, status, {"Location": location})


UPLOAD_BODY = {"application/octet-stream": {"type": "string", "format": "binary"}}
FILENAME = {"X-Filename": "original file name, percent-encoded UTF-8 原始文件名"}


@bp.post("/rounds/<round_id:uuid>/registers/<kind:str>", stream=True)
@doc(
    "Import a register (streamed .xlsx or .csv body) 导入台账",
    query=UploadQuery,
    response=ImportOut,
    status=(200, 201, 202),
    body=UPLOAD_BODY,
    errors=(403, 404, 409, 413, 422, 423),
    headers=FILENAME,
    description="kind: staff, service_log, reports, finance, volunteers (supplied by the agency; the "
    "round's evaluators may import them too), satisfaction (the evaluator's instrument: the agency's "
    "attempt is 403). The whole file is validated first; any problem → 422 listing every problem "
    "with its sheet, row and column, nothing stored. The same file again → 200 unchanged; a new file "
    "→ 201, replacing the version in force; → 202 pending when an evaluator has already scored a leaf "
    "the register fills: the version in force stays until the round's lead evaluator accepts it. "
    "Another version imported at the same moment → 409, nothing stored.",
)
async def import_register(request: Request, round_id: uuid.UUID, kind: str) -> HTTPResponse:
    name, sheet = _upload(request)
    done = await registers.import_upload(
        actor_of(request), round_id, kind, parsing.body_chunks(request), name=name, sheet=sheet
    )
    return _imported(done, f"/api/v1/rounds/{round_id}/registers")


@bp.post("/rounds/<round_id:uuid>/registers/<kind:str>/<import_id:uuid>/accept")
@doc(
    "Accept a pending register replacement (the round's lead) 接受台账替换",
    body=DecisionIn,
    response=RegisterImportOut,
    errors=(403, 404, 409, 423),
    description="The pending version is put in force and the version it was imported against is "
    "replaced (409 when another version replaced that one meanwhile: import the file again).",
)
async def accept_register(
    request: Request, round_id: uuid.UUID, kind: str, import_id: uuid.UUID
) -> HTTPResponse:
    data = parsing.body(request, DecisionIn)
    record = await register_versions.accept_replacement(
        actor_of(request), round_id, kind, import_id, data.reason
    )
    return render(_out(record))


@bp.post("/rounds/<round_id:uuid>/registers/<kind:str>/<import_id:uuid>/reject")
@doc(
    "Reject a pending register replacement, with a reason (the round's lead) 退回台账替换",
    body=DecisionIn,
    response=RegisterImportOut,
    errors=(403, 404, 409, 422),
)
async def reject_register(
    request: Request, round_id: uuid.UUID, kind: str, import_id: uuid.UUID
) -> HTTPResponse:
    data = parsing.body(request, DecisionIn)
    record = await register_versions.reject_replacement(
        actor_of(request), round_id, kind, import_id, data.reason
    )
    return render(_out(record))


@bp.post("/findings/<finding_id:uuid>/registers/<kind:str>", stream=True)
@doc(
    "Submit a corrected register against an open finding (rectification evidence) 提交整改台账",
    query=UploadQuery,
    response=ImportOut,
    status=(200, 201),
    body=UPLOAD_BODY,
    errors=(403, 404, 409, 413, 422),
    headers=FILENAME,
    description="Validated as a round import (422 with every problem located, nothing stored); kept with "
    "the finding (state rectification), never in force: the approved round and its snapshot do not "
    "change. The finding must be open (409 otherwise); the agency may not submit the evaluator's "
    "instrument (satisfaction: 403).",
)
async def submit_finding_register(
    request: Request, finding_id: uuid.UUID, kind: str
) -> HTTPResponse:
    name, sheet = _upload(request)
    done = await register_versions.rectification_upload(
        actor_of(request), finding_id, kind, parsing.body_chunks(request), name=name, sheet=sheet
    )
    return _imported(done, f"/api/v1/findings/{finding_id}/registers")


class CarryIn(In):
    round: uuid.UUID = Field(description="a later round of the same contract, or of its renewal")


@bp.post("/findings/<finding_id:uuid>/registers/<import_id:uuid>/carry")
@doc(
    "Carry a corrected register into the next round 整改台账用于后续轮次",
    body=CarryIn,
    response=ImportOut,
    status=(200, 201, 202),
    errors=(403, 404, 409, 422, 423),
    description="The corrected register kept with the finding is imported into a later round of the "
    "same contract (or of the contract that renews it with the same agency), as any import: checked "
    "against that round's stations and period, 202 pending when a leaf it fills is already scored, "
    "the agency never for the evaluator's instrument. The audit event names its origin.",
)
async def carry_register(
    request: Request, finding_id: uuid.UUID, import_id: uuid.UUID
) -> HTTPResponse:
    data = parsing.body(request, CarryIn)
    done = await register_versions.carry_forward(
        actor_of(request), finding_id, import_id, data.round
    )
    return _imported(done, f"/api/v1/rounds/{data.round}/registers")


@bp.get("/findings/<finding_id:uuid>/registers")
@doc(
    "Corrected registers submitted against a finding 问题的整改台账",
    response=RegisterListOut,
    errors=(404,),
)
async def list_finding_registers(request: Request, finding_id: uuid.UUID) -> HTTPResponse:
    records = await register_versions.finding_registers(actor_of(request), finding_id)
    return render(RegisterListOut(items=[_out(r) for r in records]))


@bp.get("/rounds/<round_id:uuid>/registers")
@doc(
    "The round's registers in force (and history) 轮次台账",
    query=HistoryQuery,
    response=RegisterListOut,
    errors=(404,),
)
async def list_registers(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, HistoryQuery)
    records = await registers.list_imports(actor_of(request), round_id, history=q.history)
    return render(RegisterListOut(items=[_out(r) for r in records]))


@bp.get("/rounds/<round_id:uuid>/metrics")
@doc(
    "Metric values computed from the round's registers 台账指标值",
    query=MetricsQuery,
    response=MetricsOut,
    errors=(404,),
    description="Per station: values that fill leaves (leaf set) and reference figures (leaf null), with n, flags "
    "(e.g. insufficient_sample) and the figures behind each value.",
)
async def round_metrics(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, MetricsQuery)
    period, rows = await registers.metric_values(actor_of(request), round_id, q.station)
    items = [MetricValue(**row) for row in rows]
    return render(MetricsOut(period=period, items=items))


@bp.post("/rounds/<round_id:uuid>/citations")
@doc(
    "Cite an evidence file for a leaf 引用佐证材料",
    body=CitationIn,
    response=CitationOut,
    status=(200, 201),
    errors=(403, 404, 423),
)
async def create_citation(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, CitationIn)
    record, created = await citations.cite(
        actor_of(request), round_id, data.unit, data.leaf, data.evidence
    )
    return render(
        CitationOut.model_validate(citations.citation_document(record)),
        201 if created else 200,
        etag(record.version),
    )


@bp.get("/rounds/<round_id:uuid>/citations")
@doc(
    "Evidence citations of a round 轮次佐证引用",
    query=MetricsQuery,
    response=CitationListOut,
    errors=(403, 404),
)
async def list_citations(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, MetricsQuery)
    records = await citations.list_citations(actor_of(request), round_id, unit=q.station)
    return render(
        CitationListOut(
            items=[CitationOut.model_validate(citations.citation_document(c)) for c in records]
        )
    )


@bp.post("/citations/<citation_id:uuid>/review")
@doc(
    "Review a citation (the round's evaluators) 审核佐证引用",
    body=CitationReviewIn,
    response=CitationOut,
    errors=(403, 404, 423),
    if_match=True,
)
async def review_citation(request: Request, citation_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, CitationReviewIn)
    version = parsing.expected_version(request, data.version)
    record = await citations.review_citation(
        actor_of(request), citation_id, data.status, data.comment, version
    )
    return render(
        CitationOut.model_validate(citations.citation_document(record)),
        headers=etag(record.version),
    )
