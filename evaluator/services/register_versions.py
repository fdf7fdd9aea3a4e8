"""Register versions outside the ordinary import: the lead's decision on a pending
replacement, and corrected registers kept with a finding (rectification evidence).

A replacement imported after an evaluator scored a leaf it fills is stored ``pending``
(:func:`evaluator.services.registers.import_register`); the round's lead evaluator (or an
administrator) accepts it, which puts it in force and replaces the version it was imported
against, in one transaction guarded as an import is (``in_force_key``), or rejects it with
a reason. Both are audited (``register.accept``, ``register.reject``).

After approval a round takes no registers; the agency (or the evaluation side) submits a
corrected register against an open finding of its contract instead: validated and measured
exactly as a round import, kept with the finding in state ``rectification``, never in force,
never part of the approved round or its snapshot (``register.rectification``). It feeds the
next round when carried forward (:func:`carry_forward`): imported into a later round of the
same agency's contract — the same one, or the contract that renews it — as any import,
checked against that round, with its origin in the audit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.decisions.words import FINDING_STATE_ZH, REGISTER_VERSION_ZH
from evaluator.errors import ConflictError, InvalidInput, Problem, StateError
from evaluator.evidence.parse import max_bytes as register_max_bytes
from evaluator.evidence.parse import schema, sha256_of
from evaluator.services import audit
from evaluator.services.actors import Actor, check_writable, get_round, not_found, require
from evaluator.services.evidence import spooled, stored_path
from evaluator.services.findings import get_finding
from evaluator.services.registers import (
    IN_FORCE,
    PENDING,
    RECTIFICATION,
    REJECTED,
    Imported,
    file_name,
    import_register,
    in_force_key,
    is_key_clash,
    keep_file,
    lead_decides,
    may_import,
    raced,
    read_register,
    retire,
    schedule_still_read,
    upload_suffix,
    version_doc,
    version_fields,
    version_in_force,
)
from evaluator.services.systems import system_of
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Finding
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import SystemVersion

# -- the lead's decision on a pending replacement -------------------------------------------


async def accept_replacement(actor: Actor, round_id, kind: str, import_id, reason: str = ""):
    """The round's lead puts a pending version in force; the version it was imported
    against is replaced. ConflictError when that one is no longer in force (another
    replacement got there first: import the file again) or the version was decided."""
    return await _decide(actor, round_id, kind, import_id, True, reason)


async def reject_replacement(actor: Actor, round_id, kind: str, import_id, reason: str):
    """The round's lead refuses a pending version, with a reason; the version in force stays."""
    return await _decide(actor, round_id, kind, import_id, False, reason)


async def _decide(
    actor: Actor, round_id, kind: str, import_id, accept: bool, reason: str
) -> RegisterImport:
    round_ = await get_round(actor, round_id)
    record = await RegisterImport.get_or_none(id=import_id, round_id=round_.id, kind=kind)
    if record is None or record.state == RECTIFICATION:
        raise not_found("register version", "台账版本", import_id)
    require(
        await lead_decides(actor, round_),
        "only the round's lead evaluator accepts or rejects a register replacement",
        "仅本轮主评估员可接受或退回台账替换",
    )
    reason = (reason or "").strip()
    if not accept and not reason:
        raise InvalidInput(Problem("a rejection needs a reason", "退回须填写理由", path="reason"))
    if accept:
        check_writable(round_)  # putting a version in force changes the round's scores
    if record.state != PENDING:
        raise StateError(
            Problem(
                f"this version is {record.state}: only a pending replacement is accepted or"
                " rejected",
                f"该版本状态为“{REGISTER_VERSION_ZH[record.state]}”：只有待确认的替换版本可接受或退回",
            )
        )
    decided = {"decided_by_id": actor.user_id, "decided_at": clock.now(), "decision_reason": reason}
    changes = (
        {"state": IN_FORCE, "active": True, "in_force_key": in_force_key(round_.id, kind)}
        if accept
        else {"state": REJECTED}
    )
    try:
        async with in_transaction() as conn:
            replaces = record.replaces_id if accept else None
            if replaces is not None and not await retire(replaces, conn):
                raise ConflictError(
                    Problem(
                        "the version this replacement was imported against is no longer in"
                        " force (another version replaced it); import the file again",
                        "该替换版本导入时的现行版本已被其他版本替换，请重新导入该文件",
                    )
                )
            updated = (
                await RegisterImport.filter(id=record.id, state=PENDING)
                .using_db(conn)
                .update(**changes, **decided)
            )
            if updated != 1:
                raise ConflictError(
                    Problem(
                        "the replacement was decided since you read it; reload",
                        "该替换已被他人处理，请刷新",
                    )
                )
            after = await RegisterImport.get(id=record.id).using_db(conn)
            await audit.record(
                actor.username,
                "register.accept" if accept else "register.reject",
                "register",
                record.id,
                version_doc(record),
                version_doc(after) | {"reason": reason},
                connection=conn,
            )
    except IntegrityError as error:
        if not is_key_clash(error):
            raise
        raise raced() from None
    return after


