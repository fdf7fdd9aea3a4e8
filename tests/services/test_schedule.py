"""Scheduled work inside the service (issue 19): the daily deadline checks and escalations
run once per day whatever the number of callers — sequential, concurrent in one process,
and two server workers on PostgreSQL — tested with the clock: an overdue finding escalates
on the day after its deadline without anyone running `evaluator findings --refresh`."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from test_consequences import RULES, approved
from two_workers import two_workers
from workflow_fixtures import build_county

from evaluator import clock
from evaluator.services import schedule
from evaluator.store.audit import AuditEvent
from evaluator.store.decisions import Finding
from evaluator.store.schedule import ScheduledRun


async def test_the_daily_checks_run_once_a_day_and_escalate_what_is_overdue(db, evidence_dir):
    county = await build_county(system=RULES)
    await approved(county, {"ST01": {"L00": 5}})  # a correction due 10 Oct 2026
    (low,) = await Finding.filter(unit="ST01", rule="D-L00")
    assert low.deadline == dt.date(2026, 10, 10)

    with clock.pinned(dt.date(2026, 10, 10)):  # the deadline itself: nothing overdue
        assert await schedule.run_due() == {
            "findings.refresh": {"deadlines_recomputed": 0, "expired": 0, "escalated": 0}
        }
        assert await schedule.run_due() == {}  # the day's run is done
    with clock.pinned(dt.date(2026, 10, 11)):  # the day after: overdue, escalated
        first, *others = await asyncio.gather(*(schedule.run_due() for _ in range(5)))
        ran = [r for r in (first, *others) if r]
        assert len(ran) == 1 and ran[0]["findings.refresh"]["expired"] == 1
    assert (await Finding.get(id=low.id)).state == "escalated"
    assert await Finding.filter(escalated_from_id=low.id).count() == 1
    runs = await ScheduledRun.all().order_by("day")
    assert [(r.job, r.day) for r in runs] == [
        ("findings.refresh", dt.date(2026, 10, 10)),
        ("findings.refresh", dt.date(2026, 10, 11)),
    ]
    assert all(r.finished_at is not None for r in runs)
    assert await AuditEvent.filter(action="schedule.run").count() == 2


async def test_two_workers_run_the_day_once(db, db_kind, evidence_dir, monkeypatch):
    if db_kind != "postgres":
        pytest.skip("two sanic workers need PostgreSQL (SQLite allows one worker)")
    monkeypatch.setenv("SCHEDULE_MINUTES", "1")
    await build_county()
    async with two_workers(db.url, evidence_dir):
        for _ in range(100):  # each worker looks at start-up
            if await ScheduledRun.filter(finished_at__isnull=False).exists():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # the slower worker has looked too
    assert await ScheduledRun.filter(job="findings.refresh").count() == 1
    assert await AuditEvent.filter(action="schedule.run").count() == 1
