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
from evaluator.systems.bounds import N_MAX, Bounds, value_bounds, veto_bounds
from evaluator.systems.schema import ChecklistLeaf, CountLeaf, RatioLeaf
from evaluator.tables.cells import finite_number, invisible, number_reason

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
        matrix: np.ndarray | None = getattr(self, which)
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
            keys += [slot_key(node.code, it.code) for it in node.spec_as(ChecklistLeaf).items]
        else:
            keys.append(node.code)
    keys += [v.code for v in system.spec.vetoes]
    return {k: i for i, k in enumerate(keys)}, checklists


def _factor(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(codes, values): each cell's index into the distinct stripped texts, -1 if empty.

    Stripping and checking happen once per distinct value, not once per cell, which is
    what keeps a million-row table fast.
    """
    array = series if isinstance(series, np.ndarray) else series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    texts = [_cell(v) for v in uniques]
    distinct = list(dict.fromkeys(t for t in texts if t is not None))
    position = {t: i for i, t in enumerate(distinct)}
    remap = np.array([position[t] if t is not None else -1 for t in texts] + [-1], dtype=np.int64)
    return remap[codes], distinct


def _cell(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _number(text: str) -> float:
    """A yes/no word as 1/0, else a number as the cell vocabulary reads it (as registers
    do: full-width digits, Unicode minus signs, thousands commas), NaN if neither."""
    lower = text.lower()
    if lower in TRUE_WORDS:
        return 1.0
    if lower in FALSE_WORDS:
        return 0.0
    x = finite_number(text)
    return float("nan") if x is None else x


def read_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """How a raw-input column reads: (values, bad), ``bad`` marking the non-empty cells that
    are neither numbers (:func:`evaluator.tables.cells.finite_number`) nor yes/no words."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isfinite(values), values, np.nan), np.isinf(values)
    codes, texts = _factor(series)
    parsed = np.array([_number(t) for t in texts] + [np.nan])
    values = parsed[codes]
    bad = (codes >= 0) & np.isnan(values)
    return values, bad


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


def prepare_inputs(
    system: IndicatorSystem, frame: pd.DataFrame, locate: Locate = default_locate
) -> Inputs:
    """Validate a long raw-input table against a system and build the matrices.

    ``frame`` has the canonical columns of :data:`COLUMNS` (``unit``, ``leaf`` and
    ``value`` required). Raises InvalidInput listing every bad cell (up to 200).
    """
    missing = [c for c in ("unit", "leaf", "value") if c not in frame.columns]
    if missing:
        raise InvalidInput(
            [
                Problem(f"required column {c} is missing", f"缺少必需列 {c}", column=c)
                for c in missing
            ]
        )
    report = _Collector(locate)
    frame = frame.reset_index(drop=True)
    n_rows = len(frame)
    unit_code, unit_names = _factor(frame["unit"])
    leaf_code, leaf_names = _factor(frame["leaf"])
    if "item" in frame.columns:
        item_code, item_names = _factor(frame["item"])
    else:
        item_code, item_names = np.full(n_rows, -1, dtype=np.int64), []
    value, bad_value = read_numbers(frame["value"])
    report.rows(unit_code < 0, "unit", "unit is empty", "单位为空")
    report.rows(leaf_code < 0, "leaf", "leaf is empty", "指标为空")
    if bad_value.any():  # each distinct text with its own reason (a percentage, a unit …)
        codes, texts = _factor(frame["value"])
        for code in np.unique(codes[bad_value]):
            reason = number_reason(texts[code]) if code >= 0 else None
            if reason is not None:
                report.rows(bad_value & (codes == code), "value", reason.en, reason.zh)
    for column, codes, names in (
        ("unit", unit_code, unit_names),
        ("leaf", leaf_code, leaf_names),
        ("item", item_code, item_names),
    ):
        for i, name in enumerate(names):  # a zero-width space pasted into a code
            hidden = invisible(name)
            if hidden is not None:
                report.rows(codes == i, column, hidden.en, hidden.zh)

    slots, checklists = system_slots(system)
    groups = {n.code for n in system.nodes.values() if not n.is_leaf}
    known = set(system.nodes) | {v.code for v in system.spec.vetoes}

    leaf_slot = np.array(
        [slots.get(name, -1) if name not in checklists else -1 for name in leaf_names] + [-1]
    )
    leaf_is_checklist = np.array([name in checklists for name in leaf_names] + [False])
    leaf_known = np.array([name in known for name in leaf_names] + [True])
    leaf_group = np.array([name in groups for name in leaf_names] + [False])
    slot = leaf_slot[leaf_code].astype(float)
    is_checklist = leaf_is_checklist[leaf_code]
    if is_checklist.any():
        rows = np.flatnonzero(is_checklist)
        pair = leaf_code[rows] * (len(item_names) + 1) + (item_code[rows] + 1)
        distinct, inverse = np.unique(pair, return_inverse=True)
        lookup = []
        for p in distinct:
            leaf_i, item_i = divmod(int(p), len(item_names) + 1)
            item_name = item_names[item_i - 1] if item_i > 0 else None
            lookup.append(
                slots.get(slot_key(leaf_names[leaf_i], item_name), -1) if item_name else -1
            )
        slot[rows] = np.array(lookup, dtype=float)[inverse]
    slot[slot < 0] = np.nan
    unknown = np.isnan(slot) & (leaf_code >= 0)
    report.rows(
        unknown & leaf_group[leaf_code],
        "leaf",
        "this code is a group, not a leaf: give values for its leaves",
        "该编码为分组指标，请填写其末级指标",
    )
    report.rows(
        unknown & ~leaf_known[leaf_code],
        "leaf",
        "unknown leaf code for this indicator system",
        "指标体系中没有该指标编码",
    )
    report.rows(
        unknown & is_checklist & (item_code < 0),
        "item",
        "checklist rows need the item code",
        "清单类指标需填写子项编码",
    )
    report.rows(
        unknown & is_checklist & (item_code >= 0),
        "item",
        "unknown item code for this checklist",
        "该清单指标下没有此子项编码",
    )

    extra = {}
    for name in ("target", "n", "elapsed"):
        if name in frame.columns:
            numbers, bad = read_numbers(frame[name])
            report.rows(bad, name, f"{name} is not a finite number", f"{name} 不是有限的数字")
            extra[name] = numbers
    if "elapsed" in extra:
        e = extra["elapsed"]
        report.rows(
            ~np.isnan(e) & ((e <= 0) | (e > 1)),
            "elapsed",
            "elapsed must be a share in (0, 1]",
            "进度须为 (0, 1] 区间内的比例",
        )
    if "target" in extra:
        t = extra["target"]
        report.rows(
            ~np.isnan(t) & (t < 0), "target", "target must not be negative", "目标值不能为负数"
        )
    if "n" in extra:
        n = extra["n"]
        report.rows(
            ~np.isnan(n) & ((n < 0) | (n != np.round(n)) | (n > N_MAX)),
            "n",
            f"n must be a whole number from 0 to {N_MAX}",
            f"样本量须为 0 至 {N_MAX} 的整数",
        )

    units = pd.Index(unit_names, name="unit", dtype=object)
    uidx = unit_code
    ok = (uidx >= 0) & ~np.isnan(slot)
    rows_ok = np.flatnonzero(ok)
    flat = uidx[rows_ok] * len(slots) + slot[rows_ok].astype(np.int64)
    if len(flat) and np.bincount(flat).max() > 1:
        dup = pd.Series(flat).duplicated(keep="first").to_numpy()
        report.rows(
            np.isin(np.arange(n_rows), rows_ok[dup]),
            "leaf",
            "a second row for the same unit and leaf (and item)",
            "同一单位同一指标（子项）出现重复行",
        )
    _check_ranges(system, slots, slot, value, report)
    _check_targets(system, slots, slot, extra.get("target"), value, report)
    report.raise_if_any()

    shape = (len(units), len(slots))

    def matrix(values: np.ndarray) -> np.ndarray:
        out = np.full(shape, np.nan)
        out.reshape(-1)[flat] = values[rows_ok]
        return out

    return Inputs(
        units=units,
        slots=slots,
        value=matrix(value),
        target=matrix(extra["target"]) if "target" in extra else None,
        n=matrix(extra["n"]) if "n" in extra else None,
        elapsed=matrix(extra["elapsed"]) if "elapsed" in extra else None,
    )


def slot_bounds(system: IndicatorSystem, slots: dict[str, int]) -> dict[str, Bounds]:
    """Admissible raw values per slot (:func:`evaluator.systems.bounds.value_bounds`)."""
    bounds: dict[str, Bounds] = {v.code: veto_bounds() for v in system.spec.vetoes}
    for node in system.leaves + system.bonus_leaves:
        if node.method == "checklist":
            for it in node.spec_as(ChecklistLeaf).items:
                bounds[slot_key(node.code, it.code)] = value_bounds(system, node)
        else:
            bounds[node.code] = value_bounds(system, node)
    return bounds


def _check_ranges(
    system: IndicatorSystem,
    slots: dict[str, int],
    slot: np.ndarray,
    value: np.ndarray,
    report: _Collector,
) -> None:
    """Per-slot range and level checks in one vectorised pass; messages per offending slot."""
    bounds = slot_bounds(system, slots)
    n_slots = len(slots)
    lo = np.full(n_slots + 1, -np.inf)
    hi = np.full(n_slots + 1, np.inf)
    top = max((max(b.levels) for b in bounds.values() if b.levels), default=0)
    allowed = np.ones((n_slots + 1, top + 1), dtype=bool)  # level sets: which integers are allowed
    integral = np.zeros(n_slots + 1, dtype=bool)
    for key, b in bounds.items():
        i = slots[key]
        lo[i], hi[i] = b.low, b.high
        if b.levels is not None:
            integral[i] = True
            allowed[i] = np.isin(np.arange(top + 1), b.levels)
    idx = np.where(np.isnan(slot), n_slots, slot).astype(np.int64)
    has = ~np.isnan(value)
    with np.errstate(invalid="ignore"):
        bad = has & ((value < lo[idx]) | (value > hi[idx]))
        level_rows = has & integral[idx] & ~bad
        whole = value == np.floor(value)
    bad |= level_rows & ~whole
    check = level_rows & whole
    safe = np.where(check, value, 0).astype(np.int64).clip(0, top)
    bad |= check & ~allowed[idx, safe]
    if not bad.any():
        return
    keys = {i: k for k, i in slots.items()}
    for s_idx in np.unique(idx[bad]):
        key = keys[int(s_idx)]
        shown = key.replace("\x1f", " item ")
        en, zh = bounds[key].text()
        report.rows(
            bad & (idx == s_idx), "value", f"{shown}: value must be {en}", f"{shown}：取值须为 {zh}"
        )


def _check_targets(
    system: IndicatorSystem,
    slots: dict[str, int],
    slot: np.ndarray,
    target: np.ndarray | None,
    value: np.ndarray,
    report: _Collector,
) -> None:
    """A pro-rated leaf without a target of its own needs a target on every row: its value
    is a count to be compared with a pro-rated target, never a ratio. A target of 0 is
    refused where the leaf's ``zero_target`` rule is ``error`` (the default)."""
    needs = np.zeros(len(slots) + 1, dtype=bool)
    refuses_zero = np.zeros(len(slots) + 1, dtype=bool)
    for leaf in system.leaves:
        spec = leaf.spec
        if isinstance(spec, RatioLeaf | CountLeaf) and spec.prorate and spec.target is None:
            needs[slots[leaf.code]] = True
        if leaf.code in slots:  # a checklist's slots are its items, which take no target
            refuses_zero[slots[leaf.code]] = system.zero_target_rule(leaf) == "error"
    idx = np.where(np.isnan(slot), len(slots), slot).astype(np.int64)
    if target is not None:
        report.rows(
            refuses_zero[idx] & (target == 0),
            "target",
            "a target of 0 is refused for this leaf (zero_target: error); if the item does "
            "not apply, say zero_target: zero or skip in the indicator system",
            "该指标不接受目标值 0（zero_target: error）；如该项本年度不适用，"
            "请在指标体系中设置 zero_target: zero 或 skip",
        )
    if not needs.any():
        return
    absent = np.ones(len(slot), dtype=bool) if target is None else np.isnan(target)
    report.rows(
        needs[idx] & absent & ~np.isnan(value),
        "target",
        "this leaf is pro-rated and has no target of its own: give the unit's target",
        "该指标按进度折算且未设统一目标值，须填写本单位的目标值",
    )
