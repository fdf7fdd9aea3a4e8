"""Appending to and verifying the hash-chained audit log.

Each event stores ``hash = sha256(prev_hash + canonical JSON of the event)``, where the
event is ``{seq, at, actor, action, object_type, object_id, before, after}`` and
``before``/``after`` are stored exactly as the canonical JSON text that was hashed. The
single ``audit_head`` row is locked by every append (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite serialises writers), so concurrent writers extend one line; it holds
the last seq and hash, so a deleted tail is caught too. ``record_many`` appends a bulk
write's events (one per score of an import) under one lock, in batched inserts: the same
events, hashes and chain as one ``record`` each; as with ``record`` the lock is held
until the caller's transaction ends, so other writers wait for the whole batch.

``verify`` reads the head first and walks the events up to it: every event up to the
head was committed with (or before) that head, so appends that land while it walks
never look like tampering. Events beyond the head must be covered by the head by the
time the walk ends, or they were written outside this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.models import Model
from tortoise.transactions import in_transaction

from evaluator import canonical, clock
from evaluator.services.actors import Actor, require
from evaluator.store.audit import GENESIS, AuditEvent, AuditHead


def canonical_json(value) -> str | None:
    """The canonical JSON text (``evaluator.canonical``; a database row as its key);
    ``None`` stays ``None``."""
    if value is None:
        return None
    return canonical.canonical_json(value, default=_row_key)


def _row_key(value):
    if isinstance(value, Model):
        return str(value.pk)
    raise TypeError(f"cannot put {type(value).__name__} into an audit event")


def _utc(at: dt.datetime) -> str:
    if at.tzinfo is None:  # tortoise with use_tz=False hands back naive UTC
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    prev_hash: str,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: str | None,
    after: str | None,
) -> str:
    body = canonical.canonical_json(
        {
            "seq": seq,
            "at": _utc(at),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": before,
            "after": after,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


async def record(
    actor: str,
    action: str,
    object_type: str,
    object_id,
    before=None,
    after=None,
    *,
    connection=None,
) -> AuditEvent:
    """Append one event. Call inside the transaction of the change it records (pass its
    ``connection``); on its own it opens one."""
    if connection is None:
        async with in_transaction() as conn:
            return await record(
                actor, action, object_type, object_id, before, after, connection=conn
            )
    before_s, after_s = canonical_json(before), canonical_json(after)  # fails before the lock
    head = await _locked_head(connection)
    seq = head.seq + 1
    at = clock.now()  # taken under the lock: times never decrease along the chain
    digest = event_hash(
        head.hash, seq, at, actor, action, object_type, str(object_id), before_s, after_s
    )
    event = await AuditEvent.create(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before_s,
        after=after_s,
        prev_hash=head.hash,
        hash=digest,
        using_db=connection,
    )
    await AuditHead.filter(id=1).using_db(connection).update(seq=seq, hash=digest)
    return event


@dataclass(frozen=True)
class Event:
    """One event of :func:`record_many` (the arguments of :func:`record` but the actor)."""

    action: str
    object_type: str
    object_id: object
    before: object = None
    after: object = None


BATCH = 2000  # events per INSERT batch of record_many


async def record_many(
    connection, actor: str, events: Iterable[Event], *, batch: int = BATCH
) -> int:
    """Append many events of one actor, chained exactly as that many :func:`record` calls
    would chain them (same hash, consecutive seqs), taking the head lock once and inserting
    in batches. Call inside the transaction of the change they record (``connection``; None
    opens one): a rollback leaves neither the events nor a moved head. Every event is made
    canonical before the lock is taken (a value that cannot be recorded fails first). All
    take one time, read under the lock, so times never decrease along the chain. Returns
    the number of events appended."""
    if connection is None:
        async with in_transaction() as conn:
            return await _append_many(conn, actor, events, batch)
    return await _append_many(connection, actor, events, batch)


async def _append_many(connection, actor: str, events: Iterable[Event], batch: int) -> int:
    texts = [
        (
            e.action,
            e.object_type,
            str(e.object_id),
            canonical_json(e.before),
            canonical_json(e.after),
        )
        for e in events
    ]
    if not texts:
        return 0
    head = await _locked_head(connection)
    seq, prev = head.seq, head.hash
    at = clock.now()  # taken under the lock: times never decrease along the chain
    for start in range(0, len(texts), batch):
        rows = []
        for action, object_type, object_id, before_s, after_s in texts[start : start + batch]:
            seq += 1
            digest = event_hash(
                prev, seq, at, actor, action, object_type, object_id, before_s, after_s
            )
            rows.append(
                AuditEvent(
                    seq=seq,
                    at=at,
                    actor=actor,
                    action=action,
                    object_type=object_type,
                    object_id=object_id,
                    before=before_s,
                    after=after_s,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        await AuditEvent.bulk_create(rows, using_db=connection)
    await AuditHead.filter(id=1).using_db(connection).update(seq=seq, hash=prev)
    return len(texts)


async def _locked_head(connection) -> AuditHead:
    """The head row, locked for the rest of the caller's transaction (created if missing)."""
    head = await AuditHead.select_for_update().using_db(connection).get_or_none(id=1)
    if head is None:
        # First event ever: several writers may get here at once. INSERT … ON CONFLICT DO
        # NOTHING (INSERT OR IGNORE on SQLite) lets one create the row; the others wait on
        # it (PostgreSQL) and then all queue on its lock. A plain INSERT made all but one
        # fail with a duplicate key.
        await AuditHead.bulk_create(
            [AuditHead(id=1, seq=0, hash=GENESIS)], ignore_conflicts=True, using_db=connection
        )
        head = await AuditHead.select_for_update().using_db(connection).get(id=1)
    return head


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    head_hash: str
    broken_seq: int | None = None
    reason_en: str = ""
    reason_zh: str = ""


