"""``evaluator gaps``: the completeness gaps of a round — each (station, leaf) without a
usable value — and the lead evaluator's decision on one (thin: parse, call a service,
print; see ``services.completeness``)."""

from __future__ import annotations

import argparse

from evaluator.cli.common import acting, round_uuid, with_database
from evaluator.errors import InvalidInput, Problem

DECISIONS = {
    "not_applicable": "not applicable 不适用",
    "accepted_missing": "accepted missing 确认缺失",
    None: "UNDECIDED 未处理",
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gaps",
        help="a round's completeness gaps; the lead decides one (缺项)",
    )
    p.add_argument("round_id", metavar="ROUND", help="round id (see `evaluator rounds`)")
    p.add_argument(
        "--decide",
        nargs=3,
        metavar=("UNIT", "LEAF", "DECISION"),
        help="decide a gap: not_applicable or accepted_missing (needs --reason); "
        "clear takes the decision back (the round's lead evaluator)",
    )
    p.add_argument("--reason", default="", help="why (required to decide)")
    p.add_argument("--as", dest="username", help="act as this user (the round's lead evaluator)")
    p.set_defaults(handler=cmd_gaps)


# The services are imported inside the command: ``evaluator --help`` does not need them.
def cmd_gaps(args) -> int:
    from evaluator.services.completeness import decide_gap, list_gaps

    round_id = round_uuid(args.round_id)
    if not args.decide and args.reason:
        raise InvalidInput(
            Problem(
                "--reason goes with --decide UNIT LEAF DECISION",
                "--reason 须与 --decide UNIT LEAF DECISION 一同使用",
                path="--reason",
            )
        )

    async def run():
        actor = await acting(args.username)
        if args.decide:
            unit, leaf, decision = args.decide
            await decide_gap(actor, round_id, unit, leaf, decision, args.reason)
        return (await list_gaps(actor, round_id))[1]

    gaps = with_database(run())
    if args.decide:
        unit, leaf, decision = args.decide
        verb = "cleared 已撤销" if decision == "clear" else "decided 已处理"
        print(f"{verb}: {unit} {leaf} → {decision}")
    if not gaps:
        print("no gaps 无缺项: every station has a value for every scored leaf")
    for g in gaps:
        print(
            f"{g.unit:<10} {g.leaf:<6} {DECISIONS.get(g.decision, g.decision):<26} "
            f"missing rule 缺失规则 {g.missing_rule:<5} {g.name_zh} {g.name_en}"
        )
        if g.reason:
            print(f"{'':<18}reason 理由: {g.reason}")
    undecided = sum(g.decision is None for g in gaps)
    if gaps:
        print(
            f"{len(gaps)} gap(s) 个缺项, {undecided} undecided 未处理"
            + (
                " — the round cannot be submitted or approved 本轮不能提交或审定"
                if undecided
                else ""
            )
        )
    return 0
