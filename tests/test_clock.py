"""One clock: Beijing-time "today", pinned by EVALUATOR_TODAY or by a test; nothing else in
the package reads the machine's date."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from evaluator import clock
from evaluator.errors import InvalidInput

PACKAGE = Path(clock.__file__).parent
UTC = dt.UTC


def test_no_module_but_the_clock_reads_the_machine_date():
    pattern = re.compile(
        r"\b(date|datetime)\.(today|now|utcnow)\(|\btime\.time\(\)|\bdatetime\.fromtimestamp\("
    )
    offenders = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "clock.py" and "migrations" not in path.parts
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_today_is_the_beijing_date(monkeypatch):
    monkeypatch.delenv("EVALUATOR_TODAY", raising=False)
    monkeypatch.delenv("EVALUATOR_TIMEZONE", raising=False)
    clock.reload_settings()
    # 20:00 UTC on 4 December is 04:00 on 5 December in Beijing
    monkeypatch.setattr(clock, "_real_now", lambda: dt.datetime(2026, 12, 4, 20, 0, tzinfo=UTC))
    assert clock.today() == dt.date(2026, 12, 5)
    assert clock.now() == dt.datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    assert clock.local(clock.now()).hour == 4
    monkeypatch.setenv("EVALUATOR_TIMEZONE", "UTC")
    clock.reload_settings()
    assert clock.today() == dt.date(2026, 12, 4)


def test_evaluator_today_pins_the_whole_process_and_says_so(monkeypatch):
    monkeypatch.setenv("EVALUATOR_TODAY", "2027-06-15")
    clock.reload_settings()
    real = dt.datetime(2026, 12, 4, 20, 30, tzinfo=UTC)  # Beijing: 5 Dec, 04:30
    monkeypatch.setattr(clock, "_real_now", lambda: real)
    assert clock.today() == dt.date(2027, 6, 15)
    # time keeps running within the pinned day: the same Beijing time of day, that date
    assert clock.local(clock.now()).replace(tzinfo=None) == dt.datetime(2027, 6, 15, 4, 30)
    assert "2027-06-15" in clock.describe() and "今日" in clock.describe()
    with clock.pinned(dt.date(2028, 2, 29)):
        assert clock.today() == dt.date(2028, 2, 29)
    assert clock.today() == dt.date(2027, 6, 15) and clock.describe() is not None


@pytest.mark.parametrize(
    ("name", "value"), [("EVALUATOR_TODAY", "15/06/2027"), ("EVALUATOR_TIMEZONE", "Mars/Base")]
)
def test_a_bad_setting_is_a_clear_error(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput) as exc:
        clock.reload_settings()
    problem = exc.value.problems[0]
    assert problem.path == name and value in problem.en and value in problem.zh


def test_a_test_pin_is_not_announced(monkeypatch):
    monkeypatch.delenv("EVALUATOR_TODAY", raising=False)
    clock.reload_settings()
    clock.pin(dt.date(2027, 1, 4))
    assert clock.today() == dt.date(2027, 1, 4) and clock.describe() is None
    clock.unpin()
    assert clock.pinned_day() is None
