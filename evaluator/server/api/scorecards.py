"""Scorecards: a station's result in a round (every leaf explained) and the agency's
aggregate. Agency users see them once the round is approved; another agency's are not
found."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json, raw

from evaluator.reporting import outputs
from evaluator.server import parsing
from evaluator.server.api.evidence import content_disposition
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import card_response, rendered
from evaluator.services import reports, scorecards
from evaluator.store.base import RoundKind, RoundState

bp = Blueprint("scorecards", url_prefix="/rounds")


class SystemRef(BaseModel):
    id: str
    version: str
    hash: str


class RoundRef(BaseModel):
    id: uuid.UUID
    kind: RoundKind
    state: RoundState
    as_of: str


class Grade(BaseModel):
    code: str
    zh: str
    en: str


class Family(BaseModel):
    code: str
    zh: str
    en: str
    points: float | None
    max: float


class Override(BaseModel):
    """An upheld appeal's value in place of the measured one."""

    value: float
    register_value: float | None = Field(description="the value the register or results gave")
    reason: str
    appeal: uuid.UUID | None


class Measured(BaseModel):
    """How a register (or, for an agency's portfolio, its stations' approved results)
    filled a leaf, and the upheld appeal that replaced its value, if any."""

    source: Literal["register", "results", "appeal"]
    register_kind: str = Field(description="register kind 台账类型")
    metric: str
    params: dict[str, Any]
    value: float | None
    n: float | None
    target: float | None
    target_from: float | str | None = Field(
        description="the measure's target: a number or a contract field"
    )
    detail: dict[str, Any] = Field(
        description="the figures behind the value (e.g. late reports, overdue qualifications)"
    )
    flags: list[str] = Field(description="e.g. insufficient_sample (quota not met), no_target")
    override: Override | None = None


class Citation(BaseModel):
    id: str
    unit: str
    leaf: str
    evidence: str
    name: str
    status: Literal["pending", "accepted", "rejected", "insufficient"]
    comment: str
    version: int


class LeafEvidence(BaseModel):
    status: Literal["none", "pending", "accepted", "rejected", "insufficient"] = Field(
        description="rejected if any citation is, else insufficient if any, else pending if any awaits review, else accepted; none without citations"
    )
    citations: list[Citation]


class Leaf(BaseModel):
    """One leaf explained: raw input → basis/measure → share → points."""

    family: str
    leaf: str
    name_zh: str
    name_en: str
    method: str
    raw: float | None
    basis: float | None
    measure: float | None
    share: float | None
    points: float | None
    max_points: float
    flag: str | None
    source: Literal["raters", "register", "results", "appeal"] = Field(
        description="where the value came from: evaluators' scores, a register (台账), the"
        " stations' approved results (an agency's portfolio) or an upheld appeal in place of"
        " a measured value"
    )
    measured: Measured | None = Field(
        None,
        description="for a leaf computed from a register: the metric, figures, target and flags",
    )
    evidence: LeafEvidence = Field(
        description="the leaf's evidence citations and their overall review status"
    )


class Card(BaseModel):
    system: SystemRef
    base: float
    bonus: float
    total: float
    grade_on: Literal["base", "total"] = Field(
        description="the score the grade bands read: base alone (加分不计入等级) or base + bonus"
    )
    graded: float = Field(description="that score: the base or the total")
    grade: Grade = Field(description="the final grade, after floor caps and vetoes")
    grade_uncapped: Grade = Field(description="the grade of the graded score's band alone")
    capped: bool = Field(description="the grade was capped by a floor rule")
    vetoes: list[str]
    flags: list[str] = Field(
        description="what tripped a rule (veto:V4, floor:A) and leaf states (A1.1:missing, "
        "B2.3:insufficient_sample, C1.2:zero_target, …)"
    )
    families: list[Family]
    leaves: list[Leaf]


class Driver(BaseModel):
    weight: str = Field(description="the node whose weight moves the total")
    rho: float = Field(description="Spearman ρ between that weight and the total over the samples")


class Robustness(BaseModel):
    """How the grade holds when the weights move (docs/sensitivity.md)."""

    grade_flip: float = Field(description="share of sampled weightings giving another grade")
    fragile: bool = Field(description="grade_flip above the threshold (10%)")
    grades_seen: dict[str, float]
    total_p5: float
    total_p95: float
    rank_p5: float
    rank_p95: float
    drivers: list[Driver]
    samples: int
    spread: float


class RecommendationRobustness(BaseModel):
    recommendation: str
    flip: float = Field(description="share of sampled weightings giving another recommendation")
    seen: dict[str, float]
    fragile: bool


class StationRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str


REGISTERS_FIELD = Field(
    None,
    description="every version of each register kind: who imported it, when, its hash, its "
    "state (in_force, replaced, pending, rejected) and the version it replaced 台账版本记录",
)


class ContractAgencyRef(BaseModel):
    """The agency that ran the station on the round's date, and its contract."""

    id: uuid.UUID
    name: str
    contract_id: uuid.UUID
    contract_code: str


class StationScorecard(Card):
    station: StationRef
    agency: ContractAgencyRef
    round: RoundRef
    robustness: Robustness
    registers: dict[str, list[dict[str, Any]]] | None = REGISTERS_FIELD


