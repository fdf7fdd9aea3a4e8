"""How far a round's raters agree (docs/raters.md): the six ICCs on leaf shares, and
Krippendorff's alpha at each leaf's level of measurement — nominal for checklist items,
ordinal for rubric levels, interval for the other bounded leaves (a Likert mean) — with the
units and raters each figure used; and each rater's severity, the mean signed deviation of
their shares from the reconciled value (negative: harsher than the panel).

A unit of agreement is one (station, leaf, item) slot. A rater's value becomes a share of
the leaf's range ((value − lowest) / (highest − lowest)), so leaves of different scales can
be pooled; leaves without an upper bound (ratio and count leaves rated as raw numbers) are
left out and counted. Lead evaluators of the round, the bureau that bought the contract,
administrators and auditors see the figures; agencies never do.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pandas as pd

from evaluator.analysis.reliability import ICC_FORMS, icc, krippendorff_alpha
from evaluator.engine.reconcile import reconciliation_by_leaf
from evaluator.errors import NotFound, PermissionDenied, Problem
from evaluator.services.actors import Actor, assignment_role, get_round, round_bureau, round_scope
from evaluator.services.round_inputs import round_raw, system_of_round
from evaluator.services.systems import system_of
from evaluator.store.base import Role
from evaluator.store.contracts import Contract
from evaluator.store.orgs import User
from evaluator.store.rounds import Round, SystemVersion
from evaluator.systems import IndicatorSystem
from evaluator.systems.bounds import value_bounds

LEVEL_OF_METHOD = {"checklist": "nominal", "rubric": "ordinal"}


async def may_see_agreement(actor: Actor, round_: Round) -> bool:
    """The round's lead evaluator, the bureau that bought the contract, administrators and
    auditors (never agencies, never the other evaluators)."""
    if actor.sees_everything:
        return True
    contract = await Contract.get(id=round_.contract_id)
    return (
        actor.has(Role.BUREAU_OFFICER, round_bureau(round_, contract.buyer_id))
        or await assignment_role(actor, round_) == Role.LEAD_EVALUATOR
    )


async def round_reliability(actor: Actor, round_id) -> dict[str, Any]:
    round_ = await get_round(actor, round_id)
    if not await may_see_agreement(actor, round_):
        raise PermissionDenied(
            Problem(
                "only the round's lead evaluator, its bureau and administrators see how its "
                "raters agree",
                "仅本轮主评估员、购买方民政局与管理员可查看评分一致性",
            )
        )
    figures = await _round_figures(round_)
    await _name_raters(figures)
    return {"round": str(round_.id)} | figures


async def _round_figures(round_: Round) -> dict[str, Any]:
    """One round's agreement figures (raters by id)."""
    raw = await round_raw(round_)
    system = await system_of_round(round_)
    return await asyncio.to_thread(panel_figures, system, raw)


async def _name_raters(figures: dict[str, Any]) -> None:
    ids = [r["rater"] for r in figures["raters"]]
    names = {str(i): n for i, n in await User.filter(id__in=ids).values_list("id", "username")}
    for row in figures["raters"]:
        row["rater"] = names.get(row["rater"], row["rater"])


async def _agreement_rounds(actor: Actor, **filters) -> list[Round]:
    """The rounds (oldest first) whose agreement the actor may see."""
    found = await round_scope(actor).filter(**filters).order_by("as_of", "created_at")
    return [r for r in found if await may_see_agreement(actor, r)]


async def system_reliability(actor: Actor, system_id) -> dict[str, Any]:
    """The figures pooled over every round of one system version the actor may see: each
    round's slots kept apart (a station's leaf in two rounds is two slots)."""
    version = await SystemVersion.get_or_none(id=system_id)
    if version is None:
        raise NotFound(Problem(f"no system {system_id}", f"未找到指标体系 {system_id}"))
    rounds = await _agreement_rounds(actor, system_id=version.id)
    frames = []
    for i, round_ in enumerate(rounds):
        raw = await round_raw(round_)
        frames.append(raw.assign(unit=f"{i}:" + raw["unit"]))
    system = await system_of(version)
    raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    figures = await asyncio.to_thread(panel_figures, system, raw)
    await _name_raters(figures)
    return {"system": str(version.id), "rounds": len(rounds)} | figures


async def rater_drift(actor: Actor, username: str) -> list[dict[str, Any]]:
    """A rater's severity round by round (oldest first), over the rounds the actor may see
    where the rater scored: whether a lenient or harsh rater stays so."""
    user = await User.get_or_none(username=username)
    if user is None:
        raise NotFound(Problem(f"no user {username}", f"没有用户 {username}", path="username"))
    rounds = await _agreement_rounds(actor, assignments__user_id=user.id)
    out = []
    for round_ in rounds:
        figures = await _round_figures(round_)
        row = next((r for r in figures["raters"] if r["rater"] == str(user.id)), None)
        if row is not None:
            out.append(
                {
                    "round": str(round_.id),
                    "as_of": round_.as_of.isoformat(),
                    "severity": row["severity"],
                    "slots": row["slots"],
                }
            )
    return out


