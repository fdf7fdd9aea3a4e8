"""Register cell texts as people type them → values, each parsed on its own (no column
context): text, codes, yes/no, scores and periods here; numbers, dates and amounts are the
shared cell vocabulary of :mod:`evaluator.tables.cells`.

Every parser takes one non-empty, stripped cell text and returns the value or a
:class:`Bad` reason in English and Chinese. Full-width digits and punctuation are folded
(NFKC) first, so ``２０２５－０３－０１`` is a date and ``１２`` a number.
"""

from __future__ import annotations

import re

from evaluator.tables.cells import (
    Bad,
    invisible,
    normal,
    not_number,
    option_key,
    parse_number,
    quote,
)

TEXT_MAX = 2000
CODE_MAX = 64
TRUE_WORDS = {"是", "有", "已", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "未", "n", "no", "false", "0", "×", "✗"}
SCORE_WORDS = {"非常满意": 5, "满意": 4, "一般": 3, "不满意": 2, "非常不满意": 1}


def parse_text(text: str) -> str | Bad:
    if len(text) > TEXT_MAX:
        return Bad(f"text longer than {TEXT_MAX} characters", f"文本超过 {TEXT_MAX} 个字符")
    return text


CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*")  # registers.md: the code rule


def parse_code(text: str, example: str = "") -> str | Bad:
    """Letters, digits and ``- _ . /``, starting with a letter or digit, at most 64."""
    s = normal(text)
    if CODE.fullmatch(s) and len(s) <= CODE_MAX:
        return s
    hidden = invisible(text)
    if hidden is not None:
        return hidden
    example_en = f" (e.g. {example})" if example else ""
    example_zh = f"（例如 {example}）" if example else ""
    return Bad(
        f"{quote(text)} is not a code: use letters, digits and - _ . / only{example_en}",
        f"{quote(text)} 不是编码：只能使用字母、数字和 - _ . /{example_zh}",
    )


def parse_boolean(text: str) -> bool | Bad:
    key = option_key(text)
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    return Bad(
        f"{quote(text)} is not yes/no: write 是 or 否",
        f"{quote(text)} 不是“是/否”：请填写 是 或 否",
    )


def parse_score(text: str) -> int | Bad:
    """A whole number 1–5, or one of the five satisfaction words."""
    word = SCORE_WORDS.get(option_key(text))
    if word is not None:
        return word
    x = parse_number(text)
    if x is None and normal(text).endswith("%"):
        return Bad(
            f"{quote(text)} is a percentage: a score is a whole number 1–5 "
            "(or 非常满意, 满意, 一般, 不满意, 非常不满意)",
            f"{quote(text)} 是百分比：评分为 1–5 的整数（或 非常满意、满意、一般、不满意、非常不满意）",
        )
    if x is None:
        return not_number(text, "a score", "评分")
    if not float(x).is_integer() or not 1 <= x <= 5:
        return Bad(
            f"{quote(text)} is not a score: scores are whole numbers 1–5",
            f"{quote(text)} 不是有效评分：评分为 1–5 的整数",
        )
    return int(x)


_PERIODS = (
    (re.compile(r"(\d{4})\s*年?"), lambda m: m[1]),
    (
        re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?(?:[-/.]0?1(?:[T ]0?0:00(?::00)?)?)?"),
        lambda m: f"{m[1]}-{int(m[2]):02d}" if 1 <= int(m[2]) <= 12 else None,
    ),
    (
        re.compile(r"(\d{4})\s*(?:[-/]?\s*Q|年\s*第?\s*)([1-4])\s*(?:季度?)?", re.I),
        lambda m: f"{m[1]}-Q{m[2]}",
    ),
    (re.compile(r"(\d{4})\s*[-/]?\s*H([12])", re.I), lambda m: f"{m[1]}-H{m[2]}"),
    (re.compile(r"(\d{4})\s*年?\s*(上|下)半年"), lambda m: f"{m[1]}-H{1 if m[2] == '上' else 2}"),
)


def parse_period(text: str) -> str | Bad:
    """``2025``, ``2025-03`` (also 2025/3, 2025年3月, or an Excel date on the 1st),
    ``2025-Q1`` (2025Q1, 2025年第1季度), ``2025-H1`` (2025年上半年) → canonical text."""
    s = normal(text)
    for pattern, canonical in _PERIODS:
        m = pattern.fullmatch(s)
        if m is not None:
            value = canonical(m)
            if value is not None:
                return value
    return Bad(
        f"{quote(text)} is not a period: write 2025-03 (month), 2025-Q1 (quarter), "
        "2025-H1 (half-year) or 2025 (year)",
        f"{quote(text)} 期间格式错误：请写作 2025-03（月）、2025-Q1（季度）、2025-H1（半年）或 2025（年）",
    )