async def verify(batch: int = 5000) -> Verification:
    """Walk the chain from the first event up to the head; name the first event that does
    not hold. Safe to run while others append (no lock is taken)."""
    head = await AuditHead.get_or_none(id=1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    prev = GENESIS
    count = 0
    last_seq: int | None = None
    while count < head_seq:
        query = AuditEvent.filter(seq__lte=head_seq)
        if last_seq is not None:
            query = query.filter(seq__gt=last_seq)
        events = await query.order_by("seq").limit(batch)
        if not events:
            break
        for e in events:
            expected = count + 1
            if e.seq != expected:
                return _broken(
                    count,
                    prev,
                    expected,
                    f"event {expected} is missing (the next is {e.seq})",
                    f"第 {expected} 条事件缺失（下一条为第 {e.seq} 条）",
                )
            if e.prev_hash != prev:
                return _broken(
                    count,
                    prev,
                    e.seq,
                    f"event {e.seq} does not link to the event before it",
                    f"第 {e.seq} 条事件与前一条事件的链接断开",
                )
            digest = event_hash(
                prev, e.seq, e.at, e.actor, e.action, e.object_type, e.object_id, e.before, e.after
            )
            if digest != e.hash:
                return _broken(
                    count,
                    prev,
                    e.seq,
                    f"event {e.seq} ({e.action} {e.object_type} {e.object_id}) was altered: its content no longer matches its hash",
                    f"第 {e.seq} 条事件（{e.action} {e.object_type} {e.object_id}）已被篡改：内容与哈希不符",
                )
            prev = e.hash
            count += 1
            last_seq = e.seq
    if count < head_seq:
        missing = count + 1
        return _broken(
            count,
            prev,
            missing,
            f"the chain ends at event {count} but the head records event {head_seq}: event {missing} and later were removed",
            f"事件链止于第 {count} 条，而链头记录为第 {head_seq} 条：第 {missing} 条及之后的事件已被删除",
        )
    if prev != head_hash:
        return _broken(
            count,
            prev,
            head_seq,
            f"the head does not match event {head_seq}, the last event: the head or the tail of the chain was altered",
            f"链头与最后一条事件（第 {head_seq} 条）不符：链头或链尾已被改动",
        )
    beyond = await AuditEvent.filter(seq__gt=head_seq).order_by("-seq").first()
    if beyond is not None:
        # Appended while we walked? Then the head covers it by now (event and head are
        # written in one transaction); otherwise it was written behind this module's back.
        head_now = await AuditHead.get_or_none(id=1)
        if head_now is None or head_now.seq < beyond.seq:
            first = head_seq + 1
            return _broken(
                count,
                prev,
                first,
                f"event {first} and later are not covered by the head (it records event {head_seq}): they were added outside the audit log, or the head was moved back",
                f"第 {first} 条及之后的事件不在链头记录之内（链头记录为第 {head_seq} 条）：这些事件并非经审计日志写入，或链头被回退",
            )
    return Verification(True, count, prev)


async def verify_as(actor: Actor) -> Verification:
    """``verify`` for an auditor or an administrator (the HTTP API's entry point)."""
    require(
        actor.sees_everything,
        "only an auditor or an administrator may verify the audit trail",
        "仅审计员或管理员可校验审计日志",
    )
    return await verify()


def _broken(count: int, prev: str, seq: int, en: str, zh: str) -> Verification:
    return Verification(False, count, prev, seq, en, zh)
