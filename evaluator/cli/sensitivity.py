"""``evaluator sensitivity``: are a cohort's grades robust to the weights? (thin: parse,
call the engine's analysis, print; see docs/sensitivity.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evaluator.cli.common import EXIT_OK, score_files
from evaluator.cli.files import Stages, atomic_write, check_suffix
from evaluator.errors import InvalidInput, Problem


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sensitivity", help="are the grades robust to the weights? (权重敏感性与不确定性分析)"
    )
    p.add_argument("--system", required=True, help="indicator system (.yaml)")
    p.add_argument("--input", required=True, help="raw inputs (.csv or .xlsx), as for score")
    p.add_argument("--sheet", help="sheet of a workbook input")
    p.add_argument("--rubrics", action="append", default=[], help="extra rubric-set folder")
    p.add_argument("--samples", type=int, default=1000, help="weightings sampled (default 1000)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same result)")
    p.add_argument(
        "--spread",
        type=float,
        default=0.25,
        help="each weight within ±spread of nominal (default 0.25)",
    )
    p.add_argument(
        "--levels",
        default="1,2",
        help="tree depths whose weights vary (default 1,2: families and indicators)",
    )
    p.add_argument("--method", choices=["uniform", "dirichlet"], default="uniform")
    p.add_argument(
        "--concentration",
        type=float,
        default=50.0,
        help="Dirichlet concentration (larger: closer to nominal)",
    )
    p.add_argument(
        "--vary-aggregation",
        action="store_true",
        help="also switch groups between arithmetic and geometric",
    )
    p.add_argument(
        "--vary-missing",
        action="store_true",
        help="also score missing inputs by the other missing-input rule (zero ↔ skip)",
    )
    p.add_argument(
        "--fragile",
        type=float,
        default=0.10,
        help="flip probability above which a grade is fragile (default 0.10)",
    )
    p.add_argument(
        "--no-attribution", action="store_true", help="skip Sobol indices, the surrogate and PCA"
    )
    p.add_argument("--output", type=Path, help="report.json or report.xlsx")
    p.set_defaults(handler=cmd_sensitivity)


# The analysis (scikit-learn, SALib), the engine, the reporting and pandas are imported
# inside the functions that use them: ``evaluator --help`` does not need them.
def cmd_sensitivity(args) -> int:
    from evaluator.analysis.report import sensitivity_report
    from evaluator.analysis.sensitivity import Settings

    try:
        settings = Settings.from_options(
            samples=args.samples,
            seed=args.seed,
            spread=args.spread,
            levels=args.levels,
            method=args.method,
            concentration=args.concentration,
            vary_aggregation=args.vary_aggregation,
            fragile=args.fragile,
            vary_missing=args.vary_missing,
        )
    except ValueError:
        raise InvalidInput(
            Problem(
                "samples ≥ 2, 0.000001 ≤ spread < 1, levels like 1,2, 0.001 ≤ concentration ≤ 1e6",
                "samples ≥ 2，0.000001 ≤ spread < 1，levels 形如 1,2，0.001 ≤ concentration ≤ 1e6",
                path="options",
            )
        ) from None
    if args.output:
        check_suffix(args.output, {".json", ".xlsx"})
    with Stages(["system", "input", "score", "sensitivity", "output"]) as stage:
        system, result = score_files(args, stage)
        doc = sensitivity_report(system, result, settings, attribution=not args.no_attribution)
        stage()
        if args.output:
            write_report(doc, args.output)
        stage()
    print(
        f"{len(doc['units'])} units · {settings.samples} weightings (±{settings.spread:.0%}, levels {','.join(map(str, settings.levels))}, seed {settings.seed})"
    )
    cohort = doc["cohort"]
    print(
        f"mean rank shift 平均名次变动 {cohort['mean_rank_shift']['mean']:.2f} (90%: {cohort['mean_rank_shift']['p5']:.2f}–{cohort['mean_rank_shift']['p95']:.2f}); "
        f"Spearman ρ with the nominal ranking 与名义排名的相关 {cohort['spearman']['median']:.3f} (90%: {cohort['spearman']['p5']:.3f}–{cohort['spearman']['p95']:.3f})"
    )
    moved = [u for u in doc["units"] if u["grade_flip"] > 0]
    if not moved:
        print("every grade is robust 所有等级均稳健 (no sample changes any grade)")
    places = system.spec.decimals  # totals as the system publishes them
    for u in sorted(moved, key=lambda u: -u["grade_flip"]):
        tag = "FRAGILE 不稳健" if u["fragile"] else "robust 稳健"
        drivers = ", ".join(f"{d['weight']} (ρ {d['rho']:+.2f})" for d in u["drivers"])
        print(
            f"  {u['unit']:<10} {u['grade']:<10} total {u['total']:.{places}f} [{u['total_p5']:.{places}f}, {u['total_p95']:.{places}f}]  P(grade changes 等级改变) {u['grade_flip']:.1%}  {tag}  driven by 驱动: {drivers}"
        )
    attribution = doc.get("attribution")
    if attribution:
        top = sorted(attribution["rank_shift"], key=lambda r: -r["ST"])[:5]
        print(
            "Sobol total indices of the rank shift 名次变动的总效应指数: "
            + ", ".join(f"{r['weight']} {r['ST']:.2f}±{r['ST_conf']:.2f}" for r in top)
        )
        sur = attribution["surrogate"]
        print(
            f"surrogate 代理模型 R² {sur['r2']}: "
            + ", ".join(f"{r['weight']} {r['mean']:.3f}" for r in sur["importance"][:5])
        )
    if args.output:
        print(f"written 已写入: {args.output}")
    return EXIT_OK


def write_report(doc: dict, path: Path) -> None:
    from evaluator.reporting.sensitivity import report_sheets

    if path.suffix.lower() == ".json":
        atomic_write(
            path,
            lambda p: p.write_text(
                json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            ),
        )
        return
    import pandas as pd

    def write_xlsx(p: Path) -> None:
        with pd.ExcelWriter(p, engine="xlsxwriter") as writer:
            for name, frame in report_sheets(doc).items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)
                writer.sheets[name[:31]].freeze_panes(1, 0)

    atomic_write(path, write_xlsx)
