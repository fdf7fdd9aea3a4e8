"""``evaluator import``, ``evaluator metrics`` and ``evaluator rounds`` (thin: parse, call a
service, print)."""

from __future__ import annotations

import argparse
import json
import uuid

from evaluator.errors import InvalidInput, Problem


def add_commands(sub: argparse._SubParsersAction) -> None:
    from evaluator.evidence.registers import REGISTERS

    p = sub.add_parser("import", help="import a register (台账) into a round (导入台账)")
    p.add_argument(
        "kind",
        choices=list(REGISTERS),
        help="register kind: " + ", ".join(f"{k} {s.zh}" for k, s in REGISTERS.items()),
    )
    p.add_argument("file", help=".xlsx or .csv (UTF-8, UTF-8 with BOM or GB18030)")
    p.add_argument(
        "--round", required=True, dest="round_id", help="round id (see `evaluator rounds`)"
    )
    p.add_argument("--sheet", help="sheet of a workbook (default: the first)")
    p.add_argument(
        "--as",
        dest="username",
        help="import on behalf of this user (checked against their roles); default: the system operator",
    )
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("metrics", help="metric values computed from a round's registers (台账指标)")
    p.add_argument("--round", required=True, dest="round_id")
    p.add_argument("--station", help="only this station code")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_metrics)

    p = sub.add_parser("rounds", help="list evaluation rounds (评估轮次)")
    p.set_defaults(handler=cmd_rounds)


def round_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidInput(
            Problem(
                f"{text!r} is not a round id (see `evaluator rounds`)",
                f"{text!r} 不是轮次编号（参见 `evaluator rounds`）",
                path="--round",
            )
        ) from None


async def actor_named(username: str | None):
    from evaluator.services.actors import Actor, actor_for
    from evaluator.store.orgs import User

    if not username:
        return Actor.system()
    user = await User.get_or_none(username=username)
    if user is None:
        raise InvalidInput(Problem(f"no user {username!r}", f"没有用户 {username!r}", path="--as"))
    return await actor_for(user)


def cmd_import(args) -> int:
    from evaluator.cli.db import with_database
    from evaluator.evidence.registers import REGISTERS
    from evaluator.services.registers import import_note, import_register

    round_id = round_uuid(args.round_id)

    async def run():
        return await import_register(
            await actor_named(args.username), round_id, args.kind, args.file, sheet=args.sheet
        )

    done = with_database(run())
    spec, record = REGISTERS[args.kind], done.record
    if done.unchanged and done.pending:
        print(
            f"unchanged 未变化: {record.original_name} already waits for the lead evaluator's acceptance (已在等待主评估员确认) {record.id}"
        )
        return 0
    if done.unchanged:
        print(
            f"unchanged 未变化: {record.original_name} is already the {spec.en.lower()} in force (已是现行{spec.zh}版本) {record.id}"
        )
        return 0
    print(
        f"imported 已导入: {record.original_name} → {args.kind} ({spec.zh}), {record.rows:,} rows 行, version 版本 {record.id}"
    )
    if done.replaced is not None:
        print(
            f"  replaces 替换: {done.replaced.original_name} ({done.replaced.rows:,} rows 行) {done.replaced.id}"
        )
    note = import_note(done)
    if note is not None:
        print(f"  {note[0]} ({note[1]})")
    for w in record.warnings:
        print(f"  note 提示: {w['where']}: {w['en']} ({w['zh']})")
    leaves = record.metrics.get("leaves", {})
    if leaves:
        print(
            "  leaves computed 计算的指标: "
            + ", ".join(f"{code} ({entry['metric']})" for code, entry in leaves.items())
        )
    return 0


def cmd_metrics(args) -> int:
    from evaluator.cli.db import with_database
    from evaluator.services.actors import Actor
    from evaluator.services.registers import metric_values

    round_id = round_uuid(args.round_id)
    _, table = with_database(metric_values(Actor.system(), round_id, args.station))
    if args.json:
        print(json.dumps(table, ensure_ascii=False, indent=1))
        return 0
    if not table:
        print("no registers imported in this round (本轮尚未导入台账)")
    for row in table:
        value = "—" if row["value"] is None else f"{row['value']:.4g}"
        n = "" if row["n"] is None else f" n={row['n']:g}"
        flags = f" [{', '.join(row['flags'])}]" if row["flags"] else ""
        leaf = f"{row['leaf']:<6}" if row["leaf"] else " " * 6
        print(f"{row['station']:<10} {leaf} {row['metric']:<30} {value:>10}{n}{flags}")
    return 0


def cmd_rounds(args) -> int:
    from evaluator.cli.db import with_database
    from evaluator.store.rounds import Round

    async def run():
        return await Round.all().prefetch_related("contract", "system").order_by("as_of")

    for r in with_database(run()):
        print(
            f"{r.id}  {r.contract.code:<20} {r.kind.value:<8} {r.state.value:<10} {r.as_of}  {r.system.system_code} {r.system.version}"
        )
    return 0
