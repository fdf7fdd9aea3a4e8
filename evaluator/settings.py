"""Settings: read from the environment and validated once, on first use (the server reads
them at start-up and refuses to start on a bad value); :func:`reload` reads them again.

=======================  =====================================================  ===========
variable                 meaning                                                default
=======================  =====================================================  ===========
``DATABASE_URL``         ``sqlite:///path`` or ``postgres://…``                 ``./var/evaluator.sqlite3``
``EVIDENCE_DIR``         where evidence files and register files are stored     ``var/evidence``
``EVIDENCE_TYPES``       accepted media types of evidence, comma-separated      PDF, images, office, text, audio
``EVIDENCE_MAX_BYTES``   size limit of an evidence file (bytes)                 50 MB
``REGISTER_MAX_BYTES``   size limit of a register file (bytes)                  200 MB
``SESSION_HOURS``        how long a login lasts (hours)                         12
``EVALUATOR_TIMEZONE``   the time zone whose calendar day is "today"            ``Asia/Shanghai``
``EVALUATOR_TODAY``      pins "today" (``YYYY-MM-DD``) for the whole process    —
``SCHEDULE_MINUTES``     how often a server worker looks for due daily work      10
                         (deadline checks, escalations); 0: never (cron only)
=======================  =====================================================  ===========

A bad value is an :class:`~evaluator.errors.InvalidInput` naming the variable (the
problem's ``path``) and the value, in English and Chinese; every bad value at once.

Tests change the environment with ``monkeypatch``; the suite's ``conftest`` calls
:func:`forget` whenever it does, so that the next read sees the change.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evaluator.errors import InvalidInput, Problem

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_EVIDENCE_DIR = "var/evidence"
DEFAULT_EVIDENCE_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_REGISTER_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_SESSION_HOURS = 12.0
DEFAULT_SCHEDULE_MINUTES = 10
DEFAULT_EVIDENCE_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/csv",
    "text/plain",
    "audio/mpeg",
    "audio/mp4",
    "video/mp4",  # a phone's video of an activity
    "video/quicktime",  # an iPhone's .mov
    "application/msword",  # .doc
    "application/vnd.ms-excel",  # .xls
    "application/vnd.ms-powerpoint",  # .ppt
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",  # .pptx
)
NAMES = (
    "DATABASE_URL",
    "EVIDENCE_DIR",
    "EVIDENCE_TYPES",
    "EVIDENCE_MAX_BYTES",
    "REGISTER_MAX_BYTES",
    "SESSION_HOURS",
    "EVALUATOR_TIMEZONE",
    "EVALUATOR_TODAY",
    "SCHEDULE_MINUTES",
)


@dataclass(frozen=True)
class Settings:
    database_url: str | None  # None: the SQLite file of ``evaluator.store.db``
    evidence_dir: Path
    evidence_types: frozenset[str]
    evidence_max_bytes: int
    register_max_bytes: int
    session_hours: float
    timezone: ZoneInfo
    today: dt.date | None  # EVALUATOR_TODAY
    schedule_minutes: int = DEFAULT_SCHEDULE_MINUTES  # 0: the server runs no daily work


def read(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in ``environ`` (default: the process environment), validated."""
    env = os.environ if environ is None else environ
    problems: list[Problem] = []

    def text(name: str) -> str:
        return env.get(name, "").strip()

    def bad(name: str, value: str, en: str, zh: str) -> None:
        problems.append(Problem(f"{name}={value!r} {en}", f"{name}={value!r} {zh}", path=name))

    def whole(name: str, default: int) -> int:
        value = text(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number <= 0:
            bad(name, value, "is not a positive whole number of bytes", "不是正整数（字节数）")
            return default
        return number

    hours = DEFAULT_SESSION_HOURS
    if text("SESSION_HOURS"):
        try:
            hours = float(text("SESSION_HOURS"))
        except ValueError:
            hours = math.nan
        if not (math.isfinite(hours) and hours > 0):
            bad(
                "SESSION_HOURS",
                text("SESSION_HOURS"),
                "is not a positive number of hours (e.g. 12)",
                "不是正数小时（例如 12）",
            )
            hours = DEFAULT_SESSION_HOURS

    zone_name = text("EVALUATOR_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            Problem(
                f"EVALUATOR_TIMEZONE={zone_name!r} is not a known time zone (e.g. Asia/Shanghai)",
                f"EVALUATOR_TIMEZONE={zone_name!r} 不是有效的时区（例如 Asia/Shanghai）",
                path="EVALUATOR_TIMEZONE",
            )
        )
        zone = ZoneInfo(DEFAULT_TIMEZONE)

    today = None
    if text("EVALUATOR_TODAY"):
        try:
            today = parse_day(text("EVALUATOR_TODAY"), "EVALUATOR_TODAY")
        except InvalidInput as exc:
            problems += exc.problems

    minutes = DEFAULT_SCHEDULE_MINUTES
    if text("SCHEDULE_MINUTES"):
        value = text("SCHEDULE_MINUTES")
        minutes = int(value) if value.isdigit() and int(value) <= 1440 else -1
        if minutes < 0:
            bad(
                "SCHEDULE_MINUTES",
                value,
                "is not a whole number of minutes from 0 (never) to 1440",
                "不是 0（不运行）到 1440 之间的整数分钟",
            )
            minutes = DEFAULT_SCHEDULE_MINUTES

    types = env.get("EVIDENCE_TYPES")  # set but empty: the defaults, as before
    settings = Settings(
        database_url=env.get("DATABASE_URL") or None,
        evidence_dir=Path(env.get("EVIDENCE_DIR", DEFAULT_EVIDENCE_DIR)),
        evidence_types=frozenset(
            {t.strip() for t in types.split(",") if t.strip()} if types else DEFAULT_EVIDENCE_TYPES
        ),
        evidence_max_bytes=whole("EVIDENCE_MAX_BYTES", DEFAULT_EVIDENCE_MAX_BYTES),
        register_max_bytes=whole("REGISTER_MAX_BYTES", DEFAULT_REGISTER_MAX_BYTES),
        session_hours=hours,
        timezone=zone,
        today=today,
        schedule_minutes=minutes,
    )
    if problems:
        raise InvalidInput(sorted(problems, key=lambda p: NAMES.index(p.path)))
    return settings


def parse_day(text: str, where: str) -> dt.date:
    """A ``YYYY-MM-DD`` date, or a located bilingual error."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            Problem(
                f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2027-06-15",
                f"{text!r} 不是日期，请写作 YYYY-MM-DD，例如 2027-06-15",
                path=where,
            )
        ) from None


_current: Settings | None = None


def get() -> Settings:
    """The settings, read and validated on first use."""
    global _current
    if _current is None:
        _current = read()
    return _current


def reload() -> Settings:
    """Read and validate the environment again (start-up, tests)."""
    global _current
    _current = None
    return get()


def forget() -> None:
    """Read the environment again on next use (a test changed it); never raises."""
    global _current
    _current = None
