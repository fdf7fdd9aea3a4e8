"""What several command groups share (kept here so that they never import each other):
exit codes, the database a command works on, who acts (``--as``), round ids and dates as
the commands print them.

The services are imported inside the functions that call them: ``evaluator --help``
builds every command's parser and should not load every service (argon2, sanic, the
engine) to print it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid

from evaluator.errors import InvalidInput, NotFound, Problem
from evaluator.services import database as db

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


# -- the database -------------------------------------------------------------------------
def with_database(coro, migrate_first: bool = False):
    """Run one coroutine with the database open (migrated first if asked), then close it."""

    async def run():
        try:
            if migrate_first:
                await db.migrate()
            await db.open()
            return await coro
        finally:
            coro.close()
            await db.close()

    return asyncio.run(run())


def migrate() -> list[str]:
    """Apply every pending migration; the names applied."""
    return asyncio.run(db.migrate())


def database_url() -> str:
    """The database commands work on (``DATABASE_URL``, else the SQLite file in ./var)."""
    return db.database_url()


def is_sqlite(url: str) -> bool:
    return db.is_sqlite(url)


def safe_url(url: str) -> str:
    """The database URL without its password (secrets are never printed)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


# -- scoring from files -------------------------------------------------------------------
def score_files(args, stage):
    """Load ``--system``, read ``--input`` (``--sheet``) and score it, one progress stage
    each: (system, result). The engine is imported here, not at the top (``--help``)."""
    from evaluator.engine import score
    from evaluator.evidence.raw import read_raw_inputs
    from evaluator.systems import load_system

    system = load_system(args.system, rubric_dirs=args.rubrics)
    stage()
    frame, locate = read_raw_inputs(args.input, args.sheet)
    stage()
    result = score(system, frame, locate=locate)
    stage()
    return system, result


# -- who acts, on what --------------------------------------------------------------------
async def acting(username: str | None):
    """The actor of ``--as USERNAME`` (their roles), or the system operator without it."""
    from evaluator.services.accounts import actor_named

    return await actor_named(username, path="--as")


def round_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidInput(
            Problem(
                f"{text!r} is not a round id (see `evaluator rounds`)",
                f"{text!r} 不是轮次编号（参见 `evaluator rounds`）",
                path="--round",
            )
        ) from None


def deadline_text(day: dt.date, basis: str) -> str:
    """A date with its basis: 暂定 provisional, 手动 set by the bureau."""
    mark = {"provisional": " 暂定 provisional", "override": " 手动 set by the bureau"}.get(
        basis, ""
    )
    return f"{day.isoformat()}{mark}"


async def contract_named(text: str):
    """The contract whose id or code is ``text``, looked up by the command line's
    administrator (the acting user's scope is checked by the services it is passed to)."""
    from evaluator.services.actors import Actor, get_contract
    from evaluator.services.listing import MAX_PER_PAGE, list_contracts

    actor = Actor.system()
    try:
        return await get_contract(actor, uuid.UUID(text))
    except NotFound:
        pass
    except ValueError:  # not an id: a code, on one of the pages of contracts
        page, found = 1, None
        while found is None or (page - 1) * MAX_PER_PAGE < found.total:
            found = await list_contracts(actor, page=page, per_page=MAX_PER_PAGE)
            for contract in found.items:
                if contract.code == text:
                    return contract
            page += 1
    raise InvalidInput(Problem(f"no contract {text}", f"没有合同 {text}", path="CONTRACT"))
