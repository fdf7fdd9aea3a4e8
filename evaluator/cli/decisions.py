"""``evaluator findings`` (and the bureau's ``--set-deadline``), ``evaluator decide`` and
``evaluator tranches`` (with the agency's ``--apply`` and the bureau's ``--release``; thin:
parse, call a service, print)."""

from __future__ import annotations

import argparse
import datetime as dt
import uuid

from evaluator import clock
from evaluator.cli.common import acting, contract_named, deadline_text, round_uuid, with_database
from evaluator.decisions.payment_applications import VOUCHER_KINDS
from evaluator.decisions.words import TRANCHE_ZH, TRIGGER_ZH, blocked_by_en, blocked_by_zh
from evaluator.errors import InvalidInput, Problem


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "findings", help="deviation findings of a round and their rectification (偏差与整改)"
    )
    p.add_argument("round_id", metavar="ROUND", help="round id (see `evaluator rounds`)")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="first mark findings past their deadline overdue and escalate them (run daily)",
    )
    p.add_argument("--today", type=_date, help="the day to refresh as of (default: today)")
    p.add_argument(
        "--set-deadline",
        nargs=2,
        metavar=("FINDING", "YYYY-MM-DD"),
        help="set a finding's deadline by hand (the bureau; needs --reason; never recomputed)",
    )
    p.add_argument("--reason", default="", help="why the deadline is set by hand (required)")
    p.add_argument("--as", dest="username", help="act as this user (a bureau officer)")
    p.set_defaults(handler=cmd_findings)

    p = sub.add_parser(
        "decide",
        help="the renew-or-rebid recommendation of a round; accept or override it (续签建议)",
    )
    p.add_argument("round_id", metavar="ROUND")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--accept", action="store_true", help="accept the recommendation")
    group.add_argument(
        "--override",
        choices=["renew", "conditional", "rebid"],
        help="decide otherwise (needs --reason)",
    )
    p.add_argument("--reason", default="", help="why (required to override)")
    p.add_argument(
        "--as",
        dest="username",
        help="decide as this user (a bureau officer); default: the system operator",
    )
    p.set_defaults(handler=cmd_decide)

    p = sub.add_parser(
        "tranches", help="a contract's tranches: amounts, status, due dates, blocks (拨付)"
    )
    p.add_argument("contract", metavar="CONTRACT", help="contract code or id")
    p.add_argument("--release", metavar="CODE", help="release this due tranche")
    p.add_argument(
        "--apply",
        metavar="CODE",
        help="apply for this tranche (the agency; needs at least one --voucher) 拨付申请",
    )
    p.add_argument(
        "--voucher",
        action="append",
        default=[],
        metavar="KIND:REFERENCE",
        help="a voucher of the application, e.g. invoice:增值税发票No.0012 (repeatable); "
        "kinds: " + ", ".join(VOUCHER_KINDS),
    )
    p.add_argument("--note", default="", help="a note to the application 说明")
    p.add_argument(
        "--as", dest="username", help="act as this user (a bureau officer; the agency to apply)"
    )
    p.set_defaults(handler=cmd_tranches)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date YYYY-MM-DD (日期格式应为 YYYY-MM-DD)"
        ) from None


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


# The services are imported inside the commands: ``evaluator --help`` does not need them.
def cmd_findings(args) -> int:
    from evaluator.services.findings import get_finding, list_findings, override_deadline, refresh

    round_id = round_uuid(args.round_id)
    override = _override(args)

    async def run():
        if args.today:  # replay a day: the clock is pinned for this command
            clock.pin(args.today)
        actor = await acting(args.username)
        changed = None
        if override is not None:
            finding_id, day = override
            finding, _ = await get_finding(actor, finding_id)
            if finding.round_id != round_id:
                raise InvalidInput(
                    Problem(
                        f"finding {finding_id} is not in round {round_id}",
                        f"问题 {finding_id} 不属于轮次 {round_id}",
                        path="--set-deadline",
                    )
                )
            changed = await override_deadline(
                actor, finding_id, day, args.reason, expected_version=finding.version
            )
        done = await refresh() if args.refresh else None
        return changed, done, await list_findings(actor, round_id=round_id)

    changed, done, items = with_database(run())
    if changed is not None:
        print(
            f"deadline set 期限已调整: {changed.id} → {deadline_text(changed.deadline, changed.deadline_basis)}"
            f" · reason 理由: {changed.deadline_note}"
        )
    if done is not None:
        print(
            f"refreshed 已更新 ({clock.today().isoformat()}): {done[0]} provisional deadlines recomputed 暂定期限重算, {done[1]} overdue 逾期, {done[2]} escalated 升级"
        )
    if not items:
        print("no findings 无问题")
    for f in items:
        deadline = (
            deadline_text(f.deadline, f.deadline_basis) if f.deadline else "— (observation 观察)"
        )
        print(
            f"{f.unit:<10} {f.rule:<12} {f.severity:<12} {f.state:<18} deadline 期限 {deadline}  {f.id}"
        )
        print(f"           {f.explanation_zh}")
        print(f"           {f.explanation_en}")
        if f.deadline_note:
            print(f"           note 说明: {f.deadline_note}")
    return 0


