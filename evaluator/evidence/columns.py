"""Typed register columns: what a cell may hold, how its text is parsed, what dtype it gets.

A :class:`Column` parses one *distinct* cell text at a time (:meth:`Column.parse`) into a
Python value or a :class:`Bad` reason; the register parser maps the result back onto every
row holding that text, so the work is per distinct value, never per cell. Kinds:

========  ==========================================================  ====================
kind      accepts                                                     frame dtype
========  ==========================================================  ====================
text      any text                                                    ``str``
code      letters, digits and ``- _ . /`` (``S01``, ``P-003``)         ``category``
date      2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, Excel dates    ``datetime64[s]``
integer   whole numbers (``1,200``; full-width digits)                ``int64`` / ``Int64``
decimal   numbers (``3.5``)                                           ``float64``
money     yuan with at most 2 decimals (``1,234.56``)                 ``int64`` fen
boolean   是/否, 有/无, Y/N, yes/no, true/false, 1/0, √/×                ``bool`` / ``boolean``
choice    a listed option's code, Chinese or English label            ``category`` of codes
score     whole number 1–5 (or 非常满意 … 非常不满意)                   ``int64`` / ``Int64``
period    2025, 2025-03, 2025年3月, 2025-Q1, 2025年第1季度, 2025-H1     ``category``
========  ==========================================================  ====================

Required columns get non-nullable dtypes (``int64``, ``bool``); optional ones nullable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from evaluator.evidence.values import (
    parse_boolean,
    parse_code,
    parse_period,
    parse_score,
    parse_text,
)
from evaluator.systems.bounds import INT64_MAX
from evaluator.tables.cells import (
    Bad,
    finite_number,
    not_number,
    option_key,
    parse_date,
    parse_fen,
    quote,
)

Kind = Literal[
    "text", "code", "date", "integer", "decimal", "money", "boolean", "choice", "score", "period"
]

# Kind → (English, Chinese) description, as the docs and the template notes show it.
KIND_TEXT: dict[str, tuple[str, str]] = {
    "text": ("text", "文本"),
    "code": ("code (letters, digits, - _ . /)", "编码（字母、数字、- _ . /）"),
    "date": ("date", "日期"),
    "integer": ("whole number", "整数"),
    "decimal": ("number", "数字"),
    "money": ("amount in yuan, at most 2 decimals", "金额（元），最多两位小数"),
    "boolean": ("yes/no", "是/否"),
    "choice": ("one of a list", "列表选项"),
    "score": ("score 1–5", "评分 1–5"),
    "period": ("period (year, month, quarter or half-year)", "期间（年、月、季度或半年）"),
}


@dataclass(frozen=True)
class Option:
    """One allowed value of a choice column: stored as ``code``; typed as any label."""

    code: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.zh, self.en, self.code, *self.aliases)


@dataclass(frozen=True)
class Column:
    """One register column: canonical ``name`` (snake_case), headers, kind and constraints."""

    name: str
    zh: str
    en: str
    kind: Kind
    required: bool = False
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    example: str = ""
    note_en: str = ""
    note_zh: str = ""

    @property
    def header(self) -> str:
        """The bilingual header the template writes: ``站点编码 Station``."""
        return f"{self.zh} {self.en}"

    @property
    def headers(self) -> list[str]:
        """Every accepted header (besides ``name``), matched ignoring case, width and spaces."""
        return list(dict.fromkeys([self.header, self.zh, self.en, *self.aliases]))

    def parse(self, text: str) -> object:
        """The value of one non-empty, stripped cell text, or a :class:`Bad`."""
        return _PARSERS[self.kind](self, text)

    def build(
        self, values: Sequence[object], codes: np.ndarray
    ) -> pd.api.extensions.ExtensionArray | np.ndarray:
        """The column's typed array: ``values`` per distinct text (``None`` if empty or bad),
        ``codes`` each row's index into ``values`` (-1 for an empty cell)."""
        return _build(self, values, codes)

    @cached_property
    def choice_index(self) -> dict[str, str]:
        """Option label (any of code, zh, en, aliases; see :func:`option_key`) → code."""
        index: dict[str, str] = {}
        for o in self.options:
            for label in o.labels:
                index.setdefault(option_key(label), o.code)
        return index

    def rule_text(self) -> tuple[str, str]:
        """What the cell may hold, for docs and template notes: (English, Chinese)."""
        en, zh = KIND_TEXT[self.kind]
        if self.kind == "choice":
            en = "one of: " + ", ".join(f"{o.zh} ({o.en})" for o in self.options)
            zh = "可选：" + "、".join(o.zh for o in self.options)
        bounds = _bounds_text(self)
        if bounds:
            en, zh = f"{en}, {bounds[0]}", f"{zh}，{bounds[1]}"
        return en, zh


# --- helpers -----------------------------------------------------------------------------


