"""What a register kind is: its columns (a :class:`Schema`) and the rules that tie columns
together, with the rule constructors the kinds use.

Cross-column rules are vectorised checks over the typed frame (and the spreadsheet row
of each frame row); each yields the rows that break it, the column to point at and the
message (a plain text, or a function of the frame row for messages that show values; it
is only called for the problems shown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluator.evidence.columns import Column, Option

Message = str | Callable[[int], str]


@dataclass(frozen=True)
class Violation:
    """Rows (a boolean mask over the frame) that break a rule, located at ``column``."""

    mask: np.ndarray
    column: str
    en: Message
    zh: Message


@dataclass(frozen=True)
class Rule:
    """A check across columns; ``en``/``zh`` describe it for the docs."""

    en: str
    zh: str
    check: Callable[[pd.DataFrame, np.ndarray], Iterator[Violation]]


@dataclass(frozen=True)
class Schema:
    kind: str
    zh: str
    en: str
    sheet: str  # the template's data sheet
    description_en: str
    description_zh: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    # the column dating what happened under the contract (a service, an expenditure): on
    # import into a round it must lie within the contract's period
    event_date: str | None = None

    @property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


# --- rules -------------------------------------------------------------------------------


def _day(series: pd.Series, i: int) -> str:
    return pd.Timestamp(series.iat[i]).strftime("%Y-%m-%d")


def not_before(later: Column, earlier: Column) -> Rule:
    """``later`` (when given) is on or after ``earlier``."""

    def check(frame: pd.DataFrame, rows: np.ndarray) -> Iterator[Violation]:
        a, b = frame[later.name], frame[earlier.name]
        mask = (a < b).to_numpy(dtype=bool, na_value=False)
        yield Violation(
            mask,
            later.name,
            lambda i: (
                f"{later.en.lower()} {_day(a, i)} is before {earlier.en.lower()} {_day(b, i)}"
            ),
            lambda i: f"{later.zh} {_day(a, i)} 早于{earlier.zh} {_day(b, i)}",
        )

    return Rule(f"{later.en} is not before {earlier.en}", f"{later.zh}不得早于{earlier.zh}", check)


def given_unless(column: Column, choice: Column, code: str) -> Rule:
    """``column`` is filled exactly when ``choice`` is not ``code``."""
    label = next(o for o in choice.options if o.code == code)

    def check(frame: pd.DataFrame, rows: np.ndarray) -> Iterator[Violation]:
        has = frame[column.name].notna().to_numpy()
        values = frame[choice.name]
        other = (values.notna() & (values != code)).to_numpy(dtype=bool)
        yield Violation(
            other & ~has,
            column.name,
            f'{column.en.lower()} is required unless {choice.en.lower()} is "{label.en}"',
            f"{choice.zh}不是“{label.zh}”时须填写{column.zh}",
        )
        yield Violation(
            (values == code).to_numpy(dtype=bool, na_value=False) & has,
            column.name,
            f'{column.en.lower()} is given but {choice.en.lower()} is "{label.en}"',
            f"{choice.zh}为“{label.zh}”，不应填写{column.zh}",
        )

    return Rule(
        f'{column.en} is given exactly when {choice.en} is not "{label.en}"',
        f"{choice.zh}不是“{label.zh}”时填写{column.zh}，否则留空",
        check,
    )


def unique(*columns: Column) -> Rule:
    """No two rows share the values of ``columns`` (rows with an empty key are skipped)."""
    names = [c.name for c in columns]
    en = " + ".join(c.en.lower() for c in columns)
    zh = "+".join(c.zh for c in columns)

    def check(frame: pd.DataFrame, rows: np.ndarray) -> Iterator[Violation]:
        keys = frame[names]
        complete = keys.notna().all(axis=1).to_numpy()
        group = np.full(len(frame), -1, dtype=np.int64)
        if complete.any():
            part = keys[complete]
            group[complete] = part.groupby(names, observed=True, sort=False).ngroup().to_numpy()
        dup = complete & pd.Series(group).duplicated(keep="first").to_numpy()
        groups, first_index = np.unique(group[complete], return_index=True)
        first = np.zeros(int(groups.max()) + 1 if len(groups) else 0, dtype=np.int64)
        first[groups] = np.flatnonzero(complete)[first_index]

        def shown(i: int) -> int:
            return int(rows[first[group[i]]])

        yield Violation(
            dup,
            names[-1],
            lambda i: f"the same {en} as row {shown(i)}",
            lambda i: f"{zh}与第 {shown(i)} 行重复",
        )

    return Rule(f"{en} is unique", f"{zh}不重复", check)


def period_matches(kind: Column, period: Column) -> Rule:
    """A monthly report names a month, a quarterly one a quarter."""
    patterns = {
        "monthly": (r"\d{4}-\d{2}", "a month (2025-03)", "月份（2025-03）"),
        "quarterly": (r"\d{4}-Q\d", "a quarter (2025-Q1)", "季度（2025-Q1）"),
    }

    def check(frame: pd.DataFrame, rows: np.ndarray) -> Iterator[Violation]:
        types, periods = frame[kind.name], frame[period.name].astype(object)
        for code, (pattern, en, zh) in patterns.items():
            label = next(o for o in kind.options if o.code == code)
            wrong = (types == code).to_numpy(dtype=bool, na_value=False) & ~periods.str.fullmatch(
                pattern
            ).to_numpy(dtype=bool, na_value=True)
            yield Violation(
                wrong,
                period.name,
                f"a {label.en.lower()} needs {en} as its period",
                f"{label.zh}的{period.zh}须为{zh}",
            )

    return Rule(
        "a monthly report's period is a month, a quarterly report's a quarter",
        "月度简报的报告期为月份，季度报告的报告期为季度",
        check,
    )


def all_or_none(columns: tuple[Column, ...], what_en: str, what_zh: str) -> Rule:
    names = [c.name for c in columns]

    def check(frame: pd.DataFrame, rows: np.ndarray) -> Iterator[Violation]:
        given = frame[names].notna().to_numpy()
        count = given.sum(axis=1)
        partial = (count > 0) & (count < len(names))
        for j, name in enumerate(names):
            yield Violation(
                partial & ~given[:, j],
                name,
                f"answer all {len(names)} {what_en} questions or none",
                f"{what_zh} {len(names)} 题须全部回答或全部留空",
            )

    return Rule(
        f"the {len(names)} {what_en} questions are all answered or all empty",
        f"{what_zh} {len(names)} 题全部回答或全部留空",
        check,
    )


# --- shared columns ------------------------------------------------------------------------


def station(required: bool = True) -> Column:
    return Column(
        "station",
        "站点编码",
        "Station",
        "code",
        required,
        aliases=("站点", "社工站", "站点代码", "所属站点", "Station code", "Station ID"),
        example="S01",
        note_en="the station's code as in the contract",
        note_zh="合同中的站点编码",
    )


def opt(code: str, zh: str, en: str, *aliases: str) -> Option:
    return Option(code, zh, en, aliases)
