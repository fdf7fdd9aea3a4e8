"""The working-day calendar in force, and adding a year's holiday schedule.

In force: the ``chinese-calendar`` package's years, overridden by the files shipped in
``calendars/``, overridden by the schedules an administrator added (newest revision of a
year wins). Any other year is provisional (derived from the law).

When a schedule is added, every stored date it may move (open findings' deadlines, appeal
windows not yet closed; provisional or official) is recomputed in the same transaction,
each change audited:

* a finding's rectification deadline takes the new count (it may move either way);
* an appeal window keeps whichever end is later — the announced provisional end or the
  official count — so that an agency's right to appeal is never cut short.

Dates set by the bureau by hand (``override``) are never recomputed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.canonical import canonical_json, sha256_text
from evaluator.decisions.calendar import Day, Deadline, WorkingCalendar
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.decisions.schedule_files import ScheduleInvalid, parse_schedule
from evaluator.decisions.schedules import YearSchedule, package_schedule, package_years
from evaluator.errors import ConflictError, Problem, StateError
from evaluator.services import audit
from evaluator.services.actors import Actor, require
from evaluator.shipped import shipped_dir
from evaluator.store.calendars import HolidaySchedule
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Decision, Finding
from evaluator.store.rounds import Round

MAX_BYTES = 256 * 1024


@cache
def shipped_schedules() -> tuple[YearSchedule, ...]:
    """The schedules shipped in ``calendars/`` (validated; a broken file is a release bug)."""
    try:
        folder = shipped_dir("calendars")
    except FileNotFoundError:
        return ()
    return tuple(
        parse_schedule(path.read_text("utf-8"), f"calendars/{path.name}", origin="shipped")
        for path in sorted(folder.glob("*.yaml"))
    )


async def added_schedules(conn=None) -> list[YearSchedule]:
    """The newest added revision of each year."""
    rows = (
        await HolidaySchedule.all()
        .using_db(conn)
        .order_by("year", "revision")
        .values_list("year", "canonical")
    )
    newest = dict(rows)  # the last revision of a year wins
    return [YearSchedule.from_dict(json.loads(canonical)) for canonical in newest.values()]


async def current(conn=None) -> WorkingCalendar:
    """The calendar in force now."""
    official = [package_schedule(y) for y in package_years()]
    official += list(shipped_schedules())
    official += await added_schedules(conn)
    return WorkingCalendar.from_schedules(official)


# --- show -----------------------------------------------------------------------------


@dataclass(frozen=True)
class YearView:
    schedule: YearSchedule
    days: list[Day]
    revisions: int  # how many times an administrator added this year


async def show(year: int) -> YearView:
    """Every holiday and make-up working day of ``year``, with its source."""
    calendar = await current()
    schedule = calendar.schedule(year)
    revisions = await HolidaySchedule.filter(year=year).count()
    return YearView(schedule, calendar.year_days(year), revisions)


def year_document(view: YearView) -> dict:
    """The JSON form of a year (API and ``calendar show --json``)."""
    s = view.schedule
    return {
        "year": s.year,
        "kind": s.kind,
        "provisional": s.provisional,
        "origin": s.origin,
        "source": {"zh": s.source_zh, "en": s.source_en, "document": s.document or None},
        "version": s.version,
        "revisions": view.revisions,
        "days": [
            {
                "date": d.day.isoformat(),
                "weekday": d.day.isoweekday(),
                "working": d.working,
                "kind": "make_up_workday" if d.working else "holiday",
                "holiday": d.holiday.code if d.holiday else None,
                "name": {"zh": d.holiday.name_zh, "en": d.holiday.name_en} if d.holiday else None,
                "provisional": d.provisional,
            }
            for d in view.days
        ],
    }


# --- add ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recomputed:
    """One stored date that moved (or changed basis) because a schedule arrived."""

    kind: str  # finding | appeal_window
    object_id: str
    before: dt.date | None
    after: dt.date
    basis: str
    note: str = ""


@dataclass(frozen=True)
class Added:
    schedule: YearSchedule
    revision: int
    unchanged: bool  # the same content was already the year's newest revision
    recomputed: list[Recomputed]


async def add_schedule(actor: Actor, text: str, file: str = "calendar.yaml") -> Added:
    """Validate a year's schedule (every located problem at once), store it as the year's
    newest revision and recompute the provisional dates it settles, in one transaction."""
    require(
        actor.is_admin, "only an administrator adds holiday schedules", "仅管理员可添加节假日安排"
    )
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ScheduleInvalid(
            Problem("the file is larger than 256 KB", "文件超过 256 KB", file=file)
        )
    schedule = parse_schedule(text, file, origin="added")
    canonical = canonical_json(schedule.as_dict(), spaced=True)  # as hashed since the start
    content_hash = sha256_text(canonical)
    try:
        return await _store(actor, schedule, text, file, canonical, content_hash)
    except IntegrityError:  # the same year's revision added at the same moment
        raise ConflictError(
            Problem(
                f"a schedule of {schedule.year} was added at the same moment; send it again",
                f"{schedule.year} 年的节假日安排刚被他人同时添加，请重新提交",
            )
        ) from None


async def _store(
    actor: Actor, schedule: YearSchedule, text: str, file: str, canonical: str, content_hash: str
) -> Added:
    async with in_transaction() as conn:
        latest = (
            await HolidaySchedule.filter(year=schedule.year)
            .using_db(conn)
            .select_for_update()
            .order_by("-revision")
            .first()
        )
        if latest is not None and latest.content_hash == content_hash:
            return Added(schedule, latest.revision, True, [])
        revision = (latest.revision if latest else 0) + 1
        row = await HolidaySchedule.create(
            year=schedule.year,
            revision=revision,
            canonical=canonical,
            content_hash=content_hash,
            source=text,
            file_name=file[:255],
            added_by_id=actor.user_id,
            using_db=conn,
        )
        await audit.record(
            actor.username,
            "calendar.add",
            "holiday_schedule",
            row.id,
            None,
            {
                "year": schedule.year,
                "revision": revision,
                "content_hash": content_hash,
                "source": schedule.source_zh,
                "holidays": len(schedule.holidays),
            },
            connection=conn,
        )
        changes = await recompute(actor, conn, reason=f"calendar {schedule.year} r{revision}")
    return Added(schedule, revision, False, changes)


async def recompute(actor: Actor, conn, reason: str = "calendar update") -> list[Recomputed]:
    """Recount the stored dates a schedule may move, on the calendar now in force (inside
    the caller's transaction): the deadlines of open findings (provisional or official: a
    corrected revision of an official year moves them too), every provisional appeal window
    and the official ones not yet closed; never a date the bureau set by hand. Audit each
    change. Idempotent."""
    calendar = await current(conn)
    changes: list[Recomputed] = []
    findings = (
        await Finding.filter(
            deadline_basis__in=["provisional", "official"], state__in=list(OPEN_STATES)
        )
        .using_db(conn)
        .select_for_update()
    )
    for f in findings:
        if f.deadline_working_days is None:
            continue
        new = calendar.deadline(f.opened_on, f.deadline_working_days)
        note = new.explain()
        if new.on == f.deadline and new.basis == f.deadline_basis and note == f.deadline_note:
            continue
        await (
            Finding.filter(id=f.id)
            .using_db(conn)
            .update(
                deadline=new.on, deadline_basis=new.basis, deadline_note=note, version=f.version + 1
            )
        )
        await audit.record(
            actor.username,
            "finding.deadline",
            "finding",
            f.id,
            {"deadline": _iso(f.deadline), "basis": f.deadline_basis},
            {"deadline": new.on.isoformat(), "basis": new.basis, "reason": reason},
            connection=conn,
        )
        changes.append(Recomputed("finding", str(f.id), f.deadline, new.on, new.basis, note))
    rounds = (
        await Round.filter(
            Q(appeal_basis="provisional")
            | Q(appeal_basis="official", appeal_until__gte=clock.today())
        )
        .using_db(conn)
        .select_for_update()
    )
    for r in rounds:
        window = await appeal_window(r, calendar, conn)
        if window is None:
            continue
        until, basis, note = window
        if until == r.appeal_until and basis == r.appeal_basis and note == r.appeal_note:
            continue
        await (
            Round.filter(id=r.id)
            .using_db(conn)
            .update(appeal_until=until, appeal_basis=basis, appeal_note=note)
        )
        await audit.record(
            actor.username,
            "round.appeal_window",
            "round",
            r.id,
            {"appeal_until": _iso(r.appeal_until), "basis": r.appeal_basis},
            {"appeal_until": until.isoformat(), "basis": basis, "reason": reason},
            connection=conn,
        )
        changes.append(Recomputed("appeal_window", str(r.id), r.appeal_until, until, basis, note))
    return changes


async def appeal_window(
    round_: Round, calendar: WorkingCalendar, conn=None
) -> tuple[dt.date, str, str] | None:
    """(last day to appeal, basis, note) counted from the round's first approval; an end
    already announced is never moved earlier (in the agency's favour)."""
    first = await Decision.filter(round_id=round_.id).using_db(conn).order_by("created_at").first()
    if first is None:
        return None
    contract = await Contract.get(id=round_.contract_id).using_db(conn)
    count = calendar.deadline(first.approved_on, contract.appeal_working_days)
    return appeal_end(count, round_.appeal_until, round_.appeal_basis)


async def appeal_window_of(round_: Round, conn=None) -> tuple[dt.date, str, str] | None:
    """(last day to appeal, basis, note): as fixed at approval (later moved only by a
    calendar update or the bureau); counted now for a round approved before windows were
    stored; None before approval."""
    if round_.appeal_until is not None:
        return round_.appeal_until, round_.appeal_basis, round_.appeal_note
    return await appeal_window(round_, await current(conn), conn)


async def appeal_deadline(round_: Round, conn=None) -> dt.date:
    """The last day to appeal (StateError before approval)."""
    window = await appeal_window_of(round_, conn)
    if window is None:
        raise StateError(Problem("only an approved round can be appealed", "仅已审定的轮次可申诉"))
    return window[0]


def appeal_end(
    count: Deadline, announced: dt.date | None, announced_basis: str
) -> tuple[dt.date, str, str]:
    """The appeal window's end from a new count and the end announced before (if any): never
    earlier than what was announced (in the agency's favour)."""
    if count.provisional:
        en, zh = count.note()
        return (
            max(count.on, announced) if announced else count.on,
            "provisional",
            f"{en}; counted in the agency's favour: the official schedule will never make the "
            f"window shorter ({zh}；按有利于承接机构的方式计算：公布正式安排后申诉期不会缩短)",
        )
    if announced is not None and announced > count.on:
        kind_en, kind_zh = (
            ("provisional", "暂定") if announced_basis == "provisional" else ("earlier", "此前")
        )
        return (
            announced,
            "official",
            f"the official schedule ends the window on {count.on.isoformat()}; the {kind_en} end "
            f"{announced.isoformat()} announced before is kept in the agency's favour "
            f"(按正式安排申诉期截至 {count.on.isoformat()}；为保障承接机构权利，保留此前公布的{kind_zh}截止日 "
            f"{announced.isoformat()})",
        )
    return count.on, "official", ""


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
