"""A contract's tranches (拨付) from what happened to it, and their release by the bureau.

Events: ``signed`` on the contract's start; for each approved round, ``mid_term_passed``
(mid-term rounds) or ``final_passed`` (final and annual rounds) on its approval date, passed
unless the round's decision (the bureau's outcome, else the recommendation) is ``rebid``.
Blocking conditions: open suspension and termination findings of the contract's rounds
hold every unreleased tranche. Releasing is an explicit bureau action on a ``due`` tranche,
dated today (the clock): never before its trigger has happened and its date has come.

Payment applications (``services.payment_applications``): a tranche whose term counts from
the application (``due_from: application``) is due only once the agency has a live
application, and its date counts from the application's. Releasing a tranche turns its
submitted application (if any; required when the term counts from it) into ``released``
in the same transaction.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.decisions.tranches import Event, Tranche, schedule_tranches, terms_from_schedule
from evaluator.decisions.words import TRANCHE_ZH, blocked_by_en, blocked_by_zh
from evaluator.errors import ConflictError, InvalidInput, Problem, StateError, TooEarly
from evaluator.services import audit, calendars
from evaluator.services.actors import Actor, get_contract, require
from evaluator.store.base import OWN_EVALUATIONS, Role, RoundKind, RoundState
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Decision, Finding, PaymentApplication, TrancheRelease
from evaluator.store.rounds import Round

TRIGGER_OF = {
    RoundKind.MID_TERM: "mid_term_passed",
    RoundKind.FINAL: "final_passed",
    RoundKind.ANNUAL: "final_passed",
}


async def _events(contract: Contract) -> list[Event]:
    events = [Event("signed", contract.period_start)]
    # the contract's own evaluations of its stations: an agency round (a system whose unit
    # is the agency) scores the organisation and neither triggers nor passes a tranche
    for round_ in await Round.filter(
        contract_id=contract.id,
        state=RoundState.APPROVED,
        kind__in=list(OWN_EVALUATIONS),
        system__unit="station",
    ):
        decision = await Decision.filter(round_id=round_.id, superseded=False).first()
        if decision is None:
            continue
        outcome = decision.outcome or decision.recommended
        events.append(Event(TRIGGER_OF[round_.kind], decision.approved_on, outcome != "rebid"))
    return events


async def _blocks(contract: Contract) -> dict[str, list[str]]:
    rounds = await Round.filter(contract_id=contract.id).values_list("id", flat=True)
    open_ = await Finding.filter(
        round_id__in=list(rounds),
        state__in=list(OPEN_STATES),
        severity__in=["suspension", "termination"],
    ).order_by("opened_on", "unit")
    return {"*": [f"{f.severity} {f.rule} @ {f.unit}" for f in open_]} if open_ else {}


async def tranches_of(contract: Contract) -> list[Tranche]:
    """The tranches of a contract today (no permission check)."""
    releases = {r.code: r.released_on for r in await TrancheRelease.filter(contract_id=contract.id)}
    applications = {
        code: on
        for code, on in await PaymentApplication.filter(
            contract_id=contract.id, live_key__isnull=False
        ).values_list("code", "applied_on")
    }
    return schedule_tranches(
        contract.amount_fen,
        terms_from_schedule(contract.schedule),
        await _events(contract),
        blocks=await _blocks(contract),
        releases=releases,
        applications=applications,
        today=clock.today(),
        calendar=await calendars.current(),
    )


def tranche_named(table: list[Tranche], code: str) -> Tranche:
    """The tranche ``code`` of a contract's table (InvalidInput at ``code`` if none)."""
    found = next((t for t in table if t.code == code), None)
    if found is None:
        raise InvalidInput(
            Problem(f"the contract has no tranche {code}", f"合同没有第 {code} 期款项", path="code")
        )
    return found


async def contract_tranches(actor: Actor, contract_id) -> tuple[Contract, list[Tranche]]:
    contract = await get_contract(actor, contract_id)
    return contract, await tranches_of(contract)


async def release(actor: Actor, contract_id, code: str) -> TrancheRelease:
    """The buying bureau releases a due tranche (its whole amount, exactly in fen)."""
    contract = await get_contract(actor, contract_id)
    require(
        actor.is_admin or actor.has(Role.BUREAU_OFFICER, contract.buyer_id),
        "only the buying bureau releases payments",
        "仅购买方可拨付",
    )
    on = clock.today()
    tranche = tranche_named(await tranches_of(contract), code)
    if tranche.status == "scheduled" and tranche.trigger_on is not None:
        raise TooEarly(
            Problem(
                f"tranche {code} cannot be released before its trigger ({tranche.trigger}) on "
                f"{tranche.trigger_on.isoformat()}; today is {on.isoformat()}",
                f"第 {code} 期款项的触发日期为 {tranche.trigger_on.isoformat()}，"
                f"此前不得拨付；今日为 {on.isoformat()}",
            )
        )
    if tranche.status != "due":
        why_en = "; ".join(blocked_by_en(b) for b in tranche.blocked_by)
        why_zh = "；".join(blocked_by_zh(b) for b in tranche.blocked_by)
        raise StateError(
            Problem(
                f"tranche {code} is {tranche.status}, not due"
                + (f" (blocked by: {why_en})" if why_en else "")
                + (" (the agency has not applied for it)" if tranche.awaits_application else ""),
                f"第 {code} 期款项状态为“{TRANCHE_ZH[tranche.status]}”，不可拨付"
                + (f"（受阻于：{why_zh}）" if why_zh else "")
                + ("（承接机构尚未提出拨付申请）" if tranche.awaits_application else ""),
            )
        )
    application = await PaymentApplication.filter(
        contract_id=contract.id, code=code, state="submitted"
    ).first()
    try:
        async with in_transaction() as conn:
            if application is not None:
                await _release_application(actor, application, on, conn)
            elif tranche.due_from == "application":  # a concurrent withdrawal or return
                raise ConflictError(
                    Problem(
                        f"tranche {code} has no submitted payment application to release against",
                        f"第 {code} 期款项没有待处理的拨付申请，不可拨付",
                    )
                )
            record = await TrancheRelease.create(
                contract_id=contract.id,
                code=code,
                amount_fen=tranche.amount_fen,
                released_on=on,
                released_by_id=actor.user_id,
                using_db=conn,
            )
            await audit.record(
                actor.username,
                "tranche.release",
                "contract",
                contract.id,
                None,
                {"tranche": code, "amount_fen": tranche.amount_fen, "on": on.isoformat()}
                | ({"application": str(application.id)} if application else {}),
                connection=conn,
            )
    except IntegrityError:
        raise ConflictError(
            Problem(f"tranche {code} was released already", f"第 {code} 期款项已拨付")
        ) from None
    return record


async def _release_application(actor: Actor, application: PaymentApplication, on, conn) -> None:
    """The submitted application the bureau pays against becomes ``released`` (a 409 when it
    was withdrawn or returned meanwhile: the release is rolled back with it)."""
    changed = (
        await PaymentApplication.filter(id=application.id, state="submitted")
        .using_db(conn)
        .update(state="released", decided_on=on, decided_by_id=actor.user_id)
    )
    if not changed:
        raise ConflictError(
            Problem(
                f"the payment application for tranche {application.code} was withdrawn, "
                "returned or released meanwhile",
                f"第 {application.code} 期款项的拨付申请已被撤回、退回或已拨付",
            )
        )
