"""``evaluator workbook export|import``: the offline scoring workbook (评分表) of a rater —
exported for a round, filled where there is no connection, imported back all or nothing
(docs/raters.md, "Offline"). Thin: parse, call a service, write or print."""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluator.cli.common import acting, round_uuid, with_database
from evaluator.cli.files import atomic_write, check_suffix
from evaluator.errors import InvalidInput, Problem


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("workbook", help="the offline scoring workbook: export, import (离线评分表)")
    actions = p.add_subparsers(dest="action", required=True)
    e = actions.add_parser("export", help="write a rater's workbook for a round")
    e.add_argument("round_id", metavar="ROUND")
    e.add_argument("--rater", help="whose workbook (default: the --as user)")
    e.add_argument("--output", type=Path, required=True, help="the .xlsx to write")
    e.add_argument("--as", dest="username", required=True, help="act as this user")
    e.set_defaults(handler=cmd_export)
    i = actions.add_parser("import", help="apply a filled workbook (all or nothing)")
    i.add_argument("file", type=Path)
    i.add_argument("--as", dest="username", required=True, help="the rater it was exported for")
    i.set_defaults(handler=cmd_import)


def cmd_export(args) -> int:
    from evaluator.reporting.workbooks.offline import write_scoring_workbook
    from evaluator.services.offline import export_document

    check_suffix(args.output, {".xlsx"})
    round_id = round_uuid(args.round_id)

    async def run():
        return await export_document(await acting(args.username), round_id, args.rater)

    data = write_scoring_workbook(with_database(run()))
    atomic_write(args.output, lambda path: path.write_bytes(data))
    print(f"written 已写入: {args.output}")
    return 0


def cmd_import(args) -> int:
    from evaluator.services.workbook_import import import_workbook

    if not args.file.is_file():
        raise InvalidInput(
            Problem(f"file not found: {args.file}", f"文件不存在：{args.file}", file=str(args.file))
        )
    data = args.file.read_bytes()

    async def run():
        return await import_workbook(await acting(args.username), data, args.file.name)

    result = with_database(run())
    print(
        f"round {result['round']}: {result['written']} values written 已写入, "
        f"{result['unchanged']} unchanged 未变"
    )
    return 0
