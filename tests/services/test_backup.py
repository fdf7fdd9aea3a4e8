"""`evaluator backup` / `evaluator restore` (services/backup.py, services/restore.py): the
demo county backed up, restored into an empty database of the OTHER kind (SQLite ↔
PostgreSQL), backed up there and restored back, with every table's rows, the audit chain,
the approval snapshots, the station scorecards and the stored files identical at each
step; and the refusals (a database that holds rows, a damaged or unknown archive), each
with its message and the target left as it was.

A test process opens one kind of database only (tortoise caches SQL per connection name):
the other kind is reached through the command line in a subprocess, and read there by
tests/services/backup_fingerprint.py. Without a PostgreSQL server the cross-database test
skips, unless CI_REQUIRE_POSTGRES is set.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from services.backup_fingerprint import fingerprint
from tortoise import Tortoise
from tortoise.connection import get_connection

from evaluator.cli import main
from evaluator.demo.load import load_demo
from evaluator.demo.scoring import run_demo
from evaluator.errors import BackupRefused, BackupUnusable, DatabaseNotEmpty, DatabaseNotReady
from evaluator.services import backup, restore
from evaluator.services import organisations as org_svc
from evaluator.services.actors import Actor, actor_for
from evaluator.services.backup_format import MANIFEST, Manifest, row_line
from evaluator.services.evidence import attach_evidence, stored_path
from evaluator.store import db as store_db
from evaluator.store.base import OrgKind, RegionLevel, RoundKind
from evaluator.store.orgs import User
from evaluator.store.rounds import Round

ROOT = Path(__file__).resolve().parents[2]
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


# -- databases of either kind ------------------------------------------------------------------
def _pg_server() -> str:
    """The PostgreSQL server of this run: TEST_DATABASE_URL's, else the local one."""
    if TEST_DATABASE_URL:
        parts = urlsplit(TEST_DATABASE_URL)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return "postgres://postgres@127.0.0.1:5432"


def _pg_answers() -> bool:
    parts = urlsplit(_pg_server())
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2).close()
        return True
    except OSError:
        return False


