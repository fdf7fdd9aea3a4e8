"""The reports a contract asks for (报告报送要求): its report schedule in force, the reports
due in its year, and the bureau's change of it (:mod:`evaluator.decisions.report_schedule`
has the rules; this module reads and writes the contract)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from evaluator.decisions.report_schedule import (
    DueReport,
    check_schedule,
    contract_reports_due,
    schedule_of,
)
from evaluator.errors import ConflictError, LockedError, Problem
from evaluator.services import audit
from evaluator.services.actors import Actor, buys, get_contract, require
from evaluator.store.contracts import Contract
from evaluator.store.registers import RegisterImport


def report_schedule(contract: Contract) -> list[dict]:
    """The contract's report schedule in force: its own, or the default when it gives none."""
    return schedule_of(contract.report_schedule, contract.period_start, contract.period_end)


def reports_due(contract: Contract) -> list[DueReport]:
    """Every report the contract asks for in its year, by due date."""
    return contract_reports_due(
        contract.report_schedule, contract.period_start, contract.period_end
    )


async def read_against(contract_id, conn=None) -> RegisterImport | None:
    """A report log already read against the contract's schedule (any round, any state)."""
    return (
        await RegisterImport.filter(round__contract_id=contract_id, kind="reports")
        .using_db(conn)
        .first()
    )


async def set_report_schedule(actor: Actor, contract_id, data: object) -> Contract:
    """Set the reports a contract asks for (``data``: a list of duties, or None for the
    default). Only the buying bureau or an administrator: the agency is the party the
    schedule measures, and the evaluated party never writes the evaluator's instrument.

    The schedule is locked once a report log has been imported into a round of the
    contract (its figures were computed against it): 423. The contract row is updated
    first, then the imports are looked for, in one transaction; an import locks the
    contract row (``check_schedule_unchanged``) before it commits, so the two never pass
    each other."""
    contract = await get_contract(actor, contract_id)
    require(
        buys(actor, contract),
        "only the buying bureau or an administrator may set a contract's report schedule",
        "仅购买方或管理员可设定合同的报告报送要求",
    )
    stored = (
        None if data is None else check_schedule(data, contract.period_start, contract.period_end)
    )
    before = contract.report_schedule
    async with in_transaction() as conn:
        await Contract.filter(id=contract.id).using_db(conn).update(report_schedule=stored)
        used = await read_against(contract.id, conn)
        if used is not None:
            raise LockedError(
                Problem(
                    f"the report schedule of {contract.code} is locked: a report log was"
                    f" imported against it (round {used.round_id}); the figures computed"
                    " from it would no longer match",
                    f"合同 {contract.code} 的报告报送要求已锁定：已有报告记录按其导入（轮次"
                    f" {used.round_id}），修改后已计算的结果将不再一致",
                    path="report_schedule",
                )
            )
        await audit.record(
            actor.username,
            "contract.report_schedule",
            "contract",
            contract.id,
            {"report_schedule": before},
            {"report_schedule": stored},
            connection=conn,
        )
    contract.report_schedule = stored
    return contract


async def check_schedule_unchanged(contract_id, used: list[DueReport], conn) -> None:
    """Inside an import's transaction: lock the contract row and check that its reports
    due are still those the import was computed against (409 otherwise: try again)."""
    contract = await Contract.filter(id=contract_id).using_db(conn).select_for_update().first()
    if contract is None or reports_due(contract) != list(used):
        raise ConflictError(
            Problem(
                "the contract's report schedule changed while the report log was read; import"
                " it again",
                "读取报告记录期间合同的报告报送要求已变更，请重新导入",
            )
        )