# -- rectification evidence against a finding -----------------------------------------------


async def submit_rectification(
    actor: Actor,
    finding_id,
    kind: str,
    path: str | Path,
    *,
    name: str | None = None,
    sheet: str | None = None,
) -> Imported:
    """Keep a corrected register with an open finding of the actor's contract (state
    ``rectification``): validated and measured as a round import, never in force; the
    approved round and its snapshot are untouched. The same file again → unchanged."""
    finding, round_ = await get_finding(actor, finding_id)
    await may_import(actor, round_, kind)
    schema(kind)
    _check_open(finding)
    path = Path(path)
    name = file_name(name, path)
    digest = await asyncio.to_thread(sha256_of, path) if path.is_file() else None
    same = await RegisterImport.filter(finding_id=finding.id, kind=kind, sha256=digest).first()
    if same is not None and sheet in (None, same.sheet):
        return Imported(same, True, None)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    register, metrics, period = await read_register(round_, system, kind, path, name, sheet)
    corrects = await version_in_force(round_.id, kind)  # the version in the approved round, if any
    await asyncio.to_thread(keep_file, path, register.sha256)
    fields = version_fields(actor, round_, kind, path, name, register, metrics, period)
    async with in_transaction() as conn:
        locked = (
            await Finding.filter(id=finding.id).using_db(conn).select_for_update().first()
        )  # the finding may have been closed meanwhile
        _check_open(locked)
        await schedule_still_read(round_, kind, period, conn)
        record = await RegisterImport.create(
            **fields,
            state=RECTIFICATION,
            active=False,
            finding_id=finding.id,
            replaces_id=None if corrects is None else corrects.id,
            using_db=conn,
        )
        await audit.record(
            actor.username,
            "register.rectification",
            "register",
            record.id,
            version_doc(corrects),
            version_doc(record),
            connection=conn,
        )
    return Imported(record, False, None)


def _check_open(finding: Finding) -> None:
    if finding.state not in OPEN_STATES:
        raise StateError(
            Problem(
                f"the finding is {finding.state}: rectification evidence is taken only while it"
                " is open",
                f"该问题状态为“{FINDING_STATE_ZH[finding.state]}”：仅在整改未结时可提交整改佐证",
            )
        )


async def rectification_upload(
    actor: Actor,
    finding_id,
    kind: str,
    data: bytes | Iterable[bytes] | AsyncIterable[bytes],
    *,
    name: str,
    sheet: str | None = None,
) -> Imported:
    """:func:`submit_rectification` of an uploaded stream (as :func:`import_upload`)."""
    schema(kind)
    suffix = upload_suffix(name)
    async with spooled(data, register_max_bytes(), suffix=suffix) as (tmp, _, _):
        return await submit_rectification(actor, finding_id, kind, tmp, name=name, sheet=sheet)


async def carry_forward(actor: Actor, finding_id, import_id, round_id) -> Imported:
    """Import a corrected register kept with a finding into a later round of the same
    contract, or of a contract that follows it with the same agency: the same file,
    validated and measured against that round as any import (the version-in-force,
    ownership and pending-after-scoring rules apply)."""
    _, first = await get_finding(actor, finding_id)  # the actor may see it
    record = await RegisterImport.get_or_none(
        id=import_id, finding_id=finding_id, state=RECTIFICATION
    )
    if record is None:
        raise not_found("corrected register of this finding", "该问题的整改台账", import_id)
    round_ = await get_round(actor, round_id)
    earlier = await Contract.get(id=first.contract_id)
    later = await Contract.get(id=round_.contract_id)
    same_agency = later.id == earlier.id or (
        later.renewal_of_id == earlier.id and later.agency_id == earlier.agency_id
    )
    if not same_agency or round_.as_of <= first.as_of:
        raise InvalidInput(
            Problem(
                "a corrected register feeds a later round of the same contract, or of the "
                "contract that renews it with the same agency",
                "整改台账只能用于同一合同（或同一机构续签合同）的后续评估轮次",
                path="round",
            )
        )
    suffix = upload_suffix(record.original_name)
    data = await asyncio.to_thread(stored_path(record.sha256).read_bytes)
    async with spooled(data, register_max_bytes(), suffix=suffix) as (tmp, _, _):
        return await import_register(
            actor,
            round_.id,
            record.kind,
            tmp,
            name=record.original_name,
            sheet=record.sheet,
            origin=record,
        )


async def finding_registers(actor: Actor, finding_id) -> list[RegisterImport]:
    """The corrected registers submitted against a finding the actor may see, newest first."""
    finding, _ = await get_finding(actor, finding_id)
    return await RegisterImport.filter(finding_id=finding.id).order_by("kind", "-created_at")
