"""The pages: sign in and out, a home page per role, a round (the evaluator's stations, or
the bureau's and the agency's results), a station (the evaluator's scoring form, or the
scorecard once it may be seen). Pages call the same services, under the same access rules,
as the JSON API; a page never reads the store."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from evaluator.decisions.words import VOUCHER_ZH
from evaluator.errors import EvaluatorError, InvalidInput, PermissionDenied, Problem, SystemInvalid
from evaluator.server.auth import clear_session_cookie, client_address, set_session_cookie
from evaluator.server.errors import DOMAIN
from evaluator.server.web import inputs
from evaluator.server.web.render import LANG_COOKIE, LANGS, located_lines, page
from evaluator.services import (
    appeals,
    audit,
    auth,
    citations,
    completeness,
    decisions,
    findings,
    panel,
    panel_staff,
    payment_applications,
    reliability,
    reports,
    rollups,
    rounds,
    scorecards,
    scoring_form,
    systems,
    tranches,
)
from evaluator.services.actors import (
    WRITABLE,
    Actor,
    assignment_of,
    assignment_role,
    get_round,
    may_see_results,
)
from evaluator.store.base import ReviewStatus, Role

bp = Blueprint("web")
Handler = Callable[..., Awaitable[HTTPResponse]]


def signed_in(handler: Handler) -> Handler:
    """Pages need a signed-in user (else the sign-in page, and back); a domain error is a
    page in the user's language with its status, never a traceback."""

    @functools.wraps(handler)
    async def wrapped(request: Request, *args, **kwargs) -> HTTPResponse:
        if getattr(request.ctx, "actor", None) is None:
            return redirect(f"/login?next={quote(request.path)}")
        try:
            return await handler(request, *args, **kwargs)
        except EvaluatorError as exc:
            return error_page(request, exc)

    return wrapped


def status_of(exc: EvaluatorError) -> int:
    """The HTTP status of a domain error (the API's own table)."""
    return next((s for cls, (s, _) in DOMAIN.items() if isinstance(exc, cls)), 400)


def error_page(request: Request, exc: EvaluatorError, back: str = "") -> HTTPResponse:
    status = status_of(exc)
    return page(
        request, "error.html", status=status, status_code=status, problems=exc.problems, back=back
    )


# -- signing in and out -------------------------------------------------------------------
@bp.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    changed = inputs.query_value(request, "changed") == "1"
    return page(request, "login.html", next=_next(request), problems=[], changed=changed)


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    form = inputs.form(request)
    username = (form.get("username") or "").strip()
    password = form.get("password") or ""
    try:
        session = await auth.login(username, password, client_address(request))
    except EvaluatorError as exc:
        status = 429 if isinstance(exc, auth.Throttled) else 401
        return page(
            request,
            "login.html",
            status=status,
            next=_next(request),
            problems=exc.problems,
            changed=False,
        )
    response = redirect(_next(request))
    set_session_cookie(response, request, session.token, session.expires_at)
    return response


@bp.post("/logout")
async def logout(request: Request) -> HTTPResponse:
    if getattr(request.ctx, "actor", None) is not None:
        await auth.logout(request.ctx.token)
    response = redirect("/login")
    clear_session_cookie(response, request)
    return response


@bp.get("/lang/<lang:str>")
async def choose_language(request: Request, lang: str) -> HTTPResponse:
    """Chinese or English, remembered in a cookie (a preference, not a credential)."""
    response = redirect(_next(request))
    if lang in LANGS:
        response.add_cookie(
            LANG_COOKIE, lang, path="/", samesite="Lax", max_age=365 * 86400, httponly=True
        )
    return response


def _next(request: Request) -> str:
    """Where to go after signing in: a path of this site only (never another host)."""
    target = inputs.query_value(request, "next") or inputs.form(request).get("next") or "/"
    return target if target.startswith("/") and not target.startswith("//") else "/"


# -- home ---------------------------------------------------------------------------------
@bp.get("/")
@signed_in
async def home(request: Request) -> HTTPResponse:
    actor: Actor = request.ctx.actor
    rounds = await reports.rounds_for(actor)
    roles = sorted({role.value for role, _ in actor.roles})
    return page(request, "home.html", rounds=rounds, roles=roles)


@bp.get("/rollups")
@signed_in
async def rollup_page(request: Request) -> HTTPResponse:
    """A region's roll-up (汇总上报): this half year and the reader's region unless the
    query names others; the workbook is the API's download."""
    period = inputs.query_value(request, "period") or None  # the service's default
    region = inputs.query_value(request, "region") or None
    done = await rollups.region_rollup(request.ctx.actor, region, period)
    return page(request, "rollup.html", doc=rollups.document(done))


