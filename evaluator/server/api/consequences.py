"""What follows from an approved round: findings and their rectification, the
recommendation and the bureau's decision, tranches and their release, appeals."""

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
from evaluator.server.models import In, Out, etag, render
from evaluator.services import appeals, decisions, findings, tranches

bp = Blueprint("consequences")
Severity = Literal["observation", "correction", "suspension", "termination"]


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
    deadline: dt.date | None
    deadline_note: str = Field(
        description="why there is no deadline yet (the calendar does not know the year)"
    )
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


class FindingList(Out):
    items: list[FindingOut]


class FindingQuery(In):
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


class DecisionOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    approved_on: dt.date
    recommended: Literal["renew", "conditional", "rebid"]
    reasons: list[dict[str, Any]]
    losses: dict[str, Any]
    explanation_en: str
    explanation_zh: str
    status: Literal["proposed", "accepted", "overridden"]
    outcome: str | None
    reason: str
    decided_by_id: uuid.UUID | None
    decided_at: dt.datetime | None
    version: int


class DecideIn(In):
    accept: bool
    outcome: Literal["renew", "conditional", "rebid"] | None = None
    reason: str = Field("", max_length=4000, description="required to override")
    version: int | None = None


class TrancheOut(Out):
    code: str
    share_bp: int
    amount_fen: int
    trigger: str
    status: Literal["scheduled", "due", "withheld", "released", "forfeited"]
    due_on: dt.date | None
    overdue: bool
    released_on: dt.date | None
    blocked_by: list[str]
    due_note: str


class TranchesOut(Out):
    contract_id: uuid.UUID
    amount_fen: int
    items: list[TrancheOut]


class ReleaseOut(Out):
    contract_id: uuid.UUID
    code: str
    amount_fen: int
    released_on: dt.date


class AppealIn(In):
    unit: str = Field(max_length=64)
    leaves: list[str] = Field(min_length=1, max_length=100)
    reason: str = Field(max_length=20000)
    evidence: list[str] = Field(default_factory=list, max_length=100)


class AppealOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    unit: str
    leaves: list[str]
    reason: str
    evidence: list[str]
    state: Literal["submitted", "upheld", "dismissed"]
    answer: str
    rescored: dict[str, float]
    version: int
    created_at: dt.datetime


class AppealList(Out):
    items: list[AppealOut]


class AppealDecisionIn(In):
    uphold: bool
    answer: str = Field(max_length=20000)
    rescored: dict[str, float] | None = Field(
        None, description="uphold: the new value of each contested leaf"
    )
    version: int | None = None


@bp.get("/findings")
@doc("Findings of the rounds you may see 问题清单", query=FindingQuery, response=FindingList)
async def list_findings(request: Request) -> HTTPResponse:
    q = parsing.query(request, FindingQuery)
    items = await findings.list_findings(
        actor_of(request), round_id=q.round, contract_id=q.contract, state=q.state, unit=q.unit
    )
    return render(FindingList(items=[FindingOut.model_validate(f) for f in items]))


@bp.get("/findings/<finding_id:uuid>")
@doc("A finding 问题", response=FindingOut, errors=(404,))
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


@bp.get("/rounds/<round_id:uuid>/decision")
@doc(
    "The round's renew-or-rebid recommendation and the bureau's decision 续签建议",
    response=DecisionOut,
    errors=(404,),
)
async def show_decision(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    found = await decisions.current_decision(actor_of(request), round_id)
    return render(DecisionOut.model_validate(found), headers=etag(found.version))


@bp.post("/rounds/<round_id:uuid>/decision")
@doc(
    "Accept or override the recommendation (the buying bureau) 采纳或改判",
    body=DecideIn,
    response=DecisionOut,
    errors=(403, 404, 409, 422),
    if_match=True,
)
async def decide(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, DecideIn)
    version = parsing.expected_version(request, data.version)
    found = await decisions.decide(
        actor_of(request),
        round_id,
        accept=data.accept,
        outcome=data.outcome,
        reason=data.reason,
        expected_version=version,
    )
    return render(DecisionOut.model_validate(found), headers=etag(found.version))


@bp.get("/contracts/<contract_id:uuid>/tranches")
@doc(
    "The contract's tranches: amount in fen, status, due date, what blocks them 拨付计划",
    response=TranchesOut,
    errors=(404,),
)
async def list_tranches(request: Request, contract_id: uuid.UUID) -> HTTPResponse:
    contract, table = await tranches.contract_tranches(actor_of(request), contract_id)
    items = [
        TrancheOut.model_validate({**t.__dict__, "blocked_by": list(t.blocked_by)}) for t in table
    ]
    return render(TranchesOut(contract_id=contract.id, amount_fen=contract.amount_fen, items=items))


@bp.post("/contracts/<contract_id:uuid>/tranches/<code:str>/release")
@doc(
    "Release a due tranche (the buying bureau) 拨付",
    response=ReleaseOut,
    status=201,
    errors=(403, 404, 409, 422),
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


@bp.post("/rounds/<round_id:uuid>/appeals")
@doc(
    "Appeal leaves of an approved round (the agency, within the window) 申诉",
    body=AppealIn,
    response=AppealOut,
    status=201,
    errors=(403, 404, 409, 422),
)
async def submit_appeal(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, AppealIn)
    found = await appeals.submit_appeal(
        actor_of(request), round_id, data.unit, data.leaves, data.reason, data.evidence
    )
    return render(AppealOut.model_validate(found), 201, etag(found.version))


@bp.get("/rounds/<round_id:uuid>/appeals")
@doc("A round's appeals 申诉列表", response=AppealList, errors=(404,))
async def list_appeals(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    items = await appeals.list_appeals(actor_of(request), round_id)
    return render(AppealList(items=[AppealOut.model_validate(a) for a in items]))


@bp.post("/appeals/<appeal_id:uuid>/decision")
@doc(
    "Uphold (with new values) or dismiss an appeal (the round's lead) 申诉答复",
    body=AppealDecisionIn,
    response=AppealOut,
    errors=(403, 404, 409, 422),
    if_match=True,
)
async def decide_appeal(request: Request, appeal_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, AppealDecisionIn)
    version = parsing.expected_version(request, data.version)
    found = await appeals.decide_appeal(
        actor_of(request),
        appeal_id,
        uphold=data.uphold,
        answer=data.answer,
        rescored=data.rescored,
        expected_version=version,
    )
    return render(AppealOut.model_validate(found), headers=etag(found.version))
