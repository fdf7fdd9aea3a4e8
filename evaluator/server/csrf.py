"""Cross-site request forgery: a state-changing request that a browser authenticates with the
session cookie must prove it comes from our own pages.

- **Origin check**: an ``Origin`` (or, without it, a ``Referer``) naming another site is
  refused — for every unsafe method, the sign-in included;
- **synchronizer token**: the request carries ``X-CSRF-Token`` (scripts) or a ``csrf`` form
  field (plain forms) equal to the session's CSRF token, a keyed digest of the session token
  that only our pages (and the sign-in answer) reveal. A cross-site form can send the cookie
  but cannot know the token.

Requests authenticated by ``Authorization: Bearer`` carry no ambient credential and are not
checked (a script on another site cannot read the token). SameSite=Strict on the cookie is a
third line, not the only one.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from sanic.request import Request

from evaluator.errors import PermissionDenied, Problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEADER = "x-csrf-token"
FIELD = "csrf"


def token_for(session_token: str) -> str:
    """The CSRF token of a session: derived from the (secret, HttpOnly) session token."""
    return hmac.new(session_token.encode(), b"evaluator-csrf-v1", hashlib.sha256).hexdigest()


def _own_origin(request: Request) -> str:
    return f"{request.scheme}://{request.host}"


def foreign_origin(request: Request) -> str | None:
    """The other site a request says it comes from (Origin, else Referer), or None."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return None
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin == "null" or origin.rstrip("/") != _own_origin(request):
        return origin
    return None


def check(request: Request, via_cookie: bool) -> None:
    """Refuse a forged unsafe request (403 problem); safe methods pass."""
    if request.method in SAFE_METHODS:
        return
    other = foreign_origin(request)
    if other is not None:
        raise PermissionDenied(
            Problem(
                f"a request from another site ({other}) may not change anything here",
                f"来自其他站点（{other}）的请求不能修改数据",
                path="origin",
            )
        )
    token = getattr(request.ctx, "token", None)
    if not via_cookie or not token:
        return
    sent = request.headers.get(HEADER) or _form_field(request)
    if not sent or not hmac.compare_digest(sent, token_for(token)):
        raise PermissionDenied(
            Problem(
                "the CSRF token is missing or wrong: reload the page and try again",
                "缺少或错误的 CSRF 令牌：请刷新页面后重试",
                path="csrf",
            )
        )


def _form_field(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    try:
        return request.form.get(FIELD)
    except Exception:  # an unreadable form has no token
        return None
