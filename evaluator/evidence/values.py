"""Cell texts as people type them → values, each parsed on its own (no column context).

Every parser takes one non-empty, stripped cell text and returns the value or a
:class:`Bad` reason in English and Chinese. Full-width digits and punctuation are folded
(NFKC) first, so ``２０２５－０３－０１`` is a date and ``１２`` a number.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from evaluator.tables.read import parse_number

DATE_MIN = dt.date(1950, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
TEXT_MAX = 2000
CODE_MAX = 64
TRUE_WORDS = {"是", "有", "已", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "未", "n", "no", "false", "0", "×", "✗"}
SCORE_WORDS = {"非常满意": 5, "满意": 4, "一般": 3, "不满意": 2, "非常不满意": 1}


@dataclass(frozen=True)
class Bad:
    """Why one cell text is not a valid value, in English and Chinese."""

    en: str
    zh: str


def normal(text: str) -> str:
    """NFKC (full-width digits and punctuation folded), stripped."""
    return unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")


def code_key(code: str) -> str:
    """A code as compared (NFKC, trimmed, case-folded): ``ＳＴ０１``, `` st01 `` and ``ST01``
    are one station. The same normalisation fills ``station.code_key`` (migration 0006)."""
    return unicodedata.normalize("NFKC", code).strip().casefold()


def option_key(text: str) -> str:
    return "".join(normal(text).split()).casefold()


def quote(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "…"
    return '"' + shown.replace("\n", " ") + '"'


_NUMBER_PART = re.compile(
    r"(?P<pre>[^\d+\-.]*?)\s*(?P<num>[+-]?(?:\d[\d,]*(?:\.\d+)?|\.\d+))\s*(?P<post>\D*?)"
)


def unit_hint(text: str) -> Bad | None:
    """``12人``, ``3.5小时``, ``¥1,200``: a number with a unit or word around it."""
    m = _NUMBER_PART.fullmatch(normal(text))
    if m is None or not (m["pre"] or m["post"]) or parse_number(m["num"]) is None:
        return None
    return Bad(
        f"{quote(text)} is a number with a unit: write only the number ({m['num']})",
        f"{quote(text)} 是带单位的数字：只填写数字（{m['num']}）",
    )


def not_number(text: str, what_en: str = "a number", what_zh: str = "数字") -> Bad:
    return unit_hint(text) or Bad(f"{quote(text)} is not {what_en}", f"{quote(text)} 不是{what_zh}")


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
    example_en = f" (e.g. {example})" if example else ""
    example_zh = f"（例如 {example}）" if example else ""
    return Bad(
        f"{quote(text)} is not a code: use letters, digits and - _ . / only{example_en}",
        f"{quote(text)} 不是编码：只能使用字母、数字和 - _ . /{example_zh}",
    )


_DATE = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?)"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)


def parse_date(text: str) -> dt.date | Bad:
    s = normal(text)
    m = _DATE.fullmatch(s)
    if m is None:
        if re.fullmatch(r"\d{5}(?:\.0+)?", s) and 20000 <= float(s) <= 80000:
            return Bad(
                f"{quote(text)} is not a date (it looks like an Excel date serial number: "
                "format the cells as dates)",
                f"{quote(text)} 日期格式错误（像是 Excel 日期序号：请把单元格格式设为日期）",
            )
        return Bad(
            f"{quote(text)} is not a date: write dates as 2025-03-01",
            f"{quote(text)} 日期格式错误，请写作 2025-03-01",
        )
    y = int(m["y"])
    mo = int(m["m"] or m["m2"])
    d = int(m["d"] or m["d2"])
    try:
        value = dt.date(y, mo, d)
    except ValueError:
        return Bad(f"{quote(text)} is not a date", "日期格式错误")
    if not DATE_MIN <= value <= DATE_MAX:
        return Bad(
            f"{quote(text)} is out of range: dates must be {DATE_MIN.year}–{DATE_MAX.year}",
            f"{quote(text)} 超出范围：日期须在 {DATE_MIN.year}–{DATE_MAX.year} 年之间",
        )
    return value


_MONEY = re.compile(r"(?P<sign>[+-]?)(?P<int>\d+|\d{1,3}(?:,\d{3})+|)(?:\.(?P<frac>\d+))?")


def parse_fen(text: str) -> int | Bad:
    """Yuan text → integer fen, exactly (no float on the way): ``"1,234.56"`` → 123456.

    At most two decimals; zeros beyond them are fine (``12.500``), and so is the binary
    noise of a spreadsheet formula (``0.30000000000000004``: ≥ 10 decimals within 1e-6 fen
    of a whole fen), which is rounded to the fen.
    """
    s = normal(text)
    m = _MONEY.fullmatch(s)
    if m is None or not (m["int"] or m["frac"]):
        return not_number(text, "an amount", "金额")
    frac = m["frac"] or ""
    fen = int(m["int"].replace(",", "") or "0") * 100 + int((frac[:2]).ljust(2, "0"))
    rest = frac[2:]
    if rest.strip("0"):
        exact = Decimal(f"{m['int'].replace(',', '') or '0'}.{frac}") * 100
        nearest = exact.to_integral_value()
        if len(frac) >= 10 and abs(exact - nearest) < Decimal("1e-6"):
            fen = int(nearest)
        else:
            return Bad(
                f"{quote(text)} has more than 2 decimals: amounts are in yuan to the fen (0.01)",
                f"{quote(text)} 超过两位小数：金额以元为单位，精确到分（0.01）",
            )
    return -fen if m["sign"] == "-" else fen


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
