"""The ``evaluator`` command line (thin: parse, call, render).

Exit codes: 0 success; 2 bad input (every problem printed, located, in English and
Chinese); 1 an internal error (one line; ``EVALUATOR_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from evaluator.cli import calendar as cli_calendar
from evaluator.cli import decisions as cli_decisions
from evaluator.cli import registers as cli_registers
from evaluator.cli import sensitivity as cli_sensitivity
from evaluator.cli import server as cli_server
from evaluator.cli.db import safe_url as _safe_url
from evaluator.cli.db import with_database
from evaluator.cli.files import Stages, atomic_write, check_suffix
from evaluator.errors import EvaluatorError, InvalidInput, Problem

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return args.handler(args) or EXIT_OK
    except EvaluatorError as exc:
        print_problems(exc)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted (已中断)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback to a user
        if os.environ.get("EVALUATOR_DEBUG"):
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} (内部错误；设置 EVALUATOR_DEBUG=1 查看详情)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def print_problems(exc: EvaluatorError) -> None:
    print(f"{exc.title_en} ({exc.title_zh}): {len(exc.problems)} problem(s)", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaluator",
        description="Third-party evaluation scoring for purchased social work services (社工站第三方评估)",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

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

    p = sub.add_parser("demo", help="score a synthetic demo county and store it (演示县)")
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="also write county.json, raw-inputs.csv, scores.csv"
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument(
        "--no-db", action="store_true", help="score only; do not store the county in the database"
    )
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("migrate", help="create or upgrade the database schema (数据库迁移)")
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser("audit", help="the audit trail (审计日志)")
    audit_sub = p.add_subparsers(title="audit commands", metavar="ACTION")
    v = audit_sub.add_parser(
        "verify", help="check the hash chain; exit 1 names the first broken event"
    )
    v.set_defaults(handler=cmd_audit_verify)
    p.set_defaults(handler=lambda args: p.print_help() or EXIT_INPUT)

    cli_server.add_commands(sub)  # serve, user
    cli_registers.add_commands(sub)  # import, metrics, rounds
    cli_decisions.add_commands(sub)  # findings, decide, tranches
    cli_calendar.add_commands(sub)  # calendar, appeal-window
    cli_sensitivity.add_commands(sub)  # sensitivity
    return parser


# -- commands -----------------------------------------------------------------------------
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


def describe_system(s: dict) -> list[str]:
    methods = ", ".join(f"{m} {n}" for m, n in s["methods"].items())
    return [
        f"{s['id']} {s['version']}: {s['name_zh']} / {s['name_en']}",
        f"unit 评估对象: {s['unit']}   depth 层级: {s['depth']}   families 一级指标: {s['families']}   "
        f"leaves 末级指标: {s['leaves']} (+{s['bonus_leaves']} bonus 加分项)",
        f"total points 总分: {s['total_points']:g}   bonus cap 加分上限: {s['bonus_cap']:g}   vetoes 否决项: {s['vetoes']}",
        f"methods 计分方法: {methods}",
        f"hash: {s['hash']}",
    ]


def cmd_score(args) -> int:
    from evaluator.engine import score
    from evaluator.evidence.raw import read_raw_inputs
    from evaluator.systems import load_system

    with Stages(["system", "input", "score", "output"]) as stage:
        system = load_system(args.system, rubric_dirs=args.rubrics)
        stage()
        frame, locate = read_raw_inputs(args.input, args.sheet)
        stage()
        result = score(system, frame, locate=locate)
        stage()
        if args.output:
            write_result(result, args.output)
        stage()
    summary = result.summary()
    print(summary.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    for unit in args.explain:
        if unit not in set(result.units):
            raise InvalidInput(
                Problem(f"unit {unit} is not in the input", f"输入中没有单位 {unit}")
            )
        print(f"\n{unit}:")
        table = result.explanation([unit])[
            ["leaf", "name_zh", "method", "raw", "basis", "share", "points", "max_points", "flag"]
        ]
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
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


def cmd_demo(args) -> int:
    from evaluator.demo.scoring import run_demo
    from evaluator.demo.text import format_demo

    report = run_demo(args.out, seed=args.seed)
    print(format_demo(report))
    if args.out:
        print(f"\nwritten 已写入: {args.out}/county.json, raw-inputs.csv, scores.csv")
    if not args.no_db:
        print()
        print(with_database(_store_demo(report), migrate_first=True))
    return EXIT_OK


async def _store_demo(report) -> str:
    from evaluator.demo.load import load_demo
    from evaluator.services import audit
    from evaluator.store.db import database_url

    loaded = await load_demo(report)
    verification = await audit.verify()
    lines = [
        f"database 数据库: {_safe_url(database_url())}",
        ("stored 已入库: " if loaded.created else "already stored 已存在: ")
        + f"{len(loaded.rounds)} mid-term rounds 中期评估轮次 ("
        + ", ".join(f"{r.id} {r.state.value}" for r in loaded.rounds)
        + ")",
        f"audit trail 审计日志: {verification.events} events, chain {'intact 完整' if verification.ok else 'BROKEN 已损坏'}",
        "demo accounts 演示账号: admin, bureau, lead, evaluator, auditor, agency1, agency2, agency3",
    ]
    return "\n".join(lines)


def cmd_migrate(args) -> int:
    from evaluator.store import db

    async def run() -> str:
        applied = await db.migrate()
        return (
            "applied 已执行: " + ", ".join(applied)
            if applied
            else "the database is up to date (数据库已是最新)"
        )

    print(asyncio.run(run()))
    return EXIT_OK


def cmd_audit_verify(args) -> int:
    from evaluator.services import audit

    result = with_database(audit.verify())
    if result.ok:
        print(f"audit chain intact 审计链完整: {result.events} events, head {result.head_hash}")
        return EXIT_OK
    print(
        f"audit chain BROKEN at event {result.broken_seq} 审计链在第 {result.broken_seq} 条事件处断开: {result.reason_en} ({result.reason_zh})"
    )
    print(f"{result.events} events verified before it 此前 {result.events} 条事件校验通过")
    return EXIT_INTERNAL


def write_result(result, path: Path) -> None:
    check_suffix(path, {".csv", ".xlsx"})
    summary = result.summary()
    if path.suffix.lower() == ".csv":
        atomic_write(path, lambda p: summary.to_csv(p, index=False, encoding="utf-8-sig"))
        return
    import pandas as pd

    def write_xlsx(p: Path) -> None:
        with pd.ExcelWriter(p, engine="xlsxwriter") as writer:
            summary.to_excel(writer, sheet_name="汇总 Summary", index=False)
            result.explanation().to_excel(writer, sheet_name="明细 Explanation", index=False)
            result.flags().to_excel(writer, sheet_name="标记 Flags", index=False)
            for sheet in writer.sheets.values():
                sheet.freeze_panes(1, 1)

    atomic_write(path, write_xlsx)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
