"""The one mapping of errors to RFC 7807 ``application/problem+json`` responses.

Domain errors carry located, bilingual problems and map to a status by class; sanic's own
errors (no route, wrong method, body too large, malformed request) become problems too;
anything else is a 500 whose body names no internals — the traceback goes to the server
log with a reference the response repeats.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import traceback
import uuid

from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.decisions.schedule_files import ScheduleInvalid
from evaluator.errors import (
    AlreadyExists,
    AuthFailed,
    CalendarError,
    ConflictError,
    DatabaseNotReady,
    EvaluatorError,
    InvalidInput,
    LockedError,
    NotFound,
    Overlap,
    PermissionDenied,
    Problem,
    StateError,
    StoredSystemAltered,
    SystemInvalid,
    Throttled,
    TooEarly,
    TooLarge,
)

PROBLEM_BASE = "https://evaluator.example/problems/"
PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("evaluator.server")


class PreconditionRequired(EvaluatorError):
    """A write to a versioned object without the version the client read."""

    title_en = "Version required"
    title_zh = "缺少版本号"


class UnsupportedMediaType(EvaluatorError):
    title_en = "Unsupported media type"
    title_zh = "不支持的内容类型"


# domain error class → (status, slug); the most specific class of an error wins
DOMAIN: dict[type[EvaluatorError], tuple[int, str]] = {
    SystemInvalid: (422, "invalid-system"),
    ScheduleInvalid: (422, "invalid-schedule"),
    TooLarge: (413, "too-large"),
    InvalidInput: (422, "invalid-input"),
    AlreadyExists: (409, "already-exists"),
    Overlap: (409, "overlapping-link"),
    ConflictError: (409, "conflict"),
    StateError: (409, "illegal-transition"),
    LockedError: (423, "locked"),
    PermissionDenied: (403, "forbidden"),
    NotFound: (404, "not-found"),
    AuthFailed: (401, "unauthenticated"),
    Throttled: (429, "too-many-attempts"),
    PreconditionRequired: (428, "version-required"),
    UnsupportedMediaType: (415, "unsupported-media-type"),
    DatabaseNotReady: (503, "database-not-ready"),
    StoredSystemAltered: (500, "stored-system-altered"),
    CalendarError: (422, "outside-calendar"),
    TooEarly: (409, "too-early"),
    EvaluatorError: (400, "bad-request"),
}

# sanic's own errors, by status: slug, English and Chinese title, default problem
HTTP: dict[int, tuple[str, str, str, str, str]] = {
    400: ("bad-request", "Bad request", "请求无效", "the request is malformed", "请求格式错误"),
    401: ("unauthenticated", "Authentication failed", "身份验证失败", "sign in first", "请先登录"),
    403: ("forbidden", "Permission denied", "无权操作", "not allowed", "不允许此操作"),
    404: ("not-found", "Not found", "未找到", "no such resource", "没有该资源"),
    405: (
        "method-not-allowed",
        "Method not allowed",
        "不允许的请求方法",
        "this method is not allowed here",
        "此处不允许该请求方法",
    ),
    408: (
        "request-timeout",
        "Request timeout",
        "请求超时",
        "the request took too long to arrive",
        "请求接收超时",
    ),
    413: (
        "too-large",
        "Too large",
        "请求体过大",
        "the request body is too large",
        "请求体超过上限",
    ),
    416: (
        "range-not-satisfiable",
        "Range not satisfiable",
        "请求范围无效",
        "the requested range is not available",
        "请求的范围不可用",
    ),
    500: (
        "internal-error",
        "Internal error",
        "内部错误",
        "the server failed; the error was logged",
        "服务器内部错误，已记录日志",
    ),
    503: (
        "unavailable",
        "Service unavailable",
        "服务不可用",
        "the service is unavailable",
        "服务暂不可用",
    ),
}

STATUS_SLUGS: dict[int, str] = {status: slug for status, slug in DOMAIN.values()} | {
    s: v[0] for s, v in HTTP.items()
}


def problem_body(
    status: int,
    slug: str,
    title_en: str,
    title_zh: str,
    problems: list[Problem],
    instance: str | None,
) -> dict:
    return {
        "type": PROBLEM_BASE + slug,
        "title": title_en,
        "title_zh": title_zh,
        "status": status,
        "detail": "; ".join(str(p) for p in problems),
        "problems": [p.as_dict() for p in problems],
        "instance": instance,
    }


def problem_response(
    status: int, body: dict, headers: dict[str, str] | None = None
) -> HTTPResponse:
    text = json.dumps(body, ensure_ascii=False)
    return HTTPResponse(text, status=status, headers=headers, content_type=PROBLEM_JSON)


def domain_problem(exc: EvaluatorError, instance: str | None) -> HTTPResponse:
    status, slug = next(DOMAIN[c] for c in type(exc).__mro__ if c in DOMAIN)
    headers: dict[str, str] = {}
    if isinstance(exc, Throttled):
        headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="evaluator"'
    if status >= 500:
        log.log(
            logging.WARNING if status == 503 else logging.ERROR,
            "%s on %s: %s",
            type(exc).__name__,
            instance,
            scrub(str(exc)),
        )
    return problem_response(
        status,
        problem_body(status, slug, exc.title_en, exc.title_zh, exc.problems, instance),
        headers,
    )


def http_problem(
    exc: SanicException, request: Request | None, instance: str | None
) -> HTTPResponse:
    status = (
        exc.status_code if exc.status_code in HTTP else (500 if exc.status_code >= 500 else 400)
    )
    slug, title_en, title_zh, en, zh = HTTP[status]
    headers = {
        k: v
        for k, v in (getattr(exc, "headers", None) or {}).items()
        if k.lower() in ("allow", "retry-after")
    }
    if status == 405 and request is not None:
        allowed = headers.get("Allow") or headers.get("allow") or ""
        en = f"{request.method} is not allowed here" + (f"; allowed: {allowed}" if allowed else "")
        zh = f"此处不允许 {request.method} 请求" + (f"；允许：{allowed}" if allowed else "")
    elif status == 404 and request is not None:
        en, zh = f"no such resource: {request.path}", f"没有该资源：{request.path}"
    elif status == 503 and request is not None:
        log.warning("%s on %s: %s", type(exc).__name__, instance, scrub(str(exc)))
        en, zh = (
            f"the server did not answer in time: {scrub(str(exc))}; try again later",
            f"服务器未能及时响应：{scrub(str(exc))}；请稍后再试",
        )
    elif status >= 500:
        log.error("%s on %s: %s", type(exc).__name__, instance, scrub(str(exc)))
    return problem_response(
        status, problem_body(status, slug, title_en, title_zh, [Problem(en, zh)], instance), headers
    )


_SECRETS = (
    (re.compile(r"(://[^:/@\s]+):[^@\s]*@"), r"\1:***@"),  # passwords in URLs
    (re.compile(r"(?i)(bearer\s+)[\w\-.~+/=]+"), r"\1***"),  # tokens
)


def scrub(text: str) -> str:
    """A log text without the secrets an exception message may carry."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def internal_problem(exc: BaseException, instance: str | None) -> HTTPResponse:
    reference = uuid.uuid4().hex[:12]
    trace = scrub("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    log.error("internal error %s on %s\n%s", reference, instance, trace)
    slug, title_en, title_zh, en, zh = HTTP[500]
    problem = Problem(f"{en} (reference {reference})", f"{zh}（编号 {reference}）")
    return problem_response(500, problem_body(500, slug, title_en, title_zh, [problem], instance))


class ProblemHandler(ErrorHandler):
    """Every error a request can meet, as problem+json."""

    def default(self, request: Request, exception: BaseException) -> HTTPResponse:
        instance = request.path if request is not None else None
        if isinstance(exception, EvaluatorError):
            return domain_problem(exception, instance)
        if isinstance(exception, SanicException) and (
            exception.status_code < 500 or exception.status_code == 503
        ):
            # 503 included: sanic's response timeout is the server being too slow, not a
            # failure of the code (the province load test had it answer 500)
            return http_problem(exception, request, instance)
        if isinstance(exception, asyncio.CancelledError):
            # the client went away (sanic's RequestCancelled): nobody reads the answer, and
            # nothing failed
            log.info("request cancelled by the client on %s", instance)
            return problem_response(
                503, problem_body(503, *HTTP[503][:3], [Problem(*HTTP[503][3:])], instance)
            )
        return internal_problem(exception, instance)
