"""``evaluator backup``: the whole database — every table of the models, each row exactly as
stored (ids, timestamps to the microsecond with their offset, JSON, the audit chain) — and
the evidence and register files it names, by hash, in one archive
(:mod:`backup_format`, :mod:`backup_archive`) that :mod:`restore` puts back into an empty
database of either kind (SQLite ↔ PostgreSQL).

The open database is read in one read-only transaction (a consistent snapshot while the
server keeps running), table by table in foreign-key order, a batch of rows at a time; the
archive is written through a temporary file renamed into place when complete. No audit
event is written: a restored chain is the source's chain, head for head.
"""

from __future__ import annotations

import asyncio
import decimal
import importlib.metadata
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise import Tortoise, fields
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.models import Model
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.errors import BackupRefused, Problem
from evaluator.services import audit
from evaluator.services.backup_archive import ArchiveWriter
from evaluator.services.backup_format import (
    FORMAT,
    FORMAT_VERSION,
    AuditHead,
    Column,
    Manifest,
    StoredFile,
    Table,
    encoder,
    row_line,
)
from evaluator.services.evidence import stored_path
from evaluator.store import db as store_db
from evaluator.store.sql import parameter

BATCH = 1000  # rows read, written or inserted at a time
# columns naming a file stored by its hash under EVIDENCE_DIR
FILE_COLUMNS = {"evidence_file": "sha256", "register_import": "sha256"}
Progress = Callable[[str], None]


def quiet(_: str) -> None:
    pass


# -- the tables ------------------------------------------------------------------------------
_TYPES: list[tuple[type, str]] = [
    (fields.UUIDField, "uuid"),
    (fields.DatetimeField, "datetime"),
    (fields.DateField, "date"),
    (fields.JSONField, "json"),
    (fields.BooleanField, "bool"),
    (fields.FloatField, "float"),
    (fields.DecimalField, "decimal"),
    (fields.BinaryField, "bytes"),
    (fields.IntField, "int"),
    (fields.BigIntField, "int"),
    (fields.SmallIntField, "int"),
    (fields.CharField, "text"),  # CharEnumField's too: its value, never checked on the way
    (fields.TextField, "text"),
]


def _column_type(model: type[Model], name: str) -> str:
    field_ = model._meta.fields_map[name]
    for cls, kind in _TYPES:
        if isinstance(field_, cls):
            return kind
    raise TypeError(f"{model.__name__}.{name}: a {type(field_).__name__} is not covered by backups")


def tables() -> list[Table]:
    """Every table of the models, parents before children (a table's rows may name rows
    of the tables before it; references to itself are ``deferred``), each with its
    columns. ``rows`` and ``member`` are filled in by a backup."""
    models = {m._meta.db_table: m for m in Tortoise.apps["models"].values()}
    described: dict[str, tuple[Table, set[str]]] = {}
    for name, model in models.items():
        meta = model._meta
        if meta.m2m_fields:
            raise TypeError(f"{model.__name__}: many-to-many fields are not covered by backups")
        parents, deferred = set(), []
        for fk in sorted(meta.fk_fields | meta.o2o_fields):
            relation = meta.fields_map[fk]
            assert isinstance(relation, ForeignKeyFieldInstance | OneToOneFieldInstance)
            column = meta.fields_db_projection[relation.source_field]
            parent = relation.related_model._meta.db_table
            if parent == name:
                deferred.append(column)
            else:
                parents.add(parent)
        columns = [
            Column(name=column, type=_column_type(model, attr), null=meta.fields_map[attr].null)  # type: ignore[arg-type]
            for attr, column in meta.fields_db_projection.items()
        ]
        table = Table(
            name=name,
            member=f"tables/{name}.jsonl",
            rows=0,
            primary_key=meta.db_pk_column,
            columns=columns,
            deferred=deferred,
        )
        described[name] = (table, parents)
    ordered: list[Table] = []
    while described:
        ready = sorted(n for n, (_, parents) in described.items() if not parents & set(described))
        if not ready:
            raise TypeError(f"foreign keys form a cycle between {sorted(described)}")
        for name in ready:
            ordered.append(described.pop(name)[0])
    return ordered


def quoted(name: str) -> str:
    return f'"{name}"'  # names are the models' own, or checked against NAME in the manifest


# -- backup ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackupDone:
    path: Path
    size: int  # bytes
    database: str  # sqlite | postgres
    tables: dict[str, int]  # rows per table
    files: int
    missing_files: list[str]
    audit: AuditHead


def _refused(en: str, zh: str, file: Path | None = None) -> BackupRefused:
    return BackupRefused(
        Problem(
            f"{en}; no archive was written", f"{zh}；未写入备份", file=str(file) if file else None
        )
    )


