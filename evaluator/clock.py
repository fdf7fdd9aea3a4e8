"""The one clock: "now" and "today" in Beijing time (or the configured time zone).

Every date a rule depends on — an approval, a deadline, an appeal window, a payment —
comes from :func:`today`; every stored timestamp from :func:`now`. No other module calls
``date.today()`` or ``datetime.now()`` (a test greps the package for them).

Settings (read once, on first use, through :mod:`evaluator.settings`):

* ``EVALUATOR_TIMEZONE`` — the time zone whose calendar day is "today"
  (default ``Asia/Shanghai``). A server in UTC still changes day at Beijing midnight.
* ``EVALUATOR_TODAY=YYYY-MM-DD`` — pins the day for the whole process (a demonstration, CI,
  an operator replaying a day). Time keeps running within the day: :func:`now` is the real
  time shifted by whole days so that its Beijing date is the pinned day. Start-up logs it
  loudly (:func:`describe`).

Tests pin the day with :func:`pinned` (a context manager) or :func:`pin`/:func:`unpin`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from evaluator import settings


@dataclass
class _State:
    zone: ZoneInfo
    pinned: dt.date | None
    from_setting: bool  # pinned by EVALUATOR_TODAY (not by a test)


_state: _State | None = None


def _read_settings(fresh: bool = False) -> _State:
    current = settings.reload() if fresh else settings.get()
    return _State(current.timezone, current.today, current.today is not None)


parse_day = settings.parse_day  # a ``YYYY-MM-DD`` date, or a located bilingual error


def _get() -> _State:
    global _state
    if _state is None:
        _state = _read_settings()
    return _state


def zone() -> ZoneInfo:
    """The time zone of "today" (Asia/Shanghai unless configured)."""
    return _get().zone


def _real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now() -> dt.datetime:
    """The current instant, timezone-aware in UTC (as stored). When the day is pinned, the
    real time shifted by whole days so that its local date is the pinned day."""
    state = _get()
    real = _real_now()
    if state.pinned is None:
        return real
    shift = state.pinned - real.astimezone(state.zone).date()
    return real + shift


def today() -> dt.date:
    """Today's date in the configured time zone (Beijing time by default)."""
    state = _get()
    if state.pinned is not None:
        return state.pinned
    return _real_now().astimezone(state.zone).date()


def local(moment: dt.datetime) -> dt.datetime:
    """A stored (UTC) instant shown in the configured time zone."""
    return moment.astimezone(zone())


def pin(day: dt.date | None) -> dt.date | None:
    """Pin "today" to ``day`` (``None``: follow the real clock again); returns the day that
    was pinned before."""
    state = _get()
    before = state.pinned
    state.pinned = day
    state.from_setting = False
    return before


def unpin() -> None:
    pin(None)


@contextmanager
def pinned(day: dt.date) -> Iterator[dt.date]:
    """``with clock.pinned(date(2027, 6, 15)): ...`` — today is that day inside the block."""
    state = _get()
    before, from_setting = state.pinned, state.from_setting
    state.pinned = day
    try:
        yield day
    finally:
        state.pinned, state.from_setting = before, from_setting


def pinned_day() -> dt.date | None:
    """The pinned day, or ``None`` when the clock follows real time."""
    return _get().pinned


def reload_settings() -> None:
    """Read the settings (``EVALUATOR_TIMEZONE`` and ``EVALUATOR_TODAY`` among them) again
    (tests, start-up)."""
    global _state
    _state = _read_settings(fresh=True)


def describe() -> str | None:
    """The loud start-up line when ``EVALUATOR_TODAY`` pins the day, else ``None``."""
    state = _get()
    if state.pinned is None or not state.from_setting:
        return None
    return (
        f"!! EVALUATOR_TODAY pins today to {state.pinned.isoformat()} ({state.zone.key}): every "
        f"deadline, approval, appeal and payment is dated as on that day "
        f"(今日被固定为 {state.pinned.isoformat()}，所有期限、审定、申诉与拨付均按该日计算)"
    )
