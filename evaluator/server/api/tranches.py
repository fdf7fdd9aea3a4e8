"""A contract's tranches, the agency's payment applications (拨付申请) and the bureau's
release. A due date counted on a year the State Council
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

from evaluator.decisions.payment_applications import MAX_REFERENCE, MAX_TEXT, MAX_VOUCHERS
from evaluator.decisions.words import VOUCHER_ZH
from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, render
from evaluator.services import payment_applications as applications
from evaluator.services import tranches
from evaluator.store.decisions import PaymentApplication

bp = Blueprint("tranches")
# Findings, decisions, tranches and appeals were one module (and one blueprint) until they
# were split per resource; the API document keeps the tag they have always shared.
TAG = "consequences"


VoucherKind = Literal[
    "invoice",
    "evaluation_result",
    "staff_roster",
    "service_report",
    "expense_statement",
    "contract",
    "other",
]
ApplicationState = Literal["submitted", "released", "returned", "withdrawn"]


class VoucherIn(In):
    kind: VoucherKind = Field(
        description="; ".join(f"{k} {zh}" for k, zh in VOUCHER_ZH.items()) + " 凭证类别"
    )
    reference: str = Field(
        min_length=1,
        max_length=MAX_REFERENCE,
        description="an invoice number, a document's title and date… 凭证编号或名称",
    )
    evidence: uuid.UUID | None = Field(
        None, description="an evidence file uploaded to one of the contract's rounds"
    )


class ApplicationIn(In):
    vouchers: list[VoucherIn] = Field(min_length=1, max_length=MAX_VOUCHERS)
    note: str = Field("", max_length=MAX_TEXT, description="说明")


class ReturnIn(In):
    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="退回理由（必填）")


class VoucherOut(Out):
    kind: VoucherKind
    kind_zh: str
    reference: str
    evidence: uuid.UUID | None


class ApplicationOut(Out):
    id: uuid.UUID
    contract_id: uuid.UUID
    code: str
    applied_on: dt.date
    vouchers: list[VoucherOut]
    note: str
    state: ApplicationState
    state_zh: str = Field(description="the state in Chinese 申请状态")
    decided_on: dt.date | None = Field(description="released, returned or withdrawn on")
    reason: str = Field(description="why the bureau returned it")


class ApplicationList(Out):
    items: list[ApplicationOut]


def application_out(found: PaymentApplication) -> ApplicationOut:
    return ApplicationOut.model_validate(applications.as_dict(found))


class TrancheOut(Out):
    code: str
    share_bp: int
    amount_fen: int
    trigger: str
    status: Literal["scheduled", "awaiting_application", "due", "withheld", "released", "forfeited"]
    due_from: Literal["trigger", "application"] = Field(
        description="where its N working days count from: its trigger, or the agency's "
        "payment application 付款期限起算"
    )
    applied_on: dt.date | None = Field(
        description="the date of its live payment application (submitted or released)"
    )
    application: ApplicationOut | None = Field(
        description="its latest payment application 拨付申请 (live, else the last one "
        "returned or withdrawn), with its vouchers"
    )
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
    latest = await applications.latest_by_tranche(contract.id)
    items = [
        TrancheOut.model_validate(
            {
                **t.__dict__,
                **t.words(),
                "when": t.date_label(),
                "application": application_out(latest[t.code]) if t.code in latest else None,
            }
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


@bp.post("/contracts/<contract_id:uuid>/tranches/<code:str>/applications")
@doc(
    "Apply for a tranche in writing with its vouchers (the contract's agency) 拨付申请",
    body=ApplicationIn,
    response=ApplicationOut,
    status=201,
    errors=(403, 404, 409, 422),
    description="Only once the tranche's trigger has happened, and not for a released or "
    "forfeited tranche (409). At most one live (submitted or released) application per "
    "tranche: a second one is a 409. A withheld tranche may be applied for; it is released "
    "only once nothing withholds it.",
    tag=TAG,
)
async def apply_for_tranche(request: Request, contract_id: uuid.UUID, code: str) -> HTTPResponse:
    data = parsing.body(request, ApplicationIn)
    found = await applications.apply(
        actor_of(request),
        contract_id,
        code,
        [v.model_dump(mode="json") for v in data.vouchers],
        data.note,
    )
    return render(application_out(found), 201)


@bp.get("/contracts/<contract_id:uuid>/payment-applications")
@doc(
    "Every payment application of a contract, oldest first 拨付申请记录",
    response=ApplicationList,
    errors=(404,),
    tag=TAG,
)
async def list_applications(request: Request, contract_id: uuid.UUID) -> HTTPResponse:
    found = await applications.contract_applications(actor_of(request), contract_id)
    return render(ApplicationList(items=[application_out(a) for a in found]))


@bp.post("/payment-applications/<application_id:uuid>/withdraw")
@doc(
    "Withdraw a submitted payment application (the agency) 撤回拨付申请",
    response=ApplicationOut,
    errors=(403, 404, 409),
    tag=TAG,
)
async def withdraw_application(request: Request, application_id: uuid.UUID) -> HTTPResponse:
    found = await applications.withdraw(actor_of(request), application_id)
    return render(application_out(found))


@bp.post("/payment-applications/<application_id:uuid>/return")
@doc(
    "Return a submitted payment application with a reason (the buying bureau) 退回拨付申请",
    body=ReturnIn,
    response=ApplicationOut,
    errors=(403, 404, 409, 422),
    description="The agency may apply again for the tranche.",
    tag=TAG,
)
async def return_application(request: Request, application_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, ReturnIn)
    found = await applications.return_application(actor_of(request), application_id, data.reason)
    return render(application_out(found))