async def _pg_admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{_pg_server().replace('postgres://', 'postgresql://')}/postgres")
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
async def new_database(tmp_path, db_kind):
    """``await new_database(kind)`` → the URL of a new, empty database of that kind: a file
    in tmp_path, or a throw-away PostgreSQL database (evaluator_backup_test_<random>,
    dropped afterwards)."""
    created: list[str] = []

    async def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite://{tmp_path / f'{uuid.uuid4().hex[:8]}.sqlite3'}"
        if not _pg_answers():
            if os.environ.get("CI_REQUIRE_POSTGRES"):
                pytest.fail(
                    f"PostgreSQL does not answer at {_pg_server()} and CI_REQUIRE_POSTGRES is set"
                )
            pytest.skip(f"no PostgreSQL server answers at {_pg_server()}")
        name = f"evaluator_backup_test_{uuid.uuid4().hex[:10]}"
        await _pg_admin(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        created.append(name)
        return f"{_pg_server()}/{name}"

    yield make
    for name in created:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _other(kind: str) -> str:
    return "postgres" if kind == "sqlite" else "sqlite"


def _cli(args: list[str], url: str, evidence: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``evaluator ARGS`` in a process of its own on ``url`` and ``evidence``."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env |= {"DATABASE_URL": url, "EVIDENCE_DIR": str(evidence), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "evaluator", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _fingerprint_of(url: str, evidence: Path, cwd: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env |= {"DATABASE_URL": url, "EVIDENCE_DIR": str(evidence), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "services" / "backup_fingerprint.py")],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _manifest(path: Path) -> Manifest:
    with zipfile.ZipFile(path) as z:
        return Manifest.model_validate_json(z.read(MANIFEST))


async def _demo_with_an_upload() -> None:
    """The demo county (its register files are stored by hash) and one uploaded evidence file."""
    await load_demo(run_demo(None))
    admin = await actor_for(await User.get(username="admin"))
    spot_check = await Round.get(kind=RoundKind.SPOT_CHECK)
    await attach_evidence(
        admin, spot_check.id, "活动签到表.txt", "text/plain", "签到表 sign-in sheet\n".encode()
    )


# -- the round trip ----------------------------------------------------------------------------
async def test_round_trip_through_the_other_kind_of_database(db, db_kind, tmp_path, new_database):
    """This pass's database → archive → the other kind → archive → this kind again: the
    same rows, audit chain, snapshots, scorecards and files at every step."""
    await _demo_with_an_upload()
    before = await fingerprint()
    assert before["audit"]["ok"] and before["audit"]["events"] > 1000
    assert before["tables"]["evidence_file"] == 1 and len(before["files"]) > 10
    assert before["snapshots"] and all(before["snapshots_in_force_verify"].values())
    assert before["scorecards"] and "missing" not in before["files"].values()

    first = tmp_path / "first.zip"
    made = await backup.backup(first)
    assert made.database == db_kind and made.tables == before["tables"]
    assert (made.audit.events, made.audit.head_hash) == (
        before["audit"]["events"],
        before["audit"]["head"],
    )

    other = await new_database(_other(db_kind))
    other_files = tmp_path / "evidence-other"
    restored = _cli(["restore", str(first)], other, other_files, tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert f"head {before['audit']['head']} — as recorded in the archive" in restored.stdout
    assert f"{db_kind} → {_other(db_kind)}" in restored.stdout
    assert _fingerprint_of(other, other_files, tmp_path) == before

    second = tmp_path / "second.zip"
    again = _cli(["backup", str(second)], other, other_files, tmp_path)
    assert again.returncode == 0, again.stderr
    m1, m2 = _manifest(first), _manifest(second)
    assert (m1.database, m2.database) == (db_kind, _other(db_kind))
    assert {t.name: t.rows for t in m2.tables} == {t.name: t.rows for t in m1.tables}
    assert m2.audit == m1.audit and m2.migrations == m1.migrations
    assert [f.sha256 for f in m2.files] == [f.sha256 for f in m1.files]

    back = await new_database(db_kind)
    back_files = tmp_path / "evidence-back"
    home = _cli(["restore", str(second), "--verify-snapshots"], back, back_files, tmp_path)
    assert home.returncode == 0, home.stderr
    rounds = len(before["snapshots_in_force_verify"])
    assert f"verified 现行审定快照重算校验通过: {rounds}/{rounds}" in home.stdout
    assert _fingerprint_of(back, back_files, tmp_path) == before
    for sha in before["files"]:
        assert (back_files / sha[:2] / sha[2:4] / sha).read_bytes() == stored_path(sha).read_bytes()


async def test_restore_into_a_migrated_empty_database_and_missing_files(
    db, db_kind, tmp_path, evidence_dir, empty_database, monkeypatch
):
    """In process, same kind: a freshly migrated database counts as empty (the migrations
    seed no row); the copy's rows equal the source's. A stored file gone from disk refuses
    the backup unless allowed (then the manifest lists it); an altered one always does."""
    await _demo_with_an_upload()
    before = await fingerprint()
    archive = tmp_path / "county.zip"
    await backup.backup(archive)

    target = await empty_database("copy")
    await store_db.migrate(target)
    copy_files = tmp_path / "evidence-copy"
    monkeypatch.setenv("EVIDENCE_DIR", str(copy_files))
    done = await restore.restore(archive, target, verify_snapshots=True)
    monkeypatch.setenv("EVIDENCE_DIR", str(evidence_dir))
    assert done.audit_matches and done.audit.ok and done.database == db_kind
    assert done.tables == before["tables"] and done.files == len(before["files"])
    assert done.snapshots == (len(before["snapshots_in_force_verify"]),) * 2
    assert done.migrated == []
    async with store_db.apart(target):
        copied = {
            m._meta.db_table: sorted(map(repr, await m.all().values()))
            for m in Tortoise.apps["models"].values()
        }
    originals = {
        m._meta.db_table: sorted(map(repr, await m.all().values()))
        for m in Tortoise.apps["models"].values()
    }
    assert copied == originals

    sha = sorted(before["files"])[0]
    stored_path(sha).rename(tmp_path / "aside")
    with pytest.raises(BackupRefused) as refused:
        await backup.backup(tmp_path / "incomplete.zip")
    assert sha in str(refused.value) and "--allow-missing-files" in str(refused.value)
    assert not (tmp_path / "incomplete.zip").exists()
    made = await backup.backup(tmp_path / "incomplete.zip", allow_missing_files=True)
    assert made.missing_files == [sha] and _manifest(tmp_path / "incomplete.zip").missing_files == [
        sha
    ]

    (tmp_path / "aside").rename(stored_path(sha))
    stored_path(sha).write_bytes(b"changed on disk")
    with pytest.raises(BackupRefused) as altered:
        await backup.backup(tmp_path / "altered.zip")
    assert "no longer matches its hash" in str(altered.value)
    assert not (tmp_path / "altered.zip").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []

    with pytest.raises(BackupRefused, match="the file exists"):
        await backup.backup(archive)


async def test_the_migrations_seed_no_rows_and_the_tables_come_parents_first(db, empty_database):
    """A restore calls a database empty when no table holds a row: that holds for a freshly
    migrated one only because no migration inserts rows. And every table's foreign keys
    point to tables before it (or to itself, set after its rows)."""
    url = await empty_database("seed")
    await store_db.migrate(url)
    async with store_db.apart(url):
        counts = {m._meta.db_table: await m.all().count() for m in Tortoise.apps["models"].values()}
    assert counts and not any(counts.values())

    order = backup.tables()
    assert {t.name for t in order} == {m._meta.db_table for m in Tortoise.apps["models"].values()}
    seen: set[str] = set()
    for table in order:
        model = next(m for m in Tortoise.apps["models"].values() if m._meta.db_table == table.name)
        for fk in model._meta.fk_fields | model._meta.o2o_fields:
            parent = model._meta.fields_map[fk].related_model._meta.db_table
            assert parent in seen or parent == table.name, (table.name, parent)
        seen.add(table.name)
    assert {t.name: t.deferred for t in order if t.deferred} == {
        "region": ["parent_id"],
        "contract": ["renewal_of_id"],
        "finding": ["escalated_from_id"],
        "register_import": ["replaces_id"],
    }


# -- refusals ----------------------------------------------------------------------------------
async def _small_archive(path: Path) -> Path:
    actor = Actor.system()
    province = await org_svc.ensure_region("340000", "安徽省", RegionLevel.PROVINCE)
    city = await org_svc.ensure_region("341500", "六安市", RegionLevel.CITY, province)
    await org_svc.create_organisation(actor, OrgKind.BUREAU, "示例县民政局", region=city)
    await org_svc.create_organisation(actor, OrgKind.SERVICE_AGENCY, "示例社工机构")
    await backup.backup(path)
    return path


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the zip ``source`` with ``change(members)`` applied to {name: bytes}."""
    with zipfile.ZipFile(source) as z:
        members = {name: z.read(name) for name in z.namelist()}
    change(members)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return target


def _edit_manifest(edit):
    def change(members):
        manifest = json.loads(members[MANIFEST])
        edit(manifest)
        members[MANIFEST] = json.dumps(manifest).encode()

    return change


def _truncate(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def _flip_a_byte(source: Path, target: Path) -> Path:
    """One byte flipped inside the compressed data of the organisation table."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as z:
        info = z.getinfo("tables/organisation.jsonl")
    header = info.header_offset
    name_len = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_len = int.from_bytes(data[header + 28 : header + 30], "little")
    start = header + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0x01
    target.write_bytes(bytes(data))
    return target


def _alter_a_row(source: Path, target: Path) -> Path:
    def change(members):
        text = members["tables/organisation.jsonl"].decode()
        members["tables/organisation.jsonl"] = text.replace("示例县民政局", "另一个民政局").encode()

    return _rewrite(source, target, change)


INJURIES = {
    "truncated": (_truncate, "not a readable zip archive, or truncated", None),
    "flipped byte": (_flip_a_byte, "damaged", "tables/organisation.jsonl"),
    "altered row": (_alter_a_row, "the member was altered", "tables/organisation.jsonl"),
    "format version": (
        lambda s, t: _rewrite(s, t, _edit_manifest(lambda m: m.update(format_version=2))),
        "archive format version 2 is not one this version of evaluator reads",
        MANIFEST,
    ),
    "newer migrations": (
        lambda s, t: _rewrite(
            s, t, _edit_manifest(lambda m: m["migrations"].append("models.9999_from_the_future"))
        ),
        "made by a newer version of evaluator",
        MANIFEST,
    ),
    "missing member": (
        lambda s, t: _rewrite(s, t, lambda members: members.pop("tables/region.jsonl")),
        "the member is missing",
        "tables/region.jsonl",
    ),
    "no manifest": (
        lambda s, t: _rewrite(s, t, lambda members: members.pop(MANIFEST)),
        "manifest.json is missing",
        None,
    ),
    "manifest not JSON": (
        lambda s, t: _rewrite(s, t, lambda members: members.update({MANIFEST: b"{not json"})),
        "the manifest is not readable JSON",
        MANIFEST,
    ),
}


async def _tables_of(url: str) -> list[str]:
    """The tables of the database at ``url`` (none for a SQLite file never created)."""
    if url.startswith("sqlite://") and not Path(url[len("sqlite://") :]).exists():
        return []
    async with store_db.apart(url):
        return await _tables_of_connection(get_connection("default"))


@pytest.mark.parametrize("injury", list(INJURIES))
async def test_restore_refuses_a_damaged_or_unknown_archive_and_writes_nothing(
    db, tmp_path, evidence_dir, empty_database, injury
):
    injure, message, member = INJURIES[injury]
    good = await _small_archive(tmp_path / "good.zip")
    bad = injure(good, tmp_path / "bad.zip")
    target = await empty_database("target")
    before = await _tables_of(target)
    with pytest.raises(BackupUnusable) as refused:
        await restore.restore(bad, target)
    problems = refused.value.problems
    assert any(message in p.en for p in problems), [p.en for p in problems]
    assert all(p.zh and "未恢复任何内容" in p.zh for p in problems)
    if member:
        assert member in [p.path for p in problems]
    assert await _tables_of(target) == before
    assert list(evidence_dir.iterdir()) == []


async def test_restore_refuses_a_database_that_holds_rows(db, tmp_path):
    archive = await _small_archive(tmp_path / "small.zip")
    counts = {m._meta.db_table: await m.all().count() for m in Tortoise.apps["models"].values()}
    with pytest.raises(DatabaseNotEmpty) as refused:
        await restore.restore(archive, db.url)
    (problem,) = refused.value.problems
    assert "the database already holds rows (in " in problem.en and "organisation" in problem.en
    assert "数据库中已有数据" in problem.zh and "未恢复任何内容" in problem.zh
    after = {m._meta.db_table: await m.all().count() for m in Tortoise.apps["models"].values()}
    assert after == counts


async def _columns_of(url: str) -> dict[str, set[str]]:
    """The columns of each table of the database at ``url``."""
    async with store_db.apart(url):
        conn = get_connection("default")
        out: dict[str, set[str]] = {}
        for table in await _tables_of_connection(conn):
            if conn.capabilities.dialect == "sqlite":
                rows = await conn.execute_query_dict(f'PRAGMA table_info("{table}")')
            else:
                rows = await conn.execute_query_dict(
                    "SELECT column_name AS name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = $1",
                    [table],
                )
            out[table] = {r["name"] for r in rows}
        return out


async def _tables_of_connection(conn) -> list[str]:
    if conn.capabilities.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    return sorted(r["name"] for r in await conn.execute_query_dict(sql))


async def test_an_archive_of_older_migrations_is_restored_then_migrated(
    db, tmp_path, empty_database
):
    """An archive made before this code's last migration: the target is migrated to the
    archive's migrations, the rows go in, then the later migration runs. A database
    migrated beyond the archive is refused. The older archive is the current one without
    what the last migration added: its tables, or its nullable columns (which the archive's
    rows must leave empty for it to be older)."""
    good = await _small_archive(tmp_path / "good.zip")
    known = await store_db.known_migrations()
    last = known[-1]
    target = await empty_database("older")
    await store_db.migrate(target, target=known[-2])  # the target may be migrated that far
    tables = {t.name: t for t in _manifest(good).tables}
    before = await _columns_of(target)
    added = set(tables) - set(before)
    columns = {
        name: [c for c in t.columns if c.name not in before[name]]
        for name, t in tables.items()
        if name in before
    }
    columns = {name: cs for name, cs in columns.items() if cs}
    with zipfile.ZipFile(good) as z:
        rows = {t.name: z.read(t.member).decode().splitlines() for t in tables.values()}
    filled = any(
        json.loads(line)[c.name] is not None
        for name, cs in columns.items()
        for line in rows[name]
        for c in cs
    )
    if not (added or columns) or any(tables[name].rows for name in added) or filled:
        pytest.skip(f"{last} neither only adds tables nor only adds empty columns")

    def before_the_last_migration(members):
        manifest = json.loads(members[MANIFEST])
        manifest["migrations"].remove(last)
        for table in [t for t in manifest["tables"] if t["name"] in added]:
            manifest["tables"].remove(table)
            del manifest["members"][table["member"]]
            members.pop(table["member"])
        for table in [t for t in manifest["tables"] if t["name"] in columns]:
            gone = {c.name for c in columns[table["name"]]}
            table["columns"] = [c for c in table["columns"] if c["name"] not in gone]
            data = b"".join(
                row_line({k: v for k, v in json.loads(line).items() if k not in gone})
                for line in rows[table["name"]]
            )
            members[table["member"]] = data
            manifest["members"][table["member"]] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
        members[MANIFEST] = json.dumps(manifest).encode()

    old = _rewrite(good, tmp_path / "old.zip", before_the_last_migration)
    done = await restore.restore(old, target)
    assert done.migrated == [last] and done.audit_matches and done.audit.ok
    after = await _columns_of(target)
    assert added <= set(after)
    assert all({c.name for c in cs} <= after[name] for name, cs in columns.items())

    with pytest.raises(DatabaseNotReady) as refused:  # now migrated beyond the archive
        await restore.restore(old, target)
    assert f"the database is migrated beyond the archive ({last})" in str(refused.value)


# -- the command line --------------------------------------------------------------------------
def test_backup_and_restore_commands(tmp_path, monkeypatch, capsys):
    source = tmp_path / "source.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{source}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    assert main(["demo"]) == 0
    archive = tmp_path / "county.zip"
    capsys.readouterr()
    assert main(["backup", str(archive)]) == 0
    out = capsys.readouterr().out
    assert "backup written 备份已写入" in out and "audit chain 审计链 intact 完整" in out

    assert main(["backup", str(archive)]) == 2  # never over an existing file
    assert "the file exists" in capsys.readouterr().err

    assert main(["restore", str(archive)]) == 2  # into the database it came from
    err = capsys.readouterr().err
    assert "Database not empty (数据库不是空的)" in err and "Traceback" not in err

    assert main(["restore", "--check", str(archive)]) == 0
    assert "archive intact 备份文件完整" in capsys.readouterr().out

    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(archive.read_bytes()[:-100])
    target = tmp_path / "target.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{target}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence-target"))
    assert main(["restore", str(damaged)]) == 2
    err = capsys.readouterr().err
    assert "Unusable backup archive (备份文件已损坏或无法使用)" in err and "Traceback" not in err
    assert not target.exists()

    assert main(["restore", str(archive), "--verify-snapshots"]) == 0
    out = capsys.readouterr().out
    assert "sqlite → sqlite" in out and "as recorded in the archive 与备份记录一致" in out
    assert main(["audit", "verify"]) == 0


def test_restore_of_something_else(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'target.sqlite3'}")
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("not an archive")
    assert main(["restore", str(not_zip)]) == 2
    assert "not a readable zip archive" in capsys.readouterr().err
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr(MANIFEST, json.dumps({"format": "something-else"}))
    assert main(["restore", str(other)]) == 2
    assert "not an evaluator backup" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "none.zip")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "target.sqlite3").exists()
