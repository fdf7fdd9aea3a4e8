"""Deviation findings of approved rounds and their rectification (整改).

Findings open when a round is approved (one per deviation rule that holds for a unit,
unless the same rule's finding for that unit is still open from an earlier approval).
Their deadline is the approval date plus the rule's working days (the contract may set its
own), on the calendar in force (``services.calendars``): official where the State Council
has published the year, provisional (marked, with the reason) where it has not; provisional
deadlines are recomputed when the schedule arrives. The bureau may set a deadline by hand
with a reason (:func:`override_deadline`), for closures no schedule knows.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.decisions.calendar import WorkingCalendar
from evaluator.decisions.deviations import SEVERITY_ZH, find_deviations
from evaluator.decisions.rectification import (
    AGENCY_ACTIONS,
    EVALUATOR_ACTIONS,
    OPEN_STATES,
    next_state,
)
from evaluator.decisions.words import FINDING_STATE_ZH
from evaluator.errors import ConflictError, InvalidInput, NotFound, Problem, StateError
from evaluator.services import audit, calendars
from evaluator.services.actors import Actor, assignment_role, buys, require, round_scope
from evaluator.services.evidence import require_round_files
from evaluator.services.listing import MAX_PER_PAGE, Page, paginate
from evaluator.store.base import Role
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Finding
from evaluator.store.rounds import Round

FIELDS = (
    "unit",
    "rule",
    "severity",
    "state",
    "deadline",
    "deadline_basis",
    "deadline_note",
    "plan",
    "evidence",
    "review_comment",
    "version",
)


def deadline_after(
    calendar: WorkingCalendar, opened_on: dt.date, days: int | None
) -> tuple[dt.date | None, str, str]:
    """(deadline, basis, note): no deadline for an observation (``days`` is None); else
    the date with ``official`` or ``provisional`` and why it is provisional."""
    if days is None:
        return None, "official", ""
    due = calendar.deadline(opened_on, days)
    return due.on, due.basis, due.explain()


async def _create_finding(
    conn, calendar: WorkingCalendar, opened_on: dt.date, days: int | None, **fields
) -> Finding:
    """A new finding opened on ``opened_on``, its deadline ``days`` working days later by
    ``calendar`` (none for an observation), with ``fields`` (round, unit, rule, …)."""
    deadline, basis, note = deadline_after(calendar, opened_on, days)
    return await Finding.create(
        opened_on=opened_on,
        deadline=deadline,
        deadline_working_days=days,
        deadline_basis=basis,
        deadline_note=note,
        using_db=conn,
        **fields,
    )


async def open_findings(round_: Round, done, on: dt.date, actor: Actor, conn) -> list[Finding]:
    """Open the findings of an approval (inside its transaction)."""
    contract = await Contract.get(id=round_.contract_id).using_db(conn)
    calendar = await calendars.current(conn)
    drafts = find_deviations(done.system, done.result, done.notes)
    still_open = set(
        await Finding.filter(round_id=round_.id, state__in=list(OPEN_STATES))
        .using_db(conn)
        .values_list("unit", "rule")
    )
    created = []
    for d in drafts:
        if (d.unit, d.rule) in still_open:
            continue
        days = (
            contract.rectification_working_days
            if d.deadline_working_days and contract.rectification_working_days
            else d.deadline_working_days
        )
        f = await _create_finding(
            conn,
            calendar,
            on,
            days,
            round_id=round_.id,
            unit=d.unit,
            rule=d.rule,
            severity=d.severity,
            escalation=d.escalation,
            causes=list(d.causes),
            explanation_en=d.en,
            explanation_zh=d.zh,
        )
        await audit.record(
            actor.username,
            "finding.open",
            "finding",
            f.id,
            None,
            finding_document(f),
            connection=conn,
        )
        created.append(f)
    return created


def finding_document(f: Finding) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in ((k, getattr(f, k)) for k in FIELDS)
    } | {"round": str(f.round_id)}


async def list_findings(
    actor: Actor,
    *,
    round_id=None,
    contract_id=None,
    state: str | None = None,
    unit: str | None = None,
) -> list[Finding]:
    """Findings of the rounds the actor may see (findings exist only once a round is approved)."""
    query = await _findings(actor, round_id, contract_id, state, unit)
    return await query.order_by(*FINDING_ORDER)


async def page_findings(
    actor: Actor,
    *,
    round_id=None,
    contract_id=None,
    state: str | None = None,
    unit: str | None = None,
    page: int = 1,
    per_page: int = MAX_PER_PAGE,
) -> Page[Finding]:
    """``list_findings`` a page at a time."""
    query = await _findings(actor, round_id, contract_id, state, unit)
    return await paginate(query, page, per_page, *FINDING_ORDER)


FINDING_ORDER = ("opened_on", "unit", "rule", "id")


async def _findings(actor: Actor, round_id, contract_id, state, unit):
    rounds = round_scope(actor)
    if round_id is not None:
        rounds = rounds.filter(id=round_id)
    if contract_id is not None:
        rounds = rounds.filter(contract_id=contract_id)
    ids = await rounds.values_list("id", flat=True)
    query = Finding.filter(round_id__in=list(ids))
    if state:
        query = query.filter(state=state)
    if unit:
        query = query.filter(unit=unit)
    return query


async def get_finding(actor: Actor, finding_id) -> tuple[Finding, Round]:
    found = await Finding.get_or_none(id=finding_id)
    round_ = await round_scope(actor).filter(id=found.round_id).first() if found else None
    if found is None or round_ is None:
        raise NotFound(Problem(f"no finding {finding_id}", f"未找到问题 {finding_id}"))
    return found, round_


async def act(
    actor: Actor,
    finding_id,
    action: str,
    expected_version: int,
    *,
    plan: str = "",
    evidence: list[str] | None = None,
    comment: str = "",
) -> Finding:
    """The agency submits a plan or evidence; an evaluator of the round verifies, rejects
    (with a comment), acknowledges an observation or closes a termination finding."""
    finding, round_ = await get_finding(actor, finding_id)
    contract = await Contract.get(id=round_.contract_id)
    if action in AGENCY_ACTIONS:
        require(
            actor.is_admin or actor.has(Role.AGENCY_USER, contract.agency_id),
            "only the agency answers a finding",
            "仅承接机构可回应问题",
        )
    elif action in EVALUATOR_ACTIONS:
        require(
            actor.is_admin or await assignment_role(actor, round_) is not None,
            "only the round's evaluators review a finding",
            "仅本轮评估员可审核问题",
        )
    else:
        raise InvalidInput(
            Problem(f"unknown action {action!r}", f"未知的操作 {action!r}", path="action")
        )
    state = next_state(finding.severity, finding.state, action)
    changes: dict = {"state": state}
    if action == "submit_plan":
        if not plan.strip():
            raise InvalidInput(
                Problem("a rectification plan is required", "须填写整改计划", path="plan")
            )
        changes["plan"] = plan
    elif action == "submit_evidence":
        ids = [str(e) for e in (evidence or [])]
        if not ids:
            raise InvalidInput(
                Problem(
                    "name the evidence of the rectification", "须提供整改佐证材料", path="evidence"
                )
            )
        await require_round_files(round_, ids)
        changes["evidence"] = ids
    elif action == "reject":
        if not comment.strip():
            raise InvalidInput(
                Problem("a rejection needs a comment", "退回须填写意见", path="comment")
            )
        changes["review_comment"] = comment
    elif comment:
        changes["review_comment"] = comment
    async with in_transaction() as conn:
        before = finding_document(finding)
        updated = (
            await Finding.filter(id=finding.id, version=expected_version)
            .using_db(conn)
            .update(version=expected_version + 1, **changes)
        )
        if updated != 1:
            raise ConflictError(
                Problem("the finding changed since you read it", "问题已被他人更新，请刷新后重试")
            )
        after = await Finding.get(id=finding.id).using_db(conn)
        await audit.record(
            actor.username,
            f"finding.{action}",
            "finding",
            finding.id,
            before,
            finding_document(after),
            connection=conn,
        )
    return after


async def refresh(actor: Actor | None = None) -> tuple[int, int, int]:
    """Recount provisional deadlines on the calendar in force (a schedule may have arrived
    with a package update), mark findings past their deadline overdue as of today and
    escalate them per rule (a new finding one step more severe). Returns (deadlines
    recomputed, expired, escalated). Idempotent for a given day."""
    actor = actor or Actor.system()
    today = clock.today()
    expired, escalated = 0, 0
    async with in_transaction() as conn:
        set_ = sum(c.kind == "finding" for c in await calendars.recompute(actor, conn))
    calendar = await calendars.current()
    for f in await Finding.filter(
        deadline__lt=today, state__in=["open", "plan_submitted", "rejected"]
    ):
        async with in_transaction() as conn:
            state = next_state(f.severity, f.state, "expire")
            await (
                Finding.filter(id=f.id, version=f.version)
                .using_db(conn)
                .update(state=state, version=f.version + 1)
            )
            await audit.record(
                actor.username,
                "finding.expire",
                "finding",
                f.id,
                {"state": f.state},
                {"state": state, "on": today.isoformat()},
                connection=conn,
            )
            expired += 1
            if f.escalation:
                escalated += await _escalate(f, today, actor, conn, calendar)
    return set_, expired, escalated


async def _escalate(
    f: Finding, today: dt.date, actor: Actor, conn, calendar: WorkingCalendar
) -> int:
    fresh = await Finding.get(id=f.id).using_db(conn)
    await (
        Finding.filter(id=f.id)
        .using_db(conn)
        .update(state=next_state(f.severity, fresh.state, "escalate"), version=fresh.version + 1)
    )

    days = f.deadline_working_days if f.escalation in ("correction", "suspension") else None
    new = await _create_finding(
        conn,
        calendar,
        today,
        days,
        round_id=f.round_id,
        unit=f.unit,
        rule=f.rule,
        severity=f.escalation,
        escalation={"correction": "suspension", "suspension": "termination"}.get(f.escalation),
        causes=f.causes,
        escalated_from_id=f.id,
        explanation_en=f"Escalated to {f.escalation}: not corrected by {f.deadline.isoformat()}. "
        + f.explanation_en,
        explanation_zh=f"升级为{SEVERITY_ZH[f.escalation]}：未在 {f.deadline.isoformat()} 前完成整改。"
        + f.explanation_zh,
    )
    await audit.record(
        actor.username,
        "finding.escalate",
        "finding",
        new.id,
        {"from": str(f.id)},
        finding_document(new),
        connection=conn,
    )
    return 1


async def override_deadline(
    actor: Actor, finding_id, deadline: dt.date, reason: str, expected_version: int
) -> Finding:
    """The buying bureau sets a finding's deadline by hand (a local closure the schedule
    cannot know), with a mandatory reason; never recomputed afterwards; audited."""
    finding, round_ = await get_finding(actor, finding_id)
    contract = await Contract.get(id=round_.contract_id)
    require(
        buys(actor, contract),
        "only the buying bureau sets a deadline by hand",
        "仅购买方可手动调整整改期限",
    )
    if not reason or not reason.strip():
        raise InvalidInput(Problem("a reason is required", "须填写调整原因", path="reason"))
    if finding.deadline_working_days is None:
        raise InvalidInput(
            Problem(
                "an observation has no deadline to set",
                "观察类问题没有整改期限",
                path="deadline",
            )
        )
    if finding.state not in OPEN_STATES:
        raise StateError(
            Problem(
                f"the finding is {finding.state}: its deadline no longer matters",
                f"该问题状态为“{FINDING_STATE_ZH[finding.state]}”，不再调整期限",
            )
        )
    if deadline <= finding.opened_on:
        raise InvalidInput(
            Problem(
                f"the deadline {deadline.isoformat()} must come after the finding opened "
                f"({finding.opened_on.isoformat()})",
                f"期限 {deadline.isoformat()} 须晚于问题提出日 {finding.opened_on.isoformat()}",
                path="deadline",
            )
        )
    note = reason.strip()
    async with in_transaction() as conn:
        before = finding_document(finding)
        updated = (
            await Finding.filter(id=finding.id, version=expected_version)
            .using_db(conn)
            .update(
                deadline=deadline,
                deadline_basis="override",
                deadline_note=note,
                version=expected_version + 1,
            )
        )
        if updated != 1:
            raise ConflictError(
                Problem("the finding changed since you read it", "问题已被他人更新，请刷新后重试")
            )
        after = await Finding.get(id=finding.id).using_db(conn)
        await audit.record(
            actor.username,
            "finding.deadline_override",
            "finding",
            finding.id,
            before,
            finding_document(after),
            connection=conn,
        )
    return after
