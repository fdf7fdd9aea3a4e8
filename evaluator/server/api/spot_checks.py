"""A spot check (抽查) compared with the county's own round of the same contract, station by
station and leaf by leaf, on the share of points (docs/decisions.md#spot-checks)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server import parsing
from evaluator.server.api.rounds import RoundOut, SampleIn
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, render
from evaluator.services import spot_checks, spot_samples

bp = Blueprint("spot_checks")


class SystemRef(Out):
    id: str
    version: str
    total_points: float


class RoundRef(Out):
    id: uuid.UUID
    kind: str
    kind_zh: str
    as_of: str
    state: str
    state_zh: str
    system: SystemRef


class Tolerances(Out):
    total_share: float | None = Field(description="a station differs from this gap of total share")
    leaf_share: float | None = Field(description="a leaf differs from this gap of its share")


class ComparisonSummary(Out):
    stations: int
    grades_agreeing: int
    differing: int
    mean_absolute_difference: float | None = Field(
        description="mean |spot check's share − county's share| of the total"
    )
    common_leaves: int = Field(description="leaves of the same code in both systems")
    only_in_spot_check: list[str] = Field(description="sampled stations the county did not score")


class LeafGap(Out):
    leaf: str
    name_zh: str
    spot_check_share: float
    county_share: float
    difference: float


class StationGap(Out):
    unit: str
    spot_check_share: float = Field(description="total ÷ the system's total points")
    county_share: float
    difference: float = Field(description="spot check's share − county's share")
    spot_check_grade: str
    spot_check_grade_zh: str
    county_grade: str
    county_grade_zh: str
    grades_agree: bool
    differs: bool
    leaves_compared: int
    leaves_differing: list[LeafGap]


class SampleOut(Out):
    method: str = Field(description="all | stations (named) | share | count (drawn)")
    method_zh: str
    share: float | None = Field(description="the share asked for (method share)")
    count: int | None = Field(description="the number asked for (method count)")
    seed: str = Field(
        description="the draw's seed, the round's id: each station ranked by SHA-256 of "
        "'seed:code', the lowest taken ('' unless drawn)"
    )
    population: int = Field(description="the contract's stations in force it was chosen from")
    stations: list[str] = Field(description="the sampled station codes, sorted")


class SpotCheckComparison(Out):
    sample: SampleOut | None = Field(description="the stations the spot check scores, and how")
    spot_check: RoundRef
    county_round: RoundRef
    tolerances: Tolerances
    summary: ComparisonSummary
    stations: list[StationGap] = Field(description="largest difference of the total first")


@bp.get("/rounds/<round_id:uuid>/spot-check-comparison")
@doc(
    "A spot check against the county's own round: totals, grades and leaves 抽查比对",
    response=SpotCheckComparison,
    errors=(403, 404, 409, 422),
    tag="rounds",
)
async def spot_check_comparison(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    found = await spot_checks.spot_check_comparison(actor_of(request), round_id)
    return render(SpotCheckComparison.model_validate(found))


class CommissionIn(In):
    contract_code: str = Field(
        min_length=1, max_length=60, description="the contract's code 合同编号"
    )
    evaluation_agency: uuid.UUID = Field(description="the evaluation agency that scores it")
    system: uuid.UUID = Field(description="the indicator system version")
    as_of: dt.date = Field(description="evaluation date, within the contract's period")
    elapsed: float = Field(1.0, gt=0, le=1, description="share of the service year elapsed")
    sample: SampleIn | None = Field(
        None,
        description="the stations to score, named or drawn reproducibly (seeded by the "
        "round's id); absent: every station of the contract on as_of",
    )


class SpotCheckOut(RoundOut):
    sample: SampleOut = Field(description="the stations the spot check scores, and how")


@bp.post("/spot-checks")
@doc(
    "Commission a spot check of a contract in your region (city or province) 委托抽查",
    body=CommissionIn,
    response=SpotCheckOut,
    status=201,
    errors=(403, 404, 422),
    tag="rounds",
)
async def commission_spot_check(request: Request) -> HTTPResponse:
    data = parsing.body(request, CommissionIn)
    round_ = await spot_checks.commission(
        actor_of(request),
        contract_code=data.contract_code,
        evaluation_agency_id=data.evaluation_agency,
        system_id=data.system,
        as_of=data.as_of,
        elapsed=data.elapsed,
        sample=data.sample and data.sample.request(),
    )
    out = RoundOut.model_validate(round_).model_dump() | {
        "sample": await spot_samples.sample_document(round_)
    }
    return render(SpotCheckOut.model_validate(out), 201)
