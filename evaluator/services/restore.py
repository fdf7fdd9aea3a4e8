"""``evaluator restore``: an archive of :mod:`backup` into an empty database of either kind.

The restore works on a database of its own (``url``, else ``DATABASE_URL``) and writes
nothing until everything it can check has passed: the archive whole (every member's
sha256), its format version, its migrations (none newer than this code), the target
reachable, migrated no further than the archive and empty. Then: the files into
``EVIDENCE_DIR`` (by hash, each checked), the target migrated to the archive's
migrations, every row inserted in one transaction (references to the same table set after
the table's rows; PostgreSQL sequences moved past the restored ids), the later migrations
of this code applied to an older archive, and the audit chain verified against the head
the archive recorded. No audit event is written: the restored chain is the source's.
"""

from __future__ import annotations

import asyncio
import decimal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from evaluator.errors import (
    BackupUnusable,
    DatabaseNotEmpty,
    DatabaseNotReady,
    EvaluatorError,
    Problem,
)
from evaluator.services import audit
from evaluator.services.backup import BATCH, Progress, quiet, quoted, tables
from evaluator.services.backup_archive import Archive
from evaluator.services.backup_format import AuditHead, Column, Manifest, Table, decoder, unusable
from evaluator.services.evidence import stored_path
from evaluator.services.rounds import verify_snapshot
from evaluator.store import db as store_db
from evaluator.store.rounds import ApprovalSnapshot
from evaluator.store.sql import parameter


@dataclass(frozen=True)
class RestoreDone:
    database: str  # the kind restored into: sqlite | postgres
    source: str  # the kind the archive was made from
    created_at: str  # when the archive was made (Beijing time)
    tables: dict[str, int]  # rows per table
    files: int
    missing_files: list[str]  # files the archive says the source lacked
    migrated: list[str]  # migrations applied after the rows (an archive older than this code)
    audit: audit.Verification  # the restored chain
    recorded: AuditHead  # the chain as the archive recorded it
    snapshots: tuple[int, int] | None  # (verified, rounds): snapshots in force, when asked

    @property
    def audit_matches(self) -> bool:
        """The restored chain verifies exactly as the source's did: same outcome, events
        and head hash."""
        return (self.audit.ok, self.audit.events, self.audit.head_hash) == (
            self.recorded.intact,
            self.recorded.events,
            self.recorded.head_hash,
        )


def check_archive(path: Path) -> Manifest:
    """The manifest of an archive checked whole (every member's size and sha256)."""
    with Archive(Path(path)) as archive:
        archive.check()
        return archive.manifest


async def restore(
    path: Path,
    url: str | None = None,
    *,
    verify_snapshots: bool = False,
    progress: Progress = quiet,
    batch: int = BATCH,
) -> RestoreDone:
    """Restore the archive ``path`` into the empty database ``url`` (else ``DATABASE_URL``)
    and ``EVIDENCE_DIR``. Refuses, writing nothing, a damaged or unknown archive
    (BackupUnusable) and a database that holds rows (DatabaseNotEmpty) or is migrated
    beyond the archive (DatabaseNotReady)."""
    url = store_db.database_url(url)
    store_db.check_sqlite_path(url)
    progress("checking the archive 校验备份文件")
    with Archive(Path(path)) as archive:
        await asyncio.to_thread(archive.check)
        manifest = archive.manifest
        head = await _check_migrations(archive)
        async with store_db.apart(url):
            await _check_target(archive, head)
        progress("evidence files 佐证文件")
        await asyncio.to_thread(_extract_files, archive)
        progress("schema 数据库结构")
        await store_db.migrate(url, target=head[-1])
        async with store_db.apart(url), in_transaction() as conn:
            dialect = conn.capabilities.dialect
            names = [t.name for t in manifest.tables]
            if dialect == "postgres":  # nobody writes while the rows go in
                await conn.execute_script(
                    f"LOCK TABLE {', '.join(quoted(n) for n in names)} IN ACCESS EXCLUSIVE MODE"
                )
            await _refuse_rows(conn, dialect, names)
            for table in manifest.tables:
                progress(f"table {table.name}")
                await _load_table(conn, dialect, archive, table, batch)
            if dialect == "postgres":
                await _move_sequences(conn, names)
    migrated = await store_db.migrate(url)  # an older archive: this code's later migrations
    async with store_db.apart(url):
        progress("audit chain 审计链")
        chain = await audit.verify()
        snapshots = await _verify_snapshots() if verify_snapshots else None
    return RestoreDone(
        dialect,
        manifest.database,
        manifest.created_at,
        {t.name: t.rows for t in manifest.tables},
        len(manifest.files),
        manifest.missing_files,
        migrated,
        chain,
        manifest.audit,
        snapshots,
    )


