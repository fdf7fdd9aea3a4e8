"""Tranches of a contract: amounts in fen, status, due dates and what blocks them.

Pure: a function of the contract's schedule, what happened (signing, rounds passed or
failed, releases, termination), the open blocking conditions and the working-day calendar.

Amounts: each tranche gets ``floor(amount × share_bp / 10000)`` fen and the last tranche
the remainder, so the tranches always add up to the contract amount exactly.

Status of a tranche, first rule that applies:

1. ``released``  — the bureau released it (an explicit action);
2. ``forfeited`` — the contract ended (terminated / not renewed) before its trigger passed;
3. ``withheld``  — its trigger round failed, or a blocking condition is open (e.g. an open
   suspension finding, a confirmed veto);
4. ``scheduled`` — its trigger has not happened yet, or its date has not come (a contract
   that takes effect in the future: ``due_note`` says when);
5. ``awaiting_application`` (待申请) — its term counts from the agency's payment application
   (``due_from: application``), its trigger happened, and no live application exists;
6. ``due``       — its trigger happened (and, counting from the application, the agency
   applied); due by start + N working days (``overdue`` when today is past that date), on
   the calendar in force: ``provisional`` (with the reason) when the count crosses a year
   the State Council has not scheduled yet. The start is the trigger's date
   (``due_from: trigger``, the default) or the live application's date
   (``due_from: application``; the later of the two should a re-check pass after it).

A withheld tranche still shows the date it would be due (counting from the application:
once there is one), so no table has a blank date once a trigger has happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from evaluator.decisions.calendar import WorkingCalendar, package_calendar
from evaluator.decisions.words import (
    TRANCHE_ZH,
    TRIGGER_EN,
    TRIGGER_ZH,
    blocked_by_en,
    blocked_by_zh,
)
from evaluator.errors import InvalidInput, Problem

TRIGGERS = ("signed", "mid_term_passed", "final_passed")
# where a tranche's N working days count from: its trigger, or the agency's payment
# application (申请) with its vouchers (a county plan's "自收到申请之日起 N 个工作日内")
DUE_FROM = ("trigger", "application")
# The usual county plan: 50% within 15 working days of signing, 30% after the mid-term
# evaluation passes, the rest after the final evaluation passes (a contract may set its own).
DEFAULT_SCHEDULE = [
    {"code": "T1", "share_bp": 5000, "trigger": "signed", "due_working_days": 15},
    {"code": "T2", "share_bp": 3000, "trigger": "mid_term_passed", "due_working_days": 15},
    {"code": "T3", "share_bp": 2000, "trigger": "final_passed", "due_working_days": 15},
]
BASIS_POINTS = 10_000
WAITS_FOR = {t: f"{TRIGGER_EN[t]} {TRIGGER_ZH[t]}" for t in TRIGGERS}


@dataclass(frozen=True)
class TrancheTerm:
    code: str
    share_bp: int
    trigger: str
    due_working_days: int = 15
    due_from: str = "trigger"  # trigger | application


@dataclass(frozen=True)
class Event:
    """Something that happened to a trigger: ``signed`` on a date, or a round of the
    trigger's kind that passed or failed on a date."""

    trigger: str
    on: dt.date
    passed: bool = True


