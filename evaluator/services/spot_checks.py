"""A spot check (抽查) compared with the county's own round of the same contract: who may
read it, which rounds, and the document (the comparison itself: analysis/spot_check.py).

The county's own round is the latest approved mid-term, final or annual round of the spot
check's contract evaluated on or before the spot check's date (else the latest approved
one). Its results are the approved ones (the snapshot in force); the spot check's are its
snapshot once approved, else computed from its inputs as they stand (its lead and the bureau
follow it while it is open). The reader must see the results of both rounds (an agency:
once both are approved; a rater of the spot check's panel: once it is submitted)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from evaluator.analysis.spot_check import Comparison, Scored, compare, ranked
from evaluator.decisions.words import ROUND_KIND_ZH, ROUND_STATE_ZH
from evaluator.errors import InvalidInput, NotFound, Problem, StateError
from evaluator.services.actors import (
    Actor,
    get_organisation,
    get_round,
    require,
    require_results,
)
from evaluator.services.listing import get_system
from evaluator.services.regions import all_regions, ancestors, bureau_regions
from evaluator.services.round_inputs import results_document, system_of_round
from evaluator.services.rounds import create_round
from evaluator.services.scorecards import compute_round
from evaluator.services.spot_samples import SampleRequest, sample_document
from evaluator.store.base import OWN_EVALUATIONS, Role, RoundKind, RoundState
from evaluator.store.contracts import Contract
from evaluator.store.orgs import Organisation
from evaluator.store.rounds import ApprovalSnapshot, Round
from evaluator.systems import IndicatorSystem


async def commission(
    actor: Actor,
    *,
    contract_code: str,
    evaluation_agency_id,
    system_id,
    as_of: dt.date,
    elapsed: float = 1.0,
    sample: SampleRequest | None = None,
) -> Round:
    """A city's or a province's civil-affairs officer commissions a spot check of a contract
    bought in their region (named by its code: they see no contract otherwise). The round is
    created as the buying bureau creates its own (docs/decisions.md#spot-checks-抽查), with
    the officer's bureau as its commissioner, scoring ``sample`` (services/spot_samples.py;
    None: every station of the contract on ``as_of``)."""
    regions = await all_regions()
    mine = {
        bureau: region
        for bureau, region in (await bureau_regions(actor)).items()
        if region in regions and regions[region].level in ("city", "province")
    }
    require(
        bool(mine),
        "only a city's or a province's civil-affairs officer commissions a spot check (a county "
        "bureau creates its own rounds)",
        "仅市、省民政部门经办人可委托抽查（县级民政局自行创建评估轮次）",
    )
    contract = await Contract.get_or_none(code=contract_code)
    buyer = None if contract is None else await Organisation.get(id=contract.buyer_id)
    above = set(ancestors(regions, buyer.region_id)[1:]) if buyer else set()
    commissioner = next((b for b, region in sorted(mine.items()) if region in above), None)
    if contract is None or commissioner is None:
        raise NotFound(
            Problem(
                f"no contract {contract_code} bought in your region",
                f"您的行政区划内没有合同 {contract_code}",
                path="contract_code",
            )
        )
    agency = await get_organisation(actor, evaluation_agency_id)
    return await create_round(
        actor,
        contract=contract,
        evaluation_agency=agency,
        kind=RoundKind.SPOT_CHECK,
        system=await get_system(actor, system_id),
        as_of=as_of,
        elapsed=elapsed,
        commissioned_by=await Organisation.get(id=commissioner),
        sample=sample,
    )


async def county_round(check: Round) -> Round | None:
    """The county's own approved round the spot check is compared with (module docstring)."""
    approved = Round.filter(
        contract_id=check.contract_id, state=RoundState.APPROVED, kind__in=list(OWN_EVALUATIONS)
    )
    before = await approved.filter(as_of__lte=check.as_of).order_by("-as_of", "-id").first()
    return before or await approved.order_by("-as_of", "-id").first()


