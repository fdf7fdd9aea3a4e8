"""Appeals (申诉): within a window after approval (the contract's, 5 working days by
default, fixed at approval and never shortened afterwards: see ``services.calendars``) the
agency contests leaves of a unit with a reason and new evidence; the round's
lead evaluator dismisses the appeal with a reason, or upholds it with new values for the
contested leaves — the round is then rescored into a new approval snapshot (the old one
kept) and a new recommendation supersedes the previous one. All audited, visible to the
bureau.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.errors import ConflictError, InvalidInput, NotFound, Problem, StateError
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_role,
    buys,
    get_round,
    may_see_scores,
    require,
    round_scope,
    system_user_id,
)
from evaluator.services.calendars import appeal_deadline
from evaluator.services.decisions import propose
from evaluator.services.evidence import require_round_files
from evaluator.services.scorecards import compute_round
from evaluator.services.scoring import check_value
from evaluator.services.snapshots import freeze, write_snapshot
from evaluator.store.base import Role, RoundState
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Appeal
from evaluator.store.registers import MeasuredOverride
from evaluator.store.rounds import Round, Score


async def extend_window(actor: Actor, round_id, until: dt.date, reason: str) -> Round:
    """The buying bureau extends a round's appeal window by hand (a local closure), with a
    mandatory reason; audited. A window is never shortened."""
    round_ = await get_round(actor, round_id)
    contract = await Contract.get(id=round_.contract_id)
    require(
        buys(actor, contract),
        "only the buying bureau extends an appeal window",
        "仅购买方可延长申诉期",
    )
    if not reason or not reason.strip():
        raise InvalidInput(Problem("a reason is required", "须填写延长原因", path="reason"))
    if round_.state != RoundState.APPROVED:
        raise StateError(
            Problem("only an approved round has an appeal window", "仅已审定的轮次有申诉期")
        )
    async with in_transaction() as conn:
        # read the window under a row lock: a concurrent extension or calendar update
        # (which may move the end later) must not be undone by a shorter one
        round_ = await Round.filter(id=round_.id).using_db(conn).select_for_update().get()
        current = await appeal_deadline(round_, conn)
        if until <= current:
            raise InvalidInput(
                Problem(
                    f"the appeal window already ends on {current.isoformat()}; it can only be "
                    f"extended (asked: {until.isoformat()})",
                    f"申诉期已截至 {current.isoformat()}，只能延长（申请：{until.isoformat()}）",
                    path="until",
                )
            )
        await (
            Round.filter(id=round_.id)
            .using_db(conn)
            .update(appeal_until=until, appeal_basis="override", appeal_note=reason.strip())
        )
        await audit.record(
            actor.username,
            "round.appeal_window_override",
            "round",
            round_.id,
            {"appeal_until": current.isoformat(), "basis": round_.appeal_basis},
            {"appeal_until": until.isoformat(), "basis": "override", "reason": reason.strip()},
            connection=conn,
        )
    return await Round.get(id=round_.id)


async def submit_appeal(
    actor: Actor,
    round_id,
    unit: str,
    leaves: list[str],
    reason: str,
    evidence: list[str] | None = None,
) -> Appeal:
    round_ = await get_round(actor, round_id)
    contract = await Contract.get(id=round_.contract_id)
    require(
        actor.is_admin or actor.has(Role.AGENCY_USER, contract.agency_id),
        "only the agency may appeal",
        "仅承接机构可申诉",
    )
    if round_.state != RoundState.APPROVED:
        raise StateError(Problem("only an approved round can be appealed", "仅已审定的轮次可申诉"))
    today = clock.today()
    last = await appeal_deadline(round_)
    if today > last:
        raise StateError(
            Problem(
                f"the appeal window closed on {last.isoformat()} (today is {today.isoformat()})",
                f"申诉期已于 {last.isoformat()} 截止（今日为 {today.isoformat()}）",
            )
        )
    done = await compute_round(round_)
    if unit not in done.units:
        raise InvalidInput(
            Problem(
                f"{unit} is not evaluated in this round", f"{unit} 不在本轮评估范围内", path="unit"
            )
        )
    unknown = [
        lf for lf in leaves if lf not in done.system.nodes or not done.system.nodes[lf].is_leaf
    ]
    if not leaves or unknown:
        raise InvalidInput(
            Problem(
                f"name the contested leaves of the system (unknown: {', '.join(unknown) or 'none given'})",
                f"须列出所申诉的末级指标（未知：{'、'.join(unknown) or '未填写'}）",
                path="leaves",
            )
        )
    if not reason.strip():
        raise InvalidInput(Problem("an appeal needs a reason", "申诉须说明理由", path="reason"))
    ids = [str(e) for e in (evidence or [])]
    await require_round_files(round_, ids)
    async with in_transaction() as conn:
        appeal = await Appeal.create(
            round_id=round_.id,
            unit=unit,
            leaves=list(leaves),
            reason=reason,
            evidence=ids,
            submitted_by_id=actor.user_id,
            using_db=conn,
        )
        await audit.record(
            actor.username,
            "appeal.submit",
            "appeal",
            appeal.id,
            None,
            {"round": str(round_.id), "unit": unit, "leaves": list(leaves), "reason": reason},
            connection=conn,
        )
    return appeal


async def list_appeals(actor: Actor, round_id) -> list[Appeal]:
    round_ = await get_round(actor, round_id)
    if not await may_see_scores(actor, round_):
        raise NotFound(Problem(f"no round {round_id}", f"未找到评估轮次 {round_id}"))
    return await Appeal.filter(round_id=round_.id).order_by("created_at")


async def decide_appeal(
    actor: Actor,
    appeal_id,
    *,
    uphold: bool,
    answer: str,
    rescored: dict[str, float] | None,
    expected_version: int,
) -> Appeal:
    appeal = await Appeal.get_or_none(id=appeal_id)
    round_ = await round_scope(actor).filter(id=appeal.round_id).first() if appeal else None
    if appeal is None or round_ is None:
        raise NotFound(Problem(f"no appeal {appeal_id}", f"未找到申诉 {appeal_id}"))
    require(
        actor.is_admin or await assignment_role(actor, round_) == Role.LEAD_EVALUATOR,
        "only the round's lead evaluator answers an appeal",
        "仅本轮主评估员可答复申诉",
    )
    if appeal.state != "submitted":
        raise StateError(
            Problem(
                f"the appeal was already {appeal.state}",
                f"该申诉已{'支持' if appeal.state == 'upheld' else '驳回'}",
            )
        )
    if not answer.strip():
        raise InvalidInput(
            Problem("an answer to the appeal is required", "须填写申诉答复", path="answer")
        )
    values = dict(rescored or {})
    if uphold:
        missing = [lf for lf in appeal.leaves if lf not in values]
        extra = [lf for lf in values if lf not in appeal.leaves]
        if missing or extra:
            raise InvalidInput(
                Problem(
                    f"give a new value for each contested leaf ({', '.join(appeal.leaves)})",
                    f"须为每个申诉指标给出新值（{'、'.join(appeal.leaves)}）",
                    path="rescored",
                )
            )
    # which contested leaves come from a register (read before the transaction); the
    # lead's values obey the same bounds as any score
    notes = {}
    if uphold:
        done = await compute_round(round_)
        notes = done.notes
        problems = []
        for leaf, value in values.items():
            try:
                check_value(done.system, appeal.unit, leaf, "", value, None, None)
            except InvalidInput as exc:
                problems += [dataclasses.replace(p, path=f"rescored.{leaf}") for p in exc.problems]
        if problems:
            raise InvalidInput(problems)
    async with in_transaction() as conn:
        updated = (
            await Appeal.filter(id=appeal.id, version=expected_version)
            .using_db(conn)
            .update(
                state="upheld" if uphold else "dismissed",
                answer=answer,
                rescored=values,
                decided_by_id=actor.user_id,
                version=expected_version + 1,
            )
        )
        if updated != 1:
            raise ConflictError(
                Problem("the appeal changed since you read it", "申诉已被他人更新，请刷新后重试")
            )
        if uphold:
            await _rescore(actor, round_, appeal, values, conn, answer, notes)
        await audit.record(
            actor.username,
            f"appeal.{'uphold' if uphold else 'dismiss'}",
            "appeal",
            appeal.id,
            {"state": "submitted"},
            {"answer": answer, "rescored": values},
            connection=conn,
        )
        if uphold:  # the new snapshot and recommendation, in the same transaction
            await _resnapshot(actor, round_, conn)
    return await Appeal.get(id=appeal.id)


async def _rescore(
    actor: Actor,
    round_: Round,
    appeal: Appeal,
    values: dict[str, float],
    conn,
    answer: str,
    notes: dict,
) -> None:
    """The lead's values replace every rater's value of the contested leaves for the unit;
    on a leaf computed from a register, the lead's value overrides the measured one for the
    unit (``MeasuredOverride``, with the answer as its reason)."""
    for leaf, value in values.items():
        if (appeal.unit, leaf) in notes:
            await (
                MeasuredOverride.filter(round_id=round_.id, unit=appeal.unit, leaf=leaf)
                .using_db(conn)
                .delete()
            )
            override = await MeasuredOverride.create(
                round_id=round_.id,
                unit=appeal.unit,
                leaf=leaf,
                value=float(value),
                reason=answer,
                appeal_id=appeal.id,
                set_by_id=actor.user_id or await system_user_id(conn),
                using_db=conn,
            )
            await audit.record(
                actor.username,
                "measured.override",
                "round",
                round_.id,
                {
                    "unit": appeal.unit,
                    "leaf": leaf,
                    "register": notes[(appeal.unit, leaf)]["value"],
                },
                {
                    "unit": appeal.unit,
                    "leaf": leaf,
                    "value": float(value),
                    "appeal": str(appeal.id),
                    "override": str(override.id),
                },
                connection=conn,
            )
            continue
        await Score.filter(round_id=round_.id, unit=appeal.unit, leaf=leaf).using_db(conn).delete()
        score = await Score.create(
            round_id=round_.id,
            unit=appeal.unit,
            leaf=leaf,
            item="",
            rater_id=actor.user_id,
            value=float(value),
            comment=f"appeal {appeal.id}",
            using_db=conn,
        )
        await audit.record(
            actor.username,
            "score.write",
            "score",
            score.id,
            None,
            {"unit": appeal.unit, "leaf": leaf, "value": float(value), "appeal": str(appeal.id)},
            connection=conn,
        )


async def _resnapshot(actor: Actor, round_: Round, conn) -> None:
    """Rescore the round as the transaction sees it (the lead's new values included) into a
    new approval snapshot, and propose its recommendation again."""
    done = await compute_round(round_, conn)
    await write_snapshot(actor, round_, await freeze(done), conn, after_appeal=True)
    await propose(round_, done, actor, conn, clock.today())
