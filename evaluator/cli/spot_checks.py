"""``evaluator report spot-check ROUND``: a spot check (抽查) against the county's own round,
station by station (thin: the service compares, this prints)."""

from __future__ import annotations

import argparse

from evaluator.cli.common import acting, round_uuid, with_database


def add_command(what: argparse._SubParsersAction) -> None:
    p = what.add_parser("spot-check", help="a spot check against the county's own round (抽查比对)")
    p.add_argument("round_id", metavar="ROUND", help="the spot check's round id")
    p.add_argument("--as", dest="username", help="as this user (their access rules)")
    p.set_defaults(handler=cmd_spot_check)


def cmd_spot_check(args) -> int:
    from evaluator.services.spot_checks import spot_check_comparison

    round_id = round_uuid(args.round_id)

    async def read() -> dict:
        return await spot_check_comparison(await acting(args.username), round_id)

    print(text(with_database(read())))
    return 0


def text(doc: dict) -> str:
    check, own, s = doc["spot_check"], doc["county_round"], doc["summary"]
    mean = s["mean_absolute_difference"]
    lines = [
        f"抽查 spot check {check['as_of']} ({check['system']['id']} {check['system']['version']}, "
        f"{check['state_zh']}) against 对比 {own['kind_zh']} {own['as_of']} "
        f"({own['system']['id']} {own['system']['version']})",
        f"{s['stations']} stations 个站点: grades agree 等级一致 {s['grades_agreeing']}, differ 差异 "
        f"{s['differing']}; mean |Δ| 平均差 "
        + ("—" if mean is None else f"{mean * 100:.1f} pp 个百分点")
        + f"; {s['common_leaves']} leaves in common 共同指标",
        "",
        f"{'站点':<6}{'抽查':>8}{'本县':>8}{'差':>8}  等级 grades",
    ]
    for st in doc["stations"]:
        mark = "≠" if st["differs"] else " "
        lines.append(
            f"{st['unit']:<8}{st['spot_check_share'] * 100:>9.1f}{st['county_share'] * 100:>9.1f}"
            f"{st['difference'] * 100:>+9.1f} {mark} {st['spot_check_grade_zh']} / "
            f"{st['county_grade_zh']}"
            + "".join(
                f"\n          {x['leaf']} {x['name_zh']}: {x['spot_check_share'] * 100:.0f}% / "
                f"{x['county_share'] * 100:.0f}%"
                for x in st["leaves_differing"]
            )
        )
    if s["only_in_spot_check"]:
        lines.append("not in the county's round 本县未评: " + ", ".join(s["only_in_spot_check"]))
    return "\n".join(lines)
