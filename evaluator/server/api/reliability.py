"""How far a round's raters agree (docs/raters.md): ICCs, Krippendorff's alpha, severity."""

from __future__ import annotations

import uuid

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import Out, render
from evaluator.services import reliability as reliability_svc
from evaluator.services.reliability import round_reliability

bp = Blueprint("reliability")


class EstimateOut(Out):
    value: float | None
    low: float | None = Field(description="95% confidence interval, lower end")
    high: float | None = Field(description="95% confidence interval, upper end")


class AlphaOut(Out):
    value: float | None
    units: int = Field(description="slots with two or more values")
    raters: int
    values: int = Field(description="pairable values")


class RaterOut(Out):
    rater: str
    severity: float = Field(
        description="mean signed deviation of the rater's shares from the reconciled share "
        "(negative: harsher than the panel)"
    )
    slots: int


class AgreementOut(Out):
    icc: dict[str, EstimateOut] = Field(
        description="icc1_1, icc1_k, icc2_1, icc2_k, icc3_1, icc3_k (Shrout & Fleiss) on leaf shares"
    )
    icc_units: int = Field(description="slots scored by every rater (used by the ICCs)")
    icc_raters: int
    alpha: dict[str, AlphaOut] = Field(
        description="nominal (checklist items), ordinal (rubric levels), interval (other leaves)"
    )
    raters: list[RaterOut]
    slots: int
    ratings: int
    left_out: int = Field(description="ratings of leaves without an upper bound (not pooled)")


class ReliabilityOut(AgreementOut):
    round: str


class SystemReliabilityOut(AgreementOut):
    system: str
    rounds: int = Field(description="rounds pooled (those you may see); a slot per round")


class DriftRowOut(Out):
    round: str
    as_of: str
    severity: float
    slots: int


class DriftOut(Out):
    rater: str
    rounds: list[DriftRowOut] = Field(description="oldest first")


@bp.get("/rounds/<round_id:uuid>/reliability")
@doc(
    "How far the round's raters agree 评分一致性",
    response=ReliabilityOut,
    errors=(403, 404),
    description="The six ICCs with 95% intervals, Krippendorff's alpha per level of measurement and "
    "each rater's severity (docs/raters.md). Lead evaluators, the buying bureau, administrators "
    "and auditors; never agencies.",
)
async def reliability(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    figures = await round_reliability(actor_of(request), round_id)
    return render(ReliabilityOut.model_validate(figures))


@bp.get("/systems/<system_id:uuid>/reliability")
@doc(
    "How far raters agree over every round of a system version 指标体系版本的评分一致性",
    response=SystemReliabilityOut,
    errors=(404,),
    description="Pooled over the rounds of this system version whose agreement you may see.",
)
async def system_reliability(request: Request, system_id: uuid.UUID) -> HTTPResponse:
    figures = await reliability_svc.system_reliability(actor_of(request), system_id)
    return render(SystemReliabilityOut.model_validate(figures))


@bp.get("/users/<username:str>/severity")
@doc(
    "A rater's severity round by round 评估员评分宽严的变化",
    response=DriftOut,
    errors=(404,),
    description="Over the rounds whose agreement you may see, where the rater scored.",
)
async def rater_drift(request: Request, username: str) -> HTTPResponse:
    rows = await reliability_svc.rater_drift(actor_of(request), username)
    return render(DriftOut(rater=username, rounds=[DriftRowOut.model_validate(r) for r in rows]))
