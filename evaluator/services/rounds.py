"""Evaluation rounds and their state machine.

The legal transitions and who may take each are the table of
``evaluator.decisions.round_states``:

    draft → open → submitted → approved (locked) → reopened → submitted → approved …
                       └──── returned to open ◄───┘

This module checks the actor against it, the version (optimistic concurrency) and the
dates, and writes each transition with its audit event in one transaction; approval
writes an approval snapshot (results + digest of the inputs + system hash) and locks the
round.
"""

from __future__ import annotations

import datetime as dt
import uuid

from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.canonical import digest
from evaluator.decisions import round_states
from evaluator.decisions.timing import earliest_approval
from evaluator.errors import (
    ConflictError,
    InvalidInput,
    Problem,
    TooEarly,
)
from evaluator.faults import crash_point
from evaluator.services import audit, calendars, panel, spot_samples
from evaluator.services.actors import (
    Actor,
    assignment_role,
    buys,
    contract_parties,
    get_contract,
    get_organisation,
    get_round,
    require,
    round_bureau,
)
from evaluator.services.completeness import gaps_in, refuse_undecided, require_complete
from evaluator.services.decisions import propose
from evaluator.services.findings import open_findings
from evaluator.services.listing import get_system
from evaluator.services.round_inputs import inputs_digest, results_document
from evaluator.services.scorecards import compute_round
from evaluator.services.snapshots import freeze, write_snapshot
from evaluator.store.base import OrgKind, Role, RoundKind, RoundState
from evaluator.store.contracts import Contract
from evaluator.store.orgs import Organisation
from evaluator.store.rounds import ApprovalSnapshot, Round, SystemVersion


async def create_round(
    actor: Actor,
    *,
    contract: Contract,
    evaluation_agency: Organisation,
    kind: RoundKind,
    system: SystemVersion,
    as_of: dt.date,
    elapsed: float = 1.0,
    commissioned_by: Organisation | None = None,
    sample: spot_samples.SampleRequest | None = None,
) -> Round:
    """A round of the contract. ``commissioned_by``: the city's or the province's bureau
    that commissions a spot check (its officer acts; the caller checked its region).
    A spot check scores ``sample`` (services/spot_samples.py; None: every station of the
    contract in force on ``as_of``), drawn with the new round's id as the seed."""
    if commissioned_by is None:
        require(
            buys(actor, contract),
            "only the buying bureau or an administrator may open rounds",
            "仅购买方或管理员可创建评估轮次",
        )
    else:
        require(
            kind == RoundKind.SPOT_CHECK and actor.has(Role.BUREAU_OFFICER, commissioned_by.id),
            "a bureau other than the buyer commissions spot checks only, through its officer",
            "非购买方的民政部门只能由其经办人委托抽查",
        )
    problems = []
    if evaluation_agency.kind != OrgKind.EVALUATION_AGENCY:
        problems.append(
            Problem(
                "the evaluator must be an evaluation agency",
                "评估方须为第三方评估机构",
                path="evaluation_agency",
            )
        )
    if not 0 < elapsed <= 1:
        problems.append(
            Problem("elapsed must be a share in (0, 1]", "时间进度须在 (0, 1] 之间", path="elapsed")
        )
    if not contract.period_start <= as_of <= contract.period_end:
        problems.append(
            Problem(
                f"the evaluation date {as_of.isoformat()} is outside contract {contract.code}'s "
                f"period {contract.period_start.isoformat()} – {contract.period_end.isoformat()}",
                f"评估基准日 {as_of.isoformat()} 不在合同 {contract.code} 的服务期 "
                f"{contract.period_start.isoformat()} 至 {contract.period_end.isoformat()} 内",
                path="as_of",
            )
        )
    if sample is not None and kind != RoundKind.SPOT_CHECK:
        problems.append(
            Problem(
                "only a spot check samples stations; a round of its own scores them all",
                "仅抽查可抽取部分社工站，自行组织的评估轮次须评全部社工站",
                path="sample",
            )
        )
    if problems:
        raise InvalidInput(problems)
    round_id = uuid.uuid4()
    chosen = (
        await spot_samples.choose(contract, as_of, sample, round_id)
        if kind == RoundKind.SPOT_CHECK
        else None
    )
    async with in_transaction() as conn:
        round_ = await Round.create(
            id=round_id,
            contract=contract,
            evaluation_agency=evaluation_agency,
            kind=kind,
            system=system,
            as_of=as_of,
            elapsed=elapsed,
            commissioned_by=commissioned_by,
            using_db=conn,
        )
        extra = {} if commissioned_by is None else {"commissioned_by": commissioned_by.name}
        if chosen is not None:
            await spot_samples.record(round_, chosen, conn)
            extra["sample"] = chosen.document()
        await audit.record(
            actor.username,
            "round.create",
            "round",
            round_.id,
            None,
            {
                "contract": contract.code,
                "kind": kind.value,
                "system": system.content_hash,
                "as_of": as_of.isoformat(),
                "elapsed": elapsed,
                **extra,
            },
            connection=conn,
        )
    return round_


