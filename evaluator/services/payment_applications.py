"""The agency's payment application for a tranche (拨付申请), and what the bureau does with it.

- ``apply``: a user of the contract's agency (nobody else: not the bureau, not an evaluator,
  not an administrator: it is the agency's written request) applies for a tranche whose
  trigger has happened and which is neither released nor forfeited, with at least one
  voucher. A withheld tranche may be applied for: the application waits, and the tranche
  cannot be released while it is withheld. Dated today (the clock).
- ``withdraw``: the agency takes a submitted application back.
- ``return_application``: the buying bureau sends a submitted application back with a
  reason; the agency may apply again.
- The bureau's release (``services.tranches.release``) turns the live application into
  ``released`` in the release's own transaction.

At most one live (submitted or released) application per contract and tranche: the
database refuses a second one (``live_key``, unique), so two concurrent applications give
one 201 and one 409. Each use case is one transaction with its audit event.
"""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.decisions.payment_applications import (
    Voucher,
    check_note,
    live_key,
    vouchers_from,
)
from evaluator.decisions.tranches import Tranche
from evaluator.decisions.words import APPLICATION_ZH, TRANCHE_ZH, VOUCHER_ZH
from evaluator.errors import (
    ConflictError,
    InvalidInput,
    NotFound,
    Problem,
    StateError,
    TooEarly,
)
from evaluator.services import audit
from evaluator.services.actors import Actor, buys, get_contract, not_found, require
from evaluator.services.tranches import tranche_named, tranches_of
from evaluator.store.base import Role
from evaluator.store.contracts import Contract
from evaluator.store.decisions import PaymentApplication
from evaluator.store.rounds import EvidenceFile


def _may_apply_for(tranche: Tranche, today) -> None:
    code = tranche.code
    if tranche.status in ("released", "forfeited"):
        raise StateError(
            Problem(
                f"tranche {code} is {tranche.status}: there is nothing to apply for",
                f"第 {code} 期款项状态为“{TRANCHE_ZH[tranche.status]}”，无需申请",
            )
        )
    if tranche.trigger_on is None or tranche.trigger_on > today:
        raise TooEarly(
            Problem(
                f"tranche {code} cannot be applied for before its trigger ({tranche.trigger}) "
                "has happened",
                f"第 {code} 期款项的触发条件尚未达成，暂不能申请拨付",
            )
        )


async def _check_evidence(contract: Contract, vouchers: list[Voucher]) -> None:
    """Each voucher's evidence id names a file uploaded to one of the contract's rounds."""
    cited = {}
    for i, v in enumerate(vouchers):
        if v.evidence is None:
            continue
        try:
            cited[i] = uuid.UUID(v.evidence)
        except ValueError:
            cited[i] = None
    wanted = [c for c in cited.values() if c is not None]
    known = set(
        await EvidenceFile.filter(id__in=wanted, round__contract_id=contract.id).values_list(
            "id", flat=True
        )
        if wanted
        else []
    )
    problems = [
        Problem(
            f"no evidence file {vouchers[i].evidence} among the contract's rounds",
            f"本合同各评估轮次中没有佐证材料 {vouchers[i].evidence}",
            path=f"vouchers[{i}].evidence",
        )
        for i, c in cited.items()
        if c not in known
    ]
    if problems:
        raise InvalidInput(problems)


async def apply(
    actor: Actor, contract_id, code: str, vouchers: object, note: object = ""
) -> PaymentApplication:
    """The agency applies for tranche ``code`` of the contract with its vouchers."""
    contract = await get_contract(actor, contract_id)
    require(
        actor.has(Role.AGENCY_USER, contract.agency_id),
        "only the contract's agency applies for a payment",
        "仅承接机构可提出拨付申请",
    )
    checked, text = vouchers_from(vouchers), check_note(note)
    on = clock.today()
    _may_apply_for(tranche_named(await tranches_of(contract), code), on)
    await _check_evidence(contract, checked)
    try:
        async with in_transaction() as conn:
            record = await PaymentApplication.create(
                contract_id=contract.id,
                code=code,
                applied_on=on,
                applied_by_id=actor.user_id,
                vouchers=[v.as_dict() for v in checked],
                note=text,
                live_key=live_key(contract.id, code),
                using_db=conn,
            )
            await audit.record(
                actor.username,
                "payment.apply",
                "payment_application",
                record.id,
                None,
                {
                    "contract": str(contract.id),
                    "tranche": code,
                    "on": on.isoformat(),
                    "vouchers": record.vouchers,
                    "note": text,
                },
                connection=conn,
            )
    except IntegrityError:
        raise ConflictError(
            Problem(
                f"tranche {code} has a live payment application already",
                f"第 {code} 期款项已有拨付申请（已申请或已拨付），不可重复申请",
            )
        ) from None
    return record