def _override(args) -> tuple | None:
    """(finding id, day) of ``--set-deadline``, or None; ``--reason`` alone is refused."""
    if not args.set_deadline:
        if args.reason:
            raise InvalidInput(
                Problem(
                    "--reason goes with --set-deadline FINDING YYYY-MM-DD",
                    "--reason 须与 --set-deadline 一同使用",
                    path="--reason",
                )
            )
        return None
    text, day = args.set_deadline
    try:
        finding_id = uuid.UUID(text)
    except ValueError:
        raise InvalidInput(
            Problem(
                f"{text!r} is not a finding id (see `evaluator findings ROUND`)",
                f"{text!r} 不是问题编号（参见 `evaluator findings ROUND`）",
                path="--set-deadline",
            )
        ) from None
    return finding_id, clock.parse_day(day, "--set-deadline")


def cmd_decide(args) -> int:
    from evaluator.services import decisions

    round_id = round_uuid(args.round_id)

    async def run():
        actor = await acting(args.username)
        current = await decisions.current_decision(actor, round_id)
        if args.accept or args.override:
            return await decisions.decide(
                actor,
                round_id,
                accept=bool(args.accept),
                outcome=args.override,
                reason=args.reason,
                expected_version=current.version,
            )
        return current

    d = with_database(run())
    print(
        f"recommendation 建议: {d.recommended} · status 状态: {d.status}"
        + (f" · outcome 结论: {d.outcome}" if d.outcome else "")
    )
    print(f"  {d.explanation_zh}")
    print(f"  {d.explanation_en}")
    if d.reason:
        print(f"  reason 理由: {d.reason}")
    return 0


def _vouchers(texts: list[str]) -> list[dict[str, str]]:
    """``KIND:REFERENCE`` texts as voucher objects (the service validates them)."""
    return [
        {"kind": kind.strip(), "reference": reference.strip()}
        for kind, _, reference in (t.partition(":") for t in texts)
    ]


def cmd_tranches(args) -> int:
    from evaluator.services import payment_applications, tranches

    async def run():
        actor = await acting(args.username)
        contract = await contract_named(args.contract)
        applied = (
            await payment_applications.apply(
                actor, contract.id, args.apply, _vouchers(args.voucher), args.note
            )
            if args.apply
            else None
        )
        released = (
            await tranches.release(actor, contract.id, args.release) if args.release else None
        )
        table = (await tranches.contract_tranches(actor, contract.id))[1]
        return contract, applied, released, table

    contract, applied, released, table = with_database(run())
    if applied is not None:
        print(
            f"applied 已申请: {applied.code} on {applied.applied_on} with "
            f"{len(applied.vouchers)} voucher(s) 份凭证 (application {applied.id})"
        )
    if released is not None:
        print(
            f"released 已拨付: {released.code} {yuan(released.amount_fen)} on {released.released_on}"
        )
    print(f"{contract.code}  合同金额 amount {yuan(contract.amount_fen)}")
    for t in table:
        due = t.date_label()
        trigger = f"{t.trigger} {TRIGGER_ZH[t.trigger]}"
        status = f"{t.status} {TRANCHE_ZH[t.status]}"
        line = f"  {t.code:<4} {t.share_bp / 100:>5g}%  {yuan(t.amount_fen):>15}  {trigger:<24} {status:<14} {due}"
        if t.blocked_by:
            line += "  blocked by 受阻: " + "; ".join(
                f"{blocked_by_en(b)} {blocked_by_zh(b)}" for b in t.blocked_by
            )
        if t.due_note:
            line += f"  note 说明: {t.due_note}"
        if t.applied_on is not None:
            line += f"  applied 已申请 {t.applied_on}"
        print(line)
    print(f"  {'total 合计':<10} {yuan(sum(t.amount_fen for t in table)):>15}")
    return 0
