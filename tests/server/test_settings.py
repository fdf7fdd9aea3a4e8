"""Settings are read and validated once; a bad value is a located bilingual error that
names the variable and the value, and a served app refuses to start with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evaluator import settings
from evaluator.errors import InvalidInput
from evaluator.evidence import parse
from evaluator.server.app import create_app
from evaluator.services import auth, evidence


def test_defaults():
    s = settings.read({})
    assert s.database_url is None
    assert s.evidence_dir == Path("var/evidence")
    assert "application/pdf" in s.evidence_types
    assert s.evidence_max_bytes == 50 * 1024 * 1024
    assert s.register_max_bytes == parse.DEFAULT_MAX_BYTES
    assert s.session_hours == 12.0
    assert s.timezone.key == "Asia/Shanghai" and s.today is None
    assert s.schedule_minutes == 10


def test_values_are_read():
    s = settings.read(
        {
            "EVIDENCE_TYPES": "text/csv, image/png,",
            "EVIDENCE_MAX_BYTES": "100",
            "REGISTER_MAX_BYTES": " 2048 ",
            "SESSION_HOURS": "0.5",
            "EVALUATOR_TIMEZONE": "UTC",
            "EVALUATOR_TODAY": "2027-06-15",
            "SCHEDULE_MINUTES": "0",
        }
    )
    assert s.schedule_minutes == 0
    assert s.evidence_types == {"text/csv", "image/png"}
    assert (s.evidence_max_bytes, s.register_max_bytes, s.session_hours) == (100, 2048, 0.5)
    assert s.timezone.key == "UTC" and s.today == dt.date(2027, 6, 15)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EVIDENCE_MAX_BYTES", "50MB"),
        ("EVIDENCE_MAX_BYTES", "-1"),
        ("REGISTER_MAX_BYTES", "lots"),
        ("SESSION_HOURS", "twelve"),
        ("SESSION_HOURS", "0"),
        ("EVALUATOR_TIMEZONE", "Mars/Base"),
        ("EVALUATOR_TODAY", "15/06/2027"),
        ("SCHEDULE_MINUTES", "-5"),
        ("SCHEDULE_MINUTES", "1441"),
        ("SCHEDULE_MINUTES", "ten"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_value(name, value):
    with pytest.raises(InvalidInput) as caught:
        settings.read({name: value})
    (problem,) = caught.value.problems
    assert problem.path == name
    assert value in problem.en and value in problem.zh


def test_every_bad_value_at_once():
    with pytest.raises(InvalidInput) as caught:
        settings.read({"EVIDENCE_MAX_BYTES": "x", "SESSION_HOURS": "y"})
    assert [p.path for p in caught.value.problems] == ["EVIDENCE_MAX_BYTES", "SESSION_HOURS"]


def test_read_once_and_reloaded(monkeypatch, evidence_dir):
    first = settings.get()
    assert settings.get() is first and evidence.evidence_dir() == evidence_dir
    monkeypatch.setenv("EVIDENCE_MAX_BYTES", "100")  # the suite's monkeypatch forgets
    assert evidence.max_bytes() == 100
    monkeypatch.setenv("REGISTER_MAX_BYTES", "200")
    monkeypatch.setenv("SESSION_HOURS", "2")
    assert (parse.max_bytes(), auth.session_hours()) == (200, 2.0)
    assert settings.reload() is not first


def test_the_served_app_refuses_to_start_on_a_bad_value(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path}/x.sqlite3")
    monkeypatch.setenv("EVIDENCE_MAX_BYTES", "huge")
    with pytest.raises(InvalidInput) as caught:
        create_app()
    assert caught.value.problems[0].path == "EVIDENCE_MAX_BYTES"
    assert "'huge'" in str(caught.value)
    create_app(register_orm=False)  # tests own their database: no start-up check
