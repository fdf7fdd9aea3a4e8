"""Raw inputs: a long table (unit, leaf, item, value, target, n, elapsed) turned into
(N units × slots) matrices, every bad cell reported with its row and column.

A *slot* is one column of raw evidence: a leaf's value, one checklist item, a veto, a
bonus leaf. Building the matrices is one vectorised pass over the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluator.errors import InvalidInput, Problem
from evaluator.systems import IndicatorSystem

COLUMNS = ("unit", "leaf", "item", "value", "target", "n", "elapsed")
MAX_PROBLEMS = 200
TRUE_WORDS = {"true", "yes", "y", "是", "有", "met", "达标", "符合", "√", "✓"}
FALSE_WORDS = {"false", "no", "n", "否", "无", "not met", "未达标", "不符合", "×", "✗"}

Locate = Callable[[int, str, str, str], Problem]


def default_locate(i: int, column: str, en: str, zh: str) -> Problem:
    """Row ``i`` of the frame is spreadsheet row i + 2 (row 1 holds the header)."""
    return Problem(en, zh, row=i + 2, column=column)


@dataclass(frozen=True)
class Inputs:
    """Raw evidence for N units as matrices over slots (NaN = no row)."""

    units: pd.Index
    slots: dict[str, int]  # slot key ("A1.2", "A1.1\x1fa", "V1") → column
    value: np.ndarray  # (N, S)
    target: np.ndarray | None
    n: np.ndarray | None
    elapsed: np.ndarray | None

    def column(self, key: str, which: str = "value") -> np.ndarray:
        matrix = getattr(self, which)
        if matrix is None:
            return np.full(len(self.units), np.nan)
        return matrix[:, self.slots[key]]


def slot_key(leaf: str, item: str | None = None) -> str:
    return leaf if item is None else f"{leaf}\x1f{item}"


def system_slots(system: IndicatorSystem) -> tuple[dict[str, int], set[str]]:
    """Every slot of a system, and the set of checklist leaf codes."""
    keys: list[str] = []
    checklists: set[str] = set()
    for node in system.nodes.values():
        if not node.is_leaf:
            continue
        if node.method == "checklist":
            checklists.add(node.code)
            keys += [slot_key(node.code, it.code) for it in node.spec.items]
        else:
            keys.append(node.code)
    keys += [v.code for v in system.spec.vetoes]
    return {k: i for i, k in enumerate(keys)}, checklists


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped strings, empty → NA."""
    out = series.astype("string").str.strip()
    return out.mask(out == "")


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values, bad) where bad marks non-empty cells that are not numbers or yes/no words."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return values, ~np.isfinite(values) & ~np.isnan(values)
    text = _text(series)
    lower = text.str.lower()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = np.where(lower.isin(TRUE_WORDS).to_numpy(dtype=bool), 1.0, values)
    values = np.where(lower.isin(FALSE_WORDS).to_numpy(dtype=bool), 0.0, values)
    bad = text.notna().to_numpy(dtype=bool) & ~np.isfinite(values)
    return np.where(np.isfinite(values), values, np.nan), bad


class _Collector:
    def __init__(self, locate: Locate):
        self.locate = locate
        self.problems: list[Problem] = []
        self.more = 0

    def rows(self, mask: np.ndarray, column: str, en: str, zh: str) -> None:
        for i in np.flatnonzero(mask):
            if len(self.problems) >= MAX_PROBLEMS:
                self.more += 1
            else:
                self.problems.append(self.locate(int(i), column, en, zh))

    def raise_if_any(self) -> None:
        if self.problems:
            extra = []
            if self.more:
                extra = [Problem(f"… and {self.more} more problems", f"……另有 {self.more} 处问题")]
            raise InvalidInput(self.problems + extra)


