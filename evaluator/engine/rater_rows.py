"""Several raters' rows checked before they are reconciled: every rater's rows exactly as
a single-rater table is checked (same messages, same row numbers), one lead rater per unit
under the ``lead`` rule, and the rows that carry a value as parallel arrays
(:class:`RaterRows`) for :mod:`evaluator.engine.reconcile`."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from evaluator.engine.inputs import (
    Locate,
    _Collector,
    _factor,
    prepare_inputs,
    read_numbers,
    slot_key,
    system_slots,
)
from evaluator.errors import InvalidInput, Problem
from evaluator.systems import IndicatorSystem

_DUPLICATE = "a second row for the same unit and leaf (and item)"


@dataclass
class RaterRows:
    """The raw rows that carry a value, as parallel arrays."""

    index: np.ndarray  # row of the raw frame
    unit: np.ndarray  # index into unit_names
    rater: np.ndarray  # index into rater_names
    slot: np.ndarray  # index into slots
    value: np.ndarray
    extra: dict[str, np.ndarray]  # target, n, elapsed (those present)
    lead: np.ndarray  # lead rater of each row's unit (-1: none)
    unit_names: list[str]
    rater_names: list[str]
    slots: dict[str, int]
    has_item: bool


def validate_rows(
    system: IndicatorSystem, frame: pd.DataFrame, rule: str, locate: Locate
) -> RaterRows:
    """Check every rater's row as prepare_inputs checks a single table; parse the columns."""
    needed = ["unit", "leaf", "value", "rater"] + (["lead"] if rule == "lead" else [])
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise InvalidInput(
            [
                Problem(f"required column {c} is missing", f"缺少必需列 {c}", column=c)
                for c in absent
            ]
        )
    report = _Collector(locate)
    n_rows = len(frame)
    unit, unit_names = _factor(frame["unit"])
    rater, rater_names = _factor(frame["rater"])
    report.rows((unit >= 0) & (rater < 0), "rater", "rater is empty", "评估员为空")
    lead_of_unit = np.full(len(unit_names) + 1, -1, dtype=np.int64)
    if rule == "lead":
        flag, bad = read_numbers(frame["lead"])
        report.rows(bad, "lead", "lead is not yes/no", "主评标记不是是/否")
        lead_rows = (flag != 0) & ~np.isnan(flag) & (unit >= 0) & (rater >= 0)
        _check_one_lead(unit, rater, lead_rows, unit_names, rater_names, lead_of_unit, report)

    # Each rater's rows are a table of their own: a pseudo-unit per (unit, rater) lets
    # prepare_inputs check them all in one pass (a duplicate is then the same rater twice).
    pseudo = np.where(
        rater >= 0, unit * (len(rater_names) + 1) + rater, -1 - np.arange(n_rows)
    ).astype(float)
    pseudo[unit < 0] = np.nan
    columns = {"unit": pseudo} | {
        c: frame[c]
        for c in ("leaf", "item", "value", "target", "n", "elapsed")
        if c in frame.columns
    }
    try:
        prepare_inputs(system, pd.DataFrame(columns), locate)
    except InvalidInput as exc:
        for p in exc.problems:
            if p.en == _DUPLICATE:
                p = replace(
                    p,
                    en="a second row from the same rater for the same unit and leaf (and item)",
                    zh="同一评估员对同一单位同一指标（子项）有重复行",
                )
            report.problems.append(p)
    report.raise_if_any()

    value, _ = read_numbers(frame["value"])
    extra = {c: read_numbers(frame[c])[0] for c in ("target", "n", "elapsed") if c in frame.columns}
    slots, _ = system_slots(system)
    slot = _row_slots(system, frame, slots)
    keep = np.flatnonzero(~np.isnan(value))  # a rater who left a leaf empty does not count
    return RaterRows(
        index=keep,
        unit=unit[keep],
        rater=rater[keep],
        slot=slot[keep],
        value=value[keep],
        extra={c: a[keep] for c, a in extra.items()},
        lead=lead_of_unit[unit[keep]],
        unit_names=unit_names,
        rater_names=rater_names,
        slots=slots,
        has_item="item" in frame.columns,
    )


def _check_one_lead(
    unit: np.ndarray,
    rater: np.ndarray,
    flagged: np.ndarray,
    unit_names: list[str],
    rater_names: list[str],
    lead_of_unit: np.ndarray,
    report: _Collector,
) -> None:
    """Record each unit's lead rater; a unit with two lead raters is an error on their rows."""
    pairs = pd.DataFrame({"unit": unit[flagged], "rater": rater[flagged]}).drop_duplicates()
    lead_of_unit[pairs["unit"].to_numpy()] = pairs["rater"].to_numpy()
    many = pairs["unit"].value_counts()
    for u in many.index[many > 1]:
        names = ", ".join(sorted(rater_names[r] for r in pairs.loc[pairs["unit"] == u, "rater"]))
        report.rows(
            flagged & (unit == u),
            "lead",
            f"unit {unit_names[u]} has more than one lead rater ({names}); the lead rule needs one",
            f"单位 {unit_names[u]} 有多名主评（{names}），主评规则只允许一名",
        )


def _row_slots(system: IndicatorSystem, frame: pd.DataFrame, slots: dict[str, int]) -> np.ndarray:
    """The slot of each (already validated) row: the leaf, or the leaf's checklist item."""
    _, checklists = system_slots(system)
    leaf, leaf_names = _factor(frame["leaf"])
    if "item" in frame.columns:
        item, item_names = _factor(frame["item"])
    else:
        item, item_names = np.full(len(frame), -1, dtype=np.int64), []
    pair = leaf * (len(item_names) + 1) + (item + 1)
    distinct, inverse = np.unique(pair, return_inverse=True)
    lookup = []
    for p in distinct:
        leaf_i, item_i = divmod(int(p), len(item_names) + 1)
        name = leaf_names[leaf_i]
        key = slot_key(name, item_names[item_i - 1]) if name in checklists else slot_key(name)
        lookup.append(slots[key])
    return np.asarray(lookup, dtype=np.int64)[inverse.reshape(-1)]
