"""Who is calling: a session token from ``Authorization: Bearer …`` or the
``evaluator_session`` cookie (HttpOnly, SameSite=Strict, Secure over https).

A request middleware puts the actor on ``request.ctx.actor`` (None when anonymous). Every
route under ``/api/`` needs an actor (401 otherwise) unless its handler is marked
``@public``: secure by default, so a new endpoint cannot be left open by forgetting a
decorator. Tokens are never logged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator import clock
from evaluator.errors import Problem
from evaluator.server import csrf, limits
from evaluator.services import auth
from evaluator.services.actors import Actor

COOKIE = "evaluator_session"
API_PREFIX = "api/"
F = TypeVar("F", bound=Callable)


def public(handler: F) -> F:
    """Mark a handler under /api/ that anonymous callers may reach (login)."""
    handler.is_public = True  # type: ignore[attr-defined]
    return handler


def bearer_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_from(request: Request) -> str | None:
    return bearer_token(request) or request.cookies.get(COOKIE) or None


def _needs_actor(request: Request) -> bool:
    route = request.route
    return (
        route is not None
        and route.path.startswith(API_PREFIX)
        and not getattr(route.handler, "is_public", False)
    )


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def check_inputs(request: Request) -> None:
    """Request middleware: the path, the query and a page's form fields within the limits
    of ``server.limits`` (no control characters, no overlong text, no whole number beyond
    64 bits in the query) — before any session is looked up."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    streamed = request.route is not None and getattr(request.route.extra, "stream", False)
    form = request.form if kind in _FORMS and not streamed and request.body else None
    limits.check_request_texts(request.path, request.args, form)


async def attach_actor(request: Request) -> None:
    """Request middleware: resolve the session; refuse anonymous calls to protected routes."""
    token = token_from(request)
    request.ctx.token = token
    request.ctx.actor = await auth.authenticate(token) if token else None
    # a browser's cookie is an ambient credential: unsafe requests prove they are ours (the
    # sign-in, public, is checked for its origin only: a stale cookie must not stop it)
    public_route = request.route is not None and getattr(request.route.handler, "is_public", False)
    csrf.check(
        request,
        via_cookie=bearer_token(request) is None
        and request.ctx.actor is not None
        and not public_route,
    )
    if request.ctx.actor is None and _needs_actor(request):
        if token:
            raise auth.AuthFailed(
                Problem(
                    "the session is invalid, expired or signed out; sign in again",
                    "会话无效、已过期或已退出，请重新登录",
                )
            )
        raise auth.AuthFailed(
            Problem(
                "sign in first: send Authorization: Bearer <token> or the session cookie",
                "请先登录：发送 Authorization: Bearer <令牌> 或会话 Cookie",
            )
        )


def actor_of(request: Request) -> Actor:
    """The signed-in actor of a request (401 problem when there is none)."""
    actor = getattr(request.ctx, "actor", None)
    if actor is None:
        raise auth.AuthFailed(Problem("sign in first", "请先登录"))
    return actor


def client_address(request: Request) -> str:
    """The caller's address for login throttling (the proxy-reported one when configured)."""
    return request.remote_addr or request.ip or ""


def secure_cookie(request: Request) -> bool:
    """Secure when the request came over https: directly, or through a proxy sanic trusts
    (``SANIC_PROXIES_COUNT`` / ``SANIC_FORWARDED_SECRET``); ``SANIC_SESSION_COOKIE_SECURE=true``
    forces it."""
    return request.scheme == "https" or bool(request.app.config.get("SESSION_COOKIE_SECURE", False))


def set_session_cookie(
    response: HTTPResponse, request: Request, token: str, expires: dt.datetime
) -> None:
    response.add_cookie(
        COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure_cookie(request),
        expires=expires,
        max_age=max(0, int((expires - clock.now()).total_seconds())),
    )


def clear_session_cookie(response: HTTPResponse, request: Request) -> None:
    """Expire the cookie (same attributes as when it was set, value emptied)."""
    response.add_cookie(
        COOKIE,
        "",
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure_cookie(request),
        max_age=0,
        expires=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    )
