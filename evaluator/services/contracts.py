"""Contracts: signed by the buying bureau with their stations, targets, tranches and report
schedule, with effective-dated station links (organisations and people:
:mod:`evaluator.services.organisations`; stations: :mod:`evaluator.services.stations`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from evaluator.decisions.report_schedule import check_schedule
from evaluator.decisions.tranches import DEFAULT_SCHEDULE, due_from_problems
from evaluator.errors import InvalidInput, Problem
from evaluator.services import audit, station_links
from evaluator.services.actors import (
    Actor,
    get_contract,
    get_organisation,
    get_station,
    require,
)
from evaluator.store.base import OrgKind, Role
from evaluator.store.contracts import Contract, ContractStation, Station
from evaluator.store.db import unique_or_exists
from evaluator.store.orgs import Organisation
from evaluator.systems.bounds import INT64_MAX


@dataclass(frozen=True)
class StationTerms:
    station: Station
    targets: dict


async def create_contract(
    actor: Actor,
    *,
    code: str,
    buyer: Organisation,
    agency: Organisation,
    period_start: dt.date,
    period_end: dt.date,
    amount_fen: int,
    stations: list[StationTerms],
    schedule: list[dict] | None = None,
    title: str = "",
    renewal_of: Contract | None = None,
    succession: str | None = None,
    staffing_min: int = 2,
    rectification_working_days: int | None = None,
    appeal_working_days: int = 5,
    report_schedule: object = None,
    qualification_years: int | None = None,
    township_hours_limit: int | None = None,
) -> Contract:
    """A contract year: buyer bureau, agency, stations with their targets, amount in fen
    and the payment schedule (tranche shares in basis points summing to 10,000); optionally
    its own working days to correct findings (else each deviation rule's) and to appeal,
    and the reports it asks for (``report_schedule``, :mod:`evaluator.decisions.report_schedule`;
    None: the default), and the years a worker has from hiring to qualify
    (``qualification_years``, 1–5; None: the indicator system's ``grace_years``) and the
    most of its logged hours, in percent, a station may spend on township administrative
    work (``township_hours_limit``, 0–100; None: the indicator system's ``max_share``).

    A contract that follows another (``renewal_of``; ``succession`` renewal or rebid,
    derived from the agencies when not given) takes over the predecessor's links of its
    stations from its first day, in the same transaction; any other overlap is refused."""
    require(
        actor.is_admin or actor.has(Role.BUREAU_OFFICER, buyer.id),
        "only the buying bureau or an administrator may sign contracts",
        "仅购买方或管理员可签订合同",
    )
    schedule = schedule if schedule is not None else DEFAULT_SCHEDULE
    reports = _check_contract(
        buyer, agency, period_start, period_end, amount_fen, schedule, stations, report_schedule
    )
    if qualification_years is not None and not 1 <= qualification_years <= 5:
        raise InvalidInput(
            Problem(
                f"qualification_years must be 1 to 5 years, not {qualification_years}",
                f"取证期限须为 1–5 年，而非 {qualification_years}",
                path="qualification_years",
            )
        )
    if township_hours_limit is not None and not 0 <= township_hours_limit <= 100:
        raise InvalidInput(
            Problem(
                f"township_hours_limit must be 0 to 100 percent, not {township_hours_limit}",
                f"乡镇行政事务时数上限须为 0–100（百分比），而非 {township_hours_limit}",
                path="township_hours_limit",
            )
        )
    if renewal_of is not None:
        require(
            renewal_of.buyer_id == buyer.id,
            "a contract follows one its own bureau bought",
            "接续合同须为同一购买方的合同",
        )
    succession = station_links.check_succession(agency, renewal_of, succession, period_start)
    with unique_or_exists(
        f"a contract with code {code} already exists", f"编号为 {code} 的合同已存在"
    ):
        return await _create_contract(
            actor,
            ContractTerms(
                code=code,
                title=title,
                buyer=buyer,
                agency=agency,
                period_start=period_start,
                period_end=period_end,
                amount_fen=amount_fen,
                stations=tuple(stations),
                schedule=schedule,
                renewal_of=renewal_of,
                staffing_min=staffing_min,
                rectification_working_days=rectification_working_days,
                appeal_working_days=appeal_working_days,
                succession=succession,
                report_schedule=reports,
                qualification_years=qualification_years,
                township_hours_limit=township_hours_limit,
            ),
        )


async def sign_contract(
    actor: Actor,
    *,
    code: str,
    buyer_id,
    agency_id,
    period_start: dt.date,
    period_end: dt.date,
    amount_fen: int,
    stations: list[tuple[object, dict]],
    schedule: list[dict] | None = None,
    title: str = "",
    staffing_min: int = 2,
    renewal_of_id=None,
    succession: str | None = None,
    rectification_working_days: int | None = None,
    appeal_working_days: int = 5,
    report_schedule: object = None,
    qualification_years: int | None = None,
    township_hours_limit: int | None = None,
) -> Contract:
    """``create_contract`` with the parties and stations named by id (each looked up in
    the actor's scope: what the actor may not see is not found)."""
    renewal_of = await get_contract(actor, renewal_of_id) if renewal_of_id else None
    buyer = await get_organisation(actor, buyer_id)
    agency = await get_organisation(actor, agency_id)
    terms = [
        StationTerms(await get_station(actor, station_id), targets)
        for station_id, targets in stations
    ]
    return await create_contract(
        actor,
        code=code,
        buyer=buyer,
        agency=agency,
        period_start=period_start,
        period_end=period_end,
        amount_fen=amount_fen,
        stations=terms,
        schedule=schedule,
        title=title,
        staffing_min=staffing_min,
        renewal_of=renewal_of,
        succession=succession,
        rectification_working_days=rectification_working_days,
        appeal_working_days=appeal_working_days,
        report_schedule=report_schedule,
        qualification_years=qualification_years,
        township_hours_limit=township_hours_limit,
    )


@dataclass(frozen=True)
class ContractTerms:
    """A contract as checked by :func:`create_contract`, ready to be written."""

    code: str
    title: str
    buyer: Organisation
    agency: Organisation
    period_start: dt.date
    period_end: dt.date
    amount_fen: int
    stations: tuple[StationTerms, ...]
    schedule: list[dict]
    renewal_of: Contract | None
    staffing_min: int
    rectification_working_days: int | None
    appeal_working_days: int
    succession: str | None
    report_schedule: list[dict] | None = None  # checked; None: the default
    qualification_years: int | None = None  # None: the system's grace_years
    township_hours_limit: int | None = None  # percent; None: the system's max_share

    def days(self) -> dict:
        """The columns stored and audited as they are (working days, succession, the years
        to qualify, the limit on township administrative work)."""
        return {
            "rectification_working_days": self.rectification_working_days,
            "appeal_working_days": self.appeal_working_days,
            "succession": self.succession,
            "qualification_years": self.qualification_years,
            "township_hours_limit": self.township_hours_limit,
        }


async def _create_contract(actor: Actor, terms: ContractTerms) -> Contract:
    t = terms
    async with in_transaction() as conn:
        contract = await Contract.create(
            code=t.code,
            title=t.title,
            buyer=t.buyer,
            agency=t.agency,
            period_start=t.period_start,
            period_end=t.period_end,
            amount_fen=t.amount_fen,
            schedule=t.schedule,
            renewal_of=t.renewal_of,
            staffing_min=t.staffing_min,
            report_schedule=t.report_schedule,
            using_db=conn,
            **t.days(),
        )
        stations = list(t.stations)
        taken_over = await station_links.take_over(contract, stations, conn)
        for link in stations:
            with station_links.guarded(link.station):
                await ContractStation.create(
                    contract=contract,
                    station=link.station,
                    valid_from=t.period_start,
                    valid_to=station_links.link_end(contract),
                    targets=link.targets,
                    using_db=conn,
                )
        after = {
            "code": t.code,
            "buyer": str(t.buyer.id),
            "agency": str(t.agency.id),
            "period": [t.period_start.isoformat(), t.period_end.isoformat()],
            "amount_fen": t.amount_fen,
            "schedule": t.schedule,
            "report_schedule": t.report_schedule,
            "stations": {s.station.code: s.targets for s in stations},
            **t.days(),
        }
        if t.renewal_of is not None:
            after |= {"renewal_of": t.renewal_of.code, "taken_over": taken_over}
        await audit.record(
            actor.username, "contract.create", "contract", contract.id, None, after, connection=conn
        )
    return contract


def _check_contract(
    buyer, agency, start, end, amount_fen, schedule, stations, report_schedule=None
) -> list[dict] | None:
    """Every problem of the terms at once; the report schedule as stored (None: default)."""
    problems = []
    reports = None
    if report_schedule is not None and end > start:
        try:
            reports = check_schedule(report_schedule, start, end)
        except InvalidInput as exc:
            problems += exc.problems
    if buyer.kind != OrgKind.BUREAU:
        problems.append(Problem("the buyer must be a bureau", "购买方须为民政局", path="buyer"))
    if agency.kind != OrgKind.SERVICE_AGENCY:
        problems.append(
            Problem(
                "the agency must be a service agency", "承接方须为社会工作服务机构", path="agency"
            )
        )
    if end <= start:
        problems.append(
            Problem(
                "the period must end after it starts", "服务期结束日须晚于开始日", path="period_end"
            )
        )
    if (
        not isinstance(amount_fen, int)
        or isinstance(amount_fen, bool)
        or not 0 < amount_fen <= INT64_MAX
    ):
        problems.append(
            Problem(
                f"amount_fen must be a positive whole number of fen, at most {INT64_MAX}",
                f"合同金额须为正整数（分），不超过 {INT64_MAX}",
                path="amount_fen",
            )
        )
    shares = [t.get("share_bp") for t in schedule]
    if not all(isinstance(s, int) and s > 0 for s in shares) or sum(shares) != 10000:
        problems.append(
            Problem(
                f"tranche shares must be positive basis points summing to 10000, got {shares}",
                f"各期支付比例须为正的万分比且合计 10000，实际为 {shares}",
                path="schedule",
            )
        )
    for i, row in enumerate(schedule):
        problems += due_from_problems(row, f"schedule[{i}]")
    codes = [t.station.code for t in stations]
    if len(set(codes)) != len(codes):
        problems.append(Problem("a station is listed twice", "社工站重复列出", path="stations"))
    if problems:
        raise InvalidInput(problems)
    return reports
