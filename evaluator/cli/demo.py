"""``evaluator demo``: score the synthetic county and store it through the services
(thin: parse, call the demo, print)."""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluator.cli.common import EXIT_OK, database_url, safe_url, with_database


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="score a synthetic demo county and store it (演示县)")
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="also write county.json, raw-inputs.csv, scores.csv"
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument(
        "--no-db", action="store_true", help="score only; do not store the county in the database"
    )
    p.set_defaults(handler=cmd_demo)


# The demo (pandas, the engine) and the services are imported inside the command:
# ``evaluator --help`` does not need them.
def cmd_demo(args) -> int:
    from evaluator.demo.scoring import run_demo
    from evaluator.demo.text import format_demo

    report = run_demo(args.out, seed=args.seed)
    print(format_demo(report))
    if args.out:
        print(f"\nwritten 已写入: {args.out}/county.json, raw-inputs.csv, scores.csv")
    if not args.no_db:
        print()
        print(with_database(_store_demo(report, args.out), migrate_first=True))
    elif args.out:
        print("reports 报告: not written without the database (drop --no-db) 未入库，不生成报告")
    return EXIT_OK


async def _store_demo(report, out: Path | None = None) -> str:
    from evaluator.demo.load import load_demo
    from evaluator.services import audit

    loaded = await load_demo(report)
    written = await _write_reports(loaded.rounds, out / "reports") if out else []
    verification = await audit.verify()
    lines = [
        f"database 数据库: {safe_url(database_url())}",
        ("stored 已入库: " if loaded.created else "already stored 已存在: ")
        + f"{len(loaded.rounds)} mid-term rounds 中期评估轮次 ("
        + ", ".join(f"{r.id} {r.state.value}" for r in loaded.rounds)
        + ")",
        f"audit trail 审计日志: {verification.events} events, chain {'intact 完整' if verification.ok else 'BROKEN 已损坏'}",
        "demo accounts 演示账号: admin, bureau, city, province, lead, evaluator (evaluator2, "
        "evaluator3), "
        "supervisor, auditor, township, agency1, agency2, agency3",
    ]
    if loaded.rounds:
        lines += await _panel_lines(loaded.rounds[0])
    if loaded.spot_check is not None:
        lines += await _spot_check_lines(loaded.spot_check)
    lines += await _rollup_lines()
    if written:
        lines.append(f"reports 报告: {len(written)} files 个文件 in {out / 'reports'}")
    return "\n".join(lines)


async def _panel_lines(round_) -> list[str]:
    """How far the first round's three raters agree, and who is lenient (docs/raters.md)."""
    from evaluator.services.actors import Actor
    from evaluator.services.reliability import round_reliability

    f = await round_reliability(Actor.system(), round_.id)

    def num(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    icc = f["icc"]
    lines = [
        f"panel 评分一致性 (round {round_.id}, {f['icc_raters']} raters on {f['icc_units']} slots): "
        f"ICC(2,1) {num(icc['icc2_1']['value'])}, ICC(3,1) {num(icc['icc3_1']['value'])}, "
        f"ICC(2,k) {num(icc['icc2_k']['value'])}; alpha ordinal "
        f"{num(f['alpha']['ordinal']['value'])}, interval {num(f['alpha']['interval']['value'])}",
    ]
    if f["raters"]:
        top = f["raters"][0]
        lines.append(
            f"most lenient 评分最宽: {top['rater']} ({top['severity']:+.3f} of a leaf's range "
            f"over {top['slots']} slots 个评分点); one disagreement adjudicated by the lead 主评估员裁定一处分歧"
        )
    return lines


async def _spot_check_lines(round_) -> list[str]:
    """The open spot check: who scores which pool, how far the third party agrees."""
    from evaluator.demo.spot_check import pools_of
    from evaluator.services.actors import Actor
    from evaluator.services.reliability import round_reliability
    from evaluator.services.spot_checks import spot_check_comparison

    pools = await pools_of(round_)
    f = await round_reliability(Actor.system(), round_.id)
    value = f["icc"]["icc2_1"]["value"]
    return [
        f"spot check 抽查 (round {round_.id}, {round_.as_of}, open 待主评估员提交): "
        + "; ".join(f"{role} {', '.join(who)}" for role, who in sorted(pools.items()))
        + f"; third-party ICC(2,1) {'—' if value is None else f'{value:.3f}'} "
        f"({f['icc_raters']} raters on {f['icc_units']} slots)",
        _comparison_line(await spot_check_comparison(Actor.system(), round_.id)),
    ]


def _comparison_line(doc: dict) -> str:
    s, own = doc["summary"], doc["county_round"]
    mean = s["mean_absolute_difference"]
    return (
        f"spot check vs the county's {own['kind_zh']} 抽查比对: {s['stations']} stations, grades "
        f"agree 等级一致 {s['grades_agreeing']}, differ 差异 {s['differing']}, mean |Δ| "
        + ("—" if mean is None else f"{mean * 100:.1f} pp")
        + f" (evaluator report spot-check {doc['spot_check']['id']})"
    )


async def _rollup_lines() -> list[str]:
    """The county → city roll-up of this half year, as the city's officer reads it."""
    from evaluator.demo.rollup import city_rollup

    found = await city_rollup()
    if found is None:
        return []
    username, doc = found
    top = doc["rows"][0]
    counties = [r for r in doc["rows"] if r["region"]["level"] == "county"]
    f = top["figures"]
    return [
        f"roll-up 汇总 ({username}: {top['region']['name']} {doc['period']['label_zh']}, "
        f"{len(counties)} county 县): {f.get('stations_graded', 0)} stations graded 参评站点, "
        f"{f.get('findings_opened', 0)} findings opened 新发现问题, released 本期拨付 "
        f"{f.get('released_in_period_fen', 0) / 100:,.2f} of 合同金额 "
        f"{f.get('contract_value_fen', 0) / 100:,.2f} yuan 元 "
        f"(evaluator report rollup --period {doc['period']['label']} --as {username})"
    ]


async def _write_reports(rounds, folder: Path) -> list[Path]:
    """Every report of every approved round, as the bureau would download them: the round's
    summary, the contract's workbook and report, each station's workbook and report."""
    import asyncio

    from evaluator.reporting.outputs import render
    from evaluator.services import reports
    from evaluator.services.actors import Actor

    folder.mkdir(parents=True, exist_ok=True)
    actor = Actor.system()
    written: list[Path] = []

    async def write(doc: dict, fmt: str) -> None:
        out = await asyncio.to_thread(render, doc, fmt)
        path = folder / out.file_name
        path.write_bytes(out.data)
        written.append(path)

    for round_ in rounds:
        if round_.state.value != "approved":
            continue
        summary = await reports.round_summary(actor, round_.id)
        await write(summary, "xlsx")
        contract = await reports.contract_report(actor, round_.id)
        for fmt in ("xlsx", "html"):
            await write(contract, fmt)
        for code in sorted(s["code"] for s in summary["stations"]):
            doc = await reports.station_report_by_code(actor, round_.id, code)
            for fmt in ("xlsx", "html"):
                await write(doc, fmt)
    return written