async def _check_migrations(archive: Archive) -> list[str]:
    """The archive's migrations, each known to this code and in its order."""
    head, path = archive.manifest.migrations, archive.path
    known = await store_db.known_migrations()
    newer = [m for m in head if m not in known]
    if newer:
        raise unusable(
            path,
            f"the archive was made by a newer version of evaluator: this version does not know "
            f"its migrations {', '.join(newer)}; restore with that version or a newer one",
            f"该备份由更新版本的 evaluator 写出：本版本不认识其迁移 {', '.join(newer)}；"
            "请使用该版本或更新的版本恢复",
            "manifest.json",
        )
    if not head or head != known[: len(head)]:
        raise unusable(
            path,
            "the archive's migrations are not a beginning of this version's migrations",
            "备份的迁移记录与本版本的迁移顺序不一致",
            "manifest.json",
        )
    return head


async def _check_target(archive: Archive, head: list[str]) -> None:
    """The open target: migrated no further than the archive, holding no row; and, for an
    archive at this code's migrations, tables exactly as the models declare them."""
    manifest = archive.manifest
    conn = get_connection("default")
    try:
        await conn.execute_query_dict("SELECT 1 AS x")
    except Exception as exc:  # no such database, refused, wrong password …
        raise DatabaseNotReady(
            Problem(
                f"cannot open the database to restore into ({type(exc).__name__}: {exc}); "
                "nothing was restored",
                f"无法打开要恢复到的数据库（{type(exc).__name__}：{exc}）；未恢复任何内容",
            )
        ) from None
    applied = await store_db.applied_migrations()
    beyond = [m for m in applied if m not in head]
    if beyond:
        raise DatabaseNotReady(
            Problem(
                f"the database is migrated beyond the archive ({', '.join(beyond)}); restore "
                "into a new, empty database; nothing was restored",
                f"数据库的迁移已超出备份（{', '.join(beyond)}）；请恢复到一个新建的空数据库；未恢复任何内容",
            )
        )
    if head == await store_db.known_migrations():
        ours = {t.name: t for t in tables()}
        theirs = {t.name: t.model_copy(update={"rows": 0}) for t in manifest.tables}
        if ours != theirs:
            differ = sorted(set(ours) ^ set(theirs) | {n for n in ours if theirs.get(n) != ours[n]})
            raise unusable(
                archive.path,
                f"the archive's tables do not match this version's at the same migrations "
                f"({', '.join(differ)})",
                f"在相同迁移下，备份中的数据表与本版本不一致（{', '.join(differ)}）",
                "manifest.json",
            )
    names = [t.name for t in manifest.tables] + [t.name for t in tables()]
    await _refuse_rows(conn, conn.capabilities.dialect, names)


async def _refuse_rows(conn, dialect: str, names: list[str]) -> None:
    if dialect == "postgres":
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    existing = {r["name"] for r in await conn.execute_query_dict(sql)}
    occupied = []
    for name in sorted(set(names) & existing):
        if await conn.execute_query_dict(f"SELECT 1 AS x FROM {quoted(name)} LIMIT 1"):
            occupied.append(name)
    if occupied:
        raise DatabaseNotEmpty(
            Problem(
                f"the database already holds rows (in {', '.join(occupied)}); a restore "
                "goes only into an empty database: create a new one (or drop and re-create "
                "this one), then restore; nothing was restored",
                f"数据库中已有数据（{', '.join(occupied)}）；只能恢复到空数据库：请新建数据库"
                "（或删除后重建此数据库）后再恢复；未恢复任何内容",
            )
        )


def _extract_files(archive: Archive) -> None:
    for stored in archive.manifest.files:
        archive.extract_file(stored, stored_path(stored.sha256))


def _next(rows: Iterator[list[tuple[int, dict[str, Any]]]]):
    return next(rows, None)


