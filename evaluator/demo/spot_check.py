"""The demo's spot check (抽查): the first contract re-scored on the 1000-point system whose
points are split by who scores them (``station-1000-pools``: third party 700, purchaser
200, supervisor 100). The panel is whole: three third-party evaluators (the evaluator, one
at times harsher, one more lenient), the county bureau's officer scoring the purchaser's
pool and a professional supervisor scoring the supervisor's pool. The agency imports its
registers, every rater submits their part, and the round is left open for the lead — the
work of "today" on the lead's round page (agreement, submission)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaluator import clock
from evaluator.demo.county import County
from evaluator.demo.panel import HARSH, LENIENT, panel_rows
from evaluator.demo.registers import import_registers, round_date
from evaluator.demo.scoring import TARGET_NAMES, synthetic_inputs
from evaluator.evidence.measure import measured_leaves
from evaluator.services import panel_staff
from evaluator.services import rounds as round_svc
from evaluator.services.actors import Actor, actor_for
from evaluator.services.scoring import record_scores
from evaluator.services.systems import register_system, system_of
from evaluator.shipped import shipped_system
from evaluator.store.base import Role, RoundKind
from evaluator.store.contracts import Contract
from evaluator.store.orgs import Organisation, User
from evaluator.store.rounds import Round, RoundAssignment
from evaluator.systems import IndicatorSystem

SYSTEM = "station-1000-pools"
PURCHASER = "bureau"  # the county bureau's officer scores the purchaser's pool
SUPERVISOR = "supervisor"  # 督导: the professional supervisor's pool
THIRD_PARTY = ("evaluator", HARSH, LENIENT)


def spot_check_date(contract, elapsed: float) -> dt.date:
    """Today, kept within the contract's year and after its mid-term round."""
    return min(
        max(clock.today(), round_date(contract, elapsed) + dt.timedelta(days=1)), contract.end
    )


def pool_rows(
    system: IndicatorSystem, county: County, contract_code: str, seed: int, elapsed: float
) -> dict[str, pd.DataFrame]:
    """Each rater's values for the contract's stations (leaves the registers measure left
    out): ``username → rows``. The third party's three raters differ as in the mid-term
    panel; the purchaser and the supervisor score their own pools alone."""
    contract = next(c for c in county.contracts if c.code == contract_code)
    codes = list(contract.stations)
    rng = np.random.default_rng([seed, 7])
    quality = rng.uniform(0.72, 0.95, len(codes))
    targets = {
        name: np.array([getattr(county.targets(c), name) for c in codes], dtype=float)
        for name in TARGET_NAMES
    }
    frame = synthetic_inputs(system, codes, quality, rng, targets, elapsed)
    frame = frame[~frame["leaf"].isin(set(measured_leaves(system)))]
    frame = frame[[col for col in ("unit", "leaf", "item", "value", "target", "n") if col in frame]]
    roles = frame["leaf"].map(  # vetoes are not nodes: the third party's
        lambda code: system.nodes[code].rater_role if code in system.nodes else "third_party"
    )
    third = frame[roles == "third_party"].reset_index(drop=True)
    rows = {"evaluator": third}
    rows |= {who: panel_rows(system, third, who) for who in (HARSH, LENIENT)}
    rows[PURCHASER] = frame[roles == "purchaser"].reset_index(drop=True)
    rows[SUPERVISOR] = frame[roles == "supervisor"].reset_index(drop=True)
    return rows


async def run_spot_check(
    *,
    county: County,
    contract: Contract,
    evaluation_agency: Organisation,
    users: Mapping[str, User],
    registers: Mapping[str, pd.DataFrame],
    agency: Actor,
    bureau: Actor,
    lead: Actor,
    seed: int,
    elapsed: float,
    on: dt.date,
) -> Round:
    """The spot check of ``contract`` on ``on`` (see the module's text); returns the open
    round with every part submitted."""
    text = shipped_system(SYSTEM).read_text(encoding="utf-8")
    version = await register_system(Actor.system(), text, f"{SYSTEM}.yaml")
    system = await system_of(version)
    round_ = await round_svc.create_round(
        bureau,
        contract=contract,
        evaluation_agency=evaluation_agency,
        kind=RoundKind.SPOT_CHECK,
        system=version,
        as_of=on,
        elapsed=elapsed,
    )
    # the bureau gives the round to the agency; its lead staffs it, the pools included
    await panel_staff.assign_user(lead, round_.id, "lead", Role.LEAD_EVALUATOR)
    for name in THIRD_PARTY:
        await panel_staff.assign_user(lead, round_.id, name, Role.EVALUATOR)
    await panel_staff.assign_user(lead, round_.id, PURCHASER, Role.EVALUATOR, "purchaser")
    await panel_staff.assign_user(lead, round_.id, SUPERVISOR, Role.EVALUATOR, "supervisor")
    round_ = await Round.get(id=round_.id)
    round_ = await round_svc.open_round(lead, round_, round_.version)
    evaluator = await actor_for(users["evaluator"])
    await import_registers(round_.id, registers, agency, evaluator, f"{contract.code}-抽查")
    for name, rows in pool_rows(system, county, contract.code, seed, elapsed).items():
        rater = await actor_for(users[name])
        await record_scores(rater, round_.id, rows)
        await panel_staff.submit_part(rater, round_.id)
    return await Round.get(id=round_.id)


async def pools_of(round_: Round) -> dict[str, list[str]]:
    """The round's raters by rater role (``{"purchaser": ["bureau"], …}``), names sorted."""
    staff = await RoundAssignment.filter(round_id=round_.id, role=Role.EVALUATOR)
    names = {u.id: u.username for u in await User.filter(id__in=[a.user_id for a in staff])}
    pools: dict[str, list[str]] = {}
    for a in staff:
        pools.setdefault(a.rater_role, []).append(names[a.user_id])
    return {role: sorted(who) for role, who in pools.items()}