@dataclass(frozen=True)
class Tranche:
    code: str
    share_bp: int
    amount_fen: int
    trigger: str
    status: str  # scheduled | awaiting_application | due | withheld | released | forfeited
    due_on: dt.date | None = None
    overdue: bool = False
    released_on: dt.date | None = None
    blocked_by: tuple[str, ...] = field(default_factory=tuple)
    due_basis: str = ""  # official | provisional (when due_on is set)
    due_note: str = ""  # why the date is provisional, or when a future trigger comes
    trigger_on: dt.date | None = None  # when its trigger happened (or will)
    due_from: str = "trigger"  # where its N working days count from: trigger | application
    applied_on: dt.date | None = None  # the live application's date (submitted or released)

    @property
    def awaits_application(self) -> bool:
        """Its days count from an application that the agency has not made yet, though its
        trigger happened (also while it is withheld)."""
        return (
            self.due_from == "application"
            and self.applied_on is None
            and self.trigger_on is not None
            and self.status in ("awaiting_application", "withheld")
        )

    def words(self) -> dict[str, object]:
        """Its status, trigger and blocking conditions as codes and in words (for its API
        answer and its report rows)."""
        return {
            "status_zh": TRANCHE_ZH[self.status],
            "trigger_zh": TRIGGER_ZH.get(self.trigger, self.trigger),
            "blocked_by": list(self.blocked_by),
            "blocked_by_en": [blocked_by_en(b) for b in self.blocked_by],
            "blocked_by_zh": [blocked_by_zh(b) for b in self.blocked_by],
        }

    def date_label(self) -> str:
        """The date cell of a tranche table, never blank: released on, due by (暂定 when
        provisional), or what it waits for."""
        if self.released_on is not None:
            return self.released_on.isoformat()
        if self.due_on is not None:
            mark = " 暂定 provisional" if self.due_basis == "provisional" else ""
            late = " overdue 逾期" if self.overdue else ""
            return f"{self.due_on.isoformat()}{mark}{late}"
        if self.status == "forfeited":
            return "— (forfeited 不再支付)"
        if self.awaits_application:
            return "awaiting the agency's application 待承接机构申请"
        if self.trigger_on is not None and self.status == "scheduled":
            return f"from 自 {self.trigger_on.isoformat()}"
        return f"after 待 {WAITS_FOR.get(self.trigger, self.trigger)}"


def terms_from_schedule(schedule: Sequence[Mapping[str, Any]]) -> list[TrancheTerm]:
    """Validate a contract's stored schedule (every problem at once)."""
    problems: list[Problem] = []
    terms: list[TrancheTerm] = []
    for i, row in enumerate(schedule):
        where = f"schedule[{i}]"
        share, trigger, days = (
            row.get("share_bp"),
            row.get("trigger"),
            row.get("due_working_days", 15),
        )
        problems += due_from_problems(row, where)
        if not isinstance(share, int) or isinstance(share, bool) or share <= 0:
            problems.append(
                Problem(
                    "share_bp must be a positive whole number of basis points",
                    "支付比例须为正整数（万分比）",
                    path=f"{where}.share_bp",
                )
            )
        if trigger not in TRIGGERS:
            problems.append(
                Problem(
                    f"trigger must be one of {', '.join(TRIGGERS)}",
                    f"触发条件须为 {'、'.join(TRIGGERS)} 之一",
                    path=f"{where}.trigger",
                )
            )
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            problems.append(
                Problem(
                    "due_working_days must be a whole number ≥ 1",
                    "付款期限须为不小于 1 的整数（工作日）",
                    path=f"{where}.due_working_days",
                )
            )
        terms.append(
            TrancheTerm(
                str(row.get("code", f"T{i + 1}")),
                share if isinstance(share, int) else 0,
                str(trigger),
                days if isinstance(days, int) else 15,
                str(row.get("due_from", "trigger")),
            )
        )
    total = sum(t.share_bp for t in terms)
    if not problems and total != BASIS_POINTS:
        problems.append(
            Problem(
                f"tranche shares sum to {total / 100:g}% instead of 100%",
                f"各期支付比例合计 {total / 100:g}%，应为 100%",
                path="schedule",
            )
        )
    if problems:
        raise InvalidInput(problems)
    return terms


def due_from_problems(row: Mapping[str, Any], where: str) -> list[Problem]:
    """``due_from`` of one schedule entry, when given, must be ``trigger`` or ``application``."""
    due_from = row.get("due_from", "trigger")
    if due_from in DUE_FROM:
        return []
    return [
        Problem(
            f"due_from must be one of {', '.join(DUE_FROM)}, not {due_from!r}",
            "付款期限起算须为 trigger（触发条件达成之日）或 application（承接机构申请之日）之一",
            path=f"{where}.due_from",
        )
    ]


