"""Domain errors, all of them here. Each carries located, bilingual problems; adapters map
them once (CLI: exit code 2 and one line per problem; API: RFC 7807 problem+json, the
DOMAIN table of ``evaluator.server.errors``).

One exception: ``ScheduleInvalid`` (a holiday-schedule file failed validation) lives
beside the pure module that reads those files (``decisions.schedule_files``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it is and what it is in English and Chinese.

    ``file``/``line``/``path`` locate a problem in a YAML document; ``file``/``sheet``/
    ``row``/``column`` locate it in a table (rows are 1-based as a spreadsheet shows them).
    """

    en: str
    zh: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    @property
    def where(self) -> str:
        """``file:line path`` for documents; ``file sheet!F17`` or ``file row 17 column x`` for tables."""
        parts: list[str] = []
        if self.file or self.line is not None:
            parts.append(f"{self.file or ''}:{self.line}" if self.line is not None else self.file)
        a1 = self.sheet is not None and self.row is not None and _is_a1_column(self.column)
        if a1:
            parts.append(f"{self.sheet}!{self.column}{self.row}")
        else:
            if self.sheet is not None:
                parts.append(f"{self.sheet}!")
            if self.row is not None:
                parts.append(f"row {self.row}")
            if self.column is not None:
                parts.append(f"column {self.column}")
        if self.path:
            parts.append(self.path)
        return " ".join(p for p in parts if p)

    def __str__(self) -> str:
        where = self.where
        text = f"{self.en} ({self.zh})"
        return f"{where}: {text}" if where else text

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None} | {"where": self.where}


def _is_a1_column(column: str | None) -> bool:
    return (
        bool(column)
        and len(column) <= 3
        and column.isascii()
        and column.isalpha()
        and column.isupper()
    )


class EvaluatorError(Exception):
    """Base of every error a user can cause. Never shown as a traceback."""

    title_en = "Error"
    title_zh = "错误"

    def __init__(self, problems: Iterable[Problem] | Problem | str, zh: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, zh or problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SystemInvalid(EvaluatorError):
    """An indicator system (or rubric set, or composite structure) failed validation."""

    title_en = "Invalid indicator system"
    title_zh = "指标体系无效"


class InvalidInput(EvaluatorError):
    """Raw input (a table, a file, a request body) is malformed."""

    title_en = "Invalid input"
    title_zh = "输入数据无效"


class ConflictError(EvaluatorError):
    """Optimistic concurrency: the object changed since the caller read it (stale version)."""

    title_en = "Conflict"
    title_zh = "数据已被他人修改"


class LockedError(EvaluatorError):
    """The object is locked (an approved round); nothing may be written to it."""

    title_en = "Locked"
    title_zh = "已锁定"


class PermissionDenied(EvaluatorError):
    """The actor may see the object but not do this to it."""

    title_en = "Permission denied"
    title_zh = "无权操作"


class NotFound(EvaluatorError):
    """No such object — or one the actor may not see (existence is never revealed)."""

    title_en = "Not found"
    title_zh = "未找到"


class StateError(EvaluatorError):
    """An illegal state transition (e.g. approving a round that was never submitted)."""

    title_en = "Illegal transition"
    title_zh = "状态不允许此操作"


class TooLarge(InvalidInput):
    """An upload is larger than the configured limit."""

    title_en = "Too large"
    title_zh = "文件过大"


class AlreadyExists(ConflictError):
    """Creating an object whose unique key (code, user name, credit code) is taken."""

    title_en = "Already exists"
    title_zh = "已存在"


class Overlap(ConflictError):
    """A station linked to two contracts at once: the message names the station, the other
    contract and its dates."""

    title_en = "Overlapping station link"
    title_zh = "社工站关联期间重叠"


class TooEarly(StateError):
    """An action whose date has not come (a payment before its trigger's date, an approval
    before the evaluation date); the message names both dates."""

    title_en = "Too early"
    title_zh = "时间未到"


class AuthFailed(EvaluatorError):
    """No valid credentials: a wrong password, an unknown, disabled or expired session."""

    title_en = "Authentication failed"
    title_zh = "身份验证失败"


class Throttled(EvaluatorError):
    """Too many failed logins for an account or an address; ``retry_after`` in seconds."""

    title_en = "Too many attempts"
    title_zh = "尝试次数过多"

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(
            Problem(
                f"too many failed logins; try again in {retry_after} s",
                f"登录失败次数过多，请 {retry_after} 秒后再试",
            )
        )


class StoredSystemAltered(EvaluatorError):
    """A stored indicator system no longer hashes to the hash it is stored under."""

    title_en = "Stored indicator system altered"
    title_zh = "已存储的指标体系被改动"


class DatabaseNotReady(EvaluatorError):
    """The database is missing migrations (or cannot be reached at start-up)."""

    title_en = "Database not ready"
    title_zh = "数据库未就绪"


class CalendarError(EvaluatorError):
    """A working-day count reaches outside the years the calendar can count."""

    title_en = "Outside the calendar"
    title_zh = "超出日历范围"


class BackupUnusable(InvalidInput):
    """A backup archive that cannot be restored as it is: not an archive, truncated, a member
    missing or altered, an unreadable manifest, a format version or a migration this version
    does not know. Nothing has been written when it is raised."""

    title_en = "Unusable backup archive"
    title_zh = "备份文件已损坏或无法使用"


class DatabaseNotEmpty(ConflictError):
    """``evaluator restore`` into a database that already holds rows: a restore never
    merges into, or overwrites, existing data."""

    title_en = "Database not empty"
    title_zh = "数据库不是空的"


class BackupRefused(EvaluatorError):
    """``evaluator backup`` cannot write a complete archive (evidence files missing or
    altered on disk, the output file exists); no archive is written."""

    title_en = "Backup not written"
    title_zh = "未写入备份"