# -- a round ------------------------------------------------------------------------------
@bp.get("/rounds/<round_id:uuid>")
@signed_in
async def round_page(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    actor: Actor = request.ctx.actor
    round_ = await get_round(actor, round_id)
    role = await assignment_role(actor, round_)
    mine = await assignment_of(actor, round_)  # a township official's too (no panel role)
    stations = await scoring_form.scoring_progress(actor, round_id) if mine is not None else []
    summary = None
    summary_problems = []
    if await may_see_results(actor, round_):
        try:
            summary = await reports.round_summary(actor, round_id)
        except EvaluatorError as exc:  # nothing to sum up yet (an empty round): say why
            summary_problems = exc.problems
    staff = (
        await panel_staff.staffing(actor, round_id) if round_.state.value != "approved" else None
    )
    my_part = (
        {"submitted": mine.submitted_at is not None, "rater_role": mine.rater_role}
        if mine is not None and mine.role in (Role.EVALUATOR, Role.TOWNSHIP_OFFICIAL)
        else None
    )
    try:  # how far the raters agree: the lead, the buying bureau, administrators, auditors
        agreement = await reliability.round_reliability(actor, round_id)
    except PermissionDenied:
        agreement = None
    if agreement is not None and not agreement["slots"]:
        agreement = None  # nothing scored yet
    gaps, spread = [], []
    if role is not None and role.value == "lead_evaluator":
        spread = await panel.disagreements(actor, round_id)
        if round_.state in WRITABLE:
            _, found = await completeness.list_gaps(actor, round_id)
            gaps = sorted((g.__dict__ for g in found), key=lambda g: g["decision"] is not None)
    return page(
        request,
        "round.html",
        round=scorecards.round_info(round_) | {"version": round_.version},
        gaps=gaps,
        spread=spread,
        staff=staff,
        my_part=my_part,
        imported=inputs.query_value(request, "imported"),
        agreement=agreement,
        role=role.value if role else None,
        stations=stations,
        summary=summary,
        summary_problems=summary_problems,
        is_bureau=actor.is_admin or bool(actor.orgs(Role.BUREAU_OFFICER)),
        is_agency=bool(actor.orgs(Role.AGENCY_USER)),
        voucher_kinds=VOUCHER_ZH,
    )


# -- a station ----------------------------------------------------------------------------
@bp.get("/rounds/<round_id:uuid>/stations/<code:str>")
@signed_in
async def station_page(request: Request, round_id: uuid.UUID, code: str) -> HTTPResponse:
    actor: Actor = request.ctx.actor
    round_ = await get_round(actor, round_id)
    if await assignment_of(actor, round_) is not None and round_.state in WRITABLE:
        form = await scoring_form.scoring_form(actor, round_id, code)
        return page(request, "score.html", form=form)
    doc = await reports.station_report_by_code(actor, round_id, code)
    contract_agency = actor.is_admin or bool(actor.orgs(Role.AGENCY_USER))
    return page(
        request,
        "scorecard.html",
        doc=doc,
        card=doc["card"],
        is_agency=contract_agency,
        appeal_until=round_.appeal_until and round_.appeal_until.isoformat(),
    )


@bp.post("/rounds/<round_id:uuid>/findings/<finding_id:uuid>/plan")
@signed_in
async def submit_plan(request: Request, round_id: uuid.UUID, finding_id: uuid.UUID) -> HTTPResponse:
    """The agency answers a finding with its rectification plan (整改方案)."""
    form = inputs.form(request)
    finding = await findings.act(
        request.ctx.actor,
        finding_id,
        "submit_plan",
        _whole(form.get("version")),
        plan=form.get("plan") or "",
    )
    return redirect(f"/rounds/{round_id}/stations/{finding.unit}")


@bp.post("/rounds/<round_id:uuid>/stations/<code:str>/appeal")
@signed_in
async def appeal(request: Request, round_id: uuid.UUID, code: str) -> HTTPResponse:
    """The agency appeals leaves of a station's scorecard, within the window, with a reason."""
    form = inputs.form(request)
    leaves = inputs.form_list(request, "leaves")
    await appeals.submit_appeal(request.ctx.actor, round_id, code, leaves, form.get("reason") or "")
    return redirect(f"/rounds/{round_id}/stations/{code}?appealed=1")


@bp.post("/rounds/<round_id:uuid>/citations/<citation_id:uuid>/review")
@signed_in
async def review_citation(
    request: Request, round_id: uuid.UUID, citation_id: uuid.UUID
) -> HTTPResponse:
    """An evaluator of the round accepts cited evidence, or finds it insufficient or rejects
    it with a comment (versioned: a review made meanwhile by another is not overwritten)."""
    form = inputs.form(request)
    await get_round(request.ctx.actor, round_id)  # another organisation's round: not found
    status = form.get("status") or ""
    if status not in {s.value for s in ReviewStatus}:
        refused = InvalidInput(
            Problem(f"no review status {status!r}", f"没有审核结论 {status!r}", path="status")
        )
        return error_page(request, refused)
    citation = await citations.review_citation(
        request.ctx.actor,
        citation_id,
        ReviewStatus(status),
        form.get("comment") or "",
        _whole(form.get("version")),
    )
    return redirect(f"/rounds/{round_id}/stations/{citation.unit}#citation-{citation.id}")


# -- what the lead and the bureau do on a round -----------------------------------------------
@bp.post("/rounds/<round_id:uuid>/act")
@signed_in
async def round_action(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    """Submit (the lead) or approve (the bureau): the round's state machine, versioned."""
    form = inputs.form(request)
    await rounds.act(
        request.ctx.actor,
        round_id,
        form.get("action") or "",
        _whole(form.get("version")),
        form.get("reason") or "",
    )
    return redirect(f"/rounds/{round_id}")


@bp.post("/rounds/<round_id:uuid>/decision")
@signed_in
async def decide(request: Request, round_id: uuid.UUID) -> HTTPResponse:
    """The bureau accepts the recommendation, or overrides it with another outcome and why."""
    form = inputs.form(request)
    accept = form.get("accept") == "1"
    await decisions.decide(
        request.ctx.actor,
        round_id,
        accept=accept,
        outcome=None if accept else form.get("outcome"),
        reason=form.get("reason") or "",
        expected_version=_whole(form.get("version")),
    )
    return redirect(f"/rounds/{round_id}")


@bp.post("/rounds/<round_id:uuid>/tranches/<code:str>/release")
@signed_in
async def release(request: Request, round_id: uuid.UUID, code: str) -> HTTPResponse:
    """The buying bureau releases a due tranche of the round's contract."""
    round_ = await get_round(request.ctx.actor, round_id)
    await tranches.release(request.ctx.actor, round_.contract_id, code)
    return redirect(f"/rounds/{round_id}")


@bp.post("/rounds/<round_id:uuid>/tranches/<code:str>/apply")
@signed_in
async def apply_for_payment(request: Request, round_id: uuid.UUID, code: str) -> HTTPResponse:
    """The agency applies for a tranche of the round's contract with its vouchers (拨付申请)."""
    round_ = await get_round(request.ctx.actor, round_id)
    await payment_applications.apply(
        request.ctx.actor,
        round_.contract_id,
        code,
        inputs.form_rows(request, "kind", "reference"),
        inputs.form(request).get("note") or "",
    )
    return redirect(f"/rounds/{round_id}#tranches")


@bp.post("/rounds/<round_id:uuid>/payment-applications/<application_id:uuid>/return")
@signed_in
async def return_payment_application(
    request: Request, round_id: uuid.UUID, application_id: uuid.UUID
) -> HTTPResponse:
    """The buying bureau returns a payment application, saying why."""
    await get_round(request.ctx.actor, round_id)
    await payment_applications.return_application(
        request.ctx.actor, application_id, inputs.form(request).get("reason") or ""
    )
    return redirect(f"/rounds/{round_id}#tranches")


@bp.post("/rounds/<round_id:uuid>/payment-applications/<application_id:uuid>/withdraw")
@signed_in
async def withdraw_payment_application(
    request: Request, round_id: uuid.UUID, application_id: uuid.UUID
) -> HTTPResponse:
    """The agency takes back its submitted payment application."""
    await get_round(request.ctx.actor, round_id)
    await payment_applications.withdraw(request.ctx.actor, application_id)
    return redirect(f"/rounds/{round_id}#tranches")


def _whole(text: str | None) -> int:
    """The version the form was read at; 0 (never a version) when missing, so that the
    service checks who may act first and then refuses a stale or missing version (409)."""
    try:
        return int(text or "")
    except ValueError:
        return 0


# -- indicator systems: upload and validate --------------------------------------------------
@bp.get("/systems/new")
@signed_in
async def system_form(request: Request) -> HTTPResponse:
    return page(request, "system.html", text="", name="system.yaml", lines=[], problems=[])


@bp.post("/systems/new")
@signed_in
async def system_upload(request: Request) -> HTTPResponse:
    """Validate an indicator system and store it (administrators, lead evaluators, bureaus);
    every problem is shown against the line of the file it is on."""
    form = inputs.form(request)
    upload = inputs.upload(request)
    name = (upload.name if upload and upload.name else form.get("name")) or "system.yaml"
    try:
        text = upload.body.decode("utf-8") if upload and upload.body else form.get("text") or ""
    except UnicodeDecodeError:
        text = ""
        problems = [Problem("the file is not UTF-8", "文件不是 UTF-8 编码", file=name)]
        return page(
            request, "system.html", status=422, text="", name=name, lines=[], problems=problems
        )
    try:
        version = await systems.register_system(request.ctx.actor, text, name)
    except SystemInvalid as exc:
        lines = located_lines(text, exc.problems)
        return page(
            request,
            "system.html",
            status=422,
            text=text,
            name=name,
            lines=lines,
            problems=exc.problems,
        )
    return page(request, "system_ok.html", version=version)


# -- the audit trail -------------------------------------------------------------------------
@bp.get("/audit")
@signed_in
async def audit_page(request: Request) -> HTTPResponse:
    """Verify the hash chain of the audit trail (auditors and administrators)."""
    verification = await audit.verify_as(request.ctx.actor)
    return page(request, "audit.html", v=verification)
