"""Sessions: sign in (a bearer token, also set as an HttpOnly cookie), sign out, who am I."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server import csrf, parsing
from evaluator.server.auth import (
    actor_of,
    clear_session_cookie,
    client_address,
    public,
    set_session_cookie,
)
from evaluator.server.docs import doc
from evaluator.server.models import In, render
from evaluator.services import auth
from evaluator.services.actors import Actor
from evaluator.store.base import Role

bp = Blueprint("auth", url_prefix="/auth")


class LoginIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RoleOut(BaseModel):
    role: Role
    organisation_id: uuid.UUID | None


class MeOut(BaseModel):
    user_id: uuid.UUID | None
    username: str
    roles: list[RoleOut]


class LoginOut(BaseModel):
    token: str = Field(description="send as Authorization: Bearer <token> 以 Bearer 令牌发送")
    csrf_token: str = Field(
        description="with the cookie instead of the bearer token, send it as X-CSRF-Token on "
        "every POST, PUT, PATCH and DELETE 使用 Cookie 时，修改请求须带 X-CSRF-Token"
    )
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: dt.datetime
    user: MeOut


def me(actor: Actor) -> MeOut:
    roles = sorted(actor.roles, key=lambda r: (r[0].value, str(r[1])))
    return MeOut(
        user_id=actor.user_id,
        username=actor.username,
        roles=[RoleOut(role=r, organisation_id=o) for r, o in roles],
    )


@bp.post("/login")
@doc(
    "Sign in 登录",
    body=LoginIn,
    response=LoginOut,
    errors=(401, 429),
    public=True,
    description="Returns a session token and sets the evaluator_session cookie. After 5 failed attempts for an "
    "account (20 from an address) within 15 minutes: 429 with Retry-After. 返回会话令牌并设置 Cookie。",
)
@public
async def login(request: Request) -> HTTPResponse:
    data = parsing.body(request, LoginIn)
    session = await auth.login(data.username, data.password, client_address(request))
    response = render(
        LoginOut(
            token=session.token,
            csrf_token=csrf.token_for(session.token),
            expires_at=session.expires_at,
            user=me(session.actor),
        ),
        headers={"Cache-Control": "no-store"},
    )
    set_session_cookie(response, request, session.token, session.expires_at)
    return response


@bp.post("/logout")
@doc("Sign out (revokes the token) 退出登录", status=204)
async def logout(request: Request) -> HTTPResponse:
    actor_of(request)
    await auth.logout(request.ctx.token)
    response = HTTPResponse(status=204)
    clear_session_cookie(response, request)
    return response


@bp.get("/me")
@doc("The signed-in user and their roles 当前用户及其角色", response=MeOut)
async def whoami(request: Request) -> HTTPResponse:
    return render(me(actor_of(request)))
