"""The backup archive of ``evaluator backup`` / ``evaluator restore`` (format version 1): its
layout, its manifest and how each column type's values are written. No database here:
:mod:`evaluator.services.backup` reads the rows, :mod:`evaluator.services.restore` writes
them.

One zip file::

    manifest.json                 what the archive holds (below); written last
    tables/<table>.jsonl          one JSON object per row, {column: value}, UTF-8, deflated
    evidence/<sha256>             each stored evidence or register file, by its content hash

Writing and reading the zip is :mod:`backup_archive`'s; this module is what the archive
says. The manifest names the format (``evaluator-backup``) and its version, when and from which
kind of database it was made, the migrations applied to that database, every table in
foreign-key order with its columns (name, type, nullable), primary key and row count, the
stored files, the audit chain's head at the time, and the sha256 and size of every member.

Column types and how a value is written (JSON ``null`` for NULL in every type):

=============  =================================================================
``text``       a string
``int``        a whole number
``float``      a number as Python's ``repr`` writes it (round trip exact);
               ``NaN``/``Infinity`` as Python's ``json`` writes them
``bool``       ``true``/``false``
``uuid``       ``"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"``
``date``       ``"YYYY-MM-DD"``
``datetime``   ISO 8601 with microseconds and the UTC offset as stored
               (``"2026-10-09T06:30:00.000000+00:00"``)
``json``       the JSON value itself (not a string holding it)
``decimal``    the number as a string (exact)
``bytes``      base64
=============  =================================================================
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from evaluator.errors import BackupUnusable, Problem

FORMAT: Final = "evaluator-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

ColumnType = Literal[
    "text", "int", "float", "bool", "uuid", "date", "datetime", "json", "decimal", "bytes"
]
NAME = r"^[a-z_][a-z0-9_]{0,62}$"  # table and column names: nothing to quote but the name
SHA256 = r"^[0-9a-f]{64}$"


# -- the manifest ------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    name: str = Field(pattern=NAME)
    type: ColumnType
    null: bool


class Table(_Strict):
    name: str = Field(pattern=NAME)
    member: str = Field(pattern=r"^tables/[a-z_][a-z0-9_]{0,62}\.jsonl$")
    rows: int = Field(ge=0)
    primary_key: str = Field(pattern=NAME)
    columns: list[Column]
    # references to the same table: written after the table's rows (a row may name a later one)
    deferred: list[str] = []

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


class StoredFile(_Strict):
    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=0)
    member: str = Field(pattern=r"^evidence/[0-9a-f]{64}$")


class Member(_Strict):
    sha256: str = Field(pattern=SHA256)
    size: int = Field(ge=0)


class AuditHead(_Strict):
    events: int = Field(ge=0)
    head_hash: str
    intact: bool


class Manifest(_Strict):
    format: Literal["evaluator-backup"]
    format_version: int
    created_at: str  # ISO 8601, Beijing time (the configured zone)
    application: dict[str, str]
    database: Literal["sqlite", "postgres"]
    migrations: list[str]
    tables: list[Table]
    files: list[StoredFile]
    missing_files: list[str] = []  # sha256 of files the database names but the disk lacked
    audit: AuditHead
    members: dict[str, Member]


def problem(
    archive: Path, en: str, zh: str, member: str | None = None, row: int | None = None
) -> Problem:
    return Problem(
        f"{en}; nothing was restored",
        f"{zh}；未恢复任何内容",
        file=str(archive),
        path=member,
        row=row,
    )


def unusable(
    archive: Path, en: str, zh: str, member: str | None = None, row: int | None = None
) -> BackupUnusable:
    return BackupUnusable(problem(archive, en, zh, member, row))


# -- values ------------------------------------------------------------------------------------
def _datetime(raw: Any) -> dt.datetime:
    value = raw if isinstance(raw, dt.datetime) else dt.datetime.fromisoformat(str(raw))
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


_ENCODE: dict[str, Callable[[Any], Any]] = {
    "text": str,
    "int": int,
    "float": float,
    "bool": bool,
    "uuid": lambda raw: str(uuid.UUID(str(raw))),
    "date": lambda raw: (
        raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
    ).isoformat(),
    "datetime": lambda raw: _datetime(raw).isoformat(timespec="microseconds"),
    "json": lambda raw: json.loads(raw) if isinstance(raw, str | bytes) else raw,
    "decimal": lambda raw: str(decimal.Decimal(str(raw))),
    "bytes": lambda raw: base64.b64encode(bytes(raw)).decode("ascii"),
}


def encoder(kind: str) -> Callable[[Any], Any]:
    """A value as the database driver returns it → its JSON value in the archive."""
    encode = _ENCODE[kind]
    return lambda raw: None if raw is None else encode(raw)


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a whole number")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return float(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("not true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _aware(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise ValueError("a date and time without its UTC offset")
    return moment


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # as tortoise writes a JSONField


def decoder(kind: str, dumps: Callable[[Any], str] = _json_text) -> Callable[[Any], Any]:
    """A JSON value of the archive → the parameter the database driver takes for the column
    (the same on SQLite and PostgreSQL; ``dumps`` writes a JSON column's text). Raises
    ValueError on a value that is not of the column's type."""
    decode: Callable[[Any], Any] = {
        "text": _text,
        "int": _whole,
        "float": _number,
        "bool": _flag,
        "uuid": lambda v: str(uuid.UUID(_text(v))),
        "date": lambda v: dt.date.fromisoformat(_text(v)),
        "datetime": _aware,
        "json": dumps,
        "decimal": lambda v: decimal.Decimal(_text(v)),
        "bytes": lambda v: base64.b64decode(_text(v), validate=True),
    }[kind]
    return lambda value: None if value is None else decode(value)


def row_line(row: dict[str, Any]) -> bytes:
    """One row as its line of a table member."""
    return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
