"""The panel's forms on the round page: the lead staffs the round, decides gaps and
adjudicates disagreements, gives a rater their part back; a rater brings back an offline
workbook and submits their part. Each calls one service; errors are shown as pages."""

from __future__ import annotations

import uuid

from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from evaluator.errors import EvaluatorError, InvalidInput, Problem
from evaluator.server.web import inputs
from evaluator.server.web.pages import bp, error_page, signed_in
from evaluator.services import completeness, panel, panel_staff, workbook_import
from evaluator.services.actors import get_round
from evaluator.store.base import Role


@bp.post("/rounds/<round_id:uuid>/assignments")
@signed_in
async def assign(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    """The evaluation agency's lead staffs the round: an evaluator, or the lead themselves."""
    form = inputs.form(request)
    role = Role.LEAD_EVALUATOR if form.get("role") == "lead_evaluator" else Role.EVALUATOR
    await panel_staff.assign_user(
        request.ctx.actor,
        round_id,
        form.get("username") or "",
        role,
        form.get("rater_role") or "third_party",
    )
    return redirect(f"/rounds/{round_id}#staff")


@bp.post("/rounds/<round_id:uuid>/workbook")
@signed_in
async def import_workbook(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    """A rater brings back their filled offline workbook: all or nothing, every problem
    shown with its sheet and cell."""
    upload = inputs.upload(request)
    try:
        result = await workbook_import.import_workbook(
            request.ctx.actor,
            upload.body if upload else b"",
            (upload.name if upload and upload.name else "评分表.xlsx"),
            round_id,
        )
    except EvaluatorError as exc:
        return error_page(request, exc, back=f"/rounds/{round_id}")
    return redirect(f"/rounds/{round_id}?imported={result['written']}")


@bp.post("/rounds/<round_id:uuid>/my-part")
@signed_in
async def submit_part(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    """A rater submits their part: final, and the panel's results open to them."""
    await panel_staff.submit_part(request.ctx.actor, round_id)
    return redirect(f"/rounds/{round_id}#my-part")


@bp.post("/rounds/<round_id:uuid>/assignments/<username:str>/reopen")
@signed_in
async def reopen_part(request: Request, round_id: uuid.UUID, username: str) -> HTTPResponse:
    """The lead gives a rater their submitted part back, with a reason."""
    form = inputs.form(request)
    await panel_staff.reopen_part(request.ctx.actor, round_id, username, form.get("reason") or "")
    return redirect(f"/rounds/{round_id}#staff")


@bp.post("/rounds/<round_id:uuid>/gaps")
@signed_in
async def decide_gap(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    """The lead decides a gap (not applicable, or the missing rule applies) with a reason,
    or takes the decision back."""
    form = inputs.form(request)
    await completeness.decide_gap(
        request.ctx.actor,
        round_id,
        form.get("unit") or "",
        form.get("leaf") or "",
        form.get("decision") or "",
        form.get("reason") or "",
    )
    return redirect(f"/rounds/{round_id}#complete")


@bp.post("/rounds/<round_id:uuid>/adjudications")
@signed_in
async def adjudicate(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    """The lead gives a disagreeing slot its value, with the written reason."""
    form = inputs.form(request)
    await get_round(request.ctx.actor, round_id)  # another organisation's round: not found
    try:
        value = float(form.get("value") or "")
    except ValueError:
        return error_page(
            request,
            InvalidInput(Problem("the value is not a number", "裁定值不是数字", path="value")),
        )
    await panel.adjudicate(
        request.ctx.actor,
        round_id,
        form.get("unit") or "",
        form.get("leaf") or "",
        form.get("item") or "",
        value,
        form.get("reason") or "",
    )
    return redirect(f"/rounds/{round_id}#spread")
