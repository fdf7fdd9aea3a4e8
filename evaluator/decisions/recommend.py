"""The renew-or-rebid recommendation for a contract after a round (续签 / 附条件续签 / 重新招标).

Pure: a function of the system's ``recommendation`` rules, the engine's result for the
contract's units and the open findings. The first rule that applies decides:

1. **rebid** — a veto item is confirmed for any unit (``rebid_on_veto``), or a termination
   finding is open;
2. **rebid** — the mean graded score falls in a ``rebid_grades`` grade (default: the
   lowest), or at least ``rebid_station_share`` (default half) of the units are graded in one;
3. **conditional** — any unit is graded in ``rebid_grades`` or ``conditional_grades``
   (default: the second lowest when there are at least three grades, 合格 in the usual
   four), a correction or suspension finding is open, or the
   mean graded score is below ``renew_min`` (default 80);
4. **renew** — otherwise: mean ≥ ``renew_min``, nothing open above an observation.

The graded score is the one the grade bands read: the total, or the base alone under
``grade_on: base`` (bonus outside the grade), so that a rule never grades on one score and
recommends on another.

The explanation names the deciding rules, the families losing most points (mean over the
units) and the leaves losing most.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluator.decisions.deviations import SEVERITY_ZH
from evaluator.engine import Result
from evaluator.systems import IndicatorSystem

Reason = dict[str, Any]  # {rule, en, zh}
Losses = dict[str, list[dict[str, Any]]]  # families and leaves, points lost

OUTCOME_ZH = {"renew": "续签", "conditional": "附条件续签", "rebid": "重新招标"}


@dataclass(frozen=True)
class OpenFinding:
    unit: str
    rule: str
    severity: str


@dataclass(frozen=True)
class Recommendation:
    outcome: str
    reasons: tuple[Reason, ...]
    losses: Losses
    en: str
    zh: str


def grade_sets(system: IndicatorSystem) -> tuple[list[str], list[str]]:
    codes = [g.code for g in system.spec.grades]
    rec = system.spec.recommendation
    rebid = rec.rebid_grades if rec.rebid_grades is not None else codes[-1:]
    conditional = (
        rec.conditional_grades
        if rec.conditional_grades is not None
        else codes[-2:-1]
        if len(codes) >= 3
        else []
    )
    return rebid, conditional


def _grade_of(system: IndicatorSystem, total: float) -> str:
    return next(
        (g.code for g in system.spec.grades if total >= g.min - 1e-9), system.spec.grades[-1].code
    )


def recommend(
    system: IndicatorSystem,
    result: Result,
    findings: Sequence[OpenFinding] = (),
    names: Mapping[str, str] | None = None,
) -> Recommendation:
    """``names``: how the explanation names a unit (an agency round's unit is the agency's
    id: its name reads better); a unit without one is named by its code."""
    units = [str(u) for u in result.units]
    vetoed = [(u, c) for u in units for c in result.vetoes.columns if bool(result.vetoes.loc[u, c])]
    grades = [str(g) for g in result.grade]
    graded = result.graded.to_numpy(dtype=float)
    outcome, reasons = decide_outcome(system, units, grades, graded, vetoed, findings, names)
    losses = _losses(system, result)
    en, zh = _explain(outcome, reasons, losses)
    return Recommendation(outcome, tuple(reasons), losses, en, zh)


def outcome_rule(
    system: IndicatorSystem,
    units: Sequence[str],
    vetoed: Sequence[tuple[str, str]],
    findings: Sequence[OpenFinding] = (),
) -> Callable[[Sequence[str], np.ndarray], str]:
    """The recommendation as a function of the units' grades and graded scores alone (vetoes
    and findings held as they are): what the sensitivity analysis re-evaluates per sample."""

    def outcome(grades: Sequence[str], graded: np.ndarray) -> str:
        return decide_outcome(
            system, list(units), list(grades), np.asarray(graded, dtype=float), vetoed, findings
        )[0]

    return outcome


def decide_outcome(
    system: IndicatorSystem,
    units: list[str],
    grades: list[str],
    graded: np.ndarray,
    vetoed: Sequence[tuple[str, str]],
    findings: Sequence[OpenFinding] = (),
    names: Mapping[str, str] | None = None,
) -> tuple[str, list[Reason]]:
    """The rules of the module docstring, in order: (outcome, the deciding reasons).
    ``graded``: the units' graded scores (totals, or base scores under ``grade_on: base``);
    ``names``: how the reasons name a unit (else by its code)."""

    def n(unit: str) -> str:
        return (names or {}).get(unit, unit)

    rec = system.spec.recommendation
    rebid_grades, conditional_grades = grade_sets(system)
    grade_of = dict(zip(units, grades, strict=True))
    mean = float(graded.mean()) if units else 0.0
    d = system.spec.decimals  # figures as the system publishes them
    what_en, what_zh = (
        ("base score", "基础分") if system.spec.grade_on == "base" else ("total", "总分")
    )
    reasons: list[Reason] = []

    def reason(rule: str, en: str, zh: str) -> None:
        reasons.append({"rule": rule, "en": en, "zh": zh})

    if rec.rebid_on_veto and vetoed:
        shown = ", ".join(f"{c} at {n(u)}" for u, c in vetoed)
        reason(
            "veto",
            f"a veto item is confirmed ({shown})",
            f"否决项成立（{'，'.join(f'{n(u)} {c}' for u, c in vetoed)}）",
        )
    terminations = [f for f in findings if f.severity == "termination"]
    if terminations:
        shown = ", ".join(f"{f.rule} at {n(f.unit)}" for f in terminations)
        reason(
            "termination",
            f"a termination finding is open ({shown})",
            f"存在未结的停止类问题（{'，'.join(f'{n(f.unit)} {f.rule}' for f in terminations)}）",
        )
    mean_grade = _grade_of(system, mean)
    failing = [u for u in units if grade_of[u] in rebid_grades]
    if mean_grade in rebid_grades:
        reason(
            "mean_grade",
            f"the mean {what_en} {mean:.{d}f} is graded {mean_grade}",
            f"平均{what_zh} {mean:.{d}f} 属于 {mean_grade} 等级",
        )
    elif units and len(failing) / len(units) >= rec.rebid_station_share - 1e-12:
        reason(
            "failing_share",
            f"{len(failing)} of {len(units)} units are graded {'/'.join(rebid_grades)}",
            f"{len(units)} 个评估对象中 {len(failing)} 个被评为 {'/'.join(rebid_grades)}",
        )
    if reasons:
        outcome = "rebid"
    else:
        weak = [
            u for u in units if grade_of[u] in rebid_grades or grade_of[u] in conditional_grades
        ]
        if weak:
            reason(
                "weak_units",
                f"units graded {'/'.join(rebid_grades + conditional_grades)}: {', '.join(map(n, weak))}",
                f"被评为 {'/'.join(rebid_grades + conditional_grades)} 的对象：{'、'.join(map(n, weak))}",
            )
        open_ = [f for f in findings if f.severity in ("correction", "suspension")]
        if open_:
            shown = ", ".join(f"{f.rule} ({f.severity}) at {n(f.unit)}" for f in open_)
            reason(
                "open_findings",
                f"findings to correct are open: {shown}",
                f"存在未结的整改类问题：{'，'.join(f'{n(f.unit)} {f.rule}（{SEVERITY_ZH[f.severity]}）' for f in open_)}",
            )
        if mean < rec.renew_min - 1e-9:
            reason(
                "renew_min",
                f"the mean {what_en} {mean:.{d}f} is below {rec.renew_min:g}",
                f"平均{what_zh} {mean:.{d}f} 低于 {rec.renew_min:g}",
            )
        outcome = "conditional" if reasons else "renew"
        if outcome == "renew":
            reason(
                "renew",
                f"the mean {what_en} {mean:.{d}f} is at least {rec.renew_min:g} and nothing above an observation is open",
                f"平均{what_zh} {mean:.{d}f} 不低于 {rec.renew_min:g}，且无观察以上的未结问题",
            )
    return outcome, reasons


def _losses(system: IndicatorSystem, result: Result, k: int = 3) -> Losses:
    """Mean points lost per family and the k leaves losing most (over the units)."""
    points = result.node_points
    families: list[dict[str, Any]] = [
        {
            "code": f.code,
            "zh": f.name.zh,
            "en": f.name.en,
            "lost": round(float(f.points - np.nanmean(points[f.code].fillna(0.0))), 2),
            "max": f.points,
        }
        for f in system.families
        if not f.is_bonus
    ]
    leaves: list[dict[str, Any]] = [
        {
            "code": lf.code,
            "zh": lf.name.zh,
            "en": lf.name.en,
            "lost": round(float(lf.points - np.nanmean(points[lf.code].fillna(0.0))), 2),
            "max": lf.points,
        }
        for lf in system.leaves
    ]
    leaves = sorted(leaves, key=lambda x: -x["lost"])[:k]
    return {
        "families": sorted(families, key=lambda x: -x["lost"]),
        "leaves": [lf for lf in leaves if lf["lost"] > 0],
    }


def _explain(outcome: str, reasons: list[Reason], losses: Losses) -> tuple[str, str]:
    fam = losses["families"][:2]
    lost_en = (
        "; most points lost in "
        + ", ".join(f"{f['code']} {f['en']} (−{f['lost']:g} of {f['max']:g})" for f in fam)
        if fam
        else ""
    )
    lost_zh = (
        "；失分最多的一级指标："
        + "，".join(f"{f['code']} {f['zh']}（失 {f['lost']:g} / {f['max']:g} 分）" for f in fam)
        if fam
        else ""
    )
    leaves = losses["leaves"]
    if leaves:
        lost_en += "; leaves: " + ", ".join(f"{lf['code']} (−{lf['lost']:g})" for lf in leaves)
        lost_zh += "；末级指标：" + "，".join(
            f"{lf['code']}（失 {lf['lost']:g} 分）" for lf in leaves
        )
    en = f"Recommendation: {outcome} — " + "; ".join(r["en"] for r in reasons) + lost_en + "."
    zh = f"建议：{OUTCOME_ZH[outcome]}——" + "；".join(r["zh"] for r in reasons) + lost_zh + "。"
    return en, zh
