"""Database set-up: which database (SQLite file by default, PostgreSQL by URL), tortoise
configuration, migrations, and the check that refuses an unmigrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.graph import MigrationGraph
from tortoise.migrations.loader import MigrationLoader
from tortoise.migrations.recorder import MigrationRecorder

from evaluator import settings
from evaluator.errors import AlreadyExists, DatabaseNotReady, Problem

MODEL_MODULES = [
    "evaluator.store.orgs",
    "evaluator.store.contracts",
    "evaluator.store.rounds",
    "evaluator.store.registers",
    "evaluator.store.decisions",
    "evaluator.store.audit",
    "evaluator.store.auth",
    "evaluator.store.calendars",
    "evaluator.store.schedule",
]
MIGRATIONS = "evaluator.store.migrations"
DEFAULT_DIR = Path("var")


def database_url(url: str | None = None) -> str:
    """``url``, else ``DATABASE_URL``, else a SQLite file ``./var/evaluator.sqlite3``
    (the folder is created on first use)."""
    url = url or settings.get().database_url
    if url:
        return url
    DEFAULT_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite://{(DEFAULT_DIR / 'evaluator.sqlite3').resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def _apps_config() -> dict:
    return {
        "models": {
            "models": MODEL_MODULES,
            "default_connection": "default",
            "migrations": MIGRATIONS,
        }
    }


def tortoise_config(url: str | None = None) -> dict:
    return {
        "connections": {"default": database_url(url)},
        "apps": _apps_config(),
        "use_tz": True,
        "timezone": "UTC",
    }


def check_sqlite_path(url: str) -> None:
    """A SQLite database file that cannot be (its folder missing or a file, the path a
    folder) fails at once with its path — the driver would otherwise retry for a minute."""
    if not is_sqlite(url):
        return
    path = url[len("sqlite://") :].split("?", 1)[0]
    if not path or path == ":memory:":
        return
    file = Path(path)
    folder = file.parent
    if file.is_dir():
        en, zh = f"{file} is a folder, not a database file", f"{file} 是文件夹，不是数据库文件"
    elif not folder.exists():
        en, zh = f"the folder {folder} does not exist", f"文件夹 {folder} 不存在"
    elif not folder.is_dir():
        en, zh = f"{folder} is a file, not a folder", f"{folder} 是文件，不是文件夹"
    else:
        return
    raise DatabaseNotReady(
        Problem(
            f"cannot open the SQLite database {file}: {en}",
            f"无法打开 SQLite 数据库 {file}：{zh}",
            file=str(file),
        )
    )


async def open_database(url: str | None = None, *, check: bool = True) -> None:
    """Connect; with ``check`` refuse a database whose migrations are not all applied."""
    check_sqlite_path(database_url(url))
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    if check:
        try:
            await ensure_migrated()
        except BaseException:
            await Tortoise.close_connections()
            raise


async def close_database() -> None:
    await Tortoise.close_connections()


async def pending_migrations() -> list[str]:
    """Names of the migrations not yet applied to the open database."""
    executor = MigrationExecutor(get_connection("default"), MIGRATIONS_CONFIG["apps"])
    plan = await executor.plan(None)
    return [
        f"{step.migration.app_label}.{step.migration.name}" for step in plan if not step.backward
    ]


async def ensure_migrated() -> None:
    pending = await pending_migrations()
    if pending:
        raise _not_migrated(pending)


def _not_migrated(pending: list[str]) -> DatabaseNotReady:
    return DatabaseNotReady(
        Problem(
            f"the database is not migrated ({len(pending)} pending: {', '.join(pending)}); run `evaluator migrate`",
            f"数据库尚未迁移（{len(pending)} 个待执行）；请先运行 `evaluator migrate`",
        )
    )


async def check_ready() -> None:
    """Raise DatabaseNotReady unless the open database answers and is fully migrated
    (the health check of the HTTP server)."""
    try:
        pending = await pending_migrations()
    except Exception as exc:  # unreachable, not initialised, no migrations table …
        raise DatabaseNotReady(
            Problem(
                f"the database does not answer ({type(exc).__name__})",
                f"数据库无响应（{type(exc).__name__}）",
            )
        ) from None
    if pending:
        raise _not_migrated(pending)


async def migrate(url: str | None = None, target: str | None = None) -> list[str]:
    """Apply every pending migration (up to and including ``target``, e.g.
    ``models.0012_login_budget``, when given); return the names applied."""
    from tortoise.migrations.api import migrate as run

    applied: list[str] = []
    check_sqlite_path(database_url(url))

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(f"{app_label}.{name}")

    async with TortoiseContext():  # a context of its own: a caller's connections stay open
        try:
            await run(
                config=tortoise_config(url), target=target, direction="forward", progress=progress
            )
        finally:
            # tortoise's migrate API opens connections it never closes: an open aiosqlite
            # connection keeps a worker thread alive and the process from exiting.
            await Tortoise.close_connections()
    return applied


@asynccontextmanager
async def apart(url: str | None = None) -> AsyncIterator[None]:
    """The database at ``url`` open for the block in a tortoise context of its own (the
    caller's context and connections, if any, are left alone), not checked for migrations;
    closed on the way out. For commands that work on a database other than the one open
    (``evaluator restore``)."""
    check_sqlite_path(database_url(url))
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        yield


def _in_order(graph: MigrationGraph) -> list[str]:
    ordered: list[str] = []
    for leaf in graph.leaf_nodes():
        for key in graph.forwards_plan(leaf):
            if str(key) not in ordered:
                ordered.append(str(key))
    return ordered


async def known_migrations() -> list[str]:
    """Every migration of this code, in the order they apply (``models.0001_initial``, …);
    no database is needed."""
    loader = MigrationLoader(MIGRATIONS_CONFIG["apps"], MigrationRecorder(None))
    await loader.build_graph()  # a recorder without a connection knows of none applied
    return _in_order(loader.graph)


async def applied_migrations() -> list[str]:
    """The migrations applied to the open database: those this code knows, in their order,
    then any it does not know (applied by a newer version), by name."""
    recorded = await MigrationRecorder(get_connection("default")).applied_migrations()
    applied = {str(key) for key in recorded}
    known = await known_migrations()
    return [name for name in known if name in applied] + sorted(applied - set(known))


# For `make migrations` (tortoise makemigrations): models and migrations only, no real database.
MIGRATIONS_CONFIG = {
    "connections": {"default": "sqlite://:memory:"},
    "apps": _apps_config(),
}


@contextmanager
def unique_or_exists(en: str, zh: str):
    """A unique key taken (code, user name, credit code) is a conflict (AlreadyExists, in
    English and Chinese), not a crash."""
    try:
        yield
    except IntegrityError:
        raise AlreadyExists(Problem(en, zh)) from None
