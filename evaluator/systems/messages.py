"""Turn pydantic's validation errors into located, bilingual problems."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from evaluator.errors import Problem
from evaluator.systems.schema import AT, METHODS, NODE_TAGS, SEP
from evaluator.systems.yamlsrc import Located

# pydantic error type → (English, Chinese); {ctx} fields are filled from the error's context
_TEXTS: dict[str, tuple[str, str]] = {
    "missing": ("required key is missing", "缺少必填项"),
    "extra_forbidden": ("unknown key", "未知的键"),
    "float_type": ("must be a number", "必须是数字"),
    "float_parsing": ("must be a number", "必须是数字"),
    "int_type": ("must be a whole number", "必须是整数"),
    "int_from_float": ("must be a whole number", "必须是整数"),
    "string_type": ("must be text", "必须是文本"),
    "bool_type": ("must be true or false", "必须是 true 或 false"),
    "list_type": ("must be a list", "必须是列表"),
    "dict_type": ("must be a mapping of keys to values", "必须是键值映射"),
    "model_type": ("must be a mapping of keys to values", "必须是键值映射"),
    "model_attributes_type": ("must be a mapping of keys to values", "必须是键值映射"),
    "literal_error": ("must be one of {expected}", "取值必须为 {expected_zh} 之一"),
    "greater_than": ("must be greater than {gt}", "必须大于 {gt}"),
    "greater_than_equal": ("must be at least {ge}", "必须不小于 {ge}"),
    "less_than": ("must be less than {lt}", "必须小于 {lt}"),
    "less_than_equal": ("must be at most {le}", "必须不大于 {le}"),
    "string_pattern_mismatch": (
        "must start with a letter or digit and use only letters, digits, '.', '-', '_'",
        "只能以字母或数字开头，并只含字母、数字、“.”“-”“_”",
    ),
    "string_too_short": ("must not be empty", "不能为空"),
    "string_too_long": (
        "is too long (at most {max_length} characters)",
        "过长（最多 {max_length} 个字符）",
    ),
    "too_short": ("needs at least {min_length} entry (or more)", "至少需要 {min_length} 项"),
    "too_long": ("allows at most {max_length} entries", "最多允许 {max_length} 项"),
    "finite_number": ("must be a finite number", "必须是有限数值"),
    "none_required": ("is not allowed here", "此处不允许出现该键"),
    "union_tag_invalid": (
        "unknown method {tag}; known methods: {expected_tags}",
        "未知的计分方法 {tag}；可用方法：{expected_tags}",
    ),
    "union_tag_not_found": (
        "a node needs either children (a group) or method (a leaf)",
        "指标须给出 children（分组）或 method（末级指标）之一",
    ),
}
PYDANTIC_TEXTS = _TEXTS  # shared with the HTTP API's request validation (evaluator.server.parsing)


def _clean_loc(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Drop the union tag pydantic inserts after a list index (tree[0].checklist.items)."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(part, str) and part in NODE_TAGS and i > 0 and isinstance(loc[i - 1], int):
            continue
        out.append(part)
    return tuple(out)


def pydantic_problems(
    exc: ValidationError, doc: Located, prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = (*prefix, *_clean_loc(tuple(err["loc"])))
        kind = err["type"]
        ctx = {k: _show(v) for k, v in (err.get("ctx") or {}).items()}
        if "expected" in ctx:
            ctx["expected_zh"] = ctx["expected"].replace(" or ", "、").replace(", ", "、")
        if kind == "value_error" and "error" in (err.get("ctx") or {}):
            text = str(err["ctx"]["error"])
            if AT in text:
                key, _, text = text.partition(AT)
                loc = (*loc, key)
            en, _, zh = text.partition(SEP)
            zh = zh or en
        elif kind in _TEXTS:
            en_t, zh_t = _TEXTS[kind]
            en, zh = en_t.format_map(_Default(ctx)), zh_t.format_map(_Default(ctx))
        else:
            en, zh = err["msg"], f"格式错误：{err['msg']}"
        if kind == "union_tag_invalid":
            loc = (*loc, "method")
            ctx["expected_tags"] = ", ".join(METHODS)
            en, zh = (t.format_map(_Default(ctx)) for t in _TEXTS[kind])
        if kind == "none_required" and loc and loc[-1] == "method":
            en = "a node has both children and method; a group has children, a leaf has method"
            zh = "同时给出了 children 与 method：分组用 children，末级指标用 method"
        problems.append(doc.problem(loc, en, zh))
    return problems


def _show(value: object) -> str:
    if isinstance(value, str):
        return value
    return str(value)


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"
