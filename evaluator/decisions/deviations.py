"""Deviation findings: the system's ``deviations`` rules applied to a round's results.

Pure: a function of the indicator system, the engine's result and the explanations of
leaves computed from registers. Each rule that holds for a unit gives one finding draft,
naming the nodes (or vetoes, or the total) that caused it with their figures, and a plain
explanation in Chinese and English. Conditions (see docs/decisions.md):

- ``below``: a node's share of its points (listed ``nodes``, or every node at ``level``) is
  strictly below the threshold; skipped nodes never count;
- ``attainment_below``: a ratio leaf's value ÷ target is strictly below the threshold;
- ``total_below``: the unit's graded score is strictly below the threshold (its total, or
  its base score under ``grade_on: base``, the score its grade is taken on);
- ``flag``: a leaf (of ``nodes``, or any) carries the flag: ``insufficient_sample`` (the
  engine's min_n or a survey quota), ``missing``, ``no_target``;
- ``veto``: a veto item (``any``, or one of those listed) is triggered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evaluator.engine import Result
from evaluator.engine.methods import EDGE
from evaluator.systems import IndicatorSystem
from evaluator.systems.schema import Deviation

Cause = dict[str, Any]  # {code, name_zh, name_en, …figures}
Notes = Mapping[tuple[str, str], dict[str, Any]]  # (unit, leaf) → the round's notes on it

SEVERITY_ZH = {
    "observation": "观察",
    "correction": "整改",
    "suspension": "暂缓",
    "termination": "停止",
}
FLAG_ZH = {"insufficient_sample": "样本不足", "missing": "缺少数据", "no_target": "合同未给出目标"}


@dataclass(frozen=True)
class FindingDraft:
    unit: str
    rule: str
    severity: str
    deadline_working_days: int | None
    escalation: str | None
    causes: tuple[Cause, ...]  # what triggered it
    en: str
    zh: str


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def find_deviations(
    system: IndicatorSystem, result: Result, notes: Notes | None = None
) -> list[FindingDraft]:
    """Every finding of every rule for every unit, in rule order then unit order."""
    notes = notes or {}
    table = result.explanation().set_index(["unit", "leaf"])
    out: list[FindingDraft] = []
    for rule in system.spec.deviations:
        for unit in result.units:
            causes = _causes(system, result, table, notes, rule, str(unit))
            if causes:
                en, zh = _explain(system, rule, causes)
                out.append(
                    FindingDraft(
                        str(unit),
                        rule.code,
                        rule.severity,
                        rule.deadline,
                        rule.escalation,
                        tuple(causes),
                        en,
                        zh,
                    )
                )
    return out


def _nodes(system: IndicatorSystem, rule: Deviation) -> list[str]:
    when = rule.when
    if when.nodes is not None:
        return list(when.nodes)
    if when.level is not None:
        return [n.code for n in system.nodes.values() if n.depth == when.level and not n.is_bonus]
    return [leaf.code for leaf in system.leaves]


def _named(system: IndicatorSystem, code: str, **figures: object) -> Cause:
    node = system.nodes[code]
    return {"code": code, "name_zh": node.name.zh, "name_en": node.name.en, **figures}


def _causes(
    system: IndicatorSystem,
    result: Result,
    table: pd.DataFrame,
    notes: Notes,
    rule: Deviation,
    unit: str,
) -> list[Cause]:
    when, kind = rule.when, rule.when.kind
    if kind == "total_below":
        assert when.total_below is not None  # the kind says which threshold is set
        total = float(result.graded[unit])
        on_base = system.spec.grade_on == "base"
        return (
            [
                {
                    "code": "total",
                    "name_zh": "基础分" if on_base else "总分",
                    "name_en": "Base score" if on_base else "Total",
                    "total": total,
                    "threshold": when.total_below,
                }
            ]
            if total < when.total_below - EDGE
            else []
        )
    if kind == "veto":
        hit = [
            c
            for c in result.vetoes.columns
            if bool(result.vetoes.loc[unit, c]) and (when.veto == "any" or c in (when.veto or ()))
        ]
        vetoes = {v.code: v for v in system.spec.vetoes}
        return [
            {
                "code": c,
                "name_zh": vetoes[c].name.zh,
                "name_en": vetoes[c].name.en,
                "veto": True,
                "flag": f"veto:{c}",
            }
            for c in hit
        ]
    causes: list[Cause] = []
    for code in _nodes(system, rule):
        if kind == "below":
            assert when.below is not None
            share = float(result.node_shares.loc[unit, code])
            if not math.isnan(share) and share < when.below - EDGE:
                node = system.nodes[code]
                floored = code in result.floors.columns and bool(result.floors.loc[unit, code])
                causes.append(
                    _named(
                        system,
                        code,
                        share=round(share, 6),
                        points=round(share * node.points, 6),
                        max=node.points,
                        threshold=when.below,
                        **({"flag": f"floor:{code}"} if floored else {}),
                    )
                )
        elif kind == "attainment_below":
            assert when.attainment_below is not None
            measure = float(table.loc[(unit, code), "measure"])
            if not math.isnan(measure) and measure < when.attainment_below - EDGE:
                causes.append(
                    _named(
                        system, code, attainment=round(measure, 6), threshold=when.attainment_below
                    )
                )
        elif kind == "flag":
            flags = (
                set(str(table.loc[(unit, code), "flag"] or "").split(";"))
                if (unit, code) in table.index
                else set()
            )
            flags |= set((notes.get((unit, code)) or {}).get("flags", ()))
            if when.flag in flags:
                causes.append(_named(system, code, flag=when.flag))
    return causes


def _explain(system: IndicatorSystem, rule: Deviation, causes: list[Cause]) -> tuple[str, str]:
    """One sentence per language naming the rule and every cause with its figures."""
    kind = rule.when.kind
    parts_en, parts_zh = [], []
    for c in causes:
        if kind == "below":
            got, top = _num(c["points"]), _num(c["max"])
            parts_en.append(
                f"{c['code']} {c['name_en']} scored {got} of {top} ({_pct(c['share'])} < {_pct(c['threshold'])})"
            )
            parts_zh.append(
                f"{c['code']} {c['name_zh']} 得 {got} / {top} 分（{_pct(c['share'])}，低于 {_pct(c['threshold'])}）"
            )
            if "flag" in c:  # the node also tripped a floor rule: its grade is capped
                parts_en[-1] += f", tripping {c['flag']} (the grade is capped)"
                parts_zh[-1] += f"，触发底线 {c['flag']}（等级封顶）"
        elif kind == "attainment_below":
            parts_en.append(
                f"{c['code']} {c['name_en']} attained {_pct(c['attainment'])} of its target (< {_pct(c['threshold'])})"
            )
            parts_zh.append(
                f"{c['code']} {c['name_zh']} 目标达成 {_pct(c['attainment'])}（低于 {_pct(c['threshold'])}）"
            )
        elif kind == "total_below":
            parts_en.append(
                f"the {c['name_en'].lower()} is {_num(c['total'])} (< {_num(c['threshold'])})"
            )
            parts_zh.append(f"{c['name_zh']} {_num(c['total'])}（低于 {_num(c['threshold'])}）")
        elif kind == "flag":
            parts_en.append(f"{c['code']} {c['name_en']}: {c['flag'].replace('_', ' ')}")
            parts_zh.append(f"{c['code']} {c['name_zh']}：{FLAG_ZH[c['flag']]}")
        else:
            parts_en.append(f"veto {c['code']} {c['name_en']} is triggered")
            parts_zh.append(f"否决项 {c['code']} {c['name_zh']} 成立")
    deadline_en = f"; correct within {rule.deadline} working days" if rule.deadline else ""
    deadline_zh = f"；须在 {rule.deadline} 个工作日内整改" if rule.deadline else ""
    en = (
        f"{rule.severity.capitalize()} — {rule.name.en}: " + "; ".join(parts_en) + deadline_en + "."
    )
    zh = (
        f"{SEVERITY_ZH[rule.severity]}——{rule.name.zh}：" + "；".join(parts_zh) + deadline_zh + "。"
    )
    return en, zh


def worst(severities: list[str]) -> str | None:
    """The most severe of ``severities`` (None for none)."""
    order = list(SEVERITY_ZH)
    return max(severities, key=order.index) if severities else None


__all__ = ["FindingDraft", "find_deviations", "worst"]
