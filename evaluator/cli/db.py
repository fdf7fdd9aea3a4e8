"""Database plumbing shared by the command-line modules (kept apart so that they do not
import each other)."""

from __future__ import annotations

import asyncio


def with_database(coro, migrate_first: bool = False):
    """Run one coroutine with the database open (migrated first if asked), then close it."""
    from evaluator.store import db

    async def run():
        try:
            if migrate_first:
                await db.migrate()
                await db.close_database()
            await db.open_database()
            return await coro
        finally:
            coro.close()
            await db.close_database()

    return asyncio.run(run())


def safe_url(url: str) -> str:
    """The database URL without its password (secrets are never printed)."""
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
