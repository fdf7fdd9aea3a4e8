"""Evaluation rounds and their state machine; every transition names the version read
(``If-Match: "<version>"`` or ``version`` in the body) and answers the new ``ETag``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty

from evaluator.server import parsing
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, PageOut, Paging, etag, page_of, render
from evaluator.services import listing, panel_staff, rounds
from evaluator.services.actors import get_round
from evaluator.services.spot_samples import SampleRequest
from evaluator.store.base import Role, RoundKind, RoundState

bp = Blueprint("rounds", url_prefix="/rounds")


class RoundOut(Out):
    id: uuid.UUID
    contract_id: uuid.UUID
    evaluation_agency_id: uuid.UUID
    system_id: uuid.UUID
    kind: RoundKind
    state: RoundState
    as_of: dt.date = Field(description="evaluation date: the station links in force that day")
    elapsed: float = Field(description="share of the service year elapsed (pro-rated targets)")
    reopen_reason: str
    appeal_until: dt.date | None = Field(
        description="the last day the agency may appeal, fixed at the first approval (null before)"
    )
    appeal_basis: Literal["", "official", "provisional", "override"] = Field(
        description="of appeal_until: official; provisional 暂定 (a year not yet published: "
        "recomputed, never shortened); override (extended by the bureau); empty before approval"
    )
    appeal_note: str = Field(description="why provisional, or the bureau's reason")
    version: int = Field(description="optimistic-concurrency version (also the ETag)")
    created_at: dt.datetime
    commissioned_by_id: uuid.UUID | None = Field(
        None,
        description="the city's or the province's bureau that commissioned this spot check "
        "(抽查委托方), which takes the bureau's part in it; null for the buying bureau's rounds",
    )


class RoundPage(PageOut[RoundOut]):
    pass


class RoundQuery(Paging):
    contract: uuid.UUID | None = None
    agency: uuid.UUID | None = Field(None, description="the service agency holding the contract")
    station: uuid.UUID | None = None
    state: RoundState | None = None
    kind: RoundKind | None = None


class SampleIn(In):
    """The stations a spot check scores (抽样): exactly one of the three."""

    stations: list[str] | None = Field(
        None, max_length=10_000, description="the station codes to score 指定社工站"
    )
    share: float | None = Field(
        None, description="a share in (0, 1] of the contract's stations, drawn (rounded up) 比例"
    )
    count: int | None = Field(None, description="a number of the contract's stations, drawn 数量")

    def request(self) -> SampleRequest:
        stations = None if self.stations is None else tuple(self.stations)
        return SampleRequest(stations=stations, share=self.share, count=self.count)


class RoundIn(In):
    contract: uuid.UUID
    evaluation_agency: uuid.UUID
    system: uuid.UUID
    kind: RoundKind
    as_of: dt.date
    elapsed: float = Field(1.0, ge=0, le=1, description="in (0, 1]")
    sample: SampleIn | None = Field(
        None,
        description="a spot check only: the stations it scores, named or drawn reproducibly "
        "(seeded by the round's id); absent: every station of the contract on as_of",
    )


class TransitionIn(In):
    version: int | None = Field(None, description="the version read (or If-Match)")
    reason: str = Field(
        "", max_length=2000, description="required to return or reopen 退回或重新开启时必填"
    )


class AssignmentIn(In):
    username: str = Field(min_length=1, max_length=64)
    role: Role = Field(
        description="evaluator or lead_evaluator; at year end an official of a scored station's "
        "township scores for the purchaser as township_official (evaluator names them too)"
    )
    rater_role: str = Field(
        "third_party",
        max_length=40,
        description="the system's rater role this person scores for: third_party, purchaser, "
        "supervisor, community … (the leaves whose `role` it is)",
    )


class AssignmentOut(Out):
    id: uuid.UUID
    round_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    rater_role: str


@bp.get("")
@doc("Rounds you may see 可见的评估轮次", query=RoundQuery, response=RoundPage)
async def list_rounds(request: Request) -> HTTPResponse:
    q = parsing.query(request, RoundQuery)
    page = await listing.list_rounds(
        actor_of(request),
        contract=q.contract,
        agency=q.agency,
        station=q.station,
        state=q.state,
        kind=q.kind,
        page=q.page,
        per_page=q.per_page,
    )
    return render(page_of(RoundPage, page))


@bp.post("")
@doc(
    "Create a round (the buying bureau) 创建评估轮次（购买方）",
    body=RoundIn,
    response=RoundOut,
    status=201,
    errors=(403, 404),
)
async def create_round(request: Request) -> HTTPResponse:
    data = parsing.body(request, RoundIn)
    round_ = await rounds.start_round(
        actor_of(request),
        contract_id=data.contract,
        evaluation_agency_id=data.evaluation_agency,
        kind=data.kind,
        system_id=data.system,
        as_of=data.as_of,
        elapsed=data.elapsed,
        sample=data.sample and data.sample.request(),
    )
    return render(
        RoundOut.model_validate(round_),
        201,
        etag(round_.version) | {"Location": f"{request.path}/{round_.id}"},
    )


@bp.get("/<round_id:uuid>")
@doc("One round (ETag: its version) 评估轮次详情", response=RoundOut, errors=(404,))
async def show_round(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    round_ = await get_round(actor_of(request), round_id)
    return render(RoundOut.model_validate(round_), headers=etag(round_.version))


@bp.post("/<round_id:uuid>/assignments")
@doc(
    "Assign an evaluator (the evaluation agency's lead) 分派评估员",
    body=AssignmentIn,
    response=AssignmentOut,
    status=201,
    errors=(403, 404, 409),
)
async def assign_evaluator(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    data = parsing.body(request, AssignmentIn)
    assignment = await panel_staff.assign_user(
        actor_of(request), round_id, data.username, data.role, data.rater_role
    )
    return render(AssignmentOut.model_validate(assignment), 201)


class PartOut(Out):
    round: uuid.UUID
    rater: str
    unanswered: int = Field(description="leaves of the rater's role left without a value")


class ReopenPartIn(In):
    reason: str = Field(min_length=1, max_length=2000)


@bp.post("/<round_id:uuid>/my-part")
@doc(
    "Submit my part of the panel: my values are final, and I see the results 提交本人评分",
    response=PartOut,
    errors=(403, 404, 409, 423),
    description="A rater of the round (not its lead); the lead may reopen the part.",
)
async def submit_part(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    return render(
        PartOut.model_validate(await panel_staff.submit_part(actor_of(request), round_id))
    )


@bp.post("/<round_id:uuid>/assignments/<username:str>/reopen")
@doc(
    "Give a rater their submitted part back, with a reason (the round's lead) 退回评估员的评分",
    body=ReopenPartIn,
    status=204,
    errors=(403, 404, 409, 422, 423),
)
async def reopen_part(request: Request, round_id: uuid.UUID, username: str) -> HTTPResponse:
    data = parsing.body(request, ReopenPartIn)
    await panel_staff.reopen_part(actor_of(request), round_id, username, data.reason)
    return empty()


TRANSITIONS = {
    "open": ("Open a draft round (its lead) 开启轮次（主评估员）", False),
    "submit": ("Submit for approval (its lead) 提交审定（主评估员）", False),
    "return": (
        "Return to the evaluators, with a reason (the bureau) 退回（购买方，须填原因）",
        True,
    ),
    "approve": ("Approve and lock, writing the snapshot (the bureau) 审定并锁定（购买方）", False),
    "reopen": (
        "Reopen an approved round, with a reason (the bureau) 重新开启（购买方，须填原因）",
        True,
    ),
}


def _transition(action: str) -> Callable[..., Awaitable[HTTPResponse]]:
    async def handler(request: Request, round_id: uuid.UUID) -> HTTPResponse:
        data = parsing.body(request, TransitionIn, required=False)
        version = parsing.expected_version(request, data.version)
        round_ = await rounds.act(actor_of(request), round_id, action, version, data.reason)
        return render(RoundOut.model_validate(round_), headers=etag(round_.version))

    handler.__name__ = handler.__qualname__ = f"{action}_round"
    return handler


for _action, (_summary, _reason) in TRANSITIONS.items():
    bp.add_route(
        doc(
            _summary,
            body=TransitionIn,
            body_required=False,
            response=RoundOut,
            errors=(403, 404),
            if_match=True,
        )(_transition(_action)),
        f"/<round_id:uuid>/{_action}",
        methods=["POST"],
        name=f"{_action}_round",
    )