def split_amount(amount_fen: int, shares_bp: Sequence[int]) -> list[int]:
    """Floor each share; the last takes the remainder, so the parts sum to the amount."""
    if not shares_bp:
        return []
    parts = [amount_fen * bp // BASIS_POINTS for bp in shares_bp[:-1]]
    return [*parts, amount_fen - sum(parts)]


def schedule_tranches(
    amount_fen: int,
    terms: Sequence[TrancheTerm],
    events: Iterable[Event],
    *,
    blocks: Mapping[str, Sequence[str]] | None = None,
    releases: Mapping[str, dt.date] | None = None,
    applications: Mapping[str, dt.date] | None = None,
    ended_on: dt.date | None = None,
    today: dt.date,
    calendar: WorkingCalendar | None = None,
) -> list[Tranche]:
    """The tranches with their status. ``blocks`` maps a tranche code (or ``"*"`` for all
    unreleased tranches) to the open conditions blocking it; ``releases`` maps a tranche
    code to the date the bureau released it; ``applications`` maps a tranche code to the
    date of its live payment application (submitted or released); ``ended_on`` is when the
    contract ended early."""
    blocks = blocks or {}
    releases = releases or {}
    applications = applications or {}
    calendar = calendar or package_calendar()
    latest: dict[str, Event] = {}
    for happened in sorted(events, key=lambda e: e.on):
        latest[happened.trigger] = happened  # a re-check that passes replaces the failed round
    amounts = split_amount(amount_fen, [t.share_bp for t in terms])
    out: list[Tranche] = []
    for term, amount in zip(terms, amounts, strict=True):
        event = latest.get(term.trigger)
        blocking = tuple(blocks.get(term.code, ())) + tuple(blocks.get("*", ()))
        base = Tranche(
            code=term.code,
            share_bp=term.share_bp,
            amount_fen=amount,
            trigger=term.trigger,
            status="scheduled",
            trigger_on=event.on if event else None,
            due_from=term.due_from,
            applied_on=applications.get(term.code),
        )
        start = _counts_from(term, event, base.applied_on)
        due = calendar.deadline(start, term.due_working_days) if start else None
        dated = (
            replace(base, due_on=due.on, due_basis=due.basis, due_note=due.explain())
            if due
            else base
        )
        if term.code in releases:
            out.append(replace(base, status="released", released_on=releases[term.code]))
        elif ended_on is not None and (event is None or not event.passed or event.on > ended_on):
            out.append(replace(base, status="forfeited"))
        elif event is not None and not event.passed:
            out.append(
                replace(base, status="withheld", blocked_by=(f"{term.trigger}:failed", *blocking))
            )
        elif event is not None and event.on > today:
            out.append(
                replace(
                    base,
                    status="scheduled",
                    due_note=f"its trigger ({term.trigger}) comes on {event.on.isoformat()} "
                    f"(触发日期 {event.on.isoformat()} 尚未到来)",
                )
            )
        elif event is not None and blocking:
            out.append(replace(dated, status="withheld", blocked_by=blocking))
        elif event is not None and due is None:  # counts from an application not made yet
            out.append(replace(base, status="awaiting_application"))
        elif due is not None:  # the trigger happened, passed, and nothing blocks
            out.append(replace(dated, status="due", overdue=today > due.on))
        else:
            out.append(base)
    return out


def _counts_from(
    term: TrancheTerm, event: Event | None, applied_on: dt.date | None
) -> dt.date | None:
    """The day a tranche's N working days count from: its trigger's date, or (``due_from:
    application``) its live application's date, never before the trigger; None while
    either is missing."""
    if event is None:
        return None
    if term.due_from != "application":
        return event.on
    return max(event.on, applied_on) if applied_on is not None else None