async def _load_table(conn, dialect: str, archive: Archive, table: Table, batch: int) -> None:
    names = table.column_names
    decoders = [decoder(c.type) for c in table.columns]
    pk = names.index(table.primary_key)
    deferred = [names.index(d) for d in table.deferred]
    insert = (
        f"INSERT INTO {quoted(table.name)} ({', '.join(quoted(n) for n in names)}) "
        f"VALUES ({', '.join(parameter(dialect, i + 1) for i in range(len(names)))})"
    )
    later: list[list[Any]] = []  # [deferred values…, primary key]
    count = 0
    rows = archive.rows(table, batch)
    while (chunk := await asyncio.to_thread(_next, rows)) is not None:
        params = []
        for number, row in chunk:
            values = [
                _value(archive, table, c, dec, row, number)
                for c, dec in zip(table.columns, decoders, strict=True)
            ]
            if deferred:
                refs = [values[i] for i in deferred]
                if any(r is not None for r in refs):
                    later.append([*refs, values[pk]])
                for i in deferred:
                    values[i] = None
            params.append(values)
        await _write(archive, table, conn.execute_many(insert, params))
        count += len(params)
    if count != table.rows:
        raise unusable(
            archive.path,
            f"the table holds {count} rows, the manifest says {table.rows}",
            f"数据表有 {count} 行，而清单记录为 {table.rows} 行",
            table.member,
        )
    if later:
        sets = ", ".join(
            f"{quoted(names[i])} = {parameter(dialect, n + 1)}" for n, i in enumerate(deferred)
        )
        update = f"UPDATE {quoted(table.name)} SET {sets} WHERE {quoted(table.primary_key)} = {parameter(dialect, len(deferred) + 1)}"
        for start in range(0, len(later), batch):
            await _write(archive, table, conn.execute_many(update, later[start : start + batch]))


def _value(archive: Archive, table: Table, column: Column, decode, row: dict, number: int) -> Any:
    value = row[column.name]
    if value is None and not column.null:
        raise unusable(
            archive.path,
            f"column {column.name} is empty, which it may not be",
            f"列 {column.name} 为空，而该列不允许为空",
            table.member,
            number,
        )
    try:
        return decode(value)
    except (ValueError, TypeError, decimal.InvalidOperation):
        raise unusable(
            archive.path,
            f"column {column.name}: {value!r} is not a {column.type} value",
            f"列 {column.name}：{value!r} 不是 {column.type} 类型的值",
            table.member,
            number,
        ) from None


async def _write(archive: Archive, table: Table, statement) -> None:
    try:
        await statement
    except EvaluatorError:
        raise
    except Exception as exc:  # the database refuses a row: a constraint, a length, a NUL …
        raise BackupUnusable(
            Problem(
                f"the rows of table {table.name} cannot be written into this database "
                f"({type(exc).__name__}: {exc}); nothing was restored (the database is "
                "migrated and empty)",
                f"数据表 {table.name} 的行无法写入此数据库（{type(exc).__name__}：{exc}）；"
                "未恢复任何内容（数据库已迁移，仍为空）",
                file=str(archive.path),
                path=table.member,
            )
        ) from None


async def _move_sequences(conn, names: list[str]) -> int:
    """PostgreSQL: every sequence a restored table's column owns (serial ids) moved past
    the largest id restored, so the next insert takes a new one."""
    owned = await conn.execute_query_dict(
        "SELECT t.relname AS tbl, a.attname AS col, s.relname AS seq FROM pg_class s "
        "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema() "
        "WHERE s.relkind = 'S' AND t.relname = ANY($1::text[])",
        [names],
    )
    for r in owned:
        await conn.execute_query_dict(
            f"SELECT setval($1::regclass, COALESCE((SELECT MAX({quoted(r['col'])}) "
            f"FROM {quoted(r['tbl'])}), 0) + 1, false)",
            [quoted(r["seq"])],
        )
    return len(owned)


async def _verify_snapshots() -> tuple[int, int]:
    """Each approved round's snapshot in force (its newest: an upheld appeal's rescoring
    supersedes the approval's, which no longer matches the corrected inputs) recomputed
    from the restored inputs: (verified, rounds)."""
    in_force: dict[Any, ApprovalSnapshot] = {}
    for snapshot in await ApprovalSnapshot.all().order_by("created_at", "id"):
        in_force[snapshot.round_id] = snapshot
    verified = [await verify_snapshot(s) for s in in_force.values()]
    return sum(verified), len(verified)