def prepare_inputs(system: IndicatorSystem, frame: pd.DataFrame, locate: Locate = default_locate) -> Inputs:
    """Validate a long raw-input table against a system and build the matrices.

    ``frame`` has the canonical columns of :data:`COLUMNS` (``unit``, ``leaf`` and
    ``value`` required). Raises InvalidInput listing every bad cell (up to 200).
    """
    missing = [c for c in ("unit", "leaf", "value") if c not in frame.columns]
    if missing:
        raise InvalidInput(
            [Problem(f"required column {c} is missing", f"缺少必需列 {c}", column=c) for c in missing]
        )
    report = _Collector(locate)
    frame = frame.reset_index(drop=True)
    unit = _text(frame["unit"])
    leaf = _text(frame["leaf"])
    item = _text(frame["item"]) if "item" in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
    value, bad_value = _numbers(frame["value"])
    report.rows(unit.isna().to_numpy(dtype=bool), "unit", "unit is empty", "单位为空")
    report.rows(leaf.isna().to_numpy(dtype=bool), "leaf", "leaf is empty", "指标为空")
    report.rows(bad_value, "value", "value is not a number (nor yes/no)", "值不是数字（也不是是/否）")

    slots, checklists = system_slots(system)
    groups = {n.code for n in system.nodes.values() if not n.is_leaf}
    is_checklist = leaf.isin(checklists).to_numpy(dtype=bool)
    key = leaf.where(~is_checklist, leaf + "\x1f" + item.fillna(""))
    slot = key.map(slots).to_numpy(dtype=float, na_value=np.nan)
    unknown = np.isnan(slot) & leaf.notna().to_numpy(dtype=bool)
    known_leaf = leaf.isin(set(system.nodes) | {v.code for v in system.spec.vetoes}).to_numpy(dtype=bool)
    report.rows(unknown & leaf.isin(groups).to_numpy(dtype=bool), "leaf", "this code is a group, not a leaf: give values for its leaves", "该编码为分组指标，请填写其末级指标")
    report.rows(unknown & ~known_leaf, "leaf", "unknown leaf code for this indicator system", "指标体系中没有该指标编码")
    report.rows(unknown & known_leaf & is_checklist & item.isna().to_numpy(dtype=bool), "item", "checklist rows need the item code", "清单类指标需填写子项编码")
    report.rows(unknown & known_leaf & is_checklist & item.notna().to_numpy(dtype=bool), "item", "unknown item code for this checklist", "该清单指标下没有此子项编码")

    extra = {}
    for name in ("target", "n", "elapsed"):
        if name in frame.columns:
            numbers, bad = _numbers(frame[name])
            report.rows(bad, name, f"{name} is not a number", f"{name} 不是数字")
            extra[name] = numbers
    if "elapsed" in extra:
        e = extra["elapsed"]
        report.rows(~np.isnan(e) & ((e <= 0) | (e > 1)), "elapsed", "elapsed must be a share in (0, 1]", "进度须为 (0, 1] 区间内的比例")
    if "target" in extra:
        t = extra["target"]
        report.rows(~np.isnan(t) & (t <= 0), "target", "target must be greater than 0", "目标值须大于 0")
    if "n" in extra:
        n = extra["n"]
        report.rows(~np.isnan(n) & ((n < 0) | (n != np.round(n))), "n", "n must be a whole number ≥ 0", "样本量须为非负整数")

    units = pd.Index(pd.unique(unit.dropna()), name="unit")
    uidx = units.get_indexer(unit)
    ok = (uidx >= 0) & ~np.isnan(slot)
    flat = uidx[ok].astype(np.int64) * len(slots) + slot[ok].astype(np.int64)
    order = np.flatnonzero(ok)
    dup = pd.Series(flat).duplicated(keep="first").to_numpy()
    report.rows(np.isin(np.arange(len(frame)), order[dup]), "leaf", "a second row for the same unit and leaf (and item)", "同一单位同一指标（子项）出现重复行")
    _check_ranges(system, slots, slot, value, report)
    report.raise_if_any()

    shape = (len(units), len(slots))

    def matrix(values: np.ndarray) -> np.ndarray:
        out = np.full(shape, np.nan)
        out[uidx[ok], slot[ok].astype(np.int64)] = values[ok]
        return out

    return Inputs(
        units=units,
        slots=slots,
        value=matrix(value),
        target=matrix(extra["target"]) if "target" in extra else None,
        n=matrix(extra["n"]) if "n" in extra else None,
        elapsed=matrix(extra["elapsed"]) if "elapsed" in extra else None,
    )


def slot_bounds(system: IndicatorSystem, slots: dict[str, int]) -> dict[str, tuple[float, float, tuple | None]]:
    """Allowed raw values per slot: (low, high, allowed levels or None), inclusive."""
    bounds: dict[str, tuple[float, float, tuple | None]] = {}
    for v in system.spec.vetoes:
        bounds[v.code] = (0.0, 1.0, (0, 1))
    for node in system.leaves + system.bonus_leaves:
        spec = node.spec
        if node.method == "checklist":
            for it in spec.items:
                bounds[slot_key(node.code, it.code)] = (0.0, 1.0, (0, 1))
        elif node.method == "rubric":
            levels = tuple(lv.level for lv in system.rubric_levels(node))
            bounds[node.code] = (float(min(levels)), float(max(levels)), levels)
        elif node.method == "likert":
            bounds[node.code] = (spec.scale[0], spec.scale[1], None)
        elif node.method in ("ratio", "deduction", "bonus"):
            bounds[node.code] = (0.0, np.inf, None)
    return bounds


def _check_ranges(system, slots, slot: np.ndarray, value: np.ndarray, report: _Collector) -> None:
    """Per-slot range checks, vectorised: one pass to find bad rows, messages per slot."""
    bounds = slot_bounds(system, slots)
    lo = np.full(len(slots) + 1, -np.inf)
    hi = np.full(len(slots) + 1, np.inf)
    for key, (low, high, _) in bounds.items():
        lo[slots[key]], hi[slots[key]] = low, high
    idx = np.where(np.isnan(slot), len(slots), slot).astype(np.int64)
    has = ~np.isnan(value)
    out_of_range = has & ((value < lo[idx]) | (value > hi[idx]))
    level_slots = {slots[k]: levels for k, (_, _, levels) in bounds.items() if levels is not None}
    in_levels = np.isin(idx, list(level_slots))
    not_level = np.zeros(len(value), dtype=bool)
    for s_idx, levels in level_slots.items():
        rows = in_levels & (idx == s_idx) & has
        not_level |= rows & ~np.isin(value, levels)
    keys = {i: k for k, i in slots.items()}
    for s_idx in np.unique(idx[out_of_range | not_level]):
        key = keys[int(s_idx)]
        low, high, levels = bounds[key]
        shown = key.replace("\x1f", " item ")
        rows = (idx == s_idx) & (out_of_range | not_level)
        if levels is not None:
            allowed = ", ".join(str(x) for x in levels)
            report.rows(rows, "value", f"{shown}: value must be one of {allowed}", f"{shown}：取值须为 {allowed} 之一")
        else:
            rng = f"{low:g}" + (f" to {high:g}" if np.isfinite(high) else " or more")
            rng_zh = f"{low:g}" + (f" 至 {high:g}" if np.isfinite(high) else " 及以上")
            report.rows(rows, "value", f"{shown}: value must be {rng}", f"{shown}：取值须为 {rng_zh}")
