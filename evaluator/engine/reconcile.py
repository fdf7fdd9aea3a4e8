"""Multi-rater reconciliation: several evaluators' rows for the same (unit, leaf, item)
turned into the one row per (unit, leaf, item) that :func:`evaluator.engine.score` takes.

Input: the long raw table of docs/indicator-systems.md plus a ``rater`` column (and a
``lead`` column for the ``lead`` rule). Every rater's row is validated exactly as a
single-rater table is (same messages, same row numbers), so nothing a rater typed is lost
silently. The rules, the per-method conversions and why they were chosen are documented in
docs/indicator-systems.md, "Several raters".

Vectorised: one sort of the rows by (unit, slot, value, rater) and grouped reductions over
the sorted arrays; the only Python loops are over the system's leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from evaluator.engine.inputs import (
    MAX_PROBLEMS,
    Locate,
    default_locate,
    slot_key,
)
from evaluator.engine.rater_rows import RaterRows, validate_rows
from evaluator.errors import InvalidInput, Problem
from evaluator.systems import IndicatorSystem
from evaluator.systems.schema import ChecklistLeaf

RULES = ("trimmed", "mean", "median", "lead")
TOL = 1e-9
REPORT_COLUMNS = (
    "unit", "leaf", "item", "n_raters", "min", "max", "spread", "average", "value", "tie", "dropped",
)  # fmt: skip


@dataclass(frozen=True)
class Reconciliation:
    """``table``: one row per (unit, leaf, item), ready for ``score``; ``report``: the
    panel's agreement per row of ``table`` (same order)."""

    table: pd.DataFrame
    report: pd.DataFrame


def reconcile(
    system: IndicatorSystem,
    raw: pd.DataFrame,
    rule: str = "trimmed",
    *,
    locate: Locate = default_locate,
) -> pd.DataFrame:
    """Reconcile several raters' rows into one row per (unit, leaf, item).

    ``raw``: long table with ``unit``, ``leaf``, ``value``, ``rater`` (and optionally
    ``item``, ``target``, ``n``, ``elapsed``, ``lead``), one row per rater. Returns the
    long table with columns ``unit``, ``leaf`` (``item``, ``target``, ``n``, ``elapsed``
    where ``raw`` has them) and no rater column. ``rule``: ``trimmed`` (default), ``mean``,
    ``median`` or ``lead``. Raises InvalidInput listing every bad cell or conflict.
    """
    return reconciliation(system, raw, rule, locate=locate, report=False).table


def reconcile_report(
    system: IndicatorSystem,
    raw: pd.DataFrame,
    rule: str = "trimmed",
    *,
    locate: Locate = default_locate,
) -> pd.DataFrame:
    """Per (unit, leaf, item): ``n_raters``, ``min``, ``max``, ``spread`` (max − min) of the
    raters' values, ``average`` (the rule's result before the method's conversion),
    ``value`` (as scored), ``tie`` (a yes/no item split exactly in half) and ``dropped``
    (tuple of the raters whose values did not count)."""
    return reconciliation(system, raw, rule, locate=locate).report


def reconciliation(
    system: IndicatorSystem,
    raw: pd.DataFrame,
    rule: str = "trimmed",
    *,
    locate: Locate = default_locate,
    report: bool = True,
) -> Reconciliation:
    """Both the reconciled table and the report in one pass (``report=False``: table only,
    the report is then an empty frame)."""
    if rule not in RULES:
        raise InvalidInput(
            f"unknown reconciliation rule {rule!r}: use one of {', '.join(RULES)}",
            f"未知的合议规则 {rule!r}，可选：{'、'.join(RULES)}",
        )
    frame = raw.reset_index(drop=True)
    rows = validate_rows(system, frame, rule, locate)
    return _combine(system, rows, rule, locate, report)


def reconciliation_by_leaf(
    system: IndicatorSystem,
    raw: pd.DataFrame,
    *,
    locate: Locate = default_locate,
    report: bool = True,
) -> Reconciliation:
    """:func:`reconciliation` with each leaf's own rule (its ``reconcile``, else the
    system's): the rows of each rule reconciled apart, problems located at the rows of
    ``raw``, the tables joined in (unit, leaf, item) order."""
    frame = raw.reset_index(drop=True)
    default = str(system.spec.reconcile)
    rules = {n.code: system.reconcile_rule(n) for n in system.nodes.values() if n.is_leaf}
    by_rule = frame["leaf"].map(lambda code: rules.get(code, default)) if len(frame) else None
    if by_rule is None or by_rule.nunique() <= 1:
        rule = default if by_rule is None else str(by_rule.iloc[0])
        return reconciliation(system, frame, rule, locate=locate, report=report)
    tables, reports, problems = [], [], []
    for rule in sorted(set(by_rule)):
        part = frame[by_rule == rule]
        try:
            done = reconciliation(
                system, part, rule, locate=_at_rows(locate, part.index.to_numpy()), report=report
            )
        except InvalidInput as exc:
            problems += exc.problems
            continue
        tables.append(done.table)
        reports.append(done.report)
    if problems:
        raise InvalidInput(problems)
    order = ["unit", "leaf", "item"]
    table = pd.concat(tables, ignore_index=True)
    table = table.sort_values([c for c in order if c in table], na_position="first", kind="stable")
    joined = pd.concat(reports, ignore_index=True) if report else reports[0]
    if report and len(joined):
        joined = joined.sort_values(order, na_position="first", kind="stable")
    return Reconciliation(table.reset_index(drop=True), joined.reset_index(drop=True))