async def backup(
    path: Path,
    *,
    allow_missing_files: bool = False,
    overwrite: bool = False,
    progress: Progress = quiet,
    batch: int = BATCH,
) -> BackupDone:
    """Write the open database and its stored files to the archive ``path`` (whole or not
    at all). A file the database names but ``EVIDENCE_DIR`` lacks refuses the backup unless
    ``allow_missing_files`` (then the manifest lists it); a stored file whose bytes no
    longer match its hash always refuses it."""
    path = Path(path)
    if path.is_dir() or (path.exists() and not overwrite):
        raise _refused(
            "the file exists (a backup never overwrites one unless told to)"
            if not path.is_dir()
            else "the path is a folder",
            "文件已存在（除非明确要求，备份不会覆盖已有文件）"
            if not path.is_dir()
            else "该路径是文件夹",
            path,
        )
    if not path.parent.is_dir():
        raise _refused("the output folder does not exist", "输出文件夹不存在", path)
    plans = tables()
    now = clock.now()
    fd, name = tempfile.mkstemp(prefix=".evaluator-backup-", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    writer = ArchiveWriter(tmp, clock.local(now))
    try:
        dumped = await _dump(writer, plans, batch, progress)
        progress("evidence files 佐证文件")
        files, missing = await asyncio.to_thread(
            _copy_files, writer, dumped.hashes, allow_missing_files
        )
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            created_at=clock.local(now).isoformat(timespec="seconds"),
            application={"name": "evaluator", "version": _version()},
            database=dumped.dialect,  # type: ignore[arg-type]
            migrations=dumped.migrations,
            tables=dumped.tables,
            files=files,
            missing_files=missing,
            audit=dumped.audit,
            members=writer.members,
        )
        await asyncio.to_thread(writer.finish, manifest)
        os.replace(tmp, path)
    except BaseException:
        writer.abandon()
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return BackupDone(
        path,
        path.stat().st_size,
        dumped.dialect,
        {t.name: t.rows for t in dumped.tables},
        len(files),
        missing,
        dumped.audit,
    )


def _version() -> str:
    try:
        return importlib.metadata.version("evaluator")
    except importlib.metadata.PackageNotFoundError:  # a source tree without installation
        return "unknown"


@dataclass
class _Dumped:
    dialect: str = ""
    migrations: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)
    audit: AuditHead = AuditHead(events=0, head_hash="", intact=True)


async def _dump(
    writer: ArchiveWriter, plans: list[Table], batch: int, progress: Progress
) -> _Dumped:
    out = _Dumped()
    async with in_transaction() as conn:
        out.dialect = conn.capabilities.dialect
        if out.dialect == "postgres":  # one snapshot of every table, however long it takes
            await conn.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        out.migrations = await store_db.applied_migrations()
        for plan in plans:
            progress(f"table {plan.name}")
            rows = await _dump_table(conn, out.dialect, writer, plan, batch, out.hashes)
            out.tables.append(plan.model_copy(update={"rows": rows}))
        chain = await audit.verify()  # in the same snapshot
        out.audit = AuditHead(events=chain.events, head_hash=chain.head_hash, intact=chain.ok)
    return out


async def _dump_table(
    conn, dialect: str, writer: ArchiveWriter, plan: Table, batch: int, hashes: set[str]
) -> int:
    names = plan.column_names
    encoders = [encoder(c.type) for c in plan.columns]
    pk = names.index(plan.primary_key)
    file_column = FILE_COLUMNS.get(plan.name)
    select = f"SELECT {', '.join(quoted(n) for n in names)} FROM {quoted(plan.name)}"
    order = f" ORDER BY {quoted(plan.primary_key)} LIMIT {int(batch)}"
    after = f" WHERE {quoted(plan.primary_key)} > {parameter(dialect, 1)}"
    await asyncio.to_thread(writer.begin, plan.member)
    count, last = 0, None
    while True:
        if last is None:
            rows = await conn.execute_query_dict(select + order)
        else:
            rows = await conn.execute_query_dict(select + after + order, [last])
        if not rows:
            break
        lines = []
        for raw in rows:
            lines.append(row_line(_encoded(plan, names, encoders, raw)))
            if file_column and raw[file_column]:
                hashes.add(str(raw[file_column]))
        await asyncio.to_thread(writer.write, b"".join(lines))
        count += len(rows)
        last = rows[-1][names[pk]]  # as the driver gave it: compared as the database compares
    await asyncio.to_thread(writer.end)
    return count


def _encoded(plan: Table, names: list[str], encoders: list, raw: dict) -> dict[str, Any]:
    row = {}
    for name, encode in zip(names, encoders, strict=True):
        try:
            row[name] = encode(raw[name])
        except (ValueError, TypeError, decimal.InvalidOperation):
            key = raw[plan.primary_key]
            column = next(c for c in plan.columns if c.name == name)
            raise _refused(
                f"table {plan.name}, row {key}, column {name}: the stored value {raw[name]!r} "
                f"is not a {column.type} value (changed outside the application?)",
                f"数据表 {plan.name} 第 {key} 行 {name} 列：存储的值 {raw[name]!r} 不是 "
                f"{column.type} 类型（是否在应用之外被改动？）",
            ) from None
    return row


def _copy_files(
    writer: ArchiveWriter, hashes: set[str], allow_missing: bool
) -> tuple[list[StoredFile], list[str]]:
    missing = sorted(h for h in hashes if not stored_path(h).is_file())
    if missing and not allow_missing:
        raise BackupRefused(
            [
                Problem(
                    f"the stored file {h} is missing from EVIDENCE_DIR ({stored_path(h)}); "
                    "restore it, or back up without it with --allow-missing-files; no archive "
                    "was written",
                    f"EVIDENCE_DIR 中缺少存储文件 {h}（{stored_path(h)}）；请先找回该文件，或使用 "
                    "--allow-missing-files 在缺少该文件的情况下备份；未写入备份",
                )
                for h in missing
            ]
        )
    files, altered = [], []
    for sha in sorted(hashes - set(missing)):
        member = writer.add_file(f"evidence/{sha}", stored_path(sha))
        if member.sha256 != sha:
            altered.append(sha)
        files.append(StoredFile(sha256=sha, size=member.size, member=f"evidence/{sha}"))
    if altered:
        raise BackupRefused(
            [
                Problem(
                    f"the stored file {stored_path(h)} no longer matches its hash: it was "
                    "altered on disk; no archive was written",
                    f"存储文件 {stored_path(h)} 与其哈希不符：文件已在磁盘上被改动；未写入备份",
                )
                for h in altered
            ]
        )
    return files, missing
