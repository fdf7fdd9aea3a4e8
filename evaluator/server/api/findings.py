"""Findings and their rectification (and a deadline the bureau sets by hand).

A deadline counted on a year the State Council has not published yet is provisional (暂定):
``deadline_basis`` says so and ``deadline_note`` says why; it is recomputed when the year's
schedule arrives (``POST /calendars``)."""

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
from evaluator.server.models import (
    Basis,
    FullPaging,
    In,
    Out,
    PageOut,
    Severity,
    etag,
    page_of,
    render,
)
from evaluator.services import findings

bp = Blueprint("findings")
# Findings, decisions, tranches and appeals were one module (and one blueprint) until they
# were split per resource; the API document keeps the tag they have always shared.
TAG = "consequences"


class FindingOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    unit: str
    rule: str
    severity: Severity
    state: str = Field(
        description="open, plan_submitted, evidence_submitted, closed, rejected, overdue, escalated"
    )
    opened_on: dt.date
    deadline: dt.date | None = Field(description="none for an observation")
    deadline_basis: Basis = Field(
        description="official: counted on published schedules; provisional 暂定: the count "
        "crosses a year not yet published (recomputed when it is); override: set by the bureau"
    )
    deadline_note: str = Field(description="provisional: why; override: the bureau's reason")
    escalation: Severity | None
    causes: list[dict[str, Any]] = Field(
        description="the nodes, vetoes or total that caused it, with their figures"
    )
    explanation_en: str
    explanation_zh: str
    plan: str
    evidence: list[str]
    review_comment: str
    escalated_from_id: uuid.UUID | None
    version: int


class FindingList(PageOut[FindingOut]):
    pass


class FindingQuery(FullPaging):
    round: uuid.UUID | None = None
    contract: uuid.UUID | None = None
    state: str | None = Field(None, max_length=20)
    unit: str | None = Field(None, max_length=64)


class ActionIn(In):
    action: Literal["submit_plan", "submit_evidence", "verify", "reject", "acknowledge", "close"]
    plan: str = Field("", max_length=20000)
    evidence: list[str] = Field(default_factory=list, max_length=100)
    comment: str = Field("", max_length=4000)
    version: int | None = Field(None, description="the version read (or If-Match)")


class DeadlineIn(In):
    deadline: dt.date = Field(description="the new last day to rectify 新的整改期限")
    reason: str = Field(max_length=4000, description="why, e.g. a local closure 调整原因（必填）")
    version: int | None = Field(None, description="the version read (or If-Match)")


@bp.get("/findings")
@doc(
    "Findings of the rounds you may see 问题清单", query=FindingQuery, response=FindingList, tag=TAG
)
async def list_findings(request: Request) -> HTTPResponse:
    q = parsing.query(request, FindingQuery)
    found = await findings.page_findings(
        actor_of(request),
        round_id=q.round,
        contract_id=q.contract,
        state=q.state,
        unit=q.unit,
        page=q.page,
        per_page=q.per_page,
    )
    return render(page_of(FindingList, found))


@bp.get("/findings/<finding_id:uuid>")
@doc("A finding 问题", response=FindingOut, errors=(404,), tag=TAG)
async def show_finding(request: Request, finding_id: uuid.UUID) -> HTTPResponse:
    found, _ = await findings.get_finding(actor_of(request), finding_id)
    return render(FindingOut.model_validate(found), headers=etag(found.version))


@bp.post("/findings/<finding_id:uuid>/actions")
@doc(
    "Act on a finding (agency: plan, evidence; evaluators: verify, reject, acknowledge, close) 整改流程",
    body=ActionIn,
    response=FindingOut,
    errors=(403, 404, 409, 422),
    if_match=True,
    tag=TAG,
)
async def act_on_finding(request: Request, finding_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, ActionIn)
    version = parsing.expected_version(request, data.version)
    found = await findings.act(
        actor_of(request),
        finding_id,
        data.action,
        version,
        plan=data.plan,
        evidence=data.evidence,
        comment=data.comment,
    )
    return render(FindingOut.model_validate(found), headers=etag(found.version))


@bp.post("/findings/<finding_id:uuid>/deadline")
@doc(
    "Set a finding's deadline by hand, with a reason (the buying bureau) 手动调整整改期限",
    body=DeadlineIn,
    response=FindingOut,
    errors=(403, 404, 409, 422),
    if_match=True,
    description="The deadline becomes `override` (never recomputed by a calendar update); the "
    "reason is kept as its `deadline_note` and in the audit trail.",
    tag=TAG,
)
async def override_deadline(request: Request, finding_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, DeadlineIn)
    version = parsing.expected_version(request, data.version)
    found = await findings.override_deadline(
        actor_of(request), finding_id, data.deadline, data.reason, version
    )
    return render(FindingOut.model_validate(found), headers=etag(found.version))
