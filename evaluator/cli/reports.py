"""``evaluator report station|contract|summary|cards``: the scorecard workbooks, the
evaluation report (评估报告), the round's summary, and every station card of a round as
JSON Lines, as files (thin: find, call the services, render, write)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evaluator.cli import rollups, spot_checks
from evaluator.cli.common import acting, round_uuid, with_database
from evaluator.cli.files import Stages, atomic_write, check_suffix


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="scorecard workbooks, the evaluation report and the round summary (评分卡、评估报告、评估汇总)",
    )
    what = p.add_subparsers(
        dest="report", required=True, metavar="station|contract|summary|cards|rollup|spot-check"
    )
    station = what.add_parser("station", help="one station of a round (社工站)")
    station.add_argument("round_id", metavar="ROUND", help="round id (see `evaluator rounds`)")
    station.add_argument("station", metavar="STATION", help="station code, e.g. ST01")
    contract = what.add_parser("contract", help="the round's contract and agency (合同/承接机构)")
    contract.add_argument("round_id", metavar="ROUND")
    summary = what.add_parser("summary", help="the round's summary for its bureau (评估汇总)")
    summary.add_argument("round_id", metavar="ROUND")
    for q, formats, default in (
        (station, ("xlsx", "html", "md", "pdf"), "html"),
        (contract, ("xlsx", "html", "md", "pdf"), "html"),
        (summary, ("xlsx", "json"), "xlsx"),
    ):
        q.add_argument("--format", choices=formats, default=default, help=f"default {default}")
        q.add_argument("--output", type=Path, metavar="FILE", help="default: its own name, here")
        q.add_argument("--as", dest="username", help="as this user (their access rules)")
        if q is not summary:
            q.add_argument(
                "--templates",
                type=Path,
                metavar="DIR",
                help="a folder of edited report templates (a copy of reports/; docs/reports.md)",
            )
        q.set_defaults(handler=cmd_report)
    cards = what.add_parser(
        "cards", help="every station's scorecard of a round, one JSON per line (全部社工站评分卡)"
    )
    cards.add_argument("round_id", metavar="ROUND")
    cards.add_argument(
        "--output", type=Path, metavar="FILE", help="default: scorecards-ROUND.jsonl"
    )
    cards.add_argument("--as", dest="username", help="as this user (their access rules)")
    cards.set_defaults(handler=cmd_cards)
    rollups.add_command(what)
    spot_checks.add_command(what)


def cmd_report(args) -> int:
    from evaluator.reporting.outputs import render
    from evaluator.services import reports

    round_id = round_uuid(args.round_id)

    async def document() -> dict:
        actor = await acting(args.username)
        if args.report == "station":
            return await reports.station_report_by_code(actor, round_id, args.station)
        if args.report == "contract":
            return await reports.contract_report(actor, round_id)
        return await reports.round_summary(actor, round_id)

    with Stages(["read 读取", "render 生成", "write 写入"]) as stage:
        doc = with_database(document())
        stage()
        out = render(doc, args.format, getattr(args, "templates", None))
        stage()
        path = args.output or Path(out.file_name)
        atomic_write(path, lambda p: p.write_bytes(out.data))
        stage()
    print(f"written 已写入: {path} ({len(out.data):,} bytes)")
    return 0


def cmd_cards(args) -> int:
    """Every station card of the round the actor may see, one JSON object per line (keys
    sorted, UTF-8), written whole or not at all."""
    from evaluator.services.round_cards import round_cards

    round_id = round_uuid(args.round_id)
    path = args.output or Path(f"scorecards-{round_id}.jsonl")
    check_suffix(path, {".jsonl"})
    written = {"cards": 0}

    async def export(into: Path) -> None:
        actor = await acting(args.username)
        with into.open("w", encoding="utf-8") as out:
            async for card in round_cards(actor, round_id):
                out.write(json.dumps(card, ensure_ascii=False, sort_keys=True) + "\n")
                written["cards"] += 1

    atomic_write(path, lambda into: with_database(export(into)))
    print(
        f"written 已写入: {path} ({written['cards']:,} scorecards, {path.stat().st_size:,} bytes)"
    )
    return 0
