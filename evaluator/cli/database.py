"""``evaluator migrate`` and ``evaluator audit verify``: the database's schema and its
audit trail (thin: parse, call, print)."""

from __future__ import annotations

import argparse

from evaluator.cli import common
from evaluator.cli.common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, with_database


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="create or upgrade the database schema (数据库迁移)")
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser("audit", help="the audit trail (审计日志)")
    audit_sub = p.add_subparsers(title="audit commands", metavar="ACTION")
    v = audit_sub.add_parser(
        "verify", help="check the hash chain; exit 1 names the first broken event"
    )
    v.set_defaults(handler=cmd_audit_verify)
    p.set_defaults(handler=lambda args: p.print_help() or EXIT_INPUT)


def cmd_migrate(args) -> int:
    applied = common.migrate()
    print(
        "applied 已执行: " + ", ".join(applied)
        if applied
        else "the database is up to date (数据库已是最新)"
    )
    return EXIT_OK


def cmd_audit_verify(args) -> int:
    from evaluator.services import audit  # a service: not needed by `evaluator --help`

    result = with_database(audit.verify())
    if result.ok:
        print(f"audit chain intact 审计链完整: {result.events} events, head {result.head_hash}")
        return EXIT_OK
    print(
        f"audit chain BROKEN at event {result.broken_seq} 审计链在第 {result.broken_seq} 条事件处断开: {result.reason_en} ({result.reason_zh})"
    )
    print(f"{result.events} events verified before it 此前 {result.events} 条事件校验通过")
    return EXIT_INTERNAL
