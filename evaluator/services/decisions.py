"""The renew-or-rebid recommendation of a round (one contract) and the bureau's decision.

A recommendation is proposed when a round is approved (and again after an upheld appeal,
superseding the previous one). The buying bureau accepts it, or overrides it with another
outcome and a mandatory reason; both are audited.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.decisions.recommend import OUTCOME_ZH, OpenFinding, recommend
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.errors import ConflictError, InvalidInput, NotFound, Problem, StateError
from evaluator.services import audit
from evaluator.services.actors import Actor, get_round, may_see_scores, require
from evaluator.store.base import Role
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Decision, Finding
from evaluator.store.orgs import Organisation
from evaluator.store.rounds import Round

OUTCOMES = tuple(OUTCOME_ZH)


async def unit_names(round_: Round, system, conn=None) -> dict[str, str]:
    """How a recommendation names the round's units: an agency round's one unit (the
    agency's id) by the agency's name; stations by their codes (no entry)."""
    if system.unit != "agency":
        return {}
    contract = await Contract.get(id=round_.contract_id).using_db(conn)
    agency = await Organisation.get(id=contract.agency_id).using_db(conn)
    return {str(agency.id): agency.name}


async def propose(round_: Round, done, actor: Actor, conn, on: dt.date) -> Decision:
    """Propose the recommendation from the approved results (inside the approval's transaction)."""
    open_ = (
        await Finding.filter(round_id=round_.id, state__in=list(OPEN_STATES))
        .using_db(conn)
        .values_list("unit", "rule", "severity")
    )
    rec = recommend(
        done.system,
        done.result,
        [OpenFinding(*row) for row in open_],
        await unit_names(round_, done.system, conn),
    )
    await (
        Decision.filter(round_id=round_.id, superseded=False).using_db(conn).update(superseded=True)
    )
    decision = await Decision.create(
        round_id=round_.id,
        approved_on=on,
        recommended=rec.outcome,
        reasons=list(rec.reasons),
        losses=rec.losses,
        explanation_en=rec.en,
        explanation_zh=rec.zh,
        using_db=conn,
    )
    await audit.record(
        actor.username,
        "decision.propose",
        "decision",
        decision.id,
        None,
        {"round": str(round_.id), "recommended": rec.outcome},
        connection=conn,
    )
    return decision


async def current_decision(actor: Actor, round_id) -> Decision:
    round_ = await get_round(actor, round_id)
    if not await may_see_scores(actor, round_):
        raise NotFound(Problem(f"no decision for round {round_id}", f"轮次 {round_id} 暂无结论"))
    found = await Decision.filter(round_id=round_.id, superseded=False).first()
    if found is None:
        raise NotFound(
            Problem(
                f"round {round_id} has no recommendation yet (it is proposed at approval)",
                f"轮次 {round_id} 尚无建议（审定时生成）",
            )
        )
    return found


async def decide(
    actor: Actor, round_id, *, accept: bool, outcome: str | None, reason: str, expected_version: int
) -> Decision:
    """The bureau accepts the recommendation or overrides it (another outcome, a reason)."""
    round_ = await get_round(actor, round_id)
    contract = await Contract.get(id=round_.contract_id)
    require(
        actor.is_admin or actor.has(Role.BUREAU_OFFICER, contract.buyer_id),
        "only the buying bureau decides",
        "仅购买方可作出决定",
    )
    decision = await current_decision(actor, round_id)
    if decision.status != "proposed":
        raise StateError(
            Problem(
                f"the recommendation was already {decision.status}",
                f"该建议已{'采纳' if decision.status == 'accepted' else '改判'}",
            )
        )
    if accept:
        final = decision.recommended
    else:
        if outcome not in OUTCOMES:
            raise InvalidInput(
                Problem(
                    f"outcome must be one of {', '.join(OUTCOMES)}",
                    f"结论须为 {'、'.join(OUTCOMES)} 之一",
                    path="outcome",
                )
            )
        if outcome == decision.recommended:
            raise InvalidInput(
                Problem(
                    "an override must change the outcome; accept instead",
                    "改判须改变结论；如同意请选择采纳",
                    path="outcome",
                )
            )
        if not reason.strip():
            raise InvalidInput(
                Problem(
                    "overriding the recommendation needs a reason", "改判须说明理由", path="reason"
                )
            )
        final = outcome
    status = "accepted" if accept else "overridden"
    async with in_transaction() as conn:
        updated = (
            await Decision.filter(id=decision.id, version=expected_version)
            .using_db(conn)
            .update(
                status=status,
                outcome=final,
                reason=reason,
                decided_by_id=actor.user_id,
                decided_at=clock.now(),
                version=expected_version + 1,
            )
        )
        if updated != 1:
            raise ConflictError(
                Problem("the decision changed since you read it", "结论已被他人更新，请刷新后重试")
            )
        await audit.record(
            actor.username,
            f"decision.{'accept' if accept else 'override'}",
            "decision",
            decision.id,
            {"recommended": decision.recommended, "status": decision.status},
            {"status": status, "outcome": final, "reason": reason},
            connection=conn,
        )
    return await Decision.get(id=decision.id)
