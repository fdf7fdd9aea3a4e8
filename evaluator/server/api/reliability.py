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


class ReliabilityOut(Out):
    round: str
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
