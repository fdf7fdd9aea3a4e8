"""Many scores at once (``services.scoring.record_scores``): written in batches, one audit
event per score with the content a single write records, all or nothing."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from workflow_fixtures import build_county

from evaluator.errors import ConflictError, InvalidInput
from evaluator.services import audit, scoring
from evaluator.services.scoring import record_scores
from evaluator.store.audit import AuditEvent, AuditHead
from evaluator.store.rounds import Score


def _rows(units=("ST01", "ST02"), leaves=range(12)) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"unit": u, "leaf": f"L{i:02d}", "value": (i + k) % 11, "target": 10.0, "n": i}
            for k, u in enumerate(units)
            for i in leaves
        ]
    )


async def test_bulk_scores_are_written_in_batches_each_with_its_audit_event(db, monkeypatch):
    monkeypatch.setattr(scoring, "BATCH", 5)
    monkeypatch.setattr(audit, "BATCH", 7)
    county = await build_county()
    evaluator = county.actors["evaluator"]
    before = (await AuditHead.get(id=1)).seq
    rows = _rows(units=("ST01", "st02"))  # a unit as typed: stored as the round names it
    assert await record_scores(evaluator, county.round_a.id, rows) == 24
    scores = {(s.unit, s.leaf): s for s in await Score.all()}
    assert len(scores) == 24
    events = await AuditEvent.filter(seq__gt=before).order_by("seq")
    assert [e.seq for e in events] == list(range(before + 1, before + 25))
    for row, event in zip(rows.itertuples(), events, strict=True):
        unit = row.unit.upper()
        score = scores[(unit, row.leaf)]
        assert (score.value, score.target, score.n, score.version) == (
            row.value,
            10.0,
            row.n,
            1,
        )
        assert score.station_id == county.stations[unit].id
        assert (event.actor, event.action, event.object_type, event.object_id) == (
            evaluator.username,
            "score.write",
            "score",
            str(score.id),
        )
        assert event.before is None
        assert json.loads(event.after) == {  # what record_scores has always recorded
            "round_id": str(county.round_a.id),
            "unit": unit,
            "leaf": row.leaf,
            "item": "",
            "rater_id": str(evaluator.user_id),
            "value": float(row.value),
            "target": 10.0,
            "n": row.n,
            "version": 1,
        }
    result = await audit.verify()
    assert result.ok, result.reason_en


async def test_a_clash_in_a_later_batch_writes_nothing(db, monkeypatch):
    monkeypatch.setattr(scoring, "BATCH", 4)
    county = await build_county()
    evaluator = county.actors["evaluator"]
    assert await record_scores(evaluator, county.round_a.id, _rows(("ST02",), [11])) == 1
    head = await AuditHead.get(id=1)
    counts = (await Score.all().count(), await AuditEvent.all().count())
    with pytest.raises(ConflictError):  # ST02/L11 is the last row: the third batch clashes
        await record_scores(evaluator, county.round_a.id, _rows())
    assert (await Score.all().count(), await AuditEvent.all().count()) == counts
    after = await AuditHead.get(id=1)
    assert (after.seq, after.hash) == (head.seq, head.hash)
    assert (await audit.verify()).ok


async def test_invalid_rows_write_nothing_and_take_no_lock(db, monkeypatch):
    county = await build_county()
    taken = []
    monkeypatch.setattr(audit, "_locked_head", lambda conn: taken.append(conn))
    rows = _rows().assign(value=lambda f: f["value"].where(f.index != 5, -2.0))
    with pytest.raises(InvalidInput) as exc:
        await record_scores(county.actors["evaluator"], county.round_a.id, rows)
    assert [p.path for p in exc.value.problems] == ["rows[5].value"]
    assert await Score.all().count() == 0 and not taken
