"""Work the server does by itself each day (docs/deployment.md, "Scheduled work"): the
deadline checks and escalations of :func:`evaluator.services.findings.refresh` — what an
operator runs by hand with ``evaluator findings --refresh``.

Every worker of every server process checks now and then (``run_due``); the first to insert
the day's row of a job (``ScheduledRun``, unique per job and day) runs it, the others see
the row and skip: one run per day whatever the number of workers or machines, on SQLite and
PostgreSQL alike. The row records when the run finished and what it did; the run is audited.
A run cut short (the process killed) leaves its row unfinished; the jobs are idempotent and
catch up, so the next day's run does what was left (and an operator may refresh by hand)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.services import audit, findings
from evaluator.services.actors import Actor
from evaluator.store.schedule import ScheduledRun

log = logging.getLogger(__name__)


async def _refresh_findings() -> dict:
    recomputed, expired, escalated = await findings.refresh(Actor.system())
    return {"deadlines_recomputed": recomputed, "expired": expired, "escalated": escalated}


JOBS: dict[str, Callable[[], Awaitable[dict]]] = {"findings.refresh": _refresh_findings}


async def run_due(day: dt.date | None = None) -> dict[str, dict]:
    """Run every job not yet run for ``day`` (default: today in Beijing) that this process
    claims first; returns what the jobs it ran did (empty when another had claimed them)."""
    day = day or clock.today()
    ran: dict[str, dict] = {}
    for job, work in JOBS.items():
        try:
            claim = await ScheduledRun.create(job=job, day=day)
        except IntegrityError:
            continue  # another worker (or an earlier start today) has it
        outcome = await work()
        async with in_transaction() as conn:  # the run's end and its audit event together
            await (
                ScheduledRun.filter(id=claim.id)
                .using_db(conn)
                .update(finished_at=clock.now(), outcome=outcome)
            )
            await audit.record(
                "system",
                "schedule.run",
                "scheduled_run",
                claim.id,
                None,
                {"job": job, "day": day.isoformat(), **outcome},
                connection=conn,
            )
        ran[job] = outcome
    return ran


async def keep_running(every: dt.timedelta) -> None:
    """The server's loop: run what is due, then wait ``every`` (a new Beijing day is seen
    within that delay). A failing job is logged and tried again on the next day's row."""
    while True:
        try:
            done = await run_due()
            for job, outcome in done.items():
                log.info("scheduled %s ran: %s", job, outcome)
        except Exception:  # noqa: BLE001 - the server keeps serving; the log says why
            log.exception("scheduled work failed")
        await asyncio.sleep(every.total_seconds())
