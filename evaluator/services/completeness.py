"""The completeness gate: a round is complete before it is submitted or approved.

Every (unit, leaf) of the round — each station linked on the round's date, each scored
leaf of its system (bonus leaves excluded: no entry means no bonus) — must have a usable
value, from the raters or from a register, unless the round's lead evaluator has decided
the gap explicitly, with a reason (audited):

* ``not_applicable`` — the leaf does not apply to that unit: it is left out of the unit's
  score and its weight goes to its siblings (as ``missing: skip``);
* ``accepted_missing`` — the value is missing and stays missing: the leaf's missing rule
  applies, visibly (``zero``: no points; ``skip``: left out). A leaf whose rule is
  ``error`` cannot be accepted as missing: score it or mark it not applicable.

Submitting or approving a round with an undecided gap is refused (422) with every gap
listed, so that nobody approves four unscored stations as "fail".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from tortoise.transactions import in_transaction

from evaluator.engine.score import absent_inputs
from evaluator.errors import InvalidInput, Problem
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_role,
    buys,
    check_writable,
    get_round,
    require,
    system_user_id,
)
from evaluator.services.cohorts import round_cohort, round_unit
from evaluator.services.round_inputs import cohort_frame, round_inputs
from evaluator.services.systems import system_of
from evaluator.store.base import Role
from evaluator.store.contracts import Contract
from evaluator.store.rounds import LeafWaiver, Round, SystemVersion
from evaluator.systems import IndicatorSystem

DECISIONS = ("not_applicable", "accepted_missing")


@dataclass(frozen=True)
class Gap:
    unit: str
    leaf: str
    name_zh: str
    name_en: str
    missing_rule: str
    decision: str | None  # None: undecided (blocks submission)
    reason: str = ""


def gaps_in(
    system: IndicatorSystem,
    inputs: pd.DataFrame,
    units: list[str],
    decided: Mapping[tuple[str, str], tuple[str, str]],
) -> list[Gap]:
    """Every (unit, leaf) of ``units`` without a usable value in ``inputs``, with the lead's
    (decision, reason) from ``decided`` if any."""
    out = []
    for unit, leaf in absent_inputs(system, cohort_frame(inputs, units, system)):
        node = system.nodes[leaf]
        decision, reason = decided.get((unit, leaf), (None, ""))
        out.append(
            Gap(unit, leaf, node.name.zh, node.name.en, system.missing_rule(node), decision, reason)
        )
    return out


async def round_gaps(round_: Round) -> list[Gap]:
    """The gaps of a round as stored now, with the lead's decisions and reasons."""
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    cohort = await round_cohort(round_, system)
    inputs, _ = await round_inputs(round_, system, cohort=cohort)
    units = cohort.units
    decided = {
        (w.unit, w.leaf): (w.decision, w.reason)
        for w in await LeafWaiver.filter(round_id=round_.id)
    }
    return gaps_in(system, inputs, units, decided)


async def require_complete(round_: Round) -> None:
    """InvalidInput listing every undecided gap of the round, or nothing."""
    refuse_undecided(await round_gaps(round_))


def refuse_undecided(gaps: list[Gap]) -> None:
    """InvalidInput listing every gap nobody decided, or nothing."""
    open_ = [g for g in gaps if g.decision is None]
    if not open_:
        return
    raise InvalidInput(
        [
            Problem(
                f"{g.unit} {g.leaf} {g.name_en}: no usable value — score it, or have the lead "
                "evaluator mark it not applicable or accepted as missing, with a reason",
                f"{g.unit} {g.leaf} {g.name_zh}：没有可用的数值——请评分，或由主评估员标记为"
                "不适用或确认缺失并说明理由",
                path=f"gaps.{g.unit}.{g.leaf}",
            )
            for g in open_
        ]
    )


async def list_gaps(actor: Actor, round_id) -> tuple[Round, list[Gap]]:
    """The gaps of a round, for its evaluators, the bureau and administrators."""
    round_ = await get_round(actor, round_id)
    require(
        actor.sees_everything
        or await assignment_role(actor, round_) is not None
        or buys(actor, await Contract.get(id=round_.contract_id))
        or round_.commissioned_by_id in actor.orgs(Role.BUREAU_OFFICER),
        "only the round's evaluators and the buying bureau see its gaps",
        "仅本轮评估员与购买方可查看缺项",
    )
    return round_, await round_gaps(round_)


async def decide_gap(
    actor: Actor, round_id, unit: str, leaf: str, decision: str, reason: str
) -> LeafWaiver | None:
    """The lead evaluator decides a gap (``not_applicable`` / ``accepted_missing``) or takes
    the decision back (``clear``), while the round is open; audited."""
    round_ = await get_round(actor, round_id)
    require(
        actor.is_admin or await assignment_role(actor, round_) == Role.LEAD_EVALUATOR,
        "only the round's lead evaluator decides a gap",
        "仅本轮主评估员可处理缺项",
    )
    check_writable(round_)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    problems = []
    if await round_unit(round_, system, unit) != unit:
        problems.append(
            Problem(
                f"{unit} is not evaluated in this round", f"{unit} 不在本轮评估范围内", path="unit"
            )
        )
    node = system.nodes.get(leaf)
    if node is None or not node.is_leaf or node.is_bonus:
        problems.append(
            Problem(
                f"{leaf} is not a scored leaf of the round's system",
                f"{leaf} 不是本轮指标体系的计分末级指标",
                path="leaf",
            )
        )
    if decision not in (*DECISIONS, "clear"):
        problems.append(
            Problem(
                "decision must be not_applicable, accepted_missing or clear",
                "decision 须为 not_applicable、accepted_missing 或 clear",
                path="decision",
            )
        )
    elif (
        decision == "accepted_missing"
        and node is not None
        and node.is_leaf
        and system.missing_rule(node) == "error"
    ):
        problems.append(
            Problem(
                f"{leaf} must have a value (its missing rule is error): score it or mark it "
                "not applicable",
                f"{leaf} 的缺失规则为 error，必须有数值：请评分或标记为不适用",
                path="decision",
            )
        )
    if decision != "clear" and not (reason or "").strip():
        problems.append(Problem("a reason is required", "须说明理由", path="reason"))
    if problems:
        raise InvalidInput(problems)
    async with in_transaction() as conn:
        existing = (
            await LeafWaiver.filter(round_id=round_.id, unit=unit, leaf=leaf)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        before = _doc(existing) if existing else None
        if existing is not None:
            await existing.delete(using_db=conn)
        waiver = None
        if decision != "clear":
            waiver = await LeafWaiver.create(
                round_id=round_.id,
                unit=unit,
                leaf=leaf,
                decision=decision,
                reason=reason.strip(),
                decided_by_id=actor.user_id or await system_user_id(conn),
                using_db=conn,
            )
        await audit.record(
            actor.username,
            "gap.clear" if waiver is None else "gap.decide",
            "round",
            round_.id,
            before,
            _doc(waiver) if waiver else {"unit": unit, "leaf": leaf},
            connection=conn,
        )
    return waiver


def _doc(w: LeafWaiver) -> dict:
    return {"unit": w.unit, "leaf": w.leaf, "decision": w.decision, "reason": w.reason}
