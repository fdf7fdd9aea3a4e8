"""Login sessions and login attempts (for throttling)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from evaluator.store.base import Entity
from evaluator.store.orgs import User


class Session(Entity):
    """An opaque bearer token, stored only as its sha256, with expiry and revocation."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    address = fields.CharField(max_length=64, default="")

    class Meta:
        table = "login_session"


class LoginAttempt(Model):
    """One login attempt, kept to throttle guessing per account and per address."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    username = fields.CharField(max_length=64, db_index=True)
    address = fields.CharField(max_length=64, db_index=True)
    success = fields.BooleanField()

    class Meta:
        table = "login_attempt"


class LoginBudget(Model):
    """The attempts that reached (or are reaching) the password check in the window opened
    by the first of them, per bucket (``account:<name>`` or ``address:<ip>``); counted by one
    atomic upsert, so the limit holds whatever the concurrency and the number of workers."""

    bucket = fields.CharField(max_length=80, primary_key=True)
    window_start = fields.BigIntField()  # seconds since the epoch (compared in SQL)
    used = fields.IntField()

    class Meta:
        table = "login_budget"
