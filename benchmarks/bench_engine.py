"""Benchmark: the vectorised engine against a per-unit Python loop over the same engine.

A synthetic indicator system of exactly 60 scored leaves (5 families; checklist, ratio,
rubric, likert, count and deduction leaves) and a raw long table for N units (default
10,000) from the demo's generator. Times, best of 3 after a warm-up:

- ``score(system, raw)``: the full path, including input validation;
- ``prepare_inputs`` alone and ``score_inputs`` on prepared inputs;
- the baseline, measured in the same run: for each unit, select its rows and call
  ``score(system, rows)`` — what a non-vectorised implementation does — timed on a random
  sample of units and extrapolated linearly to all units (``--full-loop`` runs them all).

Exits 1 if the vectorised totals or grades differ from the loop's on the sampled units.

    python benchmarks/bench_engine.py [--units 10000] [--seed 7] [--loop-units 500] [--full-loop]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import pandas as pd

from evaluator.demo.scoring import synthetic_inputs
from evaluator.engine import prepare_inputs, score, score_inputs
from evaluator.systems import IndicatorSystem, parse_system

FAMILIES = [
    ("F1", "行政合规", "Administrative compliance"),
    ("F2", "项目管理", "Project management"),
    ("F3", "服务产出与成效", "Service outputs and outcomes"),
    ("F4", "社会影响", "Social impact"),
    ("F5", "满意度", "Satisfaction"),
]
METHODS = ["checklist", "ratio", "rubric", "likert", "count", "deduction"]
LEAF_POINTS = [2, 2, 1]  # three leaves per indicator of 5 points, four indicators per family


def _leaf_yaml(code: str, i: int, points: float) -> list[str]:
    method = METHODS[i % len(METHODS)]
    variant = (i // len(METHODS)) % 3
    out = [
        f"          - code: {code}",
        f"            name: {{zh: 末级指标{code}, en: Leaf {code}}}",
        f"            points: {points}",
        f"            method: {method}",
    ]
    if method == "checklist":
        out.append("            items:")
        out += [
            f"              - {{code: {c}, text: 子项{c}, points: {points / 4}}}" for c in "abcd"
        ]
    elif method == "ratio":
        if variant == 0:  # per-unit target column, pro-rated at mid-term, bands
            out += ["            prorate: true", "            bands:"]
            out += [
                f"              - {{min: {m}, share: {s}}}"
                for m, s in ((1.0, 1), (0.8, 0.667), (0.6, 0.333))
            ]
        elif variant == 1:  # constant target, linear
            out += ["            target: 0.8", "            linear: {floor: 0.5, cap: 1.0}"]
        else:  # the value is the ratio itself
            out += [
                "            bands:",
                "              - {min: 0.95, share: 1}",
                "              - {min: 0.85, share: 0.5}",
            ]
    elif method == "rubric":
        if variant % 2 == 0:
            out.append("            rubric: level-0-4")
        else:
            out.append("            levels:")
            out += [
                f"              - {{level: {lv}, zh: 等级{lv}, en: Level {lv}}}" for lv in range(4)
            ]
    elif method == "likert":
        below = "zero" if variant % 2 == 0 else "score"
        out += [
            "            mapping: [[3.0, 0], [4.5, 1]]",
            "            min_n: 30",
            f"            below_min_n: {below}",
        ]
    elif method == "count":
        if variant % 2 == 0:
            out += [
                "            steps:",
                "              - {min: 3, share: 1}",
                "              - {min: 2, share: 0.67}",
                "              - {min: 1, share: 0.33}",
            ]
        else:
            out += [
                "            per_target: true",
                "            target: 12",
                "            prorate: true",
                "            steps:",
            ]
            out += [
                "              - {min: 1.0, share: 1}",
                "              - {min: 0.9, share: 0.67}",
                "              - {min: 0.75, share: 0.33}",
            ]
    else:
        out.append("            penalty: 0.5")
    return out


def system_yaml() -> str:
    """The benchmark system as YAML text: 5 families × 4 indicators × 3 leaves = 60."""
    lines = [
        "system:",
        "  id: bench-60",
        '  version: "1"',
        "  name: {zh: 基准测试指标体系, en: Benchmark system with 60 leaves}",
        "  unit: station",
        "  total_points: 100",
        "grades:",
        "  - {code: excellent, zh: 优秀, en: Excellent, min: 90}",
        "  - {code: good, zh: 良好, en: Good, min: 80}",
        "  - {code: pass, zh: 合格, en: Pass, min: 60}",
        "  - {code: fail, zh: 不合格, en: Fail, min: 0}",
        "vetoes:",
        "  - {code: V1, name: {zh: 挪用项目资金, en: Misuse of funds}}",
        "  - {code: V2, name: {zh: 转包, en: Subcontracting}}",
        "floors:",
        "  - {level: 1, below: 0.5, cap: pass}",
        "tree:",
    ]
    i = 0
    for fcode, zh, en in FAMILIES:
        lines += [
            f"  - code: {fcode}",
            f"    name: {{zh: {zh}, en: {en}}}",
            "    points: 20",
            "    children:",
        ]
        for k in range(1, 5):
            icode = f"{fcode}.{k}"
            lines += [
                f"      - code: {icode}",
                f"        name: {{zh: 指标{icode}, en: Indicator {icode}}}",
                "        points: 5",
                "        children:",
            ]
            for j, pts in enumerate(LEAF_POINTS, start=1):
                lines += _leaf_yaml(f"{icode}.{j}", i, pts)
                i += 1
    return "\n".join(lines) + "\n"


def build(units: int, seed: int) -> tuple[IndicatorSystem, pd.DataFrame]:
    system = parse_system(system_yaml(), "bench-60.yaml")
    assert len(system.leaves) == 60, len(system.leaves)
    rng = np.random.default_rng(seed)
    codes = [f"U{i:06d}" for i in range(units)]
    quality = rng.beta(5, 1.6, units)  # most units good, a tail of weak ones
    raw = synthetic_inputs(system, codes, quality, rng, elapsed=0.5)
    raw = raw[rng.random(len(raw)) >= 0.003].reset_index(drop=True)  # a few missing rows
    veto = raw["leaf"].isin(["V1", "V2"]).to_numpy() & (rng.random(len(raw)) < 0.002)
    raw.loc[veto, "value"] = 1.0
    return system, raw


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    out = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def per_unit_loop(
    system: IndicatorSystem, raw: pd.DataFrame, sample: list[str]
) -> tuple[float, pd.Series, pd.Series]:
    """The non-vectorised way: one engine call per unit on that unit's rows."""
    rows_of = raw.groupby("unit", sort=False).indices  # row positions per unit (not timed)
    score(system, raw.iloc[rows_of[sample[0]]])  # warm-up
    totals, grades = {}, {}
    t0 = time.perf_counter()
    for unit in sample:
        result = score(system, raw.iloc[rows_of[unit]])
        totals[unit] = float(result.total.iloc[0])
        grades[unit] = result.grade.iloc[0]
    return time.perf_counter() - t0, pd.Series(totals), pd.Series(grades)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--loop-units", type=int, default=500, help="units timed in the per-unit loop")
    ap.add_argument("--full-loop", action="store_true", help="run the loop over every unit")
    args = ap.parse_args(argv)

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"Python {platform.python_version()} · numpy {np.__version__} · pandas {pd.__version__} · "
        f"cores {os.cpu_count()} (usable {affinity}) · {platform.machine()}"
    )
    t0 = time.perf_counter()
    system, raw = build(args.units, args.seed)
    n_units = raw["unit"].nunique()
    methods = pd.Series([lf.method for lf in system.leaves]).value_counts().to_dict()
    print(
        f"system {system.id}: {len(system.leaves)} scored leaves {methods}, {len(system.spec.vetoes)} vetoes"
    )
    print(
        f"raw input: {len(raw):,} rows for {n_units:,} units (built in {time.perf_counter() - t0:.2f} s)"
    )

    t_full, result = best_of(lambda: score(system, raw))
    t_prep, inputs = best_of(lambda: prepare_inputs(system, raw))
    t_core, _ = best_of(lambda: score_inputs(system, inputs))

    rng = np.random.default_rng(args.seed + 1)
    units = list(result.units)
    k = n_units if args.full_loop else min(args.loop_units, n_units)
    sample = (
        units
        if args.full_loop
        else [units[i] for i in sorted(rng.choice(n_units, k, replace=False))]
    )
    t_sample, loop_totals, loop_grades = per_unit_loop(system, raw, sample)
    t_loop = t_sample * n_units / k
    how = (
        "measured on all units"
        if args.full_loop
        else f"extrapolated linearly from a random sample of {k} units ({t_sample:.2f} s)"
    )

    rows = [
        ("score(system, raw): validate + score", t_full),
        ("  prepare_inputs (validation, matrices)", t_prep),
        ("  score_inputs (prepared inputs)", t_core),
        ("per-unit loop: score() per unit" + ("" if args.full_loop else " [extrapolated]"), t_loop),
    ]
    print()
    print(f"{'case':<48} {'seconds':>10} {'units/s':>12} {'vs loop':>9}")
    print("-" * 82)
    for name, secs in rows:
        print(f"{name:<48} {secs:>10.4f} {n_units / secs:>12,.0f} {t_loop / secs:>8.1f}×")
    print(
        f"\nloop baseline: {how}; timings: best of 3 after a warm-up (loop: one pass after a one-unit warm-up)"
    )

    vec_totals = result.total.loc[sample]
    vec_grades = result.grade.loc[sample]
    bad = ~np.isclose(vec_totals.to_numpy(), loop_totals.loc[sample].to_numpy(), rtol=0, atol=1e-9)
    bad |= vec_grades.to_numpy() != loop_grades.loc[sample].to_numpy()
    goal_time, goal_ratio = t_full < 0.5, t_loop / t_full >= 50
    print(
        f"targets: full score < 0.5 s: {'yes' if goal_time else 'NO'} ({t_full:.3f} s); "
        f"≥ 50× the loop: {'yes' if goal_ratio else 'NO'} ({t_loop / t_full:.0f}×)"
    )
    if bad.any():
        print(
            f"MISMATCH: {int(bad.sum())} of {k} sampled units differ between vectorised and loop results, e.g.:"
        )
        print(
            pd.DataFrame(
                {"vectorised": vec_totals[bad], "loop": loop_totals.loc[sample][bad]}
            ).head(10)
        )
        return 1
    print(f"check: vectorised totals and grades equal the per-unit loop on all {k} sampled units")
    return 0


if __name__ == "__main__":
    sys.exit(main())