def _fmt(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _bounds_text(col: Column) -> tuple[str, str] | None:
    lo, hi = col.minimum, col.maximum
    if col.kind == "money":
        lo = None if lo is None else lo / 100
        hi = None if hi is None else hi / 100
    if lo is not None and hi is not None:
        return f"{_fmt(lo)} to {_fmt(hi)}", f"{_fmt(lo)} 至 {_fmt(hi)}"
    if lo is not None:
        return f"at least {_fmt(lo)}", f"不小于 {_fmt(lo)}"
    if hi is not None:
        return f"at most {_fmt(hi)}", f"不大于 {_fmt(hi)}"
    return None


def _check_range(col: Column, value: float, shown: str) -> Bad | None:
    bounds = _bounds_text(col)
    lo, hi = col.minimum, col.maximum
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        assert bounds is not None
        if value < 0 <= (lo or 0):
            return Bad(
                f"{shown} is negative: must be {bounds[0]}", f"{shown} 为负数：须{bounds[1]}"
            )
        return Bad(
            f"{shown} is out of range: must be {bounds[0]}", f"{shown} 超出范围：须{bounds[1]}"
        )
    return None


# --- parsers: one distinct text each, with the column's constraints -----------------------------


MONEY_MAX = f"{INT64_MAX // 100:,}.{INT64_MAX % 100:02d}"  # yuan: 2^63 − 1 fen


def _too_large(text: str, limit_en: str, limit_zh: str) -> Bad:
    return Bad(f"{quote(text)} is too large: {limit_en}", f"{quote(text)} 过大：{limit_zh}")


def _integer(col: Column, text: str) -> object:
    x = finite_number(text)
    if x is None:
        return not_number(text, "a whole number", "整数")
    if not float(x).is_integer():
        return Bad(f"{quote(text)} is not a whole number", f"{quote(text)} 不是整数")
    out = _check_range(col, x, quote(text))
    if out is None and abs(x) > INT64_MAX:  # stored as 64-bit integers
        return _too_large(
            text, f"whole numbers must lie within ±{INT64_MAX:,}", f"整数须在 ±{INT64_MAX:,} 之内"
        )
    return out or int(x)


def _decimal(col: Column, text: str) -> object:
    x = finite_number(text)
    if x is None:
        return not_number(text)
    return _check_range(col, x, quote(text)) or float(x)


def _money(col: Column, text: str) -> object:
    fen = parse_fen(text)
    if isinstance(fen, Bad):
        return fen
    out = _check_range(col, fen, quote(text))
    if out is None and abs(fen) > INT64_MAX:  # fen are stored as 64-bit integers
        return _too_large(
            text, f"an amount must lie within ±{MONEY_MAX}", f"金额须在 ±{MONEY_MAX} 元之内"
        )
    return out or fen


def _choice(col: Column, text: str) -> object:
    code = col.choice_index.get(option_key(text))
    if code is not None:
        return code
    listed = ", ".join(o.zh for o in col.options)
    return Bad(f"{quote(text)} is not one of: {listed}", f"{quote(text)} 不在可选值中：{listed}")


_PARSERS = {
    "text": lambda col, text: parse_text(text),
    "code": lambda col, text: parse_code(text, col.example),
    "date": lambda col, text: parse_date(text),
    "integer": _integer,
    "decimal": _decimal,
    "money": _money,
    "boolean": lambda col, text: parse_boolean(text),
    "choice": _choice,
    "score": lambda col, text: parse_score(text),
    "period": lambda col, text: parse_period(text),
}


# --- typed arrays ------------------------------------------------------------------------


def _build(col: Column, values: Sequence[object], codes: np.ndarray):
    n = len(values)
    present = np.array([v is not None for v in values] + [False], dtype=bool)
    if col.kind in ("code", "period", "choice"):
        if col.kind == "choice":
            categories = [o.code for o in col.options]
        else:
            categories = sorted({v for v in values if v is not None})
        position = {c: i for i, c in enumerate(categories)}
        remap = np.array([position.get(v, -1) for v in values] + [-1], dtype=np.int64)
        return pd.Categorical.from_codes(remap[codes], categories=categories)
    if col.kind == "text":
        table = np.empty(n + 1, dtype=object)
        table[:n] = list(values)
        table[n] = None
        return pd.array(table[codes], dtype="str")
    if col.kind == "date":
        table = np.array(
            [np.datetime64(v, "s") if v is not None else np.datetime64("NaT", "s") for v in values]
            + [np.datetime64("NaT", "s")],
            dtype="datetime64[s]",
        )
        return table[codes]
    if col.kind == "decimal":
        table = np.array([v if v is not None else np.nan for v in values] + [np.nan], dtype=float)
        return table[codes]
    if col.kind == "boolean":
        table = np.array([bool(v) for v in values] + [False], dtype=bool)
        return pd.arrays.BooleanArray(table[codes], ~present[codes])
    # integer, score, money
    table = np.array([v if v is not None else 0 for v in values] + [0], dtype=np.int64)
    return pd.arrays.IntegerArray(table[codes], ~present[codes])


def finalise(col: Column, series: pd.Series) -> pd.Series:
    """A required column without missing values gets the plain numpy dtype."""
    if col.required and col.kind in ("integer", "score", "money") and not series.isna().any():
        return series.astype(np.int64)
    if col.required and col.kind == "boolean" and not series.isna().any():
        return series.astype(bool)
    return series
