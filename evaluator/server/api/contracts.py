"""Service contracts (服务协议): one contract year, its stations and targets, money in fen."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, PageOut, Paging, page_of, render
from evaluator.services import contracts, listing, report_schedules

bp = Blueprint("contracts", url_prefix="/contracts")


class Tranche(BaseModel):
    code: str = Field(min_length=1, max_length=20)
    share_bp: int = Field(description="share in basis points; the shares sum to 10000 万分比")
    trigger: str = Field(description="signed, mid_term_passed, final_passed …")
    due_working_days: int = Field(ge=0)
    due_from: Literal["trigger", "application"] = Field(
        "trigger",
        description="where the working days count from: the trigger (default) or the "
        "agency's payment application 付款期限自触发之日或申请之日起算",
    )


ReportKind = Literal["monthly", "quarterly", "midterm", "final"]


class ReportDuty(BaseModel):
    """One report the contract asks for: a periodic kind (monthly, quarterly) with
    due_days, or a dated kind (midterm, final) with due."""

    kind: ReportKind = Field(
        description="monthly 月度工作简报, quarterly 季度报告, midterm 中期报告, final 末期报告"
    )
    due_days: int | None = Field(
        None,
        description="monthly, quarterly: due this many calendar days after each month "
        "(quarter) ends (10: by the 10th of the next month)",
    )
    due: dt.date | None = Field(
        None, description="midterm, final: the day it is due, inside the contract year"
    )


class ReportDutyIn(In, ReportDuty):
    pass


class ReportDueOut(BaseModel):
    kind: ReportKind
    period: str = Field(
        description="as the report log names it: 2026-07 (month), 2026-Q3 (quarter); the "
        "kind for midterm and final"
    )
    due: dt.date


class ContractOut(Out):
    id: uuid.UUID
    code: str
    title: str
    buyer_id: uuid.UUID
    agency_id: uuid.UUID
    period_start: dt.date
    period_end: dt.date
    amount_fen: int = Field(description="amount in fen (分)")
    schedule: list[Tranche]
    report_schedule: list[ReportDuty] = Field(
        description="the reports the contract asks for (its own, or the default)"
    )
    report_schedule_default: bool = Field(
        description="true when the contract gives no schedule and the default holds: monthly "
        "briefs due 10 days after each month, the mid-term report the day half the year has "
        "passed, the final report the first day of its last month"
    )
    staffing_min: int
    qualification_years: int | None = Field(
        None,
        description="years a worker has from hiring to obtain the social-worker "
        "qualification (取证期限); null: the indicator system's grace_years (2 in the shipped one)",
    )
    township_hours_limit: int | None = Field(
        None,
        description="the most of its logged hours, in percent, a station may spend on township "
        "administrative work (去行政化); null: the indicator system's max_share (10% in the "
        "shipped one)",
    )
    rectification_working_days: int | None
    appeal_working_days: int
    renewal_of_id: uuid.UUID | None
    succession: Literal["renewal", "rebid"] | None = Field(
        description="how the contract follows renewal_of: the same agency again (renewal) "
        "or the stations re-tendered (rebid)"
    )
    created_at: dt.datetime

    @model_validator(mode="before")
    @classmethod
    def _in_force(cls, data: Any) -> Any:
        """From a stored contract: its report schedule in force (the default for none)."""
        if isinstance(data, dict) or not hasattr(data, "report_schedule"):
            return data
        fields = {name: getattr(data, name, None) for name in cls.model_fields}
        return fields | {
            "report_schedule": [
                {k: v for k, v in d.items()} for d in report_schedules.report_schedule(data)
            ],
            "report_schedule_default": data.report_schedule is None,
        }


class ContractStationOut(BaseModel):
    station_id: uuid.UUID
    station_code: str
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="exclusive; null: open-ended")
    targets: dict[str, Any]


class ContractDetailOut(ContractOut):
    stations: list[ContractStationOut]
    reports_due: list[ReportDueOut] = Field(
        description="every report the schedule asks for in the contract year, by due date"
    )


class ContractPage(PageOut[ContractOut]):
    pass


class ContractQuery(Paging):
    buyer: uuid.UUID | None = None
    agency: uuid.UUID | None = None
    station: uuid.UUID | None = None
    as_of: dt.date | None = Field(None, description="only contracts in force on this date")


class ContractAsOf(In):
    as_of: dt.date | None = Field(
        None, description="only the station links in force on this date (default: all)"
    )


class ContractStationIn(In):
    station: uuid.UUID
    targets: dict[str, int | float] = Field(
        default_factory=dict, description="cases, groups, activities, visits, volunteers …"
    )


class ContractIn(In):
    code: str = Field(min_length=1, max_length=60)
    title: str = Field("", max_length=300)
    buyer: uuid.UUID
    agency: uuid.UUID
    period_start: dt.date
    period_end: dt.date
    amount_fen: int
    stations: list[ContractStationIn] = Field(min_length=1)
    schedule: list[Tranche] | None = Field(
        None,
        description="default: 50% on signing, 30% after the mid-term, 20% after the final evaluation",
    )
    staffing_min: int = Field(2, ge=1)
    qualification_years: int | None = Field(
        None,
        ge=1,
        le=5,
        description="years a worker has from hiring to qualify (2; 3 in one province); "
        "default: the indicator system's grace_years",
    )
    township_hours_limit: int | None = Field(
        None,
        ge=0,
        le=100,
        description="the most of its logged hours, in percent, a station may spend on township "
        "administrative work (去行政化); default: the indicator system's max_share",
    )
    renewal_of: uuid.UUID | None = Field(
        None,
        description="the contract this one follows: its links of the same stations end the "
        "day before this contract starts, in the same transaction",
    )
    succession: Literal["renewal", "rebid"] | None = Field(
        None, description="default: renewal when the agency is the same, else rebid"
    )
    rectification_working_days: int | None = Field(
        None,
        ge=1,
        le=250,
        description="working days to correct a finding (default: each deviation rule's)",
    )
    appeal_working_days: int = Field(
        5, ge=1, le=60, description="working days after approval to appeal"
    )
    report_schedule: list[ReportDutyIn] | None = Field(
        None,
        description="the reports the contract asks for, one duty per kind (default: monthly "
        "briefs due 10 days after each month, a mid-term and a final report)",
    )


class ReportScheduleIn(In):
    report_schedule: list[ReportDutyIn] | None = Field(
        description="the reports the contract asks for; null: the default"
    )


def _duties(given: list[ReportDutyIn] | None) -> list[dict] | None:
    """The duties as the service checks them: only the fields given."""
    return None if given is None else [d.model_dump(exclude_none=True) for d in given]


@bp.get("")
@doc("Contracts you may see 可见的合同", query=ContractQuery, response=ContractPage)
async def list_contracts(request: Request) -> HTTPResponse:
    q = parsing.query(request, ContractQuery)
    page = await listing.list_contracts(
        actor_of(request),
        buyer=q.buyer,
        agency=q.agency,
        station=q.station,
        as_of=q.as_of,
        page=q.page,
        per_page=q.per_page,
    )
    return render(page_of(ContractPage, page))


@bp.post("")
@doc(
    "Sign a contract (the buying bureau) 签订合同（购买方）",
    body=ContractIn,
    response=ContractOut,
    status=201,
    errors=(403, 404, 409, 422),
)
async def create_contract(request: Request) -> HTTPResponse:
    data = parsing.body(request, ContractIn)
    contract = await contracts.sign_contract(
        actor_of(request),
        code=data.code,
        title=data.title,
        buyer_id=data.buyer,
        agency_id=data.agency,
        period_start=data.period_start,
        period_end=data.period_end,
        amount_fen=data.amount_fen,
        rectification_working_days=data.rectification_working_days,
        appeal_working_days=data.appeal_working_days,
        stations=[(s.station, s.targets) for s in data.stations],
        schedule=[t.model_dump(exclude_defaults=True) for t in data.schedule]
        if data.schedule is not None
        else None,
        staffing_min=data.staffing_min,
        qualification_years=data.qualification_years,
        township_hours_limit=data.township_hours_limit,
        renewal_of_id=data.renewal_of,
        succession=data.succession,
        report_schedule=_duties(data.report_schedule),
    )
    return render(
        ContractOut.model_validate(contract), 201, {"Location": f"{request.path}/{contract.id}"}
    )


@bp.put("/<contract_id:uuid>/report-schedule")
@doc(
    "Set the reports a contract asks for (the buying bureau) 设定报告报送要求（购买方）",
    body=ReportScheduleIn,
    response=ContractOut,
    errors=(403, 404, 422, 423),
)
async def set_report_schedule(request: Request, contract_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, ReportScheduleIn)
    contract = await report_schedules.set_report_schedule(
        actor_of(request), contract_id, _duties(data.report_schedule)
    )
    return render(ContractOut.model_validate(contract))


@bp.get("/<contract_id:uuid>")
@doc(
    "One contract with its stations and targets 合同详情",
    query=ContractAsOf,
    response=ContractDetailOut,
    errors=(404,),
)
async def show_contract(request: Request, contract_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, ContractAsOf)
    return render(_detail(await listing.contract_detail(actor_of(request), contract_id, q.as_of)))


def _detail(detail: listing.ContractDetail) -> ContractDetailOut:
    stations = [
        ContractStationOut(
            station_id=link.station_id,
            station_code=link.station.code,
            valid_from=link.valid_from,
            valid_to=link.valid_to,
            targets=link.targets,
        )
        for link in detail.links
    ]
    due = [r._asdict() for r in report_schedules.reports_due(detail.contract)]
    return ContractDetailOut.model_validate(
        ContractOut.model_validate(detail.contract).model_dump()
        | {"stations": stations, "reports_due": due}
    )