async def _visible_application(actor: Actor, application_id) -> tuple[PaymentApplication, Contract]:
    record = await PaymentApplication.get_or_none(id=application_id)
    if record is None:
        raise not_found("payment application", "拨付申请", application_id)
    try:
        contract = await get_contract(actor, record.contract_id)
    except NotFound:  # not the actor's contract: existence is never revealed
        raise not_found("payment application", "拨付申请", application_id) from None
    return record, contract


async def _decide(
    actor: Actor, record: PaymentApplication, state: str, action: str, reason: str = ""
) -> PaymentApplication:
    """submitted → ``state`` (withdrawn or returned), guarded on the row's state so that a
    concurrent release, withdrawal or return makes this one a 409."""
    on = clock.today()
    async with in_transaction() as conn:
        changed = (
            await PaymentApplication.filter(id=record.id, state="submitted")
            .using_db(conn)
            .update(
                state=state,
                live_key=None,
                decided_on=on,
                decided_by_id=actor.user_id,
                reason=reason,
            )
        )
        if not changed:
            current = await PaymentApplication.get(id=record.id).using_db(conn)
            raise StateError(
                Problem(
                    f"the application is {current.state}, no longer submitted",
                    f"该拨付申请状态为“{APPLICATION_ZH[current.state]}”，已不是“已申请”",
                )
            )
        await audit.record(
            actor.username,
            action,
            "payment_application",
            record.id,
            {"state": "submitted"},
            {"state": state, "tranche": record.code, "on": on.isoformat()}
            | ({"reason": reason} if reason else {}),
            connection=conn,
        )
    return await PaymentApplication.get(id=record.id)


async def withdraw(actor: Actor, application_id) -> PaymentApplication:
    """The agency takes back its submitted application (before the bureau decided)."""
    record, contract = await _visible_application(actor, application_id)
    require(
        actor.has(Role.AGENCY_USER, contract.agency_id),
        "only the agency withdraws its payment application",
        "仅承接机构可撤回拨付申请",
    )
    return await _decide(actor, record, "withdrawn", "payment.withdraw")


async def return_application(actor: Actor, application_id, reason: object) -> PaymentApplication:
    """The buying bureau sends a submitted application back, saying why (the agency may
    apply again)."""
    record, contract = await _visible_application(actor, application_id)
    require(
        buys(actor, contract),
        "only the buying bureau returns a payment application",
        "仅购买方可退回拨付申请",
    )
    why = check_note(reason, "reason", required=True)
    return await _decide(actor, record, "returned", "payment.return", why)


async def contract_applications(actor: Actor, contract_id) -> list[PaymentApplication]:
    """Every payment application of a contract the actor may see, oldest first."""
    contract = await get_contract(actor, contract_id)
    return await PaymentApplication.filter(contract_id=contract.id).order_by("created_at", "id")


async def latest_by_tranche(contract_id) -> dict[str, PaymentApplication]:
    """Each tranche's latest application: its live one, else the last one returned or
    withdrawn (no permission check: for callers that read the contract already)."""
    latest: dict[str, PaymentApplication] = {}
    for found in await PaymentApplication.filter(contract_id=contract_id).order_by(
        "created_at", "id"
    ):
        if found.live_key is not None or latest.get(found.code, found).live_key is None:
            latest[found.code] = found
    return latest


def as_dict(found: PaymentApplication) -> dict[str, Any]:
    """An application as the API and the pages show it (states and kinds also in Chinese)."""
    return {
        "id": found.id,
        "contract_id": found.contract_id,
        "code": found.code,
        "applied_on": found.applied_on,
        "vouchers": [v | {"kind_zh": VOUCHER_ZH.get(v["kind"], v["kind"])} for v in found.vouchers],
        "note": found.note,
        "state": found.state,
        "state_zh": APPLICATION_ZH[found.state],
        "decided_on": found.decided_on,
        "reason": found.reason,
    }