def _at_rows(locate: Locate, rows: np.ndarray) -> Locate:
    """``locate`` for a part of a table: its i-th row is row ``rows[i]`` of the whole."""

    def here(i: int, column: str, en: str, zh: str) -> Problem:
        return locate(int(rows[i]), column, en, zh)

    return here


def _slot_kinds(
    system: IndicatorSystem, slots: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    """Per slot: binary (checklist item or veto), likert, and the rubric leaves' level sets."""
    binary = np.zeros(len(slots), dtype=bool)
    likert = np.zeros(len(slots), dtype=bool)
    rubrics: dict[int, np.ndarray] = {}
    for v in system.spec.vetoes:
        binary[slots[v.code]] = True
    for node in system.leaves + system.bonus_leaves:
        if node.method == "checklist":
            binary[
                [slots[slot_key(node.code, it.code)] for it in node.spec_as(ChecklistLeaf).items]
            ] = True
        elif node.method == "likert":
            likert[slots[node.code]] = True
        elif node.method == "rubric":
            rubrics[slots[node.code]] = np.unique(
                [lv.level for lv in system.rubric_levels(node)]
            ).astype(float)
    return binary, likert, rubrics


def nearest_level(x: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Round each value to the nearest level of a sorted level set, half up (2.5 → 3)."""
    if len(levels) == 1:
        return np.full_like(x, levels[0])
    i = np.clip(np.searchsorted(levels, x), 1, len(levels) - 1)
    lo, hi = levels[i - 1], levels[i]
    return np.where(hi - x <= x - lo + TOL, hi, lo)


def _combine(
    system: IndicatorSystem, rows: RaterRows, rule: str, locate: Locate, with_report: bool
) -> Reconciliation:
    n_slots = len(rows.slots)
    # Sort by (unit, slot), then value, then rater name: ties at the top or bottom drop the
    # rater whose name sorts first/last, whatever the row order.
    rater_rank = np.argsort(np.argsort(np.array(rows.rater_names, dtype=object))).astype(np.int64)
    group_key = rows.unit.astype(np.int64) * n_slots + rows.slot
    order = np.lexsort((rater_rank[rows.rater], rows.value, group_key))
    key, v = group_key[order], rows.value[order]
    rater, lead = rows.rater[order], rows.lead[order]
    extra = {c: a[order] for c, a in rows.extra.items()}
    m = len(v)
    first = np.ones(m, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    n_groups = len(starts)
    gid = np.cumsum(first) - 1
    count = np.diff(np.append(starts, m))
    pos = np.arange(m) - starts[gid]

    # Which rows count.
    c = count[gid]
    used = (
        (c < 3) | ((pos > 0) & (pos < c - 1))
        if rule in ("trimmed", "lead")
        else np.ones(m, dtype=bool)
    )
    if rule == "lead":
        is_lead = rater == lead
        has_lead = np.bincount(gid, weights=is_lead, minlength=n_groups) > 0
        used = np.where(has_lead[gid], is_lead, used)

    slot = key[starts] % n_slots
    binary, likert, rubrics = _slot_kinds(system, rows.slots)
    uv = np.where(used, v, np.nan)
    lo_used, hi_used = _reduce(np.fmin, uv, starts), _reduce(np.fmax, uv, starts)
    if rule == "median":
        average = (v[starts + (count - 1) // 2] + v[starts + count // 2]) / 2
    else:
        weight = used.astype(float)
        if "n" in extra:  # a likert leaf: the means weighted by n when every counted row has n
            n = extra["n"]
            lacks = np.bincount(gid, weights=used & np.isnan(n), minlength=n_groups) > 0
            by_n = likert[slot] & ~lacks
            by_n &= (
                np.bincount(gid, weights=np.where(used, np.nan_to_num(n), 0.0), minlength=n_groups)
                > 0
            )
            weight = np.where(by_n[gid], np.where(used, np.nan_to_num(n), 0.0), weight)
        average = np.bincount(gid, weights=weight * np.where(used, v, 0.0), minlength=n_groups)
        average = average / np.bincount(gid, weights=weight, minlength=n_groups)
    # Exact when the counted raters agree; never outside their range.
    average = np.where(lo_used == hi_used, lo_used, np.clip(average, lo_used, hi_used))

    value = average.copy()
    tie = binary[slot] & (np.abs(average - 0.5) <= TOL)
    value[binary[slot]] = (average[binary[slot]] > 0.5 + TOL).astype(float)  # a tie is not a yes
    for s, levels in rubrics.items():
        here = slot == s
        value[here] = nearest_level(average[here], levels)

    out = {"unit": np.array(rows.unit_names, dtype=object)[key[starts] // n_slots]}
    names = list(rows.slots)
    leaf_of = np.array([k.split("\x1f")[0] for k in names], dtype=object)
    item_of = np.array([k.split("\x1f")[1] if "\x1f" in k else None for k in names], dtype=object)
    out["leaf"] = leaf_of[slot]
    if rows.has_item:
        out["item"] = item_of[slot]
    out["value"] = value
    conflicts: list[Problem] = []
    for col, a in extra.items():
        if col == "n":  # never more respondents than one counted rater reported
            out["n"] = _reduce(np.fmax, np.where(used, a, np.nan), starts)
            continue
        lo, hi = _reduce(np.fmin, a, starts), _reduce(np.fmax, a, starts)
        clash = hi - lo > TOL * np.maximum(1.0, np.abs(hi))
        if clash.any():
            where = (out["unit"], out["leaf"], item_of[slot])
            conflicts += _conflicts(
                col,
                clash,
                starts,
                count,
                a,
                rater,
                rows,
                order,
                where,
                locate,
                MAX_PROBLEMS - len(conflicts),
            )
        out[col] = lo
    if conflicts:
        raise InvalidInput(conflicts)
    table = pd.DataFrame(out)
    if not with_report:
        return Reconciliation(table, pd.DataFrame(columns=list(REPORT_COLUMNS)))
    lo_all, hi_all = v[starts], v[starts + count - 1]
    report = pd.DataFrame(
        {
            "unit": out["unit"],
            "leaf": out["leaf"],
            "item": item_of[slot],
            "n_raters": count,
            "min": lo_all,
            "max": hi_all,
            "spread": hi_all - lo_all,
            "average": average,
            "value": value,
            "tie": tie,
            "dropped": _dropped(~used, gid, rater, rows.rater_names, n_groups),
        }
    )
    return Reconciliation(table, report)


def _reduce(ufunc: np.ufunc, a: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return ufunc.reduceat(a, starts) if len(starts) else np.zeros(0)


def _dropped(
    dropped: np.ndarray,
    gid: np.ndarray,
    rater: np.ndarray,
    rater_names: list[str],
    n_groups: int,
) -> list[tuple[str, ...]]:
    """Per group, the raters whose values did not count (lowest value first)."""
    if not dropped.any():
        return [()] * n_groups
    names = np.array(rater_names, dtype=object)[rater[dropped]].tolist()
    bounds = np.searchsorted(gid[dropped], np.arange(n_groups + 1)).tolist()
    return [tuple(names[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _conflicts(
    col: str,
    clash: np.ndarray,
    starts: np.ndarray,
    count: np.ndarray,
    a: np.ndarray,
    rater: np.ndarray,
    rows: RaterRows,
    order: np.ndarray,
    where: tuple[Any, Any, Any],
    locate: Locate,
    room: int,
) -> list[Problem]:
    """One problem per raw row of a (unit, slot) whose raters gave different values of a
    contract column (target, elapsed)."""
    problems: list[Problem] = []
    zh_col = {"target": "目标值", "elapsed": "进度"}[col]
    units, leaves, items = where
    for g in np.flatnonzero(clash):
        members = [i for i in range(starts[g], starts[g] + count[g]) if not np.isnan(a[i])]
        given = ", ".join(f"{rows.rater_names[rater[i]]}: {a[i]:g}" for i in members)
        item_en = f" item {items[g]}" if items[g] is not None else ""
        item_zh = f" 子项 {items[g]}" if items[g] is not None else ""
        en = (
            f"unit {units[g]}, leaf {leaves[g]}{item_en}: raters give different {col} values ({given}); "
            f"{col} is contract data, not a judgement: make the rows agree or leave all but one blank"
        )
        zh = (
            f"单位 {units[g]} 指标 {leaves[g]}{item_zh}：各评估员填写的{zh_col}不一致（{given}）；"
            f"{zh_col}为合同数据而非评分，须更正为一致或只保留一处"
        )
        for i in members:
            if len(problems) >= room:
                return problems
            problems.append(replace(locate(int(rows.index[order[i]]), col, en, zh), en=en, zh=zh))
    return problems
