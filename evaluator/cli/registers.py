"""``evaluator import``, ``evaluator registers`` (a round's register versions; the lead
accepts or rejects a pending replacement), ``evaluator metrics`` and ``evaluator rounds``
(thin: parse, call a service, print)."""

from __future__ import annotations

import argparse
import json
import uuid

from evaluator.cli.common import acting, round_uuid, with_database
from evaluator.errors import InvalidInput, Problem
from evaluator.evidence.registers import REGISTERS  # the kinds are the parser's choices

STATES = {
    "in_force": "in force 现行",
    "pending": "pending 待确认",
    "replaced": "replaced 已替换",
    "rejected": "rejected 已退回",
}


def add_commands(sub: argparse._SubParsersAction) -> None:
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

    p = sub.add_parser(
        "registers",
        help="a round's register versions; accept or reject a pending replacement (台账版本)",
    )
    p.add_argument("round_id", metavar="ROUND", help="round id (see `evaluator rounds`)")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--accept", metavar="ID", help="put this pending version in force (the round's lead)"
    )
    group.add_argument(
        "--reject",
        metavar="ID",
        help="refuse this pending version (the round's lead; needs --reason)",
    )
    p.add_argument("--reason", default="", help="why (required to reject)")
    p.add_argument("--as", dest="username", help="act as this user (the round's lead evaluator)")
    p.set_defaults(handler=cmd_registers)

    p = sub.add_parser("metrics", help="metric values computed from a round's registers (台账指标)")
    p.add_argument("--round", required=True, dest="round_id")
    p.add_argument("--station", help="only this station code")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_metrics)

    p = sub.add_parser("rounds", help="list evaluation rounds (评估轮次)")
    p.set_defaults(handler=cmd_rounds)


# The services are imported inside the commands: ``evaluator --help`` does not need them.
def cmd_import(args) -> int:
    from evaluator.services.registers import import_note, import_register

    round_id = round_uuid(args.round_id)

    async def run():
        return await import_register(
            await acting(args.username), round_id, args.kind, args.file, sheet=args.sheet
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


def cmd_registers(args) -> int:
    from evaluator.services.register_versions import accept_replacement, reject_replacement
    from evaluator.services.registers import list_imports

    round_id = round_uuid(args.round_id)
    chosen = _version_id(args)

    async def run():
        actor = await acting(args.username)
        decided = None
        if chosen is not None:
            version = next(
                (v for v in await list_imports(actor, round_id, history=True) if v.id == chosen),
                None,
            )
            kind = version.kind if version is not None else ""  # unknown: the service says so
            decide = accept_replacement if args.accept else reject_replacement
            decided = await decide(actor, round_id, kind, chosen, args.reason)
        return decided, await list_imports(actor, round_id, history=True)

    decided, versions = with_database(run())
    if decided is not None:
        verb = "accepted 已接受" if args.accept else "rejected 已退回"
        print(f"{verb}: {decided.original_name} → {decided.kind} {decided.id}")
    if not versions:
        print("no registers imported in this round (本轮尚未导入台账)")
    for v in versions:
        print(
            f"{v.kind:<13} {STATES.get(v.state, v.state):<18} {v.original_name} ({v.rows:,} rows 行)  {v.id}"
        )
        if v.state == "pending" and v.replaces_id is not None:
            print(f"{'':<14}would replace 将替换 {v.replaces_id}")
        if v.decision_reason:
            print(f"{'':<14}reason 理由: {v.decision_reason}")
    return 0


def _version_id(args) -> uuid.UUID | None:
    """The version of ``--accept`` / ``--reject``, or None; ``--reason`` alone is refused."""
    text = args.accept or args.reject
    if text is None:
        if args.reason:
            raise InvalidInput(
                Problem(
                    "--reason goes with --accept ID or --reject ID",
                    "--reason 须与 --accept ID 或 --reject ID 一同使用",
                    path="--reason",
                )
            )
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidInput(
            Problem(
                f"{text!r} is not a register version id (see `evaluator registers ROUND`)",
                f"{text!r} 不是台账版本编号（参见 `evaluator registers ROUND`）",
                path="--accept" if args.accept else "--reject",
            )
        ) from None


def cmd_metrics(args) -> int:
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
    for r, contract, system in with_database(_rounds()):
        print(
            f"{r.id}  {contract.code:<20} {r.kind.value:<8} {r.state.value:<10} {r.as_of}  {system.system_code} {system.version}"
        )
    return 0


async def _rounds() -> list[tuple]:
    """Every round, by date, with its contract and indicator system version, as the command
    line's administrator sees them (page after page of ``services.listing``)."""
    from evaluator.services.actors import Actor, get_contract
    from evaluator.services.listing import MAX_PER_PAGE, get_system, list_rounds

    actor, rows, contracts, systems = Actor.system(), [], {}, {}
    page = 1
    while True:
        found = await list_rounds(actor, page=page, per_page=MAX_PER_PAGE)
        for r in found.items:
            if r.contract_id not in contracts:
                contracts[r.contract_id] = await get_contract(actor, r.contract_id)
            if r.system_id not in systems:
                systems[r.system_id] = await get_system(actor, r.system_id)
            rows.append((r, contracts[r.contract_id], systems[r.system_id]))
        if page * MAX_PER_PAGE >= found.total:
            return rows
        page += 1