def shares(system: IndicatorSystem, raw: pd.DataFrame) -> pd.DataFrame:
    """The raw rows with ``slot``, ``level`` and ``share`` (NaN where the leaf is unbounded)."""
    out = raw.copy()
    out["item"] = out["item"].fillna("")
    out["slot"] = out["unit"] + "/" + out["leaf"] + out["item"].map(lambda i: f".{i}" if i else "")
    low, span, level = {}, {}, {}
    for leaf in set(out["leaf"]):
        node = system.nodes.get(leaf)
        if node is None or not node.is_leaf:
            continue
        bounds = value_bounds(system, node)
        if np.isfinite(bounds.high) and bounds.high > bounds.low:
            low[leaf], span[leaf] = bounds.low, bounds.high - bounds.low
        level[leaf] = LEVEL_OF_METHOD.get(node.method, "interval")
    out["level"] = out["leaf"].map(level)
    out["share"] = (out["value"].astype(float) - out["leaf"].map(low)) / out["leaf"].map(span)
    return out


def largest_block(bounded: pd.DataFrame) -> pd.DataFrame:
    """The slots × raters table the ICC reads: of the slots scored by two or more raters,
    those scored by the same raters, taking the set of raters with the most ratings (a
    pool scored by one purchaser alone tells nothing of agreement; pools scored by
    different raters are not one table)."""
    matrix = bounded.pivot_table(index="slot", columns="rater", values="share", aggfunc="first")
    if matrix.empty:
        return matrix
    present = matrix.notna()
    who = present.apply(lambda row: tuple(row.index[row]), axis=1)
    sizes = who.map(len)
    blocks = who[sizes >= 2].value_counts()
    if blocks.empty:
        return matrix.iloc[0:0]
    best = max(blocks.index, key=lambda raters: (blocks[raters] * len(raters), raters))
    return matrix.loc[who[who == best].index, list(best)]


def panel_figures(system: IndicatorSystem, raw: pd.DataFrame) -> dict[str, Any]:
    """ICCs over the bounded slots' shares (``largest_block``), alpha per level, severity
    per rater."""
    if raw.empty:
        return _empty()
    rated = shares(system, raw)
    bounded = rated.dropna(subset=["share"])
    left_out = int(rated["share"].isna().sum())
    overall = icc(largest_block(bounded).to_numpy())
    alpha = {}
    for level in ("nominal", "ordinal", "interval"):
        part = bounded[bounded["level"] == level]
        m = part.pivot_table(index="slot", columns="rater", values="share", aggfunc="first")
        a = krippendorff_alpha(m.to_numpy(), level) if len(m) else None
        alpha[level] = (
            {"value": a.value, "units": a.units, "raters": a.raters, "values": a.values}
            if a is not None
            else {"value": None, "units": 0, "raters": 0, "values": 0}
        )
    return {
        "icc": {
            f: {
                "value": overall.forms[f].value,
                "low": overall.forms[f].low,
                "high": overall.forms[f].high,
            }
            for f in ICC_FORMS
        },
        "icc_units": overall.units,
        "icc_raters": overall.raters,
        "alpha": alpha,
        "raters": severity(system, raw, rated),
        "slots": int(rated["slot"].nunique()),
        "ratings": len(rated),
        "left_out": left_out,
    }


def severity(system: IndicatorSystem, raw: pd.DataFrame, rated: pd.DataFrame) -> list[dict]:
    """Each rater's mean signed deviation from the reconciled share, over the slots two or
    more raters scored (and how many), most lenient first."""
    report = reconciliation_by_leaf(system, raw).report
    shared = report[report["n_raters"] >= 2].copy()
    if shared.empty:
        return []
    shared["item"] = shared["item"].fillna("")
    reconciled = shares(
        system, shared[["unit", "leaf", "item", "value"]].assign(rater="")
    ).set_index("slot")["share"]
    bounded = rated.dropna(subset=["share"])
    bounded = bounded[bounded["slot"].isin(reconciled.dropna().index)]
    deviation = bounded["share"] - bounded["slot"].map(reconciled)
    by_rater = deviation.groupby(bounded["rater"]).agg(["mean", "count"])
    rows = [
        {"rater": str(r), "severity": float(m), "slots": int(c)}
        for r, (m, c) in by_rater.iterrows()
    ]
    return sorted(rows, key=lambda x: -x["severity"])


def _empty() -> dict[str, Any]:
    return {
        "icc": {f: {"value": None, "low": None, "high": None} for f in ICC_FORMS},
        "icc_units": 0,
        "icc_raters": 0,
        "alpha": {
            level: {"value": None, "units": 0, "raters": 0, "values": 0}
            for level in ("nominal", "ordinal", "interval")
        },
        "raters": [],
        "slots": 0,
        "ratings": 0,
        "left_out": 0,
    }