async def start_round(
    actor: Actor,
    *,
    contract_id,
    evaluation_agency_id,
    kind: RoundKind,
    system_id,
    as_of: dt.date,
    elapsed: float = 1.0,
    sample: spot_samples.SampleRequest | None = None,
) -> Round:
    """``create_round`` with the contract, evaluation agency and system named by id."""
    contract = await get_contract(actor, contract_id)
    agency = await get_organisation(actor, evaluation_agency_id)
    return await create_round(
        actor,
        contract=contract,
        evaluation_agency=agency,
        kind=kind,
        system=await get_system(actor, system_id),
        as_of=as_of,
        elapsed=elapsed,
        sample=sample,
    )


async def _may(actor: Actor, round_: Round, action: str) -> bool:
    """Whether the actor holds a role the table lets take ``action`` on this round (only
    the role the action needs is looked up)."""
    if actor.is_admin:
        return round_states.may(action, {"admin"})
    if round_states.ACTOR[action] == "lead":
        lead = await assignment_role(actor, round_) == Role.LEAD_EVALUATOR
        return round_states.may(action, {"lead"} if lead else set())
    buyer, _ = await contract_parties(round_.contract_id)
    bureau = actor.has(Role.BUREAU_OFFICER, round_bureau(round_, buyer))
    return round_states.may(action, {"bureau"} if bureau else set())


async def _transition(
    actor: Actor,
    round_: Round,
    action: str,
    expected_version: int,
    conn,
    **changes,
) -> Round:
    """Take ``action`` if the table allows it from the round's state (StateError) and
    nobody changed the round since ``expected_version`` was read (optimistic concurrency)."""
    target = RoundState(round_states.next_state(round_.state.value, action))
    before = {"state": round_.state.value, "version": round_.version}
    updated = (
        await Round.filter(id=round_.id, version=expected_version, state=round_.state)
        .using_db(conn)
        .update(state=target, version=expected_version + 1, **changes)
    )
    if updated != 1:
        raise ConflictError(
            Problem(
                "the round changed since you read it; reload and try again",
                "轮次已被他人修改，请刷新后重试",
            )
        )
    await audit.record(
        actor.username,
        f"round.{target.value}",
        "round",
        round_.id,
        before,
        {"state": target.value, "version": expected_version + 1, **changes},
        connection=conn,
    )
    return await Round.get(id=round_.id).using_db(conn)


async def open_round(actor: Actor, round_: Round, expected_version: int) -> Round:
    require(
        await _may(actor, round_, "open"),
        "only the round's lead evaluator may open it",
        "仅本轮主评估员可开启轮次",
    )
    async with in_transaction() as conn:
        return await _transition(actor, round_, "open", expected_version, conn)


async def submit_round(actor: Actor, round_: Round, expected_version: int) -> Round:
    require(
        await _may(actor, round_, "submit"),
        "only the round's lead evaluator may submit it",
        "仅本轮主评估员可提交轮次",
    )
    if round_.state in (RoundState.OPEN, RoundState.REOPENED):  # else: an illegal transition
        await require_complete(round_)  # every gap scored or decided by the lead
        await panel.require_agreement(round_)  # every wide disagreement adjudicated
    async with in_transaction() as conn:
        return await _transition(actor, round_, "submit", expected_version, conn)


async def return_round(actor: Actor, round_: Round, expected_version: int, reason: str) -> Round:
    """The bureau sends a submitted round back to the evaluators."""
    return await _bureau_sends_back(actor, round_, "return", expected_version, reason)


