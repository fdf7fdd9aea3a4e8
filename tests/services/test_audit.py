"""The hash-chained audit log: appending, verifying, and catching tampering done with
direct SQL (what someone with database access, but not the application, could do)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import uuid

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from evaluator.services import audit
from evaluator.store import db as store_db
from evaluator.store.audit import GENESIS, AuditEvent, AuditHead

PAYLOADS = [
    (None, {"名称": "城关镇社工站", "说明": "首次登记（含全角标点）", "emoji": "✓"}),
    (
        {"score": 0.1 + 0.2, "weight": 1 / 3},
        {"score": 1e-300, "weight": -0.0, "big": 1.7976931348623157e308},
    ),
    ({"nested": {"a": [1, 2, {"b": None}], "z": {"y": {"x": "深"}}}}, None),
    (
        ["list", "at", "top"],
        {
            "uuid": uuid.UUID(int=7),
            "on": dt.date(2026, 1, 31),
            "at": dt.datetime(2026, 1, 31, 8, 0, tzinfo=dt.UTC),
        },
    ),
    (
        {"flag": True, "n": 0, "empty": {}, "none": None},
        {"flag": False, "n": -12345678901234, "text": 'a"b\\c\nd\te'},
    ),
]


async def _append(n: int = 5) -> list[AuditEvent]:
    events = []
    for i in range(n):
        before, after = PAYLOADS[i % len(PAYLOADS)]
        events.append(
            await audit.record(f"user{i + 1}", "thing.update", "thing", f"T-{i + 1}", before, after)
        )
    return events


async def test_empty_log_verifies(db):
    result = await audit.verify()
    assert result.ok
    assert (result.events, result.head_hash, result.broken_seq) == (0, GENESIS, None)


async def test_appended_events_verify_and_keep_their_content(db):
    events = await _append(5)
    result = await audit.verify()
    assert result.ok, result.reason_en
    assert result.events == 5
    assert result.head_hash == events[-1].hash
    head = await AuditHead.get(id=1)
    assert (head.seq, head.hash) == (5, events[-1].hash)

    stored = await AuditEvent.all().order_by("seq")
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == GENESIS
    for earlier, later in zip(stored, stored[1:], strict=False):
        assert later.prev_hash == earlier.hash
    for event, (before, after) in zip(stored, PAYLOADS, strict=True):
        assert event.before == audit.canonical_json(before)
        assert event.after == audit.canonical_json(after)
    # Chinese text is stored as text, not \u escapes; floats come back exactly.
    assert "城关镇社工站" in stored[0].after
    numbers = json.loads(stored[1].after)
    assert numbers["score"] == 1e-300 and numbers["big"] == 1.7976931348623157e308
    assert math.copysign(1, numbers["weight"]) == -1
    assert json.loads(stored[1].before) == {"score": 0.1 + 0.2, "weight": 1 / 3}
    assert json.loads(stored[3].after) == {
        "uuid": str(uuid.UUID(int=7)),
        "on": "2026-01-31",
        "at": "2026-01-31T08:00:00+00:00",
    }


async def test_event_times_are_utc_and_survive_the_round_trip(db):
    created = await audit.record("alice", "a", "t", "1", None, {"x": 1})
    stored = await AuditEvent.get(seq=1)
    assert stored.at == created.at
    assert stored.at.utcoffset() == dt.timedelta(0)


async def test_verify_does_not_depend_on_the_display_timezone(db):
    """A deployment may show times in Asia/Shanghai; the hashes are over UTC."""
    await _append(3)
    await Tortoise.close_connections()
    config = store_db.tortoise_config(db.url) | {"timezone": "Asia/Shanghai"}
    await Tortoise.init(config=config, _enable_global_fallback=True)
    stored = await AuditEvent.get(seq=1)
    assert stored.at.utcoffset() in (dt.timedelta(0), dt.timedelta(hours=8))
    result = await audit.verify()
    assert result.ok, result.reason_en
    assert result.events == 3


async def test_record_joins_the_callers_transaction(db):
    await audit.record("alice", "kept", "t", "1")
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await audit.record("alice", "rolled.back", "t", "2", None, {"x": 1}, connection=conn)
            raise RuntimeError("the change being recorded failed")
    assert await AuditEvent.all().count() == 1
    second = await audit.record("alice", "kept.too", "t", "3")
    assert second.seq == 2  # no gap left by the rolled-back event
    result = await audit.verify()
    assert result.ok and result.events == 2


async def test_a_value_that_cannot_be_recorded_writes_nothing(db):
    with pytest.raises(TypeError):
        await audit.record("alice", "bad", "t", "1", None, {"x": object()})
    assert await AuditEvent.all().count() == 0
    assert (await audit.verify()).ok


async def test_object_ids_are_stored_as_text(db):
    oid = uuid.uuid4()
    event = await audit.record("alice", "a", "thing", oid)
    assert (await AuditEvent.get(seq=event.seq)).object_id == str(oid)
    assert (await audit.verify()).ok


# --- tampering with direct SQL ---------------------------------------------------------


async def _swap_hashes(db, a: int, b: int) -> None:
    rows = {
        r["seq"]: r["hash"]
        for r in await db.execute("SELECT seq, hash FROM audit_event WHERE seq IN (?, ?)", a, b)
    }
    await db.execute("UPDATE audit_event SET hash = ? WHERE seq = ?", "x" * 64, a)  # hash is unique
    await db.execute("UPDATE audit_event SET hash = ? WHERE seq = ?", rows[a], b)
    await db.execute("UPDATE audit_event SET hash = ? WHERE seq = ?", rows[b], a)


async def _shift_time(db, seq: int, delta: dt.timedelta) -> None:
    (row,) = await db.execute("SELECT at FROM audit_event WHERE seq = ?", seq)
    at = row["at"]
    if isinstance(at, str):  # SQLite keeps ISO text
        at = dt.datetime.fromisoformat(at)
        await db.execute(
            "UPDATE audit_event SET at = ? WHERE seq = ?", (at + delta).isoformat(sep=" "), seq
        )
    else:
        await db.execute("UPDATE audit_event SET at = ? WHERE seq = ?", at + delta, seq)


TAMPERING = {
    "after changed": (
        lambda db: db.execute("UPDATE audit_event SET after = ? WHERE seq = 3", '{"score":100}'),
        3,
    ),
    "after nulled": (lambda db: db.execute("UPDATE audit_event SET after = NULL WHERE seq = 2"), 2),
    "before changed, one character": (
        lambda db: db.execute(
            "UPDATE audit_event SET before = replace(before, 'x', 'y') WHERE seq = 3"
        ),
        3,
    ),
    "actor changed": (
        lambda db: db.execute("UPDATE audit_event SET actor = ? WHERE seq = 3", "mallory"),
        3,
    ),
    "action changed": (
        lambda db: db.execute("UPDATE audit_event SET action = ? WHERE seq = 2", "thing.view"),
        2,
    ),
    "object id changed": (
        lambda db: db.execute("UPDATE audit_event SET object_id = ? WHERE seq = 4", "T-999"),
        4,
    ),
    "time moved by a second": (lambda db: _shift_time(db, 3, dt.timedelta(seconds=1)), 3),
    "time moved by a microsecond": (lambda db: _shift_time(db, 3, dt.timedelta(microseconds=1)), 3),
    "first row changed": (
        lambda db: db.execute("UPDATE audit_event SET actor = ? WHERE seq = 1", "mallory"),
        1,
    ),
    "middle row deleted": (lambda db: db.execute("DELETE FROM audit_event WHERE seq = 3"), 3),
    "first row deleted": (lambda db: db.execute("DELETE FROM audit_event WHERE seq = 1"), 1),
    "last row deleted": (lambda db: db.execute("DELETE FROM audit_event WHERE seq = 5"), 5),
    "last two rows deleted": (lambda db: db.execute("DELETE FROM audit_event WHERE seq >= 4"), 4),
    "every row deleted": (lambda db: db.execute("DELETE FROM audit_event"), 1),
    "hashes of two rows swapped": (lambda db: _swap_hashes(db, 2, 3), 2),
    "prev_hash relinked": (
        lambda db: db.execute(
            "UPDATE audit_event SET prev_hash = (SELECT hash FROM audit_event WHERE seq = 1) WHERE seq = 3"
        ),
        3,
    ),
    "row renumbered": (lambda db: db.execute("UPDATE audit_event SET seq = 6 WHERE seq = 5"), 5),
    "head moved back": (
        lambda db: db.execute(
            "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_event WHERE seq = 4)"
        ),
        5,
    ),
    "head hash changed": (lambda db: db.execute("UPDATE audit_head SET hash = ?", "0" * 64), 5),
    "head deleted": (lambda db: db.execute("DELETE FROM audit_head"), 1),
    "forged event appended": (
        lambda db: db.execute(
            "INSERT INTO audit_event (seq, at, actor, action, object_type, object_id, before, after, prev_hash, hash) "
            "SELECT 6, at, actor, action, object_type, object_id, before, after, hash, ? FROM audit_event WHERE seq = 5",
            "f" * 64,
        ),
        6,
    ),
}


@pytest.mark.parametrize("tamper", list(TAMPERING), ids=list(TAMPERING))
async def test_tampering_by_direct_sql_is_caught(db, tamper):
    await _append(5)
    assert (await audit.verify()).ok
    change, broken = TAMPERING[tamper]
    await change(db)
    result = await audit.verify()
    assert not result.ok
    assert result.broken_seq == broken, result.reason_en
    assert result.reason_en and result.reason_zh
    assert str(broken) in result.reason_en and str(broken) in result.reason_zh


async def test_verification_reports_the_first_of_several_breaks(db):
    await _append(5)
    await db.execute("UPDATE audit_event SET actor = ? WHERE seq IN (2, 4)", "mallory")
    result = await audit.verify()
    assert (result.ok, result.broken_seq, result.events) == (False, 2, 1)


async def test_verify_walks_long_chains_in_batches(db):
    for i in range(23):
        await audit.record("bot", "tick", "clock", str(i), None, {"i": i})
    result = await audit.verify(batch=5)
    assert result.ok and result.events == 23
    await db.execute("UPDATE audit_event SET after = ? WHERE seq = 17", '{"i":0}')
    result = await audit.verify(batch=5)
    assert (result.ok, result.broken_seq) == (False, 17)


# --- concurrency -----------------------------------------------------------------------


async def _record_in_own_transaction(i: int) -> AuditEvent:
    async with in_transaction() as conn:
        return await audit.record(
            f"user{i}",
            "score.write",
            "score",
            f"S-{i}",
            {"value": i - 0.5},
            {"value": i + 0.25, "说明": f"第{i}条"},
            connection=conn,
        )


async def test_concurrent_appends_form_one_chain(db):
    """50 writers at once, each in its own transaction, starting on an empty log (the
    head row does not exist yet): one line of events, seqs 1..50 without gaps."""
    events = await asyncio.gather(*(_record_in_own_transaction(i) for i in range(50)))
    assert sorted(e.seq for e in events) == list(range(1, 51))
    stored = await AuditEvent.all().order_by("seq")
    assert [e.seq for e in stored] == list(range(1, 51))
    assert len({e.hash for e in stored}) == 50
    assert len({e.prev_hash for e in stored}) == 50  # no fork: no two events share a parent
    assert all(a.at <= b.at for a, b in zip(stored, stored[1:], strict=False))  # time order
    assert sorted(e.object_id for e in stored) == sorted(f"S-{i}" for i in range(50))
    result = await audit.verify()
    assert result.ok, result.reason_en
    assert result.events == 50
    assert result.head_hash == stored[-1].hash


async def test_concurrent_appends_without_caller_transaction(db):
    await audit.record("alice", "first", "t", "0")
    events = await asyncio.gather(*(audit.record(f"u{i}", "x", "t", str(i)) for i in range(20)))
    assert sorted(e.seq for e in events) == list(range(2, 22))
    result = await audit.verify()
    assert result.ok and result.events == 21


async def test_verify_while_others_append_never_reports_tampering(db):
    """Appends that commit while ``verify`` walks the chain are not tampering."""
    await _append(3)
    results = []
    writing = True

    async def writers():
        nonlocal writing
        await asyncio.gather(*(_record_in_own_transaction(i) for i in range(40)))
        writing = False

    async def verifier():
        while writing:
            results.append(await audit.verify(batch=2))
            await asyncio.sleep(0)

    await asyncio.gather(writers(), verifier(), verifier())
    assert results and all(r.ok for r in results), [r.reason_en for r in results if not r.ok]
    final = await audit.verify()
    assert final.ok and final.events == 43


class _AppendAfterEachQuery:
    """Wraps a tortoise query: after it returns, ``hook(result)`` runs (and may append an
    event in a transaction of its own), so that ``verify`` sees the log move under its
    feet at chosen moments, deterministically."""

    def __init__(self, inner, hook):
        self._inner, self._hook = inner, hook

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr
        return lambda *a, **kw: _AppendAfterEachQuery(attr(*a, **kw), self._hook)

    def __await__(self):
        async def run():
            result = await self._inner
            await self._hook(result)
            return result

        return run().__await__()


async def test_appends_landing_between_verify_queries_are_not_tampering(db, monkeypatch):
    """Another writer appends after each of the first three queries ``verify`` makes,
    and after every query that finds nothing new: the moment (between the last read of
    events and the read of the head) when the first version reported a removed tail."""
    await _append(3)
    appended = []
    queries = 0

    async def append_one(result):
        nonlocal queries
        queries += 1
        if queries <= 3 or not result:
            appended.append(await _record_in_own_transaction(len(appended)))

    class Events:  # AuditEvent, with every filter(...) query followed by an append
        def __getattr__(self, name):
            return getattr(AuditEvent, name)

        def filter(self, *args, **kwargs):
            return _AppendAfterEachQuery(AuditEvent.filter(*args, **kwargs), append_one)

    proxy = Events()
    monkeypatch.setattr(audit, "AuditEvent", proxy)
    result = await audit.verify(batch=2)
    assert result.ok, result.reason_en
    assert 3 <= result.events <= 3 + len(appended)
    monkeypatch.undo()
    final = await audit.verify()
    assert final.ok and final.events == 3 + len(appended)


# --- many events at once (record_many) ---------------------------------------------------


def _events(n: int, offset: int = 0) -> list[audit.Event]:
    return [
        audit.Event("score.write", "score", f"S-{offset + i}", *PAYLOADS[i % len(PAYLOADS)])
        for i in range(n)
    ]


async def test_record_many_extends_the_chain_as_record_would(db):
    """Events before, many at once (in batches smaller than the events), events after: one
    line, consecutive seqs, each event linked to the one before, content kept."""
    await _append(2)
    async with in_transaction() as conn:
        assert await audit.record_many(conn, "bulk", _events(11), batch=4) == 11
    await audit.record("alice", "after.many", "t", "1")
    stored = await AuditEvent.all().order_by("seq")
    assert [e.seq for e in stored] == list(range(1, 15))
    for earlier, later in zip(stored, stored[1:], strict=False):
        assert later.prev_hash == earlier.hash
        assert earlier.at <= later.at
    many = stored[2:13]
    assert {e.actor for e in many} == {"bulk"} and len({e.at for e in many}) == 1
    for i, e in enumerate(many):
        before, after = PAYLOADS[i % len(PAYLOADS)]
        assert (e.action, e.object_type, e.object_id) == ("score.write", "score", f"S-{i}")
        assert (e.before, e.after) == (audit.canonical_json(before), audit.canonical_json(after))
        assert e.hash == audit.event_hash(
            e.prev_hash,
            e.seq,
            e.at,
            e.actor,
            e.action,
            e.object_type,
            e.object_id,
            e.before,
            e.after,
        )
    head = await AuditHead.get(id=1)
    assert (head.seq, head.hash) == (14, stored[-1].hash)
    result = await audit.verify(batch=5)
    assert result.ok, result.reason_en
    assert result.events == 14


async def test_record_many_on_an_empty_log_and_on_its_own(db):
    assert await audit.record_many(None, "bulk", []) == 0
    assert await AuditHead.all().count() == 0  # nothing to append: not even the head
    assert await audit.record_many(None, "bulk", _events(3)) == 3
    assert [e.seq for e in await AuditEvent.all().order_by("seq")] == [1, 2, 3]
    assert (await AuditEvent.get(seq=1)).prev_hash == GENESIS
    assert (await audit.verify()).ok


async def test_a_rolled_back_record_many_leaves_the_head_unchanged(db):
    await _append(2)
    head = await AuditHead.get(id=1)
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await audit.record_many(conn, "bulk", _events(7), batch=3)
            raise RuntimeError("the change being recorded failed")
    assert await AuditEvent.all().count() == 2
    after = await AuditHead.get(id=1)
    assert (after.seq, after.hash) == (head.seq, head.hash) == (2, head.hash)
    nxt = await audit.record("alice", "kept", "t", "3")
    assert nxt.seq == 3 and nxt.prev_hash == head.hash  # no gap left by the rolled-back events
    result = await audit.verify()
    assert result.ok and result.events == 3


async def test_record_many_with_a_value_that_cannot_be_recorded_writes_nothing(db):
    await _append(1)
    events = [*_events(3), audit.Event("bad", "t", "x", None, {"x": object()})]
    with pytest.raises(TypeError):
        await audit.record_many(None, "bulk", events)
    assert await AuditEvent.all().count() == 1
    assert (await AuditHead.get(id=1)).seq == 1
    assert (await audit.verify()).ok


async def test_record_many_and_record_at_once_form_one_chain(db):
    """Writers appending one event and writers appending many, concurrently, each in its
    own transaction: one line without gaps or forks."""

    async def many(i: int) -> int:
        async with in_transaction() as conn:
            return await audit.record_many(conn, f"bulk{i}", _events(9, 100 * i), batch=4)

    done = await asyncio.gather(
        *(many(i) for i in range(4)), *(_record_in_own_transaction(i) for i in range(10))
    )
    assert sum(x for x in done if isinstance(x, int)) == 36
    stored = await AuditEvent.all().order_by("seq")
    assert [e.seq for e in stored] == list(range(1, 47))
    assert len({e.prev_hash for e in stored}) == 46  # no fork
    for i in range(4):  # each writer's events are consecutive: its lock was held throughout
        seqs = [e.seq for e in stored if e.actor == f"bulk{i}"]
        assert seqs == list(range(seqs[0], seqs[0] + 9))
    result = await audit.verify()
    assert result.ok and result.events == 46
