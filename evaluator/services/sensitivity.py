"""Robustness of a round's grades and recommendation to the weights (docs/sensitivity.md):
computed off the event loop from the round's scored inputs, with the round's contract as
the group whose recommendation is re-decided per sample (vetoes and open findings held)."""

from __future__ import annotations

import asyncio

from evaluator.analysis.report import sensitivity_report
from evaluator.analysis.sensitivity import Settings
from evaluator.decisions.recommend import OpenFinding, outcome_rule
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Finding
from evaluator.store.rounds import Round


async def decision_inputs(round_: Round, done) -> tuple[dict[str, str], object]:
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
    groups, outcome = await decision_inputs(round_, done)
    return await asyncio.to_thread(
        sensitivity_report,
        done.system,
        done.result,
        settings or Settings(),
        groups=groups,
        outcomes=outcome,
        attribution=False,
    )
