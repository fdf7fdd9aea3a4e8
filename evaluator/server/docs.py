"""OpenAPI 3 documentation of the handlers, from the same pydantic models that parse and
render them.

``@doc(...)`` records an operation for sanic-ext: an operationId (the handler's name),
summary, the request body and query parameters, the success response and the problem
responses. Pydantic models become ``#/components/schemas/<Model>`` components, their JSON
Schema rewritten for OpenAPI 3.0 (``nullable`` instead of a ``null`` type, boolean
exclusive bounds), so client generators can use the document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import SpecificationBuilder
from sanic_ext.extensions.openapi.definitions import Reference, RequestBody, Response
from sanic_ext.extensions.openapi.types import Schema

from evaluator.server.errors import PROBLEM_JSON
from evaluator.server.models import ProblemDocument

F = TypeVar("F", bound=Callable)
REF = "#/components/schemas/{model}"

NOT_MODIFIED = "Not modified: the JSON answer whose ETag you sent is current 未变化"
PROBLEM_TEXT = {
    400: "Bad request 请求无效",
    401: "Not signed in, or the session expired 未登录或会话已过期",
    403: "Not allowed for this role 当前角色无权操作",
    404: "Not found, or not visible to you 未找到或无权查看",
    409: "Stale version, duplicate, illegal transition or too early 版本过期、重复、状态不允许或时间未到",
    413: "Too large 文件过大",
    415: "Unsupported media type 不支持的内容类型",
    422: "Invalid input, every problem located 输入无效（逐项定位）",
    423: "Locked (approved round) 已锁定（已审定的轮次）",
    428: "Version required (If-Match) 缺少版本号",
    429: "Too many attempts 尝试次数过多",
    503: "Database not ready 数据库未就绪",
}


class RawSchema(Schema):
    """A JSON Schema given as a plain dict, serialised as it is."""

    def __init__(self, value: dict):
        super().__init__()
        self._raw = value

    def serialize(self) -> dict:
        return self._raw


def openapi30(node: Any) -> Any:
    """Pydantic's JSON Schema (2020-12) in the OpenAPI 3.0 dialect."""
    if isinstance(node, list):
        return [openapi30(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: openapi30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if options and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del node[key]
            if len(rest) == 1 and "$ref" not in rest[0]:
                node = {**rest[0], **node}
            else:
                node[key if len(rest) > 1 else "allOf"] = rest
            node["nullable"] = True
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node.get(bound), bool):
            node[plain], node[bound] = node[bound], True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    return node


def component(model: type[BaseModel]) -> Reference:
    """Register ``model`` (and the models it uses) as schema components; its reference."""
    spec = SpecificationBuilder()
    schema = model.model_json_schema(ref_template=REF)
    for name, definition in schema.pop("$defs", {}).items():
        spec.add_component("schemas", name, openapi30(definition))
    spec.add_component("schemas", model.__name__, openapi30(schema))
    return Reference(REF.format(model=model.__name__))


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = openapi30(model.model_json_schema(ref_template=REF))
    defs = schema.get("$defs", {})
    out = []
    for name, prop in schema.get("properties", {}).items():
        if "$ref" in prop or "allOf" in prop:  # an enum: inline it
            target = prop.get("$ref") or prop["allOf"][0]["$ref"]
            prop = {
                **defs[target.rsplit("/", 1)[-1]],
                **{k: v for k, v in prop.items() if k not in ("$ref", "allOf")},
            }
        description = prop.pop("description", None)
        prop.pop("title", None)
        out.append(
            {
                "name": name,
                "schema": RawSchema(prop),
                "location": "query",
                "required": name in schema.get("required", []),
                "description": description,
            }
        )
    return out


def _content(value: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict):
        return {
            media: (RawSchema(v) if isinstance(v, dict) else component(v))
            for media, v in value.items()
        }
    return {"application/json": component(value)}


def doc(
    summary: str,
    *,
    response: type[BaseModel] | dict[str, Any] | None = None,
    status: int | tuple[int, ...] = 200,
    body: type[BaseModel] | dict[str, Any] | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    errors: Sequence[int] = (),
    public: bool = False,
    if_match: bool = False,
    not_modified: bool = False,
    headers: dict[str, str] | None = None,
    description: str | None = None,
    tag: str | None = None,
) -> Callable[[F], F]:
    """Document one operation (see the module docstring)."""

    def wrap(func: F) -> F:
        problem = component(ProblemDocument)
        success = _content(response) if response is not None else None
        statuses = status if isinstance(status, tuple) else (status,)
        responses = [
            Response(success, status=s, description=summary)
            if success
            else Response({}, status=s, description=summary)
            for s in statuses
        ]
        if not_modified:  # a JSON answer carries an ETag; If-None-Match with it → 304
            responses.append(Response({}, status=304, description=NOT_MODIFIED))
        # 422 everywhere: the input limits (server/limits.py) hold for every path and query
        codes = set(errors) | ({401} if not public else set()) | {422}
        if if_match:
            codes |= {409, 428}
        responses += [
            Response({PROBLEM_JSON: problem}, status=code, description=PROBLEM_TEXT.get(code, ""))
            for code in sorted(codes)
        ]
        params: list[dict] = _query_parameters(query) if query is not None else []
        if if_match:
            params.append(
                {
                    "name": "If-Match",
                    "schema": RawSchema({"type": "string"}),
                    "location": "header",
                    "required": False,
                    "description": 'the ETag (version) you read, e.g. "3" 读取到的版本号',
                }
            )
        if not_modified:
            params.append(
                {
                    "name": "If-None-Match",
                    "schema": RawSchema({"type": "string"}),
                    "location": "header",
                    "required": False,
                    "description": "the ETag of the JSON answer you hold: 304 if it is still "
                    "current 持有的 ETag，未变化时返回 304",
                }
            )
        for name, text in (headers or {}).items():
            params.append(
                {
                    "name": name,
                    "schema": RawSchema({"type": "string"}),
                    "location": "header",
                    "required": False,
                    "description": text,
                }
            )
        func = openapi.definition(
            operation=func.__name__,
            summary=summary,
            description=description,
            response=responses,
            body=RequestBody(_content(body), required=body_required) if body is not None else None,
        )(func)
        for p in params:
            func = openapi.parameter(**p)(func)
        if not public:
            func = openapi.secured("bearer")(func)
            func = openapi.secured("cookie")(func)
        if tag is not None:  # else: the blueprint's name
            func = openapi.tag(tag)(func)
        return func

    return wrap
