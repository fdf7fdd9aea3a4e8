"""``evaluator report rollup``: a region's roll-up for a quarter, a half year or a year
(汇总上报), printed as a table or written as JSON or the workbook (thin: the service
gathers and scopes, reporting lays out)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evaluator.cli.common import acting, with_database
from evaluator.cli.files import atomic_write, check_suffix


def add_command(what: argparse._SubParsersAction) -> None:
    p = what.add_parser("rollup", help="a region's roll-up: counties → city → province (汇总上报)")
    p.add_argument(
        "--period", required=True, help="a quarter 2026-Q3, a half year 2026-H2 or a year 2026"
    )
    p.add_argument("--region", help="region code (default: your bureau's region)")
    p.add_argument("--format", choices=("table", "json", "xlsx"), default="table")
    p.add_argument("--output", type=Path, metavar="FILE", help="json/xlsx: default its own name")
    p.add_argument("--as", dest="username", help="as this user (their access rules)")
    p.set_defaults(handler=cmd_rollup)


def cmd_rollup(args) -> int:
    from evaluator.services import rollups

    async def read() -> dict:
        actor = await acting(args.username)
        return rollups.document(await rollups.region_rollup(actor, args.region, args.period))

    doc = with_database(read())
    if args.format == "table":
        print(table(doc))
        return 0
    name = f"汇总-{doc['region']['name']}-{doc['period']['label']}.{args.format}"
    path = args.output or Path(name)
    check_suffix(path, {f".{args.format}"})
    if args.format == "json":
        data = json.dumps(doc, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    else:
        from evaluator.reporting.workbooks.rollup import rollup_workbook

        data = rollup_workbook(doc)
    atomic_write(path, lambda p: p.write_bytes(data))
    print(f"written 已写入: {path} ({len(data):,} bytes)")
    return 0


def table(doc: dict) -> str:
    """Figures down, regions across (the region asked for first); money in yuan."""
    period = doc["period"]
    regions = [r["region"] for r in doc["rows"]]
    head = [
        f"{doc['region']['name']} {period['label_zh']} ({period['label']}, "
        f"{period['start']} – {period['end']}), as of 截至 {doc['today']}",
        "",
    ]
    width = max([len(c["zh"]) * 2 + len(c["en"]) + 3 for c in doc["columns"]] + [24])
    lines = [" " * width + "".join(f"{r['code']:>16}" for r in regions)]
    for c in doc["columns"]:
        label = f"{c['zh']} {c['en']}"
        pad = width - len(label) - len(c["zh"])  # a Chinese character takes two columns
        cells = []
        for row in doc["rows"]:
            n = row["figures"][c["key"]]
            cells.append(f"{n / 100:>16,.2f}" if c["money"] else f"{n:>16,}")
        lines.append(label + " " * max(pad, 1) + "".join(cells))
    names = "; ".join(f"{r['code']} {r['name']}" for r in regions)
    return "\n".join([*head, *lines, "", names])
