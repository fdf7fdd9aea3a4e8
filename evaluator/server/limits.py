"""The limits every request input meets before any service runs, the same on both
databases (docs/api.md, "Input limits"): no control character but tab, line feed and
carriage return in any text (PostgreSQL refuses NUL where SQLite would store it); JSON
nested at most ``MAX_DEPTH`` levels, lists of at most ``MAX_ITEMS`` items, texts of at most
``MAX_TEXT`` characters, numbers finite and whole numbers within a signed 64-bit integer.
Each breach is a located, bilingual problem (``body.rows[3].comment``, ``query.page``,
``path``)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from urllib.parse import unquote

from evaluator.errors import InvalidInput, Problem

MAX_DEPTH = 32
MAX_ITEMS = 100_000
MAX_TEXT = 2_000_000  # an indicator system's YAML sent as JSON {text} fits
INT64 = (-(2**63), 2**63 - 1)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_problem(text: str, path: str) -> Problem | None:
    """A problem naming the first control character of ``text`` (U+0000 …), or None."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    return Problem(
        f"contains the control character {code} at position {found.start() + 1}",
        f"含有控制字符 {code}（第 {found.start() + 1} 个字符）",
        path=path,
    )


def json_problems(data: object, root: str) -> list[Problem]:
    """Every breach of the limits in decoded JSON, each at its path."""
    problems: list[Problem] = []
    stack: list[tuple[object, str, int]] = [(data, root, 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, str):
            problems += _text_problems(value, path)
        elif isinstance(value, int):
            if not INT64[0] <= value <= INT64[1]:
                problems.append(
                    Problem(
                        "is too large a whole number (beyond 64 bits)",
                        "整数过大（超出 64 位整数范围）",
                        path=path,
                    )
                )
        elif isinstance(value, float):
            if not math.isfinite(value):
                problems.append(
                    Problem(
                        "must be a finite number (NaN and Infinity are not numbers)",
                        "必须是有限数值（NaN 与 Infinity 不是数字）",
                        path=path,
                    )
                )
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                problems.append(
                    Problem(
                        f"is nested more than {MAX_DEPTH} levels deep",
                        f"嵌套超过 {MAX_DEPTH} 层",
                        path=path,
                    )
                )
                continue
            if len(value) > MAX_ITEMS:
                problems.append(
                    Problem(
                        f"has more than {MAX_ITEMS} items",
                        f"超过 {MAX_ITEMS} 项",
                        path=path,
                    )
                )
                continue
            if isinstance(value, dict):
                for key, item in value.items():
                    problems += _text_problems(str(key), f"{path}.{key}")
                    stack.append((item, f"{path}.{key}", depth + 1))
            else:
                stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
    return sorted(problems, key=lambda p: p.path or "")


def _text_problems(text: str, path: str) -> list[Problem]:
    if len(text) > MAX_TEXT:
        return [
            Problem(f"is longer than {MAX_TEXT} characters", f"超过 {MAX_TEXT} 个字符", path=path)
        ]
    problem = control_problem(text, path)
    return [problem] if problem else []


def texts_problems(pairs: Iterable[tuple[str, str]]) -> list[Problem]:
    """(path, text) pairs — query parameters, form fields — checked as texts."""
    return [p for path, text in pairs for p in _text_problems(text, path)]


def query_number_problems(args: dict[str, list[str]]) -> list[Problem]:
    """Query parameters written as whole numbers beyond 64 bits (``?page=2**70``)."""
    return [
        Problem(
            "is too large a whole number (beyond 64 bits)",
            "整数过大（超出 64 位整数范围）",
            path=f"query.{key}",
        )
        for key, values in args.items()
        for v in values
        if _WHOLE.match(v) and not INT64[0] <= int(v[:40]) <= INT64[1]
    ]


_WHOLE = re.compile(r"^\s*[+-]?\d+\s*$")


def check_request_texts(path: str, args: dict[str, list[str]], form: dict | None) -> None:
    """The request's path (percent-decoded), query parameters and form fields: no control
    characters, no overlong text (422 at ``path``, ``query.<name>``, ``form.<name>``)."""
    pairs = [("path", unquote(path))]
    for key, values in args.items():
        pairs += [(f"query.{key}", key)] + [(f"query.{key}", v) for v in values]
    for key, values in (form or {}).items():
        pairs += [(f"form.{key}", key)] + [(f"form.{key}", v) for v in values]
    problems = texts_problems(pairs) + query_number_problems(args)
    if problems:
        raise InvalidInput(problems)
