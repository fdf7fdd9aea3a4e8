"""Shared fixtures: a clean database per test, built from the migrations.

The suite runs against one database per process (never SQLite and PostgreSQL in the
same process: tortoise caches compiled SQL per connection name):

* SQLite by default. The migrations run once per session into a template file; each
  test gets its own copy of that file (~10 ms with tortoise's set-up; migrating a fresh
  file costs ~350 ms).
* PostgreSQL when ``TEST_DATABASE_URL`` is set (``make test`` does it for the second
  pass), e.g. ``postgres://postgres@127.0.0.1:5432/evaluator_test``. The database is
  dropped and created again once per session and migrated; each test then starts by
  emptying the model tables that hold rows (``DELETE``, children first; ~30 ms per test
  with connecting; a full ``TRUNCATE … RESTART IDENTITY CASCADE`` alone costs ~80 ms,
  and is the fallback).

The ``db`` fixture initialises tortoise with the global fallback (as the server does:
handlers run in tasks other than the one that called ``Tortoise.init``) and closes the
connections after the test. Tests that build their own databases (migration tests) use
``empty_database`` and must not also use ``db``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest
import pytest_asyncio
from hypothesis import settings as hypothesis_settings
from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext, get_current_context

from evaluator.store import db as store_db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
DB_KIND = "postgres" if TEST_DATABASE_URL else "sqlite"
# ``make test`` runs the suite in two processes (pytest-xdist, ``PYTEST_XDIST_WORKER`` is
# ``gw0``, ``gw1``…): each worker drops, re-creates and migrates a database of its own,
# the named one with the worker's name appended (``evaluator_test_gw0``).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if TEST_DATABASE_URL and _WORKER:
    _parts = urlsplit(TEST_DATABASE_URL)
    TEST_DATABASE_URL = urlunsplit(_parts._replace(path=f"{_parts.path.rstrip('/')}_{_WORKER}"))
# Property tests check what holds, not how fast: no per-example deadline (a busy CI machine
# made a 200 ms deadline flaky); the benchmarks measure speed.
hypothesis_settings.register_profile("evaluator", deadline=None)
hypothesis_settings.load_profile("evaluator")

T = TypeVar("T")


# ---------------------------------------------------------------------------------------
# helpers (plain functions, usable from tests through the fixtures below)


def _pg_parts(url: str) -> tuple[str, str]:
    """(database name, URL of the ``postgres`` maintenance database on the same server)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "asyncpg"):
        raise pytest.UsageError(f"TEST_DATABASE_URL must be a postgres:// URL, not {url!r}")
    name = parts.path.lstrip("/")
    if not name:
        raise pytest.UsageError("TEST_DATABASE_URL must name a database")
    if "test" not in name:
        # The database is dropped and re-created: refuse anything that is not obviously
        # a throw-away test database.
        raise pytest.UsageError(
            f"TEST_DATABASE_URL names database {name!r}; the test suite drops and re-creates "
            "it, so its name must contain 'test'"
        )
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    return name, admin


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _pg_recreate(url: str) -> None:
    import asyncpg

    name, admin = _pg_parts(url)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        # a throw-away database: commits need not wait for the disk
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()


async def _pg_drop(url: str) -> None:
    import asyncpg

    name, admin = _pg_parts(url)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def migrate_database(url: str) -> list[str]:
    """Run every migration on ``url`` through ``evaluator.store.db.migrate``, in a
    context of its own (so no tortoise state leaks out), and close its connections."""
    async with TortoiseContext():
        return await store_db.migrate(url)


def sqlite_url(path: Path) -> str:
    return f"sqlite://{path}"


def run_sync(coro: Awaitable[T]) -> T:
    """Run a coroutine to completion on a loop of its own, in a thread of its own: no
    event loop, context variable or tortoise state is shared with the test's loop."""
    with ThreadPoolExecutor(1, thread_name_prefix="test-db-setup") as pool:
        return pool.submit(asyncio.run, coro).result()


# ---------------------------------------------------------------------------------------
# session: which database, and the migrated template


@pytest.fixture(scope="session")
def db_kind() -> str:
    """``"sqlite"`` or ``"postgres"``: the database this pass of the suite runs on."""
    return DB_KIND