async def _results(round_: Round) -> dict[str, Any]:
    if round_.state == RoundState.APPROVED and round_.snapshot_in_force is not None:
        snapshot = await ApprovalSnapshot.get(id=round_.snapshot_in_force)
        return json.loads(snapshot.results)
    return results_document((await compute_round(round_)).result)


def _scored(results: dict[str, Any], system: IndicatorSystem) -> Scored:
    return Scored(results, system.total_points, {leaf.code: leaf.points for leaf in system.leaves})


async def spot_check_comparison(actor: Actor, round_id) -> dict[str, Any]:
    check = await get_round(actor, round_id)
    if check.kind != RoundKind.SPOT_CHECK:
        raise InvalidInput(
            Problem(
                f"round {check.id} is a {check.kind.value} round, not a spot check",
                f"轮次 {check.id} 为{ROUND_KIND_ZH[check.kind.value]}，不是抽查",
                path="round_id",
            )
        )
    await require_results(actor, check)
    own = await county_round(check)
    if own is None:
        raise StateError(
            Problem(
                "the contract has no approved mid-term, final or annual round to compare with",
                "该合同尚无已审定的中期、末期或年度评估可供比对",
            )
        )
    if check.commissioned_by_id not in actor.orgs(Role.BUREAU_OFFICER):
        # the commissioner reads the county's figures of the sampled stations here only
        await require_results(actor, own)
    check_system, own_system = await system_of_round(check), await system_of_round(own)
    comparison = compare(
        _scored(await _results(check), check_system), _scored(await _results(own), own_system)
    )
    doc = document(check, own, check_system, own_system, comparison)
    return doc | {"sample": await sample_document(check)}


def _round_doc(round_: Round, system: IndicatorSystem) -> dict[str, Any]:
    return {
        "id": str(round_.id),
        "kind": round_.kind.value,
        "kind_zh": ROUND_KIND_ZH[round_.kind.value],
        "as_of": round_.as_of.isoformat(),
        "state": round_.state.value,
        "state_zh": ROUND_STATE_ZH[round_.state.value],
        "system": {"id": system.id, "version": system.version, "total_points": system.total_points},
    }


def document(
    check: Round,
    own: Round,
    check_system: IndicatorSystem,
    own_system: IndicatorSystem,
    comparison: Comparison,
) -> dict[str, Any]:
    grade_zh = {g.code: g.zh for g in (*own_system.spec.grades, *check_system.spec.grades)}
    names = {leaf.code: leaf.name.zh for leaf in check_system.leaves}
    mean = comparison.mean_absolute_difference
    first = comparison.stations[0] if comparison.stations else None
    return {
        "spot_check": _round_doc(check, check_system),
        "county_round": _round_doc(own, own_system),
        "tolerances": {
            "total_share": first.total_tolerance if first else None,
            "leaf_share": first.leaf_tolerance if first else None,
        },
        "summary": {
            "stations": len(comparison.stations),
            "grades_agreeing": comparison.grades_agreeing,
            "differing": comparison.differing,
            "mean_absolute_difference": None if mean is None else round(mean, 6),
            "common_leaves": comparison.common_leaves,
            "only_in_spot_check": list(comparison.only_in_check),
        },
        "stations": [
            {
                "unit": s.unit,
                "spot_check_share": round(s.check_total_share, 6),
                "county_share": round(s.own_total_share, 6),
                "difference": round(s.difference, 6),
                "spot_check_grade": s.check_grade,
                "spot_check_grade_zh": grade_zh.get(s.check_grade, s.check_grade),
                "county_grade": s.own_grade,
                "county_grade_zh": grade_zh.get(s.own_grade, s.own_grade),
                "grades_agree": s.grades_agree,
                "differs": s.differs,
                "leaves_compared": len(s.leaves),
                "leaves_differing": [
                    {
                        "leaf": x.leaf,
                        "name_zh": names.get(x.leaf, x.leaf),
                        "spot_check_share": round(x.check_share, 6),
                        "county_share": round(x.own_share, 6),
                        "difference": round(x.difference, 6),
                    }
                    for x in s.leaves_differing
                ],
            }
            for s in ranked(comparison.stations)
        ],
    }
