"""The database as the command line sees it: which one, migrate it, open and close it.

The command line uses services only (docs/architecture.md); the store's set-up is reached
through this door so that ``cli/`` never imports ``store/``. The server starts the store
itself (server/app.py), as an adapter of the same floor.
"""

from __future__ import annotations

from evaluator.store import db

__all__ = ["close", "database_url", "is_sqlite", "migrate", "open"]


def database_url() -> str:
    """``DATABASE_URL``, else the SQLite file in ./var (created on first use)."""
    return db.database_url()


def is_sqlite(url: str) -> bool:
    return db.is_sqlite(url)


async def migrate() -> list[str]:
    """Apply every pending migration; the names applied."""
    return await db.migrate()


async def open() -> None:  # noqa: A001 - the verb of the use case
    """Connect, refusing a database whose migrations are not all applied."""
    await db.open_database()


async def close() -> None:
    await db.close_database()
