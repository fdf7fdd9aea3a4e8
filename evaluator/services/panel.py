"""Where a round's raters disagree, and the lead's adjudication (docs/raters.md).

A slot (unit, leaf, item) scored by two or more raters **disagrees** when the spread of
their values (highest − lowest) is above the limit the system sets (``disagreement:
{levels, share}``, by default):

* a rubric leaf: more than one level apart;
* any other bounded leaf: more than 25% of the leaf's points (a checklist item's spread
  is worth its item's points; a Likert mean's spread is a share of its scale);
* a leaf without an upper bound (a ratio or count rated as a raw number) has no scale to
  measure a spread against: it is listed, never blocking.

A disagreement blocks the round's submission until the lead adjudicates it: a value for
the slot and a written reason, which replaces the raters' values for that slot in every
result (audited; the reason shows with the disagreement). Leaves computed from a register
take the register's value, so their raters' spread blocks nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd
from tortoise.transactions import in_transaction

from evaluator.engine.reconcile import reconciliation_by_leaf
from evaluator.errors import InvalidInput, PermissionDenied, Problem
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_role,
    check_writable,
    get_round,
    require,
)
from evaluator.services.round_inputs import raters_and_registers, system_of_round
from evaluator.store.base import Role
from evaluator.store.rounds import Adjudication, Round
from evaluator.systems import IndicatorSystem
from evaluator.systems.bounds import value_bounds
from evaluator.systems.schema import ChecklistLeaf

ADJUDICATED = "adjudicated"  # the rater name of an adjudicated slot's one row


def limit_of(system: IndicatorSystem, leaf: str, item: str) -> tuple[float | None, str, str]:
    """The largest spread that is not a disagreement, in the slot's raw values, and why in
    English and Chinese (None: no scale, never blocking). The limits are the system's
    ``disagreement`` (default: one rubric level, 25% of a leaf's points)."""
    rule = system.spec.disagreement
    share = f"{rule.share:.0%}"
    node = system.nodes[leaf]
    bounds = value_bounds(system, node)
    if node.method == "rubric":
        return (
            float(rule.levels),
            f"more than {rule.levels} rubric level(s) apart",
            f"相差超过 {rule.levels} 个等级",
        )
    if isinstance(node.spec, ChecklistLeaf):
        # an item's 0/1 spread is worth the item's points
        points = next((it.points for it in node.spec.items if it.code == item), 0.0)
        leaf_points = sum(it.points for it in node.spec.items)
        limit = rule.share * leaf_points / points if points else float("inf")
        return limit, f"more than {share} of the leaf's points", f"超过该项分值的 {share}"
    if bounds.high == float("inf"):
        return None, "", ""
    span = bounds.high - bounds.low
    return rule.share * span, f"more than {share} of the leaf's range", f"超过取值范围的 {share}"


async def round_disagreements(round_: Round) -> list[dict[str, Any]]:
    """Every slot two or more raters scored differently (no permission check), widest
    first: the spread, the limit, whether it blocks submission and the lead's adjudication."""
    system = await system_of_round(round_)
    raw, _, _ = await raters_and_registers(round_, system)
    if raw.empty:
        return []
    report = (await asyncio.to_thread(reconciliation_by_leaf, system, raw)).report
    spread = report[(report["n_raters"] >= 2) & (report["spread"] > 0)]
    decided = {(a.unit, a.leaf, a.item): a for a in await Adjudication.filter(round_id=round_.id)}
    rows = []
    for row in spread.itertuples():
        item = row.item if isinstance(row.item, str) else ""
        limit, why, why_zh = limit_of(system, row.leaf, item)
        above = limit is not None and float(row.spread) > limit + 1e-9
        adjudication = decided.get((row.unit, row.leaf, item))
        rows.append(
            {
                "unit": row.unit,
                "leaf": row.leaf,
                "item": item,
                "n_raters": int(row.n_raters),
                "min": float(row.min),
                "max": float(row.max),
                "spread": float(row.spread),
                "value": None if pd.isna(row.value) else float(row.value),
                "limit": limit,
                "why": why if above else "",
                "why_zh": why_zh if above else "",
                "blocking": above and adjudication is None,
                "adjudicated": None
                if adjudication is None
                else {"value": adjudication.value, "reason": adjudication.reason},
            }
        )
    return sorted(rows, key=_order)


def _order(row: dict[str, Any]) -> tuple:
    """Blocking first, then the widest spread."""
    return (not row["blocking"], -row["spread"], row["unit"], row["leaf"])


async def disagreements(actor: Actor, round_id) -> list[dict[str, Any]]:
    """:func:`round_disagreements` for the round's lead evaluator (and whoever sees everything)."""
    round_ = await get_round(actor, round_id)
    if not actor.sees_everything and await assignment_role(actor, round_) != Role.LEAD_EVALUATOR:
        raise PermissionDenied(
            Problem(
                "only the round's lead evaluator sees the raters' spread",
                "仅本轮主评估员可查看评分分歧",
            )
        )
    return await round_disagreements(round_)


async def require_agreement(round_: Round) -> None:
    """Refuse (422) a submission while a disagreement is not adjudicated, every one listed
    at ``disagreements.<unit>.<leaf>[.<item>]``."""
    open_ = [d for d in await round_disagreements(round_) if d["blocking"]]
    if open_:
        raise InvalidInput(
            [
                Problem(
                    f"the raters disagree on {d['unit']} {d['leaf']}{'.' + d['item'] if d['item'] else ''}"
                    f" ({d['min']:g}–{d['max']:g}): the lead adjudicates it first",
                    f"评估员对 {d['unit']} {d['leaf']}{'.' + d['item'] if d['item'] else ''} 的评分分歧过大"
                    f"（{d['min']:g}–{d['max']:g}）：须由主评估员裁定",
                    path=f"disagreements.{d['unit']}.{d['leaf']}"
                    + (f".{d['item']}" if d["item"] else ""),
                )
                for d in open_
            ]
        )


async def adjudicate(
    actor: Actor, round_id, unit: str, leaf: str, item: str, value: float | None, reason: str
) -> list[dict[str, Any]]:
    """The lead sets a disagreeing slot's value with a written reason (or takes it back with
    ``value`` None); audited, in one transaction. Returns the disagreements now."""
    round_ = await get_round(actor, round_id)
    require(
        actor.is_admin or await assignment_role(actor, round_) == Role.LEAD_EVALUATOR,
        "only the round's lead evaluator adjudicates",
        "仅本轮主评估员可裁定评分分歧",
    )
    check_writable(round_)
    system = await system_of_round(round_)
    found_all = await round_disagreements(round_)
    slot = next(
        (d for d in found_all if (d["unit"], d["leaf"], d["item"]) == (unit, leaf, item or "")),
        None,
    )
    if slot is None:
        raise InvalidInput(
            Problem(
                f"the raters do not disagree on {unit} {leaf}{'.' + item if item else ''}",
                f"评估员对 {unit} {leaf}{'.' + item if item else ''} 的评分并无分歧",
                path="leaf",
            )
        )
    problems = []
    if value is not None:
        bounds = value_bounds(system, system.nodes[leaf])
        if not bounds.admits(value):
            en, zh = bounds.text()
            problems.append(
                Problem(
                    f"{value:g} is not a value of {leaf}: {en}",
                    f"{value:g} 不是 {leaf} 的有效取值：应为 {zh}",
                    path="value",
                )
            )
        if not reason.strip():
            problems.append(Problem("a written reason is needed", "须填写裁定理由", path="reason"))
    if problems:
        raise InvalidInput(problems)
    async with in_transaction() as conn:
        found = (
            await Adjudication.filter(round_id=round_.id, unit=unit, leaf=leaf, item=item or "")
            .using_db(conn)
            .select_for_update()
            .first()
        )
        before = None if found is None else {"value": found.value, "reason": found.reason}
        if found is not None:
            await found.delete(using_db=conn)
        after = None
        if value is not None:
            await Adjudication.create(
                round=round_,
                unit=unit,
                leaf=leaf,
                item=item or "",
                value=value,
                reason=reason.strip(),
                decided_by_id=actor.user_id,
                using_db=conn,
            )
            after = {"value": value, "reason": reason.strip()}
        await audit.record(
            actor.username,
            "round.adjudicate",
            "round",
            round_.id,
            before and {"slot": f"{unit}/{leaf}/{item}"} | before,
            after and {"slot": f"{unit}/{leaf}/{item}"} | after,
            connection=conn,
        )
    # the disagreements now: the same, but for this slot's adjudication (no recomputation)
    slot["adjudicated"] = after
    slot["blocking"] = bool(slot["why"]) and after is None
    return sorted(found_all, key=_order)