class AgencyRef(BaseModel):
    id: uuid.UUID
    name: str


class StationResult(BaseModel):
    code: str
    total: float
    grade: str
    vetoed: bool
    robustness: Robustness


class Aggregate(BaseModel):
    stations: int
    mean_total: float | None
    min_total: float | None
    grades: dict[str, int]
    vetoed: int


class PortfolioRound(BaseModel):
    round: uuid.UUID
    kind: str
    as_of: str
    snapshot: uuid.UUID = Field(description="the station round's approval snapshot read")


class PortfolioStation(BaseModel):
    code: str
    total: float = Field(description="the approved total")
    out_of: float = Field(description="its system's total points")
    grade: str
    grade_zh: str
    vetoes: list[str]
    passed: bool = Field(description="graded above its system's lowest grade, no veto")


class Portfolio(BaseModel):
    """The stations' approved results an agency round read (P1–P3)."""

    rounds: list[PortfolioRound]
    stations: list[PortfolioStation]
    evaluated: int
    mean: float | None = Field(description="mean score, points of 100")
    passing: int


class AgencyScorecard(BaseModel):
    """Station systems: ``stations`` and ``aggregate``; agency systems: the agency's own card."""

    agency: AgencyRef
    round: RoundRef
    registers: dict[str, list[dict[str, Any]]] | None = REGISTERS_FIELD
    stations: list[StationResult] | None = None
    aggregate: Aggregate | None = None
    system: SystemRef | None = None
    base: float | None = None
    bonus: float | None = None
    total: float | None = None
    grade_on: Literal["base", "total"] | None = None
    graded: float | None = None
    grade: Grade | None = None
    grade_uncapped: Grade | None = None
    capped: bool | None = None
    vetoes: list[str] | None = None
    flags: list[str] | None = None
    families: list[Family] | None = None
    leaves: list[Leaf] | None = None
    robustness: Robustness | None = None
    recommendation_robustness: RecommendationRobustness | None = None
    portfolio: Portfolio | None = Field(
        None,
        description="agency systems: the stations' approved results its portfolio leaves read"
        " (which round, which stations, their scores and grades); none before any is approved",
    )


class ReportQuery(BaseModel):
    format: Literal["json", "xlsx", "html", "md", "pdf"] = Field(
        "json",
        description="json (default); xlsx: the scorecard workbook; html, md, pdf: the "
        "evaluation report 评估报告 (pdf needs Chromium on the server)",
    )


class SummaryQuery(BaseModel):
    format: Literal["json", "xlsx"] = Field("json", description="json (default) or xlsx")


FILE_MEDIA = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/html",
    "text/markdown",
    "application/pdf",
)


async def _download(doc: dict, fmt: str) -> HTTPResponse:
    """A report as a file: rendered off the event loop, always a download with its
    Chinese file name (RFC 6266), never cached."""
    out = await asyncio.to_thread(outputs.render, doc, fmt)
    return raw(
        out.data,
        content_type=out.media_type,
        headers={
            "Content-Disposition": content_disposition(out.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/<round_id:uuid>/stations/<station_id:uuid>/scorecard")
@doc(
    "A station's scorecard in a round, or its workbook or evaluation report 社工站评分卡",
    query=ReportQuery,
    response={
        "application/json": StationScorecard,
        **{media: {"type": "string", "format": "binary"} for media in FILE_MEDIA},
    },
    errors=(403, 404),
    not_modified=True,
)
async def station_scorecard(
    request: Request, round_id: uuid.UUID, station_id: uuid.UUID
) -> HTTPResponse:
    fmt = parsing.query(request, ReportQuery).format
    actor = actor_of(request)
    if fmt != "json":
        return await _download(await reports.station_report(actor, round_id, station_id), fmt)
    text = await scorecards.station_scorecard_text(
        actor, round_id, station_id, rendered(StationScorecard), "api"
    )
    return card_response(text, parsing.if_none_match(request))


@bp.get("/<round_id:uuid>/agency-scorecard")
@doc(
    "The agency's scorecard in a round, or its workbook or evaluation report 承接机构评分卡",
    query=ReportQuery,
    response={
        "application/json": AgencyScorecard,
        **{media: {"type": "string", "format": "binary"} for media in FILE_MEDIA},
    },
    errors=(403, 404),
    not_modified=True,
)
async def agency_scorecard(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    fmt = parsing.query(request, ReportQuery).format
    actor = actor_of(request)
    if fmt != "json":
        return await _download(await reports.contract_report(actor, round_id), fmt)
    text = await scorecards.agency_scorecard_text(actor, round_id, rendered(AgencyScorecard), "api")
    return card_response(text, parsing.if_none_match(request))


@bp.get("/<round_id:uuid>/summary")
@doc(
    "The round's summary for its bureau: every station, the agency, tranches due 评估汇总",
    query=SummaryQuery,
    response={
        "application/json": {"type": "object"},
        FILE_MEDIA[0]: {"type": "string", "format": "binary"},
    },
    errors=(403, 404),
)
async def round_summary(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    fmt = parsing.query(request, SummaryQuery).format
    doc_ = await reports.round_summary(actor_of(request), round_id)
    if fmt == "xlsx":
        return await _download(doc_, fmt)
    return json(doc_)
