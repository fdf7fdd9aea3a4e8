"""Holiday schedules an administrator added (``evaluator calendar add``): one row per
addition, never changed; the newest row of a year is the one in force."""

from __future__ import annotations

from tortoise import fields

from evaluator.store.base import Entity
from evaluator.store.orgs import User


class HolidaySchedule(Entity):
    year = fields.IntField()
    revision = fields.IntField()  # 1, 2, … per year
    canonical = fields.TextField()  # canonical JSON of the validated schedule
    content_hash = fields.CharField(max_length=71)
    source = fields.TextField()  # the YAML as added
    file_name = fields.CharField(max_length=255, default="")
    added_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="holiday_schedules", null=True, on_delete=fields.RESTRICT
    )  # NULL: added from the command line by the system operator

    class Meta:
        table = "holiday_schedule"
        unique_together = (("year", "revision"),)
