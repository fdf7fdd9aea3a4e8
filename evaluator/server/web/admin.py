"""The pages of accounts and the calendar: a user's own account (password change), the
administrator's users and roles, the holiday schedules (everyone reads them, the
administrator adds a year, every problem shown against its line). Same services and access
rules as the API and the command line; a refused action is shown on the page it came from."""

from __future__ import annotations

from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from evaluator import clock
from evaluator.errors import EvaluatorError, InvalidInput, Problem
from evaluator.server.auth import clear_session_cookie
from evaluator.server.web import inputs
from evaluator.server.web.pages import bp, signed_in, status_of
from evaluator.server.web.render import located_lines, page
from evaluator.services import accounts, auth, calendars
from evaluator.services.actors import Actor, require
from evaluator.store.base import Role

ROLES = tuple(r.value for r in Role)


# -- my account ----------------------------------------------------------------------------
@bp.get("/account")
@signed_in
async def account_page(request: Request) -> HTTPResponse:
    return page(request, "account.html", problems=[])


@bp.post("/account/password")
@signed_in
async def change_password(request: Request) -> HTTPResponse:
    """Change one's own password (the current one first); every session ends, sign in again."""
    form = inputs.form(request)
    try:
        await auth.change_password(
            request.ctx.actor, form.get("current") or "", form.get("new") or ""
        )
    except EvaluatorError as exc:
        return page(request, "account.html", status=status_of(exc), problems=exc.problems)
    response = redirect("/login?changed=1")
    clear_session_cookie(response, request)
    return response


# -- users and roles (administrators) --------------------------------------------------------
async def _users_page(
    request: Request, status: int = 200, problems: list[Problem] | None = None, done: str = ""
) -> HTTPResponse:
    actor: Actor = request.ctx.actor
    users = await accounts.list_accounts(actor)
    organisations = await accounts.organisations(actor)
    return page(
        request,
        "users.html",
        status=status,
        users=users,
        organisations=organisations,
        roles=ROLES,
        problems=problems or [],
        done=done,
    )


@bp.get("/admin/users")
@signed_in
async def users_page(request: Request) -> HTTPResponse:
    return await _users_page(request, done=inputs.query_value(request, "done") or "")


@bp.post("/admin/users")
@signed_in
async def users_action(request: Request) -> HTTPResponse:
    """One form, one action: create, grant, revoke, enable, disable, reset the password."""
    actor: Actor = request.ctx.actor
    form = inputs.form(request)
    action = form.get("action") or ""
    username = (form.get("username") or "").strip()
    try:
        require(actor.is_admin, "only an administrator manages accounts", "仅管理员可管理账号")
        if action == "create":
            await accounts.create_account(
                actor,
                username,
                organisation_id=form.get("organisation") or "",
                role=_role(form.get("role")),
                password=form.get("password") or "",
                display_name=(form.get("display_name") or "").strip(),
            )
        elif action == "grant":
            await accounts.grant_role(
                actor, username, form.get("organisation") or "", _role(form.get("role"))
            )
        elif action == "revoke":
            await accounts.revoke_role(
                actor, username, form.get("organisation") or "", _role(form.get("role"))
            )
        elif action in ("enable", "disable"):
            await auth.set_active(actor, username, action == "enable")
        elif action == "password":
            await auth.set_password(actor, username, form.get("password") or "")
        else:
            raise InvalidInput(Problem(f"unknown action {action!r}", f"未知操作 {action!r}"))
    except EvaluatorError as exc:
        if not actor.is_admin:
            raise  # the generic error page: a non-administrator sees no account list
        return await _users_page(request, status_of(exc), exc.problems)
    return redirect(f"/admin/users?done={action}")


def _role(text: str | None) -> str:
    if text not in ROLES:
        raise InvalidInput(Problem(f"no role {text!r}", f"没有角色 {text!r}", path="role"))
    return text


# -- holiday schedules ----------------------------------------------------------------------
def _year(text: str | None) -> int:
    try:
        year = int(text or clock.today().year)
    except ValueError:
        year = clock.today().year
    return min(max(year, 1901), 2099)


async def _calendar_page(request: Request, year: int, status: int = 200, **extra) -> HTTPResponse:
    view = await calendars.show(year)
    context = {"text": "", "name": "calendar.yaml", "lines": [], "problems": [], "added": None}
    context |= extra
    return page(
        request,
        "calendars.html",
        status=status,
        year=year,
        today=clock.today(),
        doc=calendars.year_document(view),
        **context,
    )


@bp.get("/calendars")
@signed_in
async def calendars_page(request: Request) -> HTTPResponse:
    return await _calendar_page(request, _year(inputs.query_value(request, "year")))


@bp.post("/calendars")
@signed_in
async def calendars_upload(request: Request) -> HTTPResponse:
    """Add a year's holiday schedule (administrators); the deadlines it settles are listed."""
    form = inputs.form(request)
    upload = inputs.upload(request)
    name = (upload.name if upload and upload.name else form.get("name")) or "calendar.yaml"
    try:
        text = upload.body.decode("utf-8") if upload and upload.body else form.get("text") or ""
    except UnicodeDecodeError:
        problems = [Problem("the file is not UTF-8", "文件不是 UTF-8 编码", file=name)]
        return await _calendar_page(request, _year(None), 422, name=name, problems=problems)
    try:
        added = await calendars.add_schedule(request.ctx.actor, text, name)
    except EvaluatorError as exc:
        return await _calendar_page(
            request,
            _year(None),
            status_of(exc),
            text=text,
            name=name,
            lines=located_lines(text, exc.problems),
            problems=exc.problems,
        )
    return await _calendar_page(request, added.schedule.year, 201, added=added)
