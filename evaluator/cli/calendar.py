"""``evaluator calendar show|add`` and ``evaluator appeal-window`` (thin: parse, call a
service, print).

The working-day calendar in force (``services.calendars``): a year's holidays and make-up
working days with their source; adding a year's schedule (which recomputes the provisional
dates it settles); and the bureau extending a round's appeal window by hand. The bureau's
manual finding deadline is ``evaluator findings ROUND --set-deadline`` (``cli/decisions.py``).
"""

from __future__ import annotations

import argparse
import json

from evaluator import clock
from evaluator.cli.common import acting, deadline_text, round_uuid, with_database
from evaluator.errors import InvalidInput, Problem

WEEKDAYS = ("周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun")
KINDS = {"official": "official 正式", "provisional": "provisional 暂定"}
ORIGINS = {
    "package": "package 日历包 (chinese-calendar)",
    "shipped": "shipped 随附文件 (calendars/)",
    "added": "added 管理员添加",
    "law": "law 按法律推算",
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    calendar = sub.add_parser(
        "calendar", help="the working-day calendar: holidays and make-up working days (节假日安排)"
    )
    cal = calendar.add_subparsers(title="calendar commands", metavar="ACTION")
    s = cal.add_parser(
        "show", help="a year's holidays and make-up working days, with their source (查看)"
    )
    s.add_argument("year", type=_year, metavar="YEAR")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(handler=cmd_show)
    a = cal.add_parser(
        "add",
        help="add a year's holiday schedule from a YAML file; recompute the provisional dates it settles (添加)",
    )
    a.add_argument("file", metavar="FILE", help="YAML, UTF-8 (format: calendars/2026.yaml)")
    a.set_defaults(handler=cmd_add)
    calendar.set_defaults(handler=lambda args: calendar.print_help() or 2)

    p = sub.add_parser(
        "appeal-window",
        help="a round's appeal window; extend it by hand with a reason (the bureau) (申诉期)",
    )
    p.add_argument("round_id", metavar="ROUND", help="round id (see `evaluator rounds`)")
    p.add_argument(
        "until",
        nargs="?",
        metavar="YYYY-MM-DD",
        help="extend the window to end on this day (needs --reason)",
    )
    p.add_argument("--reason", default="", help="why (required to extend)")
    p.add_argument("--as", dest="username", help="act as this user (a bureau officer)")
    p.set_defaults(handler=cmd_appeal_window)


def _year(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a year, e.g. 2027 (年份格式应为四位数字，例如 2027)"
        ) from None


# --- calendar show ------------------------------------------------------------------------
# The services are imported inside the commands: ``evaluator --help`` does not need them.


def cmd_show(args) -> int:
    from evaluator.services import calendars

    view = with_database(calendars.show(args.year))
    if args.json:
        print(json.dumps(calendars.year_document(view), ensure_ascii=False, indent=1))
        return 0
    for line in describe_year(view):
        print(line)
    return 0


def describe_year(view) -> list[str]:
    """The year as lines: a header (kind, origin, source), then one line per day."""
    s = view.schedule
    header = (
        f"{s.year}: {KINDS.get(s.kind, s.kind)} · origin 出处: {ORIGINS.get(s.origin, s.origin)}"
    )
    if s.version:
        header += f" · version 版本: {s.version}"
    if view.revisions:
        header += f" · added 添加 {view.revisions} time(s) 次"
    lines = [header, f"  source 依据: {s.source_zh}", f"             {s.source_en}"]
    if s.document:
        lines.append(f"  document 文号: {s.document}")
    if s.provisional:
        lines.append(
            "  dates counted on this year are provisional and are recomputed when its schedule "
            f"is added (按此推算的日期为暂定，添加正式安排后自动重算): evaluator calendar add calendars/{s.year}.yaml"
        )
    if not view.days:
        lines.append("  no holidays 无节假日")
    for d in view.days:
        kind = "上班 make-up working day" if d.working else "放假 holiday"
        name = f"{d.holiday.name_zh} {d.holiday.name_en}" if d.holiday else "—"
        lines.append(f"{d.day.isoformat()} {WEEKDAYS[d.day.weekday()]}  {kind:<24} {name}")
    return lines


# --- calendar add -------------------------------------------------------------------------


def cmd_add(args) -> int:
    from evaluator.services import calendars
    from evaluator.services.actors import Actor

    text = read_schedule_text(args.file, calendars.MAX_BYTES)
    done = with_database(calendars.add_schedule(Actor.system(), text, file=args.file))
    s = done.schedule
    if done.unchanged:
        print(
            f"unchanged 未变化 {s.year} revision {done.revision}: the same schedule is already in "
            f"force (已是现行安排) · {s.source_zh}"
        )
        return 0
    print(
        f"added 已添加 {s.year} revision {done.revision}: {s.source_zh} "
        f"({len(s.holidays)} holidays 个节日)"
    )
    if not done.recomputed:
        print("  no stored provisional date depended on it (没有需要重算的暂定日期)")
        return 0
    print(f"  recomputed 已重算: {len(done.recomputed)} date(s) 个日期")
    for r in done.recomputed:
        what = "finding 问题" if r.kind == "finding" else "appeal window 申诉期 of round"
        before = r.before.isoformat() if r.before else "—"
        basis = KINDS.get(r.basis, r.basis)
        print(f"  {what} {r.object_id}: {before} → {r.after.isoformat()} · {basis}")
        if r.note:
            print(f"      note 说明: {r.note}")
    return 0


def read_schedule_text(file: str, max_bytes: int) -> str:
    """The file as UTF-8 text; a missing or unreadable file, or one that is not UTF-8, is a
    located bilingual problem. At most ``max_bytes + 1`` bytes are read: a larger file is
    passed on (undecodable bytes replaced) for the service to refuse by its size."""
    try:
        with open(file, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InvalidInput(Problem("no such file", "文件不存在", file=file)) from None
    except IsADirectoryError:
        raise InvalidInput(
            Problem("a folder, not a file", "这是文件夹，不是文件", file=file)
        ) from None
    except OSError as exc:
        raise InvalidInput(
            Problem(
                f"cannot read the file: {exc.strerror or exc}",
                f"无法读取文件：{exc.strerror or exc}",
                file=file,
            )
        ) from None
    if len(data) > max_bytes:
        return data.decode("utf-8", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            Problem(
                f"the file is not UTF-8 (byte {exc.start + 1}); save it as UTF-8",
                f"文件不是 UTF-8 编码（第 {exc.start + 1} 字节），请另存为 UTF-8",
                file=file,
                line=line,
            )
        ) from None


# --- appeal-window ------------------------------------------------------------------------


def cmd_appeal_window(args) -> int:
    from evaluator.services import appeals, calendars
    from evaluator.services.actors import get_round

    round_id = round_uuid(args.round_id)
    until = clock.parse_day(args.until, "YYYY-MM-DD") if args.until else None
    if until is None and args.reason:
        raise InvalidInput(
            Problem(
                "--reason goes with a new end date (YYYY-MM-DD)",
                "--reason 须与新的截止日期（YYYY-MM-DD）一同使用",
                path="--reason",
            )
        )

    async def run():
        actor = await acting(args.username)
        if until is not None:
            round_ = await appeals.extend_window(actor, round_id, until, args.reason)
            return round_, (round_.appeal_until, round_.appeal_basis, round_.appeal_note)
        round_ = await get_round(actor, round_id)
        return round_, await calendars.appeal_window_of(round_)

    round_, window = with_database(run())
    if window is None:
        print(f"no appeal window 无申诉期: the round is {round_.state.value} (轮次尚未审定)")
        return 0
    day, basis, note = window
    verb = "extended 已延长" if until is not None else "appeal window 申诉期"
    print(f"{verb}: round {round_.id} until 截至 {deadline_text(day, basis)}")
    if note:
        label = "reason 理由" if basis == "override" else "note 说明"
        print(f"  {label}: {note}")
    return 0
