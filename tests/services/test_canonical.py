"""Every hash goes through ``evaluator.canonical``: each former writer of canonical JSON
now produces byte-identical text (so no stored hash moves)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from enum import Enum

import pytest

from evaluator import canonical
from evaluator.services import audit
from evaluator.systems.model import canonical_form, content_hash


class Colour(Enum):
    RED = "red"


TRICKY = [
    {"b": 1, "a": {"z": [1, 2.5, {"y": None, "x": True}], "é": "社工站 ST01"}},
    {"float": 0.1 + 0.2, "big": 1e300, "small": 5e-324, "neg": -0.0, "int": 10**20},
    {"nan": float("nan"), "inf": float("inf")},
    ["一", "\u00e9", "\U0001f600", 'tab\tquote"back\\slash', "\x00"],
    {"10": 1, "9": 2, "": 3, "A": 4, "a": 5, "中": 6},
    [],
    {},
    "plain text",
    3.0,
]


def old_compact(value) -> str:
    """What scorecards.json_text/digest, services.systems, systems.model and the audit
    event hash wrote before."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def old_audit(value) -> str | None:
    """What services.audit.canonical_json wrote before (dates, enums, UUIDs as text)."""

    def plain(v):
        if isinstance(v, dt.datetime | dt.date):
            return v.isoformat()
        if isinstance(v, Enum):
            return v.value
        if hasattr(v, "hex") and hasattr(v, "int"):
            return str(v)
        raise TypeError

    if value is None:
        return None
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=plain
    )


@pytest.mark.parametrize("value", TRICKY, ids=range(len(TRICKY)))
def test_canonical_text_and_digest_are_the_old_ones(value):
    text = old_compact(value)
    assert canonical.canonical_json(value) == text
    assert canonical.digest(value) == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert audit.canonical_json(value) == text


def test_audit_events_keep_dates_enums_and_uuids():
    value = {
        "on": dt.date(2026, 10, 9),
        "at": dt.datetime(2026, 10, 9, 8, 30, 1, 250, tzinfo=dt.UTC),
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5),
        "colour": Colour.RED,
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "名": ["值", 1.5],
    }
    assert audit.canonical_json(value) == old_audit(value)
    assert audit.canonical_json(None) is None
    with pytest.raises(TypeError):
        audit.canonical_json({"x": object()})


def test_the_audit_event_hash_is_the_old_one():
    at = dt.datetime(2026, 10, 9, 8, 30, 1, 250, tzinfo=dt.UTC)
    body = old_compact(
        {
            "seq": 7,
            "at": "2026-10-09T08:30:01.000250Z",
            "actor": "张三",
            "action": "round.approve",
            "object_type": "round",
            "object_id": "r1",
            "before": None,
            "after": '{"a":1}',
        }
    )
    expected = hashlib.sha256(("0" * 64 + body).encode()).hexdigest()
    got = audit.event_hash("0" * 64, 7, at, "张三", "round.approve", "round", "r1", None, '{"a":1}')
    assert got == expected


def test_the_system_hash_is_the_old_one():
    from evaluator.shipped import shipped_dir
    from evaluator.systems import load_system

    path = next(iter(sorted(shipped_dir("indicators").glob("*.yaml"))))
    system = load_system(path)
    text = old_compact(canonical_form(system.spec, system.rubrics))
    assert content_hash(system.spec, system.rubrics) == (
        "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    )
    assert system.content_hash == content_hash(system.spec, system.rubrics)


def test_holiday_schedules_keep_their_spaced_form():
    value = {"year": 2027, "days": {"2027-01-01": "holiday"}, "名": "元旦"}
    assert canonical.canonical_json(value, spaced=True) == json.dumps(
        value, sort_keys=True, ensure_ascii=False
    )
