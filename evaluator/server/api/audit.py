"""The audit trail: verify the hash chain (auditors and administrators)."""

from __future__ import annotations

from pydantic import BaseModel
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import render
from evaluator.services import audit

bp = Blueprint("audit", url_prefix="/audit")


class VerificationOut(BaseModel):
    ok: bool
    events: int
    head_hash: str
    broken_seq: int | None = None
    reason_en: str = ""
    reason_zh: str = ""


@bp.get("/verify")
@doc(
    "Verify the hash-chained audit trail 校验审计链",
    response=VerificationOut,
    errors=(403,),
    description="200 with ok=false and the first broken event when the chain does not hold.",
)
async def verify_audit(request: Request) -> HTTPResponse:
    result = await audit.verify_as(actor_of(request))
    return render(VerificationOut.model_validate(result, from_attributes=True))
