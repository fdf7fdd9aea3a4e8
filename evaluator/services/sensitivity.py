"""Robustness of a round's grades and recommendation to the weights (docs/sensitivity.md):
computed off the event loop from the round's scored inputs, with the round's contract as
the group whose recommendation is re-decided per sample (vetoes and open findings held)."""

from __future__ import annotations

import asyncio

from evaluator.decisions.recommend import OpenFinding, outcome_rule
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.engine.sensitivity import Settings
from evaluator.engine.sensitivity_report import sensitivity_report
from evaluator.errors import PermissionDenied, Problem
from evaluator.services.actors import Actor, get_round, may_see_scores
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Finding
from evaluator.store.rounds import Round


async def _inputs(round_: Round, done) -> tuple[dict[str, str], object]:
    contract = await Contract.get(id=round_.contract_id)
    units = [str(u) for u in done.result.units]
    open_ = await Finding.filter(round_id=round_.id, state__in=list(OPEN_STATES)).values_list(
        "unit", "rule", "severity"
    )
    vetoed = [
        (u, c)
        for u in units
        for c in done.result.vetoes.columns
        if bool(done.result.vetoes.loc[u, c])
    ]
    return {u: contract.code for u in units}, {
        contract.code: outcome_rule(done.system, units, vetoed, [OpenFinding(*f) for f in open_])
    }


async def robustness(round_: Round, done, settings: Settings | None = None) -> dict:
    """The uncertainty part only (fast): per unit and for the contract (no permission check)."""
    groups, outcome = await _inputs(round_, done)
    return await asyncio.to_thread(
        sensitivity_report,
        done.system,
        done.result,
        settings or Settings(),
        groups=groups,
        outcomes=outcome,
        attribution=False,
    )


async def round_sensitivity(
    actor: Actor, round_id, settings: Settings, *, attribution: bool = True
) -> dict:
    """The full report for a round whose scores the actor may see."""
    from evaluator.services.scorecards import compute_round

    round_ = await get_round(actor, round_id)
    if not await may_see_scores(actor, round_):
        raise PermissionDenied(
            Problem("scores are published when the round is approved", "评估结果在轮次审定后公布")
        )
    done = await compute_round(round_)
    groups, outcome = await _inputs(round_, done)
    return await asyncio.to_thread(
        sensitivity_report,
        done.system,
        done.result,
        settings,
        groups=groups,
        outcomes=outcome,
        attribution=attribution,
    )
