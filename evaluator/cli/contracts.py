"""``evaluator contract CONTRACT``: a contract's report schedule and the reports due in its
year, and the bureau's change of it (``--report-schedule FILE``, ``--default-report-schedule``)
(thin: parse, call a service, print)."""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluator.cli.common import acting, contract_named, with_database
from evaluator.decisions.words import REPORT_KIND_EN, REPORT_KIND_ZH
from evaluator.errors import InvalidInput, Problem


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "contract",
        help="a contract's report schedule and the reports due; set it (报告报送要求)",
    )
    p.add_argument("contract", metavar="CONTRACT", help="contract code or id")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--report-schedule",
        metavar="FILE",
        type=Path,
        help="set the report schedule from a YAML or JSON file (`report_schedule: [...]`; "
        "the buying bureau or an administrator)",
    )
    group.add_argument(
        "--default-report-schedule",
        action="store_true",
        help="give the contract the default schedule again (monthly briefs, mid-term, final)",
    )
    p.add_argument("--as", dest="username", help="act as this user (a bureau officer)")
    p.set_defaults(handler=cmd_contract)


def read_schedule_file(path: Path) -> object:
    """The ``report_schedule`` of a YAML (or JSON) file, with the document kept for the
    lines of its problems: (data, document)."""
    from evaluator.systems.yamlsrc import parse_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            Problem(f"cannot read the file: {exc}", f"无法读取文件：{exc}", file=str(path))
        ) from None
    doc = parse_yaml(text, str(path))
    if not isinstance(doc.data, dict) or "report_schedule" not in doc.data:
        raise InvalidInput(
            doc.problem(
                (),
                "the file is a mapping with report_schedule: a list of duties (or null for "
                "the default)",
                "文件须为含 report_schedule 的映射：报送事项列表（null 表示默认要求）",
            )
        )
    return doc


def cmd_contract(args) -> int:
    from evaluator.decisions.report_schedule import check_schedule
    from evaluator.services import report_schedules

    doc = read_schedule_file(args.report_schedule) if args.report_schedule else None

    async def run():
        actor = await acting(args.username)
        contract = await contract_named(args.contract)
        if doc is not None:
            data = doc.data["report_schedule"]
            if data is not None:  # checked here first: the problems get the file's lines
                check_schedule(data, contract.period_start, contract.period_end, source=doc)
            contract = await report_schedules.set_report_schedule(actor, contract.id, data)
        elif args.default_report_schedule:
            contract = await report_schedules.set_report_schedule(actor, contract.id, None)
        return (
            contract,
            report_schedules.report_schedule(contract),
            report_schedules.reports_due(contract),
        )

    contract, schedule, due = with_database(run())
    default = " (默认 the default)" if contract.report_schedule is None else ""
    print(f"{contract.code}  {contract.period_start} – {contract.period_end}")
    print(f"报告报送要求 Report schedule{default}:")
    for duty in schedule:
        kind = str(duty["kind"])
        when = (
            f"每期结束后 {duty['due_days']} 天内 due {duty['due_days']} days after each period"
            if "due_days" in duty
            else f"应交日期 due {duty['due']}"
        )
        print(f"  {REPORT_KIND_ZH[kind]} {REPORT_KIND_EN[kind]} ({kind}): {when}")
    print(f"应交报告 Reports due ({len(due)}):")
    for r in due:
        print(f"  {r.due.isoformat()}  {REPORT_KIND_ZH[r.kind]} {r.kind:<9} {r.period}")
    return 0
