"""``evaluator check-system``, ``evaluator score`` and ``evaluator score-table``: indicator
systems and scoring from files, no database (thin: parse, call the engine, print)."""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluator.cli.common import EXIT_INPUT, EXIT_OK, score_files
from evaluator.cli.files import Stages, atomic_write, check_suffix
from evaluator.errors import EvaluatorError, InvalidInput, Problem


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-system", help="validate indicator systems (校验指标体系)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--rubrics",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="extra rubric level-set directory",
    )
    p.set_defaults(handler=cmd_check_system)

    p = sub.add_parser("score", help="score a cohort with an indicator system (按指标体系计分)")
    p.add_argument("--system", required=True, type=Path, metavar="FILE")
    p.add_argument("--input", required=True, type=Path, metavar="RAW.csv|RAW.xlsx")
    p.add_argument("--sheet", help="sheet of the input workbook (default: the first)")
    p.add_argument("--output", type=Path, metavar="OUT.csv|OUT.xlsx")
    p.add_argument("--rubrics", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument(
        "--explain",
        metavar="UNIT",
        action="append",
        default=[],
        help="print the per-leaf explanation of UNIT",
    )
    p.set_defaults(handler=cmd_score)

    p = sub.add_parser(
        "score-table", help="generic composite indicator from flat tables (通用综合指数)"
    )
    p.add_argument("--structure", required=True, type=Path, metavar="STRUCT.csv")
    p.add_argument("--data", required=True, type=Path, metavar="DATA.csv")
    p.add_argument(
        "--normalise", "--normalize", default="minmax", choices=["minmax", "zscore", "rank", "none"]
    )
    p.add_argument("--aggregate", default="arithmetic", choices=["arithmetic", "geometric"])
    p.add_argument("--output", type=Path, metavar="OUT.csv")
    p.set_defaults(handler=cmd_score_table)


# The engine, the systems and pandas are imported inside the commands: ``evaluator --help``
# does not need them.
def cmd_check_system(args) -> int:
    from evaluator.systems import load_system

    failed = 0
    for file in args.files:
        try:
            system = load_system(file, rubric_dirs=args.rubrics)
        except EvaluatorError as exc:
            failed += 1
            print(f"✗ {file}: {len(exc.problems)} problem(s) (发现 {len(exc.problems)} 处问题)")
            for problem in exc.problems:
                print(f"  {problem}")
            continue
        print(f"✓ {file}")
        for line in describe_system(system.summary()):
            print(f"  {line}")
    return EXIT_INPUT if failed else EXIT_OK


GRADE_ON = {"total": "total 总分（含加分）", "base": "base 基础分（加分不计入等级）"}


def describe_system(s: dict) -> list[str]:
    methods = ", ".join(f"{m} {n}" for m, n in s["methods"].items())
    return [
        f"{s['id']} {s['version']}: {s['name_zh']} / {s['name_en']}",
        f"unit 评估对象: {s['unit']}   depth 层级: {s['depth']}   families 一级指标: {s['families']}   "
        f"leaves 末级指标: {s['leaves']} (+{s['bonus_leaves']} bonus 加分项)",
        f"total points 总分: {s['total_points']:g}   bonus cap 加分上限: {s['bonus_cap']:g}   vetoes 否决项: {s['vetoes']}",
        f"graded on 评定等级依据: {GRADE_ON[s['grade_on']]}",
        f"methods 计分方法: {methods}",
        f"hash: {s['hash']}",
    ]


def cmd_score(args) -> int:
    from evaluator.reporting.scores import printed, summary_table, unit_tree

    with Stages(["system", "input", "score", "output"]) as stage:
        _, result = score_files(args, stage)
        if args.output:
            write_result(result, args.output)
        stage()
    decimals = result.system.spec.decimals
    families = tuple(f.code for f in result.system.families)
    print(printed(summary_table(result), decimals, scores=families))
    for unit in args.explain:
        if unit not in set(result.units):
            raise InvalidInput(
                Problem(f"unit {unit} is not in the input", f"输入中没有单位 {unit}")
            )
        print(f"\n{unit}:")
        print(printed(unit_tree(result, unit), decimals))
    if args.output:
        print(f"\nwritten 已写入: {args.output}")
    return EXIT_OK


def cmd_score_table(args) -> int:
    from evaluator.engine.composite import score_composite
    from evaluator.evidence.composite_data import load_composite_data
    from evaluator.systems.flat import load_structure

    structure = load_structure(args.structure)
    data = load_composite_data(args.data, structure)
    out = score_composite(structure, data, normalise=args.normalise, aggregate=args.aggregate)
    if args.output:
        check_suffix(args.output, {".csv"})
        atomic_write(args.output, lambda p: out.to_csv(p, index=False, encoding="utf-8-sig"))
        print(f"written 已写入: {args.output} ({len(out)} units)")
    else:
        print(out.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return EXIT_OK


def write_result(result, path: Path) -> None:
    """``.csv``: the unit table (every node, totals, grades, flags; UTF-8 with BOM so that
    Excel opens it). ``.xlsx``: that table, the tree, every unit × leaf explained and the
    flags, one sheet each."""
    from evaluator.reporting.scores import node_sheet, unit_table

    check_suffix(path, {".csv", ".xlsx"})
    table = unit_table(result)
    if path.suffix.lower() == ".csv":
        atomic_write(path, lambda p: table.to_csv(p, index=False, encoding="utf-8-sig"))
        return
    import pandas as pd

    def write_xlsx(p: Path) -> None:
        with pd.ExcelWriter(p, engine="xlsxwriter") as writer:
            table.to_excel(writer, sheet_name="汇总 Summary", index=False)
            node_sheet(result).to_excel(writer, sheet_name="指标 Nodes", index=False)
            result.explanation().to_excel(writer, sheet_name="明细 Explanation", index=False)
            result.flags().to_excel(writer, sheet_name="标记 Flags", index=False)
            for sheet in writer.sheets.values():
                sheet.freeze_panes(1, 1)

    atomic_write(path, write_xlsx)