async def approve_round(actor: Actor, round_: Round, expected_version: int) -> ApprovalSnapshot:
    """Lock the round, freeze its results with the digest of the inputs, open its findings
    and propose its recommendation and fix its appeal window (all in one transaction). The
    approval date is today (the clock), from which deadlines and the appeal window count;
    refused (TooEarly) before the round's evaluation date allows it (``decisions.timing``)."""
    require(
        await _may(actor, round_, "approve"),
        "only the buying bureau may approve a round",
        "仅购买方可审定轮次",
    )
    on = clock.today()
    contract = await Contract.get(id=round_.contract_id)
    earliest = earliest_approval(
        str(round_.kind), contract.period_start, contract.period_end, round_.as_of
    )
    if on < earliest.on:
        raise TooEarly(
            Problem(
                f"the round cannot be approved before {earliest.on.isoformat()} ({earliest.en}); "
                f"today is {on.isoformat()}",
                f"本轮须在 {earliest.on.isoformat()} 及以后方可审定（{earliest.zh}）；今日为 {on.isoformat()}",
            )
        )
    done = await compute_round(round_)
    if round_.state == RoundState.SUBMITTED:  # else: an illegal transition, said below
        # re-checked on this computation: a register may have changed since submission
        decided = {(u, leaf): (d, "") for u, leaf, d in done.waivers}
        refuse_undecided(gaps_in(done.system, done.inputs, done.units, decided))
    frozen = await freeze(done)
    async with in_transaction() as conn:
        locked = await _transition(actor, round_, "approve", expected_version, conn)
        snapshot = await write_snapshot(actor, locked, frozen, conn)
        await open_findings(locked, done, on, actor, conn)
        await crash_point("round.approve")  # locked, frozen, findings open; no decision yet
        await propose(locked, done, actor, conn, on)
        if locked.appeal_until is None:  # the first approval fixes the appeal window
            count = (await calendars.current(conn)).deadline(on, contract.appeal_working_days)
            until, basis, note = calendars.appeal_end(count, None, "")
            await (
                Round.filter(id=locked.id)
                .using_db(conn)
                .update(appeal_until=until, appeal_basis=basis, appeal_note=note)
            )
    return snapshot


async def reopen_round(actor: Actor, round_: Round, expected_version: int, reason: str) -> Round:
    return await _bureau_sends_back(actor, round_, "reopen", expected_version, reason)


_SEND_BACK_REFUSED = {
    "return": ("only the buying bureau may return a round", "仅购买方可退回轮次"),
    "reopen": ("only the buying bureau may reopen a round", "仅购买方可重新开启轮次"),
}


async def _bureau_sends_back(
    actor: Actor, round_: Round, action: str, expected_version: int, reason: str
) -> Round:
    """``return`` (a submitted round) or ``reopen`` (an approved one), with a reason."""
    require(await _may(actor, round_, action), *_SEND_BACK_REFUSED[action])
    _need_reason(reason)
    async with in_transaction() as conn:
        return await _transition(
            actor, round_, action, expected_version, conn, reopen_reason=reason.strip()
        )


async def verify_snapshot(snapshot: ApprovalSnapshot) -> bool:
    """Recompute the round from its stored inputs: the inputs digest must be reproduced."""
    round_ = await Round.get(id=snapshot.round_id)
    done = await compute_round(round_)
    system, inputs, result, units = done.system, done.inputs, done.result, done.units
    return (
        inputs_digest(inputs, system, units, done.waivers) == snapshot.inputs_digest
        and system.content_hash == snapshot.system_hash
        and digest(results_document(result)) == snapshot.results_digest
    )


ACTIONS = round_states.ACTIONS


async def act(
    actor: Actor, round_id, action: str, expected_version: int, reason: str = ""
) -> Round:
    """One state transition of the round ``round_id`` (looked up in the actor's scope):
    open, submit, return (with reason), approve, reopen (with reason). Returns the round."""
    round_ = await get_round(actor, round_id)
    if action == "open":
        return await open_round(actor, round_, expected_version)
    if action == "submit":
        return await submit_round(actor, round_, expected_version)
    if action == "return":
        return await return_round(actor, round_, expected_version, reason)
    if action == "reopen":
        return await reopen_round(actor, round_, expected_version, reason)
    if action == "approve":
        await approve_round(actor, round_, expected_version)
        return await Round.get(id=round_.id)
    raise InvalidInput(Problem(f"unknown action {action}", f"未知操作 {action}", path="action"))


def _need_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise InvalidInput(Problem("a reason is required", "必须填写原因", path="reason"))
