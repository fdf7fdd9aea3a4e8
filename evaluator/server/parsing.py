"""Request input → pydantic models, every failure a located, bilingual 422 problem
(never a 500): malformed JSON names its line and column; a wrong field names its path
(``body.stations[0].targets``, ``query.per_page``). The limits of ``server.limits`` hold
first: JSON's non-standard ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's decoder
accepts), numbers too large for a double (``1e400``) or whole numbers beyond 64 bits,
control characters, nesting and list lengths are refused wherever they are, each at its
path. Also the version a write expects, from ``If-Match`` or the body."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sanic.request import Request

from evaluator.errors import InvalidInput, Problem
from evaluator.server.errors import PreconditionRequired, UnsupportedMediaType
from evaluator.server.limits import json_problems
from evaluator.systems.messages import PYDANTIC_TEXTS

M = TypeVar("M", bound=BaseModel)

TEXTS: dict[str, tuple[str, str]] = PYDANTIC_TEXTS | {
    "uuid_parsing": ("must be a UUID", "必须是 UUID"),
    "uuid_type": ("must be a UUID", "必须是 UUID"),
    "date_parsing": ("must be a date (YYYY-MM-DD)", "必须是日期（YYYY-MM-DD）"),
    "date_from_datetime_parsing": ("must be a date (YYYY-MM-DD)", "必须是日期（YYYY-MM-DD）"),
    "date_type": ("must be a date (YYYY-MM-DD)", "必须是日期（YYYY-MM-DD）"),
    "datetime_parsing": ("must be a date and time (ISO 8601)", "必须是日期时间（ISO 8601）"),
    "enum": ("must be one of {expected}", "取值必须为 {expected_zh} 之一"),
    "int_parsing": ("must be a whole number", "必须是整数"),
    "float_parsing": ("must be a number", "必须是数字"),
    "bool_parsing": ("must be true or false", "必须是 true 或 false"),
    "extra_forbidden": ("unknown field", "未知字段"),
    "missing": ("required field is missing", "缺少必填字段"),
    "string_pattern_mismatch": ("does not have the expected form", "格式不符合要求"),
    "int_parsing_size": ("is too large a whole number", "整数过大"),
}
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def _path(root: str, loc: tuple) -> str:
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


# pydantic names the member of a plain union (int | float) at the end of an error's location
_UNION_MEMBERS = {"int", "float", "str", "bool", "list", "dict", "none", "decimal"}


def validation_problems(exc: ValidationError, root: str) -> list[Problem]:
    """One problem per location (for a union, the last member's message: the most general)."""
    problems: dict[str, Problem] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        while loc and isinstance(loc[-1], str) and loc[-1] in _UNION_MEMBERS and len(loc) > 1:
            loc = loc[:-1]
        ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        if "expected" in ctx:
            ctx["expected_zh"] = ctx["expected"].replace(" or ", "、").replace(", ", "、")
        if err["type"] in TEXTS:
            en_t, zh_t = TEXTS[err["type"]]
            en, zh = en_t.format_map(_Default(ctx)), zh_t.format_map(_Default(ctx))
        else:
            en, zh = err["msg"], f"格式错误：{err['msg']}"
        path = _path(root, loc)
        problems[path] = Problem(en, zh, path=path)
    return list(problems.values())


def parse(model: type[M], data: object, root: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(validation_problems(exc, root)) from None


def json_data(request: Request) -> object:
    """The body decoded as JSON (415 for another declared type, 422 for malformed JSON)."""
    if not request.body:
        raise InvalidInput(Problem("a JSON body is required", "需要 JSON 请求体", path="body"))
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind != "application/json" and not kind.endswith("+json"):
        raise UnsupportedMediaType(
            Problem(
                f"send application/json, not {kind}",
                f"请以 application/json 发送，而非 {kind}",
                path="Content-Type",
            )
        )
    try:
        data = json.loads(request.body)
    except UnicodeDecodeError:
        raise InvalidInput(
            Problem("the body is not UTF-8", "请求体不是 UTF-8 编码", path="body")
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            Problem(
                f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                f"请求体不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列",
                file="body",
                line=exc.lineno,
                column=str(exc.colno),
            )
        ) from None
    except (ValueError, RecursionError):  # a whole number of > 4300 digits; absurd nesting
        raise InvalidInput(
            Problem(
                "the body is not acceptable JSON: a number too long or nesting too deep",
                "请求体不是可接受的 JSON：数字过长或嵌套过深",
                path="body",
            )
        ) from None
    problems = json_problems(data, "body")
    if problems:
        raise InvalidInput(problems)
    return data


def body(request: Request, model: type[M], *, required: bool = True) -> M:
    """The JSON body as ``model``; with ``required=False`` an empty body is ``model()``."""
    if not required and not request.body:
        return parse(model, {}, "body")
    return parse(model, json_data(request), "body")


def file_body(request: Request) -> bytes:
    """A file sent as the whole body (a workbook, a register): its bytes, as many as the
    server's request size limit lets in (413 beyond); the reader of its kind checks them."""
    return request.body or b""


async def body_chunks(request: Request) -> AsyncIterator[bytes]:
    """A streamed body (evidence uploads), chunk by chunk; the caller counts the bytes."""
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return
        if chunk:
            yield chunk


def yaml_text(request: Request, file: str) -> str:
    """The body of a YAML upload as text (UTF-8; the problem names the file otherwise)."""
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            Problem("the YAML is not UTF-8", "YAML 不是 UTF-8 编码", file=file)
        ) from None


def query(request: Request, model: type[M]) -> M:
    """Query-string parameters (a repeated key keeps its last value)."""
    data = {key: values[-1] for key, values in request.args.items()}
    return parse(model, data, "query")


def if_none_match(request: Request) -> str | None:
    """The entity tags a client holds (``If-None-Match``), as sent; None when absent."""
    return request.headers.get("if-none-match")


def expected_version(request: Request, in_body: int | None = None) -> int:
    """The version the client read: ``If-Match: "3"`` or ``version`` in the body (428 when
    neither is given; 422 when they disagree)."""
    header = request.headers.get("if-match")
    from_header = None
    if header is not None:
        match = _IF_MATCH.match(header)
        if match is None:
            raise InvalidInput(
                Problem(
                    'If-Match must be the ETag you read, e.g. "3"',
                    'If-Match 须为读取到的 ETag，例如 "3"',
                    path="If-Match",
                )
            )
        from_header = int(match.group(1))
    if from_header is not None and in_body is not None and from_header != in_body:
        raise InvalidInput(
            Problem("If-Match and version disagree", "If-Match 与 version 不一致", path="version")
        )
    version = from_header if from_header is not None else in_body
    if version is None:
        raise PreconditionRequired(
            Problem(
                'send the version you read: If-Match: "<version>" or "version" in the body',
                '请提供读取到的版本号：If-Match: "<版本>" 或请求体中的 version',
                path="If-Match",
            )
        )
    return version


def optional_version(request: Request, in_body: int | None = None) -> int | None:
    """Like ``expected_version`` but None when neither is given (create instead of overwrite)."""
    if request.headers.get("if-match") is None and in_body is None:
        return None
    return expected_version(request, in_body)


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "?"
