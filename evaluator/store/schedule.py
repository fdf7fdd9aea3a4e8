"""Scheduled work the server runs itself (services/schedule.py): one row per job and day,
claimed by the first worker that inserts it — the unique pair is the lock, on both
databases and across processes."""

from __future__ import annotations

from tortoise import fields

from evaluator.store.base import Entity


class ScheduledRun(Entity):
    job = fields.CharField(max_length=40)  # e.g. findings.refresh
    day = fields.DateField()  # the Beijing day it ran for
    finished_at = fields.DatetimeField(null=True)  # NULL: running, or the process died
    outcome = fields.JSONField(default=dict)  # what the job reports (counts)

    class Meta:
        table = "scheduled_run"
        unique_together = (("job", "day"),)