@pytest.fixture(scope="session")
def _migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Built once per session, from the migrations. SQLite: the path of a template file.
    PostgreSQL: the URL of the (re-created, migrated) test database."""
    if DB_KIND == "sqlite":
        template = tmp_path_factory.mktemp("db") / "template.sqlite3"
        run_sync(migrate_database(sqlite_url(template)))
        # fold any write-ahead log into the file, so that copying the one file copies all
        with contextlib.closing(sqlite3.connect(template)) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
        assert not Path(f"{template}-wal").exists()
        return str(template)
    run_sync(_pg_recreate(TEST_DATABASE_URL))
    run_sync(migrate_database(TEST_DATABASE_URL))
    return TEST_DATABASE_URL


# ---------------------------------------------------------------------------------------
# per test


@pytest.fixture(scope="session", autouse=True)
def _settings_follow_the_environment() -> Iterator[None]:
    """The settings are read once (``evaluator.settings``); a test that changes the
    environment through ``monkeypatch`` (``setenv``, ``delenv``, and the undo at its end)
    makes the next read see the change."""
    from evaluator import settings

    originals = {name: getattr(pytest.MonkeyPatch, name) for name in ("setenv", "delenv", "undo")}

    def following(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            finally:
                settings.forget()

        return wrapper

    for name, method in originals.items():
        setattr(pytest.MonkeyPatch, name, following(method))
    settings.forget()
    yield
    for name, method in originals.items():
        setattr(pytest.MonkeyPatch, name, method)
    settings.forget()


@pytest.fixture(autouse=True)
def _fresh_statement_cache() -> Iterator[None]:
    """tortoise keeps each model's INSERT, UPDATE and DELETE text per connection *name*
    (``EXECUTOR_CACHE``), not per database kind: a test that ran the command line on an
    embedded SQLite file in this process would leave ``?`` placeholders for the next
    PostgreSQL test (``syntax error at or near ","``). Every test starts without them."""
    from tortoise.backends.base import executor

    executor.EXECUTOR_CACHE.clear()
    yield
    executor.EXECUTOR_CACHE.clear()


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test stores evidence files in a folder of its own (``EVIDENCE_DIR``)."""
    path = tmp_path / "evidence"
    path.mkdir()
    monkeypatch.setenv("EVIDENCE_DIR", str(path))
    return path


@dataclass(frozen=True)
class Database:
    url: str
    kind: str  # "sqlite" | "postgres"

    @property
    def connection(self):
        """The tortoise connection (``execute_query``, ``execute_script`` for raw SQL)."""
        return get_connection("default")

    def sql(self, query: str) -> str:
        """``?`` placeholders rewritten as ``$1, $2 …`` on PostgreSQL."""
        if self.kind == "sqlite":
            return query
        counter = itertools.count(1)
        out, in_quote = [], False
        for ch in query:
            if ch == "'":
                in_quote = not in_quote
            out.append(f"${next(counter)}" if ch == "?" and not in_quote else ch)
        return "".join(out)

    async def execute(self, query: str, *values) -> list[dict]:
        """Raw SQL with ``?`` placeholders on either database; rows as dicts."""
        return await self.connection.execute_query_dict(self.sql(query), list(values))


def _tables_children_first(ctx: TortoiseContext) -> list[str]:
    """Model tables ordered so that a table comes before every table it references."""
    models = list(ctx.apps.get_models_iterable())
    parents = {
        m._meta.db_table: {
            m._meta.fields_map[name].related_model._meta.db_table
            for name in m._meta.fk_fields | m._meta.o2o_fields
        }
        - {m._meta.db_table}
        for m in models
    }
    ordered: list[str] = []
    while parents:
        # a table nobody left references can go now
        free = sorted(t for t in parents if not any(t in refs for refs in parents.values()))
        if not free:  # a reference cycle: the TRUNCATE fallback handles it
            free = sorted(parents)
        for t in free:
            ordered.append(t)
            del parents[t]
    return ordered


@dataclass(frozen=True)
class _PgCleanup:
    tables: tuple[str, ...]  # children first
    sequences: tuple[str, ...]  # owned by model tables (serial / identity keys)

    @functools.cached_property
    def probe(self) -> str:
        """One query naming the tables that hold rows and the sequences in use."""
        found = [
            f"SELECT 't{i}' AS k WHERE EXISTS (SELECT 1 FROM \"{t}\")"
            for i, t in enumerate(self.tables)
        ]
        found += [
            f"SELECT 's{i}' AS k WHERE (SELECT is_called FROM \"{q}\")"
            for i, q in enumerate(self.sequences)
        ]
        return " UNION ALL ".join(found)


_pg_cleanup: list[_PgCleanup] = []


async def _pg_clean(ctx: TortoiseContext) -> None:
    """Empty every model table. ``TRUNCATE`` of all the tables costs ~80 ms (new files,
    fsync), even of a few ~65 ms as CASCADE pulls in their dependents; so: one query
    (~1 ms) finds the tables that hold rows and the sequences that were used, then
    ``DELETE`` from those tables, children first, and restart those sequences (~1 ms).
    Should that fail (a reference cycle, say), ``TRUNCATE … RESTART IDENTITY CASCADE``."""
    conn = ctx.db()
    if not _pg_cleanup:
        tables = _tables_children_first(ctx)
        rows = await conn.execute_query_dict(
            "SELECT s.relname AS name FROM pg_class s "
            "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE s.relkind = 'S' AND t.relname = ANY($1::text[]) ORDER BY 1",
            [tables],
        )
        _pg_cleanup.append(_PgCleanup(tuple(tables), tuple(r["name"] for r in rows)))
    plan = _pg_cleanup[0]
    found = {r["k"] for r in await conn.execute_query_dict(plan.probe)}
    if not found:
        return
    statements = [f'DELETE FROM "{t}"' for i, t in enumerate(plan.tables) if f"t{i}" in found]
    statements += [
        f'ALTER SEQUENCE "{q}" RESTART' for i, q in enumerate(plan.sequences) if f"s{i}" in found
    ]
    try:
        await conn.execute_script("BEGIN; " + "; ".join(statements) + "; COMMIT")
    except Exception:
        await conn.execute_script("ROLLBACK")
        everything = ", ".join(f'"{t}"' for t in plan.tables)
        await conn.execute_script(f"TRUNCATE {everything} RESTART IDENTITY CASCADE")


