"""``evaluator reliability``: how far raters agree — from a plain ratings table
(``--input ratings.csv`` with columns unit, rater, value) or a stored round (ROUND) —
the six ICCs with 95% intervals, Krippendorff's alpha and, for a round, each rater's
severity (docs/raters.md). Thin: parse, call, print."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evaluator.cli.common import acting, round_uuid, with_database
from evaluator.errors import InvalidInput, Problem


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reliability", help="how far raters agree: ICC and alpha (评分一致性)")
    p.add_argument("round_id", nargs="?", metavar="ROUND", help="a stored round's id")
    p.add_argument("--input", type=Path, help="ratings table (.csv/.xlsx): unit, rater, value")
    p.add_argument("--sheet", help="the workbook's sheet (default: the first)")
    p.add_argument(
        "--level",
        choices=("nominal", "ordinal", "interval", "ratio"),
        default="interval",
        help="alpha's level of measurement for --input (default interval)",
    )
    p.add_argument("--system", help="pool every round of this system version (its id)")
    p.add_argument("--drift", metavar="RATER", help="a rater's severity round by round")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--as", dest="username", help="act as this user (for ROUND)")
    p.set_defaults(handler=cmd_reliability)


def cmd_reliability(args) -> int:
    given = [x for x in (args.input, args.round_id, args.system, args.drift) if x is not None]
    if len(given) != 1:
        raise InvalidInput(
            Problem(
                "give either --input FILE or a ROUND (or --system ID, or --drift RATER)",
                "请给出 --input 文件或一个评估轮次 ROUND（或 --system、--drift，四选一）",
                path="--input",
            )
        )
    if args.system or args.drift:
        return _pooled(args)
    if args.input is not None:
        from evaluator.analysis.reliability import as_dict, reliability
        from evaluator.tables.ratings import read_ratings

        figures = as_dict(reliability(read_ratings(args.input, args.sheet), args.level))
        print(json.dumps(figures, ensure_ascii=False, indent=1) if args.json else _table(figures))
        return 0
    from evaluator.services.reliability import round_reliability

    round_id = round_uuid(args.round_id)

    async def run():
        return await round_reliability(await acting(args.username), round_id)

    figures = with_database(run())
    print(json.dumps(figures, ensure_ascii=False, indent=1) if args.json else _round(figures))
    return 0


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _table(f: dict) -> str:
    lines = [
        f"units 评估对象 {f['units']}, raters 评估员 {f['raters']}; "
        f"ICC on {f['icc_units']} complete units 完整对象",
    ]
    for form in ("icc1_1", "icc1_k", "icc2_1", "icc2_k", "icc3_1", "icc3_k"):
        low, high = f[f"{form}_ci95"]
        lines.append(f"  {form:7} {_num(f[form]):>7}  95% [{_num(low)}, {_num(high)}]")
    lines.append(
        f"  alpha ({f['level']}) {_num(f['alpha'])} "
        f"on {f['alpha_units']} units, {f['alpha_values']} values"
    )
    return "\n".join(lines)


def _round(f: dict) -> str:
    lines = [
        f"round {f['round']}: {f['ratings']} ratings of {f['slots']} slots "
        f"({f['left_out']} of unbounded leaves left out 无上限指标未计入)",
        f"ICC on leaf shares, {f['icc_units']} slots × {f['icc_raters']} raters:",
    ]
    for form, e in f["icc"].items():
        lines.append(f"  {form:7} {_num(e['value']):>7}  95% [{_num(e['low'])}, {_num(e['high'])}]")
    for level, a in f["alpha"].items():
        lines.append(
            f"  alpha {level:8} {_num(a['value']):>7}  ({a['units']} slots, {a['raters']} raters)"
        )
    if f["raters"]:
        lines.append(
            "severity 评分宽严 (mean deviation from the reconciled share; + lenient 偏宽):"
        )
        for r in f["raters"]:
            lines.append(f"  {r['rater']:16} {r['severity']:+.3f}  ({r['slots']} slots)")
    return "\n".join(lines)


def _pooled(args) -> int:
    from evaluator.services import reliability as svc

    async def run():
        actor = await acting(args.username)
        if args.system:
            return await svc.system_reliability(actor, args.system)
        return await svc.rater_drift(actor, args.drift)

    figures = with_database(run())
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    elif args.system:
        print(f"system {figures['system']}: {figures['rounds']} rounds pooled 合并轮次")
        print(_round(figures | {"round": "(pooled)"}))
    else:
        print(f"{args.drift}: severity by round 各轮评分宽严 (+ lenient 偏宽)")
        for row in figures:
            print(
                f"  {row['as_of']}  {row['round']}  {row['severity']:+.3f}  ({row['slots']} slots)"
            )
    return 0
