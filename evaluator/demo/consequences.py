"""What follows from the demo's mid-term results, computed with the same pure functions as
an approved round: findings, each contract's recommendation and its tranche table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from evaluator import clock
from evaluator.analysis.sensitivity import Settings
from evaluator.analysis.uncertainty import Uncertainty, analyse
from evaluator.decisions.calendar import Deadline, WorkingCalendar, package_calendar
from evaluator.decisions.deviations import FindingDraft, find_deviations
from evaluator.decisions.recommend import OpenFinding, Recommendation, outcome_rule, recommend
from evaluator.decisions.tranches import (
    DEFAULT_SCHEDULE,
    Event,
    Tranche,
    schedule_tranches,
    terms_from_schedule,
)
from evaluator.demo.county import County
from evaluator.demo.registers import round_date
from evaluator.engine import Result, score
from evaluator.systems import IndicatorSystem


def demo_calendar() -> WorkingCalendar:
    """The demo counts on the official years the package carries (provisional beyond)."""
    return package_calendar()


def first_release(contract) -> dt.date:
    """When the demo's bureau released the signing tranche: its due date."""
    return demo_calendar().add_working_days(contract.start, DEFAULT_SCHEDULE[0]["due_working_days"])


# The county's first contract is paid against the agency's written application (拨付申请):
# its signing tranche counts from the application (``due_from: application``), which the
# agency makes five working days after signing with these vouchers; the bureau still pays
# on the day it always has (first_release, well inside the 15 working days from the
# application), so every figure of the demo stays as it was.
APPLICATION_VOUCHERS = (
    {"kind": "contract", "reference": "政府购买社会工作服务合同（签订版）"},
    {"kind": "staff_roster", "reference": "各站点驻站社工花名册（首期）"},
    {"kind": "invoice", "reference": "首期服务费增值税普通发票"},
)


def applies_for_payment(county: County, contract) -> bool:
    """The contract whose tranches the agency applies for (the county's first)."""
    return contract.code == county.contracts[0].code


def demo_schedule(county: County, contract) -> list[dict]:
    """The contract's tranche schedule: the usual one; the signing tranche of the contract
    that applies for payment counts from the application."""
    first = {"due_from": "application"} if applies_for_payment(county, contract) else {}
    return [DEFAULT_SCHEDULE[0] | first, *DEFAULT_SCHEDULE[1:]]


def application_day(contract) -> dt.date:
    """When the agency applied for the signing tranche: five working days after signing."""
    return demo_calendar().add_working_days(contract.start, 5)


@dataclass(frozen=True)
class Consequences:
    findings: tuple[FindingDraft, ...]
    deadlines: dict[tuple[str, str], Deadline]  # (unit, rule) → counted from the round's date
    recommendations: dict[str, Recommendation]  # contract code → recommendation
    tranches: dict[str, list[Tranche]]  # contract code → tranche table on the round's date
    robustness: Uncertainty | None = None  # grades and recommendations under 1,000 weightings


def consequences(
    county: County,
    system: IndicatorSystem,
    inputs: pd.DataFrame,
    result: Result,
    notes: dict,
    elapsed: float,
) -> Consequences:
    drafts = tuple(find_deviations(system, result, notes))
    calendar = demo_calendar()
    recommendations, tables, deadlines = {}, {}, {}
    for contract in county.contracts:
        mine = [d for d in drafts if d.unit in contract.stations]
        part = score(system, inputs[inputs["unit"].isin(contract.stations)])
        rec = recommend(system, part, [OpenFinding(d.unit, d.rule, d.severity) for d in mine])
        recommendations[contract.code] = rec
        on = round_date(contract, elapsed)
        deadlines |= {
            (d.unit, d.rule): calendar.deadline(on, d.deadline_working_days)
            for d in mine
            if d.deadline_working_days
        }
        blocking = [
            f"{d.severity} {d.rule} @ {d.unit}"
            for d in mine
            if d.severity in ("suspension", "termination")
        ]
        # the bureau paid the signing tranche on its due date, before the mid-term round
        releases = {"T1": first_release(contract)}
        applied = {"T1": application_day(contract)} if applies_for_payment(county, contract) else {}
        tables[contract.code] = schedule_tranches(
            contract.amount_fen,
            terms_from_schedule(demo_schedule(county, contract)),
            [Event("signed", contract.start), Event("mid_term_passed", on, rec.outcome != "rebid")],
            blocks={"*": blocking} if blocking else None,
            releases=releases,
            applications=applied,
            today=max(on, clock.today()),  # the table as of today (never before the round)
            calendar=calendar,
        )
    groups, outcomes = {}, {}
    for contract in county.contracts:
        mine = [d for d in drafts if d.unit in contract.stations]
        units = list(contract.stations)
        vetoed = [
            (u, c) for u in units for c in result.vetoes.columns if bool(result.vetoes.loc[u, c])
        ]
        groups |= {u: contract.code for u in units}
        outcomes[contract.code] = outcome_rule(
            system, units, vetoed, [OpenFinding(d.unit, d.rule, d.severity) for d in mine]
        )
    robust = analyse(system, result, Settings(), groups, outcomes)
    return Consequences(drafts, deadlines, recommendations, tables, robust)