@asynccontextmanager
async def open_test_database(migrated: str, directory: Path) -> AsyncIterator[Database]:
    """A clean, migrated database (a copy of the template in ``directory`` on SQLite), with
    tortoise initialised on it; connections closed on exit."""
    if DB_KIND == "sqlite":
        path = directory / "test.sqlite3"
        shutil.copyfile(migrated, path)
        url = sqlite_url(path)
    else:
        url = migrated
    ctx = await Tortoise.init(config=store_db.tortoise_config(url), _enable_global_fallback=True)
    try:
        if DB_KIND == "postgres":
            await _pg_clean(ctx)
        yield Database(url, DB_KIND)
    finally:
        await ctx.close_connections()  # also clears the global fallback
        # A test that re-initialised tortoise (another timezone, say) may have left a
        # context of its own as the global fallback: close that one too.
        current = get_current_context()
        if current is not None and current is not ctx:
            await current.close_connections()


@pytest.fixture
async def db(_migrated_database: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A clean, migrated database for this test, with tortoise initialised on it."""
    async with open_test_database(_migrated_database, tmp_path) as database:
        yield database


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_db(
    _migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """One clean database shared by every test of a module, for large read-mostly tables
    (the HTTP authorisation matrix). The module's tests must run in the module's event
    loop: ``pytestmark = pytest.mark.asyncio(loop_scope="module")``; they must not also
    use ``db``."""
    async with open_test_database(
        _migrated_database, tmp_path_factory.mktemp("module-db")
    ) as database:
        yield database


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[Callable[[str], Awaitable[str]]]:
    """``await empty_database("label")`` → URL of a new, empty database of this pass's
    kind (a fresh file on SQLite; a fresh ``<test db>_<label>`` database on PostgreSQL,
    dropped after the test)."""
    created: list[str] = []

    async def make(label: str) -> str:
        if DB_KIND == "sqlite":
            return sqlite_url(tmp_path / f"{label}.sqlite3")
        name, _ = _pg_parts(TEST_DATABASE_URL)
        url = _with_database(TEST_DATABASE_URL, f"{name}_{label}")
        await _pg_recreate(url)
        created.append(url)
        return url

    yield make
    for url in created:
        run_sync(_pg_drop(url))


# ---------------------------------------------------------------------------------------
# the clock


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Every test starts on the clock the settings give (``EVALUATOR_TODAY`` when CI pins
    it, else Beijing today) and leaves it as it found it; the settings are read again."""
    from evaluator import clock

    clock.reload_settings()
    yield
    clock.reload_settings()


@pytest.fixture
def today() -> Callable[[object], object]:
    """``today(date(2026, 10, 9))`` pins "today" for the rest of the test."""
    from evaluator import clock

    def pin(day):
        clock.pin(day)
        return day

    return pin


# -- the hardening figures the run reports (docs/security.md quotes them) -------------------
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Corpus sizes, and what the API fuzzing ran when it ran (tests/server/test_fuzz_api.py
    leaves its counts on the config)."""
    own = {"expected.yaml", "make_corpus.py", "system.yaml"}
    sizes = {
        kind: sum(1 for p in (CORPUS_DIR / kind).iterdir() if p.is_file() and p.name not in own)
        for kind in ("systems", "registers", "scores", "calendars")
        if (CORPUS_DIR / kind).is_dir()
    }
    terminalreporter.write_sep("-", "hardening figures")
    terminalreporter.write_line(
        "bad-file corpus: " + ", ".join(f"{kind} {n}" for kind, n in sizes.items())
    )
    fuzz = getattr(config, "fuzz_counts", None) or getattr(config, "_worker_fuzz_counts", None)
    if fuzz:
        terminalreporter.write_line(
            f"API fuzzing ({fuzz['database']}, {fuzz['workers']} worker(s)): "
            f"{fuzz['operations']} operations × {fuzz['roles']} roles, {fuzz['examples']} "
            f"examples, {fuzz['failures']} failures, statuses {fuzz['statuses']}"
        )


# -- pytest-xdist: a worker's fuzzing figures reach the summary the controller prints ------


def pytest_sessionfinish(session):
    counts = getattr(session.config, "fuzz_counts", None)
    output = getattr(session.config, "workeroutput", None)
    if counts and output is not None:
        output["fuzz_counts"] = counts


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    counts = getattr(node, "workeroutput", {}).get("fuzz_counts")
    if counts:
        node.config._worker_fuzz_counts = counts
