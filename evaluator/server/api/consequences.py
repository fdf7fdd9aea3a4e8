"""What follows from an approved round: findings and their rectification (and a deadline
the bureau sets by hand), the recommendation and the bureau's decision, tranches and their
release, appeals (and the bureau extending the window).

Dates counted on a year the State Council has not published yet are provisional (暂定):
``deadline_basis``, ``due_basis`` and ``appeal_basis`` say so and the notes say why; they
are recomputed when the year's schedule arrives (``POST /calendars``)."""

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
Basis = Literal["official", "provisional", "override"]


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


class DeadlineIn(In):
    deadline: dt.date = Field(description="the new last day to rectify 新的整改期限")
    reason: str = Field(max_length=4000, description="why, e.g. a local closure 调整原因（必填）")
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
    trigger_on: dt.date | None = Field(description="when its trigger happened (or will)")
    due_on: dt.date | None
    due_basis: Literal["", "official", "provisional"] = Field(
        description="of due_on: official, or provisional 暂定 (recomputed when the year is "
        "published); empty without a due date"
    )
    overdue: bool
    released_on: dt.date | None
    blocked_by: list[str]
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


class AppealWindowIn(In):
    until: dt.date = Field(description="the new last day to appeal (later than the current one)")
    reason: str = Field(max_length=4000, description="why, e.g. a local closure 延长原因（必填）")


class AppealWindowOut(Out):
    round: uuid.UUID
    appeal_until: dt.date
    appeal_basis: Basis
    appeal_note: str


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


@bp.post("/findings/<finding_id:uuid>/deadline")
@doc(
    "Set a finding's deadline by hand, with a reason (the buying bureau) 手动调整整改期限",
    body=DeadlineIn,
    response=FindingOut,
    errors=(403, 404, 409, 422),
    if_match=True,
    description="The deadline becomes `override` (never recomputed by a calendar update); the "
    "reason is kept as its `deadline_note` and in the audit trail.",
)
async def override_deadline(request: Request, finding_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, DeadlineIn)
    version = parsing.expected_version(request, data.version)
    found = await findings.override_deadline(
        actor_of(request), finding_id, data.deadline, data.reason, version
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
        TrancheOut.model_validate(
            {**t.__dict__, "blocked_by": list(t.blocked_by), "when": t.date_label()}
        )
        for t in table
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


@bp.post("/rounds/<round_id:uuid>/appeal-window")
@doc(
    "Extend an approved round's appeal window, with a reason (the buying bureau) 延长申诉期",
    body=AppealWindowIn,
    response=AppealWindowOut,
    errors=(403, 404, 409, 422),
    description="Only later than the current end (a window is never shortened: 422); the end "
    "becomes `override` and is no longer recomputed by a calendar update.",
)
async def extend_appeal_window(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, AppealWindowIn)
    round_ = await appeals.extend_window(actor_of(request), round_id, data.until, data.reason)
    return render(
        AppealWindowOut(
            round=round_.id,
            appeal_until=round_.appeal_until,
            appeal_basis=round_.appeal_basis,
            appeal_note=round_.appeal_note,
        )
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
