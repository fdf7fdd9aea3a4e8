"""Robustness of a round's grades and recommendation to the weights (docs/sensitivity.md):
computed off the event loop from the round's scored inputs, with the round's contract as
the group whose recommendation is re-decided per sample (vetoes and open findings held)."""

from __future__ import annotations

import asyncio

import numpy as np

from evaluator.analysis.report import sensitivity_report
from evaluator.analysis.sensitivity import Settings
from evaluator.decisions.recommend import OpenFinding, outcome_rule
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.services import round_cache
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Finding
from evaluator.store.rounds import Round


async def decision_inputs(round_: Round, done) -> tuple[dict[str, str], object]:
    groups, outcome, _ = await _decision_inputs(round_, done)
    return groups, outcome


async def _decision_inputs(round_: Round, done) -> tuple[dict[str, str], object, tuple]:
    """The contract as the group, its recommendation rule, and what the rule follows from
    beyond the result (the contract and the round's open findings: a cache key)."""
    contract = await Contract.get(id=round_.contract_id)
    units = [str(u) for u in done.result.units]
    open_ = await open_finding_facts(round_)
    vetoes = done.result.vetoes
    hits = np.argwhere(vetoes.to_numpy(dtype=bool)) if len(vetoes.columns) else []
    vetoed = [(units[i], str(vetoes.columns[j])) for i, j in hits]
    rule = outcome_rule(done.system, units, vetoed, [OpenFinding(*f) for f in open_])
    return (
        {u: contract.code for u in units},
        {contract.code: rule},
        (
            contract.code,
            tuple(open_),
        ),
    )


async def round_report(
    round_: Round, done, settings: Settings | None = None, *, attribution: bool
) -> dict:
    """The sensitivity report of a computed round, its contract the group and its
    recommendation rule the outcome (no permission check). Without attribution (the
    robustness every scorecard shows) it is kept per worker by what it follows from
    (services/round_cache.py) when ``done`` has a key: the round's inputs, the contract, its
    open findings and the settings."""
    groups, outcome, facts = await _decision_inputs(round_, done)
    settings = settings or Settings()

    async def computed() -> dict:
        return await asyncio.to_thread(
            sensitivity_report,
            done.system,
            done.result,
            settings,
            groups=groups,
            outcomes=outcome,
            attribution=attribution,
        )

    if attribution or not done.key:
        return await computed()
    return await round_cache.robustness.get((done.key, facts, repr(settings)), computed)


async def robustness(round_: Round, done, settings: Settings | None = None) -> dict:
    """The uncertainty part only (fast): per unit and for the contract (no permission
    check), as :func:`round_report` without attribution."""
    return await round_report(round_, done, settings, attribution=False)


async def open_finding_facts(round_: Round) -> list[tuple[str, str, str]]:
    """(unit, rule, severity) of the round's open findings, sorted: with the round's
    results, what its recommendation (and so its robustness) follows from."""
    found = await Finding.filter(round_id=round_.id, state__in=list(OPEN_STATES)).values_list(
        "unit", "rule", "severity"
    )
    return sorted((str(u), str(r), str(s)) for u, r, s in found)
