"""The one cell vocabulary: how a cell text people typed reads as a number, an amount, a
date or a percentage, wherever it comes from (a register, the offline ``evaluator score``
input, an indicator table).

Full-width digits and punctuation are folded (NFKC) first, and the Unicode minus signs
(``−3``, ``－3``) read as ``-``: ``１２．５`` is 12.5 and ``２０２５－０３－０１`` a date.
Parsers take one non-empty, stripped cell text; those that explain a refusal return a
:class:`Bad` reason in English and Chinese, the others ``None``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

DATE_MIN = dt.date(1950, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)


@dataclass(frozen=True)
class Bad:
    """Why one cell text is not a valid value, in English and Chinese."""

    en: str
    zh: str


def normal(text: str) -> str:
    """NFKC (full-width digits and punctuation folded), stripped, ``−`` read as ``-``."""
    return unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")


def code_key(code: str) -> str:
    """A code as compared (NFKC, trimmed, case-folded): ``ＳＴ０１``, `` st01 `` and ``ST01``
    are one station. The same normalisation fills ``station.code_key`` (migration 0006)."""
    return unicodedata.normalize("NFKC", code).strip().casefold()


def option_key(text: str) -> str:
    """A listed option or word as compared: normalised, no whitespace, case-folded."""
    return "".join(normal(text).split()).casefold()


def invisible(text: str) -> Bad | None:
    """A character that cannot be seen (zero-width space U+200B, a byte-order mark, a
    control character…), named with its position — or None. Ordinary and full-width
    spaces are visible enough and not named."""
    for i, ch in enumerate(text, start=1):
        if unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cn") and ch not in "\t\n\r":
            name = unicodedata.name(ch, "unnamed").lower()
            code = f"U+{ord(ch):04X}"
            return Bad(
                f"{quote(text)} contains the invisible character {code} ({name}) at "
                f"position {i}: delete it",
                f"{quote(text)} 第 {i} 个字符是看不见的字符 {code}（{name}）：请删除",
            )
    return None


def quote(text: str) -> str:
    """A cell text as a message shows it: quoted, on one line, at most 40 characters."""
    shown = text if len(text) <= 40 else text[:37] + "…"
    return '"' + shown.replace("\n", " ") + '"'


# --- numbers -------------------------------------------------------------------------------

_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def parse_number(text: str | None) -> float | None:
    """Parse a number as people type it, or return ``None``.

    Accepts ``12``, ``-12.5``, ``−3``, ``1,234.5`` (thousands commas), ``1e3`` and full-width
    digits (``１２．５``). Rejects text with units or words (``12 人``, ``abc``),
    ``nan``/``inf``, misplaced commas (``1,23``) and empty cells. A number too large for a
    float reads as ±inf (see :func:`finite_number`).
    """
    if text is None:
        return None
    s = normal(str(text))
    if _PLAIN.fullmatch(s):
        return float(s)
    if _GROUPED.fullmatch(s):
        return float(s.replace(",", ""))
    return None


def finite_number(text: str | None) -> float | None:
    """:func:`parse_number`, refusing what is too large for a float (``1e400``) too."""
    x = parse_number(text)
    return x if x is not None and math.isfinite(x) else None


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
    """Why ``text`` is not a number: a unit around it, or not a number at all."""
    return unit_hint(text) or Bad(f"{quote(text)} is not {what_en}", f"{quote(text)} 不是{what_zh}")


def number_reason(text: str) -> Bad:
    """Why a cell is not a value of a number column, said as precisely as the text allows:
    an invisible character, a percentage, a unit, a number beyond a double, or a word."""
    hidden = invisible(text)
    if hidden is not None:
        return hidden
    s = normal(text)
    if s.endswith("%") and parse_number(s[:-1].strip()) is not None:
        return Bad(
            f"{quote(text)} is a percentage: write a plain number (a share as 0.8, a count "
            "or a level as it is)",
            f"{quote(text)} 是百分比：请填写数字（比例写作 0.8，数量或等级照写）",
        )
    x = parse_number(text)
    if x is not None and not math.isfinite(x):
        return Bad(
            f"{quote(text)} is not a finite number (too large for a double)",
            f"{quote(text)} 不是有限的数字（数值过大）",
        )
    if s.lower() in ("inf", "+inf", "-inf", "infinity", "-infinity", "nan"):
        return Bad(f"{quote(text)} is not a finite number", f"{quote(text)} 不是有限的数字")
    return not_number(text, "a number (nor yes/no)", "数字（也不是是/否）")


_PERCENT = re.compile(r"(?P<num>.+?)\s*%")


def parse_percent(text: str) -> float | None:
    """A percentage as a share: ``85%``, ``８５％``, ``12.5 %`` → 0.85, 0.85, 0.125; a plain
    number is not a percentage (``None``), nor is anything :func:`finite_number` refuses."""
    m = _PERCENT.fullmatch(normal(text))
    if m is None:
        return None
    x = finite_number(m["num"])
    return None if x is None else x / 100


# --- dates ---------------------------------------------------------------------------------

_DATE = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?)"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)


def parse_date(text: str) -> dt.date | Bad:
    """2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日 (a time after it is ignored), within
    :data:`DATE_MIN` … :data:`DATE_MAX`; an Excel date serial number is explained."""
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


# --- money ---------------------------------------------------------------------------------

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
