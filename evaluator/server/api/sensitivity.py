"""Weighting sensitivity of a round (docs/sensitivity.md), computed off the event loop."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.analysis.sensitivity import (
    MAX_CONCENTRATION,
    MIN_CONCENTRATION,
    MIN_SPREAD,
    Settings,
)
from evaluator.errors import InvalidInput, Problem
from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, render
from evaluator.services.scorecards import round_sensitivity

bp = Blueprint("sensitivity")


class SensitivityQuery(In):
    samples: int = Field(1000, ge=2, le=20000)
    seed: int = Field(2026, ge=0)
    spread: float = Field(0.25, ge=MIN_SPREAD, lt=1)
    levels: str = Field("1,2", pattern=r"^\d(,\d)*$", description="tree depths whose weights vary")
    method: Literal["uniform", "dirichlet"] = "uniform"
    concentration: float = Field(50.0, ge=MIN_CONCENTRATION, le=MAX_CONCENTRATION)
    vary_aggregation: bool = False
    vary_missing: bool = Field(
        False, description="also score missing inputs by the other rule (zero ↔ skip)"
    )
    fragile: float = Field(0.10, gt=0, lt=1)
    attribution: bool = Field(True, description="Sobol indices, surrogate and PCA (slower)")


class SensitivityOut(Out):
    system: dict[str, Any]
    settings: dict[str, Any]
    weights: list[str]
    units: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    cohort: dict[str, Any]
    attribution: dict[str, Any] | None = None


@bp.get("/rounds/<round_id:uuid>/sensitivity")
@doc(
    "How robust are the round's grades and recommendation to the weights? 权重敏感性",
    query=SensitivityQuery,
    response=SensitivityOut,
    errors=(403, 404, 422),
    description="Per station: score and rank bands, P(grade changes), fragile flag and driving weights; the "
    "contract's P(recommendation changes); rank shifts; with attribution, Sobol indices (SALib), a random-forest "
    "surrogate with its R² and PCA weights (scikit-learn).",
)
async def sensitivity(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    q = parsing.query(request, SensitivityQuery)
    try:
        settings = Settings.from_options(
            samples=q.samples,
            seed=q.seed,
            spread=q.spread,
            levels=q.levels,
            method=q.method,
            concentration=q.concentration,
            vary_aggregation=q.vary_aggregation,
            fragile=q.fragile,
            vary_missing=q.vary_missing,
        )
    except ValueError as exc:
        raise InvalidInput(Problem(str(exc), "参数无效", path="query")) from None
    report = await round_sensitivity(
        actor_of(request), round_id, settings, attribution=q.attribution
    )
    return render(SensitivityOut.model_validate(report))
