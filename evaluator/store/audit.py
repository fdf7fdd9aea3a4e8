"""The append-only, hash-chained audit log. No code path updates or deletes these rows."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

GENESIS = "0" * 64


class AssignedBigIntField(fields.BigIntField):
    """A BIGINT primary key whose values the application assigns (never a sequence).

    ``BigIntField(primary_key=True, generated=False)`` would say the same, but tortoise
    1.1.9's migration writer drops ``generated=False`` (it only writes ``generated`` when
    true), so the migration created a BIGSERIAL / AUTOINCREMENT column and
    ``makemigrations`` proposed a RemoveField + AddField of the key every time. A class
    that fixes ``generated=False`` survives the round trip through a migration file.
    """

    def __init__(self, **kwargs) -> None:
        kwargs["generated"] = False
        super().__init__(**kwargs)


class AssignedIntField(fields.IntField):
    """An INT primary key whose values the application assigns (see AssignedBigIntField)."""

    def __init__(self, **kwargs) -> None:
        kwargs["generated"] = False
        super().__init__(**kwargs)


class AuditEvent(Model):
    seq = AssignedBigIntField(primary_key=True)  # 1, 2, 3 … assigned under the head lock
    at = fields.DatetimeField()
    actor = fields.CharField(max_length=64)
    action = fields.CharField(max_length=60)
    object_type = fields.CharField(max_length=40)
    object_id = fields.CharField(max_length=64)
    before = fields.TextField(null=True)  # canonical JSON text, hashed as stored
    after = fields.TextField(null=True)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "audit_event"


class AuditHead(Model):
    """One row: seq and hash of the last event. Locked by every append, so the chain is a
    line even under concurrent writers, and compared by ``audit verify`` (a deleted tail shows)."""

    id = AssignedIntField(primary_key=True)
    seq = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64, default=GENESIS)

    class Meta:
        table = "audit_head"
